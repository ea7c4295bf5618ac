"""`token-key` rotation: after a new version is added, each syncing link's refresh token moves
to it on the link's next run, so the old version can be disabled after one cycle."""

from __future__ import annotations

import base64
import json

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions import status_log
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


def consent_all(api: Api, resources: tuple[str, ...]) -> None:
    api.setup_branch(resources=resources)
    for resource in resources:
        api.consent(resource=resource)


def test_the_reseal_command_pages_through_every_link_once(
        api: Api, firestore_client: firestore.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = ("r1", "r2", "r3", "r4", "r5")
    consent_all(api, resources)
    monkeypatch.setattr(reseal, "PAGE", 3)  # two pages, the second one short
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    report = reseal.reseal_all(get_context())
    assert report.resealed == 5 and report.versions == {"2": 5}  # each link counted once
    assert report.last_link == link_id(BRANCH, "r5")
    assert {sealed_of(firestore_client, r)["kid"] for r in resources} == {"2"}
    again = reseal.reseal_all(get_context())
    assert (again.resealed, again.versions) == (0, {"2": 5})


def test_a_full_page_is_followed_by_the_next_one(api: Api, firestore_client: firestore.Client,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    consent_all(api, ("r1", "r2", "r3", "r4"))
    monkeypatch.setattr(reseal, "PAGE", 2)  # exactly two full pages
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    assert reseal.reseal_all(get_context()).versions == {"2": 4}


def test_tokens_no_enabled_key_opens_are_listed_and_their_links_need_consent_again(
        api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        log_lines) -> None:
    consent_all(api, ("anna", "raum-1"))
    use_keys(monkeypatch, f"2:{NEW_KEY}")  # version 1 disabled before the command ran
    assert reseal.main([]) == 0
    out = capsys.readouterr().out
    assert "re-sealed: 0" in out
    for resource in ("anna", "raum-1"):
        assert f"unreadable (now needs_reconsent): {link_id(BRANCH, resource)}" in out
        status = api.status(resource=resource, lang="en")
        assert (status["status"], status["last_error_code"]) == ("needs_reconsent", "token_unreadable")
        entry = get_context().store.audit_entries(BRANCH, resource)[-1]
        assert (entry["actor"], entry["role"], entry["action"], entry["details"]) == (
            "reseal", "system", "token_unreadable", {"key_version": "1"})
    assert "key version 1: 2 link(s)" in out
    changed = [json.loads(line) for line in log_lines.getvalue().splitlines()
               if '"link status changed"' in line]
    assert [(c["link"], c["status"], c["reason"]) for c in changed] == [
        (link_id(BRANCH, r), "needs_reconsent", status_log.TOKEN_UNREADABLE) for r in ("anna", "raum-1")]
    assert all(c["consent_age_hours"] >= 0 for c in changed)


def test_a_broken_run_says_where_to_resume(api: Api, monkeypatch: pytest.MonkeyPatch,
                                           firestore_client: firestore.Client,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    consent_all(api, ("a0", "anna", "raum-1"))
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    real = SyncStore.reseal

    def reseal_then_fail(self, link, old, new):  # Firestore goes away after the first link
        if link.resource_id == "raum-1":
            raise RuntimeError("unavailable")
        return real(self, link, old, new)

    monkeypatch.setattr(SyncStore, "reseal", reseal_then_fail)
    with pytest.raises(RuntimeError):
        reseal.main(["--after", link_id(BRANCH, "a0")])
    err = capsys.readouterr().err
    assert f"resume with --after {link_id(BRANCH, 'raum-1')}" in err and err.startswith("stopped;")
    kids = {r: sealed_of(firestore_client, r)["kid"] for r in ("a0", "anna")}
    assert kids == {"a0": "1", "anna": "2"}  # the run began after a0


def test_links_without_a_token_are_passed_over(api: Api, monkeypatch: pytest.MonkeyPatch,
                                               firestore_client: firestore.Client) -> None:
    consent_all(api, ("a0", "anna"))
    assert api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "a0"}).status_code == 200
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    report = reseal.reseal_all(get_context())
    assert (report.resealed, report.versions) == (1, {"2": 1})  # a0 (no token) first in id order
    assert sealed_of(firestore_client, "anna")["kid"] == "2"


def test_a_token_replaced_during_the_run_is_counted_as_it_is_now(
        api: Api, monkeypatch: pytest.MonkeyPatch, firestore_client: firestore.Client) -> None:
    consent_all(api, ("anna", "bob"))
    use_keys(monkeypatch, f"2:{NEW_KEY},1:{OLD_KEY}")
    real = SyncStore.reseal

    def consent_again_first(self, link, old, new):  # a new consent lands while the command works
        api.consent(resource=link.resource_id)
        return real(self, link, old, new)

    monkeypatch.setattr(SyncStore, "reseal", consent_again_first)
    report = reseal.reseal_all(get_context())
    assert (report.resealed, report.versions) == (0, {"2": 2})  # each new consent's, counted once
    assert sealed_of(firestore_client, "anna")["kid"] == sealed_of(firestore_client, "bob")["kid"] == "2"


def test_the_reseal_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        reseal.main(["--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("usage: python -m functions.services.reseal [-h] [--report] [--after LINK_ID]")
    assert "Re-seal every stored refresh token with the newest `token-key` version (an admin command)." in out
    assert "--report only count the links per key version" in out
    assert "--after LINK_ID resume after this link id" in out
    assert "Syncing links move" not in out  # the first paragraph of the docstring only
