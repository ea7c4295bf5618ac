"""Each rule fails on a deliberately broken copy of infra/ (or of the code facts): the checks
that pass on the real Terraform would notice if it were wrong."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from tests.infra.checks import World, all_problems
from tests.infra.codefacts import CodeFacts, Query
from tests.infra.variants import (
    edit,
    exporting_sync,
    exporting_sync_link,
    with_sync,
    without_sync,
    without_sync_link,
    world_of,
)

SECRET_VERSION = '''
resource "google_secret_manager_secret_version" "token_key" {
  secret      = google_secret_manager_secret.secret["token-key"].id
  secret_data = "c2VjcmV0"
}
'''
BINDING = '''
resource "google_project_iam_binding" "firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  members = ["serviceAccount:${google_service_account.fn["planner"].email}"]
}
'''

PLANNER_LINE = ('    planner        = { public = true, secrets = ["planner-jwt-key"], memory = "512M", '
                'timeout_seconds = 60, max_instances = 20 }\n')
LINKS = 'links          = { public = true, secrets = ["oauth-client", "token-key"'
HORIZON = "    SYNC_HORIZON_DAYS      = tostring(var.sync_horizon_days)"
PROJECT = "    GOOGLE_CLOUD_PROJECT   = var.project_id"
PUSH_URL = "    GOOGLE_PUSH_URL        = local.push_url"
PUSH_POLL = "    SYNC_PUSH_POLL_MINUTES = tostring(var.sync_push_poll_minutes)"
PUSH_LINE = 'google_push    = { public = true, secrets = [], '

ENV = "    environment_variables          = local.function_env[each.key]"
VOLUME = '\n    secret_volumes {\n      mount_path = "/etc/secrets"\n      secret     = "token-key"\n    }'
RUNS_AS = "    service_account_email          = google_service_account.fn[each.key].email"
REVISION = "  # A new revision must find"
EVENT = '  event_trigger {\n    event_type = "google.cloud.pubsub.topic.v1.messagePublished"\n  }\n\n'
ZIP_NAME = 'name   = "source-${data.archive_file.source.output_sha256}.zip"'
OIDC_EMAIL = "      service_account_email = google_service_account.scheduler[0].email"
JOB = 'resource "google_cloud_scheduler_job" "sync" {\n  count = '
INVOKER = '  role     = "roles/run.invoker"\n  member   = "serviceAccount'
SA_BUILDER = 'resource "google_service_account" "builder" {'
RATE_LIMITS = """  rate_limits {
    max_dispatches_per_second = local.sync_dispatches_per_second
    max_concurrent_dispatches = local.sync_concurrent_dispatches
  }
"""
RETRIES = ('  retry_config {\n    max_attempts  = 6\n    min_backoff   = "10s"\n'
           '    max_backoff   = "${var.sync_poll_minutes * 60}s"\n    max_doublings = 4\n  }\n')
WORKER = 'sync_link      = { public = false, secrets = ["oauth-client", "token-key"], memory = "512M", '
WORKER_SIZE = WORKER + "timeout_seconds = 540, "
QUEUERS = "# The functions that queue"
TASKS_MEMBER = '  member   = "serviceAccount:${google_service_account.tasks[0].email}"'
ENQUEUERS = 'task_enqueuers  = ["google_push", "links", "planner", "sync"]'
ACT_AS_PROJECT = '''
resource "google_project_iam_member" "act_as_anyone" {
  project = var.project_id
  role    = "roles/iam.serviceAccountUser"
  member  = "serviceAccount:${google_service_account.fn["sync"].email}"
}
'''
INTERVAL = 'default     = 1\n  description = "Cloud Scheduler calls'
POLL = "    SYNC_POLL_MINUTES     = tostring(var.sync_poll_minutes)"

# (what is broken, file, text, replacement, the problem that must be reported)
BROKEN_TERRAFORM = [
    ("a basic role", "iam.tf", '["roles/datastore.user"]', '["roles/editor"]',
     "[iam] infra/iam.tf grants the basic role roles/editor"),
    ("owner for the builder", "iam.tf", '"roles/storage.objectAdmin"]', '"roles/owner"]',
     "grants the basic role roles/owner"),
    ("an unreviewed role", "secrets.tf", '"roles/secretmanager.viewer"', '"roles/secretmanager.admin"',
     "roles/secretmanager.admin, which is not among the reviewed roles"),
    ("authoritative IAM", "iam.tf", SA_BUILDER, BINDING + SA_BUILDER, "authoritative IAM"),
    ("a function left out", "functions.tf", PLANNER_LINE, "",
     "main.py exports 'planner' but infra/functions.tf does not deploy it"),
    ("a secret the code reads is not granted", "functions.tf", LINKS + ', "planner-jwt-key"', LINKS,
     "the code of links reads ['planner-jwt-key']"),
    ("a secret name the code does not use", "secrets.tf", '"planner-jwt-key"]', '"planner-key"]',
     "local.secret_names"),
    ("a secret value in Terraform", "secrets.tf", "# Read the value", SECRET_VERSION + "# Read the value",
     "secret versions are added out of band"),
    ("a secret in the environment", "functions.tf", HORIZON, HORIZON + '\n    SECRET_TOKEN_KEY = "x"',
     "local.env sets SECRET_TOKEN_KEY"),
    ("a secret mounted into the function", "functions.tf", ENV, ENV + VOLUME, "mounts secrets"),
    ("the emulator in production", "functions.tf", PROJECT, PROJECT + '\n    FIRESTORE_EMULATOR_HOST = "x:1"',
     "local.env sets FIRESTORE_EMULATOR_HOST"),
    ("PUBLIC_BASE_URL not set", "functions.tf", "    PUBLIC_BASE_URL        = local.public_base_url\n", "",
     "local.env does not set PUBLIC_BASE_URL"),
    ("a wrong base URL", "functions.tf", 'cloudfunctions.net"', 'run.app"', "PUBLIC_BASE_URL renders to"),
    ("an unknown variable", "functions.tf", PROJECT, PROJECT + '\n    SYNC_HORIZON    = "30"', "never reads"),
    ("the wrong runtime", "functions.tf", '"python312"', '"python311"', "targets python312"),
    ("a fixed entry point", "functions.tf", "entry_point     = each.key", 'entry_point     = "planner"',
     "entry_point must be each.key"),
    ("a shared service account", "functions.tf", RUNS_AS,
     "    service_account_email          = google_service_account.builder.email", "its own service account"),
    ("an event trigger", "functions.tf", REVISION, EVENT + REVISION, "has an event_trigger"),
    ("a zip name without the hash", "source.tf", ZIP_NAME, 'name   = "source.zip"',
     "must contain the zip's hash"),
    ("the package not in the zip", "source.tf", '"functions/**"', '"functions/*.py"', "functions/**"),
    ("the callback behind IAM", "functions.tf", "oauth_callback = { public = true,",
     "oauth_callback = { public = false,", "oauth_callback must be public"),
    ("a public function without its invoker grant", "functions.tf", "name => spec if spec.public }",
     'name => spec if spec.public && name != "links" }', "local.public_functions"),
    ("allUsers on a private function", "functions.tf", "  for_each = local.public_functions\n",
     "  for_each = local.functions\n", "unexpected grant ('run:sync', 'roles/run.invoker', 'allUsers')"),
    ("sync public", "functions.tf", "sync           = { public = false,", "sync           = { public = true,",
     "sync must be private"),
    ("no OIDC token", "scheduler.tf", "    oidc_token {", "    oauth_token {",
     "must authenticate with an OIDC token"),
    ("an OIDC token of another account", "scheduler.tf", OIDC_EMAIL,
     OIDC_EMAIL.replace("scheduler[0]", 'fn["sync"]'), "the Scheduler's own service account"),
    ("a fixed schedule", "scheduler.tf", '"*/${var.sync_interval_minutes} * * * *"', '"*/5 * * * *"',
     "every var.sync_interval_minutes"),
    ("a Scheduler job that always exists", "scheduler.tf", JOB + "local.schedule_sync ? 1 : 0", JOB + "1",
     "count = 1"),
    ("no invoker grant for the Scheduler", "scheduler.tf", INVOKER,
     INVOKER.replace("run.invoker", "run.developer"), "roles/run.developer"),
    ("no TTL", "firestore.tf", "for_each = try(each.value.ttl, false) ? [1] : []", "for_each = []",
     "must turn on ttl_config"),
    ("a second database", "firestore.tf", '= "(default)"', '= "planner"', "the (default) database"),
    ("no redirect URI output", "outputs.tf", '"${local.public_base_url}/oauth_callback"',
     '"${local.public_base_url}/callback"', "is not the redirect URI the code sends"),
    ("the Calendar API not enabled", "apis.tf", '    "calendar-json.googleapis.com",\n', "",
     "does not enable calendar-json.googleapis.com"),
    ("an interval that does not divide the hour", "variables.tf", "default     = 5", "default     = 7",
     "not a divisor of 60"),
    ("a horizon the code refuses", "variables.tf", "default     = 365", "default     = 5000",
     "sync_horizon_days"),
    # The queue (tasks.tf): its governor, its retries, the worker's door, who may queue.
    ("a queue without rate limits", "tasks.tf", RATE_LIMITS, "", "the queue has no rate limits"),
    ("a fixed dispatch rate", "tasks.tf", "max_dispatches_per_second = local.sync_dispatches_per_second",
     "max_dispatches_per_second = 100", "derive it from the quota (share x quota / 60 / requests per task)"),
    ("a fixed concurrency", "tasks.tf", "max_concurrent_dispatches = local.sync_concurrent_dispatches",
     "max_concurrent_dispatches = 8", "derive it from the quota (share x quota / per-user quota)"),
    ("more tasks at once than worker instances", "functions.tf", WORKER_SIZE + "max_instances = 10",
     WORKER_SIZE + "max_instances = 4", "exceeds sync_link's max_instances 4"),
    ("no precondition on the worker's instances", "tasks.tf", "local.sync_concurrent_dispatches <= ",
     "1 <= ", "needs a precondition that keeps max_concurrent_dispatches within"),
    ("unlimited retries", "tasks.tf", "max_attempts  = 6", "max_attempts  = -1",
     "retry_config.max_attempts is -1"),
    ("Cloud Tasks' default of 100 attempts", "tasks.tf", "    max_attempts  = 6\n", "",
     "retry_config.max_attempts is None"),
    ("no backoff floor", "tasks.tf", 'min_backoff   = "10s"', 'min_backoff   = "0s"',
     "min_backoff must be at least 1 s"),
    ("no retry config", "tasks.tf", RETRIES, "", "needs one retry_config"),
    ("the worker public", "functions.tf", "sync_link      = { public = false,",
     "sync_link      = { public = true,", "sync_link must be private"),
    ("anyone may invoke the worker", "tasks.tf", TASKS_MEMBER, '  member   = "allUsers"',
     "sync_link may be invoked by allUsers"),
    ("the Scheduler's account invokes the worker", "tasks.tf", TASKS_MEMBER,
     TASKS_MEMBER.replace("tasks[0]", "scheduler[0]"), "sync_link may be invoked by sa:scheduler"),
    ("the tasks account with another role than the invoker's", "tasks.tf", 'role     = "roles/run.invoker"',
     'role     = "roles/cloudtasks.enqueuer"', "the tasks service account may not invoke sync_link"),
    ("the planner may not queue", "tasks.tf", ENQUEUERS, 'task_enqueuers  = ["google_push", "links", "sync"]',
     "the code of planner queues link tasks, but local.task_enqueuers does not list it"),
    ("the webhook may not queue", "tasks.tf", ENQUEUERS, 'task_enqueuers  = ["links", "planner", "sync"]',
     "the code of google_push queues link tasks, but local.task_enqueuers does not list it"),
    ("a function that queues nothing may queue", "tasks.tf", ENQUEUERS,
     'task_enqueuers  = ["google_push", "links", "oauth_start", "planner", "sync"]',
     "local.task_enqueuers lists oauth_start, whose code queues no task"),
    ("the webhook private", "functions.tf", PUSH_LINE, PUSH_LINE.replace("public = true", "public = false"),
     "google_push must be public: Google posts its push notifications to it"),
    ("the webhook reads a secret", "functions.tf", PUSH_LINE, PUSH_LINE.replace("[]", '["token-key"]'),
     "the webhook anyone may call reads no secret"),
    ("no push URL", "functions.tf", PUSH_URL + "\n", "",
     "GOOGLE_PUSH_URL of sync_link is None, not the webhook"),
    ("a push URL elsewhere", "functions.tf", '"${local.public_base_url}/google_push"',
     '"${local.public_base_url}/sync"', "GOOGLE_PUSH_URL of sync is"),
    ("a fixed push backstop", "functions.tf", PUSH_POLL, '    SYNC_PUSH_POLL_MINUTES = "30"',
     "SYNC_PUSH_POLL_MINUTES of sync is 30, not var.sync_push_poll_minutes"),
    ("actAs on the whole project", "tasks.tf", QUEUERS, ACT_AS_PROJECT + QUEUERS,
     "unexpected grant ('project', 'roles/iam.serviceAccountUser', 'sa:fn[sync]')"),
    ("the tasks emulator in production", "functions.tf", POLL,
     POLL + '\n    CLOUD_TASKS_API_ENDPOINT = "http://x:1"', "local.task_env sets CLOUD_TASKS_API_ENDPOINT"),
    ("SYNC_QUEUE names another queue", "tasks.tf", '/queues/${local.sync_queue_name}"', '/queues/sync"',
     "its SYNC_QUEUE is 'projects/practice-sync-test/locations/europe-west3/queues/sync'"),
    ("a fixed poll interval", "functions.tf", POLL, '    SYNC_POLL_MINUTES     = "10"',
     "SYNC_POLL_MINUTES of sync is 10, not var.sync_poll_minutes"),
    ("a tasks account the worker does not accept", "tasks.tf", 'account_id   = "sync-tasks"',
     'account_id   = "sync-queue"', "SYNC_TASKS_INVOKER_EMAIL and the tasks account must agree"),
    ("a worker timeout past the dispatch deadline", "functions.tf", WORKER + "timeout_seconds = 540,",
     WORKER + "timeout_seconds = 900,", "below Cloud Tasks' dispatch deadline"),
    ("the Scheduler every 5 minutes with the queue", "variables.tf", INTERVAL, INTERVAL.replace("1", "5"),
     "it must be every minute"),
    ("no precondition on the Scheduler's interval", "scheduler.tf",
     "!local.sync_tasks || var.sync_interval_minutes == 1", "true",
     "needs a precondition that keeps sync_interval_minutes at 1"),
    ("a Scheduler interval that does not divide the hour", "variables.tf", INTERVAL,
     INTERVAL.replace("1", "7"), "default sync_interval_minutes 7 is not a divisor of 60"),
    ("the Cloud Tasks API not enabled", "apis.tf", '    "cloudtasks.googleapis.com",\n', "",
     "does not enable cloudtasks.googleapis.com"),
    # Monitoring (monitoring.tf): metrics on real log lines, alerts on what item 10 names.
    ("a metric on a message the code does not log", "monitoring.tf",
     r'message=\"sync of a link failed\"', r'message=\"sync of the link failed\"',
     "no log call in functions/ writes 'sync of the link failed'"),
    ("a metric on another logger", "monitoring.tf",
     r'logger=\"functions.auth\"', r'logger=\"functions.oidc\"',
     "writes 'OIDC token refused' as functions.oidc"),
    ("a prefix no formatted message starts with", "monitoring.tf",
     r'=~\"^unhandled error in \"', r'=~\"^unhandled failure in \"',
     "writes '^unhandled failure in '"),
    ("a whole-message match of a formatted message", "monitoring.tf",
     r'=~\"^configuration error: \"', r'=\"configuration error: \"',
     "writes 'configuration error: '"),
    ("a filter on a payload field the tests cannot tie to the code", "monitoring.tf",
     r'message=\"Google unavailable; the link is retried next run\""',
     r'message=\"Google unavailable; the link is retried next run\" AND jsonPayload.link=\"b:r\""',
     "reads jsonPayload fields other than logger and message"),
    ("the Scheduler's log of another job", "monitoring.tf",
     r'job_id=\"sync\"', r'job_id=\"sync-job\"',
     "local.scheduler_log must select the executions log of the Scheduler job 'sync'"),
    ("failed attempts counted without their severity", "monitoring.tf",
     "${local.scheduler_log} AND severity>=ERROR", "${local.scheduler_log}",
     "scheduler_failures must count the job's failed attempts"),
    ("an alert that notifies nobody", "monitoring.tf",
     '"Planner sync: errors"\n  combiner              = "OR"\n  severity              = "ERROR"\n'
     '  notification_channels = local.alert_channels',
     '"Planner sync: errors"\n  combiner              = "OR"\n  severity              = "ERROR"\n'
     '  notification_channels = []',
     "alert policy sync_errors must notify local.alert_channels"),
    ("an alert on a metric that does not exist", "monitoring.tf",
     'google_logging_metric.app["sync_errors"].name', 'google_logging_metric.app["sync_error"].name',
     "watches google_logging_metric.app[sync_error], which does not exist"),
    ("no alert on configuration errors", "monitoring.tf",
     'google_logging_metric.app["config_errors"].name', 'google_logging_metric.app["consent_problems"].name',
     "no alert policy raises threshold on config_errors"),
    ("no alert when the Scheduler stops", "monitoring.tf",
     "    condition_absent {", "    condition_monitoring_query_language {",
     "no alert policy raises absent on scheduler_attempts"),
    ("no alert on the worker's 5xx", "monitoring.tf",
     r'AND metric.labels.response_code_class=\"5xx\""', '"',
     "no alert policy raises threshold on worker_5xx"),
    ("the worker's service misnamed", "monitoring.tf",
     'worker_service = "sync-link"', 'worker_service = "sync_link"',
     "local.worker_service 'sync_link' is not the Cloud Run service of sync_link"),
    ("an alert alerts_enabled cannot switch off", "monitoring.tf",
     'count = local.alerts ? 1 : 0\n\n  display_name          = "Planner sync: errors"',
     'count = 1\n\n  display_name          = "Planner sync: errors"',
     "alert policy sync_errors: count must be one of"),
    ("a Scheduler alert without the Scheduler", "monitoring.tf",
     "count = local.alerts && local.schedule_sync ? 1 : 0", "count = local.alerts ? 1 : 0",
     "watches a Scheduler metric, so it must exist only with sync"),
    ("an e-mail channel without an address", "monitoring.tf",
     'count = var.alert_email == "" ? 0 : 1', "count = 1",
     "the e-mail notification channel must exist exactly when var.alert_email is set"),
    ("alerts off by default", "variables.tf",
     'default     = true\n  description = "Create the alert policies',
     'default     = false\n  description = "Create the alert policies',
     "variable alerts_enabled must default to True"),
    ("a metric the dashboard does not show", "monitoring.tf",
     '"config_errors", "consent_problems"]', '"config_errors"]',
     "the dashboard does not show the log-based metric consent_problems"),
    ("the Monitoring API not enabled", "apis.tf", '    "monitoring.googleapis.com",\n', "",
     "does not enable monitoring.googleapis.com"),
    # The status line's metrics and alerts (monitoring.tf, functions/status_log.py).
    ("status changes selected by their message", "monitoring.tf",
     r'AND jsonPayload.event=\"link_status_changed\""',
     r'AND jsonPayload.logger=\"functions.status_log\" AND jsonPayload.message=\"link status changed\""',
     "must select the status line by jsonPayload.event, not by its message or logger"),
    ("status changes on an event the code does not write", "monitoring.tf",
     r'jsonPayload.event=\"link_status_changed\""', r'jsonPayload.event=\"link_status_change\""',
     "no log call in functions/ writes jsonPayload.event='link_status_change'"),
    ("status changes counted only for some statuses", "monitoring.tf",
     "filter      = local.link_status_log",
     r'filter      = "${local.link_status_log} AND jsonPayload.status=\"needs_reconsent\""',
     "must count every status change"),
    ("status changes with an OR the tests cannot read", "monitoring.tf",
     "filter      = local.link_status_log",
     r'filter      = "${local.link_status_log} OR jsonPayload.event=\"link_status\""',
     "log metric link_status_changed: its filter must be"),
    ("status changes without their reason label", "monitoring.tf",
     '    reason   = "EXTRACT(jsonPayload.reason)"\n', "",
     "google_logging_metric.link_status_changed.label_extractors must be"),
    ("a label extracted from a field the code does not write", "monitoring.tf",
     '"EXTRACT(jsonPayload.reason)"', '"EXTRACT(jsonPayload.cause)"',
     "label reason extracts jsonPayload.cause, which the status line lacks"),
    ("the week's grants on a reason the code does not log", "monitoring.tf",
     r'jsonPayload.reason=\"grant_dead\"', r'jsonPayload.reason=\"grant_expired\"',
     "jsonPayload.reason='grant_expired', but the code logs reason only as"),
    ("the week's grants on a field the code does not write", "monitoring.tf",
     "jsonPayload.consent_age_hours>=160 AND jsonPayload.consent_age_hours<=176",
     "jsonPayload.consent_age>=160 AND jsonPayload.consent_age<=176",
     "reads jsonPayload.consent_age, which the status line"),
    ("the week's window misses the 7th day", "monitoring.tf",
     "consent_age_hours>=160", "consent_age_hours>=170",
     "must select jsonPayload.consent_age_hours within a day around 168 hours"),
    ("the week's window without an upper bound", "monitoring.tf",
     " AND jsonPayload.consent_age_hours<=176", "",
     "must select jsonPayload.consent_age_hours within a day around 168 hours"),
    ("the week's window compared as text", "monitoring.tf",
     "consent_age_hours>=160", r'consent_age_hours>=\"160\"',
     "must select jsonPayload.consent_age_hours within a day around 168 hours"),
    ("the week's grants counting every reason", "monitoring.tf",
     r' AND jsonPayload.reason=\"grant_dead\"', "",
     "must select jsonPayload.reason='grant_dead'"),
    ("no alert on calendar_missing", "monitoring.tf",
     r'metric.labels.status=one_of(\"needs_reconsent\", \"calendar_missing\")',
     r'metric.labels.status=\"needs_reconsent\"',
     "no alert policy raises on links entering calendar_missing"),
    ("an alert on a status the code never logs", "monitoring.tf",
     r'metric.labels.status=\"blocked\"', r'metric.labels.status=\"held_back\"',
     "alert policy mass_change_blocked: the code never logs status 'held_back'"),
    ("an alert on a label the metric does not have", "monitoring.tf",
     r'metric.labels.status=\"blocked\"', r'metric.labels.state=\"blocked\"',
     "filters on metric.labels.state, which link_status_changed does not have"),
    ("no alert on grants dying after a week", "monitoring.tf",
     "google_logging_metric.grant_dead_after_a_week.name", "google_logging_metric.link_status_changed.name",
     "no alert policy raises on grants dying 7 days after their consent"),
    ("the dashboard without the status changes", "monitoring.tf",
     r'/link_status_changed\""', r'/link_status\""',
     "the dashboard does not show the log-based metric link_status_changed"),
    # Backups (firestore.tf).
    ("no daily backups", "firestore.tf", "  daily_recurrence {}\n", "",
     "google_firestore_backup_schedule.daily must always exist, with daily_recurrence"),
    ("backups of another database", "firestore.tf",
     'database  = google_firestore_database.main.name\n  retention = "${var.firestore_backup_retention_days',
     'database  = "archive"\n  retention = "${var.firestore_backup_retention_days',
     "the daily backup schedule must back up google_firestore_database.main"),
    ("a daily backup kept longer than Firestore allows", "firestore.tf",
     '"${var.firestore_backup_retention_days * 86400}s"',
     '"${var.firestore_backup_retention_days * 86400 + 86400}s"',
     "the daily backup's retention at firestore_backup_retention_days = 7 is 691200.0 s"),
    ("weekly backups that always exist", "firestore.tf",
     "count = var.firestore_weekly_backup_retention_weeks > 0 ? 1 : 0", "count = 1",
     "google_firestore_backup_schedule.weekly must have weekly_recurrence and exist only when"),
]


@pytest.mark.parametrize(("what", "fname", "old", "new", "reported"), BROKEN_TERRAFORM,
                         ids=[case[0] for case in BROKEN_TERRAFORM])
def test_broken_terraform_is_reported(texts: dict[str, str], facts: CodeFacts,
                                      what: str, fname: str, old: str, new: str, reported: str) -> None:
    base = with_sync(texts)
    problems = all_problems(world_of(edit(base, fname, old, new), exporting_sync(facts)))
    assert any(reported in p for p in problems), f"{what}: {reported!r} not in {problems}"


def test_the_real_terraform_passes_the_same_checks(texts: dict[str, str], facts: CodeFacts) -> None:
    """The baseline of the cases above: unbroken, they report nothing."""
    assert all_problems(world_of(with_sync(texts), exporting_sync(facts))) == []


def test_sync_exported_but_not_deployed(texts: dict[str, str], facts: CodeFacts) -> None:
    problems = all_problems(world_of(without_sync(texts), exporting_sync(facts)))
    assert any("main.py exports 'sync' but infra/functions.tf does not deploy it" in p for p in problems)
    assert any("sync = { public = false" in p for p in problems), "the message gives the line to add"
    assert any("the scheduler job would not be created" in p for p in problems)


def test_sync_deployed_but_not_exported(texts: dict[str, str], facts: CodeFacts) -> None:
    problems = all_problems(world_of(with_sync(texts), exporting_sync(facts, exported=False)))
    assert any("deploys 'sync', which main.py does not export" in p for p in problems)
    assert any("the scheduler job exists although main.py exports no sync" in p for p in problems)


def _facts(facts: CodeFacts, **changes: object) -> CodeFacts:
    return dataclasses.replace(copy.deepcopy(exporting_sync(facts)), **changes)


def test_a_public_route_without_the_jwt_check(texts: dict[str, str], facts: CodeFacts) -> None:
    routes = {**facts.unauthenticated_routes, "links": ["links.get_status"]}
    broken = _facts(facts, unauthenticated_routes=routes)
    problems = all_problems(world_of(with_sync(texts), broken))
    assert any("links is public but links.get_status does not check the planner JWT" in p for p in problems)


def test_code_that_starts_reading_a_secret(texts: dict[str, str], facts: CodeFacts) -> None:
    secrets = {**exporting_sync(facts).secrets, "planner": frozenset({"planner-jwt-key", "token-key"})}
    broken = _facts(facts, secrets=secrets)
    problems = all_problems(world_of(with_sync(texts), broken))
    assert any("the code of planner reads ['token-key']" in p for p in problems)


def test_a_cloud_event_entry_point(texts: dict[str, str], facts: CodeFacts) -> None:
    broken = _facts(facts, triggers={**exporting_sync(facts).triggers, "sync": "cloud_event"})
    assert any("sync is not an HTTP function" in p for p in all_problems(world_of(with_sync(texts), broken)))


def test_a_new_required_setting(texts: dict[str, str], facts: CodeFacts) -> None:
    broken = _facts(facts, required_env=("PUBLIC_BASE_URL", "SYNC_OIDC_AUDIENCE"),
                    env_defaults={**facts.env_defaults, "SYNC_OIDC_AUDIENCE": None})
    problems = all_problems(world_of(with_sync(texts), broken))
    assert any("local.env does not set SYNC_OIDC_AUDIENCE" in p for p in problems)


def test_a_query_that_needs_a_composite_index(texts: dict[str, str], facts: CodeFacts) -> None:
    query = Query("functions/x.py:1", "links", frozenset({"branch_id"}), frozenset(),
                  frozenset({"updated_at"}))
    broken = _facts(facts, queries=[*facts.queries, query])
    problems = all_problems(world_of(with_sync(texts), broken))
    assert any("functions/x.py:1: the query (fields ['branch_id', 'updated_at']) needs a composite index" in p
               for p in problems)
    w: World = world_of(with_sync(texts), broken)
    fields = [{"fieldPath": "branch_id", "order": "ASCENDING"},
              {"fieldPath": "updated_at", "order": "DESCENDING"}]
    w.firestore = {**w.firestore, "indexes": [{"collectionGroup": "links", "queryScope": "COLLECTION",
                                               "fields": fields}]}
    assert all_problems(w) == []


def test_a_worker_that_takes_a_planner_jwt(texts: dict[str, str], facts: CodeFacts) -> None:
    routes = {**exporting_sync(facts).route_auth,
              "sync_link": {"functions.entrypoints.sync_link.run": frozenset({"authenticate_sync"})}}
    problems = all_problems(world_of(with_sync(texts), _facts(facts, route_auth=routes)))
    assert any("sync_link's functions.entrypoints.sync_link.run authenticates with ['authenticate_sync']" in p
               for p in problems)


def test_code_that_starts_queueing_tasks(texts: dict[str, str], facts: CodeFacts) -> None:
    broken = _facts(facts, enqueuers=exporting_sync(facts).enqueuers | {"oauth_start"})
    problems = all_problems(world_of(with_sync(texts), broken))
    for expected in ("the code of oauth_start queues link tasks, but local.task_enqueuers does not list it",
                     "missing grant ('queue:sync-links', 'roles/cloudtasks.enqueuer', 'sa:fn[oauth_start]')",
                     "missing grant ('account:tasks', 'roles/iam.serviceAccountUser', 'sa:fn[oauth_start]')",
                     "the code of oauth_start queues link tasks, but its SYNC_QUEUE is None"):
        assert any(expected in p for p in problems), expected


def test_sync_link_exported_but_not_deployed(texts: dict[str, str], facts: CodeFacts) -> None:
    problems = all_problems(world_of(without_sync_link(with_sync(texts)), exporting_sync(facts)))
    assert any("main.py exports 'sync_link' but infra/functions.tf does not deploy it" in p for p in problems)
    assert any("sync_link = { public = false" in p for p in problems), "the message gives the line to add"
    assert any("the queue would not be created" in p for p in problems)


def test_sync_link_deployed_but_not_exported(texts: dict[str, str], facts: CodeFacts) -> None:
    not_exported = exporting_sync_link(exporting_sync(facts), exported=False)
    problems = all_problems(world_of(with_sync(texts), not_exported))
    assert any("deploys 'sync_link', which main.py does not export" in p for p in problems)
    assert any("the queue exists although main.py exports no sync_link" in p for p in problems)


def test_the_ttl_policy_missing_from_the_index_file(texts: dict[str, str], facts: CodeFacts) -> None:
    w = world_of(with_sync(texts), exporting_sync(facts))
    w.firestore = {**w.firestore, "fieldOverrides": []}
    assert any("TTL override on consent_states.expires_at" in p for p in all_problems(w))


def test_a_push_url_while_push_is_switched_off(texts: dict[str, str], facts: CodeFacts) -> None:
    base = with_sync(texts)
    switch = 'variable "push_enabled" {\n  type        = bool\n  default     = '
    off = edit(base, "variables.tf", switch + "true", switch + "false")
    assert all_problems(world_of(off, exporting_sync(facts))) == []  # off: no URL, nothing to report
    broken = edit(off, "functions.tf", PUSH_URL,
                  '    GOOGLE_PUSH_URL        = "${local.public_base_url}/google_push"')
    problems = all_problems(world_of(broken, exporting_sync(facts)))
    url = "https://europe-west3-practice-sync-test.cloudfunctions.net/google_push"
    assert any(f"gets GOOGLE_PUSH_URL '{url}', but push is off" in p for p in problems), problems


def test_the_channels_ttl_missing_from_the_index_file(texts: dict[str, str], facts: CodeFacts) -> None:
    w = world_of(with_sync(texts), exporting_sync(facts))
    w.firestore = {**w.firestore, "fieldOverrides": [o for o in w.firestore["fieldOverrides"]
                                                     if o["collectionGroup"] != "channels"]}
    assert any("TTL override on channels.delete_at" in p for p in all_problems(w))
