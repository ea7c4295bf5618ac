"""Start and stop the official Firestore emulator (Google Cloud SDK) on a free loopback port.

As a library: `with FirestoreEmulator() as fs: fs.host` (also sets FIRESTORE_EMULATOR_HOST).
As a command: `python -m devtools.firestore_emulator -- CMD ARGS...` runs CMD with
FIRESTORE_EMULATOR_HOST exported and stops the emulator afterwards, whatever CMD did;
without CMD it runs until interrupted.
The emulator runs in its own process group, so stopping it also stops the JVM's children.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_JAR = Path("/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar")
INSTALL_HINT = (
    "The Firestore emulator needs Java 11+ and the emulator jar.\n"
    "Install the jar with one of:\n"
    "  gcloud components install cloud-firestore-emulator\n"
    "  apt-get install google-cloud-cli-firestore-emulator   (Google's Cloud SDK apt repository)\n"
    "and Java with: apt-get install default-jre-headless\n"
    "Or point FIRESTORE_EMULATOR_JAR at the jar."
)


class EmulatorMissing(RuntimeError):
    pass


def find_jar() -> Path:
    candidates = [os.environ.get("FIRESTORE_EMULATOR_JAR"), str(DEFAULT_JAR)]
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk_root = Path(gcloud).resolve().parent.parent
        candidates.append(str(sdk_root / "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    looked = ", ".join(c for c in candidates if c)
    raise EmulatorMissing(f"Firestore emulator jar not found (looked in: {looked}).\n" + INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clear(host: str, project: str) -> None:
    """Delete every document of `project` in the emulator at `host` (its reset endpoint)."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
    req = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(req, timeout=10):  # noqa: S310
        pass


class FirestoreEmulator:
    def __init__(self, port: int | None = None, startup_timeout: float = 60.0) -> None:
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop())

    def start(self) -> FirestoreEmulator:
        java = shutil.which("java")
        if java is None:
            raise EmulatorMissing("`java` is not on PATH.\n" + INSTALL_HINT)
        jar = find_jar()
        cmd = [java, "-cp", str(jar), "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
               "start", "--host=127.0.0.1", f"--port={self.port}"]
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,  # noqa: S603
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:  # also Ctrl-C while the JVM starts: its own session would outlive us
            self.stop()
            raise
        os.environ["FIRESTORE_EMULATOR_HOST"] = self.host
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"Firestore emulator exited early:\n{self._output()}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as r:
                    if r.read().strip() == b"Ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Firestore emulator did not answer Ok within {self.startup_timeout}s")

    def _output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def clear(self, project: str) -> None:
        clear(self.host, project)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if os.environ.get("FIRESTORE_EMULATOR_HOST") == self.host:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        self._log.close()

    def __enter__(self) -> FirestoreEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    cmd = argv[argv.index("--") + 1:] if "--" in argv else []
    try:
        emulator = FirestoreEmulator().start()
    except EmulatorMissing as exc:
        print(exc, file=sys.stderr)
        return 3
    # SIGTERM (e.g. from CI's timeout) must still stop the emulator.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(f"export FIRESTORE_EMULATOR_HOST={emulator.host}", flush=True)
        if cmd:
            return subprocess.call(cmd)  # noqa: S603
        signal.pause()
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
