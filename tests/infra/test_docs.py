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
