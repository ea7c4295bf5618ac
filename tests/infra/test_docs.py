"""The deployment docs and cloudbuild.yaml say what infra/ and the code do."""

from __future__ import annotations

import re

import pytest

from functions.adapters.google_oauth import SCOPES
from functions.config import ENV_DEFAULTS, SECRET_NAMES
from functions.domain import LinkStatus
from tests.infra.codefacts import ROOT, CodeFacts
from tests.infra.tfconfig import Config, load

DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLOUDBUILD = (ROOT / "cloudbuild.yaml").read_text(encoding="utf-8")
BUILD_STEPS = "\n".join(line for line in CLOUDBUILD.splitlines() if not line.lstrip().startswith("#"))


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load()


def test_deploy_enables_the_apis_terraform_uses(cfg: Config) -> None:
    block = re.search(r"gcloud services enable(.*?)```", DEPLOY, re.S)
    assert block, "docs/deploy.md needs the `gcloud services enable` command"
    assert set(re.findall(r"[\w-]+\.googleapis\.com", block[1])) == set(cfg.locals["apis"])


def test_deploy_adds_a_version_of_every_secret() -> None:
    for name in SECRET_NAMES:
        assert f"gcloud secrets versions add {name} " in DEPLOY


def test_deploy_names_the_scopes_and_the_publishing_status() -> None:
    for scope in SCOPES:
        assert scope in DEPLOY
    assert '"In production"' in DEPLOY and "7 days" in DEPLOY


def test_deploy_names_every_function_and_the_redirect_uri(facts: CodeFacts) -> None:
    for name in facts.exports:
        assert f"`{name}`" in DEPLOY
    assert "https://<region>-<project>.cloudfunctions.net/oauth_callback" in DEPLOY


def test_deploy_lists_every_variable(cfg: Config) -> None:
    for name in cfg.variables:
        assert f"| `{name}` |" in DEPLOY


def test_readme_documents_every_setting() -> None:
    """Every environment variable the code reads has a row in README's configuration table."""
    for name in ENV_DEFAULTS:
        assert f"| `{name}` |" in README, f"README.md, Configuration: what is {name}?"


def test_deploy_names_the_queue_and_the_upgrade_step(cfg: Config) -> None:
    queue = cfg.locals["sync_queue_name"]
    assert f"`{queue}`" in DEPLOY
    assert "python -m functions.services.dispatch --backfill" in DEPLOY, "older links need their minute"
    assert "roles/cloudtasks.admin" in DEPLOY, "the deploying account creates the queue"


def test_operations_reads_pauses_and_drains_the_queue(cfg: Config) -> None:
    queue = cfg.locals["sync_queue_name"]
    for verb in ("describe", "pause", "resume", "purge"):
        assert f"gcloud tasks queues {verb} {queue} " in OPERATIONS
    assert f"gcloud tasks list --queue={queue} " in OPERATIONS
    for setting in ("SYNC_POLL_MINUTES", "SYNC_DEBOUNCE_SECONDS"):
        assert f"| `{setting}` (" in OPERATIONS, f"docs/operations.md: what does {setting} mean?"


def test_operations_explains_every_link_status() -> None:
    for status in LinkStatus:
        assert f"| `{status}` |" in OPERATIONS, f"docs/operations.md: what does {status} mean?"


def test_operations_rotates_every_secret() -> None:
    for name in SECRET_NAMES:
        assert f"### `{name}`" in OPERATIONS


def test_cloudbuild_tests_before_it_deploys() -> None:
    ids = re.findall(r"- id: ([\w-]+)", BUILD_STEPS)
    assert ids == ["test", "terraform-init", "terraform-plan", "terraform-apply"]
    assert "pytest" in BUILD_STEPS and "ruff check" in BUILD_STEPS
    assert "waitFor" not in BUILD_STEPS, "steps must run one after another"


def test_cloudbuild_deploys_only_through_terraform() -> None:
    for other in ("gcloud functions deploy", "gcloud run deploy", "gcloud beta functions"):
        assert other not in BUILD_STEPS
    assert "apply, -input=false, tfplan" in BUILD_STEPS, "apply exactly the plan that was shown"
    assert '-backend-config="bucket=${_TF_STATE_BUCKET}"' in BUILD_STEPS


def test_cloudbuild_passes_real_variables(cfg: Config) -> None:
    passed = set(re.findall(r"-var=(\w+)=", BUILD_STEPS))
    assert passed <= set(cfg.variables)
    assert {name for name, spec in cfg.variables.items() if "default" not in spec} <= passed


# --- Data protection, alerts, costs (issue items 9-11) -------------------------------------------

PRIVACY = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")


def test_privacy_names_every_privacy_level_in_its_table() -> None:
    from functions.domain import PRIVACY_LEVELS
    from functions.sync.model import Privacy

    assert set(PRIVACY_LEVELS) == {str(p) for p in Privacy}
    header = next(line for line in PRIVACY.splitlines() if line.startswith("| event field |"))
    assert [c.strip(" `") for c in header.strip("|").split("|")[1:]] == list(PRIVACY_LEVELS)


def test_privacy_says_what_the_mapping_writes() -> None:
    from functions.sync import limits, mapping

    for label in mapping.BUSY_LABELS.values():
        assert f'"{label}"' in PRIVACY, f"the busy label {label!r}"
    assert f"`{mapping.MARKER_APPOINTMENT_ID}`" in PRIVACY
    assert f'`{mapping.MARKER_SOURCE}: "{mapping.SOURCE_VALUE}"`' in PRIVACY
    for limit in (limits.TITLE_MAX, limits.LOCATION_MAX, limits.NOTES_MAX):
        assert f"{limit:,}" in PRIVACY


def test_privacy_lists_every_firestore_collection_the_code_writes() -> None:
    names = set()
    for path in (ROOT / "functions").rglob("*.py"):
        names |= set(re.findall(r'collection\("(\w+)"\)', path.read_text(encoding="utf-8")))
    assert names, "the code writes no collection?"
    for name in names:
        where = rf"`(?:[\w{{}}:/]+/)?{name}(?:/[\w{{}}:()]+)*`"
        assert re.search(where, PRIVACY), f"privacy.md: where is {name}?"


def test_privacy_names_the_retention_settings(cfg: Config) -> None:
    for name in ("firestore_backup_retention_days", "firestore_weekly_backup_retention_weeks"):
        assert name in cfg.variables and f"`{name}`" in PRIVACY
    assert "docs/privacy.md" in README


def test_deploy_has_no_stale_scheduler_paragraph() -> None:
    assert "Until it does this, the Scheduler's runs are" not in DEPLOY
    assert "`authenticate_sync`" in DEPLOY


def test_deploy_says_how_to_lock_the_providers(cfg: Config) -> None:
    assert "terraform providers lock -platform=linux_amd64" in DEPLOY
    assert ".terraform.lock.hcl" in DEPLOY
    assert not (ROOT / "infra" / ".terraform.lock.hcl").exists() or "git add .terraform.lock.hcl" in DEPLOY


def test_the_planner_screens_call_only_paths_the_contract_has() -> None:
    section = DEPLOY.split("### The staff pages are a local demo", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| "))
    calls = re.findall(r"`(?:(GET|PUT|POST|DELETE)|PUT` / `DELETE) (/[\w{}/-]+)", table)
    assert len(calls) >= 10
    contract = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    paths = set(re.findall(r"^  (/\S+):$", contract, re.M))
    normalised = {re.sub(r"\{\w+\}", "{}", p) for p in paths}
    for _, path in calls:
        assert re.sub(r"\{\w+\}", "{}", path) in normalised, f"deploy.md calls {path}, not in openapi.yaml"


def test_deploy_prices_every_billed_service() -> None:
    section = DEPLOY.split("## Costs per 1,000 linked resources and month", 1)[1].split("\n## ", 1)[0]
    for item in ("Cloud Tasks", "invocations", "function compute", "Firestore reads", "Firestore writes",
                 "Cloud Scheduler", "Cloud Logging", "Cloud Monitoring"):
        assert f"| {item}" in section, f"deploy.md, Costs: {item}?"


def test_operations_explains_every_alert_and_metric(cfg: Config) -> None:
    for name, policy in cfg.of_type("google_monitoring_alert_policy").items():
        assert f"| {policy['display_name']} |" in OPERATIONS, f"docs/operations.md, Alerts: {name}?"
    metrics = [*cfg.locals["app_log_metrics"],
               *(n for n in cfg.of_type("google_logging_metric") if n != "app")]
    for key in metrics:
        name = f"{cfg.locals['log_metric_prefix']}/{key}"
        assert f"`{name}`" in OPERATIONS, f"docs/operations.md: metric {name}?"


def test_operations_restores_a_backup() -> None:
    for command in ("gcloud firestore backups list", "gcloud firestore databases restore",
                    "--destination-database='(default)'", "--no-delete-protection"):
        assert command in OPERATIONS


def test_operations_explains_every_push_warning(facts: CodeFacts) -> None:
    """What an admin may read in the logs about push channels and notifications is explained."""
    modules = ("functions.services.push", "functions.services.notifications", "functions.services.dispatch")
    calls = [c for c in facts.log_calls if c.logger in modules and "push" in (c.message or "")]
    assert len(calls) >= 5, "the push log lines are found"
    for call in calls:
        assert f'"{call.message}"' in OPERATIONS, f"docs/operations.md, Push notifications: {call.message!r}?"
