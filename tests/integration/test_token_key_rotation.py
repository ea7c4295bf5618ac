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
from functions.services import reseal
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


def sealed_of(db: firestore.Client, resource: str) -> dict[str, str]:
    return db.collection("links").document(link_id(BRANCH, resource)).get().get("sealed_refresh_token")


def test_the_reseal_command_moves_links_that_do_not_sync(
        api: Api, control: EmulatorControl, firestore_client: firestore.Client,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    api.setup_branch()
    api.consent(resource="raum-1")  # consented, no calendar: never syncs
    cal = api.link_new_calendar()
    control.delete_calendar(cal)
    sync(api)
    assert api.status()["status"] == "calendar_missing"
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    sync(api)
    assert {sealed_of(firestore_client, r)["kid"] for r in ("anna", "raum-1")} == {"1"}  # left behind
    assert reseal.main(["--report"]) == 0
    assert "key version 1: 2 link(s)" in capsys.readouterr().out
    assert reseal.main([]) == 0
    out = capsys.readouterr().out
    assert "re-sealed: 2" in out and "key version 2: 2 link(s)" in out
    assert reseal.reseal_all(get_context()).resealed == 0  # idempotent
    use_keys(monkeypatch, f"2:{NEW_KEY}")  # version 1 disabled: nothing is left behind
    r = api.call("GET", f"/links/{BRANCH}/raum-1/calendars")
    assert r.status_code == 200, r.get_data(as_text=True)


def test_the_reseal_command_resumes_after_a_link(api: Api, firestore_client: firestore.Client,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    api.setup_branch()
    api.consent(resource="anna")
    api.consent(resource="raum-1")
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    report = reseal.reseal_all(get_context(), after=link_id(BRANCH, "anna"))
    assert report.resealed == 1 and report.last_link == link_id(BRANCH, "raum-1")
    assert (sealed_of(firestore_client, "anna")["kid"], sealed_of(firestore_client, "raum-1")["kid"]) == (
        "1", "2")


def test_a_token_no_enabled_key_opens_is_needs_reconsent_never_500(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = linked
    api.consent(resource="raum-1")
    use_keys(monkeypatch, f"2:{NEW_KEY}")  # version 1 disabled too early
    r = api.call("GET", f"/links/{BRANCH}/raum-1/calendars")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "needs_reconsent"
    r = api.call("POST", f"/links/{BRANCH}/raum-1", {"new_calendar": {"summary": "X"}})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_consented"  # consent again
    assert api.status(resource="raum-1")["status"] == "needs_reconsent"
    control.reset_counters()
    assert sync(api)["failed"] == 1
    assert api.status()["status"] == "needs_reconsent"
    assert control.counters()["requests"]["http"] == 0  # no call to Google with a token we cannot read
