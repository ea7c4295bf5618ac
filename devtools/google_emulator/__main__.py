"""`python -m devtools.google_emulator --port 8089`: the emulator on its own."""

from __future__ import annotations

import argparse
import signal
import threading

from devtools.google_emulator.server import EmulatorServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the emulator only listens on loopback")
    server = EmulatorServer(args.host, args.port).start()
    root = server.root
    print(f"Local Google emulator on {root} (control API: {root}_emulator/)\n"
          f"  GOOGLE_API_ROOT={root}\n  GOOGLE_AUTH_URI={root}o/oauth2/v2/auth\n"
          f"  GOOGLE_TOKEN_URI={root}token\n  GOOGLE_REVOKE_URI={root}revoke", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
