"""Refresh tokens at rest: AES-256-GCM with the `token-key` secret.

The newest enabled key version encrypts; every enabled version decrypts, found by the key id
stored with the ciphertext, so keys rotate without re-encrypting everything at once. The
associated data binds a ciphertext to its link: a token copied onto another link won't decrypt.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from functions.config import KeyVersion


class TokenDecryptError(Exception):
    """The ciphertext was tampered with, belongs elsewhere, or its key is no longer enabled."""


class TokenCipher:
    def __init__(self, keys: Sequence[KeyVersion]) -> None:
        if not keys:
            raise ValueError("at least one key version is needed")
        self._keys = list(keys)
        self._by_id = {k.key_id: k for k in keys}

    def encrypt(self, plaintext: str, associated: str) -> dict[str, str]:
        key = self._keys[0]
        nonce = os.urandom(12)
        ct = AESGCM(key.key).encrypt(nonce, plaintext.encode(), associated.encode())
        return {"kid": key.key_id, "nonce": _b64(nonce), "ct": _b64(ct)}

    def decrypt(self, sealed: dict[str, str], associated: str) -> str:
        key = self._by_id.get(str(sealed.get("kid")))
        if key is None:
            raise TokenDecryptError(f"key version {sealed.get('kid')!r} is not enabled")
        try:
            nonce, ct = base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ct"])
            return AESGCM(key.key).decrypt(nonce, ct, associated.encode()).decode()
        except (InvalidTag, KeyError, ValueError, TypeError):
            raise TokenDecryptError("the sealed token does not verify") from None

    def needs_rotation(self, sealed: dict[str, str]) -> bool:
        return sealed.get("kid") != self._keys[0].key_id


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
