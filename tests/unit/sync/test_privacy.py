"""sync/privacy.py: a consumer account shows more than "Belegt" only with a confirmation for it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.domain import DEFAULT_PRIVACY, Link, LinkStatus, Resource
from functions.sync import privacy
from functions.sync.model import Privacy

CONFIRMED = {"account_email": "praxis.anna@gmail.com", "actor": "admin-1", "role": "admin",
             "at": datetime(2026, 12, 3, tzinfo=UTC), "privacy": "full"}


def test_a_new_resource_is_busy() -> None:
    assert DEFAULT_PRIVACY == "busy"
    assert Resource("b", "r", "Anna", "employee").privacy == "busy"


@pytest.mark.parametrize(("email", "consumer"), [
    ("anna@gmail.com", True), ("Anna@GMail.com", True), ("anna@googlemail.com", True),
    ("anna@gmail.com.", True), ("praxis@example.com", False), ("anna@gmail.company.de", False),
    ("anna@notgmail.com", False), ("gmail.com@praxis.de", False), (None, False), ("", False),
    ("gmail.com", False),
    # a quoted local part may hold an "@" (RFC 5321): the domain is after the last one
    ('"anna@praxis.de"@gmail.com', True), ('"anna@gmail.com"@praxis.de', False),
])
def test_consumer_accounts_by_domain(email: str | None, consumer: bool) -> None:
    assert privacy.is_consumer_account(email) is consumer


@pytest.mark.parametrize("level", ["full", "title_only"])
def test_above_busy_needs_a_confirmation_for_that_very_account(level: str) -> None:
    assert privacy.effective(level, "praxis.anna@gmail.com", None) is Privacy.BUSY
    assert privacy.effective(level, "praxis.anna@gmail.com", CONFIRMED) is Privacy(level)
    assert privacy.effective(level, "PRAXIS.anna@gmail.com", CONFIRMED) is Privacy(level)
    # a consent of another account needs its own
    assert privacy.effective(level, "other@gmail.com", CONFIRMED) is Privacy.BUSY
    assert privacy.needs_confirmation(level, "other@gmail.com", CONFIRMED)
    # Workspace (any other domain): as set
    assert privacy.effective(level, "praxis@example.com", None) is Privacy(level)
    assert not privacy.needs_confirmation(level, "praxis@example.com", None)


def test_a_confirmation_without_an_account_covers_none() -> None:
    assert not privacy.confirmed_for({"confirmed_at": "2026-12-03T10:00:00+00:00"}, "anna@gmail.com")
    assert not privacy.confirmed_for({"account_email": None}, "anna@gmail.com")
    assert not privacy.confirmed_for(CONFIRMED, None)
    assert privacy.confirmed_for(CONFIRMED, CONFIRMED["account_email"].upper())


def test_busy_never_needs_a_confirmation() -> None:
    assert privacy.effective("busy", "anna@gmail.com", None) is Privacy.BUSY
    assert not privacy.needs_confirmation("busy", "anna@gmail.com", None)


@pytest.mark.parametrize(("old", "new", "raised"), [
    (None, "busy", False), (None, "title_only", True), (None, "full", True),
    ("busy", "title_only", True), ("busy", "full", True), ("title_only", "full", True),
    ("full", "full", False), ("full", "title_only", False), ("title_only", "busy", False),
    ("busy", "busy", False),
])
def test_raises(old: str | None, new: str, raised: bool) -> None:
    assert privacy.raises(old, new) is raised


def test_the_link_says_whether_its_account_is_a_consumer_one_and_the_confirmation() -> None:
    link = Link("b", "r", LinkStatus.LINKED, account_email="praxis.anna@gmail.com")
    assert link.to_api()["consumer_account"] is True and "consumer_confirmation" not in link.to_api()
    link.consumer_confirmation = CONFIRMED
    assert link.to_api()["consumer_confirmation"] == {
        "account_email": "praxis.anna@gmail.com", "actor": "admin-1", "at": "2026-12-03T00:00:00+00:00"}
    link.account_email = "other@gmail.com"  # a confirmation of another account is none
    assert "consumer_confirmation" not in link.to_api()
    workspace = Link("b", "r", LinkStatus.LINKED, account_email="p@example.com")
    assert workspace.to_api()["consumer_account"] is False
