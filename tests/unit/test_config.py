"""Settings and secrets: defaults, overrides, clear errors naming the setting."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from functions.config import ENV_DEFAULTS, SECRET_NAMES, ConfigError, Secrets, Settings, secret_env_name

BASE = {"PUBLIC_BASE_URL": "https://fn.example.test"}


def test_defaults_are_googles_production_values() -> None:
    s = Settings.from_env(BASE)
    assert s.calendar_endpoint == "https://www.googleapis.com/calendar/v3/"
    assert s.batch_uri == "https://www.googleapis.com/batch/calendar/v3"
    assert s.google_token_uri == "https://oauth2.googleapis.com/token"
    assert s.redirect_uri == "https://fn.example.test/oauth_callback"
    assert s.sync_horizon_days == 365


def test_local_roots_get_their_trailing_slash() -> None:
    s = Settings.from_env({**BASE, "GOOGLE_API_ROOT": "http://127.0.0.1:8089"})
    assert s.calendar_endpoint == "http://127.0.0.1:8089/calendar/v3/"


@pytest.mark.parametrize(("env", "named"), [
    ({}, "PUBLIC_BASE_URL"),
    ({**BASE, "SYNC_HORIZON_DAYS": "a year"}, "SYNC_HORIZON_DAYS"),
    ({**BASE, "SYNC_HORIZON_DAYS": "0"}, "SYNC_HORIZON_DAYS"),
    ({**BASE, "GOOGLE_TOKEN_URI": "oauth2.googleapis.com/token"}, "GOOGLE_TOKEN_URI"),
])
def test_missing_or_malformed_setting_is_named(env: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_every_secret_has_an_env_override_name() -> None:
    assert [secret_env_name(n) for n in SECRET_NAMES] == [
        "SECRET_OAUTH_CLIENT", "SECRET_TOKEN_KEY", "SECRET_PLANNER_JWT_KEY"]
    assert "PUBLIC_BASE_URL" in ENV_DEFAULTS


def test_env_override_wins_and_parses_key_versions() -> None:
    k2, k1 = base64.b64encode(b"2" * 32).decode(), base64.b64encode(b"1" * 32).decode()
    secrets = Secrets(None, env={
        "SECRET_TOKEN_KEY": f"2:{k2},1:{k1}",
        "SECRET_OAUTH_CLIENT": json.dumps({"web": {"client_id": "cid", "client_secret": "cs"}}),
        "SECRET_PLANNER_JWT_KEY": "shared, with: punctuation",
    })
    keys = secrets.token_keys()
    assert [(k.key_id, k.key) for k in keys] == [("2", b"2" * 32), ("1", b"1" * 32)]
    assert secrets.oauth_client().client_id == "cid"
    assert secrets.jwt_key() == b"shared, with: punctuation"


@pytest.mark.parametrize(("env", "message"), [
    ({}, "SECRET_TOKEN_KEY or GOOGLE_CLOUD_PROJECT"),
    ({"SECRET_TOKEN_KEY": "dG9vIHNob3J0"}, "32 random bytes"),
    ({"SECRET_TOKEN_KEY": "  "}, "empty"),
])
def test_bad_token_key_is_a_clear_error(env: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Secrets(None, env=env).token_keys()


def test_bad_oauth_client_json_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="oauth-client"):
        Secrets(None, env={"SECRET_OAUTH_CLIENT": "{}"}).oauth_client()


class FakeSecretManager:
    """Stands in for the Secret Manager client (no emulator exists for it): records calls."""

    def __init__(self, versions: dict[str, str]) -> None:
        self.versions, self.calls = versions, 0

    def list_secret_versions(self, request: dict) -> list:
        self.calls += 1
        return [SimpleNamespace(name=f"{request['parent']}/versions/{v}") for v in self.versions]

    def access_secret_version(self, request: dict) -> SimpleNamespace:
        self.calls += 1
        version = request["name"].rsplit("/", 1)[1]
        return SimpleNamespace(payload=SimpleNamespace(data=self.versions[version].encode()))


def test_secret_manager_is_read_lazily_once_newest_first() -> None:
    fake = FakeSecretManager({"1": "old", "10": "newest", "3": "mid"})
    created = []
    secrets = Secrets("proj", env={}, client_factory=lambda: created.append(1) or fake)
    assert created == []  # lazy: no client before the first read
    assert secrets.get("planner-jwt-key") == "newest"
    assert [v for v, _ in secrets.versions("planner-jwt-key")] == ["10", "3", "1"]
    calls = fake.calls
    secrets.get("planner-jwt-key")
    assert fake.calls == calls  # cached
