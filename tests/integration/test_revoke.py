"""Withdrawing consent (POST /revoke) on the emulators: everything of the link is forgotten, the
audit says whether Google confirmed the revocation, and a token the bridge can no longer read
is forgotten all the same, with the admin told to revoke it at Google."""

from __future__ import annotations

import pytest

from devtools.google_emulator.client import EmulatorControl
from functions.adapters.sync_store import SyncStore
from functions.context import get_context
from functions.domain import link_id
from tests.integration.conftest import BRANCH, Api, link_doc, logged
from tests.integration.test_sync import put, sync
from tests.integration.test_token_key_rotation import NEW_KEY, use_keys

pytestmark = pytest.mark.firestore
LINK = link_id(BRANCH, "anna")


def revoke(api: Api, resource: str = "anna"):
    return api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": resource})


def test_revoke_forgets_the_grant_the_calendar_and_the_item_states(linked: tuple[Api, str],
                                                                  control: EmulatorControl) -> None:
    api, cal = linked
    put(api, "t1")
    sync(api)
    assert SyncStore(get_context().store.db).states(LINK)
    assert revoke(api).get_json() == {"status": "revoked"}
    doc = link_doc()
    assert doc["status"] == "revoked" and doc.get("last_error") is None
    for field in ("sealed_refresh_token", "google_calendar_id", "google_calendar_name",
                  "consumer_confirmation", "lease_owner"):
        assert doc.get(field) is None, field
    assert doc.get("granted_scopes") == []
    assert SyncStore(get_context().store.db).states(LINK) == []
    entry = get_context().store.audit_entries(BRANCH, "anna")[-1]
    assert (entry["actor"], entry["role"], entry["action"]) == ("u-1", "planner", "revoked")
    assert entry["details"] == {"revoked_at_google": True, "calendar_id": cal}
    assert not any(g["alive"] for g in control.grants())
    put(api, "t2")
    assert sync(api).get("pushed", 0) == 0  # sync stopped


def test_a_token_no_key_opens_is_forgotten_and_the_admin_told_to_revoke_at_google(
        linked: tuple[Api, str], control: EmulatorControl, monkeypatch: pytest.MonkeyPatch,
        log_lines) -> None:
    api, cal = linked
    use_keys(monkeypatch, f"2:{NEW_KEY}")  # the link's key version 1 was disabled
    assert revoke(api).get_json() == {"status": "revoked"}
    status = api.status(lang="en")
    assert (status["status"], status["last_error_code"]) == ("revoked", "revocation_unconfirmed")
    assert link_doc().get("sealed_refresh_token") is None
    assert any(g["alive"] for g in control.grants())  # Google still holds it: nothing could revoke it
    entry = get_context().store.audit_entries(BRANCH, "anna")[-1]
    assert entry["details"] == {"revoked_at_google": False, "calendar_id": cal}
    (line,) = logged(log_lines, "does not decrypt")
    assert line["severity"] == "ERROR" and line["link"] == LINK


def test_a_resource_that_was_never_linked_cannot_be_revoked(api: Api) -> None:
    api.setup_branch()
    r = revoke(api, "raum-1")
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "not_linked")
    assert api.status(resource="raum-1")["status"] == "none"


@pytest.mark.parametrize(("body", "field"), [
    ({"branch_id": "bad branch", "resource_id": "anna"}, "branch_id"),
    ({"branch_id": BRANCH, "resource_id": "anna/1"}, "resource_id"),
    ({"resource_id": "anna"}, "branch_id"),
])
def test_a_bad_id_is_400_naming_its_field_and_revokes_nothing(linked: tuple[Api, str], body: dict,
                                                              field: str) -> None:
    api, _ = linked
    r = api.call("POST", "/revoke", body, headers={"Accept-Language": "en"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "invalid_id")
    assert r.get_json()["error"]["message"].startswith(f"{field} must be")
    assert api.status()["status"] == "linked"


def test_an_employee_withdraws_the_consent_of_their_own_resource_only(linked: tuple[Api, str]) -> None:
    api, _ = linked
    stranger = api.token("employee", resources=["raum-1"], sub="u-raum")
    assert revoke_as(api, stranger).status_code == 403
    assert api.status()["status"] == "linked"
    own = api.token("employee", resources=["anna"], sub="u-anna")
    r = revoke_as(api, own)
    assert r.status_code == 200 and r.get_json() == {"status": "revoked"}
    entry = get_context().store.audit_entries(BRANCH, "anna")[-1]
    assert (entry["actor"], entry["role"], entry["action"]) == ("u-anna", "employee", "revoked")


def revoke_as(api: Api, token: str):
    return api.call("POST", "/revoke", {"branch_id": BRANCH, "resource_id": "anna"}, token=token)


def test_a_run_still_at_work_can_write_nothing_while_the_link_is_forgotten(
        linked: tuple[Api, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.adapters.firestore_store import FirestoreStore
    from functions.adapters.sync_store import TAKEOVER

    api, _ = linked
    put(api, "t1")
    sync(api)
    leases: list[str | None] = []
    real = FirestoreStore.forget_sync_items

    def observed(self, branch_id, resource_id):  # what a run's fenced write would meet now
        leases.append(link_doc().get("lease_owner"))
        return real(self, branch_id, resource_id)

    monkeypatch.setattr(FirestoreStore, "forget_sync_items", observed)
    assert revoke(api).status_code == 200
    assert len(leases) == 1 and leases[0].startswith(TAKEOVER)
