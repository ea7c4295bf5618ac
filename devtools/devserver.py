"""Serve every function of main.py on one loopback port, as Cloud Functions would.

Function `F` answers under `/F`; the function sees the rest of the path (Cloud Functions strips
its name), so `/planner/branches/b1` reaches `planner` as `/branches/b1`. Local pages (the
landing page and the planner demo pages admin.html / employee.html) are served from
`devtools/pages/`. `POST /dev/token` mints the planner's bearer tokens for those pages: the
planner itself would sign them in production; this helper exists only here, never deployed.
`/google/_emulator/...` passes the Google emulator's control API through on the same origin, so
the sync demo page (sync.html) can act as "the phone" (loopback only, control routes only).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import functions_framework
import jwt
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
ROLES = ("admin", "employee", "planner")
TOKEN_SECONDS = 12 * 3600
MIMETYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def entry_points(source: Path = ROOT / "main.py") -> list[str]:
    """The names main.py re-exports (its `__all__`): exactly what gets deployed."""
    spec = importlib.util.spec_from_file_location("_entry_points", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "__all__", []))


def dev_token(role: str, branch_id: str | None = None, resource_ids: list[str] | None = None,
              sub: str | None = None, key: str | None = None) -> str:
    """A bearer token as the planner would sign it (API.md, "Authentication"), valid 12 h."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role != "planner" and not branch_id:
        raise ValueError(f"a {role} token needs a branch_id")
    key = key if key is not None else os.environ.get("SECRET_PLANNER_JWT_KEY", "")
    if not key:
        raise LookupError("SECRET_PLANNER_JWT_KEY is not set (start the stack with `make run`)")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub or f"dev-{role}", "role": role, "iat": now,
                              "exp": now + TOKEN_SECONDS}
    if branch_id:
        claims["branch_id"] = branch_id
    if role == "employee" or resource_ids:
        claims["resource_ids"] = list(resource_ids or [])
    return jwt.encode(claims, key.encode(), algorithm="HS256")


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _token_endpoint(request: Request) -> Response:
    """`POST /dev/token {role, branch_id?, resource_ids?, sub?}` → `{token}`."""
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Use POST.")
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_body", "The body must be a JSON object.")
    ids = body.get("resource_ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        return _error(400, "invalid_body", "resource_ids must be a list of strings.")
    fields = {k: body.get(k) for k in ("role", "branch_id", "sub")}
    if not all(v is None or isinstance(v, str) for v in fields.values()):
        return _error(400, "invalid_body", "role, branch_id and sub must be strings.")
    try:
        token = dev_token(fields["role"] or "", fields["branch_id"], ids, fields["sub"])
    except ValueError as exc:
        return _error(400, "invalid_body", str(exc))
    except LookupError as exc:
        return _error(500, "not_configured", str(exc))
    return _json({"token": token, "expires_in": TOKEN_SECONDS})


SYNC_DEMO_LABEL = "Synchronisation ansehen: Terminplaner ⇄ Google-Kalender (Handy)"
GOOGLE_PROXY_PREFIX = "/google/"
GOOGLE_PROXY_ALLOWED = "_emulator/"
GOOGLE_PROXY_METHODS = ("GET", "POST", "PATCH", "DELETE")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _google_proxy(request: Request) -> Response:
    """`/google/_emulator/<path>` → `GOOGLE_API_ROOT` + `_emulator/<path>`, for the sync demo page.

    Only the emulator's control API, only from and to loopback: the browser cannot call the
    emulator itself (another port, no CORS), and nothing else of Google is reachable this way.
    """
    if not _is_loopback(request.remote_addr):
        return _error(403, "forbidden", "The Google emulator proxy answers loopback callers only.")
    rest = request.path[len(GOOGLE_PROXY_PREFIX):]
    segments = rest.split("/")
    if not rest.startswith(GOOGLE_PROXY_ALLOWED) or any(s in ("", ".", "..") for s in segments[1:]):
        return _error(404, "not_found",
                      "Only the emulator's control API (/google/_emulator/...) is passed on.")
    if request.method not in GOOGLE_PROXY_METHODS:
        return _error(405, "method_not_allowed", f"Use {', '.join(GOOGLE_PROXY_METHODS)}.")
    root = os.environ.get("GOOGLE_API_ROOT", "")
    if not root or not _is_loopback(urlsplit(root).hostname):
        return _error(503, "not_configured", "GOOGLE_API_ROOT is not a local Google emulator "
                                             "(start the stack with `make run`).")
    url = root.rstrip("/") + "/" + "/".join(quote(s, safe="") for s in segments)
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    body = request.get_data() if request.method in ("POST", "PATCH") else None
    upstream = urllib.request.Request(url, data=body, method=request.method,  # noqa: S310 (loopback)
                                      headers={"Content-Type": "application/json",
                                               "Accept": "application/json"})
    try:
        with _NO_PROXY.open(upstream, timeout=30) as resp:
            status, raw, kind = resp.status, resp.read(), resp.headers.get("Content-Type")
    except urllib.error.HTTPError as err:
        status, raw, kind = err.code, err.read(), err.headers.get("Content-Type")
    except OSError as exc:
        return _error(502, "google_emulator_unreachable", f"The Google emulator does not answer: {exc}")
    return Response(raw, status=status, content_type=kind or "application/json",
                    headers={"Cache-Control": "no-store"})


def _landing(names: list[str], links: dict[str, str]) -> Any:
    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/healthz":
            return _json({"status": "ok", "functions": names})
        if request.path == "/dev/token":
            return _token_endpoint(request)
        if request.path.startswith(GOOGLE_PROXY_PREFIX):
            return _google_proxy(request)
        page = PAGES / (request.path.strip("/") or "index.html")
        if request.path in ("/", "/index.html"):
            return Response(_index_html(names, links), mimetype="text/html")
        if page.is_file() and PAGES in page.resolve().parents:
            mimetype = MIMETYPES.get(page.suffix, "application/octet-stream")
            return Response(page.read_bytes(), mimetype=mimetype, headers={"Cache-Control": "no-cache"})
        return _error(404, "not_found", "No such page")

    return app


def _index_html(names: list[str], links: dict[str, str]) -> str:
    fn = "".join(f"<li><code>/{n}</code></li>" for n in names) or "<li>(none yet)</li>"
    if "sync" in names and not any(url.startswith("/sync.html") for url in links.values()):
        # The sync demo goes right after the other demo pages.
        pages = [item for item in links.items() if ".html" in item[1]]
        others = [item for item in links.items() if ".html" not in item[1]]
        links = dict([*pages, (SYNC_DEMO_LABEL, "/sync.html"), *others])
    ln = "".join(f'<li><a href="{url}">{label}</a></li>' for label, url in links.items())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Planner ⇄ Google Calendar — local</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;line-height:1.5}}
code{{background:#f3f3f3;padding:0 .3em}}</style></head><body>
<h1>Planner ⇄ Google Calendar (local)</h1>
<p>Everything here runs on this machine: the functions, the Firestore emulator and a local
emulator of Google Calendar and Google sign-in. Nothing reaches Google.</p>
<h2>Pages</h2><ul id="links">{ln}</ul>
<h2>Functions</h2><ul id="functions">{fn}</ul>
</body></html>"""


def _function_root(app: Any) -> Any:
    """`/F` reaches the function as `/` (not as an empty path that Flask would redirect)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"
        return app(environ, start_response)

    return wsgi


def create_devserver_app(links: dict[str, str] | None = None, source: Path = ROOT / "main.py") -> Any:
    names = entry_points(source)
    mounts = {f"/{n}": _function_root(functions_framework.create_app(target=n, source=str(source)))
              for n in names}
    return DispatcherMiddleware(_landing(names, links or {}), mounts)
