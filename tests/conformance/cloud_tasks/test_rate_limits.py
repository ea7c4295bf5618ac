"""The queue's rate limits govern dispatch: max_dispatches_per_second (a token bucket of
max_burst_size) and max_concurrent_dispatches."""

from __future__ import annotations

import time

from google.cloud import tasks_v2

from devtools.cloud_tasks_emulator import CloudTasksEmulator
from tests.conformance.cloud_tasks.conftest import make_queue
from tests.conformance.cloud_tasks.worker import RecordingWorker


def test_max_dispatches_per_second_spreads_a_burst(emulator: CloudTasksEmulator,
                                                   tasks: tasks_v2.CloudTasksClient,
                                                   worker: RecordingWorker) -> None:
    queue = make_queue(tasks, rate_limits={"max_dispatches_per_second": 4})
    burst, count = queue.rate_limits.max_burst_size, 8
    tasks.pause_queue(name=queue.name)
    for i in range(count):
        tasks.create_task(parent=queue.name, task={"name": f"{queue.name}/tasks/r{i}",
                                                   "http_request": {"url": worker.url()}})
    started = time.monotonic()
    tasks.resume_queue(name=queue.name)
    got = worker.wait_for(count, timeout=30)
    # At most `burst` at once, then 4 a second: the last cannot arrive before (count - burst) / 4 s.
    # (A lower bound only: a loaded machine makes the spread longer, never shorter.)
    assert got[-1].at - started >= (count - burst) / 4 * 0.95
    emulator.wait_until_empty(queue.name)


def test_a_higher_rate_set_by_update_queue_takes_effect(emulator: CloudTasksEmulator,
                                                        tasks: tasks_v2.CloudTasksClient,
                                                        worker: RecordingWorker) -> None:
    queue = make_queue(tasks, rate_limits={"max_dispatches_per_second": 0.2})
    tasks.pause_queue(name=queue.name)
    for _ in range(3):
        tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    tasks.resume_queue(name=queue.name)
    worker.wait_for(1)
    time.sleep(0.5)
    assert len(worker.received()) == 1  # the next token comes in 5 s
    tasks.update_queue(queue={"name": queue.name, "rate_limits": {"max_dispatches_per_second": 100}},
                       update_mask={"paths": ["rate_limits.max_dispatches_per_second"]})
    worker.wait_for(3, timeout=10)


def test_max_concurrent_dispatches_caps_requests_in_flight(emulator: CloudTasksEmulator,
                                                           tasks: tasks_v2.CloudTasksClient,
                                                           worker: RecordingWorker) -> None:
    queue = make_queue(tasks, rate_limits={"max_concurrent_dispatches": 2})
    worker.gate.clear()  # the worker holds every request until the test lets them go
    for _ in range(5):
        tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    worker.wait_in_flight(2)
    time.sleep(0.5)
    assert len(worker.received()) == 2 and worker.max_in_flight == 2
    worker.gate.set()
    worker.wait_for(5)
    emulator.wait_until_empty(queue.name)
    assert worker.max_in_flight <= 2
