"""Real headless Chromium (Debian's package) driven by Playwright; never a downloaded browser."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devtools.firestore_emulator import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which("chromium"):
        pytest.fail("Debian's chromium is missing: run `make browser` (apt-get install chromium)",
                    pytrace=False)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture
def staff_page(browser: Browser) -> Iterator[Page]:
    """A page as practice staff have it: a German browser (its popups share the context).
    No script may crash in it: an uncaught page error fails the test."""
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(10_000)
    p = context.new_page()
    crashes: list[str] = []
    p.on("pageerror", lambda exc: crashes.append(str(exc)))
    yield p
    context.close()
    assert not crashes, crashes


# --- the whole local stack (`make run`), for the tests that click through the planner pages ---

@dataclass
class Stack:
    """A running `python -m devtools.run`: its URLs, and small HTTP helpers for setting scenes."""

    base: str
    google_root: str
    output: list[str]
    tasks_endpoint: str = ""  # the local Cloud Tasks API

    def tasks(self) -> Any:
        """The official Cloud Tasks client on the stack's queue API (pause it to set a scene)."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import tasks_v2

        return tasks_v2.CloudTasksClient(transport="rest", credentials=AnonymousCredentials(),
                                         client_options={"api_endpoint": self.tasks_endpoint})

    def call(self, method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """One JSON request (no proxy, loopback only): (status, decoded body or text)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with _OPENER.open(request, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A call to the functions that must succeed; its JSON answer."""
        status, answer = self.call(method, self.base + path, body, token)
        assert 200 <= status < 300, f"{method} {path} → {status}: {answer}"
        return answer

    def token(self, role: str, branch_id: str | None = None, resource_ids: list[str] | None = None) -> str:
        body = {"role": role, "branch_id": branch_id, "resource_ids": resource_ids}
        return self.api("POST", "/dev/token", {k: v for k, v in body.items() if v is not None})["token"]

    def emulator(self, method: str, path: str, body: Any = None) -> Any:
        """The Google emulator's control API (`/_emulator/...`)."""
        status, answer = self.call(method, self.google_root + "_emulator/" + path.lstrip("/"), body)
        assert 200 <= status < 300, f"emulator {method} {path} → {status}: {answer}"
        return answer

    def new_branch(self, resources: dict[str, tuple[str, str]], sync: bool = False,
                   privacy: str = "full") -> str:
        """A branch of its own for one test, created through the planner API, like the planner
        does; its resources show `privacy` (the tests read titles in Google: "full")."""
        branch = "t-" + uuid.uuid4().hex[:10]
        token = self.token("planner")
        self.api("PUT", f"/planner/branches/{branch}",
                 {"name": f"Testfiliale {branch}", "timezone": "Europe/Berlin", "google_sync_enabled": sync},
                 token)
        for resource_id, (name, kind) in resources.items():
            self.api("PUT", f"/planner/branches/{branch}/resources/{resource_id}",
                     {"name": name, "kind": kind, "privacy": privacy}, token)
        return branch


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ROOT = Path(__file__).resolve().parents[2]


def _field(output: str, label: str) -> str:
    for line in output.splitlines():
        if line.strip().startswith(label):
            return line.split(label, 1)[1].strip()
    raise AssertionError(f"`{label}` not in the output of devtools.run:\n{output}")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """`python -m devtools.run` on free ports, for one test module; stopped with Ctrl-C (SIGINT)."""
    env = {k: v for k, v in os.environ.items() if k != "FIRESTORE_EMULATOR_HOST"}
    proc = subprocess.Popen([sys.executable, "-m", "devtools.run", "--port", str(free_port()),
                             "--google-port", str(free_port()), "--tasks-port", str(free_port())],
                            cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        line = proc.stdout.readline()
        lines.append(line)
        if "Ctrl-C stops everything" in line:
            break
    output = "".join(lines)
    if "Ctrl-C stops everything" not in output:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"devtools.run did not start:\n{output}{proc.stdout.read()}", pytrace=False)
    # Keep reading (the request log), or the pipe fills and the server blocks.
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    try:
        yield Stack(_field(output, "Planner (local):").rstrip("/"), _field(output, "Google emulator:"), lines,
                    _field(output, "Cloud Tasks:").split()[0])
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
