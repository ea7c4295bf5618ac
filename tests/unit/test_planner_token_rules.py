"""Issue 12 (4): a deployment may demand more of the planner's tokens than API.md does — a
maximum lifetime, an `iss`, an `aud` — each off by default; and claims must be text."""

from __future__ import annotations

import time

import jwt
import pytest

from functions.auth import authenticate
from functions.config import ConfigError, PlannerTokenRules, Settings
from functions.errors import Unauthenticated

KEY = b"shared-planner-key-32-bytes-long"
ADMIN = {"sub": "a", "role": "admin", "branch_id": "b1"}
ENV = {"PUBLIC_BASE_URL": "https://functions.example"}


def bearer(claims: dict, ttl: int = 60) -> str:
    now = int(time.time())
    return "Bearer " + jwt.encode({"exp": now + ttl, **claims}, KEY, algorithm="HS256")


def test_by_default_any_lifetime_issuer_and_no_audience_are_accepted() -> None:
    assert authenticate(bearer(ADMIN, ttl=10 * 365 * 86400), KEY).sub == "a"
    assert authenticate(bearer({**ADMIN, "iss": "anyone"}), KEY).sub == "a"
    assert Settings.from_env(ENV).planner_token == PlannerTokenRules()


def test_a_maximum_lifetime_counts_from_iat_to_exp() -> None:
    rules = PlannerTokenRules(max_lifetime=3600)
    now = int(time.time())
    assert authenticate(bearer({**ADMIN, "iat": now}, ttl=3600), KEY, rules).sub == "a"
    assert authenticate(bearer({**ADMIN, "iat": now - 3000}, ttl=600), KEY, rules).sub == "a"
    for claims, ttl in [({**ADMIN, "iat": now}, 3601), ({**ADMIN, "iat": now - 3600}, 60)]:
        with pytest.raises(Unauthenticated, match="at most 3600 seconds"):
            authenticate(bearer(claims, ttl), KEY, rules)


def test_without_iat_the_lifetime_left_counts() -> None:
    rules = PlannerTokenRules(max_lifetime=3600)
    assert authenticate(bearer(ADMIN, ttl=3500), KEY, rules).sub == "a"
    with pytest.raises(Unauthenticated, match="lives longer"):
        authenticate(bearer(ADMIN, ttl=30 * 86400), KEY, rules)


def test_an_issuer_once_configured_is_required() -> None:
    rules = PlannerTokenRules(issuer="https://planner.example")
    assert authenticate(bearer({**ADMIN, "iss": "https://planner.example"}), KEY, rules).sub == "a"
    with pytest.raises(Unauthenticated, match="issuer"):
        authenticate(bearer({**ADMIN, "iss": "https://other.example"}), KEY, rules)
    with pytest.raises(Unauthenticated, match="'iss'"):
        authenticate(bearer(ADMIN), KEY, rules)


def test_an_audience_once_configured_is_required() -> None:
    rules = PlannerTokenRules(audience="calendar-bridge")
    assert authenticate(bearer({**ADMIN, "aud": "calendar-bridge"}), KEY, rules).sub == "a"
    assert authenticate(bearer({**ADMIN, "aud": ["billing", "calendar-bridge"]}), KEY, rules).sub == "a"
    with pytest.raises(Unauthenticated, match="audience"):
        authenticate(bearer({**ADMIN, "aud": "billing"}), KEY, rules)
    with pytest.raises(Unauthenticated, match="'aud'"):
        authenticate(bearer(ADMIN), KEY, rules)


def test_the_rules_come_from_the_environment() -> None:
    env = ENV | {"PLANNER_JWT_MAX_LIFETIME": "900", "PLANNER_JWT_ISSUER": "https://planner.example",
                 "PLANNER_JWT_AUDIENCE": "calendar-bridge"}
    assert Settings.from_env(env).planner_token == PlannerTokenRules(900, "https://planner.example",
                                                                     "calendar-bridge")
    blank = ENV | {"PLANNER_JWT_MAX_LIFETIME": "", "PLANNER_JWT_ISSUER": " ", "PLANNER_JWT_AUDIENCE": ""}
    assert Settings.from_env(blank).planner_token == PlannerTokenRules()


@pytest.mark.parametrize("value", ["0", "-5", "1h", "3600.0", "٣٦٠٠", str(11 * 365 * 86400)])
def test_a_malformed_maximum_lifetime_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="PLANNER_JWT_MAX_LIFETIME"):
        Settings.from_env(ENV | {"PLANNER_JWT_MAX_LIFETIME": value})


@pytest.mark.parametrize("claims", [
    {**ADMIN, "sub": "a\ud800"},
    {**ADMIN, "branch_id": "b\ud800"},
    {"sub": "e", "role": "employee", "branch_id": "b1", "resource_ids": ["r\udfff"]},
])
def test_claims_with_a_lone_surrogate_are_401(claims: dict) -> None:
    # The planner signs them, but a sub such as "\ud800" was written into the audit log: a 500.
    with pytest.raises(Unauthenticated):
        authenticate(bearer(claims), KEY)
