"""Retry delays: exponential growth from the base, the cap, and full jitter below the ceiling."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laddhub.services.push.backoff import Backoff

bases = st.floats(min_value=0.001, max_value=60, allow_nan=False)
caps = st.floats(min_value=0.001, max_value=86_400, allow_nan=False)
attempts = st.integers(min_value=1, max_value=10_000)


def test_ceiling_doubles_per_attempt_until_the_cap() -> None:
    backoff = Backoff(base_s=1.0, cap_s=10.0)
    assert [backoff.ceiling(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        Backoff(1.0, 10.0).ceiling(0)


@pytest.mark.parametrize(("base", "cap"), [(0.0, 1.0), (1.0, 0.0), (-1.0, 5.0)])
def test_base_and_cap_must_be_positive(base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Backoff(base, cap)


@settings(max_examples=200, deadline=None)
@given(bases, caps, attempts, st.integers(min_value=0, max_value=2**32))
def test_delay_is_never_negative_nor_above_the_ceiling_nor_the_cap(
    base: float, cap: float, attempt: int, seed: int
) -> None:
    backoff = Backoff(base, cap)
    delay = backoff.delay(attempt, Random(seed))
    assert timedelta(0) <= delay <= timedelta(seconds=backoff.ceiling(attempt))
    assert backoff.ceiling(attempt) <= cap


@settings(max_examples=200, deadline=None)
@given(bases, caps, attempts)
def test_ceiling_never_shrinks_as_attempts_grow(base: float, cap: float, attempt: int) -> None:
    backoff = Backoff(base, cap)
    assert backoff.ceiling(attempt) <= backoff.ceiling(attempt + 1)


def test_jitter_spreads_delays_over_the_whole_window() -> None:
    backoff = Backoff(base_s=1.0, cap_s=100.0)
    rng = Random(7)
    delays = [backoff.delay(5, rng).total_seconds() for _ in range(2000)]
    # Full jitter: uniform on [0, 16]; every quarter of the window gets a fair share.
    quarters = [sum(1 for d in delays if q * 4 <= d < (q + 1) * 4) for q in range(4)]
    assert min(quarters) > 400
    assert max(delays) <= 16.0
