"""`python -m devtools.cloud_tasks_emulator --port 8123 --google-root http://127.0.0.1:8089/`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from devtools.cloud_tasks_emulator.errors import ApiError
from devtools.cloud_tasks_emulator.model import QueuePb
from devtools.cloud_tasks_emulator.server import LOOPBACK, CloudTasksEmulator
from devtools.cloud_tasks_emulator.state import DEDUPE_WINDOW


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local Cloud Tasks v2 API (loopback only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--google-root", help="GOOGLE_API_ROOT of the Google emulator that signs the "
                        "OIDC tokens of dispatches (its /_emulator/id-token route)")
    parser.add_argument("--id-token-url", help="POST {email, audience} → {id_token}; overrides --google-root")
    parser.add_argument("--queue", action="append", default=[], metavar="projects/P/locations/L/queues/Q",
                        help="create this queue (default settings) at start; repeatable")
    parser.add_argument("--dedupe-window", type=float, default=DEDUPE_WINDOW,
                        help="seconds a used task name stays taken (Google: about an hour)")
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK:
        parser.error("the emulator only listens on loopback")
    emulator = CloudTasksEmulator(args.host, args.port, google_root=args.google_root,
                                  id_token_url=args.id_token_url, dedupe_window=args.dedupe_window)
    for name in args.queue:
        try:
            emulator.state.create_queue(name.rsplit("/queues/", 1)[0], QueuePb(name=name))
        except ApiError as err:
            parser.error(f"--queue {name}: {err.message}")
    emulator.start()
    signing = args.id_token_url or args.google_root or "none (tasks with an oidc_token are refused)"
    print(f"Local Cloud Tasks emulator on {emulator.endpoint} (REST v2; control API: "
          f"{emulator.endpoint}/_emulator/)\n  CLOUD_TASKS_API_ENDPOINT={emulator.endpoint}\n"
          f"  OIDC tokens from: {signing}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
