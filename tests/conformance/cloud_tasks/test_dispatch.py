"""Dispatch: the HTTP request a worker gets, schedule times, pause/resume/purge, RunTask."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from devtools.cloud_tasks_emulator import CloudTasksEmulator
from tests.conformance.cloud_tasks.conftest import make_queue
from tests.conformance.cloud_tasks.worker import RecordingWorker


def _later(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def test_the_worker_gets_url_method_headers_and_body(emulator: CloudTasksEmulator,
                                                     tasks: tasks_v2.CloudTasksClient,
                                                     worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    created = tasks.create_task(parent=queue.name, task={
        "name": f"{queue.name}/tasks/link-berlin-anna",
        "http_request": {
            "url": worker.url("/sync_link?source=tasks"), "http_method": tasks_v2.HttpMethod.PUT,
            "body": b'{"branch": "berlin", "resource": "anna"}',
            "headers": {"Content-Type": "application/json", "X-Link": "berlin/anna",
                        "User-Agent": "mine", "Host": "elsewhere", "X-CloudTasks-TaskName": "forged"}}})
    (got,) = worker.wait_for(1, "/sync_link")
    assert got.method == "PUT"
    assert got.body == b'{"branch": "berlin", "resource": "anna"}'
    h = got.headers
    assert h["content-type"] == "application/json" and h["x-link"] == "berlin/anna"
    assert h["user-agent"] == "Google-Cloud-Tasks"  # replaced, as Google does
    assert h["host"] == worker.base.removeprefix("http://")  # computed from the URL
    assert h["content-length"] == str(len(got.body))
    assert h["x-cloudtasks-queuename"] == queue.name.rsplit("/", 1)[1]  # the short queue id
    assert h["x-cloudtasks-taskname"] == "link-berlin-anna"
    assert h["x-cloudtasks-taskretrycount"] == "0"
    assert h["x-cloudtasks-taskexecutioncount"] == "0"
    assert float(h["x-cloudtasks-tasketa"]) == pytest.approx(created.schedule_time.timestamp(), abs=1e-5)
    assert "x-cloudtasks-taskpreviousresponse" not in h
    assert "authorization" not in h  # no oidc_token on this task
    emulator.wait_until_empty(queue.name)
    with pytest.raises(exceptions.NotFound):  # 2xx: the task is done and gone
        tasks.get_task(name=created.name)


def test_post_is_the_default_and_get_sends_no_body(emulator: CloudTasksEmulator,
                                                   tasks: tasks_v2.CloudTasksClient,
                                                   worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url("/p")}})
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url("/g"),
                                                                "http_method": tasks_v2.HttpMethod.GET}})
    (post,) = worker.wait_for(1, "/p")
    (get,) = worker.wait_for(1, "/g")
    assert (post.method, post.body) == ("POST", b"")
    assert (get.method, get.body) == ("GET", b"")
    assert "content-type" not in post.headers  # Cloud Tasks sets none of its own


def test_a_redirect_is_not_followed_but_failed(emulator: CloudTasksEmulator,
                                               tasks: tasks_v2.CloudTasksClient,
                                               worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config={"min_backoff": {"nanos": 50_000_000}})
    worker.respond("/work", 302, headers={"Location": worker.url("/elsewhere")})
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    emulator.wait_until_empty(queue.name)
    assert [r.path for r in worker.received()] == ["/work", "/work"]
    assert [d["status"] for d in emulator.dispatches(task.name)] == [302, 200]


def test_a_task_waits_for_its_schedule_time(emulator: CloudTasksEmulator, tasks: tasks_v2.CloudTasksClient,
                                            worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    when = _later(1.0)  # the debounce: a planner write queues its link's task a little later
    created = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url("/later")},
                                                         "schedule_time": when})
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url("/now")}})
    worker.wait_for(1, "/now")
    (got,) = worker.wait_for(1, "/later", timeout=20)
    assert got.wall >= when.timestamp() - 0.01  # never early (lateness is allowed)
    assert float(got.headers["x-cloudtasks-tasketa"]) == pytest.approx(when.timestamp(), abs=1e-5)
    assert created.schedule_time.timestamp() == pytest.approx(when.timestamp(), abs=1e-5)


def test_a_past_schedule_time_means_now(tasks: tasks_v2.CloudTasksClient, worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    before = time.time()
    created = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()},
                                                         "schedule_time": _later(-3600)})
    assert created.schedule_time.timestamp() >= before - 0.01
    worker.wait_for(1)


def test_advancing_the_clock_makes_a_future_task_due(emulator: CloudTasksEmulator,
                                                     tasks: tasks_v2.CloudTasksClient,
                                                     worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()},
                                               "schedule_time": _later(3600)})
    time.sleep(0.3)
    assert worker.received() == []
    emulator.advance_clock(3600)
    worker.wait_for(1)


def test_a_paused_queue_holds_its_tasks_until_resumed(emulator: CloudTasksEmulator,
                                                      tasks: tasks_v2.CloudTasksClient,
                                                      worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    tasks.pause_queue(name=queue.name)
    for i in range(3):
        tasks.create_task(parent=queue.name, task={"name": f"{queue.name}/tasks/held-{i}",
                                                   "http_request": {"url": worker.url()}})
    time.sleep(0.8)
    assert worker.received() == []
    assert len(list(tasks.list_tasks(parent=queue.name))) == 3
    tasks.resume_queue(name=queue.name)
    got = worker.wait_for(3)
    assert sorted(r.headers["x-cloudtasks-taskname"] for r in got) == ["held-0", "held-1", "held-2"]
    emulator.wait_until_empty(queue.name)


def test_purge_deletes_every_task(emulator: CloudTasksEmulator, tasks: tasks_v2.CloudTasksClient,
                                  worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    tasks.pause_queue(name=queue.name)
    for i in range(3):
        tasks.create_task(parent=queue.name, task={"name": f"{queue.name}/tasks/p{i}",
                                                   "http_request": {"url": worker.url()}})
    tasks.purge_queue(name=queue.name)
    assert list(tasks.list_tasks(parent=queue.name)) == []
    tasks.resume_queue(name=queue.name)
    tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url("/after")}})
    worker.wait_for(1, "/after")
    time.sleep(0.3)
    assert [r.path for r in worker.received()] == ["/after"]
    with pytest.raises(exceptions.Conflict):  # purged names are deleted names
        tasks.create_task(parent=queue.name, task={"name": f"{queue.name}/tasks/p0",
                                                   "http_request": {"url": worker.url()}})


def test_run_task_dispatches_now_even_when_paused(emulator: CloudTasksEmulator,
                                                  tasks: tasks_v2.CloudTasksClient,
                                                  worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    tasks.pause_queue(name=queue.name)
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()},
                                                      "schedule_time": _later(3600)})
    ran = tasks.run_task(name=task.name)
    assert ran.dispatch_count == 1
    worker.wait_for(1)
    emulator.wait_until_empty(queue.name)
    with pytest.raises(exceptions.NotFound):
        tasks.run_task(name=task.name)


def test_a_failed_run_task_reschedules_by_the_backoff(emulator: CloudTasksEmulator,
                                                      tasks: tasks_v2.CloudTasksClient,
                                                      worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config={"min_backoff": {"seconds": 20}})
    tasks.pause_queue(name=queue.name)
    worker.respond("/work", 500)
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()},
                                                      "schedule_time": _later(3600)})
    tasks.run_task(name=task.name)
    assert emulator.wait_for(lambda: len(emulator.dispatches(task.name)) == 1)
    after = tasks.get_task(name=task.name)
    assert after.dispatch_count == 1 and after.last_attempt.response_status.code == 13  # INTERNAL
    delay = after.schedule_time.timestamp() - after.last_attempt.response_time.timestamp()
    assert delay == pytest.approx(20, abs=0.01)


def test_no_answer_within_the_dispatch_deadline_is_a_failed_attempt(emulator: CloudTasksEmulator,
                                                                    tasks: tasks_v2.CloudTasksClient,
                                                                    worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config={"max_attempts": 1})
    tasks.pause_queue(name=queue.name)
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()},
                                                      "dispatch_deadline": {"seconds": 15}})
    with emulator.state.cond:  # 15 s is Google's minimum; a test cannot wait that long
        emulator.state.task(task.name).task.dispatch_deadline.FromMilliseconds(300)
    worker.gate.clear()
    tasks.resume_queue(name=queue.name)
    emulator.wait_until_empty(queue.name)
    worker.gate.set()
    (attempt,) = emulator.dispatches(task.name)
    assert (attempt["status"], attempt["code"], attempt["outcome"]) == (None, "DEADLINE_EXCEEDED", "gave_up")


def test_a_task_deleted_in_flight_is_not_retried(emulator: CloudTasksEmulator,
                                                 tasks: tasks_v2.CloudTasksClient,
                                                 worker: RecordingWorker) -> None:
    queue = make_queue(tasks, retry_config={"min_backoff": {"nanos": 100_000_000}})
    worker.gate.clear()
    worker.respond("/work", 503)
    task = tasks.create_task(parent=queue.name, task={"http_request": {"url": worker.url()}})
    worker.wait_in_flight(1)
    tasks.delete_task(name=task.name)
    worker.gate.set()
    assert emulator.wait_for(lambda: len(emulator.dispatches(task.name)) == 1)
    time.sleep(0.5)
    assert len(worker.received()) == 1
    assert emulator.dispatches(task.name)[0]["outcome"] == "ignored"
