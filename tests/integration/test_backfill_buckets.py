"""`python -m functions.services.dispatch --backfill`: links saved before the dispatcher existed
get their backstop minute once; links that have one (or a push minute) are left alone."""

from __future__ import annotations

import subprocess
import sys

import pytest
from google.cloud import firestore

from functions.context import get_context
from functions.domain import link_id
from functions.services import dispatch
from functions.sync import schedule
from tests.integration.conftest import BRANCH, Api

pytestmark = pytest.mark.firestore


def links(db: firestore.Client) -> dict[str, dict]:
    return {s.id: s.to_dict() for s in db.collection("links").stream()}


def test_old_links_get_their_backstop_minute_once(api: Api) -> None:
    api.setup_branch(resources=("anna", "raum-1", "audiometer"))
    for resource in ("anna", "raum-1", "audiometer"):
        api.consent(resource=resource)
    db = get_context().store.db
    olds, pushed = (link_id(BRANCH, "anna"), link_id(BRANCH, "audiometer")), link_id(BRANCH, "raum-1")
    for old in olds:
        db.collection("links").document(old).update({"poll_bucket": firestore.DELETE_FIELD})  # before
    db.collection("links").document(pushed).update({"poll_bucket": firestore.DELETE_FIELD,
                                                    "push_bucket": 7})
    api.setup_branch(resources=("kabine",))
    api.consent(resource="kabine")  # a link of today: it has its minute
    kept = links(db)[link_id(BRANCH, "kabine")]["poll_bucket"]
    assert dispatch.backfill_buckets(get_context()) == 2
    after = links(db)
    assert all(after[old]["poll_bucket"] == schedule.poll_bucket(old) for old in olds)
    assert "poll_bucket" not in after[pushed] and after[pushed]["push_bucket"] == 7  # push's own
    assert after[link_id(BRANCH, "kabine")]["poll_bucket"] == kept
    assert dispatch.backfill_buckets(get_context()) == 0  # idempotent


def test_the_backfill_command_wants_its_flag() -> None:
    done = subprocess.run([sys.executable, "-m", "functions.services.dispatch"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "usage: python -m functions.services.dispatch --backfill" in done.stderr
