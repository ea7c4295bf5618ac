"""OIDC tokens on dispatches: signed by the Google emulator, verifiable as the product verifies
Cloud Scheduler's (google-auth against GOOGLE_OIDC_CERTS_URI), audience defaulting to the URL."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.auth.transport.requests import Request
from google.cloud import tasks_v2
from google.oauth2 import id_token

from devtools.cloud_tasks_emulator import CloudTasksEmulator
from devtools.google_emulator import EmulatorServer
from functions.auth import authenticate_sync
from functions.config import Settings
from tests.conformance.cloud_tasks.conftest import SERVICE_ACCOUNT, make_queue, status_of
from tests.conformance.cloud_tasks.worker import RecordingWorker


def _verify(google: EmulatorServer, token: str, audience: str) -> dict:
    return id_token.verify_token(token, Request(), audience=audience,
                                 certs_url=google.root + "oauth2/v1/certs")


def test_the_token_verifies_against_the_google_emulators_certs(emulator: CloudTasksEmulator,
                                                               tasks: tasks_v2.CloudTasksClient,
                                                               worker: RecordingWorker,
                                                               google: EmulatorServer) -> None:
    queue = make_queue(tasks)
    tasks.create_task(parent=queue.name, task={"http_request": {
        "url": worker.url("/sync_link"), "headers": {"Authorization": "Bearer forged"},
        "oidc_token": {"service_account_email": SERVICE_ACCOUNT, "audience": "https://worker.example/"}}})
    (got,) = worker.wait_for(1)
    scheme, _, token = got.headers["authorization"].partition(" ")
    assert scheme == "Bearer" and token != "forged"
    claims = _verify(google, token, "https://worker.example/")
    assert claims["email"] == SERVICE_ACCOUNT and claims["email_verified"]
    assert claims["iss"] == "https://accounts.google.com"
    with pytest.raises(ValueError):
        _verify(google, token, "https://another.example/")


def test_the_audience_defaults_to_the_url_and_the_products_check_accepts_it(
        emulator: CloudTasksEmulator, tasks: tasks_v2.CloudTasksClient, worker: RecordingWorker,
        google: EmulatorServer) -> None:
    queue = make_queue(tasks)
    tasks.create_task(parent=queue.name, task={"http_request": {
        "url": worker.url("/sync"), "oidc_token": {"service_account_email": SERVICE_ACCOUNT}}})
    (got,) = worker.wait_for(1)
    settings = Settings(google_api_root=google.root, google_auth_uri=google.root + "o/oauth2/v2/auth",
                        google_token_uri=google.root + "token", google_revoke_uri=google.root + "revoke",
                        public_base_url=worker.base, project="conformance", sync_horizon_days=365,
                        google_oidc_certs_uri=google.root + "oauth2/v1/certs", sync_invoker=SERVICE_ACCOUNT)
    caller = authenticate_sync(got.headers["authorization"], b"k" * 32, settings)
    assert (caller.role, caller.sub) == ("scheduler", SERVICE_ACCOUNT)


def test_without_a_signer_oidc_tasks_are_refused(worker: RecordingWorker) -> None:
    with CloudTasksEmulator() as bare:
        client = bare.client()
        queue = make_queue(client)
        with pytest.raises(exceptions.BadRequest) as err:
            client.create_task(parent=queue.name, task={"http_request": {
                "url": worker.url(), "oidc_token": {"service_account_email": SERVICE_ACCOUNT}}})
        assert status_of(err.value) == "FAILED_PRECONDITION"
        client.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
        worker.wait_for(1)
