"""Who is calling, and may they do this? The one place that decides (API.md, "Authentication").

Bearer JWT, HS256 with the `planner-jwt-key` secret (its UTF-8 bytes). Roles:
- `planner`: the planner backend itself, every branch and resource;
- `admin`: any resource of its `branch_id`;
- `employee`: only its `resource_ids` within its `branch_id`, and only the link actions
  (consent, calendar choice, status, revoke) and reading its resource;
- `scheduler`: Cloud Scheduler's OIDC token, accepted by `sync` only (`authenticate_sync`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jwt
from google.auth.exceptions import GoogleAuthError
from google.auth.transport import requests as google_requests
from google.oauth2 import id_token

from functions.config import PlannerTokenRules, Settings
from functions.errors import Forbidden, Unauthenticated
from functions.validation import is_text

log = logging.getLogger(__name__)
ROLES = ("planner", "admin", "employee")
OIDC_CLOCK_SKEW = 10  # seconds


class Action(Enum):
    """What a caller wants to do; the matrix below says who may."""

    MANAGE_BRANCH = "manage_branch"        # PUT branch, PUT resource
    READ_BRANCH = "read_branch"            # GET branch, list resources
    READ_RESOURCE = "read_resource"        # GET resource
    MANAGE_LINK = "manage_link"            # consent, calendars, link, status, revoke, audit
    APPOINTMENTS = "appointments"          # planner-side appointment API, changes feed
    SYNC = "sync"                          # trigger a sync run
    DECIDE_MASS_CHANGE = "decide_mass_change"  # a held-back mass change: review, apply, restore


EMPLOYEE_ACTIONS = frozenset({Action.READ_RESOURCE, Action.MANAGE_LINK})
ADMIN_ACTIONS = frozenset({Action.MANAGE_BRANCH, Action.READ_BRANCH, Action.READ_RESOURCE,
                           Action.MANAGE_LINK, Action.DECIDE_MASS_CHANGE})


@dataclass(frozen=True)
class Caller:
    sub: str
    role: str
    branch_id: str | None
    resource_ids: frozenset[str]


def _bearer(authorization: str | None) -> str | None:
    match = re.fullmatch(r"Bearer\s+(\S+)", (authorization or "").strip(), flags=re.IGNORECASE)
    return match.group(1) if match else None


NO_RULES = PlannerTokenRules()


def authenticate(authorization: str | None, key: bytes, rules: PlannerTokenRules = NO_RULES) -> Caller:
    """The caller of a request from its `Authorization` header, or 401. `rules`: what this
    deployment demands beyond API.md (lifetime, `iss`, `aud`; see config.PlannerTokenRules)."""
    token = _bearer(authorization)
    if token is None:
        raise Unauthenticated()
    required = ["exp", "sub", "role"]  # and `iss` when an issuer is set: PyJWT demands it itself
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], issuer=rules.issuer, audience=rules.audience,
                            options={"require": required})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token_expired") from None
    except jwt.InvalidIssuerError:
        raise Unauthenticated("token_issuer") from None
    except jwt.InvalidAudienceError:
        raise Unauthenticated("token_audience") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthenticated("token_claim_missing", claim=exc.claim) from None
    except jwt.PyJWTError:
        raise Unauthenticated("token_invalid") from None
    _check_lifetime(claims, rules.max_lifetime)
    role, branch, resources = claims.get("role"), claims.get("branch_id"), claims.get("resource_ids", [])
    if not is_text(claims["sub"]):
        raise Unauthenticated("token_sub")
    if role not in ROLES:
        raise Unauthenticated("token_role")
    if role != "planner" and not is_text(branch):
        raise Unauthenticated("token_branch")
    if not isinstance(resources, list) or not all(is_text(r) for r in resources):
        raise Unauthenticated("token_resource_ids")
    return Caller(claims["sub"], role, branch, frozenset(resources))


def _check_lifetime(claims: dict, max_lifetime: int | None) -> None:
    if max_lifetime is None:
        return
    issued = int(claims.get("iat", time.time()))  # PyJWT checked both: numbers, iat not ahead
    if int(claims["exp"]) - issued > max_lifetime:
        raise Unauthenticated("token_lifetime", max_seconds=max_lifetime)


GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


def _google_oidc(token: str, audience: str, invoker: str | None, settings: Settings,
                 not_invoker: str) -> dict[str, Any]:
    """A Google-signed OIDC ID token (RS256) for `audience`, of the service account `invoker`
    (else 401 with the message `not_invoker`, which names the one expected)."""
    try:
        # a little clock skew: the token's `iat` is the signer's clock (seen: "Token used too
        # early" by a fraction of a second when the signer's second ticked first)
        claims = id_token.verify_token(token, google_requests.Request(), audience=audience,
                                       certs_url=settings.google_oidc_certs_uri,
                                       clock_skew_in_seconds=OIDC_CLOCK_SKEW)
    except (ValueError, GoogleAuthError) as exc:
        log.warning("OIDC token refused", extra={"reason": type(exc).__name__ + ": " + str(exc)[:200]})
        raise Unauthenticated("oidc_invalid") from None
    if (claims.get("iss") not in GOOGLE_ISSUERS or not claims.get("email_verified")
            or not invoker or claims.get("email") != invoker):
        raise Unauthenticated(not_invoker)
    return claims


def _rs256(token: str | None) -> bool:
    try:
        return token is not None and jwt.get_unverified_header(token).get("alg") == "RS256"
    except jwt.PyJWTError:
        return False


def authenticate_sync(authorization: str | None, key: bytes, settings: Settings) -> Caller:
    """`sync` also accepts Cloud Scheduler's Google-signed OIDC token (RS256): audience and
    invoker service account are checked. Anything else goes through `authenticate`."""
    token = _bearer(authorization)
    if token is None or not _rs256(token):
        return authenticate(authorization, key, settings.planner_token)
    claims = _google_oidc(token, settings.sync_audience, settings.sync_invoker, settings,
                          "oidc_scheduler")
    return Caller(claims["email"], "scheduler", None, frozenset())


def authenticate_task(authorization: str | None, settings: Settings) -> Caller:
    """`sync_link` is called by Cloud Tasks only: the OIDC token of the tasks service account,
    for the worker's own URL (nothing else, not even a planner token)."""
    token = _bearer(authorization)
    if token is None or not _rs256(token):
        raise Unauthenticated("oidc_queue_only")
    claims = _google_oidc(token, settings.sync_link_url, settings.tasks.invoker, settings,
                          "oidc_queue")
    return Caller(claims["email"], "scheduler", None, frozenset())


def authorize(caller: Caller, action: Action, branch_id: str, resource_id: str | None = None) -> None:
    """Raise 403 unless `caller` may do `action` on the branch (and resource)."""
    if caller.role == "planner" or (caller.role == "scheduler" and action is Action.SYNC):
        return
    if caller.branch_id != branch_id:
        raise Forbidden("other_branch")
    if caller.role == "admin" and action in ADMIN_ACTIONS:
        return
    if (caller.role == "employee" and action in EMPLOYEE_ACTIONS
            and resource_id is not None and resource_id in caller.resource_ids):
        return
    raise Forbidden()
