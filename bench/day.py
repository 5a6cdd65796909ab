"""The scripted working day, and what it costs in Google Sheets API requests for one way of using a sheet.

The day: 5 users each open every page twice (once in a morning and once in an afternoon session,
clicking through the pages 20 seconds apart), 10 customers are added, 10 feedback items logged, and
a manager approves 200 tier changes in one go — between 9:00 and 17:00. The requests each step
costs are measured on the emulator (`Costs`); this module only lays the steps out in time and
applies the cache rules, so every approach is charged for exactly the same day.

Cache rules (the app's, lib/ui.py): one register read per cache refresh, shared by every session of
the server process; the cache expires 60 s after it was filled and is dropped after every save, so
the rerun that shows the saved result reads again. An approach without a cache reads on every rerun.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

USERS = 5
VIEWS_PER_PAGE = 2
NEW_CUSTOMERS = 10
FEEDBACK_ITEMS = 10
TIER_APPROVALS = 200
WORKDAY_S = 8 * 3600
CLICK_GAP_S = 20
CACHE_TTL_S = 60
QUOTA_PER_MINUTE = 60   # read requests and write requests, each, per minute per user (the service account)


@dataclass
class Costs:
    """Read and write requests one approach spends per step (measured on the emulator)."""
    name: str
    start: tuple[int, int]            # once per server process: tab list, layout check (reads, writes)
    refresh: tuple[int, int]          # one read of what the pages need
    saves: dict[str, tuple[int, int]]  # "customer", "feedback", "approval" → (reads, writes)
    cache_ttl_s: int | None = CACHE_TTL_S   # None: no cache, every rerun reads
    note: str = ""


@dataclass
class DayTotals:
    """What the day cost: totals and the busiest minute, reads and writes."""
    reads: int = 0
    writes: int = 0
    per_minute: dict[int, list[int]] = field(default_factory=dict)

    def add(self, at_s: float, reads: int, writes: int) -> None:
        self.reads += reads
        self.writes += writes
        minute = self.per_minute.setdefault(int(at_s // 60), [0, 0])
        minute[0] += reads
        minute[1] += writes

    @property
    def busiest_reads(self) -> int:
        return max((m[0] for m in self.per_minute.values()), default=0)

    @property
    def busiest_writes(self) -> int:
        return max((m[1] for m in self.per_minute.values()), default=0)

    @property
    def minutes_over_quota(self) -> int:
        return sum(1 for r, w in self.per_minute.values() if r > QUOTA_PER_MINUTE or w > QUOTA_PER_MINUTE)


def schedule(pages: int, seed: int = 1) -> list[tuple[float, str]]:
    """Return the day's steps in time order: (seconds after 9:00, "view" or a save kind)."""
    rng = random.Random(seed)
    steps: list[tuple[float, str]] = []
    for _ in range(USERS):
        for start in (rng.uniform(0, 3.5 * 3600), rng.uniform(4 * 3600, WORKDAY_S - pages * CLICK_GAP_S)):
            steps += [(start + i * CLICK_GAP_S, "view") for i in range(pages)]
    steps += [(rng.uniform(0, WORKDAY_S), "customer") for _ in range(NEW_CUSTOMERS)]
    steps += [(rng.uniform(0, WORKDAY_S), "feedback") for _ in range(FEEDBACK_ITEMS)]
    steps.append((rng.uniform(0, WORKDAY_S), "approval"))
    return sorted(steps)


def burst(pages: int) -> list[tuple[float, str]]:
    """Every user opens every page within the same minute (the worst minute a small team makes)."""
    return sorted((i * 60 / (USERS * pages), "view") for i in range(USERS * pages))


def run(costs: Costs, steps: list[tuple[float, str]], *, server_start: bool = True) -> DayTotals:
    """Charge one approach for these steps under its cache rules (and the server's start, if asked)."""
    totals = DayTotals()
    if server_start:
        totals.add(0, *costs.start)
    cached_at: float | None = None

    def view(at: float) -> None:
        nonlocal cached_at
        fresh = costs.cache_ttl_s is not None and cached_at is not None and at - cached_at < costs.cache_ttl_s
        if not fresh:
            totals.add(at, *costs.refresh)
            cached_at = at
    for at, step in steps:
        if step == "view":
            view(at)
            continue
        view(at)                       # the rerun that submits the form
        totals.add(at, *costs.saves[step])
        cached_at = None               # a save drops the cache ...
        view(at + 1)                   # ... and the rerun after it shows the saved data
    return totals


def day_views(pages: int) -> int:
    """Page views in the scripted day (not counting the reruns that submit and confirm saves)."""
    return USERS * pages * VIEWS_PER_PAGE


def step_counts(steps: list[tuple[float, str]]) -> Counter:
    return Counter(step for _, step in steps)
