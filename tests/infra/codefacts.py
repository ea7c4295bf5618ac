"""What the code says about deployment, read statically from main.py and the functions package.

- the entry points (`main.__all__`) and their trigger (the functions_framework decorator);
- which secrets each entry point's code can reach (a call graph over the package's AST);
- which routes of each function do not authenticate the caller, and how each route does;
- which entry points queue Cloud Tasks (their code reaches a `create_task` call);
- the Firestore queries, with the fields they filter and order on;
- the log lines the package writes: logger, severity, message and extra fields (for the
  log-based metrics of infra/monitoring.tf);
- the log lines with fixed fields that metrics select by `jsonPayload.event` (functions/status_log.py):
  the event, the fields, the module's constants, and the values the callers pass for each field.

The call graph is deliberately simple (names resolved through imports, module-level instances,
route decorators); `functions.config` and `functions.context` are not walked into: a secret
counts as read where the code touches it (`ctx.cipher`, `ctx.oauth_client`, `.jwt_key()`).
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions import config

ROOT = Path(__file__).resolve().parents[2]

# Where the code touches a secret, and which one.
SECRET_MARKERS = {
    "jwt_key": "planner-jwt-key",
    "oauth_client": "oauth-client",
    "cipher": "token-key",
    "token_keys": "token-key",
}
# Where the code creates a Cloud Task (the google-cloud-tasks client's method); the call graph
# collects it like a secret, as the marker TASKS.
ENQUEUE_MARKERS = frozenset({"create_task"})
TASKS = "cloud-tasks"
# The layer that reads secrets on demand: walking into it would count every secret as read.
BARRIER = frozenset({"functions.config", "functions.context"})
# How a route authenticates its caller (functions/http.py, functions/auth.py): caller_of, the
# planner JWT; authenticate_sync, the JWT or the Scheduler's OIDC token (sync);
# authenticate_task, the queue's OIDC token only (sync_link).
AUTHENTICATE = {"caller_of", "authenticate_sync", "authenticate_task"}

Target = tuple[str, str, str]  # (kind: def | router, module, name)


@dataclass(frozen=True)
class Query:
    where: str                        # file:line
    collection: str | None            # the literal collection id, when the chain names one
    equality: frozenset[str]
    inequality: frozenset[str]
    order: frozenset[str]
    unknown: bool = False             # a filter or field the analysis cannot read

    @property
    def fields(self) -> frozenset[str]:
        return self.equality | self.inequality | self.order

    @property
    def needs_composite_index(self) -> bool:
        """Firestore serves one-field queries and equality-only queries (by merging
        single-field indexes); anything else on two or more fields needs a composite index."""
        if self.unknown:
            return True
        if len(self.fields) <= 1:
            return False
        return bool(self.inequality or self.order)


@dataclass(frozen=True)
class LogCall:
    """One log call, as Cloud Logging will show its entry: `jsonPayload.logger` is the logger's
    name, `jsonPayload.message` the message (a `%s` template is formatted at run time)."""
    where: str                        # file:line
    logger: str
    severity: str                     # DEBUG | INFO | WARNING | ERROR | CRITICAL
    message: str | None               # the literal message (template); None: not a literal
    fields: frozenset[str] = frozenset()  # the keys of extra={...}, each a jsonPayload field
    # extra's fields with a fixed string value (a literal or a module constant): (field, value)
    fixed: tuple[tuple[str, str], ...] = ()
    # extra's fields that are a parameter of the function that logs: (field, parameter)
    parameters: tuple[tuple[str, str], ...] = ()
    function: str = ""                # the function (or method) that logs it; "" at module level

    @property
    def module(self) -> str:
        return _module_name(ROOT / self.where.rsplit(":", 1)[0])


@dataclass(frozen=True)
class EventLine:
    """A log line with fixed fields that a log-based metric selects by `jsonPayload.event`, never
    by its message (functions/status_log.py). `values` are what its callers pass for the fields
    that are parameters of the logging function, traced through the callers' own parameters
    (`_mark(link, LinkStatus.NEEDS_RECONSENT, "grant_dead")`); `unresolved` lists the arguments
    the analysis could not read (a computed value)."""
    call: LogCall
    event: str
    constants: dict[str, str]          # the string constants of its module (NAME -> value)
    values: dict[str, frozenset[str]]  # field -> the values the callers pass
    unresolved: tuple[str, ...] = ()   # file:line field, for each argument not read


@dataclass
class CodeFacts:
    exports: list[str]
    triggers: dict[str, str]                      # entry point -> "http" | "cloud_event" | ""
    secrets: dict[str, frozenset[str]]            # entry point -> secrets its code reaches
    unauthenticated_routes: dict[str, list[str]]  # entry point -> handlers that call no AUTHENTICATE
    queries: list[Query]
    # entry point -> handler -> the AUTHENTICATE functions it calls
    route_auth: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    enqueuers: frozenset[str] = frozenset()       # entry points whose code creates Cloud Tasks
    log_calls: list[LogCall] = field(default_factory=list)  # every log line functions/ writes
    event_lines: list[EventLine] = field(default_factory=list)  # the log calls with an `event` field
    env_defaults: dict[str, str | None] = field(default_factory=lambda: dict(config.ENV_DEFAULTS))
    required_env: tuple[str, ...] = config.REQUIRED_ENV
    secret_names: tuple[str, ...] = config.SECRET_NAMES


# --- Modules -------------------------------------------------------------------------------

class Module:
    def __init__(self, path: Path) -> None:
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        self.name = ".".join(parts)
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.imports: dict[str, str] = {}
        self.defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = {}
        self.instances: dict[str, str] = {}       # module-level `X = SomeClass(...)`
        self.routes: dict[str, list[str]] = {}    # router variable -> decorated handlers
        self.constants = _string_constants(self.tree.body)  # module-level NAME = "text"
        for node in self.tree.body:
            self._index(node)

    def _index(self, node: ast.stmt) -> None:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.imports[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.defs[node.name] = node
            for deco in getattr(node, "decorator_list", []):
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                        and deco.func.attr == "route" and isinstance(deco.func.value, ast.Name)):
                    self.routes.setdefault(deco.func.value.id, []).append(node.name)
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Name)):
            self.instances[node.targets[0].id] = node.value.func.id


def load_modules() -> dict[str, Module]:
    paths = [ROOT / "main.py", *sorted((ROOT / "functions").rglob("*.py"))]
    modules = [Module(p) for p in paths if "__pycache__" not in p.parts]
    return {m.name: m for m in modules}


def _bound_names(node: ast.AST) -> set[str]:
    """Names a definition binds itself: parameters and assigned locals."""
    bound: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            bound.add(n.id)
    return bound


def _code_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk without type annotations (they name classes, they do not call them)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for name, value in ast.iter_fields(current):
            if name in ("annotation", "returns"):
                continue
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


class CallGraph:
    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules

    def resolve(self, qualified: str, depth: int = 0) -> Target | None:
        if depth > 10:
            return None
        module, _, attr = qualified.rpartition(".")
        m = self.modules.get(module)
        if m is None:
            return None
        if attr in m.defs:
            return ("def", module, attr)
        if attr in m.routes:
            return ("router", module, attr)
        if attr in m.instances:
            return self.resolve(f"{module}.{m.instances[attr]}", depth + 1)
        if attr in m.imports:
            return self.resolve(m.imports[attr], depth + 1)
        return None

    def _local(self, m: Module, name: str) -> Target | None:
        if name in m.routes:
            return ("router", m.name, name)
        if name in m.defs:
            return ("def", m.name, name)
        if name in m.instances:
            return self.resolve(f"{m.name}.{m.instances[name]}")
        if name in m.imports:
            return self.resolve(m.imports[name])
        return None

    def references(self, target: Target) -> tuple[set[Target], set[str]]:
        """What a definition refers to, and the markers it touches: secret names, and
        "cloud-tasks" where it creates a task."""
        kind, module, name = target
        m = self.modules[module]
        if kind == "router":
            return {("def", module, h) for h in m.routes[name]}, set()
        node = m.defs[name]
        out: set[Target] = set()
        secrets: set[str] = set()
        bound = _bound_names(node)  # a parameter or local named like a module's function is not it
        for n in _code_nodes(node):
            if isinstance(n, ast.Attribute):
                if n.attr in SECRET_MARKERS:
                    secrets.add(SECRET_MARKERS[n.attr])
                if n.attr in ENQUEUE_MARKERS:
                    secrets.add(TASKS)
                if isinstance(n.value, ast.Name) and n.value.id in m.imports:
                    found = self.resolve(f"{m.imports[n.value.id]}.{n.attr}")
                    if found:
                        out.add(found)
            elif isinstance(n, ast.Name) and n is not node and n.id not in bound:
                if n.id in SECRET_MARKERS:
                    secrets.add(SECRET_MARKERS[n.id])
                found = self._local(m, n.id)
                if found and found != target:
                    out.add(found)
        return out, secrets

    def reach(self, entry: str) -> tuple[set[Target], set[str]]:
        start = self.resolve(f"main.{entry}")
        seen: set[Target] = set()
        secrets: set[str] = set()
        stack = [start] if start else []
        while stack:
            target = stack.pop()
            if target in seen or target[1] in BARRIER:
                continue
            seen.add(target)
            more, found = self.references(target)
            secrets |= found
            stack.extend(more)
        return seen, secrets

    def trigger(self, entry: str) -> str:
        target = self.resolve(f"main.{entry}")
        if not target or target[0] != "def":
            return ""
        node = self.modules[target[1]].defs[target[2]]
        for deco in getattr(node, "decorator_list", []):
            text = ast.unparse(deco)
            if text.endswith("functions_framework.http") or text == "http":
                return "http"
            if text.endswith("functions_framework.cloud_event") or text == "cloud_event":
                return "cloud_event"
        return ""

    def routers_of(self, entry: str) -> list[Target]:
        target = self.resolve(f"main.{entry}")
        if not target or target[0] != "def":
            return []
        m = self.modules[target[1]]
        return [t for n in _code_nodes(m.defs[target[2]]) if isinstance(n, ast.Name)
                for t in [self._local(m, n.id)] if t and t[0] == "router"]

    def unauthenticated_routes(self, entry: str) -> list[str]:
        """Handlers of the function's router that authenticate no caller (no AUTHENTICATE call)."""
        return [handler for handler, calls in self.route_auth(entry).items() if not calls]

    def route_auth(self, entry: str) -> dict[str, frozenset[str]]:
        """Each handler of the function's router, with the AUTHENTICATE functions it calls."""
        out = {}
        for _, module, router in self.routers_of(entry):
            m = self.modules[module]
            for handler in m.routes[router]:
                calls = {ast.unparse(n.func) for n in _code_nodes(m.defs[handler]) if isinstance(n, ast.Call)}
                out[f"{module}.{handler}"] = frozenset(AUTHENTICATE & calls)
        return out


# --- Firestore queries -------------------------------------------------------------------------

EQUALITY = {"==", "in", "array_contains", "array-contains", "array_contains_any", "array-contains-any"}
INEQUALITY = {"<", "<=", ">", ">=", "!=", "not-in", "not_in"}
QUERY_METHODS = {"where", "order_by"}
CHAIN_METHODS = QUERY_METHODS | {"limit", "limit_to_last", "offset", "start_at", "start_after",
                                 "end_at", "end_before", "select"}


def _const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _field(node: ast.AST | None) -> str | None:
    """A field path: its literal, or for a plain variable (`path`, `self.path`) the variable
    as a symbol, `<path>`: within one query chain the same variable is the same field, so a
    filter and an order on it are still one field."""
    if (literal := _const(node)) is not None:
        return literal
    if isinstance(node, ast.Name | ast.Attribute) and re.fullmatch(r"[\w.]+", ast.unparse(node)):
        return f"<{ast.unparse(node)}>"
    return None


def _filter_of(call: ast.Call) -> tuple[str | None, str | None]:
    """(field, op) of where("f", "==", v) or where(filter=FieldFilter("f", "==", v))."""
    args = list(call.args)
    for kw in call.keywords:
        if kw.arg == "filter":
            inner = kw.value
            if isinstance(inner, ast.Call) and ast.unparse(inner.func).endswith("FieldFilter"):
                args = list(inner.args)
            else:
                return None, None    # And / Or composite filters
        elif kw.arg in ("field_path", "op_string"):
            args.append(kw.value)
    if len(args) >= 2:
        return _field(args[0]), _const(args[1])
    return None, None


def _chain(call: ast.Call) -> list[ast.Call]:
    """The calls of a method chain, innermost first: a.where(..).order_by(..).limit(..)."""
    calls = []
    node: ast.AST = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        calls.append(node)
        node = node.func.value
    return list(reversed(calls))


def _collection(call: ast.Call) -> str | None:
    node: ast.AST = call
    while isinstance(node, ast.Call | ast.Attribute):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("collection", "collection_group") and node.args):
            return _const(node.args[0])
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def queries_in(path: Path) -> list[Query]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner: set[int] = set()
    found = []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in CHAIN_METHODS]
    # Outermost chains first, so that the calls inside one are not counted again.
    for call in sorted(calls, key=lambda c: -len(_chain(c))):
        if id(call) in inner:
            continue
        chain = [c for c in _chain(call) if c.func.attr in CHAIN_METHODS]
        inner.update(id(c) for c in _chain(call))
        if not any(c.func.attr in QUERY_METHODS for c in chain):
            continue
        eq: set[str] = set()
        ineq: set[str] = set()
        order: set[str] = set()
        unknown = False
        for c in chain:
            if c.func.attr == "where":
                fld, op = _filter_of(c)
                if fld is None or op is None:
                    unknown = True
                elif op in EQUALITY:
                    eq.add(fld)
                elif op in INEQUALITY:
                    ineq.add(fld)
                else:
                    unknown = True
            elif c.func.attr == "order_by":
                fld = _field(c.args[0]) if c.args else None
                if fld is None:
                    unknown = True
                else:
                    order.add(fld)
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        found.append(Query(f"{rel}:{call.lineno}", _collection(call), frozenset(eq),
                           frozenset(ineq), frozenset(order), unknown))
    return found


# --- Log calls -------------------------------------------------------------------------------

# logging's methods and the severity functions/logs.py writes for each (exception() is ERROR).
LOG_LEVELS = {"debug": "DEBUG", "info": "INFO", "warning": "WARNING", "error": "ERROR",
              "exception": "ERROR", "critical": "CRITICAL"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _loggers(tree: ast.Module, module: str) -> dict[str, str]:
    """Module-level `log = logging.getLogger(__name__ | "name")`: variable -> logger name."""
    found = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "logging.getLogger"
                and len(node.value.args) == 1):
            arg = node.value.args[0]
            if isinstance(arg, ast.Name) and arg.id == "__name__":
                found[node.targets[0].id] = module
            elif (name := _const(arg)) is not None:
                found[node.targets[0].id] = name
    return found


def _string_constants(body: list[ast.stmt]) -> dict[str, str]:
    """`NAME = "text"` at the top of a module or class body."""
    out = {}
    for node in body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and (value := _const(node.value)) is not None:
            out[target.id] = value
    return out


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _calls_by_function(tree: ast.Module) -> Iterator[tuple[Function | None, ast.Call]]:
    """Every call with the innermost function (or method) around it, None at module level."""
    def visit(node: ast.AST, inside: Function | None) -> Iterator[Any]:
        for child in ast.iter_child_nodes(node):
            around = child if isinstance(child, Function) else inside
            if isinstance(child, ast.Call):
                yield inside, child
            yield from visit(child, around)
    yield from visit(tree, None)


def _extra_items(call: ast.Call, function: ast.AST | None) -> list[tuple[str, ast.expr]]:
    """The (key, value) pairs of a log call's extra: a dict literal, or a variable of the
    function assigned a dict literal (`extra = {...}`) and keys set on it (`extra["k"] = v`)."""
    value = next((kw.value for kw in call.keywords if kw.arg == "extra"), None)
    if isinstance(value, ast.Dict):
        return [(k, v) for key, v in zip(value.keys, value.values, strict=True) if (k := _const(key))]
    if not (isinstance(value, ast.Name) and function is not None):
        return []
    items = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                named = isinstance(target, ast.Name) and target.id == value.id
                if named and isinstance(node.value, ast.Dict):
                    items += [(k, v) for key, v in zip(node.value.keys, node.value.values, strict=True)
                              if (k := _const(key))]
                elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                      and target.value.id == value.id and (k := _const(target.slice)) and node.value):
                    items.append((k, node.value))
    return items


def _parameters(function: ast.AST | None) -> list[str]:
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    return [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]


def log_calls_in(path: Path) -> list[LogCall]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    loggers = _loggers(tree, _module_name(path))
    constants = _string_constants(tree.body)
    rel = path.relative_to(ROOT)
    out = []
    for function, node in _calls_by_function(tree):
        if not (isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in loggers
                and node.func.attr in LOG_LEVELS):
            continue
        items = _extra_items(node, function)
        params = _parameters(function)
        fixed = tuple((k, v) for k, value in items
                      if (v := _const(value) if not isinstance(value, ast.Name) else
                          constants.get(value.id)) is not None)
        parameters = tuple((k, value.id) for k, value in items
                           if isinstance(value, ast.Name) and value.id in params)
        message = _const(node.args[0]) if node.args else None
        out.append(LogCall(f"{rel}:{node.lineno}", loggers[node.func.value.id], LOG_LEVELS[node.func.attr],
                           message, frozenset(k for k, _ in items), fixed, parameters,
                           getattr(function, "name", "")))
    return out


# --- Log lines selected by their event (functions/status_log.py) ------------------------------

class Arguments:
    """What the callers of a function pass for one of its parameters: string literals, module
    constants (`status_log.TOKEN_UNREADABLE`), enum members (`str(LinkStatus.NEEDS_RECONSENT)`),
    and through a caller's own parameter what its callers pass (a few levels deep)."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.calls = {name: list(_calls_by_function(m.tree)) for name, m in modules.items()}

    def constant(self, m: Module, node: ast.AST) -> str | None:
        if (value := _const(node)) is not None:
            return value
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "str" and len(node.args) == 1:
            return self.constant(m, node.args[0])
        if isinstance(node, ast.Name):
            return m.constants.get(node.id) or (self.qualified(m.imports[node.id]) if node.id in m.imports
                                                else None)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = node.value.id
            if base in m.imports:
                return self.qualified(f"{m.imports[base]}.{node.attr}")
            if isinstance(m.defs.get(base), ast.ClassDef):
                return _string_constants(m.defs[base].body).get(node.attr)
        return None

    def qualified(self, name: str) -> str | None:
        """The value of `module.NAME` or `module.Class.NAME`."""
        module, _, attr = name.rpartition(".")
        if module in self.modules:
            return self.modules[module].constants.get(attr)
        outer, _, cls = module.rpartition(".")
        node = self.modules[outer].defs.get(cls) if outer in self.modules else None
        return _string_constants(node.body).get(attr) if isinstance(node, ast.ClassDef) else None

    def _callers(self, module: str, function: str) -> Iterator[tuple[Module, Any, ast.Call, bool]]:
        """(module, function around the call, call, called as a method) of every call of it."""
        for name, m in self.modules.items():
            for around, call in self.calls[name]:
                f = call.func
                if isinstance(f, ast.Name) and f.id == function and (
                        name == module or m.imports.get(function) == f"{module}.{function}"):
                    yield m, around, call, False
                elif (isinstance(f, ast.Attribute) and f.attr == function and isinstance(f.value, ast.Name)
                      and (m.imports.get(f.value.id) == module
                           or (name == module and f.value.id in ("self", "cls")))):
                    yield m, around, call, f.value.id in ("self", "cls")

    def of(self, module: str, function: str, param: str, depth: int = 0) -> tuple[set[str], list[str]]:
        node = self.modules[module].defs.get(function) if module in self.modules else None
        if node is None:  # a method: look in the module's classes
            node = next((d for c in ast.walk(self.modules[module].tree) if isinstance(c, ast.ClassDef)
                         for d in c.body if isinstance(d, ast.FunctionDef) and d.name == function), None)
        params = _parameters(node)
        values: set[str] = set()
        unresolved: list[str] = []
        for m, around, call, method in self._callers(module, function):
            where = f"{m.path.relative_to(ROOT)}:{call.lineno}"
            positional = params[1:] if method and params[:1] in (["self"], ["cls"]) else params
            arg = next((kw.value for kw in call.keywords if kw.arg == param), None)
            if arg is None and param in positional and positional.index(param) < len(call.args):
                arg = call.args[positional.index(param)]
            if arg is None:
                continue
            if isinstance(arg, ast.Call) and ast.unparse(arg.func) == "str" and len(arg.args) == 1:
                arg = arg.args[0]
            if (value := self.constant(m, arg)) is not None:
                values.add(value)
            elif isinstance(arg, ast.Name) and arg.id in _parameters(around) and depth < 4:
                more, missing = self.of(m.name, around.name, arg.id, depth + 1)
                values |= more
                unresolved += missing
            else:
                unresolved.append(f"{where} {param}")
        return values, unresolved


def event_lines(modules: dict[str, Module], calls: list[LogCall]) -> list[EventLine]:
    args = Arguments(modules)
    out = []
    for call in calls:
        fixed = dict(call.fixed)
        if "event" not in fixed or call.module not in modules:
            continue
        values: dict[str, frozenset[str]] = {}
        unresolved: list[str] = []
        for name, param in call.parameters:
            found, missing = args.of(call.module, call.function, param)
            values[name] = frozenset(found)
            unresolved += missing
        out.append(EventLine(call, fixed["event"], dict(modules[call.module].constants), values,
                             tuple(unresolved)))
    return out


# --- All facts -------------------------------------------------------------------------------

def collect() -> CodeFacts:
    exports = list(importlib.import_module("main").__all__)
    modules = load_modules()
    graph = CallGraph(modules)
    log_calls = [c for p in sorted((ROOT / "functions").rglob("*.py")) if "__pycache__" not in p.parts
                 for c in log_calls_in(p)]
    markers = {e: graph.reach(e)[1] for e in exports}
    return CodeFacts(
        exports=exports,
        triggers={e: graph.trigger(e) for e in exports},
        secrets={e: frozenset(markers[e] - {TASKS}) for e in exports},
        unauthenticated_routes={e: graph.unauthenticated_routes(e) for e in exports},
        queries=[q for p in sorted((ROOT / "functions").rglob("*.py")) if "__pycache__" not in p.parts
                 for q in queries_in(p)],
        route_auth={e: graph.route_auth(e) for e in exports},
        enqueuers=frozenset(e for e in exports if TASKS in markers[e]),
        log_calls=log_calls,
        event_lines=event_lines(modules, log_calls),
    )
