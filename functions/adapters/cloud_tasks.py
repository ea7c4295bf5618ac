"""Queue a link's sync on Cloud Tasks (the official google-cloud-tasks client, REST transport).

One task = one link's sync: an HTTP POST of `{branch_id, resource_id, reason}` (and, for a push
task, `channel_id`) to the `sync_link`
worker with an OIDC token of the tasks service account (the worker checks it like `sync`
checks the Scheduler's). Tasks are named (`functions/sync/schedule.py`), so a link queued twice
for the same purpose and window is one task: Cloud Tasks answers the second ALREADY_EXISTS.
REST, not gRPC: the same code reaches Google and the local emulator (`devtools/cloud_tasks_emulator`,
`CLOUD_TASKS_API_ENDPOINT`), and a duplicate raises `Conflict` on either.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2

from functions.config import Settings
from functions.sync.schedule import TaskSlot

log = logging.getLogger(__name__)
CREATORS = 16  # Cloud Tasks has no batch create: the dispatcher creates tasks in parallel


@cache
def _client(api_endpoint: str | None) -> tasks_v2.CloudTasksClient:
    if api_endpoint:  # a local Cloud Tasks API on loopback: no credentials
        return tasks_v2.CloudTasksClient(transport="rest", credentials=AnonymousCredentials(),
                                         client_options={"api_endpoint": api_endpoint})
    return tasks_v2.CloudTasksClient(transport="rest")


class LinkQueue:
    def __init__(self, settings: Settings) -> None:
        assert settings.tasks.queue is not None, "SYNC_QUEUE is not set"
        self.settings = settings
        self.queue = settings.tasks.queue
        self.client = _client(settings.tasks.api_endpoint)

    def _task(self, branch_id: str, resource_id: str, slot: TaskSlot) -> dict[str, Any]:
        url = self.settings.sync_link_url
        body: dict[str, str] = {"branch_id": branch_id, "resource_id": resource_id, "reason": slot.reason}
        if slot.channel_id is not None:
            body["channel_id"] = slot.channel_id
        return {
            "name": f"{self.queue}/tasks/{slot.name}",
            "schedule_time": slot.due,
            "http_request": {
                "http_method": tasks_v2.HttpMethod.POST,
                "url": url,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps(body).encode(),
                "oidc_token": {"service_account_email": self.settings.tasks.invoker, "audience": url},
            },
        }

    def enqueue(self, branch_id: str, resource_id: str, slot: TaskSlot) -> bool:
        """Queue the link's task; False when this slot's task exists already (deduplicated)."""
        try:
            self.client.create_task(parent=self.queue, task=self._task(branch_id, resource_id, slot))
        except (exceptions.Conflict, exceptions.AlreadyExists):
            return False
        return True

    def enqueue_many(self, jobs: Iterable[tuple[str, str, TaskSlot]]) -> tuple[int, int]:
        """Queue many links at once; returns (queued, already queued)."""
        jobs = list(jobs)
        if not jobs:
            return 0, 0
        with ThreadPoolExecutor(max_workers=min(CREATORS, len(jobs))) as pool:
            created = list(pool.map(lambda job: self.enqueue(*job), jobs))
        return sum(created), len(created) - sum(created)
