"""What a connector can deliver, and the conversions between power and current that limits need.

OCPI gives a connector's line-to-neutral voltage, its current per phase and optionally a lower maximum
power. Charging profiles limit either power (W) or current per phase (A); tariffs restrict on power (kW)
or on current summed over phases (A). These helpers keep those conversions in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from laddhub.ocpi.v2_2_1.locations import Connector, PowerType

_PHASES: dict[PowerType, int] = {
    PowerType.AC_1_PHASE: 1,
    PowerType.AC_2_PHASE: 2,
    PowerType.AC_2_PHASE_SPLIT: 2,
    PowerType.AC_3_PHASE: 3,
    PowerType.DC: 1,
}
_KILO = Decimal(1000)


@dataclass(frozen=True, slots=True)
class Supply:
    """The electrical capacity of one connector: phases, voltage per phase and the power ceiling."""

    phases: int
    voltage_v: Decimal
    amperage_a: Decimal
    max_power_kw: Decimal

    @classmethod
    def of(cls, connector: Connector) -> Supply:
        """The supply a connector advertises; `max_electric_power` wins when it is below V x A x phases."""
        phases = _PHASES[connector.power_type]
        voltage = Decimal(connector.max_voltage)
        amperage = Decimal(connector.max_amperage)
        nominal_kw = voltage * amperage * phases / _KILO
        if connector.max_electric_power is not None:
            nominal_kw = min(nominal_kw, Decimal(connector.max_electric_power) / _KILO)
        return cls(phases=phases, voltage_v=voltage, amperage_a=amperage, max_power_kw=nominal_kw)

    def current_for(self, power_kw: Decimal) -> Decimal:
        """The current summed over phases (what tariff restrictions compare) while drawing `power_kw`.

        On AC every phase carries P / (phases x V), so the sum over phases is P / V; on DC it is P / V too.
        """
        if self.voltage_v <= 0:
            return Decimal(0)
        return power_kw * _KILO / self.voltage_v

    def power_for_phase_current(self, amps_per_phase: Decimal) -> Decimal:
        """The power (kW) that a current limit per phase (a profile in A) allows."""
        return amps_per_phase * self.voltage_v * self.phases / _KILO
