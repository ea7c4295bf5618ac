"""Serve every function of main.py on one loopback port, as Cloud Functions would.

Function `F` answers under `/F`; the function sees the rest of the path (Cloud Functions strips
its name), so `/planner/branches/b1` reaches `planner` as `/branches/b1`. Local pages (the
landing page and, later, the planner demo pages) are served from `devtools/pages/`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"


def entry_points(source: Path = ROOT / "main.py") -> list[str]:
    """The names main.py re-exports (its `__all__`): exactly what gets deployed."""
    spec = importlib.util.spec_from_file_location("_entry_points", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "__all__", []))


def _landing(names: list[str], links: dict[str, str]) -> Any:
    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/healthz":
            return Response(json.dumps({"status": "ok", "functions": names}), mimetype="application/json")
        page = PAGES / (request.path.strip("/") or "index.html")
        if request.path in ("/", "/index.html"):
            return Response(_index_html(names, links), mimetype="text/html")
        if page.is_file() and PAGES in page.resolve().parents:
            mimetype = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}.get(
                page.suffix, "application/octet-stream")
            return Response(page.read_bytes(), mimetype=mimetype)
        return Response(json.dumps({"error": {"code": "not_found", "message": "No such page"}}),
                        status=404, mimetype="application/json")

    return app


def _index_html(names: list[str], links: dict[str, str]) -> str:
    fn = "".join(f"<li><code>/{n}</code></li>" for n in names) or "<li>(none yet)</li>"
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


def create_devserver_app(links: dict[str, str] | None = None, source: Path = ROOT / "main.py") -> Any:
    names = entry_points(source)
    mounts = {f"/{n}": functions_framework.create_app(target=n, source=str(source)) for n in names}
    return DispatcherMiddleware(_landing(names, links or {}), mounts)
