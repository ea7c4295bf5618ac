"""The emulator's Google-signed OIDC ID tokens: one signing key per process, also when the
first token and the first certificate request arrive at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from google.auth.transport import requests as google_requests
from google.oauth2 import id_token

from devtools.google_emulator import EmulatorServer, id_tokens
from devtools.google_emulator.client import EmulatorControl

AUDIENCE = "http://127.0.0.1:8080/sync_link"
ACCOUNT = "sync-tasks@demo.iam.gserviceaccount.com"


def test_tokens_minted_while_the_key_is_first_made_all_verify(google: EmulatorServer) -> None:
    id_tokens._make_key_and_cert.cache_clear()  # as in a fresh emulator process
    control = EmulatorControl(google.root)
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: control.id_token(ACCOUNT, AUDIENCE), range(16)))
    for token in tokens:
        claims = id_token.verify_token(token, google_requests.Request(), audience=AUDIENCE,
                                       certs_url=google.root + "oauth2/v1/certs")
        assert claims["email"] == ACCOUNT
