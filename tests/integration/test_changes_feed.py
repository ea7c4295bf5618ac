"""The changes feed's promises under concurrent writers (issue 10), on the Firestore emulator.

Writers in threads put, move (a put on another resource) and delete appointments of one branch
through the store, as the planner API and the sync do, while readers poll at the same time:
the branch's feed over the API (`GET /changes` with its cursor, small pages), and each
resource's feed as the sync reads it (`changes_since` with the link's cursor). Every committed
change is known from the writers' answers (its version and its positions). Then:
- positions: each resource's changes have the positions 1..n, one change each;
- every change once: a reader gets no version of an appointment twice, and one appointment's
  versions in order (the branch feed also per page; a resource's feed also by position);
- never skipped: once a reader's cursor has passed a change's position, the reader has that
  change or a later one of the same appointment, or a later one is still ahead of its cursor
  (the feeds list each appointment's latest change: a change overtaken by a later one may go
  unseen, but a change committed after the cursor moved never sits behind it);
- caught up: the first empty page after the writers stopped has every appointment's latest
  version, and each resource's cursor is at its last position.
The default profile runs a few examples; HYPOTHESIS_PROFILE=deep (`make test-deep`) many more.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from google.api_core.exceptions import Aborted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.firestore_ops import counting
from functions import i18n
from functions.adapters.appointments_store import AppointmentStore, StoredAppointment
from functions.context import get_context
from functions.services import feed
from functions.sync.model import Appointment
from tests.integration.conftest import Api

pytestmark = pytest.mark.firestore
DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
RESOURCES = ["anna", "raum-1", "2-geraet"]  # ids a field path must quote, too
IDS = [f"a{i}" for i in range(5)]
TITLES = ["Hörtest", "Anpassung"]

# A write: (appointment, resource or None for a deletion, title)
WRITE = st.tuples(st.sampled_from(IDS), st.one_of(st.none(), st.sampled_from(RESOURCES)),
                  st.sampled_from(TITLES))
WRITERS = st.lists(st.lists(WRITE, min_size=1, max_size=6), min_size=2, max_size=3)


@dataclass(frozen=True)
class Change:
    """A committed change, as its writer got it back."""

    appointment_id: str
    version: int
    resource_id: str
    deleted: bool
    title: str
    at: frozenset[tuple[str, int]]  # (resource, position) of this change in each sequence


@dataclass
class Seen:
    appointment_id: str
    version: int
    resource_id: str
    deleted: bool
    title: str | None


def committed(answers: list[StoredAppointment]) -> list[Change]:
    """The distinct changes (a put with equal content answers the current version again), each
    with the positions it took: those where its `seqs` differ from the version before."""
    by_id: dict[str, dict[int, StoredAppointment]] = defaultdict(dict)
    for stored in answers:
        by_id[stored.appointment.id][stored.appointment.version or 0] = stored
    out = []
    for appointment_id, versions in by_id.items():
        before: dict[str, int] = {}
        for version in sorted(versions):
            stored = versions[version]
            at = frozenset((r, p) for r, p in stored.seqs.items() if before.get(r) != p)
            assert at, f"{appointment_id} v{version} took no position"
            out.append(Change(appointment_id, version, stored.appointment.resource_id, stored.deleted,
                              stored.appointment.title, at))
            before = dict(stored.seqs)
    return out


def write(store: AppointmentStore, ops: list[tuple[str, str | None, str]]) -> list[StoredAppointment]:
    """The writer's committed changes. A transaction the emulator aborted on every attempt (it
    breaks a lock conflict by a 2 s timeout, Firestore by aborting the younger one at once)
    did not commit: not a change."""
    answers = []
    for appointment_id, resource_id, title in ops:
        try:
            if resource_id is None:
                deleted = store.delete(appointment_id)
                if deleted is not None:
                    answers.append(deleted)
            else:
                answers.append(store.put(Appointment(
                    appointment_id, resource_id, "2031-05-06T09:00:00+02:00", "2031-05-06T10:00:00+02:00",
                    title)))
        except (Aborted, ValueError) as exc:
            assert isinstance(exc, Aborted) or isinstance(exc.__cause__, Aborted), exc
    return answers


def read_branch(api: Api, branch: str, limit: int, stop: threading.Event, pause: float = 0.0
                ) -> list[tuple[list[Seen], feed.Position]]:
    """Pages of the branch feed until the first empty page after the writers stopped."""
    pages, cursor = [], None
    while True:
        time.sleep(pause)  # a slower reader meets more changes per page
        stopped = stop.is_set()
        query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = api.call("GET", f"/planner/branches/{branch}/changes", query_string=query)
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()
        seen = [Seen(c["appointment_id"], c["version"], (c.get("appointment") or {}).get("resource_id"),
                     c["deleted"], (c.get("appointment") or {}).get("title")) for c in body["changes"]]
        cursor = body["cursor"]
        pages.append((seen, feed.decode(cursor)))
        if stopped and not seen:
            return pages


def read_resource(store: AppointmentStore, resource_id: str, stop: threading.Event, pause: float = 0.0
                  ) -> list[tuple[list[StoredAppointment], int]]:
    """Polls of one resource's feed, as the sync reads it, until caught up after the writers."""
    polls, cursor = [], 0
    while True:
        time.sleep(pause)
        stopped = stop.is_set()
        items = store.changes_since(resource_id, cursor, limit=3)
        cursor = items[-1].position(resource_id) if items else cursor
        polls.append((items, cursor))
        if stopped and not items:
            return polls


def check_positions(changes: list[Change], last: dict[str, int]) -> None:
    for resource_id in RESOURCES:
        positions = sorted(p for c in changes for r, p in c.at if r == resource_id)
        assert positions == list(range(1, len(positions) + 1)), (resource_id, positions)
        assert last.get(resource_id, 0) == len(positions)


def read_to(position: feed.Position, resource_id: str) -> int:
    return int(position.resources.get(resource_id, 0))


def check_branch_reader(pages: list[tuple[list[Seen], feed.Position]], changes: list[Change]) -> None:
    known = {(c.appointment_id, c.version): c for c in changes}
    newest: dict[str, int] = {}
    for seen, position in pages:
        for s in seen:
            change = known[(s.appointment_id, s.version)]
            assert (s.deleted, s.resource_id if not s.deleted else change.resource_id) == (
                change.deleted, change.resource_id)
            assert s.deleted or s.title == change.title
            assert s.version > newest.get(s.appointment_id, 0), f"{s} again or out of order"
            newest[s.appointment_id] = s.version
        for c in changes:  # the cursor has passed c: c or a later version was read, or is ahead
            if dict(c.at)[c.resource_id] <= read_to(position, c.resource_id):
                ahead = any(later.appointment_id == c.appointment_id and later.version > c.version
                            and dict(later.at)[later.resource_id] > read_to(position, later.resource_id)
                            for later in changes)
                assert newest.get(c.appointment_id, 0) >= c.version or ahead, f"{c} skipped at {position}"
    latest = {}
    for c in changes:
        latest[c.appointment_id] = max(latest.get(c.appointment_id, 0), c.version)
    assert newest == latest


def check_resource_reader(resource_id: str, polls: list[tuple[list[StoredAppointment], int]],
                          changes: list[Change], last: int) -> None:
    known = {(c.appointment_id, c.version): c for c in changes}
    newest: dict[str, int] = {}
    position = 0
    for items, cursor in polls:
        for item in items:
            change = known[(item.appointment.id, item.appointment.version or 0)]
            assert (change.resource_id, change.deleted) == (item.appointment.resource_id, item.deleted)
            # its position here was taken by this change or an earlier one (a later change on
            # another resource leaves it): it is in this feed from that change on
            assert any((resource_id, item.position(resource_id)) in c.at for c in changes
                       if c.appointment_id == change.appointment_id and c.version <= change.version)
            assert item.position(resource_id) > position, "a position again or out of order"
            position = item.position(resource_id)
            assert (item.appointment.version or 0) > newest.get(item.appointment.id, 0)
            newest[item.appointment.id] = item.appointment.version or 0
        for c in changes:
            passed = dict(c.at).get(resource_id, cursor + 1) <= cursor
            ahead = any(later.appointment_id == c.appointment_id and later.version > c.version
                        and dict(later.at).get(resource_id, 0) > cursor for later in changes)
            if passed and not ahead:
                assert newest.get(c.appointment_id, 0) >= c.version, f"{c} skipped at {cursor}"
    assert polls[-1][1] == last


@settings(max_examples=150 if DEEP else 8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(writers=WRITERS, limit=st.integers(1, 4), pause=st.sampled_from([0.0, 0.0, 0.03, 0.1]))
def test_concurrent_writers_and_readers_keep_the_feeds_promises(
        api: Api, writers: list[list[tuple[str, str | None, str]]], limit: int, pause: float) -> None:
    branch = f"b-{uuid.uuid4().hex[:8]}"
    api.setup_branch(branch, resources=tuple(RESOURCES))
    db = get_context().store.db
    stop = threading.Event()
    with ThreadPoolExecutor(len(writers) + 1 + len(RESOURCES)) as pool:
        branch_reader = pool.submit(read_branch, api, branch, limit, stop, pause)
        resource_readers = {r: pool.submit(read_resource, AppointmentStore(db, branch), r, stop, pause)
                            for r in RESOURCES}
        written = [pool.submit(write, AppointmentStore(db, branch), ops) for ops in writers]
        try:
            answers = [a for w in written for a in w.result()]
        finally:
            stop.set()
        pages = branch_reader.result()
        polls = {r: reader.result() for r, reader in resource_readers.items()}
    changes = committed(answers)
    last = {r.resource_id: r.appointment_seq for r in get_context().store.list_resources(branch)}
    check_positions(changes, last)
    check_branch_reader(pages, changes)
    check_branch_reader(read_branch(api, branch, limit, stop), changes)  # afterwards, from the start
    for resource_id, resource_polls in polls.items():
        check_resource_reader(resource_id, resource_polls, changes, last[resource_id])


def _legacy_doc(appointment_id: str, resource_id: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {"resource_id": resource_id, "start": "2031-05-06T09:00:00+02:00",
            "end": "2031-05-06T10:00:00+02:00", "all_day": False, "title": f"alt {seq}", "location": None,
            "notes": None, "version": 1, "deleted": False, "origin": "planner", "seq": seq,
            "updated": extra.pop("updated", None), **extra}


def test_documents_from_before_issue_10_are_in_the_feed_and_an_old_cursor_goes_on(api: Api) -> None:
    """Data written by the earlier version (one `seq` per branch, no per-resource positions) is
    not migrated: the feed lists it from its old sequence, a client holding an old cursor (digits)
    gets what came after it there and then every new change, and a document written again
    leaves the old sequence for its resource's."""
    from datetime import UTC, datetime, timedelta

    api.setup_branch("alt", resources=("anna", "raum-1"))
    db = get_context().store.db
    branch = db.collection("branches").document("alt")
    early = datetime(2020, 1, 1, tzinfo=UTC)
    old = [("x1", "anna"), ("x2", "raum-1"), ("x3", "anna")]
    for seq, (appointment_id, resource_id) in enumerate(old, 1):
        branch.collection("appointments").document(appointment_id).set(
            _legacy_doc(appointment_id, resource_id, seq, updated=early + timedelta(minutes=seq)))
    branch.set({"appointment_seq": 3, "resource_seq": {"anna": 3, "raum-1": 2}}, merge=True)
    store = AppointmentStore(db, "alt")
    store.put(Appointment("x3", "raum-1", "2031-05-06T09:00:00+02:00", "2031-05-06T10:00:00+02:00", "neu"))
    store.put(Appointment("n1", "anna", "2031-05-07T09:00:00+02:00", "2031-05-07T10:00:00+02:00", "neu"))

    def pages(cursor: str | None) -> list[tuple[str, int]]:
        out = []
        while True:
            query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            r = api.call("GET", "/planner/branches/alt/changes", query_string=query)
            assert r.status_code == 200, r.get_data(as_text=True)
            body = r.get_json()
            if not body["changes"]:
                assert body["cursor"] == cursor
                return out
            out += [(c["appointment_id"], c["version"]) for c in body["changes"]]
            cursor = body["cursor"]

    assert pages(None) == [("x1", 1), ("x2", 1), ("x3", 2), ("n1", 1)]  # from the beginning
    assert pages("1") == [("x2", 1), ("x3", 2), ("n1", 1)]               # an old client's cursor
    assert pages("3") == [("x3", 2), ("n1", 1)]


@pytest.mark.parametrize("cursor", [
    "c1.", "c1.MA=", "c1.MA==", "c2.MA", "C1.MA", "c1.M A", "c1.M+", "c1." + "A" * 20000,
    "c1.MDthbm5hPTA",            # 0;anna=0         (a zero position is never written)
    "c1.MDthbm5hPTE7YW5uYT0y",   # 0;anna=1;anna=2
    "c1.MDtyYXVtPTE7YW5uYT0y",   # 0;raum=1;anna=2  (not in the feed's order)
    "c1.MDthbm5hPTAx",           # 0;anna=01
    "c1.LTE",                    # -1
    "c1.MDsvPTE",                # 0;/=1
    "c1.MR",                     # "1" with other trailing bits: not the feed's spelling
    "c1.OTIyMzM3MjAzNjg1NDc3NTgwOA",          # 9223372036854775808: past Firestore's integers
    "c1.MDthbm5hPTkyMjMzNzIwMzY4NTQ3NzU4MDg",  # 0;anna=9223372036854775808
])
def test_a_cursor_the_feed_did_not_answer_is_400(api: Api, cursor: str) -> None:
    api.setup_branch()
    r = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": cursor},
                 headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_cursor"), cursor
    assert r.get_json()["error"]["message"] == i18n.render(
        "cursor_invalid", "en", {"max_position": 9223372036854775807})


def test_the_largest_positions_are_a_cursor_the_feed_takes(api: Api) -> None:
    api.setup_branch()
    for position in (feed.Position(feed.MAX_POSITION), feed.Position(0, {"anna": feed.MAX_POSITION})):
        cursor = feed.encode(position)
        r = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": cursor})
        assert r.status_code == 200 and r.get_json() == {"changes": [], "cursor": cursor}, position


def test_cursors_round_trip() -> None:
    position = feed.Position(7, {"anna": 3, "raum-1": 12, "2-geraet": 1})
    assert feed.decode(feed.encode(position)) == position
    assert feed.decode(None) == feed.decode("") == feed.Position()
    assert feed.decode("42") == feed.Position(42)
    zero_left_out = feed.Position(7, {"anna": 0, "raum-1": 12})
    assert feed.encode(zero_left_out) == feed.encode(feed.Position(7, {"raum-1": 12}))


@pytest.mark.parametrize("limit", [100, 2])
def test_a_document_written_again_while_a_page_is_read_comes_in_its_newest_version(
        api: Api, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The page meets a document from before issue 10 twice: in the old sequence, and (written
    again after that read) in its resource's. Only the newer version is listed, at its place;
    it replaces the older one, so it has room also in a page that is full."""
    from datetime import UTC, datetime

    api.setup_branch("alt", resources=("anna",))
    db = get_context().store.db
    branch = db.collection("branches").document("alt")
    branch.collection("appointments").document("x1").set(
        _legacy_doc("x1", "anna", 1, updated=datetime(2020, 1, 1, tzinfo=UTC)))
    branch.set({"appointment_seq": 1}, merge=True)
    store = AppointmentStore(db, "alt")
    store.put(Appointment("n1", "anna", "2031-05-07T09:00:00+02:00", "2031-05-07T10:00:00+02:00", "neu"))
    original = AppointmentStore.legacy_changes_since

    def then_written_again(self: AppointmentStore, cursor: int, limit: int = 1000) -> Any:
        chunk = original(self, cursor, limit)
        monkeypatch.setattr(AppointmentStore, "legacy_changes_since", original)
        store.put(Appointment("x1", "anna", "2031-05-06T09:00:00+02:00", "2031-05-06T10:00:00+02:00",
                              "geändert"))
        return chunk

    monkeypatch.setattr(AppointmentStore, "legacy_changes_since", then_written_again)
    body = api.call("GET", "/planner/branches/alt/changes", query_string={"limit": limit}).get_json()
    assert [(c["appointment_id"], c["version"]) for c in body["changes"]] == [("n1", 1), ("x1", 2)]
    assert body["changes"][1]["appointment"]["title"] == "geändert"
    again = api.call("GET", "/planner/branches/alt/changes", query_string={"cursor": body["cursor"]})
    assert again.get_json() == {"changes": [], "cursor": body["cursor"]}


def _booked(store: AppointmentStore, appointment_id: str, resource_id: str, title: str = "Hörtest") -> None:
    store.put(Appointment(appointment_id, resource_id, "2031-05-06T09:00:00+02:00",
                          "2031-05-06T10:00:00+02:00", title))


def _moves_listed_already(api: Api) -> tuple[AppointmentStore, str]:
    """anna's first read (a full one) is all moves to raum-1 that the reader's cursor (further in
    raum-1 than in anna) has listed there; b1 comes after them in anna."""
    api.setup_branch()
    store = AppointmentStore(get_context().store.db, "berlin")
    for i in range(feed.MIN_READ):
        _booked(store, f"a{i}", "anna")
    for i in range(feed.MIN_READ):
        _booked(store, f"a{i}", "raum-1", "verlegt")
    _booked(store, "b1", "anna", "neu")
    return store, feed.encode(feed.Position(0, {"raum-1": feed.MIN_READ}))  # raum-1 read to its end


def _page(api: Api, cursor: str, limit: int) -> list[tuple[str, str]]:
    r = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": cursor, "limit": limit})
    assert r.status_code == 200, r.get_data(as_text=True)
    return [(c["appointment_id"], c["appointment"]["resource_id"]) for c in r.get_json()["changes"]]


def test_a_page_goes_on_past_a_full_read_of_moves_it_has_listed_already(api: Api) -> None:
    """The page reads on and lists what anna has after the moves; an empty page would say
    "caught up" while it is not."""
    _, cursor = _moves_listed_already(api)
    assert _page(api, cursor, feed.MIN_READ) == [("b1", "anna")]


def test_a_move_into_a_resource_the_page_has_read_to_its_end_is_read_there(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    store, cursor = _moves_listed_already(api)
    original = AppointmentStore.changes_since

    def then_b1_moves(self: AppointmentStore, resource_id: str, after: int, limit: int = 1000) -> Any:
        chunk = original(self, resource_id, after, limit)
        if resource_id == "raum-1":  # raum-1 read to its end, for the first of the moves
            monkeypatch.setattr(AppointmentStore, "changes_since", original)
            _booked(store, "b1", "raum-1", "auch verlegt")
        return chunk

    monkeypatch.setattr(AppointmentStore, "changes_since", then_b1_moves)
    assert _page(api, cursor, feed.MIN_READ) == [("b1", "raum-1")]


def test_a_page_reads_about_what_it_lists_not_the_whole_sequence(api: Api) -> None:
    api.setup_branch()
    store = AppointmentStore(get_context().store.db, "berlin")
    for i in range(3 * feed.MIN_READ):
        _booked(store, f"a{i}", "anna")
    with counting() as ops:
        r = api.call("GET", "/planner/branches/berlin/changes", query_string={"limit": 5})
    assert [c["appointment_id"] for c in r.get_json()["changes"]] == [f"a{i}" for i in range(5)]
    assert ops["queries"] == 1 + 2, ops
    # the branch, its resources, and anna's changes two reads of 5 at a time (the second one
    # tells where the page ends)
    assert ops["reads"] <= 1 + 3 + 2 * 5, ops


def test_a_reader_that_is_nearly_caught_up_costs_a_query_for_its_news_only(api: Api) -> None:
    """Of the branch's sequences only those with news are read, each once when it ends early."""
    api.setup_branch()
    store = AppointmentStore(get_context().store.db, "berlin")
    _booked(store, "a1", "anna")
    _booked(store, "r1", "raum-1")
    cursor = api.call("GET", "/planner/branches/berlin/changes").get_json()["cursor"]
    _booked(store, "a2", "anna")
    with counting() as ops:
        r = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": cursor})
    assert [c["appointment_id"] for c in r.get_json()["changes"]] == ["a2"]
    assert ops["queries"] == 2, ops  # the branch's resources, and anna's news


def test_a_page_over_several_resources_reads_each_in_a_share_of_the_page(api: Api) -> None:
    """With three resources pending, a page of 80 reads each in chunks of 54 (twice its share,
    rounded up): one query each here, where chunks of 20 would need two."""
    resources = ("anna", "raum-1", "geraet")
    api.setup_branch(resources=resources)
    store = AppointmentStore(get_context().store.db, "berlin")
    for i in range(30):
        for resource in resources:
            _booked(store, f"{resource}-{i}", resource)
    with counting() as ops:
        r = api.call("GET", "/planner/branches/berlin/changes", query_string={"limit": 80})
    assert len(r.get_json()["changes"]) == 80
    assert ops["queries"] == 1 + 3, ops
    for i in range(30, 90):  # anna has more than 54 after the cursor: two reads
        _booked(store, f"anna-{i}", "anna")
    for resource in resources[1:]:
        _booked(store, f"{resource}-30", resource)
    with counting() as ops:
        r = api.call("GET", "/planner/branches/berlin/changes",
                     query_string={"limit": 80, "cursor": r.get_json()["cursor"]})
    assert len(r.get_json()["changes"]) == 10 + 60 + 2
    assert ops["queries"] == 1 + 3 + 1, ops


def test_a_page_of_the_old_sequence_reads_about_what_it_lists(api: Api) -> None:
    api.setup_branch("alt", resources=("anna",))
    db = get_context().store.db
    batch = db.batch()
    for seq in range(1, 3 * feed.MIN_READ + 1):
        batch.set(db.collection("branches").document("alt").collection("appointments").document(f"x{seq}"),
                  _legacy_doc(f"x{seq}", "anna", seq))
    batch.commit()
    db.collection("branches").document("alt").set({"appointment_seq": 3 * feed.MIN_READ}, merge=True)
    with counting() as ops:
        r = api.call("GET", "/planner/branches/alt/changes", query_string={"limit": 5})
    assert [c["appointment_id"] for c in r.get_json()["changes"]] == [f"x{i}" for i in range(1, 6)]
    assert ops["reads"] <= 1 + 1 + 2 * 5, ops


def test_a_well_formed_cursor_longer_than_the_limit_is_400(api: Api) -> None:
    api.setup_branch()
    many = feed.Position(0, {f"r{i:05d}": 1 for i in range(2000)})
    cursor = feed.encode(many)
    assert len(cursor) > feed.MAX_CURSOR_CHARS
    r = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": cursor})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_cursor")


def test_a_move_while_a_page_is_read_comes_in_that_page(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page reads the resources' counters first: a move committed after that shows in the old
    resource's changes as gone elsewhere, and the page reads the new resource too, so an empty
    page still means caught up."""
    api.setup_branch()
    store = AppointmentStore(get_context().store.db, "berlin")
    store.put(Appointment("m1", "anna", "2031-05-06T09:00:00+02:00", "2031-05-06T10:00:00+02:00", "Hörtest"))
    first = api.call("GET", "/planner/branches/berlin/changes").get_json()
    assert [c["appointment_id"] for c in first["changes"]] == ["m1"]
    store.put(Appointment("m1", "anna", "2031-05-06T09:00:00+02:00", "2031-05-06T10:00:00+02:00", "neu"))
    original = type(get_context().store).list_resources

    def then_moved(self: Any, branch_id: str) -> Any:
        resources = original(self, branch_id)  # anna has news, raum-1 none: only anna is read
        store.put(Appointment("m1", "raum-1", "2031-05-06T09:00:00+02:00", "2031-05-06T10:00:00+02:00",
                              "verlegt"))
        monkeypatch.setattr(type(get_context().store), "list_resources", original)
        return resources

    monkeypatch.setattr(type(get_context().store), "list_resources", then_moved)
    r = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": first["cursor"]})
    (change,) = r.get_json()["changes"]
    assert (change["version"], change["appointment"]["resource_id"]) == (3, "raum-1")
    cursor = r.get_json()["cursor"]
    again = api.call("GET", "/planner/branches/berlin/changes", query_string={"cursor": cursor})
    assert again.get_json() == {"changes": [], "cursor": cursor}
