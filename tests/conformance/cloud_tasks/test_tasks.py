"""Tasks through the official client: named-task dedupe, get/list/delete, views, validation."""

from __future__ import annotations

import datetime as dt

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from devtools.cloud_tasks_emulator import CloudTasksEmulator
from tests.conformance.cloud_tasks.conftest import make_queue, status_of
from tests.conformance.cloud_tasks.worker import RecordingWorker


def _task(queue: tasks_v2.Queue, worker: RecordingWorker, task_id: str | None = None,
          **extra: object) -> dict:
    task: dict = {"http_request": {"url": worker.url(), "body": b"{}"}, **extra}
    if task_id:
        task["name"] = f"{queue.name}/tasks/{task_id}"
    return task


def _later(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def test_a_named_task_is_refused_while_it_exists(tasks: tasks_v2.CloudTasksClient,
                                                 worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    created = tasks.create_task(parent=queue.name, task=_task(queue, worker, "link-b1-r1",
                                                               schedule_time=_later(600)))
    assert created.name == f"{queue.name}/tasks/link-b1-r1"
    with pytest.raises(exceptions.Conflict) as err:
        tasks.create_task(parent=queue.name, task=_task(queue, worker, "link-b1-r1"))
    assert status_of(err.value) == "ALREADY_EXISTS"
    assert "existed too recently" in err.value.message
    assert len(list(tasks.list_tasks(parent=queue.name))) == 1


def test_a_completed_task_name_stays_taken_for_the_window(emulator: CloudTasksEmulator,
                                                          tasks: tasks_v2.CloudTasksClient,
                                                          worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    tasks.create_task(parent=queue.name, task=_task(queue, worker, "done"))
    emulator.wait_until_empty(queue.name)
    with pytest.raises(exceptions.Conflict):
        tasks.create_task(parent=queue.name, task=_task(queue, worker, "done"))
    emulator.advance_clock(59 * 60)
    with pytest.raises(exceptions.Conflict):
        tasks.create_task(parent=queue.name, task=_task(queue, worker, "done"))
    emulator.advance_clock(2 * 60)  # an hour (and a minute) after it completed
    again = tasks.create_task(parent=queue.name, task=_task(queue, worker, "done"))
    assert again.name.endswith("/tasks/done")


def test_a_deleted_task_name_stays_taken(tasks: tasks_v2.CloudTasksClient, worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    task = tasks.create_task(parent=queue.name, task=_task(queue, worker, "gone",
                                                            schedule_time=_later(600)))
    tasks.delete_task(name=task.name)
    with pytest.raises(exceptions.NotFound):
        tasks.get_task(name=task.name)
    with pytest.raises(exceptions.NotFound):
        tasks.delete_task(name=task.name)
    with pytest.raises(exceptions.Conflict):
        tasks.create_task(parent=queue.name, task=_task(queue, worker, "gone"))


def test_the_same_name_in_another_queue_is_another_task(tasks: tasks_v2.CloudTasksClient,
                                                        worker: RecordingWorker) -> None:
    first, second = make_queue(tasks), make_queue(tasks)
    tasks.create_task(parent=first.name, task=_task(first, worker, "same", schedule_time=_later(600)))
    tasks.create_task(parent=second.name, task=_task(second, worker, "same", schedule_time=_later(600)))


def test_unnamed_tasks_get_ids_and_are_never_deduplicated(tasks: tasks_v2.CloudTasksClient,
                                                          worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    names = {tasks.create_task(parent=queue.name, task=_task(queue, worker, schedule_time=_later(600))).name
             for _ in range(3)}
    assert len(names) == 3
    assert all(n.startswith(queue.name + "/tasks/") for n in names)
    assert all(n.rsplit("/", 1)[1].isdigit() and len(n.rsplit("/", 1)[1]) == 19 for n in names)
    listed = list(tasks.list_tasks(parent=queue.name))
    assert {t.name for t in listed} == names


def test_get_and_list_show_the_basic_view_unless_full_is_asked(tasks: tasks_v2.CloudTasksClient,
                                                               worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    when = _later(300)
    created = tasks.create_task(parent=queue.name, task=_task(
        queue, worker, "viewed", schedule_time=when,
        http_request={"url": worker.url("/v"), "body": b"payload", "headers": {"X-Link": "b1/r1"}}))
    assert created.view == tasks_v2.Task.View.BASIC and created.http_request.body == b""
    assert created.http_request.url == worker.url("/v")
    assert created.http_request.http_method == tasks_v2.HttpMethod.POST  # the default
    assert created.http_request.headers["X-Link"] == "b1/r1"
    assert abs(created.schedule_time.timestamp() - when.timestamp()) < 1e-3
    assert created.create_time.timestamp() <= created.schedule_time.timestamp()
    assert created.dispatch_count == 0 and created.response_count == 0
    assert created.dispatch_deadline.total_seconds() == 600
    full = tasks.get_task(request={"name": created.name, "response_view": tasks_v2.Task.View.FULL})
    assert full.view == tasks_v2.Task.View.FULL and full.http_request.body == b"payload"
    listed = list(tasks.list_tasks(request={"parent": queue.name, "response_view": tasks_v2.Task.View.FULL}))
    assert [t.http_request.body for t in listed] == [b"payload"]


def test_list_tasks_pages(tasks: tasks_v2.CloudTasksClient, worker: RecordingWorker) -> None:
    queue = make_queue(tasks)
    for i in range(5):
        tasks.create_task(parent=queue.name,
                          task=_task(queue, worker, f"t{i}", schedule_time=_later(600 + i)))
    pager = tasks.list_tasks(request={"parent": queue.name, "page_size": 2})
    pages = list(pager.pages)
    assert [len(p.tasks) for p in pages] == [2, 2, 1]
    assert [t.name.rsplit("/", 1)[1] for p in pages for t in p.tasks] == [f"t{i}" for i in range(5)]


@pytest.mark.parametrize(("task", "status"), [
    ({"http_request": {"url": "ftp://127.0.0.1/x"}}, "INVALID_ARGUMENT"),
    ({"http_request": {"url": "http://example.com/x"}}, "INVALID_ARGUMENT"),  # loopback only
    ({"http_request": {"url": "URL", "http_method": tasks_v2.HttpMethod.GET, "body": b"x"}},
     "INVALID_ARGUMENT"),
    ({"http_request": {"url": "URL"}, "dispatch_deadline": {"seconds": 5}}, "INVALID_ARGUMENT"),
    ({"http_request": {"url": "URL"}, "schedule_time": "FAR"}, "INVALID_ARGUMENT"),
    ({"http_request": {"url": "URL"}, "name": "BAD"}, "INVALID_ARGUMENT"),
    ({"http_request": {"url": "URL"}, "name": "OTHER"}, "INVALID_ARGUMENT"),
    ({"http_request": {"url": "URL", "body": b"x" * (101 * 1024)}}, "INVALID_ARGUMENT"),
    ({"app_engine_http_request": {"relative_uri": "/x"}}, "UNIMPLEMENTED"),
    ({"http_request": {"url": "URL", "oauth_token": {"service_account_email": "a@b.c"}}}, "UNIMPLEMENTED"),
])
def test_invalid_tasks_are_refused(tasks: tasks_v2.CloudTasksClient, worker: RecordingWorker,
                                   task: dict, status: str) -> None:
    queue = make_queue(tasks)
    if task.get("http_request", {}).get("url") == "URL":
        task["http_request"]["url"] = worker.url()
    if task.get("schedule_time") == "FAR":
        task["schedule_time"] = _later(31 * 86400)
    if task.get("name") == "BAD":
        task["name"] = f"{queue.name}/tasks/no spaces"
    if task.get("name") == "OTHER":
        task["name"] = "projects/conformance/locations/europe-west3/queues/other/tasks/x"
    with pytest.raises(exceptions.GoogleAPICallError) as err:
        tasks.create_task(parent=queue.name, task=task)
    assert status_of(err.value) == status
    assert list(tasks.list_tasks(parent=queue.name)) == []


def test_a_task_for_a_missing_queue_is_not_found(tasks: tasks_v2.CloudTasksClient,
                                                 worker: RecordingWorker) -> None:
    with pytest.raises(exceptions.NotFound):
        tasks.create_task(parent="projects/conformance/locations/europe-west3/queues/nope",
                          task={"http_request": {"url": worker.url()}})
