"""The planner's appointments in Firestore, with a change sequence per resource.

  branches/{b}/appointments/{appointment_id}
      resource_id, start, end, all_day, title, location, notes   (the appointment, wire form)
      version   bumped on every content change (a PUT with equal content keeps it)
      updated   when the content last changed
      deleted   tombstone: GET answers 404, the deletion stays in the changes feed
      origin    planner | google: who made the latest change
      seqs      {resource_id: position}: for every resource the appointment was ever booked on,
                the position of its latest change in that resource's change sequence
  branches/{b}/resources/{r}.appointment_seq   the resource's last position

A write takes, in its transaction, the next position of the resource the appointment is on
after the write and, for a move, of the one it leaves (both resource documents are read and
written). So a resource's feed is "seqs.<r> > cursor, by seqs.<r>": its positions are taken in
commit order (a later commit cannot take an earlier position), a move away is in the old
resource's feed, and writes on different resources never touch the same document (issue 10:
every write used to transact on the branch document). The query is on one field, a map
subfield, which Firestore indexes by itself: no composite index.

Before issue 10 there was one sequence per branch: `seq` on the appointment and
`appointment_seq` on the branch document. A document written then keeps its `seq` until its
next write (a write replaces the document); `legacy_changes_since` still lists those, and a
link still reads the branch's old counter, so an instance of the old version writing during a
deployment is noticed (engine.py lists that link's resource completely).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

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
    seqs: Mapping[str, int] = field(default_factory=dict)  # position per resource (see above)
    legacy_seq: int = 0  # the branch-wide position of a document not written since issue 10
    # What the write that returned this found (not stored): the resource the appointment was
    # live on before it, read in the write's own transaction (its link's sync is due too).
    was_on: str | None = None

    def position(self, resource_id: str) -> int:
        """Its latest change's position in the change sequence of `resource_id` (0: none)."""
        return int(self.seqs.get(resource_id, 0))

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
        bool(d.get("deleted")), d.get("origin", "planner"), dict(d.get("seqs") or {}),
        int(d.get("seq", 0)))


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
        self.resources = self.branch_ref.collection("resources")

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

    def changes_since(self, resource_id: str, cursor: int, limit: int) -> list[StoredAppointment]:
        """The resource's feed after `cursor`, by position: the latest change of every appointment
        booked on it since, or moved away from it (then its `resource_id` is another one)."""
        path = _position_path(resource_id)
        query = (self.col.where(filter=firestore.FieldFilter(path, ">", cursor))
                 .order_by(path).limit(limit))
        return [_from_doc(s.id, s.to_dict()) for s in query.stream()]

    def legacy_changes_since(self, cursor: int, limit: int) -> list[StoredAppointment]:
        """Documents not written since issue 10, by their branch-wide `seq` after `cursor`."""
        query = (self.col.where(filter=firestore.FieldFilter("seq", ">", cursor))
                 .order_by("seq").limit(limit))
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
            # the resource it is on after the write and, for a move, the one it leaves
            touched = {fields["resource_id"]} | ({current.appointment.resource_id} if current else set())
            seqs = dict(current.seqs) if current else {}
            for snap in tx.get_all([self.resources.document(r) for r in sorted(touched)]):
                seqs[snap.id] = int((snap.to_dict() or {}).get("appointment_seq", 0)) + 1
                tx.set(snap.reference, {"appointment_seq": seqs[snap.id]}, merge=True)
            doc = {**fields, "seqs": seqs}  # replaces the document: a legacy `seq` goes
            tx.set(ref, doc)
            was_on = current.appointment.resource_id if current and not current.deleted else None
            return replace(_from_doc(appointment_id, doc), was_on=was_on)

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

    def delete(self, appointment_id: str, origin: str = "planner") -> StoredAppointment | None:
        """Tombstone it and return the tombstone; None when there was nothing to delete."""
        found = []

        def decide(current: StoredAppointment | None) -> dict[str, Any] | None:
            if current is None or current.deleted:
                return None
            found.append(True)
            return {**_content(current.appointment), "version": (current.appointment.version or 0) + 1,
                    "updated": _now(), "deleted": True, "origin": origin}

        stored = self._write(appointment_id, decide)
        return stored if found else None

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

    def current_seq(self, resource_id: str) -> tuple[int, int]:
        """The resource's last position and the branch's old (pre issue 10) counter, one read."""
        resource = self.resources.document(resource_id)
        found = {s.reference.path: s.to_dict() or {}
                 for s in self.db.get_all([resource, self.branch_ref]) if s.exists}
        return (int(found.get(resource.path, {}).get("appointment_seq", 0)),
                int(found.get(self.branch_ref.path, {}).get("appointment_seq", 0)))


def _position_path(resource_id: str) -> str:
    """`seqs.<resource_id>` as a field path (ids such as `raum-1` need quoting)."""
    return FieldPath("seqs", resource_id).to_api_repr()


def _now() -> datetime:
    return datetime.now(UTC)
