"""The log-based metrics of infra/monitoring.tf count log lines the code really writes, and the
alerts and backups follow from the code and from Firestore's limits.

Each (logger, message) pair of a metric's filter must be a log call in functions/ (found by
tests/infra/codefacts.py: `log = logging.getLogger(__name__)`, then `log.<level>("...")`), so a
log line renamed or dropped in the code fails here instead of leaving an alert that never fires.
The status metrics select the status line of functions/status_log.py by its `event`, reasons and
statuses: those are read from the code (its constants, and what its callers pass) and, below,
from the line the real formatter writes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import status_log
from functions.domain import Link, LinkStatus
from functions.logs import CloudLoggingFormatter
from tests.infra.checks import (
    STATUS_METRIC,
    WEEK_METRIC,
    World,
    check_alerts,
    check_backups,
    check_log_metrics,
    check_status_metrics,
    hcl_text,
    log_pairs,
    matching_log_calls,
    payload_terms,
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
    assert set(policies) == {"sync_errors", "config_errors", "scheduler", "tasks", "links_need_action",
                             "mass_change_blocked", "testing_app"}
    conditions = sum(len(p["conditions"]) for p in policies.values())
    assert conditions == 8, "docs and alerts_enabled's description say eight conditions (each is billed)"
    assert "eight conditions" in world.cfg.variables["alerts_enabled"]["description"]


# --- The status line (functions/status_log.py) -------------------------------------------------

# What the callers of status_log.link_status_changed pass (the issue: the states someone must act on).
STATUSES = {"needs_reconsent", "calendar_missing", "throttled", "blocked"}


def _filter(world: World, name: str) -> str:
    body = world.cfg.resource("google_logging_metric", name)
    return hcl_text(world.ev().value(body["filter"]))


def _matches(terms: list[tuple[str, str, Any]], payload: dict[str, Any]) -> bool:
    """Whether Cloud Logging's filter (these comparisons, ANDed) selects a jsonPayload: `=` on a
    text, `<`, `<=`, `>`, `>=` on a number (a JSON string would not compare as one); a missing
    field matches no comparison."""
    for field, op, value in terms:
        have = payload.get(field)
        if have is None:
            return False
        if op == "=":
            if have != value:
                return False
            continue
        assert isinstance(have, int | float) and not isinstance(have, bool), f"{field} is no number: {have!r}"
        if not {"<": have < value, "<=": have <= value, ">": have > value, ">=": have >= value}[op]:
            return False
    return True


def _payload(status: str, reason: str, consent_age_hours: float | None) -> dict[str, Any]:
    """The jsonPayload of the status line, as functions/logs.py's formatter writes it."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    consented = None if consent_age_hours is None else now - timedelta(hours=consent_age_hours)
    link = Link("b1", "r1", status=LinkStatus.LINKED, consented_at=consented)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(status_log.__name__)
    logger.addHandler(handler)
    try:
        status_log.link_status_changed(link, status, reason, now)
    finally:
        logger.removeHandler(handler)
    assert len(records) == 1
    return json.loads(CloudLoggingFormatter().format(records[0]))


def test_the_code_analysis_reads_the_status_line(facts: CodeFacts) -> None:
    """The event and the reasons come from functions/status_log.py itself; the statuses and reasons
    from its callers, every one of them read (none computed)."""
    [line] = [e for e in facts.event_lines if e.event == status_log.LINK_STATUS_CHANGED]
    assert (line.call.logger, line.call.function) == (status_log.__name__, "link_status_changed")
    assert {"event", "link", "status", "reason", "consent_age_hours"} <= line.call.fields
    reasons = {v for k, v in vars(status_log).items() if k.isupper() and k != "LINK_STATUS_CHANGED"}
    assert set(line.constants.values()) - {status_log.LINK_STATUS_CHANGED} == reasons
    assert line.values["reason"] == reasons, "every reason constant is passed by a caller, and only those"
    assert line.values["status"] == STATUSES
    assert line.unresolved == (), "a caller passes a status or reason the analysis cannot read"


def test_the_status_metrics_select_the_line_by_its_event(world: World) -> None:
    event = f'jsonPayload.event="{status_log.LINK_STATUS_CHANGED}"'
    assert _filter(world, STATUS_METRIC) == f'resource.type="cloud_run_revision" AND {event}'
    assert _filter(world, WEEK_METRIC) == (
        f'resource.type="cloud_run_revision" AND {event} AND jsonPayload.reason="{status_log.GRANT_DEAD}" '
        "AND jsonPayload.consent_age_hours>=160 AND jsonPayload.consent_age_hours<=176")
    for name in (STATUS_METRIC, WEEK_METRIC):
        assert "jsonPayload.message" not in _filter(world, name)
    assert check_status_metrics(world) == []


@pytest.mark.parametrize(("status", "reason", "age", "counted"), [
    ("needs_reconsent", status_log.GRANT_DEAD, 168.0, {STATUS_METRIC, WEEK_METRIC}),
    ("needs_reconsent", status_log.GRANT_DEAD, 160.0, {STATUS_METRIC, WEEK_METRIC}),
    ("needs_reconsent", status_log.GRANT_DEAD, 176.0, {STATUS_METRIC, WEEK_METRIC}),
    ("needs_reconsent", status_log.GRANT_DEAD, 159.9, {STATUS_METRIC}),     # revoked by its user
    ("needs_reconsent", status_log.GRANT_DEAD, 30 * 24.0, {STATUS_METRIC}),
    ("needs_reconsent", status_log.GRANT_DEAD, None, {STATUS_METRIC}),      # no consent recorded
    ("needs_reconsent", status_log.TOKEN_UNREADABLE, 168.0, {STATUS_METRIC}),
    ("calendar_missing", status_log.CALENDAR_MISSING, 168.0, {STATUS_METRIC}),
    ("blocked", status_log.MASS_CHANGE_BLOCKED, 168.0, {STATUS_METRIC}),
])
def test_the_metrics_count_the_line_the_code_writes(world: World, status: str, reason: str,
                                                    age: float | None, counted: set[str]) -> None:
    """The real line, formatted as Cloud Logging receives it, against each metric's filter; its
    consent age is a JSON number, so the week's numeric comparison applies."""
    payload = _payload(status, reason, age)
    found = {name for name in (STATUS_METRIC, WEEK_METRIC)
             if _matches(payload_terms(_filter(world, name)) or [], payload)}
    assert found == counted
    assert payload["link"] == "b1:r1" and payload["message"] == "link status changed"
    extractors = world.cfg.resource("google_logging_metric", STATUS_METRIC)["label_extractors"]
    assert {k: payload[v.removeprefix("EXTRACT(jsonPayload.").rstrip(")")]
            for k, v in extractors.items() if v.startswith("EXTRACT(jsonPayload.")} == \
        {"status": status, "reason": reason}


def test_the_alerts_on_the_status_line(world: World) -> None:
    policies = world.cfg.of_type("google_monitoring_alert_policy")
    links = policies["links_need_action"]["conditions"][0]["condition_threshold"][0]["filter"]
    assert 'metric.labels.status=one_of("needs_reconsent", "calendar_missing")' in links
    blocked = policies["mass_change_blocked"]["conditions"][0]["condition_threshold"][0]["filter"]
    assert 'metric.labels.status="blocked"' in blocked
    testing = policies["testing_app"]["conditions"][0]["condition_threshold"][0]["filter"]
    assert f"google_logging_metric.{WEEK_METRIC}.name" in testing
    docs = {name: policies[name]["documentation"][0]["content"] for name in
            ("links_need_action", "mass_change_blocked", "testing_app")}
    assert "consent again in the planner" in docs["links_need_action"]
    assert "pick the calendar again" in docs["links_need_action"]
    assert "an admin must decide" in docs["mass_change_blocked"] and "force" in docs["mass_change_blocked"]
    assert '"Testing"' in docs["testing_app"] and '"In production"' in docs["testing_app"]
    assert "verified" in docs["testing_app"] and "docs/deploy.md" in docs["testing_app"]


def _renamed(world: World, **changes: Any) -> World:
    [line] = world.facts.event_lines
    world.facts = dataclasses.replace(world.facts, event_lines=[dataclasses.replace(line, **changes)])
    return world


def test_the_event_renamed_in_the_code_breaks_the_metrics(world: World) -> None:
    problems = check_status_metrics(_renamed(world, event="link_status_updated"))
    assert sum("no log call in functions/ writes jsonPayload.event='link_status_changed'" in p
               for p in problems) == 2, problems


def test_a_reason_renamed_in_the_code_breaks_the_week_metric(world: World) -> None:
    [line] = world.facts.event_lines
    constants = {**line.constants, "GRANT_DEAD": "grant_expired"}
    values = {**line.values, "reason": (line.values["reason"] - {"grant_dead"}) | {"grant_expired"}}
    problems = check_status_metrics(_renamed(world, constants=constants, values=values))
    assert any("must select jsonPayload.reason='grant_expired'" in p for p in problems), problems
    assert any("the code logs reason only as" in p for p in problems), problems


def test_a_status_the_code_stops_logging_breaks_its_alert(world: World) -> None:
    [line] = world.facts.event_lines
    values = {**line.values, "status": line.values["status"] - {"blocked"}}
    problems = check_status_metrics(_renamed(world, values=values))
    assert any("alert policy mass_change_blocked: the code never logs status 'blocked'" in p
               for p in problems), problems


def test_a_field_the_code_stops_writing_breaks_the_week_metric(world: World) -> None:
    [line] = world.facts.event_lines
    call = dataclasses.replace(line.call, fields=line.call.fields - {"consent_age_hours"})
    problems = check_status_metrics(_renamed(world, call=call))
    assert any("reads jsonPayload.consent_age_hours, which the status line" in p for p in problems), problems
