"""The upgrade to a change sequence per resource (issue 10), for links that synced before it.

Before, a link's `planner_cursor` counted the branch-wide sequence (`seq` on the appointment,
`appointment_seq` on the branch document). Such a link has no `resource_cursor`: its next run
lists the resource completely, once, so nothing the old version wrote is missed and nothing is
deleted again. An instance of the old version still writing during the deployment moves only
the branch's old counter: the links of that branch then list their resources completely too.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.domain import link_id
from functions.sync.mapping import event_id_for
from tests.integration.conftest import BRANCH, Api, every_document
from tests.integration.test_sync import at, live, put, sync

pytestmark = pytest.mark.firestore


def old_version_writes(db: firestore.Client, appointment_id: str, seq: int, **fields: Any) -> None:
    """A write as the version before issue 10 made it: the whole document with the branch's
    next `seq`, no per-resource positions, the branch's counter moved."""
    ref = db.collection("branches").document(BRANCH).collection("appointments").document(appointment_id)
    current = ref.get().to_dict() or {}
    doc = {k: v for k, v in current.items() if k != "seqs"}
    doc |= {"version": int(current.get("version", 0)) + 1, "origin": "planner", "seq": seq,
            "updated": firestore.SERVER_TIMESTAMP, "deleted": False, **fields}
    ref.set(doc)
    db.collection("branches").document(BRANCH).set({"appointment_seq": seq}, merge=True)


def test_a_link_from_before_lists_once_and_misses_nothing(linked: tuple[Api, str], control: EmulatorControl,
                                                          firestore_client: firestore.Client) -> None:
    api, cal = linked
    put(api, "t1", title="bleibt")
    put(api, "t2", title="wird gelöscht", start=at(3), end=at(3, 10))
    assert sync(api)["pushed"] == 2
    db = firestore_client
    # The state the old version left: its last run saw the branch's sequence up to 6; since then
    # it deleted t2 (seq 7) and booked t3 (seq 8), which no run has seen.
    old_version_writes(db, "t1", 6)
    old_version_writes(db, "t2", 7, deleted=True, version=5)
    old_version_writes(db, "t3", 8, resource_id="anna", start=at(4), end=at(4, 10), all_day=False,
                       title="neu", location=None, notes=None, version=1)
    link = db.collection("links").document(link_id(BRANCH, "anna"))
    link.update({"resource_cursor": firestore.DELETE_FIELD, "planner_cursor": 6})

    assert sync(api) == {"links": 1, "pushed": 2, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
    events = live(control, cal)
    assert set(events) == {event_id_for(BRANCH, "t1"), event_id_for(BRANCH, "t3")}
    assert events[event_id_for(BRANCH, "t1")]["summary"] == "bleibt"  # listed, not written again
    assert link.get().get("resource_cursor") is not None and link.get().get("planner_cursor") == 8

    assert sync(api)["pushed"] == 0  # the echo of its own writes
    stamps = {d.reference.path: d.update_time for d in every_document(db)}
    control.reset_counters()
    assert sync(api)["pushed"] == 0
    assert control.counters()["calendars"][cal] == {"read": 1, "write": 0}  # idle again
    assert {d.reference.path: d.update_time for d in every_document(db)} == stamps


def test_a_write_of_the_old_version_during_the_deployment_is_not_missed(
        linked: tuple[Api, str], control: EmulatorControl, firestore_client: firestore.Client) -> None:
    api, cal = linked
    put(api, "t1", title="vorher")
    sync(api)
    sync(api)
    old_version_writes(firestore_client, "t1", 1, title="vom alten Stand")  # no position in anna's
    assert sync(api)["pushed"] == 1
    assert live(control, cal)[event_id_for(BRANCH, "t1")]["summary"] == "vom alten Stand"
    put(api, "t1", title="nachher")  # the new version writes it again: anna's sequence has it
    assert sync(api)["pushed"] == 1
    assert live(control, cal)[event_id_for(BRANCH, "t1")]["summary"] == "nachher"
