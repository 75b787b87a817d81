"""Price 100,000 realistic CDRs with the tariff engine and report CDRs per second on one core.

The CDRs are generated (deterministically) in chunks; only the pricing is timed. Each session runs under
one of a few multi-element tariffs with time-of-day, weekday and kWh restrictions, has 10-50 charging
periods with varying power, and usually ends with parking. Run: `.venv/bin/python benchmarks/pricing.py`
(`--cdrs N` to change the count, `--profile` to print the hottest functions, `--fingerprint` to hash every
result so that a faster engine can be shown to price exactly as before).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import random
import time as clock
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from laddhub.pricing.compiled import CompiledTariff, compile_tariff
from laddhub.pricing.engine import price_timeline
from laddhub.pricing.tariff import (
    Dimension,
    Price,
    PriceComponent,
    Restrictions,
    Tariff,
    TariffElement,
    Weekday,
)
from laddhub.pricing.timeline import Period, PeriodKind, Timeline

ZONES = [ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/Oslo")]
WEEKDAYS = frozenset(Weekday) - {Weekday.SATURDAY, Weekday.SUNDAY}
CHUNK = 10_000


def _component(dimension: Dimension, price: str, step: int = 1, vat: str = "21") -> PriceComponent:
    return PriceComponent(dimension, Decimal(price), step, Decimal(vat))


def tariffs() -> list[Tariff]:
    """Three realistic tariffs: peak/off-peak with a kWh bulk discount, power tiers, and idle fees."""
    peak = Tariff(
        "PEAK",
        "EUR",
        (
            TariffElement((_component(Dimension.FLAT, "0.35"),)),
            TariffElement(
                (_component(Dimension.ENERGY, "0.29"),),
                Restrictions(min_kwh=Decimal(40)),
            ),
            TariffElement(
                (_component(Dimension.ENERGY, "0.45"), _component(Dimension.TIME, "0.60", 60)),
                Restrictions(start_time=time(7), end_time=time(21), day_of_week=WEEKDAYS),
            ),
            TariffElement((_component(Dimension.ENERGY, "0.34"), _component(Dimension.TIME, "0.30", 60))),
            TariffElement(
                (_component(Dimension.PARKING_TIME, "6.00", 300),),
                Restrictions(start_time=time(8), end_time=time(20), min_duration=3 * 3600),
            ),
            TariffElement((_component(Dimension.PARKING_TIME, "1.20", 300),)),
        ),
        max_price=Price(Decimal("120"), Decimal("145.20")),
    )
    power = Tariff(
        "POWER",
        "EUR",
        (
            TariffElement((_component(Dimension.ENERGY, "0.39", 100),), Restrictions(max_power=Decimal(22))),
            TariffElement((_component(Dimension.ENERGY, "0.59", 100),), Restrictions(max_power=Decimal(150))),
            TariffElement((_component(Dimension.ENERGY, "0.69", 100),)),
            TariffElement(
                (_component(Dimension.PARKING_TIME, "0.10", 60),),
                Restrictions(start_time=time(22), end_time=time(7)),
            ),
            TariffElement((_component(Dimension.PARKING_TIME, "0.40", 60),)),
        ),
        min_price=Price(Decimal("1.00"), Decimal("1.21")),
    )
    night = Tariff(
        "NIGHT",
        "EUR",
        (
            TariffElement((_component(Dimension.FLAT, "1.00"),)),
            TariffElement(
                (_component(Dimension.ENERGY, "0.22"),),
                Restrictions(start_time=time(23), end_time=time(6), max_kwh=Decimal(60)),
            ),
            TariffElement((_component(Dimension.ENERGY, "0.31"), _component(Dimension.TIME, "1.00", 900))),
            TariffElement(
                (_component(Dimension.PARKING_TIME, "3.00", 900),),
                Restrictions(min_duration=2 * 3600, day_of_week=WEEKDAYS),
            ),
        ),
    )
    return [peak, power, night]


def session(rng: random.Random) -> Timeline:
    """A session at a random moment of 2026: 10-50 periods of charging at varying power, then parking."""
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86400))
    count = rng.randint(10, 50)
    parking = rng.random() < 0.7
    charging_count = count - 1 if parking else count
    cursor = start
    periods = []
    base_power = rng.choice([3.7, 7.4, 11.0, 22.0, 50.0, 150.0])
    for _ in range(charging_count):
        minutes = rng.randint(2, 15)
        power = Decimal(str(round(base_power * rng.uniform(0.6, 1.0), 1)))
        end = cursor + timedelta(minutes=minutes, seconds=rng.randrange(60))
        energy = (power * Decimal((end - cursor).total_seconds()) / 3600).quantize(Decimal("0.001"))
        current = (power * 1000 / 230).quantize(Decimal(1))
        periods.append(Period(cursor, end, PeriodKind.CHARGING, energy, current, power))
        cursor = end
    if parking:
        end = cursor + timedelta(minutes=rng.randint(1, 300))
        periods.append(Period(cursor, end, PeriodKind.PARKING))
        cursor = end
    return Timeline(start, cursor, tuple(periods))


def run(total: int, seed: int, *, fingerprint: bool = False) -> dict[str, float | str]:
    """Price `total` generated CDRs; only the pricing is timed.

    With `fingerprint`, every CDR is priced a second time, untimed, and a SHA-256 of all exact totals,
    clamps and warnings is reported: an optimisation of the engine must leave it unchanged.
    """
    rng = random.Random(seed)
    compiled: list[CompiledTariff] = [compile_tariff(t) for t in tariffs()]
    priced = 0
    periods = 0
    elapsed = 0.0
    checksum = Decimal(0)
    digest = hashlib.sha256()
    while priced < total:
        size = min(CHUNK, total - priced)
        work = [(rng.choice(compiled), session(rng), rng.choice(ZONES)) for _ in range(size)]
        periods += sum(len(timeline.periods) for _, timeline, _ in work)
        began = clock.perf_counter()
        for tariff, timeline, zone in work:
            checksum += price_timeline(tariff, timeline, zone).totals.total_cost.excl_vat
        elapsed += clock.perf_counter() - began
        priced += size
        if fingerprint:
            for tariff, timeline, zone in work:
                result = price_timeline(tariff, timeline, zone)
                digest.update(repr((result.exact_totals, result.clamped, result.warnings)).encode())
    figures: dict[str, float | str] = {
        "cdrs": priced,
        "periods": periods,
        "seconds": round(elapsed, 3),
        "cdrs_per_s": round(priced / elapsed),
        "periods_per_s": round(periods / elapsed),
        "checksum_excl_vat": float(checksum),
    }
    if fingerprint:
        figures["fingerprint"] = digest.hexdigest()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--fingerprint", action="store_true", help="also hash every result (priced again, untimed)"
    )
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        figures = profiler.runcall(run, args.cdrs, args.seed)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    else:
        figures = run(args.cdrs, args.seed, fingerprint=args.fingerprint)
    print(f"priced {figures['cdrs']} CDRs ({figures['periods']} periods) in {figures['seconds']} s")
    print(f"{figures['cdrs_per_s']} CDRs/s, {figures['periods_per_s']} periods/s on one core")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
