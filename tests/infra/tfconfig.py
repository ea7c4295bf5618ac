"""infra/*.tf, parsed with python-hcl2, and a small evaluator for the expressions we rely on.

python-hcl2 (v8) keeps every expression as text: `"${local.env}"`, `"fn-${replace(...)}"`; with
`strip_string_quotes` plain strings come back without their quotes. Blocks are lists of dicts.
Nothing here runs Terraform: expressions are either recognised (and evaluated the way
Terraform would) or reported, so a check never passes by not understanding the config.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


class Unevaluable(ValueError):
    """An expression outside the small language the checks understand."""


@dataclass
class Config:
    texts: dict[str, str]
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        return self.resources.get((rtype, name), {})

    def of_type(self, rtype: str) -> dict[str, dict[str, Any]]:
        return {n: body for (t, n), body in self.resources.items() if t == rtype}


@cache
def _load_hcl(text: str) -> dict[str, Any]:
    """Parsing is slow (lark); the tests parse the same files many times. Never mutated."""
    return hcl2.loads(text, serialization_options=OPTIONS)


def parse(texts: dict[str, str]) -> Config:
    cfg = Config(texts=dict(texts))
    for _, text in sorted(texts.items()):
        doc = _load_hcl(text)
        for block in doc.get("locals", []):
            for k, v in block.items():
                _put(cfg, cfg.locals, k, v, f"local.{k}")
        for block in doc.get("variable", []):
            for k, v in block.items():
                _put(cfg, cfg.variables, k, v, f"var.{k}")
        for block in doc.get("output", []):
            for k, v in block.items():
                _put(cfg, cfg.outputs, k, v, f"output.{k}")
        for kind, target in (("resource", cfg.resources), ("data", cfg.data)):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        _put(cfg, target, (rtype, name), body, f"{kind} {rtype}.{name}")
        cfg.terraform.extend(doc.get("terraform", []))
    return cfg


def _put(cfg: Config, where: dict, key: Any, value: Any, label: str) -> None:
    if key in where:
        cfg.duplicates.append(label)
    where[key] = value


def read_texts(directory: Path = INFRA) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf"))}


def load(directory: Path = INFRA) -> Config:
    return parse(read_texts(directory))


def firestore_spec() -> dict[str, Any]:
    return json.loads((ROOT / "firestore.indexes.json").read_text(encoding="utf-8"))


# --- Expressions ---------------------------------------------------------------------------

def squash(expr: Any) -> str:
    """An expression without whitespace, for comparing shapes."""
    return re.sub(r"\s+", "", str(expr))


def ref(value: Any) -> str | None:
    """`"${a.b}"` -> `a.b`; anything else (literals, templates) -> None."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        inner = value[2:-1]
        if _template_parts(value) == [("expr", inner)]:
            return inner.strip()
    return None


def _template_parts(text: str) -> list[tuple[str, str]]:
    """Split a template into literal text and `${...}` expressions (nesting and quotes aware)."""
    parts: list[tuple[str, str]] = []
    i = 0
    literal = ""
    while i < len(text):
        if text.startswith("${", i):
            depth, j, quoted = 1, i + 2, False
            while j < len(text) and depth:
                ch = text[j]
                if quoted:
                    if ch == "\\":
                        j += 1
                    elif ch == '"':
                        quoted = False
                elif ch == '"':
                    quoted = True
                elif ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                j += 1
            if depth:
                raise Unevaluable(f"unbalanced template: {text!r}")
            if literal:
                parts.append(("text", literal))
                literal = ""
            parts.append(("expr", text[i + 2:j - 1]))
            i = j
        else:
            literal += text[i]
            i += 1
    if literal:
        parts.append(("text", literal))
    return parts


def _split_top(e: str, sep: str) -> tuple[str, str] | None:
    """`e` split at the first `sep` outside quotes and brackets, or None."""
    depth, quoted, i = 0, False, 0
    while i < len(e):
        ch = e[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and e.startswith(sep, i):
            return e[:i].strip(), e[i + len(sep):].strip()
        i += 1
    return None


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Mod: operator.mod}
_FUNCS = {"floor": math.floor, "ceil": math.ceil, "min": min, "max": max}


class Evaluator:
    """Evaluates variables, locals and a few functions, given values for the variables."""

    def __init__(self, cfg: Config, variables: dict[str, Any]) -> None:
        self.cfg = cfg
        self.vars = variables

    def value(self, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {k: self.value(v) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.value(v) for v in raw]
        if not isinstance(raw, str) or "${" not in raw:
            return raw
        parts = _template_parts(raw)
        if len(parts) == 1 and parts[0][0] == "expr":
            return self.expr(parts[0][1])
        return "".join(text if kind == "text" else self._str(self.expr(text)) for kind, text in parts)

    def _bool(self, text: str) -> bool:
        v = self.expr(text)
        if not isinstance(v, bool):
            raise Unevaluable(f"not a condition: {text!r} is {v!r}")
        return v

    def _str(self, v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise Unevaluable(f"cannot interpolate {v!r}")
        return str(v)

    def expr(self, text: str) -> Any:
        e = text.strip()
        # Conditions, as the push switch uses them: `c ? a : b`, `a && b`, `!a`, true/false,
        # `contains(keys(local.functions), "name")` (is that function deployed?).
        if (branches := _split_top(e, "?")) is not None:
            cond, rest = branches
            if (choice := _split_top(rest, ":")) is None:
                raise Unevaluable(f"not understood: ${{{e}}}")
            return self.expr(choice[0] if self._bool(cond) else choice[1])
        if (both := _split_top(e, "&&")) is not None:
            return self._bool(both[0]) and self._bool(both[1])
        if e.startswith("!"):
            return not self._bool(e[1:])
        if e in ("true", "false"):
            return e == "true"
        if m := re.fullmatch(r'contains\(keys\(local\.functions\),\s*"(\w+)"\)', e):
            functions = self.value(self.cfg.locals.get("functions"))
            return isinstance(functions, dict) and m[1] in functions
        if m := re.fullmatch(r'"(.*\$\{.*)"', e, re.S):  # a quoted template
            return self.value(m[1])
        if m := re.fullmatch(r"var\.(\w+)", e):
            if m[1] not in self.vars:
                raise Unevaluable(f"no value for var.{m[1]}")
            return self.vars[m[1]]
        if m := re.fullmatch(r"local\.(\w+)", e):
            if m[1] not in self.cfg.locals:
                raise Unevaluable(f"no local.{m[1]}")
            return self.value(self.cfg.locals[m[1]])
        if m := re.fullmatch(r"tostring\((.*)\)", e):
            return self._str(self.expr(m[1]))
        if m := re.fullmatch(r'"([^"$]*)"', e):
            return m[1]
        return self._arithmetic(e)

    # Arithmetic on numbers, as the quota governor uses it: + - * / %, floor, ceil, min, max,
    # var.x, local.x and indexing into a local (`local.functions["sync_link"].max_instances`).
    # HCL and Python agree on these (`/` divides without truncating); anything else - a
    # conditional, another function, a resource attribute - is not understood.
    def _arithmetic(self, e: str) -> Any:
        try:
            tree = ast.parse(e, mode="eval")
        except SyntaxError:
            raise Unevaluable(f"not understood: ${{{e}}}") from None
        return self._node(tree.body, e)

    def _number(self, node: ast.AST, e: str) -> int | float:
        v = self._node(node, e)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise Unevaluable(f"not a number in ${{{e}}}: {v!r}")
        return v

    def _node(self, node: ast.AST, e: str) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](self._number(node.left, e), self._number(node.right, e))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self._number(node.operand, e)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and node.args and not node.keywords):
            return _FUNCS[node.func.id](*(self._number(a, e) for a in node.args))
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("var", "local"):
                return self.expr(f"{node.value.id}.{node.attr}")
            base = self._node(node.value, e)
            if isinstance(base, dict) and node.attr in base:
                return self.value(base[node.attr])
        if isinstance(node, ast.Subscript):
            base, key = self._node(node.value, e), self._node(node.slice, e)
            if isinstance(base, dict) and isinstance(key, str) and key in base:
                return self.value(base[key])
        raise Unevaluable(f"not understood: ${{{e}}}")


def variable_defaults(cfg: Config, **given: Any) -> dict[str, Any]:
    out = {name: spec["default"] for name, spec in cfg.variables.items() if "default" in spec}
    out.update(given)
    return out


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The nested blocks `name` of a resource body (hcl2 gives blocks as lists of dicts)."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, leaf) of a parsed body, keys included in the path."""
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in walk(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in walk(v, f"{path}[{i}]")]
    return [(path, value)]
