"""Where the emulator gets the OIDC ID tokens it puts on dispatches of tasks with an oidc_token.

Cloud Tasks signs them with Google's keys; locally the project's Google emulator does
(`POST {GOOGLE_API_ROOT}_emulator/id-token {email, audience}`, verifiable against its
`/oauth2/v1/certs`), so a worker checks them exactly as it checks Cloud Scheduler's.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

IdTokenSource = Callable[[str, str], str]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy: loopback only


def google_emulator_url(google_root: str) -> str:
    """The id-token route of the Google emulator whose GOOGLE_API_ROOT is `google_root`."""
    return google_root.rstrip("/") + "/_emulator/id-token"


def url_source(url: str, timeout: float = 10.0) -> IdTokenSource:
    """Mint each token with a POST of `{email, audience}` to `url`; the answer's `id_token`."""

    def mint(email: str, audience: str) -> str:
        request = urllib.request.Request(  # noqa: S310 (a loopback URL given by the developer)
            url, data=json.dumps({"email": email, "audience": audience}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with _OPENER.open(request, timeout=timeout) as response:
            token = json.loads(response.read())["id_token"]
        if not isinstance(token, str):
            raise ValueError(f"{url} answered without an id_token")
        return token

    return mint
