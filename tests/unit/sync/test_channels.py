"""Push channel decisions (sync/channels.py) and push task names (schedule.push_task): pure,
by example and with hypothesis."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.sync import channels, schedule
from functions.sync.channels import ChannelView, LinkView, Upkeep

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
lives = st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=30))
fractions = st.floats(min_value=0.05, max_value=1.0)
T0 = datetime(2030, 5, 6, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def view(channel: ChannelView | None = None, **kw: object) -> LinkView:
    return LinkView(**({"syncing": True, "throttled": False, "wanted": True, "channel": channel} | kw))


def healthy_channel(opened: datetime = T0) -> ChannelView:
    return ChannelView(opened, opened + WEEK, confirmed=True)


@given(moments, lives, fractions)
def test_renewal_comes_at_its_fraction_of_the_life_and_never_after_expiry(opened: datetime, life: timedelta,
                                                                         fraction: float) -> None:
    at = channels.renew_at(opened, opened + life, fraction)
    assert opened < at <= opened + life
    assert abs((at - opened) / life - fraction) < 1e-6


@given(moments, lives, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
def test_a_confirmed_channel_is_kept_until_80_percent_then_renewed(opened: datetime, life: timedelta,
                                                                   elapsed: timedelta) -> None:
    channel = ChannelView(opened, opened + life, confirmed=True)
    now = opened + elapsed
    decided = channels.decide(view(channel), now, 0.8)
    assert decided == (Upkeep.RENEW if elapsed >= life * 0.8 else Upkeep.KEEP)
    assert channels.healthy(channel, now, 0.8) == (decided == Upkeep.KEEP)


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans(), moments)
def test_without_push_or_grant_no_channel_is_opened(syncing: bool, throttled: bool, wanted: bool,
                                                    has_channel: bool, missed: bool, now: datetime) -> None:
    link = view(healthy_channel(now - timedelta(days=6)) if has_channel else None, syncing=syncing,
                throttled=throttled, wanted=wanted, missed=missed)
    decided = channels.decide(link, now, 0.8)
    if not syncing:  # a dead grant: never a call to Google
        assert decided == (Upkeep.ABANDON if has_channel else Upkeep.KEEP)
    elif throttled:
        assert decided == Upkeep.KEEP
    elif not wanted:
        assert decided == (Upkeep.STOP if has_channel else Upkeep.KEEP)
    else:
        assert decided in ((Upkeep.RENEW,) if has_channel else (Upkeep.WATCH,))


def test_the_table() -> None:
    assert channels.decide(view(None), T0, 0.8) == Upkeep.WATCH
    assert channels.decide(view(healthy_channel()), T0 + timedelta(hours=1), 0.8) == Upkeep.KEEP
    assert channels.decide(view(healthy_channel(), missed=True), T0 + timedelta(hours=1), 0.8) == Upkeep.RENEW
    unconfirmed = ChannelView(T0, T0 + WEEK, confirmed=False)
    assert channels.decide(view(unconfirmed), T0 + timedelta(minutes=29), 0.8) == Upkeep.KEEP
    assert channels.decide(view(unconfirmed), T0 + channels.UNCONFIRMED_GRACE, 0.8) == Upkeep.RENEW
    assert not channels.healthy(unconfirmed, T0, 0.8) and not channels.healthy(None, T0, 0.8)


@given(st.booleans(), moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)))
def test_a_refused_watch_waits_for_its_retry_time(has_channel: bool, refused: datetime,
                                                  elapsed: timedelta) -> None:
    channel = ChannelView(refused - WEEK, refused, confirmed=True) if has_channel else None  # due for renewal
    link = view(channel, retry_at=refused + channels.RETRY_AFTER_REFUSAL)
    decided = channels.decide(link, refused + elapsed, 0.8)
    if elapsed < channels.RETRY_AFTER_REFUSAL:
        assert decided == Upkeep.KEEP
    else:
        assert decided == (Upkeep.RENEW if has_channel else Upkeep.WATCH)


@given(st.sampled_from(schedule.REASONS), st.booleans(), st.integers(0, 3), st.integers(0, 3))
def test_only_a_poll_of_a_healthy_link_that_found_others_changes_means_missed(
        reason: str, active: bool, pulled: int, conflicts: int) -> None:
    expected = reason == schedule.POLL and active and (pulled + conflicts) > 0
    assert channels.notifications_missed(reason, active, pulled, conflicts) == expected


@given(st.text(max_size=80), st.text(max_size=80))
def test_tokens_match_only_themselves(token: str, other: str) -> None:
    stored = channels.token_hash(token)
    assert channels.token_matches(token, stored)
    assert channels.token_matches(other, stored) == (other == token)
    assert len(token) < 8 or token not in stored  # a hash, not the token
    assert channels.token_matches(None, stored) == (token == "")


link_ids = st.from_regex(r"[A-Za-z0-9_-]{1,20}:[A-Za-z0-9_-]{1,20}", fullmatch=True)
channel_ids = st.from_regex(r"[0-9a-f]{32}", fullmatch=True)


@given(link_ids, channel_ids, st.integers(0, 10_000), moments, st.integers(1, 30),
       st.integers(0, 3_599_999))
def test_a_rounds_notifications_are_one_task_until_it_starts(
        link_id: str, channel_id: str, round_: int, now: datetime, debounce: int, later_ms: int) -> None:
    first = schedule.push_task(link_id, channel_id, round_, now, debounce)
    assert first.reason == schedule.PUSH and first.channel_id == channel_id
    assert first.due == now + timedelta(seconds=debounce)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", first.name)
    later = now + timedelta(milliseconds=later_ms)
    same_hour = int(later.timestamp()) // 3600 == int(now.timestamp()) // 3600
    assert (schedule.push_task(link_id, channel_id, round_, later, debounce).name == first.name) == same_hour
    assert schedule.push_task(link_id, channel_id, round_ + 1, now, debounce).name != first.name


@given(link_ids, channel_ids, channel_ids, moments)
def test_two_channels_of_a_link_never_share_a_task(link_id: str, a: str, b: str, now: datetime) -> None:
    names = {schedule.push_task(link_id, c, 0, now, 2).name for c in (a, b)}
    assert len(names) == (1 if a == b else 2)
    assert not any(n == schedule.change_task(link_id, now, 2).name for n in names)


def test_a_push_task_needs_a_debounce() -> None:
    with pytest.raises(ValueError, match="at least one second"):
        schedule.push_task("b:r", "0" * 32, 0, T0, 0)
    with pytest.raises(ValueError, match="renewal fraction"):
        channels.renew_at(T0, T0 + WEEK, 0)


def test_the_moments_of_renewal_and_retry_belong_to_the_new_decision() -> None:
    channel = healthy_channel()
    renew = channels.renew_at(channel.opened_at, channel.expires_at, 0.5)
    assert channels.healthy(channel, renew - timedelta(microseconds=1), 0.5)
    assert not channels.healthy(channel, renew, 0.5)  # at the renewal time the long interval ends
    assert channels.decide(view(channel), renew, 0.5) is Upkeep.RENEW
    assert channels.decide(view(channel), renew - timedelta(microseconds=1), 0.5) is Upkeep.KEEP
    retry = T0 + timedelta(hours=1)
    assert channels.decide(view(None, retry_at=retry), retry, 0.5) is Upkeep.WATCH
    assert channels.decide(view(None, retry_at=retry), retry - timedelta(microseconds=1), 0.5) is Upkeep.KEEP


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.0001, 1.5, 2.0])
def test_a_renewal_fraction_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError):
        channels.renew_at(T0, T0 + WEEK, fraction)


def test_one_pulled_change_on_a_poll_means_notifications_went_missing() -> None:
    assert channels.notifications_missed(schedule.POLL, True, 1, 0)
    assert not channels.notifications_missed(schedule.POLL, True, 0, 0)


def test_stored_token_hashes_stay_valid_across_deployments() -> None:
    # A golden value: the channels' stored hashes; another formula refuses their notifications.
    assert channels.token_hash("tok-1") == "47170378e9d118a3449aa79e06e8b71bc8128d74b6358e38ac277ea8d1fd9833"
