"""`make run` as a person uses it: it starts, a browser shows its page, Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from devtools.firestore_emulator import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]


def test_run_serves_a_page_and_stops_cleanly(page: Page) -> None:
    port, google_port, tasks_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "FIRESTORE_EMULATOR_HOST"}
    proc = subprocess.Popen([sys.executable, "-m", "devtools.run", "--port", str(port),
                             "--google-port", str(google_port), "--tasks-port", str(tasks_port)],
                            cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops everything" in line or proc.poll() is not None:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output, output
        firestore_port = output.split("Firestore:")[1].split()[0].rsplit(":", 1)[1]

        page.goto(f"http://127.0.0.1:{port}/")
        assert page.locator("h1").inner_text() == "Planner ⇄ Google Calendar (local)"
        page.goto(f"http://127.0.0.1:{port}/healthz")
        assert '"status": "ok"' in page.content()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        rest = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, rest
    assert "stopped." in rest
    leftover = subprocess.run(["pgrep", "-f", f"--port={firestore_port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "the Firestore emulator outlived make run"
    with socket.socket() as probe:  # and the local Cloud Tasks API is gone with it
        assert probe.connect_ex(("127.0.0.1", tasks_port)) != 0, "Cloud Tasks outlived make run"


def test_ctrl_c_during_start_up_leaves_no_emulator_behind() -> None:
    # Ctrl-C while the Firestore emulator's JVM is still starting (it runs in a session of its own,
    # so the terminal's SIGINT never reaches it): make run must stop it before it exits.
    env = {k: v for k, v in os.environ.items() if k != "FIRESTORE_EMULATOR_HOST"}
    proc = subprocess.Popen([sys.executable, "-m", "devtools.run", "--port", str(free_port()),
                             "--google-port", str(free_port()), "--tasks-port", str(free_port())],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    java = ""
    try:
        deadline = time.monotonic() + 30
        while not java and time.monotonic() < deadline and proc.poll() is None:
            java = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "CloudFirestore"],
                                  capture_output=True, text=True).stdout.strip()
            time.sleep(0.02)
        assert java, "the Firestore emulator was never started"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        rest = proc.communicate(timeout=30)[0]
    assert "Traceback" not in rest, rest
    still = subprocess.run(["ps", "-o", "stat=", "-p", java], capture_output=True, text=True).stdout
    assert still.strip() in ("", "Z"), f"the Firestore emulator (pid {java}) outlived a Ctrl-C at start-up"
