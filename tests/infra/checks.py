"""The rules that infra/ must satisfy, as functions from (Terraform, code facts) to problems.

Each check returns a list of human-readable problems (empty: fine). The tests run every check
on the real infra/ and on deliberately broken copies, to show each rule catches what it claims.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from functions.config import ConfigError, Settings
from tests.infra.codefacts import ROOT, CodeFacts
from tests.infra.tfconfig import Config, Evaluator, Unevaluable, blocks, ref, squash, variable_defaults, walk

SAMPLE_PROJECT = "practice-sync-test"

FUNCTION_ATTRS = {"public": bool, "secrets": list, "memory": str, "timeout_seconds": int,
                  "max_instances": int}

# The roles any grant in infra/ may use: each one is explained where it is granted.
REVIEWED_ROLES = {
    "roles/datastore.user",                 # function runtime: Firestore
    "roles/secretmanager.secretAccessor",   # function runtime: one secret's values
    "roles/secretmanager.viewer",           # function runtime: list one secret's enabled versions
    "roles/run.invoker",                    # allUsers on public functions (google_push too: Google
                                            # posts to it); the Scheduler on sync;
                                            # the tasks account on sync_link
    "roles/cloudtasks.enqueuer",            # the task enqueuers: create tasks on the sync-links queue
    "roles/iam.serviceAccountUser",         # the task enqueuers: act as sync-tasks (that account only)
    "roles/logging.logWriter",              # function builds
    "roles/artifactregistry.writer",        # function builds
    "roles/storage.objectAdmin",            # function builds: read the uploaded source
}
BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
RUNTIME_ROLES = ["roles/datastore.user"]
BUILDER_ROLES = {"roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectAdmin"}
IAM_MEMBER_TYPES = {"google_project_iam_member", "google_secret_manager_secret_iam_member",
                    "google_cloud_run_service_iam_member", "google_cloud_tasks_queue_iam_member",
                    "google_service_account_iam_member"}
REQUIRED_APIS = {
    "cloudfunctions.googleapis.com", "run.googleapis.com", "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com", "firestore.googleapis.com", "secretmanager.googleapis.com",
    "cloudscheduler.googleapis.com", "iam.googleapis.com", "calendar-json.googleapis.com",
    "cloudtasks.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com",
}
# The private functions, and the one identity that may invoke each (with an OIDC token).
PRIVATE = {"sync": "the Scheduler's service account", "sync_link": "the tasks service account (sync-tasks)"}
# Cloud Tasks' own limits: dispatches per second of a queue; the dispatch deadline of an HTTP
# task when its creator sets none (functions/adapters/cloud_tasks.py sets none).
TASKS_MAX_RATE = 500
TASKS_DISPATCH_DEADLINE = 600
# The variables the quota governor is derived from (infra/variables.tf, infra/tasks.tf).
GOVERNOR_VARIABLES = ("calendar_quota_per_minute", "calendar_quota_per_user_minute", "sync_quota_share",
                      "sync_requests_per_task")

# The derivations from local.functions that the resources' for_each use.
SHAPES = {
    "public_functions": "${{for name, spec in local.functions : name => spec if spec.public}}",
    "function_secrets": "${{for pair in flatten([for name, spec in local.functions : [for secret in "
                        "spec.secrets : {function = name, secret = secret}]]) : "
                        '"${pair.function}/${pair.secret}" => pair}}',
    "runtime_bindings": "${{for pair in setproduct(keys(local.functions), local.runtime_roles) : "
                        '"${pair[0]}/${pair[1]}" => {function = pair[0], role = pair[1]}}}',
    "schedule_sync": '${contains(keys(local.functions), "sync")}',
    "sync_tasks": '${contains(keys(local.functions), "sync_link")}',
    "queue_enqueuers": "${{for name in local.task_enqueuers : name => name if local.sync_tasks && "
                       "contains(keys(local.functions), name)}}",
    "function_env": "${{for name in keys(local.functions) : name => merge(local.env, {for key, value in "
                    "local.task_env : key => value if local.sync_tasks && "
                    "contains(local.task_enqueuers, name)})}}",
    "firestore": '${jsondecode(file("${path.module}/../firestore.indexes.json"))}',
}
SYNC_COUNT = "${local.schedule_sync ? 1 : 0}"
TASKS_COUNT = "${local.sync_tasks ? 1 : 0}"
EVERY_MINUTE = "${!local.sync_tasks || var.sync_interval_minutes == 1}"
SA_ACCOUNT_ID = 'fn-${replace(each.key, "_", "-")}'


@dataclass
class World:
    cfg: Config
    facts: CodeFacts
    firestore: dict[str, Any]
    variables: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.variables:
            self.variables = variable_defaults(self.cfg, project_id=SAMPLE_PROJECT)

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        value = self.cfg.locals.get("functions")
        return value if isinstance(value, dict) else {}

    @property
    def has_sync(self) -> bool:
        return "sync" in self.functions

    @property
    def has_tasks(self) -> bool:
        return "sync_link" in self.functions

    @property
    def task_enqueuers(self) -> list[str]:
        """The functions Terraform lets queue tasks (local.queue_enqueuers, evaluated)."""
        _shape(self, "queue_enqueuers")
        names = self.cfg.locals.get("task_enqueuers")
        if not isinstance(names, list):
            raise Unevaluable("local.task_enqueuers must be a list literal")
        return [n for n in names if self.has_tasks and n in self.functions]

    def ev(self) -> Evaluator:
        return Evaluator(self.cfg, self.variables)


Problems = list[str]


# --- Evaluating for_each / count ---------------------------------------------------------------

def instances(w: World, label: str, body: dict[str, Any]) -> dict[Any, Any]:
    """{instance key: each.value} of a resource, evaluated as Terraform would."""
    if "for_each" in body and "count" in body:
        raise Unevaluable(f"{label}: both count and for_each")
    if "count" in body:
        if squash(body["count"]) == squash(TASKS_COUNT):
            _shape(w, "sync_tasks")
            return {0: None} if w.has_tasks else {}
        if squash(body["count"]) != squash(SYNC_COUNT):
            raise Unevaluable(f"{label}: count = {body['count']}")
        _shape(w, "schedule_sync")
        return {0: None} if w.has_sync else {}
    fe = body.get("for_each")
    if fe is None:
        return {None: None}
    name = ref(fe)
    fns = w.functions
    if name == "local.functions":
        return dict(fns)
    if name == "local.public_functions":
        _shape(w, "public_functions")
        return {k: v for k, v in fns.items() if v.get("public") is True}
    if name == "local.function_secrets":
        _shape(w, "function_secrets")
        return {f"{fn}/{s}": {"function": fn, "secret": s}
                for fn, v in fns.items() for s in v.get("secrets", [])}
    if name == "local.queue_enqueuers":
        return {n: n for n in w.task_enqueuers}
    if name == "local.runtime_bindings":
        _shape(w, "runtime_bindings")
        roles = w.cfg.locals.get("runtime_roles", [])
        return {f"{fn}/{r}": {"function": fn, "role": r} for fn in fns for r in roles}
    if m := re.fullmatch(r"\$\{toset\(local\.(\w+)\)\}", squash(fe)):
        values = w.cfg.locals.get(m[1])
        if not isinstance(values, list):
            raise Unevaluable(f"{label}: local.{m[1]} is not a list literal")
        return {v: v for v in values}
    raise Unevaluable(f"{label}: for_each = {fe}")


def _shape(w: World, local: str) -> None:
    if squash(w.cfg.locals.get(local)) != squash(SHAPES[local]):
        raise Unevaluable(f"local.{local} = {w.cfg.locals.get(local)!r}; tests/infra/checks.py "
                          f"understands only {SHAPES[local]}")


def bind(value: Any, key: Any, each: Any) -> Any:
    """Substitute each.key / each.value.x into an expression (as a quoted literal)."""
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        if m[0] == "each.key":
            return json.dumps(key)
        return json.dumps(each[m[1]] if m[1] else each)

    out = re.sub(r"each\.key|each\.value(?:\.(\w+))?", sub, value)
    # A whole-expression literal (`${"links"}`) is just the literal.
    if (m := re.fullmatch(r'\$\{"([^"]*)"\}', out)) is not None:
        return m[1]
    return out


# --- The rules -------------------------------------------------------------------------------

def check_parse(w: World) -> Problems:
    return [f"declared twice: {d}" for d in w.cfg.duplicates]


def check_function_set(w: World) -> Problems:
    """Terraform deploys exactly main.py's entry points, each fully described."""
    out = []
    deployed, exported = set(w.functions), set(w.facts.exports)
    for name in sorted(exported - deployed):
        out.append(f"main.py exports {name!r} but infra/functions.tf does not deploy it: add this line "
                   f"to local.functions (and review it): {suggested_line(w, name)}")
    for name in sorted(deployed - exported):
        out.append(f"infra/functions.tf deploys {name!r}, which main.py does not export")
    for name, spec in w.functions.items():
        if not isinstance(spec, dict) or set(spec) != set(FUNCTION_ATTRS):
            out.append(f"local.functions.{name} must have exactly {sorted(FUNCTION_ATTRS)}")
            continue
        for attr, typ in FUNCTION_ATTRS.items():
            if not isinstance(spec[attr], typ) or (typ is int and isinstance(spec[attr], bool)):
                out.append(f"local.functions.{name}.{attr} must be a {typ.__name__} literal")
    return out


def suggested_line(w: World, name: str) -> str:
    """The local.functions entry for a new entry point, from what its code reads."""
    secrets = ", ".join(f'"{s}"' for s in w.facts.secret_names if s in w.facts.secrets.get(name, ()))
    private = name in PRIVATE
    public = "false" if private else "true"
    timeout, cap = {"sync": (540, 2), "sync_link": (540, 10), "google_push": (60, 20)}.get(name, (60, 5))
    return (f'{name} = {{ public = {public}, secrets = [{secrets}], memory = "512M", '
            f"timeout_seconds = {timeout}, max_instances = {cap} }}")


def check_function_resource(w: World) -> Problems:
    """One HTTP function (2nd gen, python312) per entry, named after it, with its own identity."""
    out: Problems = []
    fns = w.cfg.of_type("google_cloudfunctions2_function")
    if set(fns) != {"fn"}:
        return [f"expected one google_cloudfunctions2_function 'fn' (for_each), found {sorted(fns)}"]
    body = fns["fn"]
    if ref(body.get("for_each")) != "local.functions":
        out.append("google_cloudfunctions2_function.fn must have for_each = local.functions")
    expect = {"name": "${each.key}", "location": "${var.region}"}
    out += [f"fn.{k} must be {v}" for k, v in expect.items() if body.get(k) != v]
    build = blocks(body, "build_config")
    service = blocks(body, "service_config")
    if len(build) != 1 or len(service) != 1:
        return [*out, "fn needs exactly one build_config and one service_config block"]
    build_cfg, service_cfg = build[0], service[0]
    if build_cfg.get("entry_point") != "${each.key}":
        out.append("fn.build_config.entry_point must be each.key (the name in main.py)")
    try:
        runtime = w.ev().value(build_cfg.get("runtime"))
    except Unevaluable as exc:
        runtime = str(exc)
    if runtime != "python312":
        out.append(f"fn runtime is {runtime!r}, the product targets python312")
    storage = [s for src in blocks(build_cfg, "source") for s in blocks(src, "storage_source")]
    if len(storage) != 1 or storage[0].get("object") != "${google_storage_bucket_object.source.name}":
        out.append("fn source must be the hashed zip google_storage_bucket_object.source")
    if service_cfg.get("service_account_email") != "${google_service_account.fn[each.key].email}":
        out.append("fn must run as its own service account google_service_account.fn[each.key]")
    if service_cfg.get("environment_variables") != "${local.function_env[each.key]}":
        out.append("fn.service_config.environment_variables must be local.function_env[each.key]")
    for mounted in ("secret_environment_variables", "secret_volumes"):
        if mounted in service_cfg:
            out.append(f"fn mounts secrets ({mounted}); the code reads them from Secret Manager by name")
    if service_cfg.get("ingress_settings") != "ALLOW_ALL":
        out.append("fn.ingress_settings must be ALLOW_ALL (callers are browsers, the planner and "
                   "Cloud Scheduler; IAM and the JWT decide who gets in)")
    for name, trigger in w.facts.triggers.items():
        if trigger != "http":
            out.append(f"{name} is not an HTTP function in the code ({trigger or 'no decorator'}); "
                       "infra deploys every entry point with an HTTP trigger")
    if "event_trigger" in body:
        out.append("fn has an event_trigger: every entry point is an HTTP function")
    return out


def check_source(w: World) -> Problems:
    """The zip holds main.py, requirements.txt and the package (no caches), named by its hash."""
    out = []
    obj = w.cfg.resource("google_storage_bucket_object", "source")
    if not re.search(r"\$\{data\.archive_file\.source\.output_(sha256|base64sha256|sha512|md5|sha)\}",
                     str(obj.get("name", ""))):
        out.append("the source object's name must contain the zip's hash (a change must redeploy)")
    if obj.get("source") != "${data.archive_file.source.output_path}":
        out.append("the source object must upload data.archive_file.source")
    archive = w.cfg.data.get(("archive_file", "source"), {})
    dyn = [d["source"] for d in blocks(archive, "dynamic") if "source" in d]
    if len(dyn) != 1 or dyn[0].get("for_each") != "${local.source_files}":
        out.append("data.archive_file.source must take its files from local.source_files")
    files = squash(w.cfg.locals.get("source_files"))
    allow_list = ('"main.py"', '"requirements.txt"', 'fileset(local.repo_root,"functions/**")', "__pycache__")
    for needed in allow_list:
        if needed not in files:
            out.append(f"local.source_files must include {needed} (allow-list of what is deployed)")
    for path in ("main.py", "requirements.txt", "functions/__init__.py"):
        if not (ROOT / path).is_file():
            out.append(f"{path} is missing from the repository")
    return out


FORBIDDEN_ENV = {
    "FIRESTORE_EMULATOR_HOST": "production uses Google's own endpoints (the defaults)",
    "GOOGLE_API_ROOT": "production uses Google's own endpoints (the defaults)",
    "GOOGLE_AUTH_URI": "production uses Google's own endpoints (the defaults)",
    "GOOGLE_TOKEN_URI": "production uses Google's own endpoints (the defaults)",
    "GOOGLE_REVOKE_URI": "production uses Google's own endpoints (the defaults)",
    "GOOGLE_OIDC_CERTS_URI": "production uses Google's own endpoints (the defaults)",
    "CLOUD_TASKS_API_ENDPOINT": "that is the local Cloud Tasks emulator; production uses Google's",
}


def function_env(w: World) -> dict[str, dict[str, Any]]:
    """{function: the environment Terraform gives it (unevaluated)}, local.function_env as
    Terraform computes it: local.env, plus local.task_env for the functions that queue tasks."""
    _shape(w, "function_env")
    env, task_env = w.cfg.locals.get("env"), w.cfg.locals.get("task_env")
    if not isinstance(env, dict) or not isinstance(task_env, dict):
        raise Unevaluable("local.env and local.task_env must be map literals")
    enqueuers = set(w.task_enqueuers)
    return {fn: {**env, **(task_env if fn in enqueuers else {})} for fn in w.functions}


def queue_id(w: World) -> str:
    """The resource name of the sync-links queue (what SYNC_QUEUE must be)."""
    queue = w.cfg.resource("google_cloud_tasks_queue", "sync_links")
    name, location = w.ev().value(queue.get("name")), w.ev().value(queue.get("location"))
    return f"projects/{w.variables['project_id']}/locations/{location}/queues/{name}"


def tasks_email(w: World) -> str:
    account_id = w.cfg.resource("google_service_account", "tasks").get("account_id")
    return f"{account_id}@{w.variables['project_id']}.iam.gserviceaccount.com"


def check_env(w: World) -> Problems:
    """Every function gets what config.py requires, nothing unknown, no secret, no emulator; the
    functions that queue tasks get the queue and its timings, and no other function does."""
    out = []
    env = w.cfg.locals.get("env")
    if not isinstance(env, dict):
        return ["local.env must be a map literal"]
    needed = {*w.facts.required_env, "GOOGLE_CLOUD_PROJECT", "SYNC_HORIZON_DAYS"}
    out += [f"local.env does not set {k}" for k in sorted(needed - set(env))]
    maps = {"env": env, "task_env": w.cfg.locals.get("task_env") or {}}
    for label, values in maps.items():
        out += [f"local.{label} sets {k}, which functions/config.py never reads"
                for k in sorted(set(values) - set(w.facts.env_defaults))]
        out += [f"local.{label} sets {k}: a secret must stay in Secret Manager"
                for k in values if k.startswith("SECRET_")]
        out += [f"local.{label} sets {k}: {why}" for k, why in sorted(FORBIDDEN_ENV.items()) if k in values]
    try:
        envs = function_env(w)
    except Unevaluable as exc:
        return [*out, str(exc)]
    region, project = w.variables["region"], w.variables["project_id"]
    for fn, raw in envs.items():
        try:
            rendered = {k: str(w.ev().value(v)) for k, v in raw.items()}
            settings = Settings.from_env(rendered)
        except (Unevaluable, KeyError) as exc:
            out.append(f"the environment of {fn} cannot be evaluated: {exc}")
            continue
        except ConfigError as exc:
            out.append(f"functions/config.py refuses the deployed environment of {fn}: {exc}")
            continue
        if rendered.get("PUBLIC_BASE_URL") != f"https://{region}-{project}.cloudfunctions.net":
            out.append(f"PUBLIC_BASE_URL renders to {rendered.get('PUBLIC_BASE_URL')!r}, "
                       "not the functions' base URL")
        if rendered.get("GOOGLE_CLOUD_PROJECT") != project:
            out.append("GOOGLE_CLOUD_PROJECT must be var.project_id")
        out += _task_env_problems(w, fn, settings)
        out += _push_env_problems(w, fn, settings)
    return sorted(set(out), key=out.index)


def _push_env_problems(w: World, fn: str, settings: Settings) -> Problems:
    """Push on (google_push and the queue deployed, var.push_enabled): every function is told
    the webhook's HTTPS URL under PUBLIC_BASE_URL and the long backstop; off: no URL at all."""
    push = settings.push
    on = ("google_push" in w.functions and w.has_tasks and w.variables.get("push_enabled") is True)
    if not on:
        if not push.url:
            return []
        return [f"{fn} gets GOOGLE_PUSH_URL {push.url!r}, but push is off (google_push, the queue or "
                "var.push_enabled missing): channels would name a webhook that is not there"]
    out = []
    expected = settings.public_base_url + "/google_push"
    if push.url != expected:
        out.append(f"GOOGLE_PUSH_URL of {fn} is {push.url!r}, not the webhook {expected!r}")
    elif not expected.startswith("https://"):
        out.append("GOOGLE_PUSH_URL must be https: Google delivers push notifications to HTTPS only")
    if push.poll_minutes != w.variables.get("sync_push_poll_minutes"):
        out.append(f"SYNC_PUSH_POLL_MINUTES of {fn} is {push.poll_minutes}, not var.sync_push_poll_minutes")
    return out


def _task_env_problems(w: World, fn: str, settings: Settings) -> Problems:
    tasks = settings.tasks
    queues = fn in w.facts.enqueuers
    if not w.has_tasks:
        return [f"{fn} gets SYNC_QUEUE, but sync_link (and so the queue) is not deployed"
                ] if tasks.queue else []
    out = []
    try:
        expected = queue_id(w)
    except Unevaluable as exc:
        return [f"the queue's name: {exc}"]
    if queues and tasks.queue != expected:
        out.append(f"the code of {fn} queues link tasks, but its SYNC_QUEUE is {tasks.queue!r}, "
                   f"not the queue {expected!r}")
    if not queues and tasks.queue is not None:
        out.append(f"{fn} gets SYNC_QUEUE, but its code queues no task")
    if tasks.queue is not None:
        if tasks.poll_minutes != w.variables.get("sync_poll_minutes"):
            out.append(f"SYNC_POLL_MINUTES of {fn} is {tasks.poll_minutes}, not var.sync_poll_minutes")
        if tasks.debounce_seconds != w.variables.get("sync_debounce_seconds"):
            out.append(f"SYNC_DEBOUNCE_SECONDS of {fn} is {tasks.debounce_seconds}, "
                       "not var.sync_debounce_seconds")
    if (queues or fn == "sync_link") and tasks.invoker != tasks_email(w):
        out.append(f"{fn} takes the tasks' OIDC identity to be {tasks.invoker!r}, but the queue's tokens "
                   f"are {tasks_email(w)!r} (SYNC_TASKS_INVOKER_EMAIL and the tasks account must agree)")
    return out


def check_secrets(w: World) -> Problems:
    """The secrets exist by the code's names, and each function may read what its code reads."""
    out = []
    names = w.cfg.locals.get("secret_names")
    if not isinstance(names, list) or sorted(names) != sorted(w.facts.secret_names):
        out.append(f"local.secret_names {names} != functions/config.py SECRET_NAMES "
                   f"{list(w.facts.secret_names)}")
    secret = w.cfg.resource("google_secret_manager_secret", "secret")
    if (squash(secret.get("for_each")) != squash("${toset(local.secret_names)}")
            or secret.get("secret_id") != "${each.key}"):
        out.append("google_secret_manager_secret.secret must be for_each = toset(local.secret_names), "
                   "secret_id = each.key")
    if not blocks(secret, "replication"):
        out.append("google_secret_manager_secret.secret needs a replication block")
    for name, spec in w.functions.items():
        granted = set(spec.get("secrets", []))
        unknown = granted - set(w.facts.secret_names)
        if unknown:
            out.append(f"{name} is granted unknown secrets {sorted(unknown)}")
        if len(granted) != len(spec.get("secrets", [])):
            out.append(f"{name} lists a secret twice")
        needs = w.facts.secrets.get(name, frozenset())
        if needs - granted:
            out.append(f"the code of {name} reads {sorted(needs - granted)} but "
                       f"local.functions.{name}.secrets does not grant it")
    return out


def check_no_secret_values(w: World) -> Problems:
    """No secret value, version or secret-carrying variable anywhere in Terraform."""
    out = []
    for rtype, name in w.cfg.resources:
        if rtype.startswith("google_secret_manager") and "version" in rtype:
            out.append(f"{rtype}.{name}: secret versions are added out of band, never by Terraform")
    for (rtype, name), body in w.cfg.resources.items():
        for path, _ in walk(body):
            if re.search(r"(^|\.)(secret_data\w*|payload)(\.|\[|$)", path):
                out.append(f"{rtype}.{name}.{path}: a secret value would be in the Terraform state")
    for var in w.cfg.variables:
        if re.search(r"secret|password|token|_key$|^key", var):
            out.append(f"variable {var!r}: secrets are not Terraform inputs")
    patterns = {
        "an OAuth client secret": r"GOCSPX-",
        "a private key": r"-----BEGIN",
        "a client_secret field": r"client_secret",
        "base64 key material": r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=",
        "a JWT": r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        "a SECRET_ override": r"\bSECRET_[A-Z_]+\s*=",
    }
    for fname, text in w.cfg.texts.items():
        for what, pattern in patterns.items():
            if re.search(pattern, text):
                out.append(f"infra/{fname} contains what looks like {what}")
    return out


def _member(text: str) -> str:
    text = str(text)
    if text in ("allUsers", "allAuthenticatedUsers"):
        return text
    if m := re.fullmatch(r'serviceAccount:\$\{google_service_account\.fn\["([^"]+)"\]\.email\}', text):
        return f"sa:fn[{m[1]}]"
    if text == "serviceAccount:${google_service_account.builder.email}":
        return "sa:builder"
    if text == "serviceAccount:${google_service_account.scheduler[0].email}":
        return "sa:scheduler"
    if text == "serviceAccount:${google_service_account.tasks[0].email}":
        return "sa:tasks"
    return f"?{text}"


def _scope(rtype: str, body: dict[str, Any]) -> str:
    if rtype == "google_project_iam_member":
        return "project" if body.get("project") == "${var.project_id}" else f"?{body.get('project')}"
    if rtype == "google_secret_manager_secret_iam_member":
        m = re.fullmatch(r'\$\{google_secret_manager_secret\.secret\["([^"]+)"\]\.secret_id\}',
                         str(body.get("secret_id")))
        return f"secret:{m[1]}" if m else f"?{body.get('secret_id')}"
    if rtype == "google_cloud_run_service_iam_member":
        pattern = r'\$\{google_cloudfunctions2_function\.fn\["([^"]+)"\]\.service_config\[0\]\.service\}'
        m = re.fullmatch(pattern, str(body.get("service")))
        return f"run:{m[1]}" if m and body.get("location") == "${var.region}" else f"?{body.get('service')}"
    if rtype == "google_cloud_tasks_queue_iam_member":
        queue = "google_cloud_tasks_queue.sync_links[0]"
        if (body.get("name") == f"${{{queue}.name}}" and body.get("location") == f"${{{queue}.location}}"
                and body.get("project") == "${var.project_id}"):
            return "queue:sync-links"
        return f"?{body.get('name')}"
    if rtype == "google_service_account_iam_member":
        # The grant is on one service account (the resource), never on the project.
        if body.get("service_account_id") == "${google_service_account.tasks[0].name}":
            return "account:tasks"
        return f"?{body.get('service_account_id')}"
    return "?"


def grants(w: World) -> set[tuple[str, str, str]]:
    """Every (scope, role, member) the IAM resources create, instances expanded."""
    out = set()
    for (rtype, name), body in w.cfg.resources.items():
        if rtype not in IAM_MEMBER_TYPES:
            continue
        for key, each in instances(w, f"{rtype}.{name}", body).items():
            bound = {k: bind(v, key, each) for k, v in body.items() if isinstance(v, str)}
            role = bound.get("role", "")
            if "${" in role:
                role = f"?{role}"
            out.add((_scope(rtype, bound), role, _member(bound.get("member", ""))))
    return out


def expected_grants(w: World) -> set[tuple[str, str, str]]:
    out = set()
    for fn, spec in w.functions.items():
        sa = f"sa:fn[{fn}]"
        out |= {("project", role, sa) for role in w.cfg.locals.get("runtime_roles", [])}
        for s in spec.get("secrets", []):
            out |= {(f"secret:{s}", "roles/secretmanager.secretAccessor", sa),
                    (f"secret:{s}", "roles/secretmanager.viewer", sa)}
        if spec.get("public") is True:
            out.add((f"run:{fn}", "roles/run.invoker", "allUsers"))
    out |= {("project", role, "sa:builder") for role in w.cfg.locals.get("builder_roles", [])}
    if w.has_sync:
        out.add(("run:sync", "roles/run.invoker", "sa:scheduler"))
    if w.has_tasks:
        out.add(("run:sync_link", "roles/run.invoker", "sa:tasks"))
        # What the code says: the functions that create tasks (not what Terraform lists).
        for fn in sorted(w.facts.enqueuers & set(w.functions)):
            out |= {("queue:sync-links", "roles/cloudtasks.enqueuer", f"sa:fn[{fn}]"),
                    ("account:tasks", "roles/iam.serviceAccountUser", f"sa:fn[{fn}]")}
    return out


def check_iam(w: World) -> Problems:
    """Only reviewed, non-authoritative grants; exactly the ones local.functions implies."""
    out = []
    for (rtype, name) in w.cfg.resources:
        if re.search(r"_iam_(binding|policy|audit_config)$", rtype):
            out.append(f"{rtype}.{name}: authoritative IAM would remove grants made elsewhere; "
                       "use *_iam_member")
        elif (rtype.endswith("_iam_member") or "custom_role" in rtype) and rtype not in IAM_MEMBER_TYPES:
            out.append(f"{rtype}.{name}: a grant that tests/infra has not reviewed")
    for fname, text in w.cfg.texts.items():
        for role in sorted(set(re.findall(r"roles/[\w.]+", text))):
            if role in BASIC_ROLES:
                out.append(f"infra/{fname} grants the basic role {role}")
            elif role not in REVIEWED_ROLES:
                out.append(f"infra/{fname} uses {role}, which is not among the reviewed roles")
    if w.cfg.locals.get("runtime_roles") != RUNTIME_ROLES:
        out.append(f"local.runtime_roles must be {RUNTIME_ROLES}: functions need Firestore and "
                   "nothing else project-wide")
    if set(w.cfg.locals.get("builder_roles", [])) != BUILDER_ROLES:
        out.append(f"local.builder_roles must be {sorted(BUILDER_ROLES)} "
                   "(Google's minimum for a build account)")
    try:
        actual, expected = grants(w), expected_grants(w)
    except Unevaluable as exc:
        return [*out, str(exc)]
    for g in sorted(actual - expected):
        out.append(f"unexpected grant {g}")
    for g in sorted(expected - actual):
        out.append(f"missing grant {g}")
    for scope, role, member in actual:
        if member.startswith("all") and role != "roles/run.invoker":
            out.append(f"{member} gets {role} on {scope}")
    return out


def check_service_accounts(w: World) -> Problems:
    """One valid, distinct service account per function, plus the build and Scheduler ones."""
    out = []
    fn = w.cfg.resource("google_service_account", "fn")
    if ref(fn.get("for_each")) != "local.functions" or fn.get("account_id") != SA_ACCOUNT_ID:
        return [f"google_service_account.fn must be for_each = local.functions, account_id = {SA_ACCOUNT_ID}"]
    ids = {f"fn[{name}]": "fn-" + name.replace("_", "-") for name in w.functions}
    ids["builder"] = w.cfg.resource("google_service_account", "builder").get("account_id", "")
    if w.has_sync:
        ids["scheduler"] = w.cfg.resource("google_service_account", "scheduler").get("account_id", "")
    if w.has_tasks:
        ids["tasks"] = w.cfg.resource("google_service_account", "tasks").get("account_id", "")
    for who, account_id in ids.items():
        if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", str(account_id)):
            out.append(f"service account {who}: {account_id!r} is not a valid account id (6-30 chars)")
    if len(set(ids.values())) != len(ids):
        out.append("two service accounts share an account id")
    others = set(w.cfg.of_type("google_service_account")) - {"fn", "builder", "scheduler", "tasks"}
    out += [f"google_service_account.{o} is not reviewed by tests/infra" for o in sorted(others)]
    return out


def check_access(w: World) -> Problems:
    """Public functions gate every route in code; sync and sync_link are private; the callback
    is public; the worker's code takes the queue's OIDC token and nothing else."""
    out = []
    for name, spec in w.functions.items():
        public = spec.get("public")
        if name == "oauth_callback":
            if public is not True:
                out.append("oauth_callback must be public: Google redirects the user's browser to it")
            continue    # its gate is the single-use OAuth state, not a JWT
        if name == "google_push":
            if public is not True:
                out.append("google_push must be public: Google posts its push notifications to it")
            if spec.get("secrets"):
                out.append(f"google_push is granted {spec.get('secrets')}: the webhook anyone may call "
                           "reads no secret (a channel's token is checked against its stored hash)")
            continue    # its gate is each channel's own token, compared with its stored hash
        if name in PRIVATE and public is not False:
            out.append(f"{name} must be private: only {PRIVATE[name]} may invoke it")
        if public is True:
            for handler in w.facts.unauthenticated_routes.get(name, []):
                out.append(f"{name} is public but {handler} does not check the planner JWT (caller_of)")
    if "sync_link" in w.facts.exports:
        routes = w.facts.route_auth.get("sync_link", {})
        if not routes:
            out.append("no route of sync_link found: the check of its authentication would be vacuous")
        for handler, calls in routes.items():
            if calls != {"authenticate_task"}:
                out.append(f"sync_link's {handler} authenticates with {sorted(calls)}: the worker must take "
                           "the queue's OIDC token only (authenticate_task), never a planner JWT")
    return out


def check_scheduler(w: World) -> Problems:
    """If main.py exports sync: a Scheduler job calls it with an OIDC token of its own account.
    If not: no Scheduler job, no Scheduler account, no grant."""
    out = []
    jobs = w.cfg.of_type("google_cloud_scheduler_job")
    if set(jobs) != {"sync"}:
        return [f"expected one google_cloud_scheduler_job 'sync', found {sorted(jobs)}"]
    job = jobs["sync"]
    account = w.cfg.resource("google_service_account", "scheduler")
    grant = w.cfg.resource("google_cloud_run_service_iam_member", "scheduler_invokes_sync")
    try:
        counts = {label: len(instances(w, label, body)) for label, body in
                  (("scheduler job", job), ("scheduler account", account), ("scheduler grant", grant))}
    except Unevaluable as exc:
        return [str(exc)]
    if "sync" not in w.facts.exports:
        out += [f"the {label} exists although main.py exports no sync" for label, n in counts.items() if n]
        return out
    out += [f"main.py exports sync but the {label} would not be created"
            for label, n in counts.items() if n != 1]
    targets = [t for t in blocks(job, "http_target")]
    if len(targets) != 1:
        return [*out, "the Scheduler job needs one http_target"]
    target = targets[0]
    try:
        rendered = w.ev().value(w.cfg.locals.get("public_base_url"))
        base = Settings.from_env({"PUBLIC_BASE_URL": rendered}).public_base_url
        uri = w.ev().value(target.get("uri"))
        if uri != f"{base}/sync":
            out.append(f"the Scheduler job calls {uri!r}, not sync at PUBLIC_BASE_URL/sync")
    except (Unevaluable, ConfigError) as exc:
        out.append(f"the Scheduler job's uri: {exc}")
    if target.get("http_method") != "POST":
        out.append("the Scheduler job must POST (API.md: POST /sync)")
    oidc = blocks(target, "oidc_token")
    if "oauth_token" in target or len(oidc) != 1:
        out.append("the Scheduler job must authenticate with an OIDC token (not OAuth, not none)")
    elif oidc[0].get("service_account_email") != "${google_service_account.scheduler[0].email}":
        out.append("the OIDC token must be the Scheduler's own service account's")
    elif oidc[0].get("audience") != target.get("uri"):
        out.append("the OIDC token's audience must be the URL it is sent to (PUBLIC_BASE_URL/sync)")
    if job.get("schedule") != "*/${var.sync_interval_minutes} * * * *":
        out.append("the Scheduler job must run every var.sync_interval_minutes")
    try:
        schedule = w.ev().value(job.get("schedule"))
        if schedule != f"*/{w.variables['sync_interval_minutes']} * * * *":
            out.append(f"schedule renders to {schedule!r}")
    except Unevaluable as exc:
        out.append(f"schedule: {exc}")
    if w.has_tasks and w.variables.get("sync_interval_minutes") != 1:
        out.append(f"the Scheduler calls sync every {w.variables.get('sync_interval_minutes')} minutes, but "
                   "with the queue sync dispatches the links of the current minute only: "
                   "it must be every minute")
    if w.has_tasks and squash(EVERY_MINUTE) not in preconditions(job):
        out.append("the Scheduler job needs a precondition that keeps sync_interval_minutes at 1 "
                   "with the queue")
    if account.get("account_id") != "sync-scheduler":
        out.append("the Scheduler's account must be sync-scheduler (sync checks the token's email)")
    scheduler = "serviceAccount:${google_service_account.scheduler[0].email}"
    if grant.get("role") != "roles/run.invoker" or grant.get("member") != scheduler:
        out.append("the Scheduler's account needs roles/run.invoker on sync, and only that")
    return out


def preconditions(body: dict[str, Any]) -> set[str]:
    """The conditions of a resource's lifecycle preconditions, without whitespace."""
    return {squash(p.get("condition"))
            for lc in blocks(body, "lifecycle") for p in blocks(lc, "precondition")}


def check_firestore(w: World) -> Problems:
    """The default Native database, its indexes from firestore.indexes.json, TTL on consent states."""
    out = []
    db = w.cfg.resource("google_firestore_database", "main")
    if db.get("name") != "(default)" or db.get("type") != "FIRESTORE_NATIVE":
        out.append("google_firestore_database.main must be the (default) database in FIRESTORE_NATIVE mode "
                   "(the code opens the default database)")
    try:
        _shape(w, "firestore")
    except Unevaluable as exc:
        out.append(str(exc))
    index = w.cfg.resource("google_firestore_index", "composite")
    if "local.firestore.indexes" not in str(index.get("for_each")):
        out.append("google_firestore_index.composite must be created from local.firestore.indexes")
    override = w.cfg.resource("google_firestore_field", "override")
    if "local.firestore.fieldOverrides" not in str(override.get("for_each")):
        out.append("google_firestore_field.override must be created from local.firestore.fieldOverrides")
    ttl = [d["ttl_config"] for d in blocks(override, "dynamic") if "ttl_config" in d]
    if len(ttl) != 1 or "each.value.ttl" not in str(ttl[0].get("for_each")):
        out.append("google_firestore_field.override must turn on ttl_config for overrides with ttl: true")
    spec = w.firestore
    ttls = {(o.get("collectionGroup"), o.get("fieldPath"))
            for o in spec.get("fieldOverrides", []) if o.get("ttl") is True}
    if ("consent_states", "expires_at") not in ttls:
        out.append("firestore.indexes.json needs the TTL override on consent_states.expires_at")
    if "google_push" in w.facts.exports and ("channels", "delete_at") not in ttls:
        out.append("firestore.indexes.json needs the TTL override on channels.delete_at (ended push "
                   "channels' documents)")
    store = (ROOT / "functions" / "adapters" / "firestore_store.py").read_text(encoding="utf-8")
    if '"consent_states"' not in store or '"expires_at"' not in store:
        out.append("functions/adapters/firestore_store.py no longer writes consent_states.expires_at: "
                   "update the TTL override")
    composites = [(i.get("collectionGroup"), {f.get("fieldPath") for f in i.get("fields", [])})
                  for i in spec.get("indexes", [])]
    for q in w.facts.queries:
        if not q.needs_composite_index:
            continue
        covered = any((q.collection in (None, coll)) and q.fields <= fields for coll, fields in composites)
        if not covered:
            detail = "a filter the analysis cannot read" if q.unknown else f"fields {sorted(q.fields)}"
            out.append(f"{q.where}: the query ({detail}) needs a composite index in firestore.indexes.json")
    return out


def check_outputs(w: World) -> Problems:
    """The URLs and the redirect URI to register in the OAuth client."""
    out = []
    outputs = w.cfg.outputs
    for name in ("public_base_url", "function_urls", "oauth_redirect_uri"):
        if name not in outputs:
            out.append(f"output {name} is missing")
    urls = str(outputs.get("function_urls", {}).get("value"))
    if "function_urls" in outputs and "google_cloudfunctions2_function.fn" not in urls:
        out.append("output function_urls must list every deployed function's URL")
    try:
        base = w.ev().value(w.cfg.locals.get("public_base_url"))
        redirect = w.ev().value(outputs.get("oauth_redirect_uri", {}).get("value"))
        if redirect != Settings.from_env({"PUBLIC_BASE_URL": base}).redirect_uri:
            out.append(f"output oauth_redirect_uri {redirect!r} is not the redirect URI "
                       "the code sends to Google")
    except (Unevaluable, ConfigError) as exc:
        out.append(f"oauth_redirect_uri: {exc}")
    return out


def check_apis(w: World) -> Problems:
    apis = set(w.cfg.locals.get("apis", []))
    out = [f"local.apis does not enable {a}" for a in sorted(REQUIRED_APIS - apis)]
    service = w.cfg.resource("google_project_service", "apis")
    if squash(service.get("for_each")) != squash("${toset(local.apis)}"):
        out.append("google_project_service.apis must be for_each = toset(local.apis)")
    return out


def check_tasks(w: World) -> Problems:
    """If main.py exports sync_link: the sync-links queue, its rate limits derived from the
    Calendar quota, finite retries with backoff, and a worker that only the tasks service
    account may invoke. If not: no queue, no tasks account, no grant around them."""
    out: Problems = []
    queues = w.cfg.of_type("google_cloud_tasks_queue")
    if set(queues) != {"sync_links"}:
        return [f"expected one google_cloud_tasks_queue 'sync_links', found {sorted(queues)}"]
    queue = queues["sync_links"]
    parts = (("queue", queue), ("tasks account", w.cfg.resource("google_service_account", "tasks")),
             ("worker's invoker grant",
              w.cfg.resource("google_cloud_run_service_iam_member", "tasks_invoke_sync_link")))
    try:
        counts = {label: len(instances(w, label, body)) for label, body in parts}
        actual = grants(w)
        listed = set(w.task_enqueuers)
    except Unevaluable as exc:
        return [str(exc)]
    if "sync_link" not in w.facts.exports:
        out += [f"the {label} exists although main.py exports no sync_link"
                for label, n in counts.items() if n]
        return out
    out += [f"main.py exports sync_link but the {label} would not be created"
            for label, n in counts.items() if n != 1]
    try:
        name = w.ev().value(queue.get("name"))
    except Unevaluable as exc:
        name = str(exc)
    if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", str(name)):
        out.append(f"the queue's name {name!r} is not a queue id")
    if queue.get("location") != "${var.region}":
        out.append("the queue must be in var.region, next to the functions")

    limits = blocks(queue, "rate_limits")
    if len(limits) != 1 or not {"max_dispatches_per_second", "max_concurrent_dispatches"} <= set(limits[0]):
        out.append("the queue has no rate limits (rate_limits.max_dispatches_per_second and "
                   "max_concurrent_dispatches): they are the quota governor; without them Cloud Tasks "
                   "dispatches up to 500 tasks a second, 1,000 at once")
    else:
        out += _governor(w, queue, limits[0])
    out += _retries(w, queue)

    invokers = {member for scope, role, member in actual if scope == "run:sync_link"}
    out += [f"sync_link may be invoked by {member}: only the tasks service account (the queue's OIDC "
            "identity) may invoke the worker" for member in sorted(invokers - {"sa:tasks"})]
    if ("run:sync_link", "roles/run.invoker", "sa:tasks") not in actual:
        out.append("the tasks service account may not invoke sync_link: "
                   "Cloud Run would refuse every task (403)")
    out += [f"the tasks service account gets {role} on {scope}: it may only invoke sync_link"
            for scope, role, member in sorted(actual)
            if member == "sa:tasks" and (scope, role) != ("run:sync_link", "roles/run.invoker")]

    timeout = w.functions.get("sync_link", {}).get("timeout_seconds")
    if isinstance(timeout, int) and timeout >= TASKS_DISPATCH_DEADLINE:
        out.append(f"sync_link's timeout_seconds {timeout} must be below Cloud Tasks' dispatch deadline "
                   f"({TASKS_DISPATCH_DEADLINE} s): the queue would retry an attempt that is still running")

    code = w.facts.enqueuers & set(w.functions)
    out += [f"the code of {fn} queues link tasks, but local.task_enqueuers does not list it "
            "(no enqueuer grant, no SYNC_QUEUE)" for fn in sorted(code - listed)]
    out += [f"local.task_enqueuers lists {fn}, whose code queues no task (grants it does not need)"
            for fn in sorted(listed - code)]
    return out


def _governor(w: World, queue: dict[str, Any], limits: dict[str, Any]) -> Problems:
    """The rate limits, evaluated at the project's quota and at a tenth of it: the queued syncs
    stay within the quota share on average (dispatch rate) and at worst (every running task at
    its account's full per-user rate), so the limits must follow the quota variables."""
    missing = [v for v in GOVERNOR_VARIABLES if v not in w.variables]
    if missing:
        return [f"the quota governor's variables are missing: {missing}"]
    out = []
    share, per_task = w.variables["sync_quota_share"], w.variables["sync_requests_per_task"]
    per_user = w.variables["calendar_quota_per_user_minute"]
    workers = w.functions.get("sync_link", {}).get("max_instances")
    project_quota = w.variables["calendar_quota_per_minute"]
    for quota in (project_quota, project_quota / 10):
        ev = Evaluator(w.cfg, {**w.variables, "calendar_quota_per_minute": quota})
        try:
            rate = ev.value(limits["max_dispatches_per_second"])
            concurrent = ev.value(limits["max_concurrent_dispatches"])
        except Unevaluable as exc:
            return [f"the queue's rate limits: {exc}"]
        budget = quota * share
        at = f"at a Calendar quota of {quota:g}/min"
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= TASKS_MAX_RATE:
            out.append(f"max_dispatches_per_second is {rate!r} {at}: "
                       f"it must be above 0 and at most {TASKS_MAX_RATE}")
        elif rate > 1 and rate * 60 * per_task > budget:
            out.append(f"max_dispatches_per_second {rate:g} {at} lets the queued syncs make "
                       f"{rate * 60 * per_task:g} Calendar requests a minute, more than their share "
                       f"of {budget:g}: derive it from the quota (share x quota / 60 / requests per task)")
        if isinstance(concurrent, bool) or not isinstance(concurrent, int) or concurrent < 1:
            out.append(f"max_concurrent_dispatches is {concurrent!r} {at}: "
                       "it must be a whole number of at least 1")
        elif concurrent > 1 and concurrent * per_user > budget:
            out.append(f"max_concurrent_dispatches {concurrent} {at}: that many tasks at their "
                       f"accounts' full rate ({per_user:g}/min each) exceed the queued syncs' share "
                       f"of {budget:g}: derive it from the quota (share x quota / per-user quota)")
        elif quota == project_quota and isinstance(workers, int) and concurrent > workers:
            out.append(f"max_concurrent_dispatches {concurrent} exceeds sync_link's max_instances {workers}: "
                       "Cloud Run would refuse the surplus dispatches (429)")
    source = limits["max_concurrent_dispatches"]
    bound = squash(f'${{{ref(source) or source} <= local.functions["sync_link"].max_instances}}')
    if bound not in preconditions(queue):
        out.append("the queue needs a precondition that keeps max_concurrent_dispatches within "
                   "sync_link's max_instances (for quotas other than the defaults)")
    return out


def _seconds(value: Any) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(value))
    return float(m[1]) if m else None


def _retries(w: World, queue: dict[str, Any]) -> Problems:
    """The worker's 429/503 are retried with backoff, a bounded number of times."""
    configs = blocks(queue, "retry_config")
    if len(configs) != 1:
        return ["the queue needs one retry_config: the worker answers 429 and 503 to be retried with backoff"]
    try:
        values = {k: w.ev().value(configs[0].get(k)) for k in ("max_attempts", "min_backoff", "max_backoff")}
    except Unevaluable as exc:
        return [f"the queue's retry_config: {exc}"]
    out = []
    attempts = values["max_attempts"]
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 2:
        out.append(f"retry_config.max_attempts is {attempts!r}: it must be a finite number of at least 2 "
                   "(unset is Cloud Tasks' 100, -1 unlimited: a failing link would be retried for days)")
    low, high = _seconds(values["min_backoff"]), _seconds(values["max_backoff"])
    if low is None or high is None:
        out.append("retry_config.min_backoff and max_backoff must be durations in seconds, e.g. \"10s\"")
    elif not 1 <= low <= high:
        out.append(f"retry_config backs off from {low:g} s to {high:g} s: min_backoff must be at least 1 s "
                   "and at most max_backoff")
    return out


# --- Monitoring and backups (infra/monitoring.tf, infra/firestore.tf) --------------------------

# A (logger, message) pair in a log-based metric's filter: `=` the whole message, `=~"^..."` the
# fixed beginning of a message the code formats.
LOG_PAIR = re.compile(r'jsonPayload\.logger="([^"]*)" AND jsonPayload\.message(=~|=)"([^"]*)"')
APP_RESOURCE = 'resource.type="cloud_run_revision" AND '
USER_METRIC = re.compile(r'logging\.googleapis\.com/user/'
                         r'\$\{google_logging_metric\.(\w+)(?:\["(\w+)"\]|\[0\])?\.name\}')
SCHEDULER_LOG = "cloudscheduler.googleapis.com%2Fexecutions"
ATTEMPT_FINISHED = "type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished"
ALERT_CHANNELS = ("${concat(var.alert_notification_channels, "
                  "google_monitoring_notification_channel.email[*].id)}")
# The counts an alert policy may have: off with alerts_enabled, and only while what it watches
# is deployed.
ALERT_COUNTS = {"${local.alerts ? 1 : 0}": None, "${local.alerts && local.schedule_sync ? 1 : 0}": "sync",
                "${local.alerts && local.sync_tasks ? 1 : 0}": "sync_link"}
# What must raise an alert (item 10 of the issue): the app metrics by key, the Scheduler's
# failures and its silence, and the worker's 5xx answers.
ALERTED_APP_METRICS = ("sync_errors", "config_errors")
# The status line (functions/status_log.py) and its metrics: one counts every link entering a state
# someone must act on, by status and reason; the other the grants that die a week after their
# consent (an OAuth app still in "Testing").
STATUS_METRIC = "link_status_changed"
WEEK_METRIC = "grant_dead_after_a_week"
STATUS_LABELS = {"function": "EXTRACT(resource.labels.service_name)", "status": "EXTRACT(jsonPayload.status)",
                 "reason": "EXTRACT(jsonPayload.reason)"}
# Google expires the refresh tokens of an app in "Testing" 7 days after the consent; the window
# around it may be at most a day wide.
TESTING_GRANT_HOURS = 7 * 24
TESTING_WINDOW_HOURS = 24
# The statuses someone must act on (the issue): links entering each raise an alert.
ALERTED_STATUSES = ("needs_reconsent", "calendar_missing", "blocked")
# One comparison of a status metric's filter, and a metric label selector of an alert's filter.
PAYLOAD_TERM = re.compile(r'jsonPayload\.(\w+)(=|>=|<=|>|<)("[^"\\]*"|-?\d+(?:\.\d+)?)')
LABEL_TERM = re.compile(r'metric\.labels\.(\w+)=(?:"([^"]*)"|one_of\(([^)]*)\))')
# Firestore's limits for a backup's retention.
DAILY_BACKUP_MAX = 7 * 86400
WEEKLY_BACKUP_MAX = 14 * 7 * 86400
# The variables of monitoring and backups, with the defaults that keep them optional.
MONITORING_DEFAULTS = {"alert_email": "", "alert_notification_channels": [], "alerts_enabled": True}


def hcl_text(value: Any) -> str:
    """A parsed HCL string (python-hcl2 has undone its escapes: `\\"` is `"`)."""
    return "" if value is None else str(value)


def log_pairs(text: str) -> list[tuple[str, str, str]]:
    """The (logger, operator, value) pairs a log filter selects."""
    return LOG_PAIR.findall(text)


def matching_log_calls(w: World, logger: str, op: str, value: str) -> list[Any]:
    """The code's log calls that a pair of a filter selects."""
    calls = [c for c in w.facts.log_calls if c.logger == logger and c.message is not None]
    if op == "=":
        return [c for c in calls if "%" not in c.message and c.message == value]
    if not value.startswith("^") or re.search(r"[\\.*+?()\[\]{}|$]", value[1:]) or len(value) < 4:
        return []
    return [c for c in calls if c.message.split("%", 1)[0].startswith(value[1:])]


def check_log_metrics(w: World) -> Problems:
    """Every log-based metric counts log lines that really are written: the app metrics select
    log calls of functions/ by logger and message (nothing else of the payload), the Scheduler's
    metrics the attempts of the job Terraform creates."""
    out: Problems = []
    metrics = w.cfg.locals.get("app_log_metrics")
    if not isinstance(metrics, dict) or not metrics:
        return ["local.app_log_metrics must be a map literal of the log-based metrics of the code"]
    app = w.cfg.resource("google_logging_metric", "app")
    expect = {"for_each": "${local.app_log_metrics}", "filter": "${each.value.filter}",
              "name": "${local.log_metric_prefix}/${each.key}"}
    out += [f"google_logging_metric.app.{k} must be {v}" for k, v in expect.items() if app.get(k) != v]
    for key, spec in metrics.items():
        text = hcl_text(spec.get("filter", "") if isinstance(spec, dict) else "")
        pairs = log_pairs(text)
        if not text.startswith(APP_RESOURCE) or not pairs:
            out.append(f"log metric {key}: its filter must be {APP_RESOURCE!r} and (logger, message) pairs")
            continue
        if text.count("jsonPayload.") != 2 * len(pairs):
            out.append(f"log metric {key}: the filter reads jsonPayload fields other than logger and "
                       "message, which tests/infra cannot tie to the code")
        for logger, op, value in pairs:
            if not matching_log_calls(w, logger, op, value):
                out.append(f"log metric {key}: no log call in functions/ writes {value!r} as {logger} "
                           f"(jsonPayload.message{op}): the code renamed or dropped it, or the filter "
                           "is wrong")
    for name in ("scheduler_attempts", "scheduler_failures"):
        body = w.cfg.resource("google_logging_metric", name)
        try:
            n = len(instances(w, name, body))
        except Unevaluable as exc:
            out.append(str(exc))
            continue
        if n != (1 if w.has_sync else 0):
            out.append(f"google_logging_metric.{name} must exist exactly while sync (its Scheduler job) does")
        if not str(body.get("filter", "")).startswith("${local.scheduler_log} AND "):
            out.append(f"google_logging_metric.{name} must filter local.scheduler_log")
        for block in blocks(body, "metric_descriptor") or [{}]:
            if (block.get("metric_kind"), block.get("value_type")) != ("DELTA", "INT64"):
                out.append(f"google_logging_metric.{name} must be a counter (DELTA, INT64)")
    attempts = hcl_text(w.cfg.resource("google_logging_metric", "scheduler_attempts").get("filter", ""))
    if ATTEMPT_FINISHED not in attempts:
        out.append("scheduler_attempts must count the job's AttemptFinished entries")
    failures = hcl_text(w.cfg.resource("google_logging_metric", "scheduler_failures").get("filter", ""))
    if "severity>=ERROR" not in failures:
        out.append("scheduler_failures must count the job's failed attempts (severity>=ERROR)")
    job = w.cfg.resource("google_cloud_scheduler_job", "sync").get("name")
    log = hcl_text(w.cfg.locals.get("scheduler_log", ""))
    if f'resource.labels.job_id="{job}"' not in log or SCHEDULER_LOG not in log \
            or 'resource.type="cloud_scheduler_job"' not in log:
        out.append(f"local.scheduler_log must select the executions log of the Scheduler job {job!r}")
    for block in blocks(app, "metric_descriptor") or [{}]:
        if (block.get("metric_kind"), block.get("value_type")) != ("DELTA", "INT64"):
            out.append("google_logging_metric.app must be counters (DELTA, INT64)")
    return out


def payload_terms(text: str) -> list[tuple[str, str, str | float]] | None:
    """The comparisons (field, operator, value) of a status metric's filter: the functions'
    resource, then jsonPayload comparisons joined by AND; None for anything else (OR, NOT, other
    fields), which tests/infra cannot tie to the code."""
    if not text.startswith(APP_RESOURCE):
        return None
    out: list[tuple[str, str, str | float]] = []
    for part in text[len(APP_RESOURCE):].split(" AND "):
        m = PAYLOAD_TERM.fullmatch(part)
        if not m:
            return None
        out.append((m[1], m[2], m[3][1:-1] if m[3].startswith('"') else float(m[3])))
    return out


def status_line(w: World, event: Any) -> Any:
    """The code's log line that writes `event` as its jsonPayload.event (None: none does)."""
    return next((e for e in w.facts.event_lines if e.event == event), None)


def _status_metric(w: World, name: str) -> tuple[Problems, list[tuple[str, str, str | float]], Any]:
    """The problems of one status metric, its filter's comparisons and the code's line it selects."""
    body = w.cfg.resource("google_logging_metric", name)
    if not body:
        return [f"google_logging_metric.{name} is missing"], [], None
    out: Problems = []
    if "count" in body or "for_each" in body:
        out.append(f"google_logging_metric.{name} must always exist (links change status without sync too)")
    if body.get("name") != f"${{local.log_metric_prefix}}/{name}":
        out.append(f"google_logging_metric.{name} must be named local.log_metric_prefix/{name}")
    for block in blocks(body, "metric_descriptor") or [{}]:
        if (block.get("metric_kind"), block.get("value_type")) != ("DELTA", "INT64"):
            out.append(f"google_logging_metric.{name} must be a counter (DELTA, INT64)")
    try:
        text = hcl_text(w.ev().value(body.get("filter", "")))
    except Unevaluable as exc:
        return [*out, f"log metric {name}: {exc}"], [], None
    terms = payload_terms(text)
    if terms is None:
        return [*out, f"log metric {name}: its filter must be {APP_RESOURCE!r} and jsonPayload comparisons "
                      "joined by AND"], [], None
    fields = {f for f, _, _ in terms}
    if fields & {"message", "logger"}:
        out.append(f"log metric {name} must select the status line by jsonPayload.event, not by its message "
                   "or logger")
    events = [v for f, op, v in terms if f == "event" and op == "="]
    if len(events) != 1:
        return [*out, f'log metric {name} must select one jsonPayload.event="..."'], terms, None
    line = status_line(w, events[0])
    if line is None:
        return [*out, f"log metric {name}: no log call in functions/ writes jsonPayload.event={events[0]!r}: "
                      "functions/status_log.py renamed or dropped it, or the filter is wrong"], terms, None
    out += [f"log metric {name} reads jsonPayload.{f}, which the status line ({line.call.where}) does not "
            "write" for f in sorted(fields - line.call.fields)]
    for f, op, v in terms:
        if f in line.values and (op != "=" or v not in line.values[f]):
            out.append(f"log metric {name}: jsonPayload.{f}{op}{v!r}, but the code logs {f} only as "
                       f"{sorted(line.values[f])}")
        if f == "reason" and v not in line.constants.values():
            out.append(f"log metric {name}: reason {v!r} is not a constant of {line.call.module}")
    return out, terms, line


def check_status_metrics(w: World) -> Problems:
    """The metrics on the status line (functions/status_log.py) select it by jsonPayload.event, read
    only fields it writes and values its callers pass (the reasons: its constants); alerts raise on
    each status someone must act on and on grants that die a week after their consent."""
    out, terms, line = _status_metric(w, STATUS_METRIC)
    body = w.cfg.resource("google_logging_metric", STATUS_METRIC)
    if terms and {f for f, _, _ in terms} != {"event"}:
        out.append(f"log metric {STATUS_METRIC} must count every status change: it selects the event only")
    extractors = body.get("label_extractors") or {}
    if body and extractors != STATUS_LABELS:
        out.append(f"google_logging_metric.{STATUS_METRIC}.label_extractors must be {STATUS_LABELS}")
    labels = {b.get("key") for d in blocks(body, "metric_descriptor") for b in blocks(d, "labels")}
    if body and labels != set(extractors):
        out.append(f"google_logging_metric.{STATUS_METRIC} must declare a label for each extractor")
    if line is not None:
        for key, extract in extractors.items():
            read = re.fullmatch(r"EXTRACT\(jsonPayload\.(\w+)\)", str(extract))
            if read and read[1] not in line.call.fields:
                out.append(f"label {key} extracts jsonPayload.{read[1]}, which the status line lacks")

    week, week_terms, week_line = _status_metric(w, WEEK_METRIC)
    out += week
    if week_line is not None:
        if line is not None and week_line is not line:
            out.append(f"log metric {WEEK_METRIC} must select the same line as {STATUS_METRIC}")
        grant_dead = week_line.constants.get("GRANT_DEAD")
        if grant_dead is None:
            out.append(f"{week_line.call.module} has no constant GRANT_DEAD: which reason is a dead grant?")
        elif ("reason", "=", grant_dead) not in week_terms:
            out.append(f"log metric {WEEK_METRIC} must select jsonPayload.reason={grant_dead!r}")
        lows = [v for f, op, v in week_terms if f == "consent_age_hours" and op in (">=", ">")]
        highs = [v for f, op, v in week_terms if f == "consent_age_hours" and op in ("<=", "<")]
        if not (len(lows) == len(highs) == 1 and all(isinstance(v, float) for v in (*lows, *highs))
                and lows[0] < TESTING_GRANT_HOURS < highs[0] and highs[0] - lows[0] <= TESTING_WINDOW_HOURS):
            out.append(f"log metric {WEEK_METRIC} must select jsonPayload.consent_age_hours within a day "
                       f"around {TESTING_GRANT_HOURS} hours (a lower and an upper number)")
        if {f for f, _, _ in week_terms} != {"event", "reason", "consent_age_hours"}:
            out.append(f"log metric {WEEK_METRIC} must select the event, the reason and the consent's age")

    alerted: set[str] = set()
    week_alerted = False
    for name, policy in w.cfg.of_type("google_monitoring_alert_policy").items():
        for kind, text in _conditions(policy):
            refs = USER_METRIC.findall(text)
            week_alerted |= kind == "threshold" and (WEEK_METRIC, "") in refs
            if (STATUS_METRIC, "") not in refs:
                continue
            for key, single, many in LABEL_TERM.findall(text):
                values = {single} if single else set(re.findall(r'"([^"]*)"', many))
                if key not in labels:
                    out.append(f"alert policy {name} filters on metric.labels.{key}, which {STATUS_METRIC} "
                               "does not have")
                    continue
                if key == "status" and kind == "threshold":
                    alerted |= values
                known = line.values.get(key) if line is not None else None
                if known is not None:
                    out += [f"alert policy {name}: the code never logs {key} {v!r} (it logs {sorted(known)})"
                            for v in sorted(values - known)]
    out += [f"no alert policy raises on links entering {s}" for s in ALERTED_STATUSES if s not in alerted]
    if not week_alerted:
        out.append(f"no alert policy raises on grants dying 7 days after their consent ({WEEK_METRIC})")
    return out


def _conditions(policy: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, filter) of each condition of a policy, kind: threshold | absent | other."""
    out = []
    for cond in blocks(policy, "conditions"):
        for kind in ("condition_threshold", "condition_absent"):
            for block in blocks(cond, kind):
                out.append((kind.removeprefix("condition_"), str(block.get("filter", ""))))
        if not any(k in cond for k in ("condition_threshold", "condition_absent")):
            out.append(("other", ""))
    return out


def check_alerts(w: World) -> Problems:
    """Alert policies on the failures item 10 names, notifying the configured channels, each on
    a metric that exists; a dashboard that shows every log-based metric."""
    out: Problems = []
    policies = w.cfg.of_type("google_monitoring_alert_policy")
    metrics = set(w.cfg.locals.get("app_log_metrics") or {})
    if squash(w.cfg.locals.get("alert_channels")) != squash(ALERT_CHANNELS):
        out.append(f"local.alert_channels must be {ALERT_CHANNELS}")
    if squash(w.cfg.locals.get("alerts")) != squash("${var.alerts_enabled}"):
        out.append("local.alerts must be var.alerts_enabled")
    for var, default in MONITORING_DEFAULTS.items():
        if w.cfg.variables.get(var, {}).get("default", object()) != default:
            out.append(f"variable {var} must default to {default!r} (alerts are optional)")
    channel = w.cfg.resource("google_monitoring_notification_channel", "email")
    if (squash(channel.get("count")) != squash('${var.alert_email == "" ? 0 : 1}')
            or channel.get("type") != "email"):
        out.append("the e-mail notification channel must exist exactly when var.alert_email is set")
    watched: set[str] = set()
    for name, policy in policies.items():
        count = squash(policy.get("count"))
        shapes = {squash(k): v for k, v in ALERT_COUNTS.items()}
        if count not in shapes:
            out.append(f"alert policy {name}: count must be one of {sorted(ALERT_COUNTS)} "
                       "(alerts_enabled switches it)")
        if policy.get("notification_channels") != "${local.alert_channels}":
            out.append(f"alert policy {name} must notify local.alert_channels")
        if not blocks(policy, "documentation"):
            out.append(f"alert policy {name} needs documentation: what it means and what to do")
        conditions = _conditions(policy)
        if not conditions or ("other", "") in conditions:
            out.append(f"alert policy {name} must have threshold or absence conditions only")
        for kind, text in conditions:
            for resource, key in USER_METRIC.findall(text):
                ref_ok = (resource == "app" and key in metrics) or \
                         (resource != "app" and not key and w.cfg.resource("google_logging_metric", resource))
                if not ref_ok:
                    index = f"[{key}]" if key else ""
                    out.append(f"alert policy {name} watches google_logging_metric.{resource}{index}, "
                               "which does not exist")
                    continue
                watched.add(f"{kind}:{key or resource}")
                needs = "sync" if resource.startswith("scheduler") else None
                if needs and shapes.get(count) != needs:
                    out.append(f"alert policy {name} watches a Scheduler metric, so it must exist only "
                               "with sync")
            worker = hcl_text(w.cfg.locals.get("worker_service", ""))
            if "run.googleapis.com/request_count" in text and 'response_code_class="5xx"' in text:
                if "${local.worker_service}" in text:
                    watched.add("threshold:worker_5xx")
                if shapes.get(count) != "sync_link":
                    out.append(f"alert policy {name} watches sync_link, so it must exist only with sync_link")
                if worker != "sync_link".replace("_", "-"):
                    out.append(f"local.worker_service {worker!r} is not the Cloud Run service of sync_link")
    required = {*(f"threshold:{m}" for m in ALERTED_APP_METRICS), "threshold:scheduler_failures",
                "absent:scheduler_attempts", "threshold:worker_5xx"}
    out += [f"no alert policy raises {r.replace(':', ' on ')}" for r in sorted(required - watched)]
    dashboard = hcl_text(w.cfg.resource("google_monitoring_dashboard", "sync").get("dashboard_json", ""))
    if not dashboard:
        out.append("google_monitoring_dashboard.sync is missing")
    shown = {*metrics, *(n for n in w.cfg.of_type("google_logging_metric") if n != "app")}
    out += [f"the dashboard does not show the log-based metric {m}" for m in sorted(shown)
            if f'"{m}"' not in dashboard and f"/{m}" not in dashboard]
    return out


def check_backups(w: World) -> Problems:
    """A daily Firestore backup schedule on the database the code uses, within Firestore's
    retention limits; a weekly one only when asked for."""
    out: Problems = []
    daily = w.cfg.resource("google_firestore_backup_schedule", "daily")
    weekly = w.cfg.resource("google_firestore_backup_schedule", "weekly")
    if not daily:
        return ["google_firestore_backup_schedule.daily is missing: no backups of Firestore"]
    for label, body in (("daily", daily), ("weekly", weekly)):
        if body and body.get("database") != "${google_firestore_database.main.name}":
            out.append(f"the {label} backup schedule must back up google_firestore_database.main")
    if not blocks(daily, "daily_recurrence") or "count" in daily or "for_each" in daily:
        out.append("google_firestore_backup_schedule.daily must always exist, with daily_recurrence")
    weekly_count = "${var.firestore_weekly_backup_retention_weeks > 0 ? 1 : 0}"
    if weekly and (not blocks(weekly, "weekly_recurrence")
                   or squash(weekly.get("count")) != squash(weekly_count)):
        out.append("google_firestore_backup_schedule.weekly must have weekly_recurrence and exist only when "
                   "firestore_weekly_backup_retention_weeks > 0")
    cases = (("daily", daily, "firestore_backup_retention_days", (1, 7), DAILY_BACKUP_MAX, 86400),
             ("weekly", weekly, "firestore_weekly_backup_retention_weeks", (1, 14), WEEKLY_BACKUP_MAX,
              7 * 86400))
    for label, body, var, bounds, limit, unit in cases:
        if not body:
            continue
        for n in bounds:
            try:
                seconds = _seconds(Evaluator(w.cfg, {**w.variables, var: n}).value(body.get("retention")))
            except Unevaluable as exc:
                out.append(f"the {label} backup's retention: {exc}")
                break
            if seconds != n * unit or seconds > limit:
                out.append(f"the {label} backup's retention at {var} = {n} is {seconds} s: it must be {var} "
                           f"in seconds and at most Firestore's {limit} s")
    days = w.variables.get("firestore_backup_retention_days")
    if not isinstance(days, int) or not 1 <= days <= 7:
        out.append(f"default firestore_backup_retention_days {days!r} must be 1..7")
    return out


def check_variables(w: World) -> Problems:
    needed = ("project_id", "region", "sync_interval_minutes", "sync_horizon_days", "sync_poll_minutes",
              "sync_debounce_seconds", "push_enabled", "sync_push_poll_minutes", *GOVERNOR_VARIABLES)
    out = [f"variable {v} is missing" for v in needed if v not in w.cfg.variables]
    interval = w.variables.get("sync_interval_minutes")
    if not isinstance(interval, int) or not 1 <= interval <= 30 or 60 % interval:
        out.append(f"default sync_interval_minutes {interval!r} is not a divisor of 60 between 1 and 30")
    for name in ("sync_poll_minutes", "sync_push_poll_minutes"):
        poll = w.variables.get(name)
        if not isinstance(poll, int) or not 1 <= poll <= 60 or 60 % poll:
            out.append(f"default {name} {poll!r} is not a divisor of 60")
    try:
        Settings.from_env({"PUBLIC_BASE_URL": "https://x.test",
                           "SYNC_HORIZON_DAYS": str(w.variables.get("sync_horizon_days"))})
    except ConfigError as exc:
        out.append(f"default sync_horizon_days: {exc}")
    try:
        Settings.from_env({"PUBLIC_BASE_URL": "https://x.test",
                           "SYNC_POLL_MINUTES": str(w.variables.get("sync_poll_minutes")),
                           "SYNC_DEBOUNCE_SECONDS": str(w.variables.get("sync_debounce_seconds"))})
    except ConfigError as exc:
        out.append(f"default sync_poll_minutes / sync_debounce_seconds: {exc}")
    quota = w.variables.get("calendar_quota_per_minute")
    per_user = w.variables.get("calendar_quota_per_user_minute")
    share, per_task = w.variables.get("sync_quota_share"), w.variables.get("sync_requests_per_task")
    numbers = (quota, per_user, share, per_task)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in numbers):
        out.append(f"the quota governor's defaults {numbers} must be positive numbers")
    elif per_user > quota or share > 1 or per_task < 1:
        out.append("calendar_quota_per_user_minute must not exceed calendar_quota_per_minute, "
                   "sync_quota_share must be at most 1, sync_requests_per_task at least 1")
    return out


CHECKS: dict[str, Callable[[World], Problems]] = {
    f.__name__.removeprefix("check_"): f for f in (
        check_parse, check_function_set, check_function_resource, check_source, check_env,
        check_secrets, check_no_secret_values, check_iam, check_service_accounts, check_access,
        check_scheduler, check_tasks, check_firestore, check_outputs, check_apis, check_variables,
        check_log_metrics, check_status_metrics, check_alerts, check_backups)
}


def all_problems(w: World) -> Problems:
    out = []
    for name, check in CHECKS.items():
        try:
            out += [f"[{name}] {p}" for p in check(w)]
        except Unevaluable as exc:
            out.append(f"[{name}] {exc}")
    return out
