"""Every text the API shows a person exists in German and English (issue 13, 1).

- The catalog (functions/i18n.py): each message has a non-empty `de` and `en`, different from
  each other, with the same placeholders.
- The code: every error of the API (ApiError and its subclasses, `error_response`) is built
  with a key of the catalog, never a text, and with exactly the placeholders of its message;
  every `last_error` a link is given is None or `i18n.stored(key, ...)`, never a text. An
  English text written anywhere instead fails here, naming the place.
- The choice of the language: `Accept-Language` (q-values honoured), the branch, German.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from functions import i18n, pages
from functions.domain import STATUS_ERRORS, Link
from functions.errors import ApiError, BadRequest, NotFound
from functions.http import error_response
from tests.unit.test_openapi import _error_callables, _resolve

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "functions"
RESERVED = {"code", "msg", "status", "headers"}  # ApiError's own parameters: no placeholder
BLOCKED = {"google_deletions": 3, "planner_deletions": 12, "synced_items": 15}


# The catalog --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(i18n.MESSAGES))
def test_every_message_has_german_and_english_with_the_same_placeholders(key: str) -> None:
    texts = i18n.MESSAGES[key]
    assert set(texts) == set(i18n.LANGUAGES), key
    assert all(texts[lang].strip() for lang in i18n.LANGUAGES), key
    assert texts["de"] != texts["en"], f"{key}: not translated"
    assert i18n.placeholders(texts["de"]) == i18n.placeholders(texts["en"]), key
    assert not i18n.placeholders(texts["en"]) & RESERVED, key


def test_the_consent_pages_have_both_languages_too() -> None:
    assert set(pages.TEXTS) == set(pages.DETAILS) == set(i18n.LANGUAGES)
    assert set(pages.TEXTS["de"]) == set(pages.TEXTS["en"])
    assert set(pages.DETAILS["de"]) == set(pages.DETAILS["en"])


def test_a_links_status_messages_are_keys_without_placeholders() -> None:
    for key in STATUS_ERRORS.values():
        assert key in i18n.MESSAGES and not i18n.placeholders(i18n.MESSAGES[key]["en"]), key


# The code -----------------------------------------------------------------------------------


# calls that give a `last_error` as stored, or the text of one rendered already (an answer's)
LAST_ERROR_CALLS = {"stored", "stored_text", "get"}


def _is_stored(node: ast.expr) -> bool:
    """None, `i18n.stored(...)` (or a rendered answer's value), or a choice between those."""
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.IfExp):
        return _is_stored(node.body) and _is_stored(node.orelse)
    return isinstance(node, ast.Call) and \
        getattr(node.func, "attr", getattr(node.func, "id", None)) in LAST_ERROR_CALLS


def _last_errors(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    """Every value given to a `last_error`: assigned, in a dict, or as a keyword."""
    found: list[tuple[int, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                pairs = (zip(target.elts, node.value.elts, strict=False)
                         if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                         else [(target, node.value)])
                found += [(node.lineno, v) for t, v in pairs
                          if v is not None and isinstance(t, ast.Attribute | ast.Name)
                          and getattr(t, "attr", getattr(t, "id", None)) == "last_error"]
        elif isinstance(node, ast.Dict):
            found += [(node.lineno, v) for k, v in zip(node.keys, node.values, strict=True)
                      if isinstance(k, ast.Constant) and k.value == "last_error"]
        elif isinstance(node, ast.keyword) and node.arg == "last_error":
            found.append((node.value.lineno, node.value))
    return found


def _message_of(target: Any, node: ast.Call) -> tuple[ast.expr | str | None, set[str] | None]:
    """The message argument of an error's call (a node, or the default key) and its parameters'
    names (None: not known, e.g. `**kwargs` passed on)."""
    sig = inspect.signature(target)
    try:
        bound = sig.bind_partial(*node.args, **{k.arg: k.value for k in node.keywords if k.arg})
    except TypeError:
        return None, None
    named = {k.arg for k in node.keywords if k.arg} - set(sig.parameters)
    passed_on = (any(k.arg is None for k in node.keywords)
                 or any(isinstance(a, ast.Starred) for a in node.args))
    if "msg" in bound.arguments:
        return bound.arguments["msg"], None if passed_on else named
    default = sig.parameters["msg"].default
    return (default if isinstance(default, str) else None), None if passed_on else named


def _super_inits(tree: ast.AST, error_classes: set[str]) -> set[int]:
    """The `super().__init__(code, msg, ...)` calls of the error classes a module defines."""
    return {id(call) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef)
            and any(getattr(base, "id", None) in error_classes for base in cls.bases)
            for call in ast.walk(cls) if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "__init__" and isinstance(call.func.value, ast.Call)
            and getattr(call.func.value.func, "id", None) == "super"}


def problems(source: str, module: Any, where: str) -> list[str]:
    """What in one module's source shows a person a text that is not in the catalog."""
    callables = _error_callables()
    tree = ast.parse(source)
    supers = _super_inits(tree, {c.__name__ for c in callables if isinstance(c, type)})
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target: Any = ApiError if id(node) in supers else _resolve(module, node.func)
        if not any(target is c for c in callables):
            continue
        if "msg" not in inspect.signature(target).parameters:
            continue  # a class that gives its key itself (its super().__init__ is checked)
        place = f"{where}:{node.lineno}"
        message, named = _message_of(target, node)
        if isinstance(message, ast.Name):
            continue  # a key passed on (checked where it is given)
        key = message.value if isinstance(message, ast.Constant) else message
        if not isinstance(key, str) or key not in i18n.MESSAGES:
            shown = ast.unparse(message) if isinstance(message, ast.AST) else repr(message)
            out.append(f"{place}: an error with the text {shown[:70]} instead of a key of functions/i18n.py")
            continue
        wanted = i18n.placeholders(i18n.MESSAGES[key]["en"])
        if named is not None and named != wanted:
            out.append(f"{place}: {key!r} takes {sorted(wanted)}, the call gives {sorted(named)}")
    for line, value in _last_errors(tree):
        if not _is_stored(value):
            out.append(f"{where}:{line}: last_error = {ast.unparse(value)[:70]} (use i18n.stored(key, ...))")
    for node in ast.walk(tree):  # i18n.stored("key", ...): a key, with its placeholders
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "stored" and node.args \
                and isinstance(node.args[0], ast.Constant):
            key = node.args[0].value
            given = {k.arg for k in node.keywords if k.arg}
            if key not in i18n.MESSAGES:
                out.append(f"{where}:{node.lineno}: i18n.stored({key!r}) is not a key of functions/i18n.py")
            elif given != i18n.placeholders(i18n.MESSAGES[key]["en"]):
                out.append(f"{where}:{node.lineno}: i18n.stored({key!r}) gives {sorted(given)}")
    return out


def _modules() -> list[tuple[Path, Any]]:
    out = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(ROOT)
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        out.append((path, importlib.import_module(name)))
    return out


def test_no_error_and_no_last_error_of_functions_is_a_text_outside_the_catalog() -> None:
    found = [p for path, module in _modules()
             for p in problems(path.read_text(encoding="utf-8"), module, str(path.relative_to(ROOT)))]
    assert found == [], "\n".join(found)


def test_the_check_finds_a_text_a_wrong_key_missing_parameters_and_a_text_in_last_error() -> None:
    module = SimpleNamespace(BadRequest=BadRequest, NotFound=NotFound, error_response=error_response)
    source = '''
def f(link, key):
    raise BadRequest("invalid_field", f"'{key}' must be a string.")
def g():
    raise NotFound("Branch b does not exist.")
def h():
    raise NotFound("branch_missing")
def i(link):
    link.last_error = "Google did not answer; retrying next run."
    mark(link, {"last_error": f"{3} change(s) could not be written"})
    return error_response("internal", "Internal error.", 500)
def fine(link, key):
    link.last_error = i18n.stored("changes_not_written", count=3) if key else None
    raise NotFound("branch_missing", branch_id=key)
'''
    found = problems(source, module, "x.py")
    assert [p.split(":")[1] for p in found] == ["3", "5", "7", "11", "9", "10"], found


# Rendering and stored texts -----------------------------------------------------------------


def test_an_error_renders_in_the_request_language_and_str_is_english() -> None:
    error = NotFound("branch_missing", branch_id="b1")
    assert str(error) == "Branch b1 does not exist."
    assert error.body("de") == {"error": {"code": "not_found", "message": "Die Filiale b1 gibt es nicht."}}
    token = i18n.begin("en")
    try:
        assert error.message == "Branch b1 does not exist."
    finally:
        i18n.end(token)
    assert error.message == "Die Filiale b1 gibt es nicht."  # outside a request: German


def test_a_missing_parameter_stays_a_placeholder_instead_of_failing_the_answer() -> None:
    assert i18n.render("branch_missing", "en") == "Branch {branch_id} does not exist."


def test_an_unknown_key_is_refused_at_once() -> None:
    with pytest.raises(KeyError):
        BadRequest("invalid_field", "'x' must be a string.")
    with pytest.raises(KeyError):
        i18n.stored("no such key")


@pytest.mark.parametrize(("stored", "de", "en", "code"), [
    (i18n.stored("changes_not_written", count=2),
     "2 Änderung(en) konnten nicht übertragen werden; der nächste Durchlauf versucht es erneut.",
     "2 change(s) could not be written; retrying next run.", "changes_not_written"),
    # what versions before the catalog stored
    ("Google no longer accepts the consent; please link again.",
     i18n.MESSAGES["needs_reconsent"]["de"], i18n.MESSAGES["needs_reconsent"]["en"], "needs_reconsent"),
    ("mass_change_blocked: this run would delete 3 event(s) in Google and 12 appointment(s) of 15; "
     "an admin must decide (apply or restore).",
     i18n.render("mass_change_blocked", "de", BLOCKED), i18n.render("mass_change_blocked", "en", BLOCKED),
     "mass_change_blocked"),
    ("4 appointment(s) cannot be synced and wait in quarantine (see 'quarantined'); the rest of the "
     "calendar syncs.", i18n.render("quarantined", "de", {"count": 4}),
     i18n.render("quarantined", "en", {"count": 4}), "quarantined"),
    ("Google could not confirm the revocation; the tokens were forgotten here. Remove the app under "
     "myaccount.google.com → Security if needed.", i18n.MESSAGES["revocation_unconfirmed"]["de"],
     i18n.MESSAGES["revocation_unconfirmed"]["en"], "revocation_unconfirmed"),
    ("Some other text.", "Some other text.", "Some other text.", None),
])
def test_a_stored_last_error_reads_in_both_languages(stored: Any, de: str, en: str, code: str | None) -> None:
    rendered = (i18n.stored_text(stored, "de"), i18n.stored_text(stored, "en"), i18n.stored_key(stored))
    assert rendered == (de, en, code)
    api = Link("b", "r", last_error=stored).to_api("en")
    assert api["last_error"] == en and api.get("last_error_code") == code


def test_no_last_error_is_none() -> None:
    assert i18n.stored_text(None) is None and i18n.stored_text("") is None
    assert "last_error" not in Link("b", "r").to_api()


# The request's language ---------------------------------------------------------------------


@pytest.mark.parametrize(("header", "wanted"), [
    (None, None), ("", None), ("*", None), ("fr", None), ("de", "de"), ("en", "en"), ("EN-us", "en"),
    ("de-DE,de;q=0.9,en;q=0.8", "de"), ("en-GB,en;q=0.9,de;q=0.8", "en"), ("de;q=0.5, en;q=0.6", "en"),
    ("fr;q=1, de;q=0.1", "de"), ("en;q=0, de;q=0.1", "de"), ("en;q=0", None), ("en;q=x", None),
    ("de, en", "de"), ("en, de", "en"), ("en ; q=0.7 , de;q=0.2", "en"),
])
def test_accept_language_prefers_german_or_english(header: str | None, wanted: str | None) -> None:
    assert i18n.preferred(header) == wanted


@pytest.mark.parametrize(("header", "branch", "wanted"), [
    (None, None, "de"), (None, "en", "en"), ("en", None, "en"), ("de", "en", "de"), ("fr", "en", "en"),
    ("en", "de", "en"),
])
def test_the_header_decides_then_the_branch_then_german(header: str | None, branch: str | None,
                                                        wanted: str) -> None:
    token = i18n.begin(header)
    try:
        if branch:
            i18n.use_branch(branch)
        assert i18n.language() == wanted
        assert i18n.decided() == (i18n.preferred(header) is not None or branch is not None)
    finally:
        i18n.end(token)
    assert i18n.language() == "de"  # the request is over
