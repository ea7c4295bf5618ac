"""Random edits on both sides of two linked resources, syncs in between, and the promise:
once syncing has nothing new to do, future in-window appointments and events correspond one to
one with equal projected content, and a further run plans nothing at all.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from functions.sync import mapping
from functions.sync.model import Appointment, Content, Policy

from .builders import NOW
from .simulation import World
from .strategies import appointments, phone_fields, policies

RESOURCES = ("r1", "r2")
resources = st.sampled_from(RESOURCES)


class SyncMachine(RuleBasedStateMachine):
    world: World

    @initialize(first=policies, second=policies)
    def create_world(self, first: Policy, second: Policy) -> None:
        # Conflict rule and language are per branch, privacy per resource.
        second = replace(second, conflict_resolution=first.conflict_resolution, language=first.language)
        self.world = World.create(NOW, {"r1": first, "r2": second})
        self.numbers = itertools.count()

    # --- the planner -------------------------------------------------------------------------

    @rule(resource=resources, appointment=appointments(first_day=-1))
    def planner_books(self, resource: str, appointment: Appointment) -> None:
        self.world.planner.save(replace(appointment, id=f"a{next(self.numbers)}", resource_id=resource))

    def _pick_appointment(self, data: st.DataObject) -> Appointment:
        return self.world.planner.appointments[
            data.draw(st.sampled_from(sorted(self.world.planner.appointments)))
        ]

    @precondition(lambda self: self.world.planner.appointments)
    @rule(data=st.data())
    def planner_edits(self, data: st.DataObject) -> None:
        old = self.world.planner.appointments[
            data.draw(st.sampled_from(sorted(self.world.planner.appointments)))
        ]
        new = data.draw(appointments(first_day=-1))
        self.world.planner.save(replace(new, id=old.id, resource_id=old.resource_id, version=old.version))

    @precondition(lambda self: self.world.planner.appointments)
    @rule(data=st.data(), resource=resources)
    def planner_moves(self, data: st.DataObject, resource: str) -> None:
        old = self.world.planner.appointments[
            data.draw(st.sampled_from(sorted(self.world.planner.appointments)))
        ]
        self.world.planner.save(replace(old, resource_id=resource))

    @precondition(lambda self: self.world.planner.appointments)
    @rule(data=st.data())
    def planner_cancels(self, data: st.DataObject) -> None:
        self.world.planner.delete(data.draw(st.sampled_from(sorted(self.world.planner.appointments))))

    # --- the phone ---------------------------------------------------------------------------

    @rule(resource=resources, fields=phone_fields(first_day=0))
    def phone_books(self, resource: str, fields: dict) -> None:
        self.world.links[resource].calendar.insert({"id": f"phone{next(self.numbers):04}", **fields})

    def _future_events(self, resource: str) -> list[str]:
        """Phone edits touch future events only: edits of past ones are frozen by design."""
        side = self.world.links[resource]
        found = []
        for item in side.calendar.live():
            content = mapping.event_content(
                mapping.event_from_google(item), side.policy.privacy, "Europe/Berlin"
            )
            if mapping.content_span(content, "Europe/Berlin")[1] > self.world.clock.now:
                found.append(item["id"])
        return sorted(found)

    @rule(data=st.data(), resource=resources, fields=phone_fields(first_day=0), only_title=st.booleans())
    def phone_edits(self, data: st.DataObject, resource: str, fields: dict, only_title: bool) -> None:
        candidates = self._future_events(resource)
        if candidates:
            patch = {"summary": fields["summary"]} if only_title else fields
            self.world.links[resource].calendar.patch(data.draw(st.sampled_from(candidates)), patch)

    @rule(data=st.data(), resource=resources)
    def phone_cancels(self, data: st.DataObject, resource: str) -> None:
        live = sorted(e["id"] for e in self.world.links[resource].calendar.live())
        if live:
            self.world.links[resource].calendar.delete(data.draw(st.sampled_from(live)))

    # --- the shell ---------------------------------------------------------------------------

    @rule(resource=resources, full=st.booleans())
    def sync(self, resource: str, full: bool) -> None:
        self.world.sync(resource, full=full)

    @rule(data=st.data(), resource=resources, on_phone=st.booleans(), title=st.text("xyz", max_size=3))
    def sync_racing_an_edit(self, data: st.DataObject, resource: str, on_phone: bool, title: str) -> None:
        """An edit lands between planning and writing: 412 / stale version, re-read, re-plan."""

        def edit() -> None:
            if on_phone and (candidates := self._future_events(resource)):
                event_id = data.draw(st.sampled_from(candidates))
                self.world.links[resource].calendar.patch(event_id, {"summary": title})
            elif not on_phone and self.world.planner.appointments:
                old = self._pick_appointment(data)
                self.world.planner.save(replace(old, title=title))

        self.world.sync(resource, before_apply=edit)

    @rule(resource=resources)
    def state_is_lost(self, resource: str) -> None:
        self.world.links[resource].lose_state()

    @rule(hours=st.integers(1, 60))
    def time_passes(self, hours: int) -> None:
        self.world.clock.now += timedelta(hours=hours)

    @rule()
    def settle(self) -> None:
        """Sync until no run asks for a full listing; then one more run must plan nothing."""
        for _ in range(3):
            plans = self.world.sync_all(force=True)
            if not any(p.full_sync_needed for p in plans):
                break
        quiet = self.world.sync_all()
        assert [p.actions for p in quiet] == [(), ()]
        for resource in RESOURCES:
            assert self._appointments(resource) == self._events(resource)

    def _appointments(self, resource: str) -> dict[str, Content]:
        policy, now = self.world.links[resource].policy, self.world.clock.now
        found = {}
        for appointment in self.world.planner.appointments.values():
            content = mapping.appointment_content(appointment, policy.privacy)
            span = mapping.content_span(content, policy.timezone)
            if appointment.resource_id == resource and mapping.in_window(*span, now, policy.horizon_days):
                found[appointment.id] = content
        return found

    def _events(self, resource: str) -> dict[str, Content]:
        side, now = self.world.links[resource], self.world.clock.now
        found: dict[str, Content] = {}
        for item in side.calendar.live():
            event = mapping.event_from_google(item)
            content = mapping.event_content(event, side.policy.privacy, side.policy.timezone)
            span = mapping.content_span(content, side.policy.timezone)
            if not mapping.in_window(*span, now, side.policy.horizon_days):
                continue
            key = mapping.owned_appointment_id(event, "b1") or mapping.appointment_id_for_event(
                "b1", resource, event.id
            )
            assert key not in found, f"two events for appointment {key}"
            found[key] = content
        return found


TestSyncMachine = SyncMachine.TestCase
