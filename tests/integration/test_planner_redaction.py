"""Issue 12 (6): a planner request that fails logs no patient data; before, only the sync
declared appointment texts as sensitive, so a failing PUT or GET logged them in its traceback."""

from __future__ import annotations

import io

import pytest

from functions.adapters.appointments_store import AppointmentStore, StoredAppointment
from tests.integration.conftest import BRANCH, Api

pytestmark = pytest.mark.firestore
PATH = f"/planner/branches/{BRANCH}/appointments"
TITLE, LOCATION = "Hörgeräteanpassung Frau Müller", "Praxis Dr. Schäfer"
NOTES = 'Tinnitus links,\n"Diabetes" seit 2019'
BODY = {"resource_id": "anna", "start": "2031-05-06T09:00:00+02:00", "end": "2031-05-06T10:00:00+02:00",
        "title": TITLE, "location": LOCATION, "notes": NOTES}
PIECES = ("Müller", "M\\u00fcller", "Schäfer", "Sch\\u00e4fer", "Tinnitus", "Diabetes")


def explode(*_args: object, **_kwargs: object) -> None:
    # What a store error may say: the texts bare, without their field names (repr-escaped too).
    raise RuntimeError(f"cannot store {TITLE} at {LOCATION}: {NOTES!r}")


def assert_logged_without_patient_data(stream: io.StringIO) -> None:
    out = stream.getvalue()
    assert "unhandled error in planner" in out and "RuntimeError" in out  # the failure is logged ...
    for piece in PIECES:
        assert piece not in out, piece                                     # ... without patient data


def test_a_failing_put_logs_no_patient_data(api: Api, monkeypatch: pytest.MonkeyPatch,
                                            log_lines: io.StringIO) -> None:
    api.setup_branch()
    monkeypatch.setattr(AppointmentStore, "put", explode)
    r = api.call("PUT", f"{PATH}/t1", BODY)
    assert (r.status_code, r.get_json()["error"]["code"]) == (500, "internal")
    assert_logged_without_patient_data(log_lines)


def test_a_put_that_fails_before_its_texts_are_checked_logs_none_of_them(
        api: Api, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO) -> None:
    api.setup_branch()
    monkeypatch.setattr("functions.services.appointments.require_branch", explode)
    r = api.call("PUT", f"{PATH}/t1", BODY)
    assert r.status_code == 500
    assert_logged_without_patient_data(log_lines)


@pytest.mark.parametrize("path", [f"{PATH}/t1", f"/planner/branches/{BRANCH}/changes"])
def test_a_failing_read_logs_no_patient_data(api: Api, monkeypatch: pytest.MonkeyPatch,
                                             log_lines: io.StringIO, path: str) -> None:
    api.setup_branch()
    assert api.call("PUT", f"{PATH}/t1", BODY).status_code == 200
    monkeypatch.setattr(StoredAppointment, "to_api", explode)
    r = api.call("GET", path)
    assert r.status_code == 500
    assert_logged_without_patient_data(log_lines)
