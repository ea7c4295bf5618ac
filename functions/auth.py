"""Who is calling, and may they do this? The one place that decides (API.md, "Authentication").

Bearer JWT, HS256 with the `planner-jwt-key` secret (its UTF-8 bytes). Roles:
- `planner`: the planner backend itself, every branch and resource;
- `admin`: any resource of its `branch_id`;
- `employee`: only its `resource_ids` within its `branch_id`, and only the link actions
  (consent, calendar choice, status, revoke) and reading its resource;
- `scheduler`: Cloud Scheduler's OIDC token, accepted by `sync` only (`authenticate_sync`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import jwt
from google.auth.exceptions import GoogleAuthError
from google.auth.transport import requests as google_requests
from google.oauth2 import id_token

from functions.config import Settings
from functions.errors import Forbidden, Unauthenticated

ROLES = ("planner", "admin", "employee")


class Action(Enum):
    """What a caller wants to do; the matrix below says who may."""

    MANAGE_BRANCH = "manage_branch"        # PUT branch, PUT resource
    READ_BRANCH = "read_branch"            # GET branch, list resources
    READ_RESOURCE = "read_resource"        # GET resource
    MANAGE_LINK = "manage_link"            # consent, calendars, link, status, revoke, audit
    APPOINTMENTS = "appointments"          # planner-side appointment API, changes feed
    SYNC = "sync"                          # trigger a sync run


EMPLOYEE_ACTIONS = frozenset({Action.READ_RESOURCE, Action.MANAGE_LINK})
ADMIN_ACTIONS = frozenset({Action.MANAGE_BRANCH, Action.READ_BRANCH, Action.READ_RESOURCE,
                           Action.MANAGE_LINK})


@dataclass(frozen=True)
class Caller:
    sub: str
    role: str
    branch_id: str | None
    resource_ids: frozenset[str]


def _bearer(authorization: str | None) -> str | None:
    match = re.fullmatch(r"Bearer\s+(\S+)", (authorization or "").strip(), flags=re.IGNORECASE)
    return match.group(1) if match else None


def authenticate(authorization: str | None, key: bytes) -> Caller:
    """The caller of a request from its `Authorization` header, or 401."""
    token = _bearer(authorization)
    if token is None:
        raise Unauthenticated()
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"],
                            options={"require": ["exp", "sub", "role"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The bearer token has expired.") from None
    except jwt.PyJWTError:
        raise Unauthenticated("The bearer token is not valid.") from None
    role, branch, resources = claims.get("role"), claims.get("branch_id"), claims.get("resource_ids", [])
    if role not in ROLES or not isinstance(claims["sub"], str):
        raise Unauthenticated("The bearer token has an unknown role.")
    if role != "planner" and not isinstance(branch, str):
        raise Unauthenticated("The bearer token lacks its branch_id.")
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise Unauthenticated("The bearer token's resource_ids must be a list of strings.")
    return Caller(claims["sub"], role, branch, frozenset(resources))


GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


def authenticate_sync(authorization: str | None, key: bytes, settings: Settings) -> Caller:
    """`sync` also accepts Cloud Scheduler's Google-signed OIDC token (RS256): audience and
    invoker service account are checked. Anything else goes through `authenticate`."""
    token = _bearer(authorization)
    try:
        algorithm = jwt.get_unverified_header(token).get("alg") if token else None
    except jwt.PyJWTError:
        algorithm = None
    if token is None or algorithm != "RS256":
        return authenticate(authorization, key)
    try:
        claims = id_token.verify_token(token, google_requests.Request(),
                                       audience=settings.sync_audience,
                                       certs_url=settings.google_oidc_certs_uri)
    except (ValueError, GoogleAuthError):
        raise Unauthenticated("The OIDC token is not valid for this function.") from None
    if (claims.get("iss") not in GOOGLE_ISSUERS or not claims.get("email_verified")
            or not settings.sync_invoker or claims.get("email") != settings.sync_invoker):
        raise Unauthenticated("The OIDC token is not from the sync scheduler's service account.")
    return Caller(claims["email"], "scheduler", None, frozenset())


def authorize(caller: Caller, action: Action, branch_id: str, resource_id: str | None = None) -> None:
    """Raise 403 unless `caller` may do `action` on the branch (and resource)."""
    if caller.role == "planner" or (caller.role == "scheduler" and action is Action.SYNC):
        return
    if caller.branch_id != branch_id:
        raise Forbidden("This token is for another branch.")
    if caller.role == "admin" and action in ADMIN_ACTIONS:
        return
    if (caller.role == "employee" and action in EMPLOYEE_ACTIONS
            and resource_id is not None and resource_id in caller.resource_ids):
        return
    raise Forbidden()
