"""Plain values of the planner's world: branch, resource, link (and its status)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from functions import i18n
from functions.sync import privacy

RESOURCE_KINDS = ("employee", "room", "device")
CONFLICT_POLICIES = ("planner_wins", "google_wins", "newest_wins")
LANGUAGES = i18n.LANGUAGES  # of a branch: its busy label on Google and its answers' texts
PRIVACY_LEVELS = ("full", "title_only", "busy")
# A new resource's privacy unless the admin chooses another (health data: only "Belegt" and the
# time reach Google; docs/privacy.md). Resources stored with a level keep it.
DEFAULT_PRIVACY = "busy"


class LinkStatus(StrEnum):
    NONE = "none"                          # never linked
    CONSENTED = "consented"                # grant stored, no calendar chosen yet
    LINKED = "linked"                      # syncing
    THROTTLED = "throttled"                # Google's calendar usage limit hit; resumes later
    NEEDS_RECONSENT = "needs_reconsent"    # grant dead (revoked at Google, expired, scopes gone)
    CALENDAR_MISSING = "calendar_missing"  # the linked calendar was deleted at Google
    REVOKED = "revoked"                    # consent withdrawn through the planner


# What an admin reads in `last_error` when a link leaves `linked`, as keys of functions/i18n.py
# (docs/operations.md explains more).
STATUS_ERRORS = {
    LinkStatus.NEEDS_RECONSENT: "needs_reconsent",
    LinkStatus.CALENDAR_MISSING: "calendar_missing",
    LinkStatus.THROTTLED: "throttled",
}


@dataclass(frozen=True)
class Branch:
    branch_id: str
    name: str
    timezone: str
    google_sync_enabled: bool = False
    conflict_policy: str = "planner_wins"   # planner_wins | google_wins | newest_wins
    language: str = "de"                    # of the busy label on Google ("Belegt" / "Busy"), and
                                            # of the API's texts without Accept-Language (i18n.py)
    # the branch-wide change counter from before issue 10; only an instance of an older version
    # still moves it (engine.py then lists the branch's resources completely)
    appointment_seq: int = field(default=0, compare=False)

    def to_api(self) -> dict[str, Any]:
        return {"branch_id": self.branch_id, "name": self.name, "timezone": self.timezone,
                "google_sync_enabled": self.google_sync_enabled,
                "conflict_policy": self.conflict_policy, "language": self.language}


@dataclass(frozen=True)
class Resource:
    branch_id: str
    resource_id: str
    name: str
    kind: str
    privacy: str = DEFAULT_PRIVACY
    google_calendar_id: str | None = None
    # the last position in the resource's appointment change sequence (appointments_store.py)
    appointment_seq: int = field(default=0, compare=False)

    def to_api(self, link_status: LinkStatus) -> dict[str, Any]:
        return {"branch_id": self.branch_id, "resource_id": self.resource_id, "name": self.name,
                "kind": self.kind, "privacy": self.privacy,
                "google_calendar_id": self.google_calendar_id, "link_status": str(link_status)}


@dataclass
class Link:
    """A resource's connection to one Google calendar of one account, with its grant."""

    branch_id: str
    resource_id: str
    status: LinkStatus = LinkStatus.NONE
    account_email: str | None = None
    google_calendar_id: str | None = None
    google_calendar_name: str | None = None  # its summary when it was linked, for people to read
    granted_scopes: list[str] = field(default_factory=list)
    sealed_refresh_token: dict[str, str] | None = None
    last_sync_at: str | None = None        # the last run that got through: the last change
    last_checked_at: Any = None            # datetime: the last check (idle ones at most hourly)
    # why it is not syncing as it should: a message of functions/i18n.py as stored (i18n.stored),
    # or an English text stored before those; answered in the request's language (to_api)
    last_error: dict[str, Any] | str | None = None
    clearing: dict[str, Any] | None = None  # resumable wipe: {calendar_id, deleted}
    # sync bookkeeping (engine.py)
    sync_token: str | None = None          # Google's nextSyncToken of the last complete run
    resource_cursor: int | None = None     # the position in the resource's appointment changes
                                           # seen by the last run; None: list it completely
    planner_cursor: int = 0                # the branch's old (pre issue 10) counter seen then
    full_sync_next: bool = True            # list both sides completely next run
    last_full_sync_at: Any = None          # datetime of the last complete listing (daily)
    reproject: bool = False                # rewrite every event next run (the busy label changed)
    throttled_until: Any = None            # datetime: no calls before (quotaExceeded)
    blocked: dict[str, Any] | None = None  # the circuit breaker's finding, until forced
    lease_owner: str | None = None         # the run working on this link now
    lease_until: Any = None                # datetime: a crashed run's lease expires
    # which account and calendar the stored item states describe: a new consent or a relink to
    # the same pair keeps them (the phone's changes in between then reach the planner)
    items_of: dict[str, str] | None = None
    # items that cannot be synced (cannot be mapped, or Google refused the write), by appointment
    # id: {reason, since}; retried when the item changes and at the daily complete listing
    quarantine: dict[str, Any] | None = None
    consented_at: Any = None  # datetime of the grant's consent (a Testing app's dies 7 days later)
    # deletions the runs of the last hour applied, [{at, google, planner}] (sync/breaker.py)
    recent_deletions: list[dict[str, Any]] | None = None
    # Google push (services/push.py): the link's current channel and whether it is healthy.
    # `push` decides the backstop: true moves the link's minute from `poll_bucket` (every
    # SYNC_POLL_MINUTES) to `push_bucket` (every SYNC_PUSH_POLL_MINUTES); the store writes both.
    push: bool = False
    channel_id: str | None = None
    channel_opened_at: Any = None          # datetime
    channel_expires_at: Any = None         # datetime: Google's `expiration`
    channel_confirmed: bool = False        # its first notification arrived with the right token
    push_retry_at: Any = None              # datetime: Google refused a watch; no new try before
    # A consumer account (gmail.com) may show more than "Belegt" only with this record of who
    # confirmed it for which account: {account_email, actor, role, at} (sync/privacy.py)
    consumer_confirmation: dict[str, Any] | None = None

    def clear_channel(self) -> None:
        """The channel is stopped or given up: poll at the normal interval again."""
        self.push, self.channel_id, self.channel_confirmed = False, None, False
        self.channel_opened_at = self.channel_expires_at = self.push_retry_at = None

    def reset_sync(self) -> None:
        """A new calendar or a new grant: start over with a full listing of both sides."""
        self.sync_token, self.planner_cursor, self.full_sync_next = None, 0, True
        self.resource_cursor = None
        self.last_full_sync_at, self.reproject = None, False
        self.throttled_until, self.blocked, self.lease_owner, self.lease_until = None, None, None, None
        self.quarantine = None
        self.recent_deletions = None

    @property
    def link_id(self) -> str:
        return link_id(self.branch_id, self.resource_id)

    def to_api(self, lang: str | None = None) -> dict[str, Any]:
        """What the API answers of the link; `last_error` in `lang` (default: the request's),
        with its key as `last_error_code`."""
        out: dict[str, Any] = {"status": str(self.status)}
        for key in ("google_calendar_id", "google_calendar_name", "account_email", "last_sync_at",
                    "last_checked_at"):
            value = getattr(self, key)
            if value is not None:
                out[key] = _iso(value)
        error = i18n.stored_text(self.last_error, lang)
        if error is not None:
            out["last_error"] = error
            code = i18n.stored_key(self.last_error)
            if code is not None:
                out["last_error_code"] = code
        if self.blocked:  # its deletions by id: GET .../mass-change lists them
            out["blocked"] = {k: v for k, v in self.blocked.items() if k != "deletions"}
        if self.status in (LinkStatus.LINKED, LinkStatus.THROTTLED):
            out["push"] = {"active": bool(self.push), "expires_at": (
                self.channel_expires_at.isoformat() if self.channel_id and self.channel_expires_at
                else None)}
        if self.account_email:
            out["consumer_account"] = privacy.is_consumer_account(self.account_email)
        if privacy.confirmed_for(self.consumer_confirmation, self.account_email):
            assert self.consumer_confirmation is not None
            c = self.consumer_confirmation
            out["consumer_confirmation"] = {"account_email": c["account_email"], "actor": c.get("actor"),
                                            "at": _iso(c.get("at"))}
        if self.quarantine:
            out["quarantined"] = [
                {"appointment_id": key, "reason": entry["reason"], "since": entry["since"].isoformat()}
                for key, entry in sorted(self.quarantine.items())]
        return out


def link_id(branch_id: str, resource_id: str) -> str:
    """Ids are validated to exclude ':', so this join is unambiguous."""
    return f"{branch_id}:{resource_id}"


def _iso(value: Any) -> Any:
    """A stored moment as the API answers it (ISO 8601); anything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value
