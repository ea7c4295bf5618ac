"""openapi.yaml describes what is built: every route, its answers, and every error code.

What the code says is the truth; these tests fail, naming what is missing, when openapi.yaml
falls behind it:
- the (method, public path) pairs of openapi.yaml are exactly those of the functions' Routers
  (`PUBLIC_BASE_URL/<function><rule>`; path parameters compared by position, `<x>` ~ `{x}`);
- every operation has a 4xx answer and bearer security (oauth_callback: none, it is a browser
  redirect); secured ones answer 401 and 403; every JSON error answer lists its codes;
- every error code raised in functions/ (ApiError and its subclasses, error_response) is
  documented under an answer with its HTTP status, and nothing documented is made up;
- every oauth_callback outcome page is documented under its status.

PyYAML is not a dependency of this project, so openapi.yaml is read with the small parser
below (block YAML without anchors, aliases or tags). Where PyYAML is installed, a test checks
that both read the file alike.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import functions
import functions.entrypoints
from functions.errors import ApiError
from functions.http import Router, error_response

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
SOURCE = ROOT / "functions"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ANONYMOUS = {("GET", "/oauth_callback")}  # Google's redirect: the browser brings no token
HOW_TO = "Document it in openapi.yaml (see how the neighbouring operations are written)."


# A small reader for the YAML subset openapi.yaml is written in ---------------------------------


class YamlSubsetError(ValueError):
    pass


_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*)?\.[0-9_]+([eE][-+][0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?")
_NULLS = {"~", "null", "Null", "NULL"}
_BOOLS = {v: b for b, words in ((True, ("true", "yes", "on")), (False, ("false", "no", "off")))
          for w in words for v in (w, w.capitalize(), w.upper())}
_NO_PLAIN_START = set("&*!%@`|>\"'[]{},#?:")


def _plain(text: str, where: str) -> Any:
    """A plain scalar, resolved as YAML's core schema (and PyYAML) would."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.fullmatch(text):
        return int(text.replace("_", ""))
    if _FLOAT.fullmatch(text):
        return float(text.replace("_", ""))
    if _DATE.fullmatch(text):
        raise YamlSubsetError(f"{where}: quote {text!r} (PyYAML would read a date)")
    if text[0] in _NO_PLAIN_START or (text[0] == "-" and text[1:2] in ("", " ")):
        raise YamlSubsetError(f"{where}: unsupported or ambiguous scalar {text!r}; quote it")
    if ": " in text or " #" in text:
        raise YamlSubsetError(f"{where}: quote {text!r} (it contains ': ' or ' #')")
    return text


def _quoted(text: str, where: str) -> str:
    if text[0] == "'" and len(text) > 1 and text.endswith("'"):
        inner = text[1:-1]
        if "'" in inner.replace("''", ""):
            raise YamlSubsetError(f"{where}: stray quote in {text!r}")
        return inner.replace("''", "'")
    if text[0] == '"' and len(text) > 1 and text.endswith('"'):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise YamlSubsetError(f"{where}: unsupported double-quoted string {text!r}") from exc
    raise YamlSubsetError(f"{where}: unterminated quoted string {text!r}")


def _quote_end(text: str, start: int, where: str) -> int:
    """Index just past the quoted scalar that starts at `start`."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == quote:
            if quote == "'" and text[i + 1:i + 2] == "'":
                i += 2
                continue
            return i + 1
        if quote == '"' and text[i] == "\\":
            i += 1
        i += 1
    raise YamlSubsetError(f"{where}: unterminated quoted string in {text!r}")


def _strip_comment(line: str) -> str:
    i = 0
    while i < len(line):
        c = line[i]
        if c in "'\"" and (i == 0 or line[i - 1] in " \t[{,:"):
            try:
                i = _quote_end(line, i, "")
            except YamlSubsetError:
                return line.rstrip()
            continue
        if c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
        i += 1
    return line.rstrip()


class _Flow:
    """`[a, b]` and `{k: v}`, nested, on one line."""

    def __init__(self, text: str, where: str) -> None:
        self.text, self.i, self.where = text, 0, where

    def parse(self) -> Any:
        value = self.value()
        self.space()
        if self.i != len(self.text):
            raise YamlSubsetError(f"{self.where}: unexpected {self.text[self.i:]!r} after a flow value")
        return value

    def space(self) -> None:
        while self.i < len(self.text) and self.text[self.i] == " ":
            self.i += 1

    def value(self, key: bool = False) -> Any:
        self.space()
        c = self.text[self.i:self.i + 1]
        if c == "[":
            return self.sequence()
        if c == "{":
            return self.mapping()
        if c in ("'", '"'):
            end = _quote_end(self.text, self.i, self.where)
            out, self.i = _quoted(self.text[self.i:end], self.where), end
            return out
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in ",[]{}":
            if key and self.text[self.i] == ":" and self.text[self.i + 1:self.i + 2] in (" ", ",", "}", ""):
                break
            self.i += 1
        raw = self.text[start:self.i].strip()
        if not raw:
            raise YamlSubsetError(f"{self.where}: empty value in {self.text!r}")
        return _plain(raw, self.where)

    def expect(self, char: str) -> None:
        self.space()
        if self.text[self.i:self.i + 1] != char:
            raise YamlSubsetError(f"{self.where}: expected {char!r} at {self.text[self.i:]!r}")
        self.i += 1

    def sequence(self) -> list[Any]:
        self.expect("[")
        out: list[Any] = []
        self.space()
        if self.text[self.i:self.i + 1] == "]":
            self.i += 1
            return out
        while True:
            out.append(self.value())
            self.space()
            if self.text[self.i:self.i + 1] == "]":
                self.i += 1
                return out
            self.expect(",")

    def mapping(self) -> dict[Any, Any]:
        self.expect("{")
        out: dict[Any, Any] = {}
        self.space()
        if self.text[self.i:self.i + 1] == "}":
            self.i += 1
            return out
        while True:
            k = self.value(key=True)
            self.expect(":")
            if k in out:
                raise YamlSubsetError(f"{self.where}: duplicate key {k!r}")
            out[k] = self.value()
            self.space()
            if self.text[self.i:self.i + 1] == "}":
                self.i += 1
                return out
            self.expect(",")


class _Block:
    def __init__(self, text: str) -> None:
        if "\t" in text:
            raise YamlSubsetError("tabs are not supported; indent with spaces")
        self.raw = text.splitlines()
        # (indent, content) per line; None for blank and comment-only lines
        self.lines: list[tuple[int, str] | None] = []
        for line in self.raw:
            content = _strip_comment(line)
            self.lines.append((len(content) - len(content.lstrip()), content.strip()) if content.strip()
                              else None)

    def where(self, i: int) -> str:
        return f"openapi.yaml line {i + 1}"

    def next_line(self, i: int) -> int:
        while i < len(self.lines) and self.lines[i] is None:
            i += 1
        return i

    def document(self) -> Any:
        i = self.next_line(0)
        if i == len(self.lines):
            return None
        indent, content = self.lines[i]  # type: ignore[misc]
        if content.startswith(("---", "%")):
            raise YamlSubsetError(f"{self.where(i)}: directives and document markers are not supported")
        value, i = self.node(i, indent)
        i = self.next_line(i)
        if i < len(self.lines):
            raise YamlSubsetError(f"{self.where(i)}: unexpected indentation")
        return value

    @staticmethod
    def is_item(content: str) -> bool:
        return content == "-" or content.startswith("- ")

    def node(self, i: int, indent: int) -> tuple[Any, int]:
        _, content = self.lines[i]  # type: ignore[misc]
        return self.sequence(i, indent) if self.is_item(content) else self.mapping(i, indent)

    def split_key(self, content: str, i: int) -> tuple[Any, str] | None:
        """`key: rest` → (key, rest); None when the line is not a mapping entry."""
        if content[0] in "'\"":
            end = _quote_end(content, 0, self.where(i))
            if content[end:end + 1] != ":" or content[end + 1:end + 2] not in ("", " "):
                return None
            return _quoted(content[:end], self.where(i)), content[end + 1:].strip()
        match = re.search(r":( |$)", content)
        if match is None:
            return None
        key = content[:match.start()]
        if key[0] in "[{?&*!|>%@`":
            raise YamlSubsetError(f"{self.where(i)}: unsupported key {key!r}")
        return _plain(key, self.where(i)), content[match.end():].strip()

    def mapping(self, i: int, indent: int) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        while True:
            i = self.next_line(i)
            if i == len(self.lines):
                return out, i
            line_indent, content = self.lines[i]  # type: ignore[misc]
            if line_indent < indent or (line_indent == indent and self.is_item(content) and out):
                return out, i
            if line_indent > indent:
                raise YamlSubsetError(f"{self.where(i)}: unexpected indentation (multi-line plain "
                                      "scalars are not supported: use a | or > block)")
            entry = self.split_key(content, i)
            if entry is None:
                raise YamlSubsetError(f"{self.where(i)}: expected 'key: value', got {content!r}")
            key, rest = entry
            if key in out:
                raise YamlSubsetError(f"{self.where(i)}: duplicate key {key!r}")
            out[key], i = self.value(rest, i, indent)

    def sequence(self, i: int, indent: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        while True:
            i = self.next_line(i)
            if i == len(self.lines):
                return out, i
            line_indent, content = self.lines[i]  # type: ignore[misc]
            if line_indent < indent or (line_indent == indent and not self.is_item(content)):
                return out, i
            if line_indent > indent:
                raise YamlSubsetError(f"{self.where(i)}: unexpected indentation")
            rest = content[1:].lstrip()
            if not rest:
                j = self.next_line(i + 1)
                if j < len(self.lines) and self.lines[j][0] > indent:  # type: ignore[index]
                    value, i = self.node(j, self.lines[j][0])  # type: ignore[index]
                else:
                    value, i = None, i + 1
            elif self.is_item(rest):
                raise YamlSubsetError(f"{self.where(i)}: nested '- -' sequences are not supported")
            elif rest[0] not in "[{'\"" and self.split_key(rest, i) is not None:
                # "- key: value": a mapping whose first line starts after the dash
                self.lines[i] = (line_indent + len(content) - len(rest), rest)
                value, i = self.mapping(i, line_indent + len(content) - len(rest))
            else:
                value, i = self.value(rest, i, indent, item=True)
            out.append(value)

    def value(self, rest: str, i: int, indent: int, item: bool = False) -> tuple[Any, int]:
        """The value after `key:` (or `- `) on line i; returns it and the next line index."""
        where = self.where(i)
        if not rest:
            j = self.next_line(i + 1)
            if j == len(self.lines):
                return None, j
            child_indent, child = self.lines[j]  # type: ignore[misc]
            if child_indent > indent or (child_indent == indent and self.is_item(child) and not item):
                return self.node(j, child_indent)
            return None, i + 1
        if rest[0] in "|>":
            return self.block_scalar(rest, i, indent)
        if rest[0] in "[{":
            return _Flow(rest, where).parse(), i + 1
        if rest[0] in "'\"":
            end = _quote_end(rest, 0, where)
            if rest[end:].strip():
                raise YamlSubsetError(f"{where}: unexpected {rest[end:]!r} after a quoted string")
            return _quoted(rest, where), i + 1
        return _plain(rest, where), i + 1

    def block_scalar(self, header: str, i: int, indent: int) -> tuple[str, int]:
        where = self.where(i)
        if header not in ("|", "|-", "|+", ">", ">-", ">+"):
            raise YamlSubsetError(f"{where}: unsupported block scalar header {header!r}")
        style, chomp = header[0], header[1:]
        j, body = i + 1, []
        while j < len(self.raw) and (not self.raw[j].strip()
                                     or len(self.raw[j]) - len(self.raw[j].lstrip()) > indent):
            body.append(self.raw[j])
            j += 1
        while body and not body[-1].strip():  # trailing blank lines belong to what follows
            body.pop()
            j -= 1
        if not body:
            return "", j
        content_indent = min(len(x) - len(x.lstrip()) for x in body if x.strip())
        first = len(body[0]) - len(body[0].lstrip())
        if first != content_indent:
            raise YamlSubsetError(f"{where}: the first line of a block scalar must be the least indented")
        lines = [x[content_indent:] if x.strip() else "" for x in body]
        if style == "|":
            text = "\n".join(lines)
        else:
            if any(x.startswith(" ") for x in lines):
                raise YamlSubsetError(f"{where}: more-indented lines in a '>' block are not supported")
            text, blanks = "", 0
            for line in lines:
                if not line:
                    blanks += 1
                    continue
                if text:
                    text += "\n" * blanks if blanks else " "
                text += line
                blanks = 0
        if chomp == "+":
            raise YamlSubsetError(f"{where}: keep chomping ('+') is not supported")
        return (text if chomp == "-" else text + "\n"), j


def parse_yaml_subset(text: str) -> Any:
    return _Block(text).document()


@functools.cache
def spec() -> dict[str, Any]:
    try:
        return parse_yaml_subset(SPEC.read_text(encoding="utf-8"))
    except YamlSubsetError as exc:
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
        obj = getattr(obj, part, None)
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
        required = [p for p in params.values() if p.default is inspect.Parameter.empty]
        code = target(*["x"] * len(required)).code
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
        for needed in ("401", "403"):
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


def test_the_subset_parser_reads_what_openapi_yaml_uses() -> None:
    text = (
        "# comment\n"
        "a: 1\n"
        "b: 'it''s # not a comment'  # but this is\n"
        "'200':\n"
        "  c: [x, 'null', null, {d: e f, g: [1.5, true]}]\n"
        "  h: {}\n"
        "list:\n"
        "  - $ref: '#/x/y'\n"
        "    more: yes\n"
        "  - plain text\n"
        "same_indent_list:\n"
        "- k: v\n"
        "lit: |\n"
        "  one\n"
        "\n"
        "    two\n"
        "folded: >-\n"
        "  one\n"
        "  two\n"
        "\n"
        "  three\n"
        "empty:\n"
        "path/{x}: \"q\\u00e4\"\n"
    )
    assert parse_yaml_subset(text) == {
        "a": 1, "b": "it's # not a comment",
        "200": {"c": ["x", "null", None, {"d": "e f", "g": [1.5, True]}], "h": {}},
        "list": [{"$ref": "#/x/y", "more": True}, "plain text"],
        "same_indent_list": [{"k": "v"}],
        "lit": "one\n\n  two\n", "folded": "one two\nthree", "empty": None, "path/{x}": "qä",
    }
    for bad in ("a: &x 1\n", "a: b\n  c\n", "a: 2030-01-01\n", "a: 1\na: 2\n", "a: b: c\n", "a:\n\t- b\n"):
        with pytest.raises(YamlSubsetError):
            parse_yaml_subset(bad)


def test_the_subset_parser_agrees_with_pyyaml() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (not a dependency)")
    assert parse_yaml_subset(SPEC.read_text(encoding="utf-8")) == yaml.safe_load(SPEC.read_text("utf-8"))
