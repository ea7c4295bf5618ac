"""Google-signed OIDC ID tokens, as Cloud Scheduler sends them, and the certs to check them.

`GET /oauth2/v1/certs` answers like Google's (key id → PEM certificate); the control route
`POST /_emulator/id-token {email, audience}` mints a token for a service account, signed with
the emulator's own RSA key (made once per process).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Request, Response

from devtools.google_emulator.control import control
from devtools.google_emulator.routing import web_route
from devtools.google_emulator.state import EmulatorState

KEY_ID = "emulator-key-1"


_KEY_LOCK = threading.Lock()


def _key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    """The signing key, made once per process. Locked: `functools.cache` alone let two first
    requests at once (a token and the certificates) each make a key, so tokens signed with the
    one did not verify against the other ("Could not verify token signature")."""
    with _KEY_LOCK:
        return _make_key_and_cert()


@cache
def _make_key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-google-emulator")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


@web_route("GET", "/oauth2/v1/certs")
def certs(_state: EmulatorState, _request: Request) -> Response:
    return Response(json.dumps({KEY_ID: _key_and_cert()[1]}), content_type="application/json")


def mint(email: str, audience: str, now: float | None = None, lifetime: int = 3600) -> str:
    issued = int(now if now is not None else time.time())
    subject = "1" + hashlib.sha256(email.encode()).hexdigest()[:20]
    claims = {"iss": "https://accounts.google.com", "aud": audience, "azp": email, "sub": subject,
              "email": email, "email_verified": True, "iat": issued, "exp": issued + lifetime}
    pem = _key_and_cert()[0].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": KEY_ID})


@control("POST", "/id-token")
def id_token(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    email, audience = body.get("email"), body.get("audience")
    if not isinstance(email, str) or not isinstance(audience, str):
        raise ValueError("email and audience are required strings")
    return {"id_token": mint(email, audience, state.now())}
