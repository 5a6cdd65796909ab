"""Time the charts page's own work after the register is loaded, cold and cached, and print one table.

    python bench/bench_charts.py [--customers 10000] [--transactions-per 10] [--repeat 3]

lib.demo.generate makes the register (10,000 customers give about 100,000 transactions with
`transactions_per=10`); reading it is not timed. Then, as the page does on each rerun: KPI tiles,
every chart's data and builder, and each chart's Vega-Lite spec. "first view" is the first run on a
register as lib.ui hands it over: read, with the charts' aggregates prepared as part of the load
(their time is on a row of its own); "new filter" / "new period" a change of choice; "cached" a rerun
with the same choices (what Register.derived keeps). For reference: the page's work on a bare register
that has nothing prepared, and what st.altair_chart would spend validating every chart again on each
rerun (why the page hands st.vega_lite_chart a spec made once). Timings are medians of --repeat runs,
in wall-clock and in CPU seconds (on a busy machine the CPU time is the fair figure).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lib import charts, demo, kpis  # noqa: E402
from lib.register import read_register  # noqa: E402

NOW = datetime(2026, 11, 20, 10)
BUDGET_S = 0.5


def page_work(reg, filters: kpis.Filters, period: str = "month") -> int:
    """Do what views/charts.py does after loading the register; return the number of charts."""
    start, end = kpis.period_bounds(period, NOW.date())
    kpis.filter_options(reg)
    scope = kpis.scope(reg, start, end, NOW, filters)
    kpis.kpi_tiles(reg, start, end, NOW, reg.settings, filters)
    views = charts.page_charts(scope, "zh")
    return len([view.spec for view in views])


def timed(action) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call (CPU time is what a busy machine does not inflate)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_of(repeat: int, prepare, action) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `action`, each run after `prepare`."""
    runs = []
    for _ in range(repeat):
        prepare()
        runs.append(timed(action))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--transactions-per", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    reg = read_register(demo.generate(args.customers, transactions_per=args.transactions_per, today=NOW.date()))
    sizes = {k: len(reg.frame(k)) for k in ("customers", "transactions", "interactions", "feedback", "tier_history")}
    print(f"register: {', '.join(f'{v:,} {k}' for k, v in sizes.items())} "
          f"({sizes['transactions'] / max(sizes['customers'], 1):.1f} transactions per customer; "
          f"made and read in {time.perf_counter() - began:.0f} s, not timed below)")

    everyone, one_owner = kpis.Filters(), kpis.Filters.of(owner="li.na@example.com")
    today = NOW.date()
    def just_loaded():
        """A register as lib.ui hands it to the pages: read, with the charts' aggregates prepared."""
        reg.forget_derived()
        kpis.prepared(reg, today)

    rows = [
        ("register load: the charts' aggregates (lib.ui, with every load)", median_of(
            args.repeat, reg.forget_derived, lambda: kpis.prepared(reg, today))),
        ("page, first view after a register load", median_of(
            args.repeat, just_loaded, lambda: page_work(reg, everyone))),
        ("reference: page on a bare register (aggregates too)", median_of(
            args.repeat, reg.forget_derived, lambda: page_work(reg, everyone))),
        ("page, new filter (register already prepared)", median_of(
            args.repeat, lambda: (reg.forget_derived(), page_work(reg, everyone)), lambda: page_work(reg, one_owner))),
        ("page, new period (register already prepared)", median_of(
            args.repeat, lambda: (reg.forget_derived(), page_work(reg, everyone)),
            lambda: page_work(reg, everyone, "year"))),
        ("page, cached rerun (same register and choices)", median_of(
            args.repeat, lambda: page_work(reg, everyone), lambda: page_work(reg, everyone))),
    ]
    views = charts.page_charts(kpis.scope(reg, *kpis.period_bounds("month", today), NOW), "zh")
    rows.append(("reference: st.altair_chart's validation of all charts, per rerun", median_of(
        args.repeat, lambda: None, lambda: [view.chart.to_dict() for view in views])))

    width = max(len(name) for name, _ in rows)
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'step'.ljust(width)}  {'wall s':>7}  {'CPU s':>7}  CPU within {BUDGET_S} s")
    for name, (wall, cpu) in rows:
        verdict = "" if name.startswith(("reference", "register")) else ("yes" if cpu < BUDGET_S else "NO")
        print(f"{name.ljust(width)}  {wall:7.3f}  {cpu:7.3f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
