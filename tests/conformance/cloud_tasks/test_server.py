"""The emulator as its own process (`python -m devtools.cloud_tasks_emulator`), its control API,
and loopback-only listening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.cloud_tasks_emulator import CloudTasksEmulator
from devtools.cloud_tasks_emulator.__main__ import main as cli_main
from devtools.cloud_tasks_emulator.client import TasksEmulatorControl, TasksEmulatorControlError, tasks_client
from devtools.google_emulator import EmulatorServer
from tests.conformance.cloud_tasks.conftest import LOCATION, SERVICE_ACCOUNT
from tests.conformance.cloud_tasks.worker import RecordingWorker

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_module_entry_point_serves_and_signs(worker: RecordingWorker, google: EmulatorServer) -> None:
    port = _free_port()
    queue = f"{LOCATION}/queues/started-by-cli"
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.cloud_tasks_emulator", "--port", str(port),
         "--google-root", google.root, "--queue", queue],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, line
        endpoint = f"http://127.0.0.1:{port}"
        client = tasks_client(endpoint)
        assert client.get_queue(name=queue).name == queue
        client.create_task(parent=queue, task={"name": f"{queue}/tasks/cli-1", "http_request": {
            "url": worker.url(), "oidc_token": {"service_account_email": SERVICE_ACCOUNT}}})
        (got,) = worker.wait_for(1)
        assert got.headers["authorization"].startswith("Bearer ey")
        control = TasksEmulatorControl(endpoint)
        deadline = time.monotonic() + 20
        while not control.dispatches("cli-1") and time.monotonic() < deadline:
            time.sleep(0.05)
        (attempt,) = control.dispatches("cli-1")
        assert (attempt["status"], attempt["outcome"]) == (200, "completed")
        assert control.counters()["tasks"][f"{queue}/tasks/cli-1"]["attempts"] == 1
        before = control.now()
        assert control.advance_clock(120) >= before + 120
        assert control.reset_counters() == 1
        control.reset()
        with pytest.raises(TasksEmulatorControlError) as err:
            control.advance_clock(-1)
        assert err.value.status == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


ANY_INTERFACE = "0.0.0.0"  # noqa: S104 (what must be refused)


def test_it_listens_on_loopback_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError):
        CloudTasksEmulator(host=ANY_INTERFACE)
    with pytest.raises(SystemExit) as exit_:
        cli_main(["--host", ANY_INTERFACE])
    assert exit_.value.code == 2 and "loopback" in capsys.readouterr().err
