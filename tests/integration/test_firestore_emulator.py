"""The project's own Firestore emulator runner: clean databases, reliable stop, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.cloud import firestore

from devtools import firestore_emulator as fe

pytestmark = pytest.mark.firestore


def test_each_test_gets_an_empty_database(firestore_client: firestore.Client) -> None:
    assert list(firestore_client.collection("branches").stream()) == []
    firestore_client.collection("branches").document("b1").set({"timezone": "Europe/Berlin"})
    assert firestore_client.collection("branches").document("b1").get().to_dict() == {
        "timezone": "Europe/Berlin"}


def test_clear_deletes_every_document(firestore_client: firestore.Client) -> None:
    firestore_client.collection("c").document("d").set({"x": 1})
    fe.clear(os.environ["FIRESTORE_EMULATOR_HOST"], firestore_client.project)
    assert list(firestore_client.collection("c").stream()) == []


def test_command_mode_exports_host_and_stops_the_whole_process_group() -> None:
    script = "import os; print('HOST', os.environ['FIRESTORE_EMULATOR_HOST'])"
    out = subprocess.run([sys.executable, "-m", "devtools.firestore_emulator", "--", sys.executable, "-c",
                          script], capture_output=True, text=True, timeout=120, check=True).stdout
    host = next(line.split()[1] for line in out.splitlines() if line.startswith("HOST"))
    port = host.rsplit(":", 1)[1]
    still_running = subprocess.run(["pgrep", "-f", f"--port={port}"], capture_output=True, text=True)
    assert still_running.stdout.strip() == "", "the emulator outlived its command"


def test_missing_jar_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fe, "DEFAULT_JAR", tmp_path / "nope.jar")
    monkeypatch.setenv("FIRESTORE_EMULATOR_JAR", str(tmp_path / "also-nope.jar"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no gcloud to find an SDK root from
    with pytest.raises(fe.EmulatorMissing, match="gcloud components install cloud-firestore-emulator"):
        fe.find_jar()
