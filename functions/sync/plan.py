"""The pure decision of a two-way sync run for one link: plain values in, actions out.

`plan_link` gathers one item per appointment id (planner side, Google side, stored state), reads
the tables below, and applies the circuit breaker. The shell executes the actions in order; each
write carries the state to store once it succeeded, so a failed write leaves the old state and
the next run decides again (deterministic ids and hashes make that safe).

Change detection, against the item's state:
  planner EDITED  = the appointment's content hash differs from `planner_hash`
  google  EDITED  = the event's etag differs from `google_etag` AND its hash from `google_hash`
  GONE            = deleted / cancelled, moved to another resource (planner), or missing from a
                    complete listing (over mapping.listing_bounds) while the state is in the window
  SAME            = not mentioned, or only etag/version/hidden fields moved (state refreshed)
Hashes cover only what the privacy level projects, so our own writes coming back and edits of
hidden fields (the phone's "Belegt") are SAME.

Synced items (state exists):
  planner \\ google | SAME               | EDITED                        | GONE
  SAME             | refresh state      | update appointment            | delete appointment
  EDITED           | update event       | conflict ①                    | conflict ②
  GONE             | delete event       | conflict ③                    | forget state
 ① equal content → save state; else planner_wins → update event, google_wins → update
   appointment, newest_wins → the later `updated` (ties: planner); reason both_changed_*.
 ② deleted_on_google_changed_in_planner: google_wins → delete appointment; otherwise the edit
   wins (newest_wins too: Google keeps no deletion time) → re-create the event under its old id.
 ③ deleted_in_planner_changed_on_google: planner_wins → delete event; otherwise the edit wins →
   re-create the appointment. A *move* to another resource always wins:
   moved_in_planner_changed_on_google → delete event here (the new calendar gets its own).

Items without state (new to this link):
  planner present, google present → adopt: equal content → save state; else
                                    found_on_both_sides_without_state, resolved as ①
  planner present only            → create event (deterministic id), if in the window; but a
                                    Google-born appointment (its event exists, or existed) waits
                                    for a complete listing: skip and ask for a full sync
  google present only             → if planner says deleted/moved → delete the stale event;
                                    our own event (marker) missing from a complete planner
                                    listing → delete it; our event, planner silent → skip and
                                    ask for a full sync; a Google-born event → create appointment
  anything else                   → nothing
  (items without state act only when in the window: end > now, start < now + horizon)

Window: an item whose stored span and every present side have ended is frozen: nothing is
written (past events and appointments are never touched); a real change on either side only
forgets the now stale state, so a later edit back into the future counts as a new item. The
shell may prune ended states at will (e.g. 30 days after `ends_at`). A synced item follows edits
anywhere, also into the past or beyond the horizon (one event per appointment). New items beyond
the horizon wait until a complete listing shows them inside it (the shell lists fully now and
then, e.g. daily).

Shell contract: take both cursors before writing (our writes come back as echoes and are
no-ops); fill etag/version from each write's answer (`ItemState.after_write`). On a rejected
precondition (412, stale version) re-read that item on both sides and plan it alone again
(`plan_link` with just its state, appointment and event); if that fails too, keep the cursors.
A blocked plan must not advance the cursors either. An item that cannot be mapped (ValueError
anywhere in its decision) becomes one RecordConflict invalid_appointment / invalid_event and no
write: the shell quarantines it and syncs the rest (one bad item never blocks its link).

Breaker: more than max(10, 20 % of synced items) deletions on either side → no actions at all,
`Plan.blocked` (mass_change_blocked), unless `force`.

Restore (an admin's answer to a held-back run, `restore`): the planner is the record restored
from. Where the table says "delete appointment" (its event is gone from Google), the event is
re-created under its old id instead; deletions made in the planner go to Google as they would
(the planner is what is restored, and a kept event would only be deleted by the next run). The
breaker does not stop it: it is the admin's decision. Needs a complete planner listing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from functions.sync import breaker, mapping
from functions.sync.items import Item, Seen, Window, gather
from functions.sync.model import (
    Action,
    ConflictReason,
    ConflictResolution,
    Content,
    CreateAppointment,
    CreateEvent,
    DeleteAppointment,
    DeleteEvent,
    ForgetState,
    GoogleChanges,
    ItemState,
    Link,
    Plan,
    PlannerChanges,
    Policy,
    RecordConflict,
    SaveState,
    Side,
    UpdateAppointment,
    UpdateEvent,
)


class Change(Enum):
    SAME = "same"
    EDITED = "edited"
    GONE = "gone"


class _NeedsFullSync(Exception):
    """Our own event showed up without state and the planner delta is silent about it."""


def plan_link(
    link: Link,
    policy: Policy,
    planner: PlannerChanges,
    google: GoogleChanges,
    states: Iterable[ItemState],
    now: datetime,
    *,
    force: bool = False,
    earlier: breaker.Recent = breaker.NONE_RECENT,
    restore: bool = False,
) -> Plan:
    """Decide every action of one sync run for one link. Pure: no I/O, no clock. `earlier`:
    the deletions the link's runs of the last hour applied (the breaker counts them too)."""
    states = tuple(states)
    window = Window(now, policy)
    items = gather(link, policy, planner, google, states, window)
    rules = _Rules(link, policy, window, google.complete, restore)
    actions: list[Action] = []
    full_sync_needed = False
    for key in sorted(items):
        item = items[key]
        try:
            actions.extend(rules.decide(item))
        except _NeedsFullSync:
            full_sync_needed = True
        except ValueError:  # one item that cannot be mapped never blocks the others
            item.invalid.append("planner" if item.appointment is not None else "google")
            actions.extend(rules.decide(item))
    synced_items = sum(state.ends_at > now for state in states)
    blocked = breaker.check(actions, synced_items=synced_items, force=force or restore, earlier=earlier)
    if blocked is not None:
        return Plan(blocked=blocked)
    return Plan(actions=tuple(actions), full_sync_needed=full_sync_needed, items=frozenset(items))


def _hash(content: Content | None) -> str | None:
    return None if content is None else mapping.content_hash(content)


@dataclass(frozen=True)
class _Rules:
    """The decision table, with the link's ids, policy and window at hand."""

    link: Link
    policy: Policy
    window: Window
    google_complete: bool = False
    restore: bool = False  # re-create the events Google lost instead of deleting appointments

    def decide(self, item: Item) -> list[Action]:
        if item.invalid:
            invalid_planner = "planner" in item.invalid
            reason = ConflictReason.INVALID_APPOINTMENT if invalid_planner else ConflictReason.INVALID_EVENT
            return [RecordConflict(item.key, self._event_id(item), reason, None)]
        duplicate = ConflictReason.DUPLICATE_EVENT
        strays: list[Action] = [RecordConflict(item.key, e.id, duplicate, None) for e in item.stray_events]
        if item.state is None:
            return [*strays, *self._unsynced(item)]
        changes = (self._planner_change(item), self._google_change(item))
        if self._frozen(item):
            # Nothing is written for the past; a real change there makes the state stale.
            return strays if changes == (Change.SAME, Change.SAME) else [*strays, ForgetState(item.key)]
        rule = _SYNCED_TABLE[changes]
        return [*strays, *rule(self, item)]

    # --- reading an item ---------------------------------------------------------------------

    def _frozen(self, item: Item) -> bool:
        assert item.state is not None
        return item.state.ends_at <= self.window.now and all(
            self.window.ended(c) for c in (item.planner_content, item.google_content)
        )

    def _planner_change(self, item: Item) -> Change:
        assert item.state is not None
        if item.planner in (Seen.DELETED, Seen.MOVED, Seen.ABSENT):
            return Change.GONE
        if item.planner is Seen.PRESENT and _hash(item.planner_content) != item.state.planner_hash:
            return Change.EDITED
        return Change.SAME

    def _google_change(self, item: Item) -> Change:
        assert item.state is not None
        if item.google in (Seen.DELETED, Seen.ABSENT):
            return Change.GONE
        if (
            item.event is not None
            and item.event.etag != item.state.google_etag
            and _hash(item.google_content) != item.state.google_hash
        ):
            return Change.EDITED
        return Change.SAME

    def _event_id(self, item: Item) -> str | None:
        if item.state is not None:
            return item.state.event_id
        return item.event.id if item.event is not None else None

    def _etag(self, item: Item) -> str | None:
        if item.event is not None:
            return item.event.etag
        return item.state.google_etag if item.state is not None else None

    def _version(self, item: Item) -> int | None:
        if item.appointment is not None and item.appointment.version is not None:
            return item.appointment.version
        return item.state.planner_version if item.state is not None else None

    def _winner(self, item: Item) -> tuple[Side, bool]:
        """Who wins a both-sides edit, and whether timestamps decided it."""
        rule = self.policy.conflict_resolution
        if rule is ConflictResolution.GOOGLE_WINS:
            return Side.GOOGLE, False
        if rule is ConflictResolution.PLANNER_WINS:
            return Side.PLANNER, False
        planner_at = item.appointment.updated if item.appointment else None
        google_at = item.event.updated if item.event else None
        later_on_google = planner_at is not None and google_at is not None and google_at > planner_at
        return (Side.GOOGLE if later_on_google else Side.PLANNER), True

    def _edit_beats_delete(self, loser_wins_policy: ConflictResolution) -> bool:
        return self.policy.conflict_resolution is not loser_wins_policy

    # --- building actions --------------------------------------------------------------------

    def _state(
        self,
        item: Item,
        event_id: str,
        planner: Content,
        google: Content,
        planner_version: int | None,
        google_etag: str | None,
    ) -> ItemState:
        starts_at, ends_at = self.window.span(google)
        recurring = item.event.recurring_event_id if item.event else None
        if recurring is None and item.state is not None:
            recurring = item.state.recurring_event_id
        return ItemState(
            item.key,
            event_id,
            mapping.content_hash(planner),
            mapping.content_hash(google),
            planner_version,
            google_etag,
            starts_at,
            ends_at,
            recurring,
        )

    def _push(self, item: Item, event_id: str, *, create: bool = False) -> Action:
        """Copy the appointment onto the event."""
        assert item.appointment is not None and item.planner_content is not None
        content = item.planner_content
        state = self._state(item, event_id, content, content, item.appointment.version, None)
        if create:
            return CreateEvent(item.key, event_id, mapping.event_body(item.appointment, self.policy), state)
        keep = mapping.kept_texts(content, item.event, item.state, self.policy.timezone)
        body = mapping.event_body(item.appointment, self.policy, keep)
        return UpdateEvent(item.key, event_id, body, self._etag(item), state)

    def _pull(self, item: Item, *, create: bool = False) -> Action:
        """Copy the event onto the appointment (only the fields the privacy level shows)."""
        assert item.event is not None and item.google_content is not None
        event, content = item.event, item.google_content
        if create:
            appointment = mapping.appointment_from_event(event, item.key, self.link, self.policy)
            planner = mapping.appointment_content(appointment, self.policy.privacy)
            state = self._state(item, event.id, planner, content, None, event.etag)
            return CreateAppointment(appointment, state)
        state = self._state(item, event.id, content, content, None, event.etag)
        fields = mapping.appointment_fields(event, self.policy)
        return UpdateAppointment(item.key, fields, self._version(item), state)

    def _conflict(self, item: Item, reason: ConflictReason, winner: Side) -> RecordConflict:
        return RecordConflict(item.key, self._event_id(item), reason, winner)

    def _delete_event(self, item: Item) -> list[Action]:
        event_id = self._event_id(item)
        assert event_id is not None
        return [DeleteEvent(item.key, event_id, self._etag(item))]

    # --- synced items: one method per cell of the table ---------------------------------------

    def refresh(self, item: Item) -> list[Action]:
        assert item.state is not None
        fresh = replace(item.state, google_etag=self._etag(item), planner_version=self._version(item))
        return [] if fresh == item.state else [SaveState(fresh)]

    def update_event(self, item: Item) -> list[Action]:
        assert item.state is not None
        return [self._push(item, item.state.event_id)]

    def update_appointment(self, item: Item) -> list[Action]:
        return [self._pull(item)]

    def delete_appointment(self, item: Item) -> list[Action]:
        if self.restore and item.state is not None and item.planner is Seen.PRESENT:
            return [self._push(item, item.state.event_id, create=True)]  # revives the old id
        return [DeleteAppointment(item.key, self._version(item))]

    def delete_event(self, item: Item) -> list[Action]:
        return self._delete_event(item)

    def forget(self, item: Item) -> list[Action]:
        return [ForgetState(item.key)]

    def both_edited(self, item: Item) -> list[Action]:
        assert item.state is not None and item.event is not None and item.appointment is not None
        return self._resolve(item, item.state.event_id, found=False)

    def edited_in_planner_deleted_on_google(self, item: Item) -> list[Action]:
        assert item.state is not None
        reason = ConflictReason.DELETED_ON_GOOGLE_CHANGED_IN_PLANNER
        if self._edit_beats_delete(ConflictResolution.GOOGLE_WINS):
            revive = self._push(item, item.state.event_id, create=True)
            return [self._conflict(item, reason, Side.PLANNER), revive]
        return [self._conflict(item, reason, Side.GOOGLE), *self.delete_appointment(item)]

    def deleted_in_planner_edited_on_google(self, item: Item) -> list[Action]:
        if item.planner is Seen.MOVED:
            reason = ConflictReason.MOVED_IN_PLANNER_CHANGED_ON_GOOGLE
            return [self._conflict(item, reason, Side.PLANNER), *self._delete_event(item)]
        reason = ConflictReason.DELETED_IN_PLANNER_CHANGED_ON_GOOGLE
        if self._edit_beats_delete(ConflictResolution.PLANNER_WINS):
            return [self._conflict(item, reason, Side.GOOGLE), self._pull(item, create=True)]
        return [self._conflict(item, reason, Side.PLANNER), *self._delete_event(item)]

    def _resolve(self, item: Item, event_id: str, *, found: bool) -> list[Action]:
        """Both sides differ: save if they agree, else let the policy pick and record why."""
        assert item.planner_content is not None and item.google_content is not None
        assert item.appointment is not None and item.event is not None
        if item.planner_content == item.google_content:
            state = self._state(
                item,
                event_id,
                item.planner_content,
                item.google_content,
                item.appointment.version,
                item.event.etag,
            )
            return [SaveState(state)]
        winner, by_time = self._winner(item)
        reason = _both_changed_reason(winner, by_time, found)
        change = self._push(item, event_id) if winner is Side.PLANNER else self._pull(item)
        return [self._conflict(item, reason, winner), change]

    # --- items without state -----------------------------------------------------------------

    def _unsynced(self, item: Item) -> list[Action]:
        planner, google, contains = item.planner_content, item.google_content, self.window.contains
        if planner is not None and google is not None:
            assert item.event is not None
            if not (contains(planner) or contains(google)):
                return []
            return self._resolve(item, item.event.id, found=True)
        if planner is not None:
            if not contains(planner):
                return []
            if item.key.startswith(mapping.GOOGLE_BORN_PREFIX) and not self.google_complete:
                # its event is not in this delta: a lost state, not a new appointment; creating
                # our own event now would give the appointment two events
                raise _NeedsFullSync
            return [self._push(item, mapping.event_id_for(self.link.branch_id, item.key), create=True)]
        if google is not None and contains(google):
            return self._google_only(item)
        return []

    def _google_only(self, item: Item) -> list[Action]:
        if item.planner in (Seen.DELETED, Seen.MOVED):
            return self._delete_event(item)
        if item.owned:
            if item.planner is Seen.ABSENT:
                return self._delete_event(item)
            raise _NeedsFullSync
        return [self._pull(item, create=True)]


def _both_changed_reason(winner: Side, by_time: bool, found: bool) -> ConflictReason:
    if found:
        return ConflictReason.FOUND_ON_BOTH_SIDES_WITHOUT_STATE
    if by_time:
        return (
            ConflictReason.BOTH_CHANGED_PLANNER_NEWER
            if winner is Side.PLANNER
            else ConflictReason.BOTH_CHANGED_GOOGLE_NEWER
        )
    return (
        ConflictReason.BOTH_CHANGED_PLANNER_WINS
        if winner is Side.PLANNER
        else ConflictReason.BOTH_CHANGED_GOOGLE_WINS
    )


_Rule = Callable[[_Rules, Item], list[Action]]

_SYNCED_TABLE: dict[tuple[Change, Change], _Rule] = {
    (Change.SAME, Change.SAME): _Rules.refresh,
    (Change.SAME, Change.EDITED): _Rules.update_appointment,
    (Change.SAME, Change.GONE): _Rules.delete_appointment,
    (Change.EDITED, Change.SAME): _Rules.update_event,
    (Change.EDITED, Change.EDITED): _Rules.both_edited,
    (Change.EDITED, Change.GONE): _Rules.edited_in_planner_deleted_on_google,
    (Change.GONE, Change.SAME): _Rules.delete_event,
    (Change.GONE, Change.EDITED): _Rules.deleted_in_planner_edited_on_google,
    (Change.GONE, Change.GONE): _Rules.forget,
}
