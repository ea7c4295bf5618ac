"""Firestore persistence of branches, resources, links, consent states and the audit log.

Layout (every query is on a single collection, so no composite index is needed):
  branches/{branch_id}                         name, timezone, google_sync_enabled
  branches/{branch_id}/resources/{resource_id} name, kind, privacy, google_calendar_id,
                                               appointment_seq (appointments_store.py)
  links/{branch_id}:{resource_id}              status, account, calendar, sealed refresh token
  links/{link_id}/audit/{auto}                 append-only: at, actor, role, action, details
  consent_states/{sha256(state)}               single-use, bound to the browser that began it
                                               (hash of its cookie); `expires_at` is the TTL field
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

from google.api_core.exceptions import NotFound
from google.cloud import firestore

from functions.domain import Branch, Link, LinkStatus, Resource, link_id
from functions.sync.schedule import poll_bucket

LINK_FIELDS = set(Link.__dataclass_fields__)


class StateError(Exception):
    """A consent state that is unknown (forged), already used, or expired."""

    def __init__(self, reason: str, bound: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # unknown | used | expired | other_browser
        self.bound = bound    # other_browser: what the state was bound to


def now() -> datetime:
    return datetime.now(UTC)


class FirestoreStore:
    def __init__(self, client: firestore.Client) -> None:
        self.db = client

    # Branches and resources ------------------------------------------------------------------

    def get_branch(self, branch_id: str) -> Branch | None:
        snap = self.db.collection("branches").document(branch_id).get()
        return _branch(branch_id, snap.to_dict()) if snap.exists else None

    def syncing_branches(self) -> list[Branch]:
        """Every branch that has "sync with Google Calendar" switched on."""
        query = self.db.collection("branches").where(
            filter=firestore.FieldFilter("google_sync_enabled", "==", True))
        return [_branch(s.id, s.to_dict()) for s in query.stream()]

    def put_branch(self, branch: Branch) -> None:
        data = asdict(branch)
        data.pop("branch_id")
        data.pop("appointment_seq")  # the old change counter: only older versions write it
        # merge: the branch document may also hold that counter
        self.db.collection("branches").document(branch.branch_id).set({**data, "updated_at": now()},
                                                                       merge=True)

    def _resources(self, branch_id: str) -> firestore.CollectionReference:
        return self.db.collection("branches").document(branch_id).collection("resources")

    def get_resource(self, branch_id: str, resource_id: str) -> Resource | None:
        snap = self._resources(branch_id).document(resource_id).get()
        return _resource(branch_id, resource_id, snap.to_dict()) if snap.exists else None

    def link_and_resource(self, branch_id: str, resource_id: str) -> tuple[Link | None, Resource | None]:
        """One resource and its link, read together (one round trip): what a task's run needs."""
        link_ref = self._link_ref(branch_id, resource_id)
        resource_ref = self._resources(branch_id).document(resource_id)
        snaps = {s.reference.path: s for s in self.db.get_all([link_ref, resource_ref])}
        link_snap, resource_snap = snaps[link_ref.path], snaps[resource_ref.path]
        link = self.link_from(link_snap.to_dict()) if link_snap.exists else None
        resource = (_resource(branch_id, resource_id, resource_snap.to_dict())
                    if resource_snap.exists else None)
        return link, resource

    def list_resources(self, branch_id: str) -> list[Resource]:
        return [_resource(branch_id, s.id, s.to_dict()) for s in self._resources(branch_id).stream()]

    def put_resource(self, resource: Resource) -> None:
        data = {"name": resource.name, "kind": resource.kind, "privacy": resource.privacy,
                "updated_at": now()}
        self._resources(resource.branch_id).document(resource.resource_id).set(data, merge=True)

    # Links -----------------------------------------------------------------------------------

    def _link_ref(self, branch_id: str, resource_id: str) -> firestore.DocumentReference:
        return self.db.collection("links").document(link_id(branch_id, resource_id))

    def get_link(self, branch_id: str, resource_id: str) -> Link:
        snap = self._link_ref(branch_id, resource_id).get()
        if not snap.exists:
            return Link(branch_id, resource_id)
        return self.link_from(snap.to_dict())

    @staticmethod
    def link_from(data: dict[str, Any]) -> Link:
        d = {k: v for k, v in data.items() if k in LINK_FIELDS}
        d["status"] = LinkStatus(d.get("status", "none"))
        return Link(**d)

    def links_with_calendar(self, calendar_id: str) -> list[Link]:
        query = self.db.collection("links").where(
            filter=firestore.FieldFilter("google_calendar_id", "==", calendar_id))
        return [self.link_from(s.to_dict()) for s in query.stream()]

    def links_in_buckets(self, buckets: list[int], field: str = "poll_bucket") -> list[Link]:
        """Links whose backstop minute (`poll_bucket`, or `push_bucket` for links with a healthy
        push channel) is one of `buckets` (an indexed `in` query, ≤ 30 values each): the
        dispatcher reads only the links due now, never all of them."""
        assert field in BUCKET_FIELDS
        found: list[Link] = []
        for start in range(0, len(buckets), 30):
            query = self.db.collection("links").where(
                filter=firestore.FieldFilter(field, "in", buckets[start:start + 30]))
            found += [self.link_from(s.to_dict()) for s in query.stream()]
        return found

    def links_of(self, branch_id: str) -> dict[str, Link]:
        """Every link of the branch by resource id (one query)."""
        query = self.db.collection("links").where(filter=firestore.FieldFilter("branch_id", "==", branch_id))
        return {link.resource_id: link for link in (self.link_from(s.to_dict()) for s in query.stream())}

    def link_statuses(self, branch_id: str) -> dict[str, LinkStatus]:
        return {resource_id: link.status for resource_id, link in self.links_of(branch_id).items()}

    def save_link(self, link: Link, *, calendar_on_resource: bool = True) -> None:
        """Write the link and, in the same batch, the resource's ID field (google_calendar_id)."""
        batch = self.db.batch()
        # poll_bucket / push_bucket: the link's backstop minute (sync/schedule.py), for the
        # dispatcher's queries
        batch.set(self._link_ref(link.branch_id, link.resource_id), {**asdict(link),
                  "status": str(link.status), "updated_at": now(),
                  **push_fields(link.link_id, link.push)})
        if calendar_on_resource:
            batch.set(self._resources(link.branch_id).document(link.resource_id),
                      {"google_calendar_id": link.google_calendar_id}, merge=True)
        batch.commit()

    def update_link(self, branch_id: str, resource_id: str, fields: dict[str, Any]) -> None:
        assert set(fields) <= LINK_FIELDS, set(fields) - LINK_FIELDS
        data = {k: (str(v) if isinstance(v, LinkStatus) else v) for k, v in fields.items()}
        self._link_ref(branch_id, resource_id).update({**data, "updated_at": now()})

    def take_over_link(self, branch_id: str, resource_id: str) -> None:
        """Take the sync lease away from any run working on this link (a relink, a new consent,
        a revoke is under way): that run's further writes fail their fence (`LeaseLost`), and no
        new run starts until `save_link` writes the new link (which clears the lease)."""
        from functions.adapters.sync_store import LEASE, TAKEOVER

        with contextlib.suppress(NotFound):  # no link yet: nothing can be syncing
            self._link_ref(branch_id, resource_id).update(
                {"lease_owner": f"{TAKEOVER}{uuid.uuid4().hex}", "lease_until": now() + LEASE})

    def forget_sync_items(self, branch_id: str, resource_id: str) -> None:
        from functions.adapters.sync_store import SyncStore

        SyncStore(self.db).forget_all(branch_id, resource_id)

    # Audit log -------------------------------------------------------------------------------

    def audit(self, branch_id: str, resource_id: str, actor: str, role: str, action: str,
              details: dict[str, Any] | None = None) -> None:
        self._link_ref(branch_id, resource_id).collection("audit").add({
            "at": now(), "actor": actor, "role": role, "action": action, "details": details or {}})

    def audit_entries(self, branch_id: str, resource_id: str, limit: int = 200) -> list[dict[str, Any]]:
        query = (self._link_ref(branch_id, resource_id).collection("audit")
                 .order_by("at").limit(limit))
        return [s.to_dict() for s in query.stream()]

    # Consent states --------------------------------------------------------------------------

    def create_state(self, state: str, data: dict[str, Any], expires_at: datetime) -> None:
        self.db.collection("consent_states").document(_state_key(state)).create(
            {**data, "used": False, "created_at": now(), "expires_at": expires_at})

    def begin_state(self, state: str, browser: str) -> dict[str, Any]:
        """Bind an unused state to the browser that opens the consent (`browser`: the hash of
        its cookie) and return what the state is bound to. Opening it again in that browser is
        fine; in any other it is refused as used."""
        ref = self._state_ref(state)

        @firestore.transactional
        def begin(tx: firestore.Transaction) -> dict[str, Any]:
            data = _live_state(ref.get(transaction=tx))
            if data.get("browser") is None:
                tx.update(ref, {"browser": browser, "begun_at": now()})
            elif not hmac.compare_digest(data["browser"], browser):
                raise StateError("used")
            return data

        return begin(self.db.transaction())

    def consume_state(self, state: str, browser: str | None) -> dict[str, Any]:
        """Mark the state used and return what it was bound to; single use, atomically.

        Finished in a browser other than the one that began it (`browser` another hash, or None
        without the cookie), the state is used up all the same and StateError("other_browser")
        carries what it was bound to.
        """
        ref = self._state_ref(state)

        @firestore.transactional
        def consume(tx: firestore.Transaction) -> tuple[dict[str, Any], bool]:
            data = _live_state(ref.get(transaction=tx))
            same = browser is not None and data.get("browser") is not None and hmac.compare_digest(
                data["browser"], browser)
            tx.update(ref, {"used": True, "used_at": now(), **({} if same else {"refused": "other_browser"})})
            return data, same

        data, same = consume(self.db.transaction())
        if not same:
            raise StateError("other_browser", data)
        return data

    def record_state_outcome(self, state: str, outcome: dict[str, Any],
                             keep_until: datetime | None = None) -> None:
        """What the page of a finished consent said, for a reload of it (replayed_outcome);
        `keep_until` moves the state's `expires_at` (its TTL) on, so the outcome is kept."""
        self._state_ref(state).update({"outcome": outcome,
                                       **({"expires_at": keep_until} if keep_until else {})})

    def replayed_outcome(self, state: str, browser: str | None) -> dict[str, Any] | None:
        """The recorded outcome of a used state, when the browser that finished it asks again;
        `{"page": "pending", "used_at"}` while that browser's first request has not recorded
        one yet (it is still at work, or it died). None for anyone else."""
        snap = self._state_ref(state).get()
        data = snap.to_dict() if snap.exists else None
        if not data or browser is None or not data.get("used") or data.get("refused") \
                or not hmac.compare_digest(data.get("browser") or "", browser):
            return None
        return data.get("outcome") or {"page": "pending", "used_at": data.get("used_at")}

    def _state_ref(self, state: str) -> firestore.DocumentReference:
        return self.db.collection("consent_states").document(_state_key(state))


BUCKET_FIELDS = ("poll_bucket", "push_bucket")


def push_fields(lid: str, active: bool) -> dict[str, Any]:
    """The link's `push` flag with its backstop minute in the field that goes with it: a link
    with a healthy channel is found by `push_bucket` (the long interval), any other by
    `poll_bucket`. A link saved before push has only `poll_bucket`: it is polled as before."""
    bucket = poll_bucket(lid)
    return {"push": active, "poll_bucket": None if active else bucket,
            "push_bucket": bucket if active else None}


def _live_state(snap: firestore.DocumentSnapshot) -> dict[str, Any]:
    """A state's data, unless it is unknown, used or expired (StateError)."""
    if not snap.exists:
        raise StateError("unknown")
    data = snap.to_dict()
    if data.get("used"):
        raise StateError("used")
    if data["expires_at"] <= now():
        raise StateError("expired")
    return data


def _state_key(state: str) -> str:
    """States are stored by hash, so a database reader cannot replay one."""
    return hashlib.sha256(state.encode()).hexdigest()


def _resource(branch_id: str, resource_id: str, d: dict[str, Any]) -> Resource:
    return Resource(branch_id, resource_id, d.get("name", ""), d.get("kind", "employee"),
                    d.get("privacy", "full"), d.get("google_calendar_id"),
                    int(d.get("appointment_seq", 0)))


@cache
def _client(project: str | None) -> firestore.Client:
    return firestore.Client(project=project)


def get_store(project: str | None) -> FirestoreStore:
    return FirestoreStore(_client(project))


def _branch(branch_id: str, d: dict[str, Any]) -> Branch:
    return Branch(branch_id, d["name"], d["timezone"], bool(d.get("google_sync_enabled")),
                  d.get("conflict_policy", "planner_wins"), d.get("language", "de"),
                  int(d.get("appointment_seq", 0)))
