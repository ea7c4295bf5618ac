"""Apply a plan: Google writes in batches, planner writes one transaction each, and the state
of each item committed right after its own write (so a crash between any two steps leaves every
item either done-and-recorded or to be decided again)."""

from __future__ import annotations

import logging
from typing import Any

from functions.adapters.appointments_store import AppointmentStore, VersionMismatch
from functions.adapters.google_calendar import CalendarApi
from functions.adapters.google_events import BatchWriter, EventWrite, WriteResult
from functions.adapters.sync_store import SyncStore
from functions.context import Context
from functions.domain import Link
from functions.sync.model import (
    INVALID,
    CreateAppointment,
    CreateEvent,
    DeleteAppointment,
    DeleteEvent,
    ForgetState,
    ItemState,
    Plan,
    RecordConflict,
    SaveState,
    UpdateAppointment,
    UpdateEvent,
)

log = logging.getLogger(__name__)
GoogleAction = CreateEvent | UpdateEvent | DeleteEvent


class Applier:
    def __init__(self, ctx: Context, sync_store: SyncStore, api: CalendarApi, link: Link,
                 owner: str) -> None:
        """`owner`: the run's lease; every state and planner write checks it is still held."""
        assert link.google_calendar_id is not None
        self.ctx, self.sync_store, self.api, self.link, self.owner = ctx, sync_store, api, link, owner
        self.appointments = AppointmentStore(ctx.store.db, link.branch_id,
                                             fence=sync_store.fence(link.link_id, owner))
        self.pushed = self.pulled = self.conflicts = self.failed = 0
        self.full_sync_needed = False
        self.own_seqs: list[int] = []  # positions of our planner writes in the resource's sequence
        # appointment id → its event id (None: the stored state knows it), for each write that a
        # precondition refused (412 on Google, a newer version in the planner): the item changed
        # while this run worked; the engine re-reads and re-plans it (`take_rejected`).
        self.rejected: dict[str, str | None] = {}
        # appointment id → reason, for each item that cannot be mapped or that Google refused:
        # quarantined by the engine, the rest of the link syncs on
        self.quarantined: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.rejected

    def take_rejected(self) -> dict[str, str | None]:
        rejected, self.rejected = self.rejected, {}
        return rejected

    def cursor_after(self, fetched_cursor: int) -> int:
        """Skip our own planner writes when nobody else wrote in between (no echo next run)."""
        seqs = sorted(self.own_seqs)
        if seqs and seqs == list(range(fetched_cursor + 1, fetched_cursor + 1 + len(seqs))):
            return seqs[-1]
        return fetched_cursor

    def apply(self, plan: Plan) -> None:
        google = [a for a in plan.actions if isinstance(a, GoogleAction)]
        if google:
            self._google(google)
        saves: list[ItemState] = []
        forgets: list[str] = []
        for action in plan.actions:
            match action:
                case CreateAppointment() | UpdateAppointment() | DeleteAppointment():
                    self._planner(action)
                case SaveState():
                    saves.append(action.state)
                case ForgetState():
                    forgets.append(action.appointment_id)
                case RecordConflict():
                    self._record(action)
        if saves or forgets:
            self._commit(saves, forgets)

    def _commit(self, saves: list[ItemState] | None = None, forgets: list[str] | None = None) -> None:
        self.sync_store.commit(self.link.link_id, saves or (), forgets or (), owner=self.owner)

    # Google --------------------------------------------------------------------------------------

    def _google(self, actions: list[GoogleAction]) -> None:
        by_key = {a.appointment_id: a for a in actions}
        writer = BatchWriter(self.api, self.link.google_calendar_id or "")
        results = writer.run([_write(a) for a in actions])
        # 409 on insert: the event exists (an earlier run, a ghost write, or deleted): patch it.
        revive = [
            EventWrite(k, "patch", by_key[k].event_id, body=by_key[k].body)
            for k, r in results.items()
            if r.outcome == "duplicate"
        ]
        if revive:
            results |= BatchWriter(self.api, self.link.google_calendar_id or "").run(revive)
        saves, forgets = [], []
        for key, result in results.items():
            action = by_key[key]
            state = self._after_google(action, result)
            if state == "forget":
                forgets.append(key)
            elif isinstance(state, ItemState):
                saves.append(state)
        self._commit(saves, forgets)

    def _after_google(self, action: GoogleAction, result: WriteResult) -> ItemState | str | None:
        if result.outcome == "retry":
            self.failed += 1
            return None
        if result.outcome == "invalid":
            self.quarantined[action.appointment_id] = "google_refused_write"
            return None
        if result.outcome == "precondition":
            self.rejected[action.appointment_id] = action.event_id  # changed on Google meanwhile
            return None
        if isinstance(action, DeleteEvent):
            self.pushed += result.outcome == "done"
            return "forget"
        if result.outcome == "gone":  # the event vanished under a patch: list everything again
            self.full_sync_needed = True
            return None
        self.pushed += 1
        etag = (result.event or {}).get("etag")
        return action.state.after_write(google_etag=etag)

    # Planner -------------------------------------------------------------------------------------

    def _planner(self, action: CreateAppointment | UpdateAppointment | DeleteAppointment) -> None:
        try:
            if isinstance(action, CreateAppointment):
                stored = self.appointments.create_if_absent(action.appointment)
                state = action.state.after_write(planner_version=stored.appointment.version)
                self.own_seqs.append(stored.position(self.link.resource_id))
                self._commit([state])
            elif isinstance(action, UpdateAppointment):
                stored = self.appointments.update_if(
                    action.appointment_id, dict(action.fields), action.if_version
                )
                state = action.state.after_write(planner_version=stored.appointment.version)
                self.own_seqs.append(stored.position(self.link.resource_id))
                self._commit([state])
            else:
                deleted = self.appointments.delete_if(action.appointment_id, action.if_version)
                if deleted is not None:
                    self.own_seqs.append(deleted.position(self.link.resource_id))
                self._commit(forgets=[action.appointment_id])
            self.pulled += 1
        except VersionMismatch:  # changed in the planner meanwhile
            state = getattr(action, "state", None)
            self.rejected[action.appointment_id] = state.event_id if state is not None else None

    def _record(self, action: RecordConflict) -> None:
        if action.reason in INVALID:
            self.quarantined[action.appointment_id] = str(action.reason)
            return
        self.conflicts += 1
        details: dict[str, Any] = {
            "appointment_id": action.appointment_id,
            "event_id": action.event_id,
            "reason": str(action.reason),
            "winner": str(action.winner) if action.winner else None,
        }
        self.ctx.store.audit(
            self.link.branch_id, self.link.resource_id, "sync", "system", "conflict_resolved", details
        )


def _write(action: GoogleAction) -> EventWrite:
    if isinstance(action, CreateEvent):
        return EventWrite(action.appointment_id, "insert", action.event_id, body=action.insert_body)
    if isinstance(action, UpdateEvent):
        return EventWrite(
            action.appointment_id, "patch", action.event_id, body=action.body, if_match=action.if_match
        )
    return EventWrite(action.appointment_id, "delete", action.event_id, if_match=action.if_match)
