"""`EmulatorControl`: a small client of the emulator's control API (stdlib only).

    ctl = EmulatorControl("http://127.0.0.1:8089/")
    ctl.add_fault(503, count=2, kind="write")
    ctl.phone_patch("praxis.berlin@example.com", event_id, {"summary": "moved"})

One method per control route; see README.md beside this file. Errors raise
`EmulatorControlError` carrying the HTTP status and the decoded JSON body.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode


class EmulatorControlError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control API answered {status}: {body}")
        self.status = status
        self.body = body


def _segment(value: str) -> str:
    return quote(value, safe="")


def _drop_none(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # hand the 302 back: its Location is the app's callback URL


class EmulatorControl:
    def __init__(self, root: str, timeout: float = 10.0) -> None:
        if not root.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise ValueError("the emulator's control API is on loopback only")
        self.google_root = root.rstrip("/") + "/"
        self.root = self.google_root + "_emulator"
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        self._browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    # --- a person on the consent page ------------------------------------------------------

    def consent(self, authorization_url: str, account: str = "praxis.berlin@example.com", *,
                allow: bool = True, scopes: list[str] | None = None) -> str:
        """What a person does on the consent page: pick `account`, tick `scopes` (default:
        every box offered), press Allow or Deny. Returns the redirect URL to the app."""
        if not authorization_url.startswith(self.google_root):
            raise ValueError("not this emulator's consent page")
        with self._browser.open(authorization_url, timeout=self.timeout) as page:
            html = page.read().decode()
        request_id = re.search(r'name="request_id" value="([^"]+)"', html)
        if request_id is None:
            raise EmulatorControlError(400, html)
        offered = re.findall(r'name="scope" value="([^"]+)"', html)
        form = [("request_id", request_id.group(1)), ("account", account),
                ("decision", "allow" if allow else "deny")]
        form += [("scope", s) for s in (offered if scopes is None else scopes)]
        req = urllib.request.Request(self.google_root + "o/oauth2/v2/auth/decision",  # noqa: S310
                                     data=urlencode(form).encode(), method="POST")
        try:
            with self._browser.open(req, timeout=self.timeout) as answer:
                raise EmulatorControlError(answer.status, answer.read().decode())
        except urllib.error.HTTPError as err:
            if err.code != 302:
                raise EmulatorControlError(err.code, err.read().decode()) from None
            return err.headers["Location"]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.root + path, data=data, method=method,  # noqa: S310 (http on loopback, checked in __init__)
                                     headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                decoded: Any = json.loads(raw)
            except ValueError:
                decoded = raw.decode(errors="replace")
            raise EmulatorControlError(err.code, decoded) from None
        return json.loads(raw) if raw else {}

    # --- scene ---------------------------------------------------------------------------

    def reset(self) -> None:
        self._call("POST", "/reset", {})

    def accounts(self) -> list[dict[str, Any]]:
        return self._call("GET", "/accounts")["accounts"]

    def add_account(self, email: str, display_name: str | None = None) -> dict[str, Any]:
        return self._call("POST", "/accounts", _drop_none(email=email, display_name=display_name))

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str],
                        testing: bool = False) -> dict[str, Any]:
        return self._call("POST", "/clients", {"client_id": client_id, "client_secret": client_secret,
                                               "redirect_uris": redirect_uris, "testing": testing})

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward; returns its new time (epoch seconds)."""
        return self._call("POST", "/clock", {"advance_seconds": seconds})["now"]

    # --- calendars and "the phone" -------------------------------------------------------

    def create_calendar(self, owner: str, summary: str, access_role: str | None = None) -> dict[str, Any]:
        return self._call("POST", "/calendars", _drop_none(owner=owner, summary=summary,
                                                           access_role=access_role))

    def set_summary_override(self, calendar_id: str, account: str, summary: str) -> None:
        """The account renames the calendar in its own list (calendarList `summaryOverride`)."""
        self._call("POST", f"/calendars/{_segment(calendar_id)}/summary-override",
                   {"account": account, "summary": summary})

    def delete_calendar(self, calendar_id: str) -> None:
        self._call("DELETE", f"/calendars/{_segment(calendar_id)}")

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every stored event of the calendar, cancelled ones too (no counters touched)."""
        return self._call("GET", f"/calendars/{_segment(calendar_id)}/events")["events"]

    def phone_create(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/calendars/{_segment(calendar_id)}/events", event)

    def phone_patch(self, calendar_id: str, event_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", f"/calendars/{_segment(calendar_id)}/events/{_segment(event_id)}", patch)

    def phone_delete(self, calendar_id: str, event_id: str) -> None:
        self._call("DELETE", f"/calendars/{_segment(calendar_id)}/events/{_segment(event_id)}")

    def invalidate_sync_tokens(self, calendar_id: str | None = None) -> None:
        self._call("POST", "/sync-tokens/invalidate", _drop_none(calendar_id=calendar_id))

    # --- OAuth grants --------------------------------------------------------------------

    def grants(self) -> list[dict[str, Any]]:
        return self._call("GET", "/grants")["grants"]

    def issue_grant(self, email: str, scopes: list[str]) -> dict[str, Any]:
        """A live grant as a completed consent leaves it: {grant_id, refresh_token, access_token}."""
        return self._call("POST", "/grants", {"email": email, "scopes": scopes})

    def id_token(self, email: str, audience: str) -> str:
        """A Google-signed OIDC ID token for a service account, as Cloud Scheduler sends one."""
        return self._call("POST", "/id-token", {"email": email, "audience": audience})["id_token"]

    def kill_grants(self, email: str | None = None, client_id: str | None = None) -> int:
        return self._call("POST", "/grants/kill", _drop_none(email=email, client_id=client_id))["killed"]

    # --- faults, rate limit, latency, counters -------------------------------------------

    def add_fault(self, code: int | None = None, *, reason: str | None = None, count: int | None = None,
                  method: str | None = None, path_regex: str | None = None,
                  calendar_id: str | None = None, kind: str | None = None, ghost: bool | None = None,
                  message: str | None = None) -> dict[str, Any]:
        """The next `count` matching Calendar calls answer `code` (see README for defaults)."""
        return self._call("POST", "/faults", _drop_none(
            code=code, reason=reason, count=count, method=method, path_regex=path_regex,
            calendar_id=calendar_id, kind=kind, ghost=ghost, message=message))

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> int:
        return self._call("DELETE", "/faults")["cleared"]

    def set_rate_limit(self, enabled: bool, per_minute: int | None = None) -> dict[str, Any]:
        return self._call("POST", "/rate-limit", _drop_none(enabled=enabled, per_minute=per_minute))

    def set_latency(self, ms: float) -> None:
        self._call("POST", "/latency", {"ms": ms})

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/counters")

    def reset_counters(self) -> None:
        self._call("DELETE", "/counters")

    # --- push notifications --------------------------------------------------------------

    def push_status(self) -> dict[str, Any]:
        """The delivery knobs and `pending` (notifications waiting or under way)."""
        return self._call("GET", "/push")

    def set_push(self, *, delay_ms: float | None = None, drop_rate: float | None = None,
                 duplicate_rate: float | None = None, seed: int | None = None,
                 timeout_ms: float | None = None, retries: int | None = None,
                 retry_base_ms: float | None = None) -> dict[str, Any]:
        """Change the given delivery knobs (the others keep their value); a `seed` restarts the
        generator behind drop_rate and duplicate_rate."""
        return self._call("POST", "/push", _drop_none(
            delay_ms=delay_ms, drop_rate=drop_rate, duplicate_rate=duplicate_rate, seed=seed,
            timeout_ms=timeout_ms, retries=retries, retry_base_ms=retry_base_ms))

    def push_channels(self) -> list[dict[str, Any]]:
        return self._call("GET", "/push/channels")["channels"]

    def expire_channel(self, channel_id: str) -> dict[str, Any]:
        """End the channel's lifetime now, as if its expiration had come."""
        return self._call("POST", "/push/expire", {"id": channel_id})

    def push_log(self) -> list[dict[str, Any]]:
        """Every notification's outcome, oldest first (see README.md for the fields)."""
        return self._call("GET", "/push/log")["notifications"]

    def clear_push_log(self) -> int:
        return self._call("DELETE", "/push/log")["cleared"]

    def wait_push_idle(self, timeout: float = 10.0) -> None:
        """Wait until every notification so far has had its outcome (delivered, failed, ...)."""
        deadline = time.monotonic() + timeout
        while self.push_status()["pending"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"push deliveries still pending after {timeout} s")
            time.sleep(0.02)
