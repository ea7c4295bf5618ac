"""A local, in-memory emulator of the Cloud Tasks v2 API (HTTP-target queues) on loopback.

The product talks to it with the REAL google-cloud-tasks client (REST transport); its
dispatcher sends due tasks to their HTTP targets as Cloud Tasks does. See README.md.
"""

from devtools.cloud_tasks_emulator.server import CloudTasksEmulator, create_app

__all__ = ["CloudTasksEmulator", "create_app"]
