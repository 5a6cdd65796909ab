"""Benchmark the register on SQLite and on the Sheets API emulator, and print one table.

    python bench/run.py [--sizes 1000,10000,50000] [--quick]

For each size, lib.demo.generate makes a register (customers with contacts, interactions, deals,
feedback and tier history in realistic proportions), which is put into a SQLite file and into a
spreadsheet on the Sheets API emulator (tests/sheets_emulator.py, started here on 127.0.0.1). A
process of its own (bench/worker.py) then measures each backend: cold load, every page's rerun on
the cached register (AppTest), saves, tier proposal, peak memory; this process counts the
emulator's requests for each step. On the smallest register the same day is also measured for the
naive gspread approach and for st-gsheets-connection (bench/compare.py), and bench/day.py charges
every approach for the scripted day. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import compare, data, day, scripted  # noqa: E402
from bench.emulator import BenchEmulator, reads, writes  # noqa: E402
from bench.protocol import run_counted  # noqa: E402
from lib import navigation  # noqa: E402
from lib.i18n import t  # noqa: E402
from lib.register import read_register  # noqa: E402
from lib.store.sheets import SheetsStore  # noqa: E402

BENCH = Path(__file__).resolve().parent
LOG = BENCH / ".last-run.log"
PAGE_TARGET_MS = 300
PROFILED_SIZE = 10_000
COMPARISON_SIZE = 1_000
FULL_UP_TO = 10_000     # above this, the Sheets worker skips what does not depend on the backend (see notes)


def say(started: float, text: str) -> None:
    print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)


def pair(counts: Counter) -> tuple[int, int]:
    return reads(counts), writes(counts)


def app_start_requests(emulator: BenchEmulator, book: str) -> tuple[int, int]:
    """Requests the app spends when a server process opens the register (tab list and layout check)."""
    mark = emulator.mark()
    SheetsStore(book, endpoint=emulator.url, lang="zh").ensure_layout("zh")
    return pair(emulator.since(mark))


def measure_comparison(emulator: BenchEmulator, started: float, log) -> dict:
    """Requests of the app's start, the naive approach and st-gsheets-connection, on a register of their own."""
    say(started, f"{COMPARISON_SIZE:,} customers: measuring the naive gspread approach and st-gsheets-connection")
    raw = data.register(COMPARISON_SIZE, lang="zh", today=scripted.TODAY)
    saves = scripted.change_sets(read_register(raw))
    book = emulator.fill(raw)
    start = app_start_requests(emulator, book)
    emulator.drop(book)
    return {"start": start, "naive": compare.measure_naive(emulator, raw, saves),
            "gsc": compare.measure_gsc(emulator, raw, saves, log)}


def measure_size(size: int, emulator: BenchEmulator, folder: str, args, started: float, log) -> dict:
    say(started, f"{size:,} customers: generating the register (or reading it from bench/.cache)")
    raw = data.register(size, lang="zh", today=scripted.TODAY)
    say(started, f"{size:,} customers: {sum(len(tab.rows) for tab in raw.tabs.values()):,} rows; "
                 "writing the SQLite file and the emulated sheet")
    url = data.sqlite_file(raw, size, Path(folder) / f"register-{size}.db", today=scripted.TODAY)
    book = emulator.fill(raw)
    del raw
    reruns = args.reruns or (3 if size <= PROFILED_SIZE else 1)
    worker = [sys.executable, str(BENCH / "worker.py"), "--reruns", str(reruns),
              "--page-budget-s", str(args.page_budget_s)]
    profile = ["--profile-over-ms", str(PAGE_TARGET_MS)] if size == PROFILED_SIZE else []
    out = {}
    light = ["--skip", "refresh,pages"] if size > args.full_up_to else []
    for backend, extra in (("sqlite", ["--url", url, *profile]),
                           ("gsheets", ["--url", f"gsheets://{book}", "--endpoint", emulator.url, *light])):
        say(started, f"{size:,} customers on {backend}: measuring")
        counts, result = run_counted(worker + extra, emulator, log=log, cwd=folder)
        result["requests"] = {step: pair(c) for step, c in counts.items()}
        result["methods"] = {step: dict(c) for step, c in counts.items()}
        out[backend] = result
    emulator.drop(book)
    return out


# ---- the table -------------------------------------------------------------------------------------

def fmt_pair(p) -> str:
    return f"{p[0]}/{p[1]}"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def build_rows(results: dict[int, dict], comparison: dict) -> list[tuple[str, list[str]]]:
    """Rows of the table: (label, one cell per size × backend)."""
    columns = [(size, backend) for size in results for backend in ("sqlite", "gsheets")]

    def row(label, value, sheets_only=False):
        cells = []
        for size, backend in columns:
            r = results[size][backend]
            try:
                cells.append("—" if sheets_only and backend != "gsheets" else value(r, size))
            except KeyError:          # a step the worker left out at this size
                cells.append("§")
        return label, cells

    rows = [
        row("rows in the register (all tabs)", lambda r, s: f"{r['rows']:,}"),
        row("cold load s (store.load + read_register)",
            lambda r, s: f"{r['load_s'] + r['read_s']:.1f} ({r['load_s']:.1f}+{r['read_s']:.1f})"),
        ("page rerun ms, register cached:", [""] * len(columns)),
    ]
    for spec in navigation.PAGES:
        def page(r, s, path=spec.path):
            p = r["pages"][path]
            if p["error"]:
                return "error"
            if p.get("over_budget_s"):
                return f">{p['over_budget_s']:g} s !"
            return f"{p['rerun_ms']:,.0f}" + (" !" if p["rerun_ms"] > PAGE_TARGET_MS else "")
        rows.append(row(f"  {Path(spec.path).stem} · {t(spec.title, 'en')}", page))
    rows += [
        row("save ms: new customer + contact", lambda r, s: fmt_ms(r["save_customer_s"])),
        row("save ms: one field of a customer", lambda r, s: fmt_ms(r["save_update_s"])),
        row("save ms: log a complaint", lambda r, s: fmt_ms(r["save_feedback_s"])),
        row("save ms: approve 200 tier changes", lambda r, s: fmt_ms(r["save_approval_s"])),
        row("tier proposal ms (propose_tiers)", lambda r, s: fmt_ms(r["propose_s"])),
        row("peak memory MB (RSS of the app process)", lambda r, s: f"{r['peak_rss_mb']:,.0f}"),
        ("Sheets API requests, reads/writes:", [""] * len(columns)),
        row("  first load by a new store (tab list, all tabs)", lambda r, s: fmt_pair(r["requests"]["first_load"]), True),
        row("  one cache refresh (all tabs)", lambda r, s: fmt_pair(r["requests"]["refresh"]), True),
        row("  every page's reruns, register cached", lambda r, s: fmt_pair(r["requests"]["pages"]), True),
        row("  save: new customer + contact", lambda r, s: fmt_pair(r["requests"]["save_customer"]), True),
        row("  save: one field", lambda r, s: fmt_pair(r["requests"]["save_update"]), True),
        row("  save: log a complaint", lambda r, s: fmt_pair(r["requests"]["save_feedback"]), True),
        row("  save: approve 200 tier changes", lambda r, s: fmt_pair(r["requests"]["save_approval"]), True),
    ]
    pages = len(navigation.PAGES)
    steps, worst = day.schedule(pages), day.burst(pages)
    approaches = {"this app": lambda r: ours(r, comparison["start"]),
                  "naive gspread †": lambda r: naive_costs(comparison["naive"]),
                  "st-gsheets-connection †" + ("" if comparison["gsc"]["measured"] else " ‡"):
                      lambda r: gsc_costs(comparison["gsc"])}
    rows.append(("scripted day (see notes), reads/writes:", [""] * len(columns)))
    for name, costs in approaches.items():
        rows.append(row(f"  {name}: whole day",
                        lambda r, s, c=costs: fmt_pair(_day(c(r), steps, "total")), True))
        rows.append(row(f"  {name}: busiest minute",
                        lambda r, s, c=costs: fmt_pair(_day(c(r), steps, "busiest")), True))
    rows.append(("5 users open every page in the same minute:", [""] * len(columns)))
    for name, costs in approaches.items():
        rows.append(row(f"  {name}", lambda r, s, c=costs: fmt_pair(_day(c(r), worst, "burst")), True))
    return rows


def _day(costs: day.Costs, steps, what: str) -> tuple[int, int]:
    totals = day.run(costs, steps, server_start=what != "burst")
    return (totals.busiest_reads, totals.busiest_writes) if what == "busiest" else (totals.reads, totals.writes)


def ours(r: dict, start: tuple[int, int]) -> day.Costs:
    q = r["requests"]
    refresh = q.get("refresh") or (r["methods"]["first_load"].get("values.batchGet", 0), 0)   # § above FULL_UP_TO
    return day.Costs("this app", start=start, refresh=refresh,
                     saves={"customer": q["save_customer"], "feedback": q["save_feedback"],
                            "approval": q["save_approval"]})


def naive_costs(m: dict) -> day.Costs:
    return day.Costs("naive", start=(0, 0), refresh=m["refresh"], saves=m["saves"], cache_ttl_s=None)


def gsc_costs(m: dict) -> day.Costs:
    return day.Costs("st-gsheets-connection", start=(0, 0), refresh=m["refresh"], saves=m["saves"])


def render(results: dict[int, dict], comparison: dict) -> str:
    header = [f"{size:,} customers {name}" for size in results for name in ("SQLite", "Sheets")]
    rows = build_rows(results, comparison)
    width = max(len(label) for label, _ in rows)
    widths = [max(len(h), *(len(cells[i]) for _, cells in rows)) for i, h in enumerate(header)]
    line = lambda label, cells: "| " + label.ljust(width) + " | " + " | ".join(  # noqa: E731
        c.rjust(w) for c, w in zip(cells, widths)) + " |"
    out = [line("", header), "|" + "-" * (width + 2) + "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(label, cells) for label, cells in rows]
    return "\n".join(out)


def notes(results: dict[int, dict], comparison: dict, command: str, elapsed: float, load: tuple, full_up_to: int) -> str:
    gsc = comparison["gsc"]
    lines = [
        f"command: {command} · {datetime.now():%Y-%m-%d %H:%M} · {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()} · took {elapsed / 60:.1f} min · "
        f"load average at start/end {load[0]:.1f}/{os.getloadavg()[0]:.1f}",
        f"! page rerun over {PAGE_TARGET_MS} ms (> N s: the page's first view and reruns did not finish within "
        "the page budget, --page-budget-s). "
        f"§ not repeated on the Sheets backend above {full_up_to:,} customers (to keep the run short): a "
        "page rerun on the cached register reads nothing from either backend, and a cache refresh is the "
        "first load's values.batchGet. Sheets = the Sheets API emulator on 127.0.0.1 (no network latency). "
        "Requests as reads/writes, counted by the emulator.",
        f"scripted day: {day.USERS} users each open all {len(navigation.PAGES)} pages twice "
        f"({day.day_views(len(navigation.PAGES))} page views), {day.NEW_CUSTOMERS} new customers, {day.FEEDBACK_ITEMS} "
        f"complaints, one approval of {day.TIER_APPROVALS} tier changes, 9:00-17:00; 60 s cache, dropped after "
        f"each save (bench/day.py). Google's quota: {day.QUOTA_PER_MINUTE} reads and {day.QUOTA_PER_MINUTE} "
        "writes per minute.",
        f"† measured on a {COMPARISON_SIZE:,}-customer register (these request counts do not depend on its size); naive = "
        "get_all_records per tab per rerun, append_rows per tab and update_cell per changed cell.",
    ]
    if gsc["measured"]:
        versions = ", ".join(f"{k} {v}" for k, v in gsc["versions"].items())
        lines.append(f"st-gsheets-connection run for real in bench/.venv-gsc ({versions}), conn.read(ttl=60) "
                     "per tab, conn.update per tab a save touches.")
    else:
        lines.append("‡ st-gsheets-connection could NOT be run (" + gsc.get("why", "") + "): its documented "
                     "request pattern was replayed instead (read = spreadsheets.get + values.get per worksheet; "
                     "update = clear + update per worksheet).")
    slow = {size: {path: p for path, p in r["sqlite"]["pages"].items() if p.get("hotspots")}
            for size, r in results.items()}
    for size, pages in slow.items():
        for path, p in pages.items():
            lines.append(f"{size:,} customers (SQLite), {path}: rerun {p['rerun_ms']:,.0f} ms; cProfile, cumulative: "
                         + " · ".join(p["hotspots"][:4]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the register (see bench/README.md).")
    parser.add_argument("--sizes", default="1000,10000,50000", help="customers per register, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1,000 customers only")
    parser.add_argument("--reruns", type=int, help="timed reruns per page (default 3, 1 above 10,000 customers)")
    parser.add_argument("--page-budget-s", type=float, default=90,
                        help="seconds a page may take for its first view and reruns before it is stopped")
    parser.add_argument("--full-up-to", type=int, default=FULL_UP_TO,
                        help="above this many customers, leave out the Sheets worker's page reruns and refresh (§)")
    parser.add_argument("--json", help="also write the measurements to this file")
    args = parser.parse_args()
    sizes = [1000] if args.quick else sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    started, load = time.perf_counter(), os.getloadavg()
    results = {}
    with open(LOG, "w", encoding="utf-8") as log, BenchEmulator() as emulator, \
            tempfile.TemporaryDirectory(prefix="register-bench-") as folder:
        comparison = measure_comparison(emulator, started, log)
        for size in sizes:
            results[size] = measure_size(size, emulator, folder, args, started, log)
    elapsed = time.perf_counter() - started
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    print(render(results, comparison))
    print()
    print(notes(results, comparison, command.strip(), elapsed, load, args.full_up_to))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "comparison": comparison}, ensure_ascii=False,
                                              indent=1, default=list), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
