"""Pure core of the planner ⇄ Google Calendar two-way sync: `plan_link` and its values.

No I/O here: the engine (shell) fetches changes, calls `plan_link`, applies the actions.
"""

from functions.sync.mapping import appointment_id_for_event, event_from_google, event_id_for
from functions.sync.model import (
    Action,
    Appointment,
    Blocked,
    ConflictReason,
    ConflictResolution,
    CreateAppointment,
    CreateEvent,
    DeleteAppointment,
    DeleteEvent,
    ForgetState,
    GoogleChanges,
    GoogleEvent,
    ItemState,
    Link,
    Plan,
    PlannerChanges,
    Policy,
    Privacy,
    RecordConflict,
    SaveState,
    Side,
    UpdateAppointment,
    UpdateEvent,
)
from functions.sync.plan import plan_link

__all__ = [
    "Action",
    "Appointment",
    "Blocked",
    "ConflictReason",
    "ConflictResolution",
    "CreateAppointment",
    "CreateEvent",
    "DeleteAppointment",
    "DeleteEvent",
    "ForgetState",
    "GoogleChanges",
    "GoogleEvent",
    "ItemState",
    "Link",
    "Plan",
    "PlannerChanges",
    "Policy",
    "Privacy",
    "RecordConflict",
    "SaveState",
    "Side",
    "UpdateAppointment",
    "UpdateEvent",
    "appointment_id_for_event",
    "event_from_google",
    "event_id_for",
    "plan_link",
]
