"""Consent end to end on the emulators: start, Google's page, callback, status, revoke."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from devtools.google_emulator.client import EmulatorControl
from functions.crypto import TokenCipher
from tests.integration.conftest import BRANCH, Api, every_document

pytestmark = pytest.mark.firestore
SCOPE = "https://www.googleapis.com/auth/"


def test_consent_success_page_and_status(api: Api, firestore_client: firestore.Client) -> None:
    api.setup_branch()
    assert api.status()["status"] == "none"
    page = api.consent()
    assert "Sie können dieses Fenster schließen" in page.get_data(as_text=True)
    status = api.status()
    assert status["status"] == "consented"
    assert status["account_email"] == "praxis.berlin@example.com"
    resource = api.call("GET", f"/planner/branches/{BRANCH}/resources/anna").get_json()
    assert resource["link_status"] == "consented"


def test_pages_echo_neither_code_nor_state(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    page = api.callback(query)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert query["code"] not in text and query["state"] not in text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    again = api.callback(query).get_data(as_text=True)  # the error page of a used state
    assert query["code"] not in again and query["state"] not in again


def test_success_page_speaks_english_when_asked(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    page = api.callback(query, lang="en-GB,en;q=0.9,de;q=0.5")
    assert page.status_code == 200
    assert "You may close this window" in page.get_data(as_text=True)


def test_consent_url_asks_least_scopes_offline_with_pkce(api: Api) -> None:
    api.setup_branch()
    url = api.start_consent()
    for part in ("access_type=offline", "prompt=consent", "code_challenge_method=S256", "state=",
                 "code_challenge="):
        assert part in url
    scopes = sorted(s.removeprefix(SCOPE) for s in url.split("scope=")[1].split("&")[0]
                    .replace("%2F", "/").replace("%3A", ":").replace("+", " ").split())
    assert scopes == ["calendar.app.created", "calendar.calendarlist.readonly", "calendar.events"]


def test_disabled_branch_refuses_consent(api: Api) -> None:
    api.setup_branch(enabled=False)
    r = api.call("POST", "/oauth_start", {"branch_id": BRANCH, "resource_id": "anna"})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "sync_disabled"


def test_state_is_single_use(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    assert api.callback(query).status_code == 200
    again = api.callback(query)
    assert again.status_code == 400
    assert "bereits verwendet" in again.get_data(as_text=True)


def test_forged_state_is_refused_and_changes_nothing(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    query["state"] = "forged-" + query["state"][7:]
    answer = api.callback(query)
    assert answer.status_code == 400
    assert "ungültig" in answer.get_data(as_text=True)
    assert api.status()["status"] == "none"


def test_missing_state_is_a_4xx_page(api: Api) -> None:
    assert api.callback({"code": "x"}).status_code == 400
    assert api.callback({}).status_code == 400


def test_expired_state_is_refused(api: Api, firestore_client: firestore.Client) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    (doc,) = list(firestore_client.collection("consent_states").stream())
    doc.reference.update({"expires_at": doc.get("created_at")})  # as if 10 minutes had passed
    answer = api.callback(query)
    assert answer.status_code == 400
    assert "abgelaufen" in answer.get_data(as_text=True)
    assert api.status()["status"] == "none"


def test_state_is_stored_by_hash_with_ttl_field(api: Api, firestore_client: firestore.Client) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    (doc,) = list(firestore_client.collection("consent_states").stream())
    data = doc.to_dict()
    assert query["state"] not in str(data) and doc.id != query["state"]
    assert (data["expires_at"] - data["created_at"]).total_seconds() == pytest.approx(600, abs=2)
    assert data["branch_id"] == BRANCH and data["resource_id"] == "anna" and data["sub"] == "u-1"


def test_denied_consent_leaves_status_as_it_was(api: Api) -> None:
    api.setup_branch()
    api.consent()
    query = api.google_decides(api.start_consent(), allow=False)
    assert query["error"] == "access_denied"
    page = api.callback(query)
    assert page.status_code == 403
    assert "nicht erlaubt" in page.get_data(as_text=True)
    assert api.status()["status"] == "consented"


def test_failed_code_exchange_is_a_clear_page(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    query["code"] = "not-a-code-google-issued"
    page = api.callback(query)
    assert page.status_code == 400
    assert "nicht bestätigt" in page.get_data(as_text=True)
    assert api.status()["status"] == "none"


def test_partial_grant_is_refused_and_revoked(api: Api) -> None:
    api.setup_branch()
    control = EmulatorControl(api.google.root)
    query = api.google_decides(api.start_consent(), scopes=[SCOPE + "calendar.events"])
    page = api.callback(query)
    assert page.status_code == 400
    assert "alle Haken" in page.get_data(as_text=True)
    assert api.status()["status"] == "none"
    assert all(not g["alive"] for g in control.grants())


def test_refresh_token_is_encrypted_in_firestore(api: Api, firestore_client: firestore.Client,
                                                 cipher: TokenCipher) -> None:
    api.setup_branch()
    api.consent()
    (grant,) = [g for g in EmulatorControl(api.google.root).grants() if g["alive"]]
    everything = "\n".join(str(d.to_dict()) for d in every_document(firestore_client))
    assert grant["refresh_token"] not in everything
    link = firestore_client.collection("links").document(f"{BRANCH}:anna").get().to_dict()
    assert cipher.decrypt(link["sealed_refresh_token"], f"{BRANCH}:anna") == grant["refresh_token"]
