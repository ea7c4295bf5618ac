"""The log-based metrics of infra/monitoring.tf count log lines the code really writes, and the
alerts and backups follow from the code and from Firestore's limits.

Each (logger, message) pair of a metric's filter must be a log call in functions/ (found by
tests/infra/codefacts.py: `log = logging.getLogger(__name__)`, then `log.<level>("...")`), so a
log line renamed or dropped in the code fails here instead of leaving an alert that never fires.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.infra.checks import (
    World,
    check_alerts,
    check_backups,
    check_log_metrics,
    hcl_text,
    log_pairs,
    matching_log_calls,
)
from tests.infra.codefacts import CodeFacts, LogCall
from tests.infra.variants import (
    exporting_sync,
    exporting_sync_link,
    with_sync,
    without_sync,
    without_sync_link,
    world_of,
)

# What each metric counts, with the code's log line (logger, severity): the reason it exists.
EXPECTED = {
    "sync_errors": {("functions.sync.engine", "ERROR", "sync of a link failed"),
                    ("functions.http", "ERROR", "unhandled error in %s"),
                    ("functions.http", "CRITICAL", "configuration error: %s")},
    "google_unavailable": {("functions.sync.engine", "WARNING",
                            "Google unavailable; the link is retried next run")},
    "config_errors": {("functions.sync.engine", "ERROR",
                       "stored token does not decrypt with any enabled key version"),
                      ("functions.services.revoke", "ERROR", "stored token does not decrypt; forgetting it"),
                      ("functions.auth", "WARNING", "OIDC token refused"),
                      ("functions.services.dispatch", "WARNING",
                       "could not queue the link's sync; the backstop poll will bring it")},
    "consent_problems": {("functions.services.consent", "WARNING", "code exchange failed"),
                         ("functions.services.consent", "WARNING",
                          "consent finished in another browser than it began in; refused")},
}


def _selected(world: World, key: str) -> set[tuple[str, str, str]]:
    text = hcl_text(world.cfg.locals["app_log_metrics"][key]["filter"])
    return {(c.logger, c.severity, c.message) for pair in log_pairs(text)
            for c in matching_log_calls(world, *pair)}


def test_the_code_analysis_finds_the_log_calls(facts: CodeFacts) -> None:
    found = {(c.logger, c.severity, c.message) for c in facts.log_calls}
    assert set().union(*EXPECTED.values()) <= found
    assert all(c.message is not None for c in facts.log_calls), "a log call whose message is not a literal"
    engine = [c for c in facts.log_calls if c.message == "sync of a link failed"]
    assert [c.fields for c in engine] == [frozenset({"link"})], "the entry names the link (jsonPayload.link)"


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_metric_counts_exactly_its_log_lines(world: World, key: str) -> None:
    assert _selected(world, key) == EXPECTED[key]


def test_every_metric_is_explained_here(world: World) -> None:
    assert set(world.cfg.locals["app_log_metrics"]) == set(EXPECTED)


def test_every_pair_of_a_filter_is_one_log_line(world: World) -> None:
    """No pair selects two log calls (an ambiguous prefix) or none."""
    for spec in world.cfg.locals["app_log_metrics"].values():
        for pair in log_pairs(hcl_text(spec["filter"])):
            assert len(matching_log_calls(world, *pair)) == 1, pair


@pytest.mark.parametrize("message", sorted({m for calls in EXPECTED.values() for _, _, m in calls}))
def test_a_log_line_renamed_in_the_code_breaks_its_metric(world: World, message: str) -> None:
    renamed = [dataclasses.replace(c, message=f"renamed: {c.message}") if c.message == message else c
               for c in world.facts.log_calls]
    world.facts = dataclasses.replace(world.facts, log_calls=renamed)
    problems = check_log_metrics(world)
    assert any("no log call in functions/ writes" in p for p in problems), problems


def test_a_log_line_moved_to_another_module_breaks_its_metric(world: World) -> None:
    moved = [dataclasses.replace(c, logger="functions.sync.apply") if c.message == "sync of a link failed"
             else c for c in world.facts.log_calls]
    world.facts = dataclasses.replace(world.facts, log_calls=moved)
    assert any("'sync of a link failed' as functions.sync.engine" in p for p in check_log_metrics(world))


def test_a_prefix_must_be_literal_text(world: World) -> None:
    """A regex prefix is compared as text, so it may hold no regex syntax (it would match more)."""
    assert matching_log_calls(world, "functions.http", "=~", "^unhandled error in ") != []
    assert matching_log_calls(world, "functions.http", "=~", "^unhandled.*") == []
    assert matching_log_calls(world, "functions.http", "=~", "unhandled error in ") == []


def test_a_log_call_with_a_computed_message_matches_nothing(world: World) -> None:
    computed = LogCall("functions/x.py:1", "functions.sync.engine", "ERROR", None)
    world.facts = dataclasses.replace(world.facts, log_calls=[computed])
    assert matching_log_calls(world, "functions.sync.engine", "=", "sync of a link failed") == []


def test_without_sync_the_scheduler_checks_hold(texts: dict[str, str], facts: CodeFacts) -> None:
    w = world_of(without_sync(texts), exporting_sync(facts, exported=False))
    assert check_log_metrics(w) == [] and check_alerts(w) == []


def test_without_the_queue_the_checks_still_hold(texts: dict[str, str], facts: CodeFacts) -> None:
    w = world_of(without_sync_link(with_sync(texts)),
                 exporting_sync_link(exporting_sync(facts), exported=False))
    assert check_log_metrics(w) == [] and check_alerts(w) == [] and check_backups(w) == []


def test_the_backups_at_the_defaults(world: World) -> None:
    """A daily backup kept a week (Firestore's most for daily backups), no weekly one."""
    daily = world.cfg.resource("google_firestore_backup_schedule", "daily")
    assert world.ev().value(daily["retention"]) == f"{7 * 86400}s"
    assert world.variables["firestore_weekly_backup_retention_weeks"] == 0


def test_alerts_are_optional_and_go_where_they_are_told(world: World) -> None:
    assert world.variables["alert_email"] == "" and world.variables["alert_notification_channels"] == []
    policies = world.cfg.of_type("google_monitoring_alert_policy")
    assert set(policies) == {"sync_errors", "config_errors", "scheduler", "tasks"}
    conditions = sum(len(p["conditions"]) for p in policies.values())
    assert conditions == 5, "docs and alerts_enabled's description say five conditions (each is billed)"
