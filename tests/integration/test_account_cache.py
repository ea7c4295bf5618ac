"""The engine's per-instance cache of each link's Calendar connection (`_Accounts`): reused while
the link's grant is the same, built anew when a new consent sealed another refresh token."""

from __future__ import annotations

import pytest

from functions.context import get_context
from functions.sync.engine import _Accounts
from tests.integration.conftest import BRANCH, Api

pytestmark = pytest.mark.firestore


def test_a_links_connection_is_reused_until_a_new_consent_replaces_its_grant(linked: tuple[Api, str]) -> None:
    api, _ = linked
    ctx = get_context()
    accounts = _Accounts()  # not the module's one: built after the code under test was chosen
    link = ctx.store.get_link(BRANCH, "anna")
    first, lock = accounts.get(ctx, link)
    assert accounts.get(ctx, link) == (first, lock)
    assert accounts.get(ctx, ctx.store.get_link(BRANCH, "anna")) == (first, lock)  # read again
    api.consent()  # the same account again: a new refresh token, sealed anew
    renewed = ctx.store.get_link(BRANCH, "anna")
    assert renewed.sealed_refresh_token != link.sealed_refresh_token
    second, second_lock = accounts.get(ctx, renewed)
    assert second is not first and second_lock is not lock
    assert accounts.get(ctx, renewed) == (second, second_lock)
