"""`token-key` rotation: after a new version is added, each syncing link's refresh token moves
to it on the link's next run, so the old version can be disabled after one cycle."""

from __future__ import annotations

import base64

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.adapters.sync_store import SyncStore
from functions.context import get_context, reset_caches
from functions.domain import link_id
from tests.integration.conftest import BRANCH, TOKEN_KEY, Api
from tests.integration.test_sync import live, put, sync

pytestmark = pytest.mark.firestore
NEW_KEY = base64.b64encode(b"n" * 32).decode()
OLD_KEY = base64.b64encode(TOKEN_KEY).decode()


def sealed(db: firestore.Client) -> dict[str, str]:
    return db.collection("links").document(link_id(BRANCH, "anna")).get().get("sealed_refresh_token")


def use_keys(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SECRET_TOKEN_KEY", value)
    reset_caches()


def test_a_run_reseals_with_the_newest_key_once_and_the_old_key_can_then_go(
        linked: tuple[Api, str], control: EmulatorControl, firestore_client: firestore.Client,
        monkeypatch: pytest.MonkeyPatch) -> None:
    api, cal = linked
    assert sealed(firestore_client)["kid"] == "1"
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    sync(api)
    moved = sealed(firestore_client)
    assert moved["kid"] == "2"
    sync(api)
    assert sealed(firestore_client) == moved  # once: later runs leave it alone

    use_keys(monkeypatch, f"2:{NEW_KEY}")  # version 1 disabled: the link still syncs, and revokes
    put(api, "t1")
    assert sync(api)["pushed"] == 1
    assert len(live(control, cal)) == 1
    r = api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"})
    assert r.status_code == 200 and r.get_json() == {"status": "revoked"}
    assert all(not g["alive"] for g in control.grants())  # the token decrypted: revoked at Google


def test_a_token_replaced_meanwhile_is_not_overwritten(linked: tuple[Api, str],
                                                      firestore_client: firestore.Client) -> None:
    link = get_context().store.get_link(BRANCH, "anna")
    assert link is not None and link.sealed_refresh_token is not None
    current = sealed(firestore_client)
    stale = {**current, "ct": "c3RhbGU="}
    store = SyncStore(firestore_client)
    assert not store.reseal(link, stale, {"kid": "9", "nonce": "x", "ct": "y"})
    assert sealed(firestore_client) == current
    assert store.reseal(link, current, {"kid": "9", "nonce": "x", "ct": "y"})
    assert sealed(firestore_client)["kid"] == "9"
