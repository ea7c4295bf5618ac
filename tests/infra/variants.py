"""Copies of infra/ and of the code facts with one thing changed, for the tests of the checks."""

from __future__ import annotations

import copy
import dataclasses

from tests.infra import codefacts, tfconfig
from tests.infra.checks import World

# The line that deploys `sync` (see docs/deploy.md). The tests add it to a copy of infra/ to
# prove that this one line is all the Terraform needs once main.py exports sync.
SYNC_LINE = ('    sync           = { public = false, secrets = ["oauth-client", "token-key", '
             '"planner-jwt-key"], memory = "512M", timeout_seconds = 540, max_instances = 2 }')
ANCHOR = "    revoke         = {"


def edit(texts: dict[str, str], fname: str, old: str, new: str) -> dict[str, str]:
    """A copy of infra/ with one exact, unique piece of text replaced."""
    assert texts[fname].count(old) == 1, f"{old!r} must occur exactly once in infra/{fname}"
    return {**texts, fname: texts[fname].replace(old, new)}


def with_sync(texts: dict[str, str]) -> dict[str, str]:
    """infra/ with the one-line sync entry (unchanged if it is already there)."""
    if "\n    sync " in texts["functions.tf"]:
        return texts
    line = next(line for line in texts["functions.tf"].splitlines() if line.startswith(ANCHOR))
    return edit(texts, "functions.tf", line, f"{line}\n{SYNC_LINE}")


def exporting_sync(facts: codefacts.CodeFacts, exported: bool = True) -> codefacts.CodeFacts:
    """The code facts as they are once main.py exports sync (or before it does)."""
    names = [n for n in facts.exports if n != "sync"] + (["sync"] if exported else [])
    secrets = {**facts.secrets, "sync": frozenset({"oauth-client", "token-key", "planner-jwt-key"})}
    route_auth = {**facts.route_auth,
                  "sync": {"functions.entrypoints.sync.run": frozenset({"authenticate_sync"})}}
    return _exporting(facts, names, secrets, route_auth)


def exporting_sync_link(facts: codefacts.CodeFacts, exported: bool = True) -> codefacts.CodeFacts:
    """The code facts with main.py exporting the queue's worker sync_link, or not: without it,
    no function queues tasks (the code's dispatcher and planner hook need the queue)."""
    names = [n for n in facts.exports if n != "sync_link"] + (["sync_link"] if exported else [])
    secrets = {**facts.secrets, "sync_link": frozenset({"oauth-client", "token-key"})}
    route_auth = {**facts.route_auth,
                  "sync_link": {"functions.entrypoints.sync_link.run": frozenset({"authenticate_task"})}}
    enqueuing = facts.enqueuers if exported else frozenset()
    return _exporting(dataclasses.replace(facts, enqueuers=enqueuing), names, secrets, route_auth)


def _exporting(facts: codefacts.CodeFacts, names: list[str], secrets: dict[str, frozenset[str]],
               route_auth: dict[str, dict[str, frozenset[str]]]) -> codefacts.CodeFacts:
    return dataclasses.replace(
        copy.deepcopy(facts), exports=sorted(names),
        triggers={n: facts.triggers.get(n, "http") for n in names},
        secrets={n: secrets[n] for n in names},
        unauthenticated_routes={n: facts.unauthenticated_routes.get(n, []) for n in names},
        route_auth={n: route_auth[n] for n in names},
        enqueuers=frozenset(facts.enqueuers & set(names)))


def world_of(texts: dict[str, str], facts: codefacts.CodeFacts, **changes: object) -> World:
    w = World(tfconfig.parse(texts), facts, tfconfig.firestore_spec())
    for name, value in changes.items():
        setattr(w, name, value)
    return w


def without_sync(texts: dict[str, str]) -> dict[str, str]:
    """infra/ as it is before the sync entry (unchanged if it is not there)."""
    return _without_line(texts, "    sync ")


def without_sync_link(texts: dict[str, str]) -> dict[str, str]:
    """infra/ without the sync_link entry: no queue (sync syncs every link itself)."""
    return _without_line(texts, "    sync_link ")


def _without_line(texts: dict[str, str], start: str) -> dict[str, str]:
    lines = texts["functions.tf"].splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(start)]
    return {**texts, "functions.tf": "".join(kept)}
