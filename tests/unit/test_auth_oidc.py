"""`sync` accepts Cloud Scheduler's Google-signed OIDC token, and only that one (authenticate_sync).

The certificates are served from loopback the way Google serves them (key id → PEM), so the real
google-auth verification runs; the tokens are signed here, which lets each check be broken alone.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from functions.auth import Action, Caller, authenticate_sync, authenticate_task, authorize
from functions.config import PlannerTokenRules, Settings, TaskSettings
from functions.errors import Forbidden, Unauthenticated

KEY = b"shared-planner-key-32-bytes-long"
INVOKER = "sync-scheduler@demo.iam.gserviceaccount.com"
BASE = "https://functions.example"


def _key_and_cert() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Google:
    settings: Settings
    key: bytes
    stranger_key: bytes

    def token(self, key: bytes | None = None, **changes: Any) -> str:
        now = int(time.time())
        claims = {"iss": "https://accounts.google.com", "aud": self.settings.sync_audience, "azp": INVOKER,
                  "sub": "1234567890", "email": INVOKER, "email_verified": True, "iat": now, "exp": now + 600}
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return "Bearer " + jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture(scope="module")
def google() -> Iterator[Google]:
    key, cert = _key_and_cert()
    stranger_key, _ = _key_and_cert()
    body = json.dumps({"k1": cert}).encode()

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = Settings(google_api_root="https://www.googleapis.com/", google_auth_uri="https://a.example/auth",
                        google_token_uri="https://a.example/token", google_revoke_uri="https://a.example/revoke",
                        public_base_url=BASE, project="demo", sync_horizon_days=365,
                        google_oidc_certs_uri=f"http://127.0.0.1:{server.server_port}/oauth2/v1/certs",
                        sync_invoker=INVOKER)
    try:
        yield Google(settings, key, stranger_key)
    finally:
        server.shutdown()
        server.server_close()


def test_the_schedulers_token_names_the_scheduler(google: Google) -> None:
    assert authenticate_sync(google.token(), KEY, google.settings) == Caller(INVOKER, "scheduler", None,
                                                                              frozenset())


def test_the_planners_own_token_still_works_on_sync(google: Google) -> None:
    planner = "Bearer " + jwt.encode({"sub": "p", "role": "planner", "exp": int(time.time()) + 60}, KEY,
                                     algorithm="HS256")
    assert authenticate_sync(planner, KEY, google.settings) == Caller("p", "planner", None, frozenset())


@pytest.mark.parametrize("changes", [
    {"aud": "https://functions.example/links"},       # a token for another function
    {"iss": "https://evil.example"},
    {"email_verified": False},
    {"email_verified": None},
    {"email": "someone@evil.example"},
    {"email": None},
    {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
])
def test_a_google_token_that_is_not_the_schedulers_is_401(google: Google, changes: dict) -> None:
    with pytest.raises(Unauthenticated) as caught:
        authenticate_sync(google.token(**changes), KEY, google.settings)
    assert isinstance(caught.value.message, str) and caught.value.message


def test_a_token_signed_by_another_key_is_401(google: Google) -> None:
    with pytest.raises(Unauthenticated):
        authenticate_sync(google.token(key=google.stranger_key), KEY, google.settings)


def test_without_a_configured_invoker_no_google_token_is_accepted(google: Google) -> None:
    settings = Settings(**{**google.settings.__dict__, "sync_invoker": None})
    with pytest.raises(Unauthenticated):
        authenticate_sync(google.token(email=None), KEY, settings)
    with pytest.raises(Unauthenticated):
        authenticate_sync(google.token(), KEY, settings)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_no_token_is_401(google: Google, header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        authenticate_sync(header, KEY, google.settings)


def test_the_scheduler_may_sync_any_branch_and_do_nothing_else() -> None:
    scheduler = Caller(INVOKER, "scheduler", None, frozenset())
    authorize(scheduler, Action.SYNC, "berlin")
    for action in Action:
        if action is not Action.SYNC:
            with pytest.raises(Forbidden):
                authorize(scheduler, action, "berlin", "anna")


# --- survivors of make mutation in auth.py ------------------------------------------------------

def test_a_token_a_few_seconds_early_is_taken_one_far_early_is_not(google: Google) -> None:
    """The signer's clock may run a little ahead (OIDC_CLOCK_SKEW, 10 s); more is refused."""
    now = int(time.time())
    assert authenticate_sync(google.token(iat=now + 5), KEY, google.settings).role == "scheduler"
    with pytest.raises(Unauthenticated):
        authenticate_sync(google.token(iat=now + 120, exp=now + 600), KEY, google.settings)


def test_a_refused_google_token_is_logged_with_the_reason_only(
        google: Google, caplog: pytest.LogCaptureFixture) -> None:
    token = google.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    with caplog.at_level("WARNING", logger="functions.auth"), pytest.raises(Unauthenticated):
        authenticate_sync(token, KEY, google.settings)
    (record,) = [r for r in caplog.records if r.getMessage() == "OIDC token refused"]
    assert record.reason.startswith("InvalidValue: Token expired")  # google-auth's own words
    assert token.split()[1] not in record.reason  # never the token itself


def test_a_token_that_is_no_jwt_goes_the_planner_tokens_way(google: Google,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="functions.auth"), pytest.raises(Unauthenticated):
        authenticate_sync("Bearer not.a.jwt", KEY, google.settings)
    assert not [r for r in caplog.records if r.getMessage() == "OIDC token refused"]


def test_the_deployments_planner_token_rules_hold_on_sync_too(google: Google) -> None:
    settings = Settings(**{**google.settings.__dict__,
                           "planner_token": PlannerTokenRules(issuer="https://planner.example")})
    claims = {"sub": "p", "role": "planner", "exp": int(time.time()) + 60}
    without = "Bearer " + jwt.encode(claims, KEY, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        authenticate_sync(without, KEY, settings)
    issued = "Bearer " + jwt.encode({**claims, "iss": "https://planner.example"}, KEY, algorithm="HS256")
    assert authenticate_sync(issued, KEY, settings).role == "planner"


def task_settings(google: Google) -> Settings:
    return Settings(**{**google.settings.__dict__, "tasks": TaskSettings(invoker=INVOKER)})


def test_the_queues_token_names_the_queue_and_nothing_else_is_taken(google: Google) -> None:
    settings = task_settings(google)
    token = google.token(aud=settings.sync_link_url)
    assert authenticate_task(token, settings) == Caller(INVOKER, "scheduler", None, frozenset())
    with pytest.raises(Unauthenticated):  # the scheduler's token for /sync is not the queue's
        authenticate_task(google.token(), settings)
    planner = "Bearer " + jwt.encode({"sub": "p", "role": "planner", "exp": int(time.time()) + 60}, KEY,
                                     algorithm="HS256")
    with pytest.raises(Unauthenticated):
        authenticate_task(planner, settings)
    with pytest.raises(Unauthenticated):
        authenticate_task(google.token(aud=settings.sync_link_url, email="x@evil.example"), settings)


def test_a_planner_token_on_the_queues_worker_is_refused_before_any_call_to_google(
        google: Google, caplog: pytest.LogCaptureFixture) -> None:
    planner = "Bearer " + jwt.encode({"sub": "p", "role": "planner", "exp": int(time.time()) + 60}, KEY,
                                     algorithm="HS256")
    with caplog.at_level("WARNING", logger="functions.auth"), pytest.raises(Unauthenticated) as refused:
        authenticate_task(planner, task_settings(google))
    assert refused.value.msg.key == "oidc_queue_only"
    assert not [r for r in caplog.records if r.getMessage() == "OIDC token refused"]


def test_the_logged_reason_is_cut_at_200_characters(google: Google, caplog: pytest.LogCaptureFixture) -> None:
    token = google.token(aud="https://" + "a" * 400 + ".example")  # google-auth names the audience
    with caplog.at_level("WARNING", logger="functions.auth"), pytest.raises(Unauthenticated):
        authenticate_sync(token, KEY, google.settings)
    (record,) = [r for r in caplog.records if r.getMessage() == "OIDC token refused"]
    kind, _, reason = record.reason.partition(": ")
    assert kind and len(reason) == 200
