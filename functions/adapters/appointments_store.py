"""The planner's appointments in Firestore, with a branch-wide change sequence.

  branches/{b}/appointments/{appointment_id}
      resource_id, start, end, all_day, title, location, notes   (the appointment, wire form)
      version   bumped on every content change (a PUT with equal content keeps it)
      updated   when the content last changed
      deleted   tombstone: GET answers 404, the deletion stays in the changes feed
      origin    planner | google: who made the latest change
      seq       the branch's change sequence (branches/{b}.appointment_seq); the branch also
                keeps the last seq per resource (branches/{b}.resource_seq.{resource_id})

Every write takes the next `seq` in the same transaction, so `seq` order is commit order: the
changes feed and the sync's planner cursor are "everything with seq > cursor, by seq".
Queries are single-field or equality-only, so no composite index is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.sync.model import Appointment

Decide = Callable[["StoredAppointment | None"], "dict[str, Any] | None"]
CONTENT_FIELDS = ("resource_id", "start", "end", "all_day", "title", "location", "notes")


class VersionMismatch(Exception):
    """The appointment changed since the sync read it (or is gone): skip it this run."""


@dataclass(frozen=True)
class StoredAppointment:
    appointment: Appointment
    deleted: bool
    origin: str
    seq: int

    def to_api(self) -> dict[str, Any]:
        a = self.appointment
        return {"appointment": {"appointment_id": a.id, "resource_id": a.resource_id, "start": a.start,
                                "end": a.end, "all_day": a.all_day, "title": a.title,
                                "location": a.location, "notes": a.notes},
                "version": a.version}


def _from_doc(appointment_id: str, d: dict[str, Any]) -> StoredAppointment:
    return StoredAppointment(
        Appointment(appointment_id, d["resource_id"], d["start"], d["end"], d.get("title", ""),
                    bool(d.get("all_day")), d.get("location"), d.get("notes"), d.get("version"),
                    d.get("updated")),
        bool(d.get("deleted")), d.get("origin", "planner"), int(d.get("seq", 0)))


def _content(a: Appointment) -> dict[str, Any]:
    return {"resource_id": a.resource_id, "start": a.start, "end": a.end, "all_day": a.all_day,
            "title": a.title, "location": a.location, "notes": a.notes}


class AppointmentStore:
    def __init__(self, db: firestore.Client, branch_id: str,
                 fence: Callable[[firestore.Transaction], None] | None = None) -> None:
        """`fence` runs inside every write's transaction (the sync's lease check)."""
        self.db = db
        self.fence = fence
        self.branch_ref = db.collection("branches").document(branch_id)
        self.col = self.branch_ref.collection("appointments")

    # Reads -----------------------------------------------------------------------------------

    def get(self, appointment_id: str) -> StoredAppointment | None:
        snap = self.col.document(appointment_id).get()
        return _from_doc(appointment_id, snap.to_dict()) if snap.exists else None

    def latest(self, appointment_ids: list[str]) -> dict[str, Appointment | None]:
        """The live appointment per id, None for a deleted or unknown one (one read call)."""
        refs = [self.col.document(a) for a in appointment_ids]
        found = {s.id: _from_doc(s.id, s.to_dict()) for s in self.db.get_all(refs) if s.exists}
        return {a: (found[a].appointment if a in found and not found[a].deleted else None)
                for a in appointment_ids}

    def changes_since(self, cursor: int, limit: int = 1000) -> list[StoredAppointment]:
        query = self.col.where(filter=firestore.FieldFilter("seq", ">", cursor)).order_by("seq").limit(limit)
        return [_from_doc(s.id, s.to_dict()) for s in query.stream()]

    def of_resource(self, resource_id: str) -> list[Appointment]:
        """Every live appointment of a resource (the window is applied by the caller)."""
        query = (self.col.where(filter=firestore.FieldFilter("resource_id", "==", resource_id))
                 .where(filter=firestore.FieldFilter("deleted", "==", False)))
        return [_from_doc(s.id, s.to_dict()).appointment for s in query.stream()]

    # Writes: each takes the next seq in one transaction --------------------------------------

    def _write(self, appointment_id: str, decide: Decide) -> StoredAppointment | None:
        """Read the appointment, let `decide` return the new fields (None: no write), commit."""
        ref = self.col.document(appointment_id)

        @firestore.transactional
        def run(tx: firestore.Transaction) -> StoredAppointment | None:
            snap = ref.get(transaction=tx)
            if self.fence is not None:
                self.fence(tx)
            current = _from_doc(appointment_id, snap.to_dict()) if snap.exists else None
            fields = decide(current)
            if fields is None:
                return current
            branch = self.branch_ref.get(transaction=tx)
            seq = int((branch.to_dict() or {}).get("appointment_seq", 0)) + 1
            # per resource too (old and new one of a move): an idle link needs no query at all
            touched = {fields["resource_id"]} | ({current.appointment.resource_id} if current else set())
            tx.set(self.branch_ref, {"appointment_seq": seq, "resource_seq": dict.fromkeys(touched, seq)},
                   merge=True)
            doc = {**fields, "seq": seq}
            tx.set(ref, doc)
            return _from_doc(appointment_id, doc)

        return run(self.db.transaction())

    def put(self, appointment: Appointment, origin: str = "planner") -> StoredAppointment:
        """Create or replace; equal content (and not deleted) keeps version and seq."""

        def decide(current: StoredAppointment | None) -> dict[str, Any] | None:
            if current and not current.deleted and _content(current.appointment) == _content(appointment):
                return None
            version = (current.appointment.version or 0) + 1 if current else 1
            return {**_content(appointment), "version": version, "updated": _now(), "deleted": False,
                    "origin": origin}

        stored = self._write(appointment.id, decide)
        assert stored is not None
        return stored

    def delete(self, appointment_id: str, origin: str = "planner") -> bool:
        """Tombstone it; False when there was nothing to delete."""
        found = []

        def decide(current: StoredAppointment | None) -> dict[str, Any] | None:
            if current is None or current.deleted:
                return None
            found.append(True)
            return {**_content(current.appointment), "version": (current.appointment.version or 0) + 1,
                    "updated": _now(), "deleted": True, "origin": origin}

        self._write(appointment_id, decide)
        return bool(found)

    # The sync's writes (origin google), guarded by the version the plan saw ------------------

    def create_if_absent(self, appointment: Appointment) -> StoredAppointment:
        def decide(current: StoredAppointment | None) -> dict[str, Any] | None:
            if current and not current.deleted:
                return None
            version = (current.appointment.version or 0) + 1 if current else 1
            return {**_content(appointment), "version": version, "updated": _now(), "deleted": False,
                    "origin": "google"}

        stored = self._write(appointment.id, decide)
        assert stored is not None
        return stored

    def update_if(self, appointment_id: str, fields: dict[str, Any],
                  if_version: int | None) -> StoredAppointment:
        def decide(current: StoredAppointment | None) -> dict[str, Any] | None:
            if current is None or current.deleted or (
                    if_version is not None and current.appointment.version != if_version):
                raise VersionMismatch(appointment_id)
            merged = {**_content(current.appointment), **fields}
            return {**merged, "version": (current.appointment.version or 0) + 1, "updated": _now(),
                    "deleted": False, "origin": "google"}

        stored = self._write(appointment_id, decide)
        assert stored is not None
        return stored

    def delete_if(self, appointment_id: str, if_version: int | None) -> StoredAppointment | None:
        def decide(current: StoredAppointment | None) -> dict[str, Any] | None:
            if current is None or current.deleted:
                return None
            if if_version is not None and current.appointment.version != if_version:
                raise VersionMismatch(appointment_id)
            return {**_content(current.appointment), "version": (current.appointment.version or 0) + 1,
                    "updated": _now(), "deleted": True, "origin": "google"}

        return self._write(appointment_id, decide)

    def current_seq(self) -> int:
        snap = self.branch_ref.get()
        return int((snap.to_dict() or {}).get("appointment_seq", 0)) if snap.exists else 0


def _now() -> datetime:
    return datetime.now(UTC)
