"""KPI tiles and the aggregates behind the charts page, for a period and the page's shared filters.

Decisions this module fixes:
- Periods are half-open runs of days [start, end). The named periods run up to and including
  today (this month, quarter and year to date; the last 12 months). The previous period is the
  same number of days just before the start.
- Filters (owner, industry, region, tier; each a list, empty means all) pick customers; a
  transaction, feedback item or tier review follows its customer. Rows whose customer is not on
  the register count only when no filter is set.
- Active at a time T: on the register by then (created before T, or no creation date), not lost at
  T, and not archived unless lost (when a customer was archived is not recorded, so a customer
  archived for another reason, such as a merged duplicate, is left out everywhere).
- Lost at T and becoming lost: for a customer with stage changes in the audit log, the last change
  before T says whether it was lost at T (before its first change, the stage it changed from), and
  a change to lost dated in the period makes it churn. A customer without any (edited by hand in
  the sheet) is lost at T when its stage is lost and it was last updated before T (or never), and
  churns in the period when its stage is lost and `updated_at` falls in the period.
- Churn rate = customers that became lost in the period ÷ customers active at its start.
  Customers added during the period are in neither count, so the rate stays within 0–100 %; with
  no customers at the start there is no rate.
- Revenue and gross profit: non-cancelled transactions dated in the period, tagged with the
  customer's current tier (the tier at the time of sale is not recorded).
- CSAT, NPS, open and overdue complaints: `lib.feedback.feedback_summary` of the feedback received
  in the period (open and overdue as they stand now).
- Overdue follow-ups are lib.followups' (an explicit next date, else the latest interaction's next
  date, else the tier's cadence; due before today). They and data health describe today, not a
  period, so they have no previous value.
- Snapshot charts (tiers, stages, industries, regions, RFM, follow-ups) show customers as they are
  today; revenue in their tooltips is the period's.
- Monthly charts show at least a year: the period widened back to the 12 calendar months that end
  with its last month (`trend_window`). Tier reviews are counted over the same window.
- An aggregate with nothing to show is an empty frame (the chart then says why).

Everything here is pure pandas; results are kept with the register (`Register.derived`) so a rerun of the page
with the same register and choices does no work again.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from lib import cells, feedback, followups, schema, tiers
from lib.i18n import t
from lib.register import Register
from lib.settings import Settings

PERIODS = ("month", "quarter", "year", "last_12_months", "custom")
NO_TIER = tiers.NONE
TIER_KEYS = (*tiers.TIERS, NO_TIER)
STAGE_ORDER = ("prospect", "interested", "customer", "lost")
TOP_GROUPS = 10          # industries/regions shown before the rest is summed as "other"
PARETO_POINTS = 100      # a longer Pareto curve is drawn through one point per percent of customers
PARETO_MARK = 0.2        # the annotated share of customers ("top 20 % bring …")
RESOLVE_BUCKETS_H = (0, 4, 24, 72, 168, 336, np.inf)
RESOLVE_BUCKET_KEYS = ("h4", "h24", "d3", "d7", "d14", "more")


# ---- periods -------------------------------------------------------------------------------------

def period_bounds(period: str, today: date, custom: tuple[date, date] | None = None) -> tuple[date, date]:
    """Return [start, end) of a named period up to and including today (custom: both days included)."""
    end = today + timedelta(days=1)
    if period == "month":
        return today.replace(day=1), end
    if period == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), end
    if period == "year":
        return date(today.year, 1, 1), end
    if period == "last_12_months":
        return (pd.Timestamp(end) - pd.DateOffset(years=1)).date(), end
    if period == "custom":
        days = sorted(custom or ()) or [today]   # a range being picked has its first day only
        return days[0], days[-1] + timedelta(days=1)
    raise ValueError(f"unknown period {period!r}; expected one of {PERIODS}")


def last_day(end: date) -> date:
    """The last day included in a period ending (exclusively) at `end`."""
    return end - timedelta(days=1)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """Return the period of the same number of days just before [start, end)."""
    return start - (end - start), start


def trend_window(start: date, end: date) -> tuple[date, date]:
    """Return [first of month, end) covering the period and at least the 12 months ending with it."""
    last_month = (pd.Timestamp(end) - pd.Timedelta(days=1)).to_period("M")
    year_start = (last_month - 11).to_timestamp().date()
    return min(year_start, start.replace(day=1)), end


def _ts(day: date) -> np.datetime64:
    return np.datetime64(pd.Timestamp(day).normalize().to_datetime64(), "ns")


def _shift_years(day: date, years: int) -> date:
    return (pd.Timestamp(day) + pd.DateOffset(years=years)).date()


# ---- filters -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The page's shared filters; an empty tuple means everyone. Tier `none` picks customers without one."""
    owner: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    tier: tuple[str, ...] = ()

    @classmethod
    def of(cls, owner: Iterable[str] | str | None = None, industry: Iterable[str] | str | None = None,
           region: Iterable[str] | str | None = None, tier: Iterable[str] | str | None = None) -> "Filters":
        """Build filters from single values, lists or None."""
        def norm(v) -> tuple[str, ...]:
            if v is None:
                return ()
            return (v,) if isinstance(v, str) else tuple(sorted(str(x) for x in v))
        return cls(norm(owner), norm(industry), norm(region), norm(tier))

    @property
    def active(self) -> bool:
        return bool(self.owner or self.industry or self.region or self.tier)


def filter_options(reg: Register) -> dict[str, list[str]]:
    """Return the values people can filter on: owners, industries, regions (as typed) and tiers."""
    return reg.derived(("kpis.filter_options",), lambda: _filter_options(reg))


def _filter_options(reg: Register) -> dict[str, list[str]]:
    c = reg.frame("customers")
    c = c[~c["archived"]]

    def values(column: str) -> list[str]:
        return sorted(set(_text(c[column])) - {""})
    return {"owner": values("owner"), "industry": values("industry"), "region": values("region"),
            "tier": list(TIER_KEYS)}


def tier_label(key: str, lang: str) -> str:
    return t("charts.no_tier", lang) if key == NO_TIER else key


# ---- per-register preparation --------------------------------------------------------------------

@dataclass(frozen=True)
class Deals:
    """Non-cancelled transactions sorted by date, as arrays; `pos` is the customer's row (-1 unknown)."""
    pos: np.ndarray
    date: np.ndarray
    amount: np.ndarray
    profit: np.ndarray

    def __len__(self) -> int:
        return len(self.pos)

    def where(self, keep: np.ndarray) -> "Deals":
        return Deals(self.pos[keep], self.date[keep], self.amount[keep], self.profit[keep])

    def between(self, start: date, end: date) -> "Deals":
        """The deals dated in [start, end) (a slice: the arrays are sorted by date)."""
        lo, hi = np.searchsorted(self.date, [_ts(start), _ts(end)])
        return Deals(self.pos[lo:hi], self.date[lo:hi], self.amount[lo:hi], self.profit[lo:hi])

    @property
    def month(self) -> np.ndarray:
        return self.date.astype("datetime64[M]")


@dataclass
class Prepared:
    """A register's frames reduced once to what the page needs, each row tagged with its customer row."""
    customers: pd.DataFrame       # one row per customer ID (the first of a duplicate), plus rows without ID
    dims: dict[str, np.ndarray]   # owner, industry, region (stripped text) and tier_key per customer row
    deals: Deals
    feedback: pd.DataFrame        # sorted by time received, + pos, month, hours_to_resolve, within_limit
    tier_history: pd.DataFrame    # + pos
    stage_events: pd.DataFrame    # audit stage changes of customers: pos, at, old_lost, new_lost
    rfm: pd.DataFrame             # lib.tiers.rfm_scores + pos
    follow_ups: pd.DataFrame      # lib.followups.my_follow_ups of everyone, overdue ones only, + pos
    settings: Settings

    @cached_property
    def tier_codes(self) -> np.ndarray:
        """Position in TIER_KEYS of each customer row's tier."""
        return _tier_codes(self.dims["tier"])


def _text(column: pd.Series) -> np.ndarray:
    """Every cell as stripped text ("" when empty), as an object array."""
    return np.array([v.strip() if isinstance(v, str) else "" if pd.isna(v) else str(v).strip()
                     for v in column.to_numpy(dtype="object")], dtype="object")


def prepare(reg: Register, today: date) -> Prepared:
    """Reduce the register's frames to the page's inputs (done once per register object and day)."""
    c = reg.frame("customers")
    c = c[(c["customer_id"] == "") | ~c["customer_id"].duplicated()].reset_index(drop=True)
    tier_key = c["tier"].where(c["tier"].isin(tiers.TIERS), NO_TIER).to_numpy(dtype="object")
    dims = {"owner": _text(c["owner"]), "industry": _text(c["industry"]), "region": _text(c["region"]),
            "tier": tier_key}
    ids = c["customer_id"].to_numpy(dtype="object").copy()
    ids[ids == ""] = None     # rows without ID match nothing
    index = pd.Index(ids, dtype="object")

    def positions(column: pd.Series) -> np.ndarray:
        if len(column) == 0:
            return np.zeros(0, dtype="int64")
        keys = pd.Index(column.astype("object").fillna("").to_numpy(), dtype="object")  # not inferred as str: 5× faster
        return index.get_indexer(keys).astype("int64")

    tx = reg.frame("transactions")
    tx = tx[(tx["status"] != "cancelled") & tx["date"].notna()]
    dates = tx["date"].to_numpy(dtype="datetime64[ns]")
    order = np.argsort(dates, kind="stable")
    deals = Deals(positions(tx["customer_id"])[order], dates[order],
                  tx["amount"].to_numpy(dtype="float64")[order], tx["profit"].to_numpy(dtype="float64")[order])

    fb = feedback.with_due(reg.frame("feedback"), reg.settings).sort_values("received_at", kind="stable")
    received = fb["received_at"].to_numpy(dtype="datetime64[ns]")
    timed = fb["due_at"].notna() & fb["resolved_at"].notna()
    fb = fb.assign(pos=positions(fb["customer_id"]), month=received.astype("datetime64[M]").astype("datetime64[ns]"),
                   hours_to_resolve=((fb["resolved_at"] - fb["received_at"]) / pd.Timedelta(hours=1)).astype("float64"),
                   within_limit=np.where(timed, np.where(fb["resolved_at"] <= fb["due_at"], 1, 0), -1))
    th = reg.frame("tier_history")
    rfm = tiers.rfm_scores(reg.frames, today)
    due = followups.my_follow_ups(reg, None, today, reg.settings)
    due = due[due["bucket"] == "overdue"]
    return Prepared(c, dims, deals, fb.reset_index(drop=True), th.assign(pos=positions(th["customer_id"])),
                    _stage_events(reg.frame("audit"), positions), rfm.assign(pos=positions(rfm["customer_id"])),
                    due.assign(pos=positions(due["customer_id"])), reg.settings)


def _stage_events(audit: pd.DataFrame, positions: Callable[[pd.Series], np.ndarray]) -> pd.DataFrame:
    """Stage changes of customers in the audit log: customer row, time, whether from/to lost."""
    tables = audit["table"].map(lambda v: schema.table_for_title(v) if v else None)
    fields = audit["field"].map(lambda v: schema.field_for_header("customers", v) if v else None)
    rows = audit[(tables == "customers") & (fields == "stage") & audit["at"].notna()]
    stage = schema.CUSTOMERS.field("stage")
    lost = {text: cells.read(stage, text).value == "lost"
            for text in set(rows["old"].astype(str)) | set(rows["new"].astype(str))}
    events = pd.DataFrame({"pos": positions(rows["record_id"]), "at": rows["at"].to_numpy(dtype="datetime64[ns]"),
                           "old_lost": rows["old"].astype(str).map(lost).to_numpy(dtype=bool),
                           "new_lost": rows["new"].astype(str).map(lost).to_numpy(dtype=bool)})
    return events[events["pos"] >= 0].sort_values("at", kind="stable").reset_index(drop=True)


# ---- the scope: a period and filters applied -----------------------------------------------------

@dataclass
class Scope:
    """The register seen through the page's period and filters, at a moment `now` (today's date)."""
    reg: Register
    start: date
    end: date
    now: datetime
    filters: Filters
    prepared: Prepared = field(repr=False)

    @property
    def today(self) -> date:
        return self.now.date()

    @cached_property
    def customer_mask(self) -> np.ndarray:
        """Which customer rows the filters keep."""
        keep = np.ones(len(self.prepared.customers), dtype=bool)
        for name, values in self.prepared.dims.items():
            wanted = getattr(self.filters, name)
            if wanted:
                keep &= np.isin(values, np.asarray(wanted, dtype="object"))
        return keep

    def rows_of_customers(self, pos: np.ndarray) -> np.ndarray:
        """Which rows (by customer row `pos`, -1 unknown) belong to the filtered customers."""
        if not self.filters.active:
            return np.ones(len(pos), dtype=bool)
        return (pos >= 0) & self.customer_mask[np.maximum(pos, 0)]

    @cached_property
    def customers(self) -> pd.DataFrame:
        return self.prepared.customers[self.customer_mask]

    @cached_property
    def deals(self) -> Deals:
        d = self.prepared.deals
        return d.where(self.rows_of_customers(d.pos)) if self.filters.active else d

    @cached_property
    def feedback(self) -> pd.DataFrame:
        fb = self.prepared.feedback
        return fb[self.rows_of_customers(fb["pos"].to_numpy())] if self.filters.active else fb

    @cached_property
    def tier_history(self) -> pd.DataFrame:
        th = self.prepared.tier_history
        return th[self.rows_of_customers(th["pos"].to_numpy())]

    @cached_property
    def rfm(self) -> pd.DataFrame:
        rfm = self.prepared.rfm
        return rfm[self.rows_of_customers(rfm["pos"].to_numpy())]

    def tier_code_of(self, pos: np.ndarray) -> np.ndarray:
        """Position in TIER_KEYS of each customer row's tier (-1, an unknown customer → no tier)."""
        codes = self.prepared.tier_codes
        return np.append(codes, TIER_KEYS.index(NO_TIER))[np.where(pos >= 0, pos, len(codes))]


def as_moment(today: date | datetime) -> datetime:
    """A datetime stays as given; a date means its first moment."""
    if isinstance(today, datetime):
        return today
    return datetime.combine(today, datetime.min.time())


def scope(reg: Register, start: date, end: date, today: date | datetime, filters: Filters | None = None) -> Scope:
    """Return the scope of a period and filters, remembered per register object and day.

    `today` may be the current datetime; status counts (overdue complaints) use the time the
    scope was first made for this register, which is at most one register reload old.
    """
    filters = filters or Filters()
    now = as_moment(today)
    return reg.derived(("kpis.scope", start, end, now.date(), filters),
                       lambda: Scope(reg, start, end, now, filters, prepared(reg, now.date())))


def prepared(reg: Register, today: date) -> Prepared:
    """The register reduced to the charts' inputs, once per register object and day.

    lib.ui asks for it right after loading a register, so the charts page finds it ready.
    """
    return reg.derived(("kpis.prepared", today), lambda: prepare(reg, today))


def filter_register(reg: Register, period_start: date, period_end: date, owner: Iterable[str] | str | None = None,
                    industry: Iterable[str] | str | None = None, region: Iterable[str] | str | None = None,
                    tier: Iterable[str] | str | None = None, *, today: date | datetime | None = None) -> Scope:
    """Apply the page's period and filters to the register (today defaults to the period's last day)."""
    return scope(reg, period_start, period_end, today or (period_end - timedelta(days=1)),
                 Filters.of(owner, industry, region, tier))


# ---- customers over time -------------------------------------------------------------------------

def _column(s: Scope, name: str) -> np.ndarray:
    return s.customers[name].to_numpy()


def _stage_state(s: Scope, moment: np.datetime64) -> np.ndarray:
    """Per filtered customer: 1 lost / 0 not lost at `moment` by the audit log's stage changes, -1 none."""
    events = s.prepared.stage_events
    state = np.full(len(s.prepared.customers), -1, dtype="int64")
    after = events[events["at"] >= moment].drop_duplicates("pos", keep="first")
    state[after["pos"].to_numpy()] = after["old_lost"].to_numpy(dtype="int64")
    before = events[events["at"] < moment].drop_duplicates("pos", keep="last")
    state[before["pos"].to_numpy()] = before["new_lost"].to_numpy(dtype="int64")
    return state[s.customer_mask]


def lost_at(s: Scope, when: date) -> np.ndarray:
    """Whether each filtered customer was lost at the start of a day (rules in the module docstring)."""
    moment = _ts(when)
    updated = _column(s, "updated_at")
    by_hand = (_column(s, "stage") == "lost") & (np.isnat(updated) | (updated < moment))
    state = _stage_state(s, moment)
    return np.where(state >= 0, state == 1, by_hand)


def _kept(s: Scope) -> np.ndarray:
    """Not archived, unless lost (a lost customer is archived as a matter of course)."""
    return ~(_column(s, "archived").astype(bool) & (_column(s, "stage") != "lost"))


def active_at(s: Scope, when: date) -> np.ndarray:
    """Whether each filtered customer was active at the start of a day."""
    created = _column(s, "created_at")
    return (np.isnat(created) | (created < _ts(when))) & _kept(s) & ~lost_at(s, when)


def churned_in(s: Scope, start: date, end: date) -> np.ndarray:
    """Whether each filtered customer became lost in [start, end)."""
    lo, hi = _ts(start), _ts(end)
    updated = _column(s, "updated_at")
    by_hand = (_column(s, "stage") == "lost") & (updated >= lo) & (updated < hi)
    events = s.prepared.stage_events
    n = len(s.prepared.customers)
    has_events = np.zeros(n, dtype=bool)
    has_events[events["pos"].to_numpy()] = True
    became = events[events["new_lost"] & ~events["old_lost"] & (events["at"] >= lo) & (events["at"] < hi)]
    by_event = np.zeros(n, dtype=bool)
    by_event[became["pos"].to_numpy()] = True
    mask = s.customer_mask
    return np.where(has_events[mask], by_event[mask], by_hand)


def churn(s: Scope, start: date, end: date) -> tuple[int, int, float | None]:
    """Return (customers lost in the period, customers active at its start, rate in percent or None)."""
    base = active_at(s, start)
    lost = int((churned_in(s, start, end) & base).sum())
    n = int(base.sum())
    return lost, n, (100.0 * lost / n if n else None)


def new_customers(s: Scope, start: date, end: date) -> int:
    """Count filtered customers created in [start, end) (archived ones only if lost)."""
    created = _column(s, "created_at")
    return int((_kept(s) & (created >= _ts(start)) & (created < _ts(end))).sum())


def current_rows(s: Scope) -> np.ndarray:
    """Customer rows (positions) of filtered customers as they stand today: not archived, not lost."""
    keep = s.customer_mask & ~s.prepared.customers["archived"].to_numpy(dtype=bool) & (
        s.prepared.customers["stage"].to_numpy() != "lost")
    return np.flatnonzero(keep)


def overdue_follow_ups(s: Scope) -> pd.DataFrame:
    """Filtered customers whose follow-up is overdue today (lib.followups), with days overdue."""
    due = s.prepared.follow_ups
    return due[s.rows_of_customers(due["pos"].to_numpy())]


def _feedback_in(s: Scope, start: date, end: date) -> pd.DataFrame:
    """Filtered feedback received in [start, end) (a slice: sorted by time received)."""
    fb = s.feedback
    lo, hi = np.searchsorted(fb["received_at"].to_numpy(dtype="datetime64[ns]"), [_ts(start), _ts(end)])
    return fb.iloc[lo:hi]


# ---- KPI tiles -----------------------------------------------------------------------------------

TILES = ("active_customers", "new_customers", "churn_rate", "revenue", "gross_profit", "csat", "nps",
         "open_complaints", "overdue_complaints", "overdue_follow_ups", "data_health")
LOWER_IS_BETTER = {"churn_rate", "open_complaints", "overdue_complaints", "overdue_follow_ups"}
UNITS = {"active_customers": "count", "new_customers": "count", "churn_rate": "percent", "revenue": "money",
         "gross_profit": "money", "csat": "percent", "nps": "score", "open_complaints": "count",
         "overdue_complaints": "count", "overdue_follow_ups": "count", "data_health": "percent"}


@dataclass(frozen=True)
class Tile:
    """One KPI: its value in the period and in the previous one (None when there is none)."""
    key: str
    value: float | None
    previous: float | None

    @property
    def unit(self) -> str:
        return UNITS[self.key]

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def delta_color(self) -> str:
        """How st.metric colours the change: a fall is good news for churn, complaints and overdue items."""
        if not self.change:
            return "off"
        return "inverse" if self.key in LOWER_IS_BETTER else "normal"


def _period_values(s: Scope, start: date, end: date, settings: Settings) -> dict[str, float | None]:
    deals = s.deals.between(start, end)
    summary = feedback.feedback_summary(_feedback_in(s, start, end), datetime.combine(start, datetime.min.time()),
                                        datetime.combine(end, datetime.min.time()), settings, now=s.now)
    return {
        "active_customers": int(active_at(s, min(end, s.today + timedelta(days=1))).sum()),
        "new_customers": new_customers(s, start, end),
        "churn_rate": churn(s, start, end)[2],
        "revenue": float(np.nansum(deals.amount)),
        "gross_profit": float(np.nansum(deals.profit)),
        "csat": summary["csat_pct"],
        "nps": summary["nps"],
        "open_complaints": summary["open_count"],
        "overdue_complaints": summary["overdue_count"],
    }


def kpi_tiles(reg: Register, start: date, end: date, today: date | datetime, settings: Settings | None = None,
              filters: Filters | None = None) -> list[Tile]:
    """Return the KPI tiles of [start, end) with the previous period of equal length (today may be a datetime)."""
    s = scope(reg, start, end, today, filters)
    return reg.derived(("kpis.tiles", start, end, s.today, s.filters, id(settings)),
                lambda: _tiles(s, settings or reg.settings))


def _tiles(s: Scope, settings: Settings) -> list[Tile]:
    current = _period_values(s, s.start, s.end, settings)
    previous = _period_values(s, *previous_period(s.start, s.end), settings)
    tiles = [Tile(k, current[k], previous[k]) for k in current]
    tiles.append(Tile("overdue_follow_ups", len(overdue_follow_ups(s)), None))
    tiles.append(Tile("data_health", 100.0 * s.reg.healthy_share, None))
    return tiles


_MONEY_UNITS = {"zh": ((1e8, "亿"), (1e4, "万")), "en": ((1e9, "B"), (1e6, "M"), (1e3, "K"))}


def money_text(amount: float, lang: str) -> str:
    """Write an amount the short way people say it: ¥1,234 · ¥7.8万 · ¥1.2亿 (zh) or ¥7.8M (en)."""
    for size, unit in _MONEY_UNITS["zh" if lang == "zh" else "en"]:
        if abs(amount) >= size:
            return f"¥{amount / size:,.1f}{unit}"
    return f"¥{amount:,.0f}"


def format_tile(tile: Tile, lang: str) -> tuple[str, str | None]:
    """Return the tile's value and change as people read them ("—" when there is no value)."""
    def text(v: float, signed: bool) -> str:
        sign = ("+" if v > 0 else "-" if v < 0 else "±") if signed else ("-" if v < 0 else "")
        a = abs(v)
        if tile.unit == "money":
            return sign + money_text(a, lang)
        if tile.unit == "percent":
            return f"{sign}{a:.1f}" + (t("charts.points", lang) if signed else "%")
        return f"{sign}{a:,.0f}"
    value = "—" if tile.value is None else text(tile.value, False)
    change = None if tile.change is None else text(tile.change, True)
    return value, change


def rows_of(items: list, per_row: int) -> list[list]:
    """Split items into rows of at most `per_row` (for laying out tiles and charts)."""
    return [items[i:i + per_row] for i in range(0, len(items), per_row)]


# ---- chart data ----------------------------------------------------------------------------------

def _empty(**columns: str) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in columns.items()})


def _tier_codes(keys: np.ndarray) -> np.ndarray:
    return pd.Categorical(keys, categories=list(TIER_KEYS)).codes.astype("int64")


def _revenue_by_row(s: Scope, rows: np.ndarray | None = None) -> np.ndarray:
    """The period's revenue per customer row (all rows, or those given)."""
    d = s.deals.between(s.start, s.end)
    known = d.pos >= 0
    revenue = np.bincount(d.pos[known], weights=np.nan_to_num(d.amount[known]), minlength=len(s.prepared.customers))
    return revenue if rows is None else revenue[rows]


def customers_by_tier(s: Scope, lang: str) -> pd.DataFrame:
    """Count today's filtered customers per tier, with the period's revenue per tier."""
    rows = current_rows(s)
    if len(rows) == 0:
        return _empty(tier="object", tier_label="object", customers="int64", revenue="float64")
    codes = s.prepared.tier_codes[rows]
    k = len(TIER_KEYS)
    return pd.DataFrame({"tier": list(TIER_KEYS), "tier_label": [tier_label(key, lang) for key in TIER_KEYS],
                         "customers": np.bincount(codes, minlength=k).astype("int64"),
                         "revenue": np.bincount(codes, weights=_revenue_by_row(s, rows), minlength=k)})


def customers_by_stage(s: Scope, lang: str) -> pd.DataFrame:
    """Count filtered customers per stage, prospect → interested → customer, then lost (archived lost ones too)."""
    stage = _column(s, "stage")
    stage = stage[_kept(s)]
    codes = pd.Categorical(stage, categories=list(STAGE_ORDER)).codes
    counts = np.bincount(codes[codes >= 0], minlength=len(STAGE_ORDER)).astype("int64")
    if counts.sum() == 0:
        return _empty(stage="object", stage_label="object", step="int64", customers="int64", share="float64")
    return pd.DataFrame({"stage": list(STAGE_ORDER),
                         "stage_label": [schema.choice_label("customers", "stage", k, lang) for k in STAGE_ORDER],
                         "step": np.arange(1, len(STAGE_ORDER) + 1, dtype="int64"),
                         "customers": counts, "share": counts / counts.sum()})


def _monthly(deals: Deals, first: date, months: int, codes: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Revenue, profit and deal counts per (month since `first`, tier code) cell, flattened."""
    k = len(TIER_KEYS)
    index = (deals.month - np.datetime64(first, "M")).astype("int64") * k + (0 if codes is None else codes)
    size = months * k
    return (np.bincount(index, weights=np.nan_to_num(deals.amount), minlength=size),
            np.bincount(index, weights=np.nan_to_num(deals.profit), minlength=size),
            np.bincount(index, minlength=size))


def revenue_by_month(s: Scope, lang: str) -> pd.DataFrame:
    """Revenue, profit and deals per month and tier over the trend window, plus the year before as `previous_year`."""
    first, end = trend_window(s.start, s.end)
    months = int((np.datetime64(end - timedelta(days=1), "M") - np.datetime64(first, "M")).astype("int64")) + 1
    k = len(TIER_KEYS)
    current = s.deals.between(first, end)
    revenue, profit, deals = _monthly(current, first, months, s.tier_code_of(current.pos))
    before = s.deals.between(_shift_years(first, -1), _shift_years(end, -1))
    last_revenue, last_profit, last_deals = _monthly(before, _shift_years(first, -1), months, None)
    month_starts = (np.datetime64(first, "M") + np.arange(months)).astype("datetime64[ns]")
    labels = [tier_label(key, lang) for key in TIER_KEYS]
    bars = pd.DataFrame({"month": np.repeat(month_starts, k), "series": np.tile(list(TIER_KEYS), months),
                         "series_label": np.tile(labels, months), "revenue": revenue, "profit": profit,
                         "deals": deals.astype("int64")})
    line = pd.DataFrame({"month": month_starts, "series": "previous_year",
                         "series_label": t("charts.previous_year", lang), "revenue": last_revenue[::k],
                         "profit": last_profit[::k], "deals": last_deals[::k].astype("int64")})
    out = pd.concat([bars[bars["deals"] > 0], line[line["deals"] > 0]], ignore_index=True)
    if out.empty:
        return _empty(month="datetime64[ns]", series="object", series_label="object", revenue="float64",
                      profit="float64", deals="int64")
    return out.astype({"series": "object", "series_label": "object"})


def pareto_curve(s: Scope, lang: str) -> pd.DataFrame:
    """Cumulative share of the period's revenue against share of buying customers, biggest first."""
    revenue = _revenue_by_row(s)
    revenue = np.sort(revenue[revenue > 0])[::-1]
    if len(revenue) == 0:
        return _empty(customer_share="float64", revenue_share="float64", customers="int64", revenue="float64")
    n = len(revenue)
    cumulative = np.concatenate([[0.0], np.cumsum(revenue)])
    counts = np.arange(n + 1) if n <= 2 * PARETO_POINTS else np.unique(
        np.ceil(np.linspace(0, n, PARETO_POINTS + 1)).astype("int64"))
    return pd.DataFrame({"customer_share": counts / n, "revenue_share": cumulative[counts] / cumulative[-1],
                         "customers": counts.astype("int64"), "revenue": cumulative[counts]})


def customers_by(s: Scope, column: str, lang: str) -> pd.DataFrame:
    """Count today's filtered customers per industry or region (the biggest ones, the rest as other)."""
    rows = current_rows(s)
    if len(rows) == 0:
        return _empty(value="object", customers="int64", revenue="float64")
    names = s.prepared.dims[column][rows]
    names = np.where(names == "", t("charts.not_given", lang), names)
    codes, uniques = pd.factorize(names)
    table = pd.DataFrame({"value": np.asarray(uniques, dtype="object"),
                          "customers": np.bincount(codes, minlength=len(uniques)).astype("int64"),
                          "revenue": np.bincount(codes, weights=_revenue_by_row(s, rows), minlength=len(uniques))})
    table = table.sort_values(["customers", "revenue", "value"], ascending=[False, False, True], kind="stable")
    if len(table) > TOP_GROUPS + 1:
        rest = table.iloc[TOP_GROUPS:]
        table = pd.concat([table.iloc[:TOP_GROUPS], pd.DataFrame({
            "value": [t("charts.other", lang)], "customers": [int(rest["customers"].sum())],
            "revenue": [float(rest["revenue"].sum())]})], ignore_index=True)
    return table.reset_index(drop=True)


def rfm_segments(s: Scope, lang: str) -> pd.DataFrame:
    """Count filtered customers per RFM segment (lib.tiers.rfm_scores), with their average R, F and M."""
    rfm = s.rfm
    if rfm.empty:
        return _empty(segment="object", segment_label="object", customers="int64", recency_days="float64",
                      frequency="float64", monetary="float64")
    g = rfm.groupby("segment").agg(customers=("customer_id", "size"), recency_days=("recency_days", "mean"),
                                   frequency=("frequency", "mean"), monetary=("monetary", "mean"))
    order = [k for k in tiers.SEGMENTS if k in g.index]
    g = g.reindex(order).reset_index()
    g.insert(1, "segment_label", [tiers.SEGMENT_LABELS[k][0 if lang == "zh" else 1] for k in order])
    return g.astype({"segment": "object", "customers": "int64", "recency_days": "float64",
                     "frequency": "float64", "monetary": "float64"})


def tier_migration(s: Scope, lang: str) -> pd.DataFrame:
    """Count tier reviews by (from tier, to tier) over the trend window (lib.tiers.tier_migrations), all pairs."""
    first, end = trend_window(s.start, s.end)
    th = s.tier_history
    th = th[(th["reviewed_at"] >= _ts(first)) & (th["reviewed_at"] < _ts(end))]
    if th.empty:
        return _empty(from_tier="object", to_tier="object", from_label="object", to_label="object", count="int64")
    k = len(TIER_KEYS)
    from_codes, to_codes = (_tier_codes(th[c].where(th[c].isin(tiers.TIERS), NO_TIER).to_numpy(dtype="object"))
                            for c in ("from_tier", "to_tier"))
    pairs = [(a, b) for a in TIER_KEYS for b in TIER_KEYS]
    return pd.DataFrame({"from_tier": pd.Series([a for a, _ in pairs], dtype="object"),
                         "to_tier": pd.Series([b for _, b in pairs], dtype="object"),
                         "from_label": [tier_label(a, lang) for a, _ in pairs],
                         "to_label": [tier_label(b, lang) for _, b in pairs],
                         "count": np.bincount(from_codes * k + to_codes, minlength=k * k).astype("int64")})


def feedback_volume(s: Scope, lang: str) -> pd.DataFrame:
    """Count feedback received per month and type over the trend window."""
    fb = _feedback_in(s, *trend_window(s.start, s.end))
    fb = fb[fb["type"].notna()]
    if fb.empty:
        return _empty(month="datetime64[ns]", type="object", type_label="object", count="int64")
    kinds = [c.key for c in schema.FEEDBACK_TYPES]
    out = fb.groupby(["month", pd.Categorical(fb["type"], categories=kinds)], observed=True).size()
    out = out.rename("count").reset_index().rename(columns={"level_1": "type"})
    out["type"] = out["type"].astype("object")
    out.insert(2, "type_label", [schema.choice_label("feedback", "type", k, lang) for k in out["type"]])
    return out.astype({"count": "int64"})


def satisfaction_trend(s: Scope, lang: str) -> pd.DataFrame:
    """CSAT (% of answers 4–5) and NPS (% promoters − % detractors) per month over the trend window.

    The definitions are lib.feedback.feedback_summary's, computed for all months at once.
    """
    fb = _feedback_in(s, *trend_window(s.start, s.end))
    month = fb["month"].to_numpy()
    parts = []
    for measure, low, high in (("csat_pct", 1, 5), ("nps", 0, 10)):
        score = pd.to_numeric(fb[measure.removesuffix("_pct")], errors="coerce").to_numpy(dtype="float64",
                                                                                        na_value=np.nan)
        ok = ~np.isnan(score) & (score >= low) & (score <= high)
        value = (score[ok] >= 4) * 100.0 if measure == "csat_pct" else (
            (score[ok] >= 9).astype(float) - (score[ok] <= 6).astype(float)) * 100.0
        g = pd.DataFrame({"month": month[ok], "value": value}).groupby("month")["value"].agg(["mean", "size"])
        parts.append(pd.DataFrame({"month": g.index.to_numpy(), "measure": measure, "value": g["mean"].to_numpy(),
                                   "answers": g["size"].to_numpy(dtype="int64")}))
    out = pd.concat(parts, ignore_index=True).sort_values(["month", "measure"], kind="stable")
    if out.empty:
        return _empty(month="datetime64[ns]", measure="object", measure_label="object", value="float64",
                      answers="int64")
    out.insert(2, "measure_label", out["measure"].map({"csat_pct": t("charts.csat", lang), "nps": "NPS"}))
    return out.astype({"month": "datetime64[ns]", "measure": "object", "value": "float64",
                       "answers": "int64"}).reset_index(drop=True)


def resolve_times(s: Scope, lang: str) -> pd.DataFrame:
    """Count complaints received in the period and resolved, by time to resolve and whether within the limit."""
    fb = _feedback_in(s, s.start, s.end)
    done = fb[fb["type"].isin(feedback.WORKFLOW_TYPES) & fb["hours_to_resolve"].notna()]
    if done.empty:
        return _empty(bucket="object", bucket_label="object", bucket_order="int64", outcome="object",
                      outcome_label="object", count="int64")
    order = np.searchsorted(np.asarray(RESOLVE_BUCKETS_H[1:]), done["hours_to_resolve"].clip(lower=0).to_numpy(),
                            side="left")
    outcome = np.array(["no_limit", "late", "within"], dtype="object")[done["within_limit"].to_numpy() + 1]
    out = pd.DataFrame({"bucket_order": order, "outcome": outcome}).groupby(
        ["bucket_order", "outcome"]).size().rename("count").reset_index()
    out.insert(0, "bucket", [RESOLVE_BUCKET_KEYS[i] for i in out["bucket_order"]])
    out.insert(1, "bucket_label", [t(f"charts.bucket_{k}", lang) for k in out["bucket"]])
    out.insert(4, "outcome_label", [t(f"charts.outcome_{k}", lang) for k in out["outcome"]])
    return out.astype({"bucket": "object", "outcome": "object", "bucket_order": "int64", "count": "int64"})


def follow_ups_by_owner(s: Scope, lang: str) -> pd.DataFrame:
    """Count overdue follow-ups (today) per owner, with the most days overdue."""
    late = overdue_follow_ups(s)
    if late.empty:
        return _empty(owner="object", overdue="int64", oldest_days="int64")
    owners = _text(late["owner"])
    owners = np.where(owners == "", t("charts.no_owner", lang), owners).astype("object")
    out = pd.DataFrame({"owner": owners, "days": late["days_overdue"].to_numpy()}).groupby("owner")["days"].agg(
        overdue="size", oldest_days="max").reset_index()
    return out.sort_values(["overdue", "owner"], ascending=[False, True], kind="stable").astype(
        {"owner": "object", "overdue": "int64", "oldest_days": "int64"}).reset_index(drop=True)
