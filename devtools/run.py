"""`make run`: Firestore emulator + Google emulator + every function on loopback, until Ctrl-C."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import sys
import threading

from werkzeug.serving import make_server

from devtools.firestore_emulator import EmulatorMissing, FirestoreEmulator
from devtools.google_emulator import EmulatorServer
from devtools.google_emulator.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


def local_environment(google_root: str, public_base_url: str) -> dict[str, str]:
    """Every setting of API.md, pointed at the local emulators, with fresh local secrets."""
    return {
        "GOOGLE_API_ROOT": google_root,
        "GOOGLE_AUTH_URI": google_root + "o/oauth2/v2/auth",
        "GOOGLE_TOKEN_URI": google_root + "token",
        "GOOGLE_REVOKE_URI": google_root + "revoke",
        "PUBLIC_BASE_URL": public_base_url,
        "GOOGLE_CLOUD_PROJECT": os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-planner"),
        "SECRET_OAUTH_CLIENT": json.dumps({"web": {
            "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token"}}),
        "SECRET_TOKEN_KEY": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "SECRET_PLANNER_JWT_KEY": secrets.token_urlsafe(32),
        "OAUTHLIB_INSECURE_TRANSPORT": "1",  # plain http on loopback only
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--google-port", type=int, default=int(os.environ.get("GOOGLE_PORT", "8089")))
    args = parser.parse_args()

    try:
        firestore = FirestoreEmulator().start()
    except EmulatorMissing as exc:
        print(exc, file=sys.stderr)
        return 3
    google = None
    try:
        google = EmulatorServer(port=args.google_port).start()
        base = f"http://127.0.0.1:{args.port}"
        os.environ.update(local_environment(google.root, base))
        from devtools.devserver import create_devserver_app  # after the environment is set

        links = {"Health (JSON)": "/healthz",
                 "Google emulator: test accounts (JSON)": google.root + "_emulator/accounts"}
        server = make_server("127.0.0.1", args.port, create_devserver_app(links), threaded=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"\n  Planner (local):   {base}/\n  Google emulator:   {google.root}\n"
              f"  Firestore:         {firestore.host}\n\n  Ctrl-C stops everything.\n", flush=True)
        stop.wait()
        server.shutdown()
        return 0
    except OSError as exc:
        print(f"cannot start: {exc} (is something else on port {args.port} or {args.google_port}? "
              "set PORT / GOOGLE_PORT)", file=sys.stderr)
        return 2
    finally:
        if google is not None:
            google.stop()
        firestore.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
