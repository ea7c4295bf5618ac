"""The confirmation a consumer Google account (gmail.com) needs before its calendar shows more
than "Belegt" (issue 13, item 7; the pure rules are in sync/privacy.py).

Asked for in two places, both before anything is written: raising a resource's privacy while
its consent is with a consumer account (PUT resource), and linking a calendar of a consumer
account to a resource whose privacy is above busy (POST /links). The request confirms with
`confirm_consumer_account: true`; who, when and which account is kept on the link and audited.
"""

from __future__ import annotations

from typing import Any

from functions.auth import Caller
from functions.context import Context
from functions.domain import Link, LinkStatus
from functions.errors import Conflict, Forbidden
from functions.sync import privacy

# the roles that may confirm for the practice (an employee asks the administration)
CONFIRMING_ROLES = ("admin", "planner")


def holds_consent(link: Link) -> bool:
    return bool(link.account_email) and link.status not in (LinkStatus.NONE, LinkStatus.REVOKED)


def confirmation_for(ctx: Context, caller: Caller, link: Link, old: str | None, new: str,
                     confirm: bool) -> dict[str, Any] | None:
    """The confirmation to record (None: none needed, or one is recorded already), or a 409
    when the request raises the level above busy for a consumer account without confirming."""
    if not holds_consent(link) or not privacy.needs_confirmation(new, link.account_email,
                                                                  link.consumer_confirmation):
        return None
    if not confirm:
        if old is not None and not privacy.raises(old, new):
            return None  # not raised: the sync keeps showing only "Belegt" until confirmed
        raise Conflict("consumer_account_confirmation", "consumer_account_confirmation",
                       account_email=link.account_email, privacy=new)
    if caller.role not in CONFIRMING_ROLES:
        raise Forbidden("consumer_account_admin_only")
    return {"account_email": link.account_email, "actor": caller.sub, "role": caller.role,
            "at": ctx.now(), "privacy": new}


def audit(ctx: Context, caller: Caller, link: Link, confirmation: dict[str, Any]) -> None:
    ctx.store.audit(link.branch_id, link.resource_id, caller.sub, caller.role, "consumer_account_confirmed",
                    {"account_email": confirmation["account_email"], "privacy": confirmation["privacy"]})
