"""How long to wait before pushing again to a partner that failed: exponential, capped, full jitter.

Every attempt doubles the longest wait until it reaches the cap; the actual wait is drawn uniformly
between zero and that ceiling ("full jitter"). The randomness spreads the retries of many entries (and of
several workers) over the window instead of sending them all at once when a partner comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from random import Random

# 2**64 times any sensible base is far beyond every cap; stopping the exponent there avoids float overflow
# for entries that have failed for a very long time.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry delays growing from `base_s` seconds, doubling per attempt, never above `cap_s`."""

    base_s: float
    cap_s: float

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.cap_s <= 0:
            raise ValueError(f"backoff base ({self.base_s}s) and cap ({self.cap_s}s) must be positive")

    def ceiling(self, attempt: int) -> float:
        """The longest wait, in seconds, after the `attempt`-th failed attempt (counting from 1).

        Grows as base * 2^(attempt-1) so a partner that stays down is asked less and less often, and stops
        at the cap so a partner that comes back is found within a known time.
        """
        if attempt < 1:
            raise ValueError(f"attempts are counted from 1, got {attempt}")
        return min(self.cap_s, self.base_s * 2.0 ** min(attempt - 1, _MAX_EXPONENT))

    def delay(self, attempt: int, rng: Random) -> timedelta:
        """A random wait between zero and `ceiling(attempt)` (full jitter)."""
        return timedelta(seconds=rng.uniform(0.0, self.ceiling(attempt)))
