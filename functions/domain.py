"""Plain values of the planner's world: branch, resource, link (and its status)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RESOURCE_KINDS = ("employee", "room", "device")
PRIVACY_LEVELS = ("full", "title_only", "busy")


class LinkStatus(StrEnum):
    NONE = "none"                          # never linked
    CONSENTED = "consented"                # grant stored, no calendar chosen yet
    LINKED = "linked"                      # syncing
    THROTTLED = "throttled"                # Google's calendar usage limit hit; resumes later
    NEEDS_RECONSENT = "needs_reconsent"    # grant dead (revoked at Google, expired, scopes gone)
    CALENDAR_MISSING = "calendar_missing"  # the linked calendar was deleted at Google
    REVOKED = "revoked"                    # consent withdrawn through the planner


@dataclass(frozen=True)
class Branch:
    branch_id: str
    name: str
    timezone: str
    google_sync_enabled: bool = False

    def to_api(self) -> dict[str, Any]:
        return {"branch_id": self.branch_id, "name": self.name, "timezone": self.timezone,
                "google_sync_enabled": self.google_sync_enabled}


@dataclass(frozen=True)
class Resource:
    branch_id: str
    resource_id: str
    name: str
    kind: str
    privacy: str = "full"
    google_calendar_id: str | None = None

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
    granted_scopes: list[str] = field(default_factory=list)
    sealed_refresh_token: dict[str, str] | None = None
    last_sync_at: str | None = None
    last_error: str | None = None
    clearing: dict[str, Any] | None = None  # resumable wipe: {calendar_id, deleted}

    @property
    def link_id(self) -> str:
        return link_id(self.branch_id, self.resource_id)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": str(self.status)}
        for key in ("google_calendar_id", "account_email", "last_sync_at", "last_error"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def link_id(branch_id: str, resource_id: str) -> str:
    """Ids are validated to exclude ':', so this join is unambiguous."""
    return f"{branch_id}:{resource_id}"
