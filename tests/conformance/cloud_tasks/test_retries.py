"""Retries: non-2xx answers (429, 503, 500, 404) and no answer are retried with exponential
backoff within the queue's RetryConfig; 2xx ends the task; max_attempts ends the retries."""

from __future__ import annotations

import itertools
import time

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from devtools.cloud_tasks_emulator import CloudTasksEmulator, model
from tests.conformance.cloud_tasks.conftest import fast_retries, make_queue
from tests.conformance.cloud_tasks.worker import RecordingWorker


@pytest.mark.parametrize("status", [503, 429])
def test_retried_with_growing_backoff_until_max_attempts(emulator: CloudTasksEmulator,
                                                         tasks: tasks_v2.CloudTasksClient,
                                                         worker: RecordingWorker, status: int) -> None:
    queue = make_queue(tasks, retry_config=fast_retries(max_attempts=4, min_backoff=0.1, max_backoff=5))
    worker.respond("/work", *[status] * 10)
    task = tasks.create_task(parent=queue.name, task={"name": f"{queue.name}/tasks/failing",
                                                      "http_request": {"url": worker.url()}})
    got = worker.wait_for(4)
    emulator.wait_until_empty(queue.name)  # gave up after the 4th attempt: deleted
    time.sleep(0.3)
    assert len(worker.received()) == 4
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    # 0.1 s, 0.2 s, 0.4 s (+ the worker's time); only lower bounds: a loaded machine is late, never early
    for gap, expected in zip(gaps, (0.1, 0.2, 0.4), strict=True):
        assert gap >= expected * 0.9, gaps
    assert [r.headers["x-cloudtasks-taskretrycount"] for r in got] == ["0", "1", "2", "3"]
    assert [r.headers.get("x-cloudtasks-taskpreviousresponse") for r in got] == [None] + [str(status)] * 3
    etas = [float(r.headers["x-cloudtasks-tasketa"]) for r in got]
    assert etas == sorted(etas) and len(set(etas)) == 4  # each retry has its new schedule time
    with pytest.raises(exceptions.NotFound):
        tasks.get_task(name=task.name)
    outcomes = [d["outcome"] for d in emulator.dispatches(task.name)]
    assert outcomes == ["retry", "retry", "retry", "gave_up"]
    with pytest.raises(exceptions.Conflict):  # a permanently failed task's name is taken too
        tasks.create_task(parent=queue.name, task={"name": task.name, "http_request": {"url": worker.url()}})


def test_a_2xx_after_failures_completes_the_task(emulator: CloudTasksEmulator,
                                                 tasks: tasks_v2.CloudTasksClient,
                                                 worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config=fast_retries(max_attempts=10, min_backoff=0.05))
    worker.respond("/work", 500, 404, 429, 204)
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    got = worker.wait_for(4)
    emulator.wait_until_empty(queue.name)
    time.sleep(0.3)
    assert len(worker.received()) == 4
    # the execution count leaves out 5xx answers; the retry count counts every attempt
    assert [r.headers["x-cloudtasks-taskexecutioncount"] for r in got] == ["0", "0", "1", "2"]
    assert [r.headers["x-cloudtasks-taskretrycount"] for r in got] == ["0", "1", "2", "3"]
    assert [d["status"] for d in emulator.dispatches(task.name)] == [500, 404, 429, 204]
    assert emulator.dispatches(task.name)[-1]["outcome"] == "completed"


def test_the_task_shows_its_attempts_while_it_waits_for_a_retry(emulator: CloudTasksEmulator,
                                                                tasks: tasks_v2.CloudTasksClient,
                                                                worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config=fast_retries(max_attempts=3, min_backoff=30, max_backoff=60))
    worker.respond("/work", 503)
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    assert emulator.wait_for(lambda: len(emulator.dispatches(task.name)) == 1)
    waiting = tasks.get_task(name=task.name)
    assert (waiting.dispatch_count, waiting.response_count) == (1, 1)
    assert waiting.first_attempt.dispatch_time is not None
    assert waiting.last_attempt.response_status.code == 14  # UNAVAILABLE
    delay = waiting.schedule_time.timestamp() - waiting.last_attempt.response_time.timestamp()
    assert delay == pytest.approx(30, abs=0.01)  # min_backoff
    emulator.advance_clock(30)
    worker.wait_for(2)
    emulator.wait_until_empty(queue.name)


def test_retry_after_of_a_503_is_considered(emulator: CloudTasksEmulator, tasks: tasks_v2.CloudTasksClient,
                                            worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config=fast_retries(max_attempts=3, min_backoff=0.05, max_backoff=1.5))
    worker.respond("/work", 503, headers={"Retry-After": "1"})
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    first, second = worker.wait_for(2)
    assert second.at - first.at >= 0.9


def test_retry_after_is_capped_at_max_backoff(emulator: CloudTasksEmulator, tasks: tasks_v2.CloudTasksClient,
                                              worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config=fast_retries(max_attempts=3, min_backoff=0.05, max_backoff=0.5))
    worker.respond("/work", 429, headers={"Retry-After": "3600"})
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    worker.wait_for(2, timeout=20)  # not an hour later


def test_no_answer_is_retried(emulator: CloudTasksEmulator, tasks: tasks_v2.CloudTasksClient,
                              worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config=fast_retries(max_attempts=2, min_backoff=0.05))
    closed = RecordingWorker()  # bound, then closed: nothing listens on its port
    url = closed.url()
    closed._server.server_close()
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": url}})
    emulator.wait_until_empty(queue.name)
    attempts = emulator.dispatches(task.name)
    assert [(d["status"], d["code"]) for d in attempts] == [(None, "UNAVAILABLE")] * 2


def test_backoff_follows_the_documented_sequence() -> None:
    queue = model.QueuePb(name="projects/p/locations/l/queues/q")
    queue.retry_config.min_backoff.seconds = 10
    queue.retry_config.max_backoff.seconds = 300
    queue.retry_config.max_doublings = 3
    model.apply_queue_defaults(queue)
    assert [model.retry_delay(queue, k) for k in range(1, 9)] == [10, 20, 40, 80, 160, 240, 300, 300]


def test_max_attempts_and_max_retry_duration_must_both_be_met() -> None:
    queue = model.QueuePb(name="projects/p/locations/l/queues/q")
    queue.retry_config.max_attempts = 3
    queue.retry_config.max_retry_duration.seconds = 60
    model.apply_queue_defaults(queue)
    assert not model.gives_up(queue, 3, first_attempt=0, now=30)
    assert not model.gives_up(queue, 2, first_attempt=0, now=90)
    assert model.gives_up(queue, 3, first_attempt=0, now=90)
    queue.retry_config.max_attempts = -1
    assert not model.gives_up(queue, 1000, first_attempt=0, now=30)
    assert model.gives_up(queue, 1, first_attempt=0, now=60)
    queue.retry_config.max_retry_duration.seconds = 0
    assert not model.gives_up(queue, 10**6, first_attempt=0, now=10**9)  # unlimited
