"""The authorization matrix and bearer token checks (API.md, "Authentication")."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest

from functions.auth import Action, Caller, authenticate, authorize
from functions.errors import Forbidden, Unauthenticated

KEY = b"shared-planner-key-32-bytes-long"


def token(claims: dict, key: bytes = KEY, alg: str = "HS256") -> str:
    return "Bearer " + jwt.encode({"exp": int(time.time()) + 60, **claims}, key, algorithm=alg)


ADMIN = {"sub": "a", "role": "admin", "branch_id": "b1"}
EMPLOYEE = {"sub": "e", "role": "employee", "branch_id": "b1", "resource_ids": ["r1"]}
PLANNER = {"sub": "p", "role": "planner"}


def test_valid_tokens_name_the_caller() -> None:
    assert authenticate(token(EMPLOYEE), KEY) == Caller("e", "employee", "b1", frozenset({"r1"}))
    assert authenticate(token({**PLANNER, "iat": int(time.time())}), KEY).role == "planner"


# Tokens are minted when a test runs (lambdas), not when the module is imported: an import long
# before the run (mutmut's fork server) would otherwise hand every case an expired token.
@pytest.mark.parametrize("make_header", [
    lambda: None, lambda: "", lambda: "Basic abc", lambda: "Bearer", lambda: "Bearer not.a.jwt",
    lambda: token(ADMIN, key=b"another-key-of-thirty-two-bytes!"),
    lambda: token({**ADMIN, "exp": int(time.time()) - 5}),
    lambda: token({"role": "admin", "branch_id": "b1"}),               # no sub
    lambda: token({**ADMIN, "role": "owner"}),                         # unknown role
    lambda: token({"sub": "a", "role": "admin"}),                      # admin without branch
    lambda: token({**EMPLOYEE, "resource_ids": "r1"}),                  # not a list
    lambda: jwt.encode({**ADMIN, "exp": int(time.time()) + 60}, None, algorithm="none"),
    lambda: "Bearer " + jwt.encode({**ADMIN, "exp": int(time.time()) + 60}, KEY * 4, algorithm="HS512"),
], ids=["none", "empty", "basic", "bearer-alone", "not-a-jwt", "other-key", "expired", "no-sub",
        "unknown-role", "admin-without-branch", "resource-ids-not-a-list", "alg-none", "hs512"])
def test_bad_tokens_are_401(make_header: Callable[[], str | None]) -> None:
    header = make_header()
    if header and not header.startswith(("Bearer", "Basic")):
        header = "Bearer " + header
    with pytest.raises(Unauthenticated):
        authenticate(header, KEY)


def test_token_without_exp_is_401() -> None:
    raw = jwt.encode(ADMIN, KEY, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        authenticate("Bearer " + raw, KEY)


def caller(claims: dict) -> Caller:
    return authenticate(token(claims), KEY)


# (claims, action, branch, resource, allowed)
MATRIX = [
    (PLANNER, Action.MANAGE_BRANCH, "b9", None, True),
    (PLANNER, Action.APPOINTMENTS, "b9", "r9", True),
    (PLANNER, Action.SYNC, "b9", None, True),
    (ADMIN, Action.MANAGE_BRANCH, "b1", None, True),
    (ADMIN, Action.MANAGE_LINK, "b1", "r7", True),
    (ADMIN, Action.READ_RESOURCE, "b1", "r7", True),
    (ADMIN, Action.MANAGE_LINK, "b2", "r7", False),      # another branch
    (ADMIN, Action.MANAGE_BRANCH, "b2", None, False),
    (ADMIN, Action.APPOINTMENTS, "b1", "r7", False),     # the planner's own API
    (ADMIN, Action.SYNC, "b1", None, False),
    (EMPLOYEE, Action.MANAGE_LINK, "b1", "r1", True),
    (EMPLOYEE, Action.READ_RESOURCE, "b1", "r1", True),
    (EMPLOYEE, Action.MANAGE_LINK, "b1", "r2", False),   # someone else's resource
    (EMPLOYEE, Action.MANAGE_LINK, "b2", "r1", False),   # own id, other branch
    (EMPLOYEE, Action.MANAGE_LINK, "b1", None, False),
    (EMPLOYEE, Action.MANAGE_BRANCH, "b1", "r1", False),
    (EMPLOYEE, Action.READ_BRANCH, "b1", None, False),
]


@pytest.mark.parametrize(("claims", "action", "branch", "resource", "allowed"), MATRIX)
def test_authorization_matrix(claims: dict, action: Action, branch: str, resource: str | None,
                              allowed: bool) -> None:
    who = caller(claims)
    if allowed:
        authorize(who, action, branch, resource)
    else:
        with pytest.raises(Forbidden):
            authorize(who, action, branch, resource)


# --- found by `make mutation` ----------------------------------------------------------------

def test_the_auth_scheme_is_case_insensitive() -> None:
    # RFC 9110: "bearer", "BEARER" and "Bearer" are the same scheme.
    raw = token(ADMIN).removeprefix("Bearer ")
    for scheme in ("bearer", "BEARER", "Bearer"):
        assert authenticate(f"{scheme} {raw}", KEY).sub == "a"
    assert authenticate(f"  Bearer   {raw}  ", KEY).sub == "a"


@pytest.mark.parametrize("claims", [
    {**EMPLOYEE, "resource_ids": ["r1", 7]},                 # a list, but not of strings
    {**EMPLOYEE, "resource_ids": {"r1": True}},
    {**ADMIN, "role": "owner"},
    {**ADMIN, "role": None},
])
def test_malformed_claims_are_401(claims: dict) -> None:
    with pytest.raises(Unauthenticated):
        authenticate(token(claims), KEY)


def test_an_employee_token_without_resource_ids_opens_no_resource() -> None:
    who = authenticate(token({"sub": "e", "role": "employee", "branch_id": "b1"}), KEY)
    assert who.resource_ids == frozenset()
    with pytest.raises(Forbidden):
        authorize(who, Action.MANAGE_LINK, "b1", "r1")


@pytest.mark.parametrize("claims", [
    {**ADMIN, "exp": int(time.time()) - 5},
    {**ADMIN, "role": "owner"},
    {"sub": "a", "role": "admin"},
    {**EMPLOYEE, "resource_ids": "r1"},
])
def test_every_401_says_why_in_its_message(claims: dict) -> None:
    # The message is the API's `error.message`, a string the planner shows (openapi.yaml).
    with pytest.raises(Unauthenticated) as caught:
        authenticate(token(claims), KEY)
    assert isinstance(caught.value.message, str) and caught.value.message
    assert caught.value.message != Unauthenticated().message  # not the generic "token required"
    with pytest.raises(Unauthenticated) as caught:
        authenticate(token(ADMIN, key=b"another-key-of-thirty-two-bytes!"), KEY)
    assert isinstance(caught.value.message, str) and caught.value.message
    assert caught.value.message != Unauthenticated().message  # not the generic "token required"


def test_an_expired_token_is_told_apart_from_a_forged_one() -> None:
    # The planner backend renews an expired token; a forged one is an incident.
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate(token({**ADMIN, "exp": int(time.time()) - 5}), KEY)
    with pytest.raises(Unauthenticated) as caught:
        authenticate(token(ADMIN, key=b"another-key-of-thirty-two-bytes!"), KEY)
    assert "expired" not in caught.value.message


def test_a_403_for_another_branch_says_so() -> None:
    with pytest.raises(Forbidden) as caught:
        authorize(caller(ADMIN), Action.MANAGE_LINK, "b2", "r7")
    assert isinstance(caught.value.message, str) and caught.value.message != Forbidden().message
