"""Fuzzing every operation of openapi.yaml with schemathesis (issue 12, 5): no answer is a 5xx,
and every answer is one that openapi.yaml describes.

The real functions (devserver: every function of main.py behind one WSGI app) on the real
Firestore emulator and the local Google, with the `api` fixture's environment, seeded so that
generated requests reach deep code: branch `berlin` (sync on) with `anna` linked to a new
calendar (appointment `t1` on it, synced; `t2` deleted), `raum-1` consented, `geraet` never
linked; branch `hamburg` (sync off) with `bob`. The consenting account also has a free and a
read-only secondary calendar. Each operation gets a world of its own (a fresh Firestore project).

One test per operation (`schema.parametrize()`), stateless, in schemathesis's three phases:
the spec's examples, coverage (boundary values, missing and wrong-typed parameters, methods a
path does not take) and fuzzing (positive and negative data). In the fuzzing phase, hooks
- pick the caller: a valid token per role, mostly one the operation allows (the planner for
  `planner` and `sync`, the branch's admin for links, consent and revoke), also the allowed
  others (an employee for its own resources), an employee of another resource, an admin of
  another branch, Cloud Scheduler's OIDC token, or no token; the other phases call as the
  operation's main role;
- steer part of the path ids, body ids, calendar ids (`fuzz:free`, ...) and consent states
  towards the seeded ones; the rest stays as generated, so that 400s and 404s are fuzzed too;
- give `oauth_callback` (no token: a browser) and its begin step real states besides generated
  text: begun in a browser or not, already answered, with Google's real code, and the browser's
  own cookie, another one or none.

Any 5xx fails (`not_a_server_error`), as does an answer openapi.yaml does not describe: its
status code, content type, headers or body (error codes included). Each operation must also
answer some 2xx/3xx, or the seeding no longer reaches the code behind it.
Requests: by default 20 fuzzed per operation, with the examples and the coverage phase about
1,300 in all (some 90 CPU seconds, the emulators' start included: 100 s on two busy cores);
HYPOTHESIS_PROFILE=deep (`make test-deep`) fuzzes 500 per operation, about 11,000 requests
(10 minutes there); FUZZ_MAX_EXAMPLES=N sets the number fuzzed per operation.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtools.google_emulator.client import EmulatorControl
from functions.config import get_settings
from functions.context import get_context
from tests.integration.conftest import BRANCH, OTHER_BRANCH, PUBLIC, Api

pytestmark = [pytest.mark.firestore, pytest.mark.fuzz]
DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES") or (500 if DEEP else 20))
SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
ACCOUNT = "praxis.berlin@example.com"
COOKIE = "consent-browser"  # openapi.yaml's `__Host-consent-browser` on a plain-http run
MARK = "fuzz:"              # a placeholder of the hooks, replaced by `prepare` with a real value
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(SPEC)
# Answers openapi.yaml gives once for every operation (`x-status`): 404 for a path a function
# does not have (an id with `/` or a line break), 405 for a method a path does not take.
SHARED = {r["x-status"]: r for r in yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]
          ["responses"].values() if "x-status" in r}


def operation_id(context: schemathesis.HookContext) -> str:
    assert context.operation is not None
    return str(context.operation.definition.raw.get("operationId"))


# --- who calls -------------------------------------------------------------------------------

TOKEN_ROLES = ("planner", "admin", "employee")
OIDC_ROLES = ("scheduler", "tasks")  # Google-signed ID tokens of a service account
INTRUDERS = ["employee-other", "admin-other", "scheduler", "none"]
MAIN_ROLE = {"planner": "planner", "sync": "planner"}  # by function; any other: the branch's admin


def callers(operation: Any) -> list[str]:
    """Whom to call as, the likelier ones repeated; the first is the operation's main role."""
    roles = operation.definition.raw.get("x-roles")
    if roles is None:  # a browser (oauth_callback and its begin step)
        return ["none"]
    known = [r for r in roles if r in TOKEN_ROLES + OIDC_ROLES]
    function = operation.path.strip("/").split("/")[0]
    main = MAIN_ROLE.get(function, "admin")
    main = main if main in known else (known or ["none"])[0]
    return [main] * 6 + known * 2 + INTRUDERS


@schema.hook
def flatmap_headers(context: schemathesis.HookContext, headers: dict[str, Any] | None) -> Any:
    assert context.operation is not None
    return st.sampled_from(callers(context.operation)).map(
        lambda who: {**(headers or {}), "X-Fuzz-Caller": who})


# --- steering towards the seeded world ---------------------------------------------------------

SEEDED = {
    "branch_id": [BRANCH, BRANCH, OTHER_BRANCH],
    "resource_id": ["anna", "raum-1", "anna", "geraet", "bob"],
    "appointment_id": ["t1", "t2", "t1", "t3"],
    "calendar_id": [MARK + "free", MARK + "linked", MARK + "free", MARK + "readonly", MARK + "account",
                    "primary"],
    "timezone": ["Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC"],
}
STATES = {"consentCallback": [MARK + "begun", MARK + "unopened", MARK + "begun", MARK + "answered"],
          "beginConsent": [MARK + "unopened", MARK + "begun", MARK + "unopened", MARK + "answered"]}
CODES = [MARK + "code", MARK + "code"]
BROWSER_COOKIES = [MARK + "own", MARK + "another", MARK + "own", None]


def steer(value: Any, choices: list[Any]) -> st.SearchStrategy[Any]:
    """One of the seeded values (the first ones likelier: Hypothesis favours the simplest
    choices), or the generated value."""
    return st.sampled_from([*choices, value])


def steer_ids(values: Any, *, strings_only: bool = False) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict):
        return st.just(values)
    return st.fixed_dictionaries({
        k: steer(v, SEEDED[k]) if k in SEEDED and (isinstance(v, str) or not strings_only) else st.just(v)
        for k, v in values.items()})


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> Any:
    return steer_ids(path_parameters)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    return steer_ids(body, strings_only=True)


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> Any:
    op = operation_id(context)
    if not isinstance(query, dict):
        return st.just(query)
    if op == "previewCalendar":
        return steer_ids(query)
    if op in ("consentCallback", "beginConsent"):
        codes = steer(query.get("code"), CODES) if op == "consentCallback" else st.just(query.get("code"))
        return st.tuples(steer(query.get("state"), STATES[op]), codes).map(
            lambda sc: without_none({**query, "state": sc[0], "code": sc[1]}))
    return st.just(query)


@schema.hook
def flatmap_cookies(context: schemathesis.HookContext, cookies: Any) -> Any:
    if operation_id(context) != "consentCallback" or not isinstance(cookies, dict | None):
        return st.just(cookies)
    rest = dict(cookies or {})
    generated = rest.pop("__Host-consent-browser", None)
    return steer(generated, BROWSER_COOKIES).map(lambda c: without_none({**rest, COOKIE: c}))


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# --- the seeded world ------------------------------------------------------------------------


def when(days: int, hour: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0,
                                                              microsecond=0).isoformat()


@dataclass
class World:
    api: Api
    control: EmulatorControl
    calendars: dict[str, str]  # placeholder name → calendar id
    oidc: dict[str, str]       # role → ID token
    answers: Counter[int] = field(default_factory=Counter)
    failed: bool = False

    def authorization(self, who: str) -> str | None:
        api = self.api
        token = {
            "planner": lambda: api.token("planner", branch=None, sub="planner-backend"),
            "admin": lambda: api.token("admin", sub="u-admin"),
            "employee": lambda: api.token("employee", resources=["anna", "raum-1"], sub="u-anna"),
            "employee-other": lambda: api.token("employee", resources=["geraet"], sub="u-geraet"),
            "admin-other": lambda: api.token("admin", branch=OTHER_BRANCH, sub="u-hamburg"),
            "none": lambda: None,
        }.get(who, lambda: self.oidc.get(who))()
        return f"Bearer {token}" if token else None

    def consent_state(self, opened: bool) -> tuple[str, str, str]:
        """A consent for raum-1 started by the admin: its state, and, once opened in a browser
        of its own, Google's consent URL and that browser's secret."""
        url = self.api.start_consent(BRANCH, "raum-1", token=self.api.token("admin", sub="u-admin"))
        state = parse_qs(urlsplit(url).query)["state"][0]
        if not opened:
            return state, "", ""
        r = self.api.other_browser().get(url.removeprefix(PUBLIC))
        assert r.status_code == 302, r.get_data(as_text=True)
        secret = r.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
        return state, r.headers["Location"], secret


def seed(api: Api) -> World:
    control = EmulatorControl(api.google.root)
    api.setup_branch(resources=("anna", "raum-1", "geraet"))
    api.setup_branch(OTHER_BRANCH, enabled=False, resources=("bob",))
    linked = api.link_new_calendar("anna", "Anna")
    api.consent(BRANCH, "raum-1")
    calendars = {"linked": linked, "account": ACCOUNT,
                 "free": control.create_calendar(ACCOUNT, "Frei")["id"],
                 "readonly": control.create_calendar(ACCOUNT, "Nur lesen", access_role="reader")["id"]}
    for appointment, day in (("t1", 3), ("t2", 4)):
        r = api.call("PUT", f"/planner/branches/{BRANCH}/appointments/{appointment}",
                     {"resource_id": "anna", "start": when(day, 9), "end": when(day, 10),
                      "title": "Hörtest", "location": "Raum 1", "notes": "Kontrolle"})
        assert r.status_code == 200, r.get_data(as_text=True)
    assert api.call("DELETE", f"/planner/branches/{BRANCH}/appointments/t2").status_code == 204
    r = api.call("POST", "/sync", {})
    assert r.status_code == 200, r.get_data(as_text=True)
    # anna's last run was held back, as if the phone had deleted a dozen events: the admin's
    # review and decision of the mass change have something to answer (written directly: a
    # real one needs a dozen synced appointments, too slow for every operation's world)
    get_context().store.update_link(BRANCH, "anna", {"blocked": {
        "reason": "mass_change_blocked", "google_deletions": 0, "planner_deletions": 12,
        "synced_items": 13, "deletions": [{"side": "planner", "appointment_id": "t1", "event_id": None}]}})
    s = get_settings()
    oidc = {"scheduler": control.id_token(s.sync_invoker or "", s.public_base_url + "/sync")}
    tasks = getattr(s, "tasks", None)  # Cloud Tasks' worker, where the functions have one
    if tasks is not None and getattr(tasks, "invoker", None) and getattr(s, "sync_link_url", None):
        oidc["tasks"] = control.id_token(tasks.invoker, s.sync_link_url)
    return World(api, control, calendars, oidc)


@pytest.fixture
def world(api: Api) -> Iterator[World]:
    w = seed(api)
    yield w
    reached = sum(n for status, n in w.answers.items() if status < 400)
    assert w.failed or reached, f"no request reached a 2xx/3xx answer: {dict(w.answers)}"


# --- one request -----------------------------------------------------------------------------


def prepare(world: World, case: schemathesis.Case) -> dict[str, str]:
    """Put the seeded world's values in place of the hooks' placeholders; the request's headers."""
    who = case.headers.pop("X-Fuzz-Caller", None) if case.headers else None
    authorization = world.authorization(who or callers(case.operation)[0])

    def real(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(MARK) and value[len(MARK):] in world.calendars:
            return world.calendars[value[len(MARK):]]
        return value

    if isinstance(case.body, dict):
        case.body = {k: real(v) for k, v in case.body.items()}
    if case.query:
        case.query = {k: real(v) for k, v in case.query.items()}
        if isinstance(case.query.get("state"), str) and case.query["state"].startswith(MARK):
            consent_state(world, case)
    if case.cookies and str(case.cookies.get(COOKIE, "")).startswith(MARK):
        del case.cookies[COOKIE]  # a browser cookie without a begun state
    return {"Authorization": authorization} if authorization else {}


def consent_state(world: World, case: schemathesis.Case) -> None:
    """A real state (begun in a browser, unopened, or begun and already answered), Google's
    code for it, and the cookie of the browser that began it (or of another browser)."""
    kind = case.query["state"][len(MARK):]
    state, consent_url, secret = world.consent_state(opened=kind != "unopened")
    if kind == "answered":
        world.api.client.get("/oauth_callback", query_string={"state": state, "error": "access_denied"})
    case.query["state"] = state
    if case.query.get("code") == MARK + "code":
        if consent_url:
            back = world.control.consent(consent_url, ACCOUNT)
            case.query.update({k: v[0] for k, v in parse_qs(urlsplit(back).query).items()})
        else:
            case.query["code"] = "4/never-issued"
    cookies = case.cookies if case.cookies is not None else {}
    if cookies.get(COOKIE) == MARK + "own" and secret:
        cookies[COOKIE] = secret
    elif cookies.get(COOKIE) == MARK + "another":
        cookies[COOKIE] = "A" * 43
    case.cookies = cookies


def shared_answer(case: schemathesis.Case, response: schemathesis.Response) -> bool:
    """An answer the operation leaves to components/responses (404, 405); checked here."""
    status = response.status_code
    if str(status) in case.operation.definition.raw.get("responses", {}) or status not in SHARED:
        return False
    shared = SHARED[status]
    error = shared["content"]["application/json"]["schema"]["properties"]["error"]
    codes = error["properties"]["code"]["enum"]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] in codes, (status, body)
    assert all(name.lower() in response.headers for name in shared.get("headers", {})), response.headers
    return True


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_answers_as_documented(case: schemathesis.Case, world: World) -> None:
    try:
        headers = prepare(world, case)
        response = case.call(app=world.api.client.application, headers=headers)
        world.answers[response.status_code] += 1
        shared = shared_answer(case, response)
        case.validate_response(response, checks=[not_a_server_error] if shared else CHECKS, headers=headers)
    except BaseException:
        world.failed = True
        raise
