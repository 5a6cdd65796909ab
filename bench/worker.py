"""Measure one register (one size on one backend) in a process of its own, so its peak memory is the app's.

Started by bench/run.py, which owns the Sheets emulator and counts its requests: before and after
each measured step this process prints `@@begin <step>` / `@@end <step>` and waits for "ok", so the
requests the emulator answered in between belong to that step. The last line is `@@result <json>`.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import resource
import signal
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ["REGISTER_NOW"] = "2026-11-20T10:00:00"

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1.local_script_runner import LocalScriptRunner  # noqa: E402

from bench import scripted  # noqa: E402
from lib import navigation, tiers, ui  # noqa: E402
from lib.register import read_register  # noqa: E402
from lib.store import open_store  # noqa: E402

PROJECT_PREFIXES = (str(ROOT / "lib"),)   # hotspots name the lib/ functions a page spends its time in


def _protocol(line: str) -> None:
    print(line, flush=True)
    if sys.stdin.readline().strip() != "ok":
        raise SystemExit("bench/run.py stopped answering")


@contextmanager
def step(name: str):
    """Let bench/run.py count the emulator's requests made inside this block."""
    _protocol(f"@@begin {name}")
    yield
    _protocol(f"@@end {name}")


def seconds_of(fn, *args, **kwargs):
    """Run fn and return (seconds, its result)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


# ---- pages -----------------------------------------------------------------------------------------

class ScriptProfiler:
    """cProfile the app's script thread (AppTest runs each page in a thread of its own)."""

    def __init__(self):
        self.profile: cProfile.Profile | None = None
        original = LocalScriptRunner._run_script_thread
        owner = self

        def run_script_thread(runner):
            if owner.profile is None:
                return original(runner)
            owner.profile.enable()
            try:
                return original(runner)
            finally:
                owner.profile.disable()
        LocalScriptRunner._run_script_thread = run_script_thread

    def hotspots(self, at: AppTest, top: int = 6) -> list[str]:
        """Rerun the page under the profiler; return the project's functions with the most cumulative time."""
        self.profile = cProfile.Profile()
        try:
            at.run()
        finally:
            profile, self.profile = self.profile, None
        stats = pstats.Stats(profile, stream=io.StringIO())
        rows = []
        for (filename, line, name), (_, calls, _, cumulative, _) in stats.stats.items():
            if filename.startswith(PROJECT_PREFIXES) and filename != ui.__file__:
                rows.append((cumulative, f"{Path(filename).relative_to(ROOT)}:{line} {name}", calls))
        rows.sort(reverse=True)
        return [f"{ms * 1000:.0f} ms {where} ({calls}×)" for ms, where, calls in rows[:top]]


def serve_register(store, reg) -> None:
    """Hand the app this store and the register just read, cached without expiry while pages are timed.

    The app would open the same store and read the same register on its first run; the benchmark
    gives it the ones it already measured, so page timings are reruns on a cached register and the
    60 s expiry cannot fall in the middle of the measurement.
    """
    ui._open = lambda *args, **kwargs: store

    @st.cache_resource(show_spinner=False)
    def _load(_store, url, _patient=True):
        return reg
    ui._load = _load


def measure_page(path: str, reruns: int, profile_over_ms: float | None) -> dict:
    """First view and median rerun time of one page (its error, if it raised; its hotspots, if slow)."""
    page = {"first_ms": None, "rerun_ms": None, "error": ""}
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=24 * 3600)
        at.session_state["ui.lang"] = "en"   # AppTest calls format_func outside the session, in English
        at.run()
        at.switch_page(path)
        page["first_ms"] = seconds_of(at.run)[0] * 1000
        page["rerun_ms"] = statistics.median(seconds_of(at.run)[0] for _ in range(reruns)) * 1000
        if at.exception:
            page["error"] = str(at.exception[0].value).splitlines()[0][:120]
        elif profile_over_ms is not None and page["rerun_ms"] > profile_over_ms:
            page["hotspots"] = ScriptProfiler().hotspots(at)
    except Exception as e:  # noqa: BLE001  (AppTest itself failed on this page: report it, go on)
        page["error"] = f"AppTest: {type(e).__name__}: {e}"[:120]
    return page


def measure_pages(reruns: int, profile_over_ms: float | None, budget_s: float) -> dict:
    """Measure every page in a child process of its own, stopped once it has used `budget_s` seconds.

    The child is a fork of this process, so it starts with the register already read and cached;
    a page that breaks AppTest or runs for minutes cannot spoil the next page's figures.
    """
    out = {}
    for spec in navigation.PAGES:
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read_end)
            with os.fdopen(write_end, "w") as pipe:
                pipe.write(json.dumps(measure_page(spec.path, reruns, profile_over_ms)))
            os._exit(0)
        os.close(write_end)
        page = {"title": spec.title, "first_ms": None, "rerun_ms": None, "error": "", "over_budget_s": None}
        deadline = time.monotonic() + budget_s
        while os.waitpid(child, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
                page["over_budget_s"] = budget_s
                break
            time.sleep(0.05)
        with os.fdopen(read_end) as pipe:
            answer = pipe.read()
        if answer:
            page.update(json.loads(answer))
        out[spec.path] = page
    return out


def peak_rss_mb() -> float:
    """The largest resident size of this process or of any page child (which shares the register)."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--endpoint")
    parser.add_argument("--reruns", type=int, default=3)
    parser.add_argument("--profile-over-ms", type=float)
    parser.add_argument("--page-budget-s", type=float, default=90)
    parser.add_argument("--skip", default="", help="steps to leave out: refresh, pages")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["REGISTER_URL"] = args.url
    if args.endpoint:
        os.environ["SHEETS_API_ENDPOINT"] = args.endpoint
    result: dict = {}

    store = open_store(args.url, endpoint=args.endpoint, lang="zh")
    with step("first_load"):
        load_s, raw = seconds_of(store.load)
        read_s, reg = seconds_of(read_register, raw)
    result.update(load_s=load_s, read_s=read_s, rows=sum(len(t.rows) for t in raw.tabs.values()))
    del raw
    skip = set(filter(None, args.skip.split(",")))
    if store.kind == "gsheets" and "refresh" not in skip:
        with step("refresh"):
            store.load()

    result["propose_s"], proposal = seconds_of(tiers.propose_tiers, reg.frames, reg.settings, scripted.TODAY)

    serve_register(store, reg)
    if "pages" not in skip:
        with step("pages"):
            result["pages"] = measure_pages(args.reruns, args.profile_over_ms, args.page_budget_s)

    for name, save in (("customer", scripted.add_customer), ("update", scripted.update_customer),
                       ("feedback", scripted.log_complaint)):
        with step(f"save_{name}"):
            result[f"save_{name}_s"], _ = seconds_of(save, store, reg)
    decisions = scripted.approval_decisions(reg, proposal)
    result["approvals"] = len(decisions)
    with step("save_approval"):
        result["save_approval_s"], _ = seconds_of(scripted.approve, store, reg, decisions)
    result["peak_rss_mb"] = peak_rss_mb()
    print("@@result " + json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
