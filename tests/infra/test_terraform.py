"""infra/ agrees with the code: every rule of checks.py on the real Terraform, and the
least-privilege decisions pinned here with their reasons."""

from __future__ import annotations

import pytest

from tests.infra.checks import CHECKS, World, all_problems, check_scheduler, check_tasks, grants, instances
from tests.infra.codefacts import CodeFacts
from tests.infra.variants import (
    exporting_sync,
    exporting_sync_link,
    with_sync,
    without_sync,
    without_sync_link,
    world_of,
)

# The secrets each entry point reads, from the code (functions/services, functions/http.py):
#   planner-jwt-key: every route that calls caller_of() (functions/http.py) to check the JWT;
#   oauth-client:    building the consent URL, exchanging the code, refreshing access tokens
#                    (ctx.oauth_client);
#   token-key:       sealing/unsealing refresh tokens and the PKCE verifier (ctx.cipher).
EXPECTED_SECRETS = {
    # encrypted PKCE verifier in the state + JWT of the caller; Google's consent URL (client
    # id) is built later, by oauth_callback's begin step, in the browser that will finish it
    "oauth_start": {"token-key", "planner-jwt-key"},
    # consent URL and code exchange (client id/secret) + verifier and refresh token sealed; no
    # JWT: Google's redirect carries none, the single-use state bound to the browser is the proof
    "oauth_callback": {"oauth-client", "token-key"},
    # calendars / link / preview call Google with the unsealed refresh token + JWT
    "links": {"oauth-client", "token-key", "planner-jwt-key"},
    # unseals the refresh token and posts it to Google's revoke endpoint, which needs no client
    # credentials (functions/adapters/google_oauth.py revoke), but first stops the link's push
    # channels with it (channels.stop: an access token, refreshed with the client) + JWT
    "revoke": {"oauth-client", "token-key", "planner-jwt-key"},
    # branches, resources, appointments, changes: Firestore only + JWT
    "planner": {"planner-jwt-key"},
    # unseals every linked refresh token and refreshes it with the client + JWT (planner calls)
    "sync": {"oauth-client", "token-key", "planner-jwt-key"},
    # one link's sync: unseals its refresh token and refreshes it with the client. No JWT key:
    # the worker takes the queue's OIDC token only, never a planner token (sync reads the key
    # for its planner callers, not for the sync itself)
    "sync_link": {"oauth-client", "token-key"},
    # Google's push notifications: the channel's token is compared with its hash in Firestore,
    # the link's task is queued; nothing secret (anyone may post to it)
    "google_push": set(),
}
# Reached by a browser (the planner's frontend) or by Google's redirect: public, gated in code.
# Google posts push notifications to google_push: public too, gated by each channel's token.
EXPECTED_PUBLIC = {"planner", "oauth_start", "oauth_callback", "links", "revoke", "google_push"}
# Queue link tasks (functions/services/dispatch.py): sync dispatches the links due each minute,
# planner queues a changed appointment's link. They get the enqueuer grant and SYNC_QUEUE.
# sync: the backstop; planner: changed appointments, a branch switched off; links: a new link's
# first sync; google_push: a notification's link
EXPECTED_ENQUEUERS = {"sync", "planner", "links", "google_push"}


@pytest.mark.parametrize("rule", list(CHECKS))
def test_infra_follows_the_rule(world: World, rule: str) -> None:
    assert CHECKS[rule](world) == []


def test_every_entry_point_is_deployed_and_nothing_else(world: World, facts: CodeFacts) -> None:
    assert set(world.functions) == set(facts.exports)


@pytest.mark.parametrize("name", sorted(EXPECTED_SECRETS))
def test_each_function_may_read_exactly_the_secrets_its_code_needs(world: World, name: str) -> None:
    if name not in world.facts.exports:
        assert name not in world.functions
        return
    assert name in world.functions, f"main.py exports {name} but infra/functions.tf does not deploy it"
    assert set(world.functions[name]["secrets"]) == EXPECTED_SECRETS[name]


def test_the_code_analysis_finds_the_same_secrets(facts: CodeFacts) -> None:
    """The call-graph analysis (used to catch a function that starts reading a new secret)
    agrees with the reasons above, function by function."""
    assert set(facts.exports) <= set(EXPECTED_SECRETS), "a new entry point: add its secrets above"
    found = {n: set(facts.secrets[n]) for n in facts.exports}
    assert found == {n: EXPECTED_SECRETS[n] for n in facts.exports}


def test_exactly_the_planner_facing_functions_are_public(world: World) -> None:
    public = {name for name, spec in world.functions.items() if spec["public"]}
    assert public == EXPECTED_PUBLIC & set(world.functions)


def test_scheduler_follows_main_py(world: World, facts: CodeFacts) -> None:
    """Both branches are real: with sync exported the job, its account and its grant exist and
    the job sends an OIDC token; without it none of them does."""
    job = world.cfg.resource("google_cloud_scheduler_job", "sync")
    if "sync" in facts.exports:
        assert len(instances(world, "job", job)) == 1
        assert check_scheduler(world) == []
    else:
        assert instances(world, "job", job) == {}
        assert instances(world, "account", world.cfg.resource("google_service_account", "scheduler")) == {}
        assert check_scheduler(world) == []


def test_the_code_analysis_finds_the_functions_that_queue_tasks(facts: CodeFacts) -> None:
    assert facts.enqueuers == EXPECTED_ENQUEUERS & set(facts.exports)


def test_the_queue_follows_main_py(world: World, facts: CodeFacts) -> None:
    """With sync_link exported: the queue, the tasks account, the worker's one invoker, and the
    two grants for each function that queues; the worker is private."""
    queue = world.cfg.resource("google_cloud_tasks_queue", "sync_links")
    if "sync_link" not in facts.exports:
        assert instances(world, "queue", queue) == {}
        return
    assert len(instances(world, "queue", queue)) == 1
    assert check_tasks(world) == []
    assert world.functions["sync_link"]["public"] is False
    given = grants(world)
    queuers = {f"sa:fn[{f}]" for f in EXPECTED_ENQUEUERS}
    assert {m for scope, _, m in given if scope == "run:sync_link"} == {"sa:tasks"}
    assert {m for scope, _, m in given if scope == "queue:sync-links"} == queuers
    assert {m for scope, _, m in given if scope == "account:tasks"} == queuers


def test_the_governor_at_the_default_quota(world: World) -> None:
    """Google's documented quota (10,000 requests a minute per project, 600 per user), half of
    it for the queue, 4 requests a task: 20 dispatches a second, 8 at once (infra/tasks.tf)."""
    limits = world.cfg.resource("google_cloud_tasks_queue", "sync_links")["rate_limits"][0]
    assert world.ev().value(limits["max_dispatches_per_second"]) == 20
    assert world.ev().value(limits["max_concurrent_dispatches"]) == 8


def test_the_one_line_sync_entry_deploys_and_schedules_sync(texts: dict[str, str], facts: CodeFacts) -> None:
    w = world_of(with_sync(texts), exporting_sync(facts))
    assert all_problems(w) == []
    job = w.cfg.resource("google_cloud_scheduler_job", "sync")
    assert len(instances(w, "job", job)) == 1
    assert w.functions["sync"]["public"] is False


def test_without_sync_nothing_of_the_scheduler_is_created(texts: dict[str, str], facts: CodeFacts) -> None:
    w = world_of(without_sync(texts), exporting_sync(facts, exported=False))
    assert "sync" not in w.functions
    assert all_problems(w) == []
    for rtype, name in (("google_cloud_scheduler_job", "sync"), ("google_service_account", "scheduler"),
                        ("google_cloud_run_service_iam_member", "scheduler_invokes_sync")):
        assert instances(w, name, w.cfg.resource(rtype, name)) == {}


def test_without_sync_link_nothing_of_the_queue_is_created(texts: dict[str, str], facts: CodeFacts) -> None:
    """Removing the sync_link line removes the queue and everything around it, and `sync`
    syncs every link itself again (no function gets SYNC_QUEUE)."""
    w = world_of(without_sync_link(texts), exporting_sync_link(facts, exported=False))
    assert "sync_link" not in w.functions
    assert all_problems(w) == []
    for rtype, name in (("google_cloud_tasks_queue", "sync_links"), ("google_service_account", "tasks"),
                        ("google_cloud_run_service_iam_member", "tasks_invoke_sync_link"),
                        ("google_cloud_tasks_queue_iam_member", "enqueuer"),
                        ("google_service_account_iam_member", "enqueuer_acts_as_tasks")):
        assert instances(w, name, w.cfg.resource(rtype, name)) == {}
    assert w.task_enqueuers == []
