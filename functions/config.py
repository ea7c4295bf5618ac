"""Every setting of the product in one place: environment variables and secrets.

Defaults are Google's production values (see API.md). Secrets are read from Secret Manager by
name; `SECRET_<NAME>` in the environment (upper case, `-` → `_`) overrides one for local runs
and tests. Clients are created lazily, on first use, never at import.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

# Every environment variable the product reads, with its default (None: required or optional).
ENV_DEFAULTS: dict[str, str | None] = {
    "GOOGLE_API_ROOT": "https://www.googleapis.com/",
    "GOOGLE_AUTH_URI": "https://accounts.google.com/o/oauth2/v2/auth",
    "GOOGLE_TOKEN_URI": "https://oauth2.googleapis.com/token",
    "GOOGLE_REVOKE_URI": "https://oauth2.googleapis.com/revoke",
    "PUBLIC_BASE_URL": None,
    "GOOGLE_CLOUD_PROJECT": None,
    "SYNC_HORIZON_DAYS": "365",
    # Cloud Scheduler's OIDC token on `sync`: Google's signing certificates and the invoker.
    "GOOGLE_OIDC_CERTS_URI": "https://www.googleapis.com/oauth2/v1/certs",
    "SYNC_INVOKER_EMAIL": None,  # default: sync-scheduler@PROJECT.iam.gserviceaccount.com
    # Optional checks of the planner's bearer tokens, per deployment (unset: not checked).
    "PLANNER_JWT_MAX_LIFETIME": None,  # seconds from `iat` (or from now, without one) to `exp`
    "PLANNER_JWT_ISSUER": None,        # the `iss` every token must carry
    "PLANNER_JWT_AUDIENCE": None,      # a value `aud` must hold
    # Change-driven sync on Cloud Tasks (unset SYNC_QUEUE: `sync` syncs every link itself)
    "SYNC_QUEUE": None,                # projects/P/locations/L/queues/Q: one task per link
    "CLOUD_TASKS_API_ENDPOINT": None,  # a local Cloud Tasks API (devtools); unset: Google's
    "SYNC_TASKS_INVOKER_EMAIL": None,  # default: sync-tasks@PROJECT.iam.gserviceaccount.com
    "SYNC_POLL_MINUTES": "5",          # the backstop: every link is checked this often (divides 60)
    "SYNC_DEBOUNCE_SECONDS": "2",      # planner writes within this window are one sync
    # Google push notifications (unset GOOGLE_PUSH_URL: no channels, every link polls as above)
    "GOOGLE_PUSH_URL": None,           # the public HTTPS URL of the google_push function
    "SYNC_PUSH_POLL_MINUTES": "60",    # the backstop of a link whose channel is healthy (divides 60)
    "GOOGLE_PUSH_TTL_SECONDS": "604800",  # the lifetime asked for a channel (Google's default: 7 days)
}
REQUIRED_ENV = ("PUBLIC_BASE_URL",)
SECRET_NAMES = ("oauth-client", "token-key", "planner-jwt-key")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it and says what to do."""


def _url(env: Mapping[str, str], name: str, trailing_slash: bool = False) -> str:
    value = env.get(name) or ENV_DEFAULTS[name]
    if not value:
        raise ConfigError(f"{name} is not set: it must be the public URL of the functions, "
                          "e.g. https://europe-west3-PROJECT.cloudfunctions.net")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={value!r} is not an http(s) URL")
    if trailing_slash and not value.endswith("/"):
        value += "/"
    return value.rstrip("/") if not trailing_slash else value


@dataclass(frozen=True)
class PlannerTokenRules:
    """What a deployment may demand of the planner's bearer tokens beyond API.md; all off by
    default. A token that lives longer than `max_lifetime` seconds (from its `iat`, or from now
    when it has none, to its `exp`), lacks the `issuer` as `iss`, or the `audience` in `aud`, is
    refused."""

    max_lifetime: int | None = None
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PlannerTokenRules:
        raw = (env.get("PLANNER_JWT_MAX_LIFETIME") or "").strip()
        lifetime = None
        if raw:
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 10 * 365 * 86400:
                raise ConfigError(f"PLANNER_JWT_MAX_LIFETIME={raw!r} must be a whole number of seconds "
                                  "from 1 to 315360000 (ten years), or unset for no limit")
            lifetime = int(raw)
        return cls(lifetime, (env.get("PLANNER_JWT_ISSUER") or "").strip() or None,
                   (env.get("PLANNER_JWT_AUDIENCE") or "").strip() or None)


def _whole(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = env.get(name) or ENV_DEFAULTS[name] or ""
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} must be between {low} and {high}")
    return value


def _divisor_of_hour(env: Mapping[str, str], name: str) -> int:
    minutes = _whole(env, name, 1, 60)
    if 60 % minutes:
        raise ConfigError(f"{name}={minutes} must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)")
    return minutes


@dataclass(frozen=True)
class TaskSettings:
    """Cloud Tasks: the queue of link tasks, who may call the worker, when links are due."""

    queue: str | None = None
    api_endpoint: str | None = None
    invoker: str | None = None
    poll_minutes: int = 5
    debounce_seconds: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TaskSettings:
        queue = (env.get("SYNC_QUEUE") or "").strip() or None
        if queue is not None and not re.fullmatch(r"projects/[^/]+/locations/[^/]+/queues/[^/]+", queue):
            raise ConfigError(f"SYNC_QUEUE={queue!r} must be projects/PROJECT/locations/REGION/queues/NAME")
        poll = _divisor_of_hour(env, "SYNC_POLL_MINUTES")
        project = env.get("GOOGLE_CLOUD_PROJECT")
        return cls(
            queue=queue,
            api_endpoint=(env.get("CLOUD_TASKS_API_ENDPOINT") or "").strip() or None,
            invoker=env.get("SYNC_TASKS_INVOKER_EMAIL") or (
                f"sync-tasks@{project}.iam.gserviceaccount.com" if project else None),
            poll_minutes=poll,
            debounce_seconds=_whole(env, "SYNC_DEBOUNCE_SECONDS", 1, 60),
        )


@dataclass(frozen=True)
class PushSettings:
    """Google push notifications: where Google posts them, how long a channel is asked to live,
    when it is renewed, and how often a link with a healthy channel is still polled."""

    url: str | None = None
    poll_minutes: int = 60
    ttl_seconds: int = 604_800
    renew_fraction: float = 0.8  # a new channel replaces the old one at 80 % of its life

    @property
    def enabled(self) -> bool:
        return self.url is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PushSettings:
        url = (env.get("GOOGLE_PUSH_URL") or "").strip() or None
        if url is not None:
            url = _url({"GOOGLE_PUSH_URL": url}, "GOOGLE_PUSH_URL")
        return cls(url=url, poll_minutes=_divisor_of_hour(env, "SYNC_PUSH_POLL_MINUTES"),
                   ttl_seconds=_whole(env, "GOOGLE_PUSH_TTL_SECONDS", 3600, 30 * 86_400))


@dataclass(frozen=True)
class Settings:
    google_api_root: str
    google_auth_uri: str
    google_token_uri: str
    google_revoke_uri: str
    public_base_url: str
    project: str | None
    sync_horizon_days: int
    google_oidc_certs_uri: str = "https://www.googleapis.com/oauth2/v1/certs"
    sync_invoker: str | None = None
    planner_token: PlannerTokenRules = PlannerTokenRules()
    tasks: TaskSettings = TaskSettings()
    push: PushSettings = PushSettings()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        horizon_raw = env.get("SYNC_HORIZON_DAYS") or ENV_DEFAULTS["SYNC_HORIZON_DAYS"] or ""
        try:
            horizon = int(horizon_raw)
        except ValueError:
            raise ConfigError(f"SYNC_HORIZON_DAYS={horizon_raw!r} is not a whole number of days") from None
        if not 1 <= horizon <= 3650:
            raise ConfigError(f"SYNC_HORIZON_DAYS={horizon} must be between 1 and 3650")
        return cls(
            google_api_root=_url(env, "GOOGLE_API_ROOT", trailing_slash=True),
            google_auth_uri=_url(env, "GOOGLE_AUTH_URI"),
            google_token_uri=_url(env, "GOOGLE_TOKEN_URI"),
            google_revoke_uri=_url(env, "GOOGLE_REVOKE_URI"),
            public_base_url=_url(env, "PUBLIC_BASE_URL"),
            project=env.get("GOOGLE_CLOUD_PROJECT") or None,
            sync_horizon_days=horizon,
            google_oidc_certs_uri=_url(env, "GOOGLE_OIDC_CERTS_URI"),
            sync_invoker=env.get("SYNC_INVOKER_EMAIL") or (
                f"sync-scheduler@{env['GOOGLE_CLOUD_PROJECT']}.iam.gserviceaccount.com"
                if env.get("GOOGLE_CLOUD_PROJECT") else None),
            planner_token=PlannerTokenRules.from_env(env),
            tasks=TaskSettings.from_env(env),
            push=PushSettings.from_env(env),
        )

    @property
    def calendar_endpoint(self) -> str:
        return self.google_api_root + "calendar/v3/"

    @property
    def batch_uri(self) -> str:
        return self.google_api_root + "batch/calendar/v3"

    @property
    def redirect_uri(self) -> str:
        return self.public_base_url + "/oauth_callback"

    @property
    def sync_audience(self) -> str:
        """The audience Cloud Scheduler puts into its OIDC token: the URL it calls."""
        return self.public_base_url + "/sync"

    @property
    def sync_link_url(self) -> str:
        """The worker a link's task calls; also the audience of the task's OIDC token."""
        return self.public_base_url + "/sync_link"


@dataclass(frozen=True)
class OAuthClientConfig:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class KeyVersion:
    key_id: str
    key: bytes


def secret_env_name(name: str) -> str:
    return "SECRET_" + name.upper().replace("-", "_")


class Secrets:
    """Secret values by name: the environment override first, else Secret Manager (cached)."""

    def __init__(self, project: str | None, env: Mapping[str, str] | None = None,
                 client_factory: Callable[[], Any] | None = None) -> None:
        self._project = project
        self._env = os.environ if env is None else env
        self._client_factory = client_factory or _secret_manager_client
        self._cache: dict[str, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def versions(self, name: str) -> list[tuple[str, str]]:
        """(version id, value) of every enabled version, newest first."""
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self._load(name)
            return self._cache[name]

    def get(self, name: str) -> str:
        return self.versions(name)[0][1]

    def _load(self, name: str) -> list[tuple[str, str]]:
        override = self._env.get(secret_env_name(name))
        if override is not None:
            if not override.strip():
                raise ConfigError(f"{secret_env_name(name)} is set but empty")
            return _parse_override(override)
        if not self._project:
            raise ConfigError(f"secret {name!r}: set {secret_env_name(name)} or GOOGLE_CLOUD_PROJECT "
                              "so it can be read from Secret Manager")
        return self._from_secret_manager(name)

    def _from_secret_manager(self, name: str) -> list[tuple[str, str]]:
        client = self._client_factory()
        parent = f"projects/{self._project}/secrets/{name}"
        enabled = [v.name for v in client.list_secret_versions(
            request={"parent": parent, "filter": "state:ENABLED"})]
        enabled.sort(key=lambda n: int(n.rsplit("/", 1)[1]), reverse=True)
        if not enabled:
            raise ConfigError(f"secret {name!r} has no enabled version in project {self._project}")
        out = []
        for version_name in enabled:
            payload = client.access_secret_version(request={"name": version_name}).payload.data
            out.append((version_name.rsplit("/", 1)[1], payload.decode("utf-8")))
        return out

    # Typed views -----------------------------------------------------------------------------

    def oauth_client(self) -> OAuthClientConfig:
        raw = self.get("oauth-client")
        try:
            data = json.loads(raw)
            section = data.get("web") or data.get("installed")
            return OAuthClientConfig(section["client_id"], section["client_secret"])
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ConfigError("secret 'oauth-client' must be the OAuth client JSON from the Cloud "
                              'Console: {"web": {"client_id": ..., "client_secret": ...}}') from None

    def token_keys(self) -> list[KeyVersion]:
        """Every enabled `token-key` version, newest (the one that encrypts) first."""
        keys = []
        for key_id, value in self.versions("token-key"):
            try:
                key = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != 32:
                raise ConfigError(f"secret 'token-key' version {key_id} must be base64 of 32 random "
                                  "bytes (e.g. `head -c32 /dev/urandom | base64`)")
            keys.append(KeyVersion(key_id, key))
        return keys

    def jwt_key(self) -> bytes:
        return self.get("planner-jwt-key").encode("utf-8")


def _parse_override(value: str) -> list[tuple[str, str]]:
    """`SECRET_X=value`, or several versions newest first: `SECRET_X=2:value2,1:value1`."""
    if "," not in value and not value.split(":", 1)[0].isdigit():
        return [("env", value)]
    out = []
    for item in value.split(","):
        key_id, sep, secret = item.strip().partition(":")
        if not sep or not key_id.isdigit() or not secret:
            return [("env", value)]
        out.append((key_id, secret))
    return out


def _secret_manager_client() -> Any:
    from google.cloud import secretmanager

    return secretmanager.SecretManagerServiceClient()


@cache
def get_settings() -> Settings:
    return Settings.from_env()


@cache
def get_secrets() -> Secrets:
    return Secrets(get_settings().project)
