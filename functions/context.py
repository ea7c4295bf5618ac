"""What a use case needs, built per request from cached pieces (settings, secrets, clients)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from functions.adapters.firestore_store import FirestoreStore, get_store
from functions.config import OAuthClientConfig, Secrets, Settings, get_secrets, get_settings
from functions.crypto import TokenCipher


@dataclass
class Context:
    settings: Settings
    secrets: Secrets
    store: FirestoreStore

    @property
    def oauth_client(self) -> OAuthClientConfig:
        return self.secrets.oauth_client()

    @property
    def cipher(self) -> TokenCipher:
        return TokenCipher(self.secrets.token_keys())

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def get_context() -> Context:
    settings = get_settings()
    return Context(settings, get_secrets(), get_store(settings.project))


def reset_caches() -> None:
    """Forget cached settings, secrets and clients (tests change the environment)."""
    from functions.adapters import firestore_store

    get_settings.cache_clear()
    get_secrets.cache_clear()
    firestore_store._client.cache_clear()
