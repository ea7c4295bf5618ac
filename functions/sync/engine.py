"""The sync shell: for each linked resource, fetch both sides' changes, plan, apply, commit.

Per link and run:
1. Fetch, without writing anything: Google's changes since the stored sync token (a full
   listing of the window when there is none, or after 410), and the planner's changes since
   the link's cursor in its resource's change sequence (a complete listing of the resource on a
   full run, and when the link has no such cursor yet: a link from before issue 10).
2. Nothing relevant on either side → done: an idle link costs one events.list call and no
   Firestore write (a changed sync token is stored with the next real change, lazily).
3. Otherwise take the link's lease (a transaction; a crashed run's lease expires), read the
   item states, call the pure `plan_link`, run its Google writes in batches of ≤ 50 calls,
   its planner writes one transaction each, and commit each item's state after its write.
4. Store the new cursors only when every write went through; otherwise the next run sees the
   same changes again, which is safe: ids are deterministic and hashes make repeats no-ops.
A link whose grant died, whose calendar vanished or that hit Google's usage limit is marked so
and left alone; one bad link never fails the run or delays the others.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from functions import i18n, status_log
from functions.adapters.appointments_store import AppointmentStore
from functions.adapters.google_calendar import (
    CalendarApi,
    CalendarMissing,
    GoogleUnavailable,
    GrantDead,
    Throttled,
    credentials,
)
from functions.adapters.google_events import (
    Listing,
    SyncTokenExpired,
    list_events,
)
from functions.adapters.sync_store import SYNCING, LeaseLost, SyncStore
from functions.context import Context
from functions.crypto import TokenDecryptError
from functions.domain import STATUS_ERRORS, Branch, Link, LinkStatus, Resource
from functions.sync import breaker, mapping, model, privacy, recovery, schedule
from functions.sync.apply import Applier
from functions.sync.model import Blocked, ConflictResolution, Plan, Policy
from functions.sync.plan import plan_link

log = logging.getLogger(__name__)
THROTTLE_PAUSE = timedelta(hours=1)
FULL_LISTING_EVERY = timedelta(days=1)
BRANCH_READERS = 4


@dataclass
class LinkOutcome:
    link_id: str
    status: str
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    failed: bool = False
    idle: bool = False
    skipped: bool = False  # another run holds the link's lease (or a crashed one, until it expires)
    blocked: bool = False  # held back by the circuit breaker: only an admin's decision moves it
    # the link as this run read it (its channel fields are what push upkeep decides on)
    link: Link | None = field(default=None, repr=False, compare=False)


@dataclass
class RunSummary:
    links: int = 0
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    failed: int = 0
    skipped: int = 0
    outcomes: list[LinkOutcome] = field(default_factory=list)

    def to_api(self) -> dict[str, int]:
        return {
            "links": self.links,
            "pushed": self.pushed,
            "pulled": self.pulled,
            "conflicts": self.conflicts,
            "failed": self.failed,
            "skipped": self.skipped,
        }


@dataclass
class Fetched:
    listing: Listing
    planner: model.PlannerChanges
    cursor: int  # the position in the resource's change sequence the planner side was read to
    full: bool
    legacy: int = 0  # the branch's old (pre issue 10) change counter, as the run read it

    @property
    def idle(self) -> bool:
        return not self.full and not self.listing.events and not self.planner.appointments


class _Accounts:
    """Per-instance cache of each link's Calendar connection: the access token is reused until
    it expires (google-auth refreshes it in place). Not needed for correctness: all state that
    matters is in Firestore."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apis: dict[str, tuple[str, CalendarApi, threading.Lock]] = {}

    def get(self, ctx: Context, link: Link) -> tuple[CalendarApi, threading.Lock]:
        sealed = link.sealed_refresh_token or {}
        fingerprint = sealed.get("ct", "")
        with self._lock:
            cached = self._apis.get(link.link_id)
            if cached and cached[0] == fingerprint:
                return cached[1], cached[2]
        token = ctx.cipher.decrypt(sealed, link.link_id)
        api = CalendarApi(ctx.settings, credentials(ctx.settings, ctx.oauth_client, token))
        entry = (fingerprint, api, threading.Lock())
        with self._lock:
            self._apis[link.link_id] = entry
        return api, entry[2]


ACCOUNTS = _Accounts()
PLANNER_PAGE = 1000  # planner changes read per query; a run reads on until a page is short


class Engine:
    def __init__(
        self, ctx: Context, *, now: Callable[[], datetime] | None = None, concurrency: int = 16
    ) -> None:
        self.ctx = ctx
        self.now = now or (lambda: datetime.now(UTC))
        self.concurrency = concurrency
        self.sync_store = SyncStore(ctx.store.db)
        self.owner = uuid.uuid4().hex

    # The run ---------------------------------------------------------------------------------

    def run(self, branch_id: str | None = None, resource_id: str | None = None,
            force: bool = False, restore: bool = False) -> RunSummary:
        request_context = contextvars.copy_context()  # the request's trace, for every worker
        futures = []
        # Each branch is read on its own (its links and resources), and its links start syncing
        # as soon as it is read, while the other branches are still being read.
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool, \
                ThreadPoolExecutor(max_workers=BRANCH_READERS) as readers:
            reads = [readers.submit(self._branch_jobs, branch, resource_id)
                     for branch in self._syncing_branches(branch_id)]
            for read in as_completed(reads):
                futures += [pool.submit(request_context.copy().run, self._safe, *job, force=force,
                                        restore=restore)
                            for job in read.result()]
            outcomes = [f.result() for f in futures]
        summary = RunSummary(links=len(outcomes), outcomes=outcomes)
        for o in outcomes:
            summary.pushed += o.pushed
            summary.pulled += o.pulled
            summary.conflicts += o.conflicts
            summary.failed += int(o.failed)
            summary.skipped += int(o.skipped)
        return summary

    def _syncing_branches(self, branch_id: str | None) -> list[Branch]:
        if branch_id is None:
            return self.ctx.store.syncing_branches()
        branch = self.ctx.store.get_branch(branch_id)
        return [branch] if branch is not None and branch.google_sync_enabled else []

    def _branch_jobs(self, branch: Branch, resource_id: str | None) -> list[tuple[Link, Branch, Resource]]:
        """The branch's syncing links (or the one asked for) with their resource."""
        if resource_id is not None:  # one link (a task): its two documents, not the branch's
            link, resource = self.ctx.store.link_and_resource(branch.branch_id, resource_id)
            if link is None or resource is None or str(link.status) not in SYNCING:
                return []
            return [(link, branch, resource)]
        links = [self.ctx.store.link_from(d) for d in self.sync_store.syncing_links(branch.branch_id)]
        if not links:
            return []
        resources = {r.resource_id: r for r in self.ctx.store.list_resources(branch.branch_id)}
        return [(link, branch, resources[link.resource_id])
                for link in links if link.resource_id in resources]

    def _safe(self, link: Link, branch: Branch, resource: Resource, *, force: bool,
              restore: bool = False) -> LinkOutcome:
        try:
            outcome = self.sync_link(link, branch, resource, force=force, restore=restore)
        except Exception:
            log.exception("sync of a link failed", extra={"link": link.link_id})
            outcome = LinkOutcome(link.link_id, str(link.status), failed=True)
        outcome.link = link
        return outcome

    # One link --------------------------------------------------------------------------------

    def sync_link(
        self, link: Link, branch: Branch, resource: Resource, *, force: bool = False,
        restore: bool = False,
    ) -> LinkOutcome:
        """`force`: an admin lets a held-back mass change through; `restore`: an admin restores
        from the planner instead (the events the phone deleted are re-created, sync/plan.py)."""
        now = self.now()
        if link.status == LinkStatus.THROTTLED and link.throttled_until and link.throttled_until > now:
            return LinkOutcome(link.link_id, str(link.status), idle=True)
        policy = Policy(
            timezone=branch.timezone,
            # never more than busy for a consumer account without a recorded confirmation
            privacy=privacy.effective(resource.privacy, link.account_email, link.consumer_confirmation),
            conflict_resolution=ConflictResolution(branch.conflict_policy),
            language=branch.language,
            horizon_days=self.ctx.settings.sync_horizon_days,
        )
        try:
            link = self._reseal(link)
            api, api_lock = ACCOUNTS.get(self.ctx, link)
        except TokenDecryptError:  # sealed with a key version that is no longer enabled
            log.error("stored token does not decrypt with any enabled key version",
                      extra={"link": link.link_id})
            return self._mark(link, LinkStatus.NEEDS_RECONSENT, "token_unreadable")
        with api_lock:
            try:
                return self._sync(api, link, branch, resource, policy, now, force, restore)
            except GrantDead:
                return self._mark(link, LinkStatus.NEEDS_RECONSENT, "grant_dead")
            except CalendarMissing:
                return self._mark(link, LinkStatus.CALENDAR_MISSING, "calendar_missing")
            except Throttled:
                return self._mark(link, LinkStatus.THROTTLED, "throttled",
                                  throttled_until=now + THROTTLE_PAUSE)
            except LeaseLost:
                log.warning("the link was taken over during the run (relink, consent, revoke or "
                            "an expired lease); its work stops here", extra={"link": link.link_id})
                return LinkOutcome(link.link_id, str(link.status), failed=True)
            except GoogleUnavailable as exc:
                log.warning(
                    "Google unavailable; the link is retried next run",
                    extra={"link": link.link_id, "reason": str(exc)},
                )
                self.sync_store.mark(link, {"last_error": i18n.stored("google_no_answer")})
                return LinkOutcome(link.link_id, str(link.status), failed=True)

    def _sync(self, api: CalendarApi, link: Link, branch: Branch, resource: Resource, policy: Policy,
              now: datetime, force: bool, restore: bool = False) -> LinkOutcome:
        # a restore needs every appointment of the resource: a complete listing of both sides
        fetched = self._fetch(api, replace(link, full_sync_next=True) if restore else link,
                              branch, resource, now)
        if fetched.idle and link.status == LinkStatus.LINKED and not link.blocked:
            self._heartbeat(link, now)
            return LinkOutcome(link.link_id, str(link.status), idle=True)
        # Planned before taking the lease: a blocked or echo-only run then writes nothing.
        states = self.sync_store.states(link.link_id)
        if fetched.full:
            fetched = self._with_synced_elsewhere(fetched, states, link)
        recovery.declare_sensitive(fetched.planner.appointments.values(), fetched.listing.events)
        if link.reproject:  # forget what the planner side looked like: every event is rewritten
            states = [replace(state, planner_hash="") for state in states]
        plan = plan_link(
            model.Link(link.branch_id, link.resource_id),
            policy,
            fetched.planner,
            self._google_changes(fetched),
            states,
            now,
            force=force,
            earlier=breaker.recent(link.recent_deletions, now),
            restore=restore,
        )
        if plan.blocked is not None and link.blocked == _finding(plan.blocked):
            self._heartbeat(link, now)
            return LinkOutcome(link.link_id, str(link.status), failed=True, blocked=True)
        if self.sync_store.acquire(link, self.owner, now) is None:
            return LinkOutcome(link.link_id, str(link.status), skipped=True)
        try:
            if plan.blocked is not None:
                return self._blocked(link, plan)
            applier = Applier(self.ctx, self.sync_store, api, link, self.owner)
            applier.apply(plan)
            recovery.replan_rejected(self.ctx, self.sync_store, api, link, policy, applier, now)
        except BaseException:
            self.sync_store.finish(link, self.owner, {})
            raise
        quarantine = recovery.quarantine_after(self.ctx, link, plan.items, fetched.full,
                                               applier.quarantined, now)
        fields: dict[str, Any] = {
            "status": LinkStatus.LINKED,
            "last_sync_at": now,  # the link's last change (a run that got this far)
            "last_checked_at": now,
            "blocked": None,
            "throttled_until": None,
            "quarantine": quarantine or None,
            # a forced run was an admin's decision: its deletions and those before count no more
            "recent_deletions": None if force or restore else (
                breaker.remember(link.recent_deletions, now, plan.actions) or None),
        }
        if applier.ok:
            fields |= {
                "last_error": i18n.stored("quarantined", count=len(quarantine)) if quarantine else None,
                "sync_token": fetched.listing.next_sync_token,
                "resource_cursor": applier.cursor_after(fetched.cursor),
                "planner_cursor": fetched.legacy,
                **({"last_full_sync_at": now, "reproject": False} if fetched.full else {}),
                "full_sync_next": plan.full_sync_needed
                or applier.full_sync_needed
                or not fetched.listing.next_sync_token,
            }
        else:
            count = applier.failed + len(applier.rejected)
            fields["last_error"] = i18n.stored("changes_not_written", count=count)
        self.sync_store.finish(link, self.owner, fields)
        return LinkOutcome(
            link.link_id, "linked", applier.pushed, applier.pulled, applier.conflicts, failed=not applier.ok
        )

    @staticmethod
    def _google_changes(fetched: Fetched) -> model.GoogleChanges:
        return model.GoogleChanges(
            tuple(mapping.event_from_google(e) for e in fetched.listing.events),
            complete=fetched.listing.complete,
        )

    def _fetch(self, api: CalendarApi, link: Link, branch: Branch, resource: Resource,
               now: datetime) -> Fetched:
        assert link.google_calendar_id is not None
        # A daily complete listing picks up items that entered the window without changing.
        stale = link.last_full_sync_at is None or now - link.last_full_sync_at > FULL_LISTING_EVERY
        # No position in the resource's sequence yet (a link from before issue 10, whose cursor
        # counted the branch's old sequence), or an older version wrote meanwhile (it moves only
        # that old counter): list the resource completely, so nothing is missed or replayed.
        planner_unknown = link.resource_cursor is None or branch.appointment_seq > link.planner_cursor
        full = link.full_sync_next or not link.sync_token or stale or planner_unknown
        appointments = AppointmentStore(self.ctx.store.db, link.branch_id)
        if not full:
            try:
                listing = list_events(api, link.google_calendar_id, link.sync_token, now)
            except SyncTokenExpired:
                full = True
        if full:
            # read before listing: later writes come next run
            cursor, legacy = appointments.current_seq(link.resource_id)
            time_min, _ = mapping.listing_bounds(now, self.ctx.settings.sync_horizon_days)
            listing = list_events(api, link.google_calendar_id, None, time_min)
            planner = {a.id: a for a in appointments.of_resource(link.resource_id)}
            return Fetched(listing, model.PlannerChanges(planner, complete=True), cursor, True, legacy)
        assert link.resource_cursor is not None
        if resource.appointment_seq <= link.resource_cursor:
            # nothing of this resource changed when the run read its resources: no query needed
            return Fetched(listing, model.PlannerChanges({}), link.resource_cursor, False,
                           link.planner_cursor)
        delta, cursor = self._planner_delta(appointments, link, link.resource_cursor)
        return Fetched(listing, model.PlannerChanges(delta), cursor, False, link.planner_cursor)

    def _with_synced_elsewhere(self, fetched: Fetched, states: list[model.ItemState],
                               link: Link) -> Fetched:
        """A complete listing holds the resource's appointments only; a synced one missing from
        it was moved to another resource or deleted: read those few, so the plan sees a move as
        a move (its event goes) and never as a deletion (which google_wins would undo)."""
        listed = fetched.planner.appointments
        missing = [s.appointment_id for s in states if s.appointment_id not in listed]
        if not missing:
            return fetched
        found = AppointmentStore(self.ctx.store.db, link.branch_id).latest(missing)
        planner = model.PlannerChanges({**listed, **found}, complete=True)
        return replace(fetched, planner=planner)

    def _planner_delta(
        self, appointments: AppointmentStore, link: Link, after: int
    ) -> tuple[dict[str, model.Appointment | None], int]:
        """Changes in the resource's sequence since the cursor that concern this link: those of
        its appointments, and of appointments it has synced that moved away."""
        cursor, changed = after, []
        while True:
            page = appointments.changes_since(link.resource_id, cursor, PLANNER_PAGE)
            changed.extend(page)
            if len(page) < PLANNER_PAGE:
                break
            cursor = page[-1].position(link.resource_id)
        cursor = changed[-1].position(link.resource_id) if changed else after
        others = [c.appointment.id for c in changed if c.appointment.resource_id != link.resource_id]
        known = self.sync_store.known(link.link_id, others) if others else set()
        delta = {
            c.appointment.id: (None if c.deleted else c.appointment)
            for c in changed
            if c.appointment.resource_id == link.resource_id or c.appointment.id in known
        }
        return delta, cursor

    def _reseal(self, link: Link) -> Link:
        """After a `token-key` rotation, a link's refresh token moves to the newest key version
        on its next run (one write, once), so old versions can be disabled after one cycle."""
        sealed = link.sealed_refresh_token
        if not sealed or not self.ctx.cipher.needs_rotation(sealed):
            return link
        fresh = self.ctx.cipher.encrypt(self.ctx.cipher.decrypt(sealed, link.link_id), link.link_id)
        if not self.sync_store.reseal(link, sealed, fresh):
            return link
        log.info("refresh token re-encrypted with the newest key version",
                 extra={"link": link.link_id, "key_version": fresh["kid"]})
        return replace(link, sealed_refresh_token=fresh)

    def _heartbeat(self, link: Link, now: datetime) -> None:
        """An idle check writes nothing, except `last_checked_at` at most once an hour
        (schedule.heartbeat_due), so a healthy link does not look stale on the pages."""
        if schedule.heartbeat_due(link.last_checked_at, now):
            self.sync_store.touch(link, {"last_checked_at": now})

    # Link status -------------------------------------------------------------------------------

    def _mark(self, link: Link, status: LinkStatus, action: str, **extra: Any) -> LinkOutcome:
        if not self.sync_store.mark(link, {"status": status, "last_error": i18n.stored(STATUS_ERRORS[status]),
                                           **extra}):
            log.info("the link changed meanwhile (revoke, relink or new consent); its status stays",
                     extra={"link": link.link_id})
            return LinkOutcome(link.link_id, str(link.status), failed=True)
        self.ctx.store.audit(link.branch_id, link.resource_id, "sync", "system", action, {})
        status_log.link_status_changed(link, str(status), action, self.now())
        return LinkOutcome(link.link_id, str(status), failed=True)

    def _blocked(self, link: Link, plan: Plan) -> LinkOutcome:
        assert plan.blocked is not None
        finding = _finding(plan.blocked)
        self.sync_store.finish(
            link,
            self.owner,
            {
                "blocked": finding,
                "last_checked_at": self.now(),
                "last_error": i18n.stored(
                    "mass_change_blocked", google_deletions=plan.blocked.google_deletions,
                    planner_deletions=plan.blocked.planner_deletions,
                    synced_items=plan.blocked.synced_items),
            },
        )
        counts = {k: v for k, v in finding.items() if k != "deletions"}  # ids stay on the link
        self.ctx.store.audit(
            link.branch_id, link.resource_id, "sync", "system", "mass_change_blocked", counts
        )
        status_log.link_status_changed(link, "blocked", status_log.MASS_CHANGE_BLOCKED, self.now())
        return LinkOutcome(link.link_id, str(link.status), failed=True, blocked=True)


def _finding(blocked: Blocked) -> dict[str, Any]:
    """The breaker's finding as the link stores it (lists, as Firestore gives them back)."""
    return {**asdict(blocked),
            "deletions": [{**asdict(d), "side": str(d.side)} for d in blocked.deletions]}
