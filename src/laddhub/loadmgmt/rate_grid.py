"""The rates each charger accepts, for many chargers at once.

A charger accepts 0 and either its listed pilot steps or any rate from its minimum to its maximum on the
0.1 grid that OCPI limits are written in. The allocator rounds thousands of rates per step, so this works
on arrays: one row per EVSE, and optionally a column per planning period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from laddhub.loadmgmt.topology import Evse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_TOLERANCE = 1e-9
# Float noise allowed below a grid point before a value counts as the point below it.
_GRID_NOISE = 1e-6
_RESOLUTION = 10.0


class RateGrid:
    """Accepted rates of a sequence of EVSEs; methods take arrays whose first axis follows that sequence."""

    def __init__(self, evses: Sequence[Evse]) -> None:
        self.min_rate = np.array([e.min_rate for e in evses], dtype=np.float64)
        self.max_rate = np.array([e.max_rate for e in evses], dtype=np.float64)
        width = max((len(e.pilot_steps) for e in evses), default=0)
        steps = np.full((len(evses), max(width, 1)), np.nan)
        for i, evse in enumerate(evses):
            usable = [s for s in evse.pilot_steps if s >= evse.min_rate and s > 0]
            steps[i, : len(usable)] = usable
        self.steps = steps
        self.stepped = np.array([bool(e.pilot_steps) for e in evses], dtype=bool)

    def subset(self, rows: IntArray) -> RateGrid:
        """The grid of some of the EVSEs, in the order of `rows`."""
        grid = object.__new__(RateGrid)
        grid.min_rate = self.min_rate[rows]
        grid.max_rate = self.max_rate[rows]
        grid.steps = self.steps[rows]
        grid.stepped = self.stepped[rows]
        return grid

    def at_most(self, values: FloatArray) -> FloatArray:
        """The largest accepted rate not above each value (0 when none is)."""
        v, shape = self._columns(values)
        capped = np.minimum(v, self.max_rate[:, None])
        continuous = np.minimum(
            np.floor(capped * _RESOLUTION + _GRID_NOISE) / _RESOLUTION, self.max_rate[:, None]
        )
        steps = self.steps[:, :, None]
        fits = ~np.isnan(steps) & (steps <= capped[:, None, :] + _TOLERANCE)
        stepped = np.where(fits, steps, 0.0).max(axis=1)
        result = np.where(self.stepped[:, None], stepped, continuous)
        result = np.where((v + _TOLERANCE < self.min_rate[:, None]) | (v <= _TOLERANCE), 0.0, result)
        return result.reshape(shape)

    def next_above(self, values: FloatArray) -> FloatArray:
        """The smallest accepted rate above each value; NaN at the top."""
        v, shape = self._columns(values)
        below_min = v + _TOLERANCE < self.min_rate[:, None]
        grid_next = np.floor(v * _RESOLUTION + _GRID_NOISE) / _RESOLUTION + 1 / _RESOLUTION
        continuous = np.where(
            below_min,
            self.min_rate[:, None],
            np.where(
                v + _TOLERANCE >= self.max_rate[:, None],
                np.nan,
                np.minimum(grid_next, self.max_rate[:, None]),
            ),
        )
        steps = self.steps[:, :, None]
        above = ~np.isnan(steps) & (steps > v[:, None, :] + _TOLERANCE)
        stepped = np.where(above, steps, np.inf).min(axis=1)
        stepped = np.where(np.isinf(stepped), np.nan, stepped)
        return np.where(self.stepped[:, None], stepped, continuous).reshape(shape)

    def at_least(self, values: FloatArray) -> FloatArray:
        """The smallest accepted rate not below each value (the maximum when none is; 0 for 0)."""
        exact = self.at_most(values)
        above = self.next_above(exact)
        raised = np.where(np.isnan(above), np.broadcast_to(self._max_like(values), exact.shape), above)
        result = np.where(exact >= values - _TOLERANCE, exact, raised)
        return np.where(values <= _TOLERANCE, 0.0, result)

    def _max_like(self, values: FloatArray) -> FloatArray:
        return self.max_rate if values.ndim == 1 else self.max_rate[:, None]

    @staticmethod
    def _columns(values: FloatArray) -> tuple[FloatArray, tuple[int, ...]]:
        shape = values.shape
        return (values[:, None] if values.ndim == 1 else values), shape
