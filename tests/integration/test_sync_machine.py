"""Random edits on both sides, faults and sync runs against the REAL engine on the emulators.

Invariant, once faults stop and sync has run: every future appointment of a linked resource and
every future event of its calendar correspond one to one, with equal content; nothing is
duplicated and nothing is lost. The quick in-memory machine over the pure core lives in
tests/unit/sync; this one proves the shell (Firestore, batches, retries, lease, cursors).
Examples: HYPOTHESIS_PROFILE=ci (default) runs a few, `make test-deep` runs 500.
"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from werkzeug.test import Client

from devtools.devserver import create_devserver_app
from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.client import EmulatorControl
from functions.adapters.sync_store import SyncStore
from functions.context import get_context, reset_caches
from functions.sync.engine import Engine
from tests.integration.conftest import BRANCH, Api

pytestmark = [pytest.mark.firestore, pytest.mark.slow]
DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
IDS = [f"a{i}" for i in range(6)]
RESOURCES = ["anna", "raum-1"]
TITLES = ["Hörtest", "Anpassung", "Kontrolle"]
ZONE_OFFSET = "+01:00"
SERVERS: dict[str, Any] = {}


def when(day: int, hour: int) -> str:
    date = (datetime.now(UTC) + timedelta(days=day)).date().isoformat()
    return f"{date}T{hour:02d}:00:00{ZONE_OFFSET}"


class SyncMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        google: EmulatorServer = SERVERS["google"]
        google.state.reset()
        os.environ["GOOGLE_CLOUD_PROJECT"] = f"machine-{uuid.uuid4().hex[:10]}"
        reset_caches()
        self.api = Api(Client(create_devserver_app()), google, os.environ["SECRET_PLANNER_JWT_KEY"])
        self.control = EmulatorControl(google.root)
        self.api.setup_branch(resources=tuple(RESOURCES))
        self.calendars: dict[str, str] = {}
        for resource in RESOURCES:
            self.api.consent(resource=resource)
            r = self.api.call("POST", f"/links/{BRANCH}/{resource}", {"new_calendar": {"summary": resource}})
            assert r.status_code == 200, r.get_data(as_text=True)
            self.calendars[resource] = r.get_json()["google_calendar_id"]
        self.crash_next = False

    # The planner ----------------------------------------------------------------------------

    @rule(appointment=st.sampled_from(IDS), resource=st.sampled_from(RESOURCES),
          day=st.sampled_from([-2, 1, 2, 3]), hour=st.integers(8, 16), title=st.sampled_from(TITLES))
    def planner_put(self, appointment: str, resource: str, day: int, hour: int, title: str) -> None:
        r = self.api.call("PUT", f"/planner/branches/{BRANCH}/appointments/{appointment}", {
            "resource_id": resource, "start": when(day, hour), "end": when(day, hour + 1), "title": title})
        assert r.status_code == 200, r.get_data(as_text=True)

    @rule(appointment=st.sampled_from(IDS))
    def planner_delete(self, appointment: str) -> None:
        r = self.api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/{appointment}")
        assert r.status_code in (204, 404)

    # The phone ----------------------------------------------------------------------------------

    def _live(self, resource: str) -> list[dict]:
        return [e for e in self.control.events(self.calendars[resource]) if e["status"] != "cancelled"]

    @rule(resource=st.sampled_from(RESOURCES), day=st.sampled_from([-2, 1, 2, 4]), hour=st.integers(8, 16),
          title=st.sampled_from(TITLES))
    def phone_create(self, resource: str, day: int, hour: int, title: str) -> None:
        self.control.phone_create(self.calendars[resource], {
            "summary": title, "start": {"dateTime": when(day, hour)},
            "end": {"dateTime": when(day, hour + 1)}})

    @rule(resource=st.sampled_from(RESOURCES), pick=st.integers(0, 20), day=st.sampled_from([1, 3, 5]),
          title=st.sampled_from(TITLES))
    def phone_edit(self, resource: str, pick: int, day: int, title: str) -> None:
        events = self._live(resource)
        if events:
            event = events[pick % len(events)]
            self.control.phone_patch(self.calendars[resource], event["id"], {
                "summary": title, "start": {"dateTime": when(day, 10)}, "end": {"dateTime": when(day, 11)}})

    @rule(resource=st.sampled_from(RESOURCES), pick=st.integers(0, 20))
    def phone_delete(self, resource: str, pick: int) -> None:
        events = self._live(resource)
        if events:
            self.control.phone_delete(self.calendars[resource], events[pick % len(events)]["id"])

    # Faults -------------------------------------------------------------------------------------

    @rule(code=st.sampled_from([429, 503]), count=st.integers(1, 3), ghost=st.booleans())
    def fault(self, code: int, count: int, ghost: bool) -> None:
        if ghost:
            self.control.add_fault(503, count=count, kind="write", ghost=True)
        else:
            self.control.add_fault(code, count=count)

    @rule()
    def lose_sync_tokens(self) -> None:
        self.control.invalidate_sync_tokens()

    @rule()
    def crash_during_next_run(self) -> None:
        self.crash_next = True

    # Sync runs ----------------------------------------------------------------------------------

    @rule()
    def sync(self) -> None:
        if not self.crash_next:
            Engine(get_context()).run()
            return
        self.crash_next = False
        original = SyncStore.commit
        calls = {"n": 0}

        def crash_on_second(store: SyncStore, *args: Any, **kwargs: Any) -> int:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("instance killed")
            return original(store, *args, **kwargs)

        SyncStore.commit = crash_on_second  # type: ignore[method-assign]
        try:
            Engine(get_context()).run()
        finally:
            SyncStore.commit = original  # type: ignore[method-assign]

    @rule()
    def overlapping_syncs(self) -> None:
        threads = [threading.Thread(target=lambda: Engine(get_context()).run()) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    @precondition(lambda self: hasattr(self, "api"))
    @rule()
    def settle_and_check(self) -> None:
        self.control.clear_faults()
        for _ in range(3):
            Engine(get_context()).run()
        self._check()

    def _check(self) -> None:
        now = datetime.now(UTC)
        feed = self.api.call("GET", f"/planner/branches/{BRANCH}/changes?limit=1000").get_json()["changes"]
        latest: dict[str, dict] = {}
        for change in feed:
            latest[change["appointment_id"]] = change
        for resource in self.calendars:
            planner = sorted(
                (c["appointment"]["title"], _instant(c["appointment"]["start"]),
                 _instant(c["appointment"]["end"]))
                for c in latest.values()
                if not c["deleted"] and c["appointment"]["resource_id"] == resource
                and _instant(c["appointment"]["end"]) > now)
            google = sorted(
                (e.get("summary"), _instant(e["start"]["dateTime"]), _instant(e["end"]["dateTime"]))
                for e in self._live(resource) if _instant(e["end"]["dateTime"]) > now)
            assert planner == google, f"{resource}: planner {planner} != google {google}"

    def teardown(self) -> None:
        if hasattr(self, "api"):
            self.settle_and_check()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = settings(
    max_examples=500 if DEEP else 30, stateful_step_count=25 if DEEP else 20, deadline=None,
    suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True)
def _servers(google_server: EmulatorServer, firestore_emulator: object, api: Api) -> None:
    """The machine builds its own world per example; the fixtures provide the servers and the
    local environment (`api`)."""
    SERVERS["google"] = google_server
