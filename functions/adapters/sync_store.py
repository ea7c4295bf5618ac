"""Firestore side of the sync engine: item states, the per-link lease, link bookkeeping.

  links/{link_id}/items/{appointment_id}   one ItemState per synced item (vdirsyncer's status row)
Lease: `lease_owner` / `lease_until` on the link document, taken in a transaction, so two runs
never work on one link at once; a crashed run's lease simply expires. The lease is also the
fence of a run's writes: every item state and planner write of a run checks, in its own
transaction, that the run still holds the lease. A relink, a new consent or a revoke takes the
lease away (`FirestoreStore.take_over_link`), so a run still working on the old calendar can
no longer write states that would describe the wrong calendar (`LeaseLost`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from functions.domain import Link, LinkStatus, link_id
from functions.sync.model import ItemState

SYNCING = (str(LinkStatus.LINKED), str(LinkStatus.THROTTLED))
LEASE = timedelta(minutes=10)
# the lease owner of a relink, a new consent or a revoke (firestore_store.take_over_link)
TAKEOVER = "takeover:"
Fence = Callable[[firestore.Transaction], None]


class LeaseLost(Exception):
    """The run no longer holds the link's lease (it expired and another run took it, or a
    relink/consent/revoke took the link over): it must not write anything more."""


class SyncStore:
    def __init__(self, db: firestore.Client) -> None:
        self.db = db

    def _link(self, lid: str) -> firestore.DocumentReference:
        return self.db.collection("links").document(lid)

    def syncing_links(self, branch_id: str) -> list[dict[str, Any]]:
        """The branch's links that sync (a branch has a few dozen: filtered here, not by an index)."""
        query = self.db.collection("links").where(filter=firestore.FieldFilter("branch_id", "==", branch_id))
        return [d for d in (s.to_dict() for s in query.stream()) if d.get("status") in SYNCING]

    # Item states -----------------------------------------------------------------------------

    def states(self, lid: str) -> list[ItemState]:
        return [ItemState(**s.to_dict()) for s in self._link(lid).collection("items").stream()]

    def states_of(self, lid: str, appointment_ids: Iterable[str]) -> list[ItemState]:
        """The stored states of these items (those that have one)."""
        items = self._link(lid).collection("items")
        refs = [items.document(a) for a in dict.fromkeys(appointment_ids)]
        return [ItemState(**s.to_dict()) for s in self.db.get_all(refs) if s.exists]

    def known(self, lid: str, appointment_ids: Iterable[str]) -> set[str]:
        """Which of these appointments this link has synced (has a state for)."""
        items = self._link(lid).collection("items")
        refs = [items.document(a) for a in dict.fromkeys(appointment_ids)]
        return {s.id for s in self.db.get_all(refs) if s.exists}

    def commit(self, lid: str, saves: Iterable[ItemState] = (), forgets: Iterable[str] = (),
               *, owner: str | None = None) -> int:
        """Store and drop item states, ≤ 500 writes per Firestore batch (per transaction with
        the lease check when `owner` is given). Returns the write count."""
        items = self._link(lid).collection("items")
        ops: list[tuple[str, ItemState | None]] = [(s.appointment_id, s) for s in saves]
        ops += [(a, None) for a in forgets]
        fence = self.fence(lid, owner) if owner is not None else None
        for start in range(0, len(ops), 500):
            chunk = ops[start:start + 500]

            def write(batch: firestore.WriteBatch | firestore.Transaction,
                      chunk: list[tuple[str, ItemState | None]] = chunk) -> None:
                for appointment_id, state in chunk:
                    ref = items.document(appointment_id)
                    if state is None:
                        batch.delete(ref)
                    else:
                        batch.set(ref, asdict(state))

            if fence is None:
                batch = self.db.batch()
                write(batch)
                batch.commit()
            else:
                @firestore.transactional
                def fenced(tx: firestore.Transaction, write: Callable[..., None] = write) -> None:
                    fence(tx)
                    write(tx)

                fenced(self.db.transaction())
        return len(ops)

    def fence(self, lid: str, owner: str) -> Fence:
        """A check for a transaction: raises LeaseLost unless `owner` still holds the lease."""
        ref = self._link(lid)

        def check(tx: firestore.Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not snap.exists or snap.to_dict().get("lease_owner") != owner:
                raise LeaseLost(lid)

        return check

    def forget_all(self, branch_id: str, resource_id: str) -> None:
        items = self._link(link_id(branch_id, resource_id)).collection("items")
        while True:
            refs = [s.reference for s in items.limit(500).stream()]
            if not refs:
                return
            batch = self.db.batch()
            for ref in refs:
                batch.delete(ref)
            batch.commit()

    # Lease and bookkeeping ---------------------------------------------------------------------

    def acquire(self, link: Link, owner: str, now: datetime) -> Link | None:
        """Take the link's lease if it is free (or expired) and the link is unchanged since `link`
        was read (same cursors); returns the fresh link, or None when another run has it."""
        ref = self._link(link.link_id)

        @firestore.transactional
        def take(tx: firestore.Transaction) -> Link | None:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return None
            d = snap.to_dict()
            if d.get("lease_owner") and d.get("lease_until") and d["lease_until"] > now:
                return None
            if (d.get("sync_token"), d.get("resource_cursor"), d.get("planner_cursor", 0),
                    d.get("full_sync_next", True), d.get("status"), d.get("google_calendar_id")) != (
                    link.sync_token, link.resource_cursor, link.planner_cursor, link.full_sync_next,
                    str(link.status), link.google_calendar_id):
                return None  # someone synced it meanwhile; the next run starts from there
            tx.update(ref, {"lease_owner": owner, "lease_until": now + LEASE})
            return link

        return take(self.db.transaction())

    def finish(self, link: Link, owner: str, fields: dict[str, Any]) -> bool:
        """Write the run's outcome and release the lease, unless the lease was lost meanwhile."""
        ref = self._link(link.link_id)

        @firestore.transactional
        def done(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            if not snap.exists or snap.get("lease_owner") != owner:
                return False
            data = {k: (str(v) if isinstance(v, LinkStatus) else v) for k, v in fields.items()}
            tx.update(ref, {**data, "lease_owner": None, "lease_until": None})
            return True

        return done(self.db.transaction())

    def reseal(self, link: Link, old: dict[str, str], new: dict[str, str]) -> bool:
        """Store the refresh token sealed with a newer key, unless the link got another token
        meanwhile (a new consent, a revoke): then that one stays."""
        ref = self._link(link.link_id)

        @firestore.transactional
        def swap(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            if not snap.exists or snap.to_dict().get("sealed_refresh_token") != old:
                return False
            tx.update(ref, {"sealed_refresh_token": new})
            return True

        return swap(self.db.transaction())

    def mark(self, link: Link, fields: dict[str, Any]) -> bool:
        """A status change outside a lease (dead grant, missing calendar, throttling), written
        only while the link is still the one the run read: same status, grant and calendar, and
        no takeover under way. A revoke, relink or new consent meanwhile wins (a run that read
        the link before a revoke meets the revoked grant at Google: it must not turn `revoked`
        into `needs_reconsent`). Whether it was written."""
        ref = self._link(link.link_id)
        data = {k: (str(v) if isinstance(v, LinkStatus) else v) for k, v in fields.items()}

        @firestore.transactional
        def write(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                return False
            stored = snap.to_dict()
            taken_over = (str(stored.get("lease_owner") or "").startswith(TAKEOVER)
                          and stored.get("lease_until") is not None
                          and stored["lease_until"] > datetime.now(UTC))
            if (taken_over or stored.get("status") != str(link.status)
                    or stored.get("sealed_refresh_token") != link.sealed_refresh_token
                    or stored.get("google_calendar_id") != link.google_calendar_id):
                return False
            tx.update(ref, data)
            return True

        return write(self.db.transaction())

    def touch(self, link: Link, fields: dict[str, Any]) -> None:
        """Bookkeeping that is right whatever happened to the link meanwhile (the heartbeat's
        `last_checked_at`): one write, no read."""
        self._link(link.link_id).update(fields)
