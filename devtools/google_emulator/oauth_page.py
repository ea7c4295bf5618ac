"""HTML of the emulator's consent and error pages: small, plain, and clearly not Google.

Stable selectors for browser tests: `input[name=account]`, `input#other-email`,
`input[name=scope]`, `button#allow`, `button#deny`.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from devtools.google_emulator.oauth_flow import SCOPE_PREFIX, SIGN_IN_SCOPES, AuthRequest
from devtools.google_emulator.state import Account

SCOPE_DESCRIPTIONS = {
    "calendar": "See, edit, share, and permanently delete all the calendars you can access using "
                "Google Calendar",
    "calendar.readonly": "See and download any calendar you can access using your Google Calendar",
    "calendar.events": "View and edit events on all your calendars",
    "calendar.events.readonly": "View events on all your calendars",
    "calendar.events.owned": "See, create, change, and delete events on Google calendars you own",
    "calendar.app.created": "Make secondary Google calendars, and see, create, change, and delete "
                            "events on them",
    "calendar.calendarlist": "See, add, and remove Google calendars you're subscribed to",
    "calendar.calendarlist.readonly": "See the list of Google calendars you're subscribed to",
    "calendar.calendars": "See and change the properties of Google calendars you have access to, "
                          "and create secondary calendars",
    "calendar.calendars.readonly": "See the title, description, default time zone, and other "
                                   "properties of Google calendars you have access to",
    "calendar.settings.readonly": "See your Google Calendar settings",
    "calendar.freebusy": "See the availability on Google calendars you have access to",
    "openid": "Associate you with your personal info on Google",
    "userinfo.email": "See your primary Google Account email address",
    "userinfo.profile": "See your personal info, including any personal info you've made "
                        "publicly available",
}

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f1f3f4;margin:0;color:#202124}
main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;
border:1px solid #dadce0}
.banner{background:#fef7e0;border:1px solid #f9ab00;border-radius:4px;padding:.5rem .75rem;
font-size:.9rem}
fieldset{border:1px solid #dadce0;border-radius:4px;margin:1rem 0;padding:.75rem 1rem}
label{display:block;margin:.4rem 0}
code{font-size:.75rem;color:#5f6368;display:block;margin-left:1.6rem}
.error{color:#d93025;font-weight:600}
.actions{display:flex;flex-direction:row-reverse;justify-content:space-between;margin-top:1rem}
button{font-size:1rem;padding:.5rem 1.5rem;border-radius:4px;border:1px solid #dadce0;cursor:pointer}
#allow{background:#1a73e8;color:#fff;border-color:#1a73e8}
"""

_BANNER = ("<p class=\"banner\"><strong>LOCAL Google emulator</strong> — this is not Google. "
           "Nothing leaves this machine; accounts and calendars here are test data.</p>")


def describe(scope: str) -> str:
    """A person's description of a scope (the scope itself if unknown)."""
    return SCOPE_DESCRIPTIONS.get(scope.removeprefix(SCOPE_PREFIX), scope)


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)} – Local Google emulator</title><style>{_STYLE}</style></head>"
            f"<body><main>{_BANNER}{body}</main></body></html>")


def error_page(status: int, error: str, detail: str) -> str:
    """Google's "Error 400: redirect_uri_mismatch" style page; no way back to the app."""
    head = f"Error {status}: {error}"
    return _page(head, f"<h1>Access blocked: this app's request is invalid</h1>"
                       f"<p class=\"error\">{escape(head)}</p><p>{escape(detail)}</p>")


def _accounts(accounts: Iterable[Account], hint: str) -> str:
    items = list(accounts)
    chosen = hint if any(a.email == hint for a in items) else (items[0].email if items else "")
    rows = "".join(
        f"<label><input type=\"radio\" name=\"account\" value=\"{escape(a.email)}\""
        f"{' checked' if a.email == chosen else ''}> {escape(a.display_name)} "
        f"&lt;{escape(a.email)}&gt;</label>" for a in items)
    return (f"<fieldset><legend>Choose an account</legend>{rows}"
            f"<label for=\"other-email\">Or use another account (created on the fly):</label>"
            f"<input type=\"email\" id=\"other-email\" name=\"other_email\" "
            f"placeholder=\"someone@example.com\" autocomplete=\"off\"></fieldset>")


def _scopes(req: AuthRequest) -> str:
    shared = [s for s in req.scopes if s in SIGN_IN_SCOPES]
    boxes = "".join(
        f"<label><input type=\"checkbox\" name=\"scope\" value=\"{escape(s)}\"> {escape(describe(s))}"
        f"<code>{escape(s)}</code></label>"
        for s in req.granular_scopes)
    always = "".join(f"<li>{escape(describe(s))}</li>" for s in shared)
    always_html = f"<p>Always shared when you continue:</p><ul>{always}</ul>" if shared else ""
    return (f"<fieldset><legend>Select what the app can access</legend>{always_html}"
            f"{boxes or '<p>No other access requested.</p>'}</fieldset>")


def consent_page(req: AuthRequest, accounts: Iterable[Account], error: str = "") -> str:
    """The consent screen: an account, the requested scopes (unticked), Allow / Deny."""
    problem = f"<p class=\"error\" role=\"alert\">{escape(error)}</p>" if error else ""
    body = (f"<h1>Sign in with Google</h1>"
            f"<p>The app <strong>{escape(req.client_id)}</strong> wants to access your Google "
            f"Account. It will return to <code>{escape(req.redirect_uri)}</code></p>{problem}"
            f"<form method=\"post\" action=\"/o/oauth2/v2/auth/decision\">"
            f"<input type=\"hidden\" name=\"request_id\" value=\"{escape(req.request_id)}\">"
            f"{_accounts(accounts, req.login_hint)}{_scopes(req)}"
            # Allow comes first in the DOM (Enter in the email field allows), Deny shows on the left.
            f"<div class=\"actions\"><button type=\"submit\" id=\"allow\" name=\"decision\" "
            f"value=\"allow\">Allow</button><button type=\"submit\" id=\"deny\" name=\"decision\" "
            f"value=\"deny\">Deny</button></div></form>")
    return _page("Sign in", body)
