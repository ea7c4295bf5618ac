"""Issue 12 (4): the /sync answer says when a link was skipped, e.g. after a crashed run whose
lease still holds it (10 minutes); before, it read `failed: 0` as if all went well."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.adapters.sync_store import LEASE, SyncStore
from functions.context import get_context
from functions.sync.engine import Engine
from tests.integration.conftest import BRANCH, Api
from tests.integration.test_sync import put, sync

pytestmark = pytest.mark.firestore


def test_a_link_held_by_a_crashed_runs_lease_is_counted_as_skipped(linked: tuple[Api, str]) -> None:
    api, _ = linked
    put(api, "t1")
    ctx = get_context()
    crashed_at = datetime.now(UTC)
    assert SyncStore(ctx.store.db).acquire(ctx.store.get_link(BRANCH, "anna"), "crashed-run", crashed_at)

    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 1}

    later = Engine(ctx, now=lambda: crashed_at + LEASE + timedelta(seconds=1)).run()
    assert (later.pushed, later.failed, later.skipped) == (1, 0, 0)  # the lease expired
    assert sync(api) == {"links": 1, "pushed": 0, "pulled": 0, "conflicts": 0, "failed": 0, "skipped": 0}
