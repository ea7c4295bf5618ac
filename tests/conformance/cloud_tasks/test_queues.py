"""Queues through the official client: create, defaults, update masks, pause/resume/purge, delete."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from tests.conformance.cloud_tasks.conftest import LOCATION, make_queue, status_of


def test_create_fills_googles_defaults(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks)
    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert queue.rate_limits.max_dispatches_per_second == 500
    assert queue.rate_limits.max_concurrent_dispatches == 1000
    assert queue.rate_limits.max_burst_size >= 1
    rc = queue.retry_config
    assert rc.max_attempts == 100 and rc.max_doublings == 16
    assert rc.min_backoff.total_seconds() == pytest.approx(0.1)
    assert rc.max_backoff.total_seconds() == 3600
    assert tasks.get_queue(name=queue.name) == queue
    assert [q.name for q in tasks.list_queues(parent=LOCATION)] == [queue.name]


def test_create_keeps_given_settings(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks, rate_limits={"max_dispatches_per_second": 5, "max_concurrent_dispatches": 3},
                       retry_config={"max_attempts": 4, "min_backoff": {"seconds": 1},
                                     "max_backoff": {"seconds": 10}, "max_doublings": 2})
    assert queue.rate_limits.max_dispatches_per_second == 5
    assert queue.rate_limits.max_burst_size >= 5  # "generally at least max_dispatches_per_second"
    assert queue.rate_limits.max_concurrent_dispatches == 3
    assert (queue.retry_config.max_attempts, queue.retry_config.max_doublings) == (4, 2)
    assert queue.retry_config.max_backoff.total_seconds() == 10


def test_a_queue_name_exists_once(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks)
    with pytest.raises(exceptions.Conflict) as err:
        tasks.create_queue(parent=LOCATION, queue={"name": queue.name})
    assert status_of(err.value) == "ALREADY_EXISTS"


@pytest.mark.parametrize("settings", [
    {"rate_limits": {"max_dispatches_per_second": 501}},
    {"rate_limits": {"max_concurrent_dispatches": 5001}},
    {"retry_config": {"max_attempts": -2}},
    {"retry_config": {"min_backoff": {"seconds": 10}, "max_backoff": {"seconds": 5}}},
])
def test_out_of_range_settings_are_refused(tasks: tasks_v2.CloudTasksClient, settings: dict) -> None:
    with pytest.raises(exceptions.BadRequest) as err:
        make_queue(tasks, **settings)
    assert status_of(err.value) == "INVALID_ARGUMENT"


def test_bad_names_are_refused(tasks: tasks_v2.CloudTasksClient) -> None:
    with pytest.raises(exceptions.BadRequest):
        tasks.create_queue(parent=LOCATION, queue={"name": f"{LOCATION}/queues/not_allowed_underscore"})
    with pytest.raises(exceptions.BadRequest):
        tasks.create_queue(parent=LOCATION, queue={"name": "projects/other/locations/x/queues/q"})
    with pytest.raises(exceptions.NotFound):
        tasks.get_queue(name=f"{LOCATION}/queues/missing")


def test_update_changes_only_the_masked_fields(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks, retry_config={"max_attempts": 7})
    updated = tasks.update_queue(
        queue={"name": queue.name, "rate_limits": {"max_dispatches_per_second": 2},
               "retry_config": {"max_attempts": 99}},
        update_mask={"paths": ["rate_limits.max_dispatches_per_second"]})
    assert updated.rate_limits.max_dispatches_per_second == 2
    assert updated.rate_limits.max_burst_size >= 2
    assert updated.retry_config.max_attempts == 7  # not in the mask
    assert tasks.get_queue(name=queue.name) == updated
    again = tasks.update_queue(queue={"name": queue.name, "retry_config": {"max_attempts": 3}},
                               update_mask={"paths": ["retry_config.max_attempts"]})
    assert again.retry_config.max_attempts == 3
    assert again.rate_limits.max_dispatches_per_second == 2
    with pytest.raises(exceptions.BadRequest):
        tasks.update_queue(queue={"name": queue.name, "state": tasks_v2.Queue.State.PAUSED},
                           update_mask={"paths": ["state"]})


def test_update_creates_a_missing_queue(tasks: tasks_v2.CloudTasksClient) -> None:
    name = f"{LOCATION}/queues/made-by-update"
    created = tasks.update_queue(queue={"name": name, "rate_limits": {"max_dispatches_per_second": 1}})
    assert created.rate_limits.max_dispatches_per_second == 1
    assert tasks.get_queue(name=name).state == tasks_v2.Queue.State.RUNNING


def test_pause_resume_purge(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks)
    assert tasks.pause_queue(name=queue.name).state == tasks_v2.Queue.State.PAUSED
    assert tasks.get_queue(name=queue.name).state == tasks_v2.Queue.State.PAUSED
    assert tasks.resume_queue(name=queue.name).state == tasks_v2.Queue.State.RUNNING
    purged = tasks.purge_queue(name=queue.name)
    assert purged.purge_time is not None and purged.purge_time.timestamp() > 0


def test_rpcs_the_emulator_lacks_say_so(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks)
    with pytest.raises(exceptions.MethodNotImplemented):
        tasks.get_iam_policy(resource=queue.name)
    with pytest.raises(exceptions.MethodNotImplemented):
        list(tasks.list_queues(request={"parent": LOCATION, "filter": "state: PAUSED"}))


def test_a_deleted_queue_is_gone_and_its_name_stays_taken(tasks: tasks_v2.CloudTasksClient) -> None:
    queue = make_queue(tasks)
    tasks.delete_queue(name=queue.name)
    with pytest.raises(exceptions.NotFound):
        tasks.get_queue(name=queue.name)
    with pytest.raises(exceptions.BadRequest) as err:  # a tombstone window of up to 3 days
        tasks.create_queue(parent=LOCATION, queue={"name": queue.name})
    assert status_of(err.value) == "FAILED_PRECONDITION"
