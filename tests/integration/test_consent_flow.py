"""Consent end to end on the emulators: start, Google's page, callback, status, revoke."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from google.cloud import firestore
from werkzeug.test import Client, TestResponse

from devtools.google_emulator.client import EmulatorControl
from functions.context import reset_caches
from functions.crypto import TokenCipher
from tests.integration.conftest import BRANCH, PUBLIC, Api, every_document, logged
from tests.integration.push_support import frozen_now

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
    again = api.callback(query, client=api.other_browser()).get_data(as_text=True)  # a used state's page
    assert query["code"] not in again and query["state"] not in again


def test_success_page_speaks_english_when_asked(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    page = api.callback(query, lang="en-GB,en;q=0.9,de;q=0.5")
    assert page.status_code == 200
    assert "You may close this window" in page.get_data(as_text=True)


def test_consent_url_asks_least_scopes_offline_with_pkce(api: Api) -> None:
    api.setup_branch()
    url = api.begin(api.start_consent())
    assert url.startswith(api.google.root + "o/oauth2/v2/auth?"), url
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


def test_state_is_single_use(api: Api, control: EmulatorControl) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    assert api.callback(query).status_code == 200
    again = api.callback(query, client=api.other_browser())
    assert again.status_code == 400
    assert "bereits verwendet" in again.get_data(as_text=True)
    assert len(control.grants()) == 1  # the code was exchanged once


def test_a_reload_of_the_success_page_shows_it_again_and_exchanges_nothing(
        api: Api, control: EmulatorControl) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    first = api.callback(query)
    assert first.status_code == 200
    again = api.callback(query)  # the same browser reloads the page
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_data(as_text=True) == first.get_data(as_text=True)
    assert "bereits verwendet" not in again.get_data(as_text=True)
    assert len(control.grants()) == 1
    granted = api.audit(action="consent_granted")
    assert len(granted) == 1


def test_the_success_is_kept_an_hour_for_a_reload(api: Api, firestore_client: firestore.Client) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    first = api.callback(query)
    assert first.status_code == 200
    cookie = first.headers["Set-Cookie"]  # the consent cookie again, as long as the success is kept
    assert cookie.startswith("consent-browser=") and "Max-Age=3600" in cookie and "HttpOnly" in cookie
    (doc,) = list(firestore_client.collection("consent_states").stream())
    assert doc.get("expires_at") - doc.get("used_at") > timedelta(minutes=55)  # its TTL moved on
    doc.reference.update({"expires_at": doc.get("created_at")})  # past the state's 10 minutes
    again = api.callback(query)
    assert again.status_code == 200 and 'data-result="success"' in again.get_data(as_text=True)
    assert api.callback(query, client=api.other_browser()).status_code == 400  # still nobody else's


def test_a_reload_while_the_first_answer_is_at_work_waits_for_it(
        api: Api, firestore_client: firestore.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """No outcome recorded yet (the first request still exchanges the code): the reload waits,
    then says it is in progress (a page that reloads itself), never "already used"; a first
    request that died long ago leaves "used"."""
    from functions.services import consent

    api.setup_branch()
    query = api.google_decides(api.start_consent())
    assert api.callback(query).status_code == 200
    (doc,) = list(firestore_client.collection("consent_states").stream())
    doc.reference.update({"outcome": firestore.DELETE_FIELD})
    monkeypatch.setattr(consent, "REPLAY_WAIT", timedelta(seconds=0.5))
    waiting = api.callback(query)
    text = waiting.get_data(as_text=True)
    assert waiting.status_code == 202 and 'data-result="in_progress"' in text, text
    assert '<meta http-equiv="refresh" content="2">' in text and "bereits verwendet" not in text
    assert api.callback(query, client=api.other_browser()).status_code == 400
    doc.reference.update({"used_at": doc.get("created_at") - timedelta(minutes=5)})  # died
    assert "bereits verwendet" in api.callback(query).get_data(as_text=True)


def test_a_reload_gets_the_first_answers_page_once_it_is_recorded(
        api: Api, firestore_client: firestore.Client) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    assert api.callback(query).status_code == 200
    (doc,) = list(firestore_client.collection("consent_states").stream())
    outcome = doc.get("outcome")
    doc.reference.update({"outcome": firestore.DELETE_FIELD})  # the first request still at work
    recorded = threading.Timer(0.5, lambda: doc.reference.update({"outcome": outcome}))
    recorded.start()
    try:
        again = api.callback(query)  # waits (up to 10 s) for it
    finally:
        recorded.join()
    assert again.status_code == 200 and 'data-result="success"' in again.get_data(as_text=True)


def test_a_first_answer_at_work_for_up_to_a_minute_is_waited_for_and_older_ones_died(
        api: Api, firestore_client: firestore.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.services import consent

    api.setup_branch()
    query = api.google_decides(api.start_consent())
    assert api.callback(query).status_code == 200
    (doc,) = list(firestore_client.collection("consent_states").stream())
    doc.reference.update({"outcome": firestore.DELETE_FIELD})
    used_at = doc.get("used_at")
    monkeypatch.setattr(consent, "REPLAY_WAIT", timedelta(seconds=0.3))
    frozen_now(monkeypatch, used_at + consent.IN_FLIGHT)
    assert api.callback(query).status_code == 202  # still at work
    frozen_now(monkeypatch, used_at + consent.IN_FLIGHT + timedelta(microseconds=1))
    assert "bereits verwendet" in api.callback(query).get_data(as_text=True)


def test_a_reload_of_a_denied_consent_shows_the_same_page(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent(), allow=False)
    first = api.callback(query)
    assert first.status_code == 403
    again = api.callback(query)
    assert (again.status_code, again.get_data(as_text=True)) == (403, first.get_data(as_text=True))
    entries = api.audit()
    assert [e["action"] for e in entries] == ["consent_denied"]  # recorded once


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


# --- bound to the browser that began it (issue 12, 1; RFC 9700 §4.7.1) ----------------------

def _set_cookie(answer: TestResponse) -> dict[str, str | None]:
    """The one Set-Cookie of an answer: {"name": ..., "value": ..., attribute (lower case): value}."""
    (header,) = answer.headers.getlist("Set-Cookie")
    first, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    out: dict[str, str | None] = {"name": name, "value": value}
    for attribute in attributes:
        key, sep, val = attribute.partition("=")
        out[key.lower()] = val if sep else None
    return out


def _begin_answer(api: Api, client: Client | None = None) -> tuple[str, TestResponse]:
    url = api.start_consent()
    return url, (client or api.client).get(url.removeprefix(PUBLIC))


def test_oauth_start_answers_our_begin_step_not_googles_page(api: Api) -> None:
    api.setup_branch()
    url = api.start_consent()
    assert url.startswith(PUBLIC + "/oauth_callback/begin?state="), url
    assert "code_challenge" not in url and not url.startswith(api.google.root)


def test_begin_sets_an_httponly_lax_cookie_and_goes_on_to_google(
        api: Api, firestore_client: firestore.Client) -> None:
    api.setup_branch()
    url, answer = _begin_answer(api)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(api.google.root + "o/oauth2/v2/auth?"), location
    state = parse_qs(urlsplit(url).query)["state"][0]
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    cookie = _set_cookie(answer)
    # plain http on loopback: no __Host- prefix and no Secure (not every browser takes them there)
    assert cookie["name"] == "consent-browser"
    assert "httponly" in cookie and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert "secure" not in cookie and "domain" not in cookie
    assert cookie["max-age"] == "600"
    assert len(cookie["value"] or "") >= 43
    (doc,) = list(firestore_client.collection("consent_states").stream())
    assert doc.get("browser") and cookie["value"] not in str(doc.to_dict())  # only its hash is kept


def test_https_uses_a_host_prefixed_secure_cookie(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.setup_branch()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://fn.example.test")
    reset_caches()
    url = api.start_consent()
    assert url.startswith("https://fn.example.test/oauth_callback/begin?state="), url
    answer = api.client.get(url.removeprefix("https://fn.example.test"))
    assert answer.status_code == 302
    assert "redirect_uri=https%3A%2F%2Ffn.example.test%2Foauth_callback" in answer.headers["Location"]
    cookie = _set_cookie(answer)
    assert cookie["name"] == "__Host-consent-browser"
    assert {"secure", "httponly"} <= set(cookie) and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert "domain" not in cookie
    state = parse_qs(urlsplit(url).query)["state"][0]
    query = {"state": state, "code": "a-code"}
    # The same value without the prefix (an http page or another host could have set it) is not it.
    plain = api.other_browser()
    plain.set_cookie("consent-browser", cookie["value"] or "", domain="localhost")
    refused = api.callback(query, client=plain)
    assert refused.status_code == 403 and "anderen Browser" in refused.get_data(as_text=True)


def test_https_callback_takes_the_host_prefixed_cookie(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.setup_branch()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://fn.example.test")
    reset_caches()
    url = api.start_consent()
    assert api.client.get(url.removeprefix("https://fn.example.test")).status_code == 302
    state = parse_qs(urlsplit(url).query)["state"][0]
    # Past the browser check: Google (the emulator) refuses the made-up code.
    answer = api.callback({"state": state, "code": "a-code"})
    assert answer.status_code == 400 and "nicht bestätigt" in answer.get_data(as_text=True)


def test_consent_finished_in_another_browser_is_refused_and_stores_nothing(
        api: Api, control: EmulatorControl, log_lines: io.StringIO) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())  # begun in this browser
    colleague = api.other_browser()
    page = api.callback(query, client=colleague)     # "Allow" clicked in another one
    text = page.get_data(as_text=True)
    assert page.status_code == 403, text
    assert 'data-result="other_browser"' in text and "nichts gespeichert" in text
    assert query["code"] not in text and query["state"] not in text
    assert api.status()["status"] == "none"
    assert control.grants() == []  # checked before the code exchange: no grant at Google
    entries = api.audit()
    assert [(e["action"], e["details"], e["actor"], e["role"]) for e in entries] == [
        ("consent_refused", {"reason": "other_browser"}, "u-1", "planner")]  # who began it
    [line] = logged(log_lines, "another browser")
    assert (line["link"], line["severity"]) == (f"{BRANCH}:anna", "WARNING")
    # The flow is used up: not even the browser that began it can finish it now.
    assert "bereits verwendet" in api.callback(query).get_data(as_text=True)
    assert api.status()["status"] == "none"


def test_the_refusal_speaks_english_when_asked(api: Api) -> None:
    api.setup_branch()
    query = api.google_decides(api.start_consent())
    page = api.callback(query, lang="en", client=api.other_browser())
    assert page.status_code == 403
    assert "started in this browser" in page.get_data(as_text=True)


def test_a_cookie_of_another_consent_does_not_finish_this_one(api: Api) -> None:
    api.setup_branch()
    colleague = api.other_browser()
    api.begin(api.start_consent(resource="raum-1"), client=colleague)  # the colleague's own cookie
    query = api.google_decides(api.start_consent())
    page = api.callback(query, client=colleague)
    assert page.status_code == 403 and 'data-result="other_browser"' in page.get_data(as_text=True)
    assert api.status()["status"] == "none"


def test_a_begin_link_opened_in_a_second_browser_is_refused(api: Api) -> None:
    api.setup_branch()
    url, first = _begin_answer(api)
    assert first.status_code == 302
    second = api.other_browser().get(url.removeprefix(PUBLIC))
    assert second.status_code == 400 and "bereits verwendet" in second.get_data(as_text=True)
    again = api.client.get(url.removeprefix(PUBLIC))  # the same browser again (a reload): fine
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]


def test_begin_refuses_a_missing_unknown_or_expired_state(api: Api,
                                                          firestore_client: firestore.Client) -> None:
    api.setup_branch()
    for query in ("", "?state=forged"):
        answer = api.client.get("/oauth_callback/begin" + query)
        assert answer.status_code == 400 and "ungültig" in answer.get_data(as_text=True)
        assert "Set-Cookie" not in answer.headers
    url = api.start_consent()
    (doc,) = list(firestore_client.collection("consent_states").stream())
    doc.reference.update({"expires_at": doc.get("created_at")})
    answer = api.client.get(url.removeprefix(PUBLIC))
    assert answer.status_code == 400 and "abgelaufen" in answer.get_data(as_text=True)


def test_parallel_consents_in_one_browser_both_finish(api: Api) -> None:
    api.setup_branch()
    first = api.begin(api.start_consent(resource="anna"))
    second = api.begin(api.start_consent(resource="raum-1"))
    for url, resource in ((second, "raum-1"), (first, "anna")):
        query = api.google_decides(url)
        assert api.callback(query).status_code == 200
        assert api.status(resource=resource)["status"] == "consented"


# --- the success page names what was linked ---------------------------------------------------

def _named_branch(api: Api, branch_name: str, resource_name: str) -> None:
    r = api.call("PUT", f"/planner/branches/{BRANCH}",
                 {"timezone": "Europe/Berlin", "google_sync_enabled": True, "name": branch_name})
    assert r.status_code == 200, r.get_data(as_text=True)
    r = api.call("PUT", f"/planner/branches/{BRANCH}/resources/anna",
                 {"name": resource_name, "kind": "employee"})
    assert r.status_code == 200, r.get_data(as_text=True)


def test_success_page_names_branch_resource_and_account(api: Api) -> None:
    _named_branch(api, "Filiale Berlin", "Anna Schmidt")
    text = api.consent(account="anna.schmidt@example.com").get_data(as_text=True)
    assert '<dd id="linked-branch">Filiale Berlin</dd>' in text
    assert '<dd id="linked-resource">Anna Schmidt</dd>' in text
    assert '<dd id="linked-account">anna.schmidt@example.com</dd>' in text
    assert "Zustimmung im Terminplaner zurück" in text
    english = api.callback(api.google_decides(api.start_consent()), lang="en").get_data(as_text=True)
    assert "<dt>Google account</dt>" in english and "<dt>Resource</dt>" in english


def test_success_page_escapes_the_names_and_the_account(api: Api) -> None:
    _named_branch(api, "<script>alert('b')</script>", '"><img src=x onerror=alert(1)>')
    account = "o'brien&<i>x</i>@example.com"
    text = api.consent(account=account).get_data(as_text=True)
    assert "<script>alert" not in text and "<img" not in text and "<i>x</i>" not in text
    assert "&lt;script&gt;alert(&#x27;b&#x27;)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "o&#x27;brien&amp;&lt;i&gt;x&lt;/i&gt;@example.com" in text
