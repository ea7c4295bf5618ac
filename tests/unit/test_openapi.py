"""openapi.yaml describes what is built: every route, its answers, and every error code.

What the code says is the truth; these tests fail, naming what is missing, when openapi.yaml
falls behind it:
- the (method, public path) pairs of openapi.yaml are exactly those of the functions' Routers
  (`PUBLIC_BASE_URL/<function><rule>`; path parameters compared by position, `<x>` ~ `{x}`);
- every operation has a 4xx answer and bearer security (oauth_callback and its begin step:
  none, a browser opens them); secured ones answer 401 and 403; every JSON error answer lists
  its codes;
- every error code raised in functions/ (ApiError and its subclasses, error_response) is
  documented under an answer with its HTTP status, and nothing documented is made up;
- every oauth_callback outcome page is documented under its status.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import functions
import functions.entrypoints
from functions.errors import ApiError
from functions.http import Router, error_response
from functions.sync import limits

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
SOURCE = ROOT / "functions"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# a browser (no token); Google's push notifications (each channel's own token, in a header)
ANONYMOUS = {("GET", "/oauth_callback"), ("GET", "/oauth_callback/begin"), ("POST", "/google_push")}
HOW_TO = "Document it in openapi.yaml (see how the neighbouring operations are written)."
# Only one caller's OIDC token opens it (Cloud Tasks' service account): authentication is the
# whole check, so a wrong caller is 401, never 403.
OIDC_ONLY = {("POST", "/sync_link")}


# The spec -------------------------------------------------------------------------------------


@functools.cache
def spec() -> dict[str, Any]:
    try:
        return yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        pytest.fail(f"openapi.yaml could not be read: {exc}")


# What the code has ----------------------------------------------------------------------------


def _import_all() -> None:
    for info in pkgutil.walk_packages(functions.__path__, "functions."):
        importlib.import_module(info.name)


def routers() -> dict[str, Router]:
    _import_all()
    found: dict[str, Router] = {}
    for info in pkgutil.iter_modules(functions.entrypoints.__path__, "functions.entrypoints."):
        for value in vars(importlib.import_module(info.name)).values():
            if isinstance(value, Router):
                assert value.name not in found, f"two Routers are named {value.name!r}"
                found[value.name] = value
    return found


def public_path(function: str, rule: str) -> str:
    """`/<function><rule>` with werkzeug's `<conv:x>` as OpenAPI's `{x}`."""
    path = f"/{function}" if rule == "/" else f"/{function}{rule}"
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", path)


def shape(path: str) -> str:
    """Path parameters compared by position, not name (`/links/<b>` is `/links/{branch_id}`)."""
    return re.sub(r"\{[^{}]+\}", "{}", path)


def routed() -> dict[tuple[str, str], str]:
    """(METHOD, path shape) → where it comes from, for every route of every Router."""
    out = {}
    for name, router in routers().items():
        for rule in router._map.iter_rules():
            for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
                out[(method, shape(public_path(name, rule.rule)))] = (
                    f"Router({name!r}) {method} {rule.rule!r} → {public_path(name, rule.rule)}")
    return out


def _error_callables() -> dict[Any, str]:
    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    _import_all()
    found: dict[Any, str] = {ApiError: "ApiError", error_response: "error_response"}
    found.update({cls: cls.__name__ for cls in subclasses(ApiError)})
    return found


def _resolve(module: Any, func: ast.expr) -> Any:
    """The object a call's function names in `module` (`X(...)`, `errors.X(...)`), or None."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    obj = vars(module).get(func.id)
    for part in reversed(parts):
        try:
            obj = getattr(obj, part, None)
        except RuntimeError:  # a context-bound proxy (flask.current_app) outside its context
            return None
    return obj


def _literal(node: ast.expr | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def raised_errors() -> tuple[dict[tuple[str, int], list[str]], list[str]]:
    """(code, status) → places, for every error built in functions/; and the unreadable ones."""
    callables = _error_callables()
    found: dict[tuple[str, int], list[str]] = {}
    unreadable = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(ROOT)
        module = importlib.import_module(".".join(rel.with_suffix("").parts).removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            target = _resolve(module, node.func)
            if not any(target is c for c in callables):
                continue
            place = f"{rel}:{node.lineno} {callables[target]}(...)"
            code, status = _code_and_status(target, node)
            if code is None or status is None:
                if target is not error_response:  # the router passes err.code on: not a new code
                    unreadable.append(place)
                continue
            found.setdefault((code, status), []).append(place)
    return found, unreadable


def _code_and_status(target: Any, node: ast.Call) -> tuple[str | None, int | None]:
    sig = inspect.signature(target)
    try:
        bound = sig.bind_partial(*node.args, **{k.arg: k.value for k in node.keywords if k.arg})
    except TypeError:
        return None, None
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None, None
    params = sig.parameters
    if "code" in params:
        code = _literal(bound.arguments["code"]) if "code" in bound.arguments else params["code"].default
    else:  # a class with a fixed code (Unauthenticated, Forbidden): build one and ask
        required = [p for p in params.values() if p.default is inspect.Parameter.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        code = target(*["internal"] * len(required)).code  # any key of functions/i18n.py
    if "status" in bound.arguments:
        status = _literal(bound.arguments["status"])
    else:
        status = target.status if isinstance(target, type) else None
    return (code if isinstance(code, str) else None), (status if isinstance(status, int) else None)


def callback_outcomes() -> dict[tuple[str, int], str]:
    """(page, status) of every `CallbackOutcome("page", status)` in functions/."""
    out = {}
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    == "CallbackOutcome"):
                page, status = node.args[:2]
                # every string the page expression can give: literals, but not keys of a dict
                keys = {id(k) for d in ast.walk(page) if isinstance(d, ast.Dict) for k in d.keys}
                for leaf in ast.walk(page):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) \
                            and id(leaf) not in keys:
                        out[(leaf.value, _literal(status))] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return out


# What openapi.yaml says ------------------------------------------------------------------------


def deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        node = ref(node["$ref"])
    return node


def ref(pointer: str) -> Any:
    assert pointer.startswith("#/"), f"only local $refs are used: {pointer}"
    node: Any = spec()
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"$ref {pointer} points nowhere"
        node = node[part]
    return node


def operations() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(METHOD, path, operation, path item) for every operation in openapi.yaml."""
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, op, item


def documented_codes(response: Any) -> list[str] | None:
    """The error codes a JSON error answer lists, or None when it lists none."""
    schema = deref(deref(response).get("content", {}).get("application/json", {}).get("schema"))
    try:
        codes = schema["properties"]["error"]["properties"]["code"]["enum"]
    except (KeyError, TypeError):
        return None
    return codes if isinstance(codes, list) and codes else None


def documented_errors() -> dict[tuple[str, int], list[str]]:
    """(code, status) → where openapi.yaml documents it."""
    out: dict[tuple[str, int], list[str]] = {}
    for method, path, op, _ in operations():
        for status, response in op.get("responses", {}).items():
            for code in documented_codes(response) or []:
                out.setdefault((code, int(status)), []).append(f"{method} {path} {status}")
    for name, response in spec().get("components", {}).get("responses", {}).items():
        if "x-status" in response:  # answers of every path, not repeated per operation
            for code in documented_codes(response) or []:
                out.setdefault((code, int(response["x-status"])), []).append(f"components/responses/{name}")
    return out


def fail_with(problems: list[str], headline: str) -> None:
    if problems:
        pytest.fail(f"{headline}\n  - " + "\n  - ".join(problems) + f"\n{HOW_TO}", pytrace=False)


# The tests --------------------------------------------------------------------------------------


def test_openapi_yaml_is_3_1_with_the_public_base_url_and_bearer_auth() -> None:
    doc = spec()
    assert str(doc["openapi"]).startswith("3.1"), "openapi.yaml must stay OpenAPI 3.1"
    (server,) = doc["servers"]
    assert server["url"] == "{PUBLIC_BASE_URL}" and "PUBLIC_BASE_URL" in server["variables"]
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_every_deployed_function_has_a_router() -> None:
    import main

    missing = sorted(set(main.__all__) - set(routers()))
    fail_with([f"{name} (main.py) has no Router in functions/entrypoints" for name in missing],
              "These functions' routes cannot be compared with openapi.yaml (if one is not an HTTP "
              "function served by a Router, teach this test about it):")


def test_openapi_has_exactly_the_routes_of_the_code() -> None:
    code = routed()
    doc = {(method, shape(path)): f"{method} {path}" for method, path, _, _ in operations()}
    fail_with([where for key, where in sorted(code.items()) if key not in doc],
              "Routes the functions answer that openapi.yaml does not describe:")
    fail_with([where for key, where in sorted(doc.items()) if key not in code],
              "Operations in openapi.yaml that no Router has (removed or renamed?):")


def test_path_parameters_are_declared() -> None:
    problems = []
    for method, path, op, item in operations():
        declared = {deref(p)["name"] for p in [*item.get("parameters", []), *op.get("parameters", [])]
                    if deref(p)["in"] == "path"}
        templated = set(re.findall(r"\{([^{}]+)\}", path))
        if declared != templated:
            problems.append(f"{method} {path}: path has {sorted(templated)}, parameters declare "
                            f"{sorted(declared)}")
    fail_with(problems, "Path parameters that do not match their path:")


def test_every_operation_has_4xx_answers_and_security() -> None:
    default = spec().get("security", [])
    problems = []
    for method, path, op, _ in operations():
        statuses = {str(s) for s in op.get("responses", {})}
        security = op.get("security", default)
        anonymous = (method, path) in ANONYMOUS
        if not any(s.startswith("4") for s in statuses):
            problems.append(f"{method} {path}: no 4xx answer")
        if anonymous:
            if security not in ([], [{}]):
                problems.append(f"{method} {path}: meant to be anonymous, but has security {security}")
            continue
        if not security or not all(security):
            problems.append(f"{method} {path}: no security (bearerAuth)")
        for needed in ("401",) if (method, path) in OIDC_ONLY else ("401", "403"):
            if needed not in statuses:
                problems.append(f"{method} {path}: no {needed} answer (every bearer call may get one)")
    fail_with(problems, "Operations with missing answers or security:")


def test_every_json_error_answer_lists_its_codes() -> None:
    problems = []
    for method, path, op, _ in operations():
        for status, response in op.get("responses", {}).items():
            content = deref(response).get("content", {})
            if int(status) >= 400 and "application/json" in content and documented_codes(response) is None:
                problems.append(f"{method} {path} {status}: no enum of error codes "
                                "(properties.error.properties.code.enum)")
    fail_with(problems, "JSON error answers that do not say which codes they carry:")


def test_every_error_code_of_the_code_is_documented_with_its_status() -> None:
    raised, unreadable = raised_errors()
    fail_with(unreadable, "Errors whose code or status is not a literal, so this test cannot check "
                          "them (pass the code as a string literal):")
    assert ("invalid_id", 400) in raised and ("unauthenticated", 401) in raised, (
        f"the scan of functions/ for error codes found too little: {sorted(raised)}")
    documented = documented_errors()
    missing = [f"{code} (HTTP {status}) raised at {', '.join(places)}"
               for (code, status), places in sorted(raised.items()) if (code, status) not in documented]
    fail_with(missing, "Error codes the code gives that openapi.yaml does not list under an answer "
                       "with that status:")
    raised_codes = {code for code, _ in raised}
    stale = [f"{code} (HTTP {status}) at {', '.join(places)}"
             for (code, status), places in sorted(documented.items()) if code not in raised_codes]
    fail_with(stale, "Error codes openapi.yaml lists that nothing in functions/ gives (renamed?):")


def test_every_consent_page_is_documented_under_its_status() -> None:
    from functions import pages

    responses = deref(spec()["paths"]["/oauth_callback"]["get"])["responses"]
    outcomes = callback_outcomes()
    assert ("success", 200) in outcomes, f"the scan for CallbackOutcome found too little: {outcomes}"
    problems = []
    for (page, status), where in sorted(outcomes.items()):
        if not all(page in texts for texts in pages.TEXTS.values()):
            problems.append(f"{page!r} ({where}) has no text in every language of functions/pages.py")
        response = deref(responses.get(str(status)) or responses.get(status) or {})
        if "text/html" not in response.get("content", {}):
            problems.append(f"GET /oauth_callback {status} ({page!r}, {where}): no text/html answer")
        elif not re.search(rf"(?<![\w-]){re.escape(page)}(?![\w-])", response.get("description", "")):
            problems.append(f"GET /oauth_callback {status}: its description does not name the page "
                            f"data-result {page!r} ({where})")
    fail_with(problems, "oauth_callback outcomes that openapi.yaml does not describe:")


def test_every_ref_resolves() -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for pointer in refs(spec()):
        ref(pointer)


def test_appointment_text_limits_are_those_the_code_applies() -> None:
    """The limits are decided once (functions/sync/limits.py); openapi.yaml states them."""
    schemas = spec()["components"]["schemas"]
    for name in ("AppointmentInput", "Appointment"):
        stated = {key: schemas[name]["properties"][key].get("maxLength") for key in limits.TEXT_LIMITS}
        assert stated == limits.TEXT_LIMITS, f"{name}: openapi.yaml {stated}, the code {limits.TEXT_LIMITS}"
    time_text = schemas["AppointmentTime"]["description"]
    for edge in ("0001-01-02T00:00:00Z", "9999-12-30T23:59:59Z", "0001-01-02", "9999-12-30"):
        assert edge in time_text and edge in limits.TIME_RANGE + limits.DAY_RANGE, edge
