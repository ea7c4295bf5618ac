"""`make run`: Firestore emulator + Google emulator + every function on loopback, until Ctrl-C.
Push notifications are on: the Google emulator posts to the local `google_push`."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

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
        "GOOGLE_OIDC_CERTS_URI": google_root + "oauth2/v1/certs",
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


DEMO_BRANCH = "berlin"
DEMO_BRANCH_BODY = {"name": "Filiale Berlin", "timezone": "Europe/Berlin", "google_sync_enabled": False}
DEMO_RESOURCES = {
    # anna's calendar is a Workspace account's: the admin chose to show everything; the others
    # keep a new resource's default, "Belegt" and the time only
    "anna": {"name": "Anna Schmidt", "kind": "employee", "privacy": "full"},
    "raum-1": {"name": "Anpassraum 1", "kind": "room"},
    "audiometer": {"name": "Audiometer", "kind": "device"},
}


# A consumer Google account (gmail.com) among the emulator's test accounts: chosen on the consent
# page for a resource that shows more than "Belegt" (anna), the admin page asks the admin to
# confirm it (issue 13, item 7); its calendars are created in the picker.
DEMO_CONSUMER_ACCOUNT = ("praxis.berlin@gmail.com", "Praxis Berlin (privates Gmail-Konto)")


def add_demo_accounts(google_root: str) -> str:
    """The consumer account on the Google emulator; a line for the console."""
    from devtools.google_emulator.client import EmulatorControl, EmulatorControlError

    email, name = DEMO_CONSUMER_ACCOUNT
    try:
        control = EmulatorControl(google_root)
        if email not in {a["email"] for a in control.accounts()}:
            control.add_account(email, name)
    except (OSError, EmulatorControlError) as exc:  # a demo extra: the stack runs without it
        return f"  Consumer account:  NOT added: {exc}"
    return f"  Consumer account:  {email} (Google's consent page; the admin confirms it)"


def _put(url: str, token: str, body: dict[str, Any]) -> None:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT",  # noqa: S310 (loopback)
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(req, timeout=30) as resp:
            resp.read()
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"PUT {url} answered {err.code}: {err.read().decode(errors='replace')}") from None


def seed_demo(base: str, functions: list[str]) -> str:
    """The demo branch `berlin` and its resources, created through the real planner API.

    Returns a line for the console. Seeding is skipped (not failed) while `planner` is not
    deployed yet, and a failure of it leaves the stack running: the pages show the rest.
    """
    if "planner" not in functions:
        return "  Demo data:         not seeded (no `planner` function in main.py yet)"
    from devtools.devserver import dev_token

    token = dev_token("planner", sub="devtools-run-seed")
    branch = f"{base}/planner/branches/{DEMO_BRANCH}"
    try:
        _put(branch, token, DEMO_BRANCH_BODY)
        for resource_id, body in DEMO_RESOURCES.items():
            _put(f"{branch}/resources/{resource_id}", token, body)
    except (OSError, RuntimeError) as exc:
        return f"  Demo data:         NOT seeded: {exc}"
    return (f"  Demo data:         branch {DEMO_BRANCH!r} ({DEMO_BRANCH_BODY['name']}) with "
            f"{', '.join(DEMO_RESOURCES)}")


LOCAL_QUEUE = "projects/demo-planner/locations/europe-west3/queues/sync-links"
LOCAL_TASKS_INVOKER = "sync-tasks@demo-planner.iam.gserviceaccount.com"


def start_local_tasks(google_root: str, port: int = 0) -> tuple[Any, dict[str, str]]:
    """The local Cloud Tasks API with the product's queue, and the settings that point at it.
    Its tasks carry OIDC tokens signed by the Google emulator, as Google's would be."""
    from google.protobuf import duration_pb2

    from devtools.cloud_tasks_emulator import CloudTasksEmulator

    tasks = CloudTasksEmulator(port=port, google_root=google_root).start()
    parent = LOCAL_QUEUE.rsplit("/queues/", 1)[0]
    tasks.client().create_queue(parent=parent, queue={
        "name": LOCAL_QUEUE,
        "rate_limits": {"max_dispatches_per_second": 50, "max_concurrent_dispatches": 16},
        "retry_config": {"max_attempts": 20, "min_backoff": duration_pb2.Duration(seconds=1),
                         "max_backoff": duration_pb2.Duration(seconds=60)}})
    return tasks, {"SYNC_QUEUE": LOCAL_QUEUE, "CLOUD_TASKS_API_ENDPOINT": tasks.endpoint,
                   "SYNC_TASKS_INVOKER_EMAIL": LOCAL_TASKS_INVOKER}


def push_environment(public_base_url: str) -> dict[str, str]:
    """Push notifications on: the local `google_push` is every channel's address."""
    return {"GOOGLE_PUSH_URL": public_base_url + "/google_push"}


def demo_links(google_root: str) -> dict[str, str]:
    return {
        "Administration, Filiale Berlin (admin view)": f"/admin.html?branch={DEMO_BRANCH}",
        "Mein Planer, Anna Schmidt (employee view)": f"/employee.html?branch={DEMO_BRANCH}&resource=anna",
        "Health (JSON)": "/healthz",
        "Google emulator: test accounts (JSON)": google_root + "_emulator/accounts",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--google-port", type=int, default=int(os.environ.get("GOOGLE_PORT", "8089")))
    parser.add_argument("--tasks-port", type=int, default=int(os.environ.get("TASKS_PORT", "8123")))
    args = parser.parse_args()

    # Everything starts inside the try: a Ctrl-C during start-up stops what has started so far.
    # The handlers are in place from the first step and remember the signal, so a Ctrl-C whose
    # KeyboardInterrupt some library swallowed during start-up still stops the run (seen once in a
    # fresh-clone `make test`: the banner came, then nothing stopped it).
    stop = threading.Event()
    starting = [True]

    def on_signal(*_: object) -> None:
        stop.set()
        if starting[0]:
            raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    firestore = FirestoreEmulator()
    google = tasks = None
    try:
        firestore.start()
        google = EmulatorServer(port=args.google_port).start()
        base = f"http://127.0.0.1:{args.port}"
        os.environ.update(local_environment(google.root, base))
        tasks, tasks_env = start_local_tasks(google.root, args.tasks_port)
        os.environ.update(tasks_env)
        # Google push: the emulator posts each linked calendar's notifications to google_push on
        # loopback (plain http is allowed there only), so a phone edit arrives within seconds
        os.environ.update(push_environment(base))
        from devtools.devserver import create_devserver_app, entry_points  # after the environment is set

        server = make_server("127.0.0.1", args.port, create_devserver_app(demo_links(google.root)),
                             threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        seeded = seed_demo(base, entry_points()) + "\n" + add_demo_accounts(google.root)
        print(f"\n  Planner (local):   {base}/\n  Administration:    {base}/admin.html?branch={DEMO_BRANCH}\n"
              f"  Google emulator:   {google.root}\n  Cloud Tasks:       {tasks.endpoint} "
              f"(queue {LOCAL_QUEUE.rsplit('/', 1)[1]})\n"
              f"  Firestore:         {firestore.host}\n{seeded}\n"
              f"\n  Ctrl-C stops everything.\n", flush=True)
        starting[0] = False
        stop.wait()
        server.shutdown()
        return 0
    except EmulatorMissing as exc:
        print(exc, file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"cannot start: {exc} (is something else on port {args.port} or {args.google_port}? "
              "set PORT / GOOGLE_PORT)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C during start-up
        return 130
    finally:
        if tasks is not None:
            tasks.stop()
        if google is not None:
            google.stop()
        firestore.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
