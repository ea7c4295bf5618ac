"""The branch's changes feed (`GET /planner/branches/{b}/changes`): the change sequences of all
its resources merged, behind an opaque cursor.

Every appointment change has a position in the sequence of the resource the appointment is on
after the change (appointments_store.py). The feed lists a change under that resource only, so
each change is listed once, although a move also has a position in the old resource's sequence:
the feed passes over those (the sync of the old resource needs them, a reader of the branch
does not, it gets the move under the new resource).

The cursor holds a position per resource, and one in the branch's old sequence (before issue
10). Per resource, positions are taken in commit order, so the cursor never passes a change
that commits later. A page merges the resources by time of change, oldest first; per
appointment its versions come in order: a later page reads later, and of the versions one
page meets only the newest is kept. A page has fewer than `limit` changes only when it read
every sequence to its end, so an empty page means caught up (the moves away it passes over do
not count).

Cursor: `c1.` + base64url (no padding) of `<old position>;<resource id>=<position>;...`, the
resources sorted, zero positions left out. Plain digits are a cursor of the old feed, a position
in the branch's old sequence; every position since is new to it.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import itertools
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from functions.adapters.appointments_store import AppointmentStore, StoredAppointment
from functions.domain import Branch, Resource
from functions.errors import BadRequest

MAX_POSITION = 2**63 - 1  # Firestore's largest integer
MAX_CURSOR_CHARS = 16384
PREFIX = "c1."
LEGACY = ""  # the source name of the branch's old sequence (resource ids are never empty)
MIN_READ = 20  # a page reads at least this many changes of each resource it reads
_DIGITS = re.compile(r"[0-9]{1,19}")
_ENCODED = re.compile(r"[A-Za-z0-9_-]+")
_ENTRY = re.compile(r"([A-Za-z0-9_-]{1,64})=([0-9]{1,19})")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Position:
    """How far a reader has read: per resource, and in the branch's old sequence."""

    legacy: int = 0
    resources: Mapping[str, int] = field(default_factory=dict)


def encode(position: Position) -> str:
    text = ";".join([str(position.legacy)] + [f"{r}={p}" for r, p in sorted(position.resources.items())
                                               if p > 0])
    return PREFIX + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str | None) -> Position:
    """The position a cursor stands for; 400 `invalid_cursor` for anything this feed did not
    answer (a cursor is compared with its own encoding, so there is one spelling of each)."""
    if not cursor:
        return Position()
    if _DIGITS.fullmatch(cursor) and int(cursor) <= MAX_POSITION:
        return Position(legacy=int(cursor))
    position = _parse(cursor)
    if position is None or encode(position) != cursor:
        raise BadRequest("invalid_cursor", "cursor_invalid", max_position=MAX_POSITION)
    return position


def _parse(cursor: str) -> Position | None:
    body = cursor.removeprefix(PREFIX)
    if len(cursor) > MAX_CURSOR_CHARS or body == cursor or not _ENCODED.fullmatch(body):
        return None
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    legacy, *entries = text.split(";")
    if not _DIGITS.fullmatch(legacy) or int(legacy) > MAX_POSITION:
        return None
    resources: dict[str, int] = {}
    for entry in entries:
        match = _ENTRY.fullmatch(entry)
        if match is None or match[1] in resources or not 0 < int(match[2]) <= MAX_POSITION:
            return None
        resources[match[1]] = int(match[2])
    return Position(int(legacy), resources)


def page(store: AppointmentStore, branch: Branch, resources: list[Resource], after: Position,
         limit: int) -> tuple[list[StoredAppointment], Position]:
    """At most `limit` changes after `after`, oldest first, and the position after them; fewer
    only when every sequence was read to its end."""
    positions = {LEGACY: after.legacy, **after.resources}
    last = {r.resource_id: r.appointment_seq for r in resources} | {LEGACY: branch.appointment_seq}
    pending = sorted(source for source, seq in last.items() if seq > positions.get(source, 0))
    merge = _Merge(store, positions, min(limit, max(MIN_READ, -(-2 * limit // max(1, len(pending))))))
    for source in pending:
        merge.open(source)
    kept: dict[str, StoredAppointment] = {}
    while (head := merge.head()) is not None:
        source, item = head
        known = kept.get(item.appointment.id)
        if known is None and len(kept) >= limit:
            break
        merge.take(source)
        positions[source] = _position(item, source)
        home = LEGACY if source == LEGACY else item.appointment.resource_id
        if home != source:  # moved away: listed under the resource it is on now, read it too
            merge.open(home, beyond=item.position(home))
        elif known is None or _version(item) > _version(known):
            kept.pop(item.appointment.id, None)
            kept[item.appointment.id] = item  # the newest version, at its place in time
    out = {source: p for source, p in positions.items() if source != LEGACY and p > 0}
    return list(kept.values()), Position(positions[LEGACY], out)


class _Merge:
    """The sources' changes, each source in its own order, interleaved by time of change. A
    source is read `size` changes at a time when the merge comes to it, and opened again when a
    move shows a position in it beyond what was read (its counter was read before the move)."""

    def __init__(self, store: AppointmentStore, positions: dict[str, int], size: int) -> None:
        self.store, self.size = store, size
        self.read_to = dict(positions)  # per source, the position its reads came to
        self.done: set[str] = set()     # read to its end (as of its last read)
        self.queued: dict[str, deque[StoredAppointment]] = {}
        self.heads: list[tuple[datetime, int, str]] = []
        self.order = itertools.count()

    def open(self, source: str, beyond: int = 0) -> None:
        if self.queued.get(source) or (source in self.done and self.read_to.get(source, 0) >= beyond):
            return  # being read, or read beyond that position already
        self.done.discard(source)
        self._push(source)

    def head(self) -> tuple[str, StoredAppointment] | None:
        if not self.heads:
            return None
        source = self.heads[0][2]
        return source, self.queued[source][0]

    def take(self, source: str) -> None:
        heapq.heappop(self.heads)
        self.queued[source].popleft()
        self._push(source)

    def _push(self, source: str) -> None:
        queue = self.queued.setdefault(source, deque())
        if not queue and source not in self.done:
            after = self.read_to.get(source, 0)
            chunk = (self.store.legacy_changes_since(after, self.size) if source == LEGACY
                     else self.store.changes_since(source, after, self.size))
            queue.extend(chunk)
            if chunk:
                self.read_to[source] = _position(chunk[-1], source)
            if len(chunk) < self.size:
                self.done.add(source)
        if queue:
            heapq.heappush(self.heads, (queue[0].appointment.updated or _EARLIEST, next(self.order), source))


def _version(item: StoredAppointment) -> int:
    return item.appointment.version or 0


def _position(item: StoredAppointment, source: str) -> int:
    return item.legacy_seq if source == LEGACY else item.position(source)
