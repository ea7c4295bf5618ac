"""The authorization matrix and bearer token checks (API.md, "Authentication")."""

from __future__ import annotations

import time

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


@pytest.mark.parametrize("header", [
    None, "", "Basic abc", "Bearer", "Bearer not.a.jwt",
    token(ADMIN, key=b"another-key-of-thirty-two-bytes!"),
    token({**ADMIN, "exp": int(time.time()) - 5}),
    token({"role": "admin", "branch_id": "b1"}),               # no sub
    token({**ADMIN, "role": "owner"}),                         # unknown role
    token({"sub": "a", "role": "admin"}),                      # admin without branch
    token({**EMPLOYEE, "resource_ids": "r1"}),                  # not a list
    jwt.encode({**ADMIN, "exp": int(time.time()) + 60}, None, algorithm="none"),
    "Bearer " + jwt.encode({**ADMIN, "exp": int(time.time()) + 60}, KEY * 4, algorithm="HS512"),
])
def test_bad_tokens_are_401(header: str | None) -> None:
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
