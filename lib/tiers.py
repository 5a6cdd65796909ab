"""Customer tiers (客户分级): proposals from the register's data, RFM segments, and tier approvals.

The seeds grade customers by value contribution (价值贡献), cooperation potential (合作潜力) and
loyalty (忠诚度), measured by sales, profit, purchase frequency and satisfaction, reviewed every
six months; the 80/20 rule ("20% of customers bring 80% of the business") is the alternative.

Who is graded: customers that are not archived, have an ID and are not lost (stage 流失 / Lost).
Lost customers are listed with no proposal and rule "lost"; a customer without any data in the
window (no non-cancelled transaction, no CSAT/NPS, no budget) gets no proposal and rule "no_data".
Nothing here ever makes up a grade.

Score method (`tier.method = score`), over the window of `tier.window_months` months up to today
(a transaction dated exactly on the window's first day counts; future-dated rows do not):
  value        mean of the percentile ranks of revenue and gross profit (revenue alone when a
               customer's transactions carry no profit figure); cancelled transactions ignored
  frequency    number of deals
  recency      days since the last deal, fewer is better; no deal ranks last
  satisfaction CSAT (1–5 → 0–100) and NPS (0–10 → 0–100) averaged over feedback in the window
  potential    mean of the ranks of budget and stage (interested/customer above prospect)
Each sub-score is a mid-rank percentile over the graded customers: 100 × (average rank − 1) /
(n − 1), so the lowest is 0, the highest 100, tied values share a score, and when every customer
has the same value (or there is only one) everyone gets 50 — no made-up split. A sub-score a
customer has no data for (satisfaction, potential) is not counted as zero: its weight is spread
over the other sub-scores in proportion to their weights. The weighted score (weights normalised
to sum 1) is rounded to 2 decimals and graded A if ≥ thresholds["A"], B if ≥ thresholds["B"], else C.

Pareto method (`tier.method = pareto`): customers sorted by window revenue, highest first. A
customer is A while the revenue share of everyone before them is below pareto["A"] %, so the
customer whose revenue first reaches or crosses the 80 % line is A too; B likewise up to
pareto["B"] %; C the rest. Customers with equal revenue share one tier (that of the first of
them). A customer with data but no positive revenue is C (rule "zero_revenue").
"""
from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

import numpy as np
import pandas as pd

from lib import auth, cells, i18n, schema
from lib.errors import ConflictError, DuplicateIdError, RecordNotFound, ValidationError
from lib.register import Register, empty_frame
from lib.settings import Settings, format_weights
from lib.store.base import ChangeSet, Store

TIERS = ("A", "B", "C")
METHODS = ("score", "pareto")
SUB_SCORES = ("value", "frequency", "recency", "satisfaction", "potential")
NONE = "none"   # how "no tier" is labelled in migration tables
BOOKKEEPING = frozenset({"updated_at", "updated_by"})   # fields that never make an approval conflict
_TIER_RANK = {"A": 3, "B": 2, "C": 1}
_STAGE_POINTS = {"prospect": 0.0, "interested": 1.0, "customer": 1.0}

SUB_SCORE_LABELS = {"value": ("价值", "value"), "frequency": ("频次", "frequency"),
                    "recency": ("近度", "recency"), "satisfaction": ("满意度", "satisfaction"),
                    "potential": ("潜力", "potential")}

TIER_SERVICE = {
    "A": ("关键客户：专人服务、定期拜访、优先响应，提供个性化服务，建立长期战略合作",
          "Key account: a dedicated owner, regular visits, priority response and tailored service"),
    "B": ("主要客户：定期回访，加强沟通，提供优质产品和服务，提升满意度和忠诚度",
          "Major account: regular follow-up calls, close contact and good service to build loyalty"),
    "C": ("普通客户：保持适度关注，标准化高效服务，逐步提升客户价值",
          "Regular account: efficient standard service with moderate attention"),
}

SEGMENTS = ("champions", "loyal", "potential_loyalist", "new", "at_risk", "cant_lose",
            "hibernating", "lost", "need_attention")
SEGMENT_LABELS = {
    "champions": ("核心客户", "Champions"),
    "loyal": ("忠诚客户", "Loyal"),
    "potential_loyalist": ("潜力客户", "Potential loyalist"),
    "new": ("新客户", "New"),
    "at_risk": ("流失风险客户", "At risk"),
    "cant_lose": ("重要挽留客户", "Can't lose them"),
    "hibernating": ("沉睡客户", "Hibernating"),
    "lost": ("已流失客户", "Lost"),
    "need_attention": ("需关注客户", "Needs attention"),
}

PROPOSAL_COLUMNS = [
    "customer_id", "name", "owner", "industry", "region", "current_tier", "proposed_tier", "score",
    *SUB_SCORES, "revenue", "profit", "deals", "days_since_last_deal", "csat_avg", "nps_avg",
    "change", "rule", "reasons_zh", "reasons_en", "last_reviewed", "review_due",
    "rfm_r", "rfm_f", "rfm_m", "rfm_segment"]


# ---- inputs ---------------------------------------------------------------------------------------

def _frame(frames: dict[str, pd.DataFrame], table: str) -> pd.DataFrame:
    df = frames.get(table)
    return empty_frame(table) if df is None else df


def _day(today: date) -> np.datetime64:
    return pd.Timestamp(today).normalize().to_datetime64()


def _months_before(today: date, months: int) -> np.datetime64:
    return (pd.Timestamp(today).normalize() - pd.DateOffset(months=int(months))).to_datetime64()


def _customers(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Customers with an ID that are not archived, one row per ID (the first of a duplicated ID)."""
    c = _frame(frames, "customers")
    c = c[(c["customer_id"] != "") & ~c["archived"].astype(bool)]
    return c.drop_duplicates("customer_id", keep="first").reset_index(drop=True)


def _positions(ids: np.ndarray, customers: pd.DataFrame) -> np.ndarray:
    """Row of each ID in `customers` (-1 if not there), hashing every ID once.

    The customers' own (unique) IDs are factorized first, so their codes are their row numbers.
    """
    n = len(customers)
    codes, _ = pd.factorize(np.concatenate([customers["customer_id"].to_numpy(dtype="object"),
                                            np.asarray(ids, dtype="object")]))
    pos = codes[n:]
    return np.where(pos < n, pos, -1)


class _Deals(NamedTuple):
    """Non-cancelled transactions up to today of known customers, as arrays (pos = customer row)."""
    pos: np.ndarray
    date: np.ndarray      # int64 nanoseconds
    amount: np.ndarray
    profit: np.ndarray

    def since(self, start: np.datetime64) -> "_Deals":
        keep = self.date >= start.astype("datetime64[ns]").astype("int64")
        return _Deals(*(column[keep] for column in self))


def _deals(frames: dict[str, pd.DataFrame], customers: pd.DataFrame, today: date) -> _Deals:
    """Collect non-cancelled transactions dated up to today of the customers listed."""
    t = _frame(frames, "transactions")
    dates = t["date"].to_numpy(dtype="datetime64[ns]")
    keep = ~t["status"].isin(["cancelled"]).to_numpy() & ~np.isnat(dates) & (dates <= _day(today))
    pos = _positions(t["customer_id"].to_numpy()[keep], customers)
    known = pos >= 0
    return _Deals(pos[known], dates[keep][known].astype("int64"),
                  t["amount"].to_numpy(dtype="float64")[keep][known],
                  t["profit"].to_numpy(dtype="float64")[keep][known])


def _lookup(values, table: dict, default) -> np.ndarray:
    """Map each value through `table` (others → `default`) with array comparisons, not a hash per row."""
    values = np.asarray(values, dtype="object")
    out = np.full(len(values), default, dtype="float64" if isinstance(default, float) else "object")
    for key, mapped in table.items():
        out[values == key] = mapped
    return out


def _sum_by(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum per customer row, ignoring missing values (0 where none)."""
    return np.bincount(pos, weights=np.nan_to_num(values), minlength=n)


def _count_by(pos: np.ndarray, values: np.ndarray | None, n: int) -> np.ndarray:
    """Count per customer row (of known values when `values` is given)."""
    return np.bincount(pos if values is None else pos[~np.isnan(values)], minlength=n)


def _mean_by(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the known values per customer row (NaN where none)."""
    count = _count_by(pos, values, n)
    return np.where(count > 0, _sum_by(pos, values, n) / np.maximum(count, 1), np.nan)


def _days_since_last(pos: np.ndarray, dates: np.ndarray, n: int, today: date) -> np.ndarray:
    """Whole days from each customer's latest date to today (NaN where none)."""
    last = np.full(n, np.iinfo("int64").min)   # the integer of NaT, below every real date
    np.maximum.at(last, pos, dates)
    days = (_day(today).astype("datetime64[ns]").astype("int64") - last) // (86_400 * 10**9)
    return np.where(last == np.iinfo("int64").min, np.nan, days.astype("float64"))


# ---- measures and sub-scores ----------------------------------------------------------------------

def _measures(frames: dict[str, pd.DataFrame], customers: pd.DataFrame, deals: _Deals,
              settings: Settings, today: date) -> pd.DataFrame:
    """Revenue, profit, deals, recency, CSAT/NPS and budget per customer over the window."""
    start = _months_before(today, settings.tier_window_months)
    n = len(customers)
    window = deals.since(start)
    profit_count = _count_by(window.pos, window.profit, n)
    m = pd.DataFrame({
        "revenue": _sum_by(window.pos, window.amount, n),
        "profit": np.where(profit_count > 0, _sum_by(window.pos, window.profit, n), np.nan),
        "deals": _count_by(window.pos, None, n).astype("int64"),
        "days_since_last_deal": _days_since_last(window.pos, window.date, n, today),
    })
    f = _frame(frames, "feedback")
    received = f["received_at"].to_numpy(dtype="datetime64[ns]")
    keep = ~np.isnat(received) & (received >= start) & (received < _day(today) + np.timedelta64(1, "D"))
    pos = _positions(f["customer_id"].to_numpy()[keep], customers)
    known = pos >= 0
    for key in ("csat", "nps"):
        values = f[key].to_numpy(dtype="float64", na_value=np.nan)[keep][known]
        m[f"{key}_avg"] = _mean_by(pos[known], values, n)
    m["budget"] = customers["budget"].to_numpy(dtype="float64")
    m["stage"] = pd.Series(customers["stage"].to_numpy(), dtype="object")
    return m


def _mid_rank(values) -> np.ndarray:
    """Percentile 0–100 by average rank of the known values; ties share it, one or all-equal → 50."""
    values = np.asarray(values, dtype="float64")
    out = np.full(len(values), np.nan)
    known = ~np.isnan(values)
    n = int(known.sum())
    if n == 1:
        out[known] = 50.0
    elif n > 1:
        ranks = pd.Series(values[known]).rank(method="average").to_numpy()
        out[known] = 100.0 * (ranks - 1.0) / (n - 1)
    return out


def _mean_known(*parts: np.ndarray) -> np.ndarray:
    """Row-wise mean of the parts that are known (NaN where none is)."""
    stacked = np.vstack(parts)
    known = ~np.isnan(stacked)
    count = known.sum(axis=0)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _sub_scores(m: pd.DataFrame, graded: np.ndarray) -> dict[str, np.ndarray]:
    """Turn the measures of graded customers into 0–100 sub-scores (NaN elsewhere and where unknown)."""
    g = m[graded]
    recency_key = -g["days_since_last_deal"].fillna(np.inf)   # no deal ranks last
    satisfaction = _mean_known(((g["csat_avg"] - 1.0) / 4.0 * 100.0).to_numpy(), (g["nps_avg"] * 10.0).to_numpy())
    stage = _lookup(g["stage"], _STAGE_POINTS, np.nan)
    graded_scores = {
        "value": _mean_known(_mid_rank(g["revenue"]), _mid_rank(g["profit"])),
        "frequency": _mid_rank(g["deals"]),
        "recency": _mid_rank(recency_key),
        "satisfaction": _mid_rank(satisfaction),
        "potential": _mean_known(_mid_rank(g["budget"]), _mid_rank(stage)),
    }
    scores = {}
    for key, values in graded_scores.items():
        scores[key] = np.full(len(m), np.nan)
        scores[key][graded] = values
    return scores


def _weighted_score(subs: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted mean of the known sub-scores, rounded to 2 decimals; a missing one's weight goes to the others."""
    weighted = np.zeros(len(subs["value"]))
    total_weight = np.zeros(len(subs["value"]))
    for key in SUB_SCORES:
        known = ~np.isnan(subs[key])
        weighted += np.where(known, subs[key], 0.0) * weights[key]
        total_weight += known * weights[key]
    return np.round(np.where(total_weight > 0, weighted / np.where(total_weight > 0, total_weight, 1.0), np.nan), 2)


def _weights(weights: dict) -> dict[str, float]:
    """Check weights and normalise them to sum 1 (a missing key weighs 0)."""
    unknown = set(weights) - set(SUB_SCORES)
    if unknown:
        raise ValidationError(f"「权重」中有未知项：{', '.join(sorted(unknown))}。",
                              f"Weights has unknown items: {', '.join(sorted(unknown))}.")
    w = {k: float(weights.get(k, 0) or 0) for k in SUB_SCORES}
    if any(not np.isfinite(v) or v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ValidationError("「权重」必须是非负数，且至少有一项大于 0。",
                              "Weights must be zero or more, with at least one above zero.")
    total = sum(w.values())
    return {k: v / total for k, v in w.items()}


def tier_for_score(score: pd.Series, thresholds: dict) -> pd.Series:
    """Grade scores: A at or above thresholds["A"], B at or above thresholds["B"], else C (NaN → None)."""
    a, b = float(thresholds["A"]), float(thresholds["B"])
    tier = pd.Series(np.where(score >= a, "A", np.where(score >= b, "B", "C")), index=score.index, dtype="object")
    return tier.where(score.notna(), None)


def tier_for_revenue(revenue: pd.Series, pareto: dict) -> tuple[pd.Series, pd.Series]:
    """Grade by cumulative revenue share (rules in the module docstring); return (tier, share before %)."""
    order = revenue.sort_values(ascending=False, kind="mergesort")
    positive = order.clip(lower=0.0)
    total = positive.sum()
    before = positive.cumsum() - positive
    # Equal revenue, equal tier: every tied customer takes the share before the first of them.
    before = before.groupby(order.to_numpy()).transform("min")
    share = (before / total * 100.0).round(9) if total > 0 else before * np.nan
    a, b = float(pareto["A"]), float(pareto["B"])
    tier = np.where(order <= 0, "C", np.where(share < a, "A", np.where(share < b, "B", "C")))
    return (pd.Series(tier, index=order.index, dtype="object").reindex(revenue.index),
            share.reindex(revenue.index))


# ---- reasons --------------------------------------------------------------------------------------

_PERCENT_TEXTS = np.array([str(i) for i in range(101)] + ["—"], dtype="object")


def _percent_texts(values) -> np.ndarray:
    """Write 0–100 sub-scores as whole numbers ("—" when missing) by table lookup, not per row."""
    rounded = np.round(np.asarray(values, dtype="float64"))
    return _PERCENT_TEXTS[np.where(np.isnan(rounded), 101, np.clip(rounded, 0, 100)).astype("int64")]


_HUNDREDTHS_TEXTS = np.array([format(i / 100, "g") for i in range(10_001)] + ["—"], dtype="object")
_TENTHS_TEXTS = np.array([format(i / 10, "g") for i in range(1_001)] + ["—"], dtype="object")


def _texts(values, decimals: int) -> list[str]:
    """Write 0–100 numbers with up to 1 or 2 decimals, no trailing zeros ("—" when missing)."""
    table, scale = (_TENTHS_TEXTS, 10) if decimals == 1 else (_HUNDREDTHS_TEXTS, 100)
    scaled = np.round(np.asarray(values, dtype="float64") * scale)
    top = len(table) - 2
    return table[np.where(np.isnan(scaled), top + 1, np.clip(scaled, 0, top)).astype("int64")].tolist()


def _reasons(out: pd.DataFrame, method: str, thresholds: dict, pareto: dict, share: np.ndarray,
             window_months: int) -> tuple[np.ndarray, np.ndarray]:
    """One sentence per customer, in 中文 and English, with the sub-scores and the deciding rule."""
    subs = [_percent_texts(out[k]).tolist() for k in SUB_SCORES]
    tiers = out["proposed_tier"].fillna("").tolist()
    if method == "pareto":
        a, b = float(pareto["A"]), float(pareto["B"])
        revenue = [f"{v:,.0f}" for v in out["revenue"].tolist()]
        zero = (out["rule"] == "zero_revenue").tolist()
        shares = _texts(share, 1)
        lines_zh = f"%（A 线 {a:g}%、B 线 {b:g}%）→ "
        lines_en = f"% of revenue (A line {a:g}%, B line {b:g}%) → "
        none_zh = f"近 {window_months} 个月没有收入 → C"
        none_en = f"No revenue in the last {window_months} months → C"
        zh = [f"{none_zh if z else '收入 ' + m + '，排在其前的客户累计占收入 ' + c + lines_zh + t}"
              f"（价值 {v}、频次 {f}、近度 {r}、满意度 {s}、潜力 {p}）"
              for z, m, c, t, v, f, r, s, p in zip(zero, revenue, shares, tiers, *subs)]
        en = [f"{none_en if z else 'Revenue ' + m + '; customers ranked above hold ' + c + lines_en + t}"
              f" (value {v}, frequency {f}, recency {r}, satisfaction {s}, potential {p})"
              for z, m, c, t, v, f, r, s, p in zip(zero, revenue, shares, tiers, *subs)]
    else:
        a, b = float(thresholds["A"]), float(thresholds["B"])
        line_zh = {"A": f"≥ A 线 {a:g} → A", "B": f"≥ B 线 {b:g} → B", "C": f"< B 线 {b:g} → C", "": ""}
        line_en = {"A": f"≥ A threshold {a:g} → A", "B": f"≥ B threshold {b:g} → B",
                   "C": f"< B threshold {b:g} → C", "": ""}
        gaps = (out["satisfaction"].isna() | out["potential"].isna()).tolist()
        spread_zh = {True: "；缺少的分项不计为 0，其权重分给其他分项", False: ""}
        spread_en = {True: "; a missing sub-score is not counted as zero, its weight goes to the others", False: ""}
        scores = _texts(out["score"], 2)
        zh = [f"得分 {score}（价值 {v}、频次 {f}、近度 {r}、满意度 {s}、潜力 {p}）{line_zh[t]}{spread_zh[gap]}"
              for score, t, gap, v, f, r, s, p in zip(scores, tiers, gaps, *subs)]
        en = [f"Score {score} (value {v}, frequency {f}, recency {r}, satisfaction {s}, potential {p}) "
              f"{line_en[t]}{spread_en[gap]}" for score, t, gap, v, f, r, s, p in zip(scores, tiers, gaps, *subs)]
    fixed = {"no_data": (f"近 {window_months} 个月没有交易、满意度评分或预算：数据不足，不给出级别",
                         f"No transactions, satisfaction scores or budget in the last {window_months} months: "
                         "not enough data to grade"),
             "lost": ("已流失客户，不参与分级", "Lost customer: not graded")}
    zh = np.array(zh, dtype="object")
    en = np.array(en, dtype="object")
    for rule, (zh_text, en_text) in fixed.items():
        hit = out["rule"].to_numpy() == rule
        zh[hit], en[hit] = zh_text, en_text
    return zh, en


# ---- proposals ------------------------------------------------------------------------------------

def propose_tiers(frames: dict[str, pd.DataFrame], settings: Settings, today: date, *,
                  method: str | None = None, weights: dict | None = None, thresholds: dict | None = None,
                  pareto: dict | None = None) -> pd.DataFrame:
    """Propose a tier for every customer that is not archived (rules in the module docstring).

    Columns: PROPOSAL_COLUMNS. `change` is up/down/same/new (no current tier) or insufficient (no
    proposal: lost or not enough data); `rule` is the machine-readable reason, with the numbers
    used: "score>=70", "score>=40", "score<40", "pareto<=80%", "pareto<=95%", "pareto>95%",
    "zero_revenue", "no_data" or "lost". Arguments given override the settings (what-if).
    """
    method = method or settings.tier_method
    if method not in METHODS:
        raise ValidationError(f"未知的分级方法：{method}。", f"Unknown tier method: {method}.")
    weights = _weights(settings.tier_weights if weights is None else weights)
    thresholds = dict(settings.tier_thresholds if thresholds is None else thresholds)
    pareto = dict(settings.tier_pareto if pareto is None else pareto)

    customers = _customers(frames)
    deals = _deals(frames, customers, today)
    m = _measures(frames, customers, deals, settings, today)
    lost = (m["stage"] == "lost").to_numpy()
    has_data = ((m["deals"] > 0) | m["csat_avg"].notna() | m["nps_avg"].notna() | m["budget"].notna()).to_numpy()
    graded = has_data & ~lost

    subs = _sub_scores(m, graded)
    share = np.full(len(m), np.nan)
    if method == "score":
        score = np.where(graded, _weighted_score(subs, weights), np.nan)
        proposed = tier_for_score(pd.Series(score), thresholds).to_numpy()
        a, b = float(thresholds["A"]), float(thresholds["B"])
        codes = {"A": f"score>={a:g}", "B": f"score>={b:g}", "C": f"score<{b:g}"}
    else:
        score = np.full(len(m), np.nan)
        tier, graded_share = tier_for_revenue(m.loc[graded, "revenue"], pareto)
        proposed = np.full(len(m), None, dtype="object")
        proposed[graded] = tier.to_numpy()
        share[graded] = graded_share.to_numpy()
        a, b = float(pareto["A"]), float(pareto["B"])
        codes = {"A": f"pareto<={a:g}%", "B": f"pareto<={b:g}%", "C": f"pareto>{b:g}%"}
    rule = _lookup(proposed, codes, "no_data")
    if method == "pareto":
        rule[graded & (m["revenue"] <= 0).to_numpy()] = "zero_revenue"
    rule[lost] = "lost"

    text = {key: pd.Series(customers[key].to_numpy(), dtype="object")
            for key in ("customer_id", "name", "owner", "industry", "region")}
    current = pd.Series(customers["tier"].to_numpy(), dtype="object")
    out = pd.DataFrame({
        **text, "current_tier": current, "proposed_tier": pd.Series(proposed, dtype="object"), "score": score,
        **subs, **{key: m[key] for key in ("revenue", "profit", "deals")},
        "days_since_last_deal": m["days_since_last_deal"].astype("Int64"),
        "csat_avg": m["csat_avg"], "nps_avg": m["nps_avg"],
        "change": _change(current, proposed), "rule": pd.Series(rule, dtype="object")})
    zh, en = _reasons(out, method, thresholds, pareto, share, settings.tier_window_months)
    rfm = _rfm(customers, deals, today).set_index("pos").reindex(range(len(m)))
    segment = rfm["segment"].astype("object")
    return out.assign(
        reasons_zh=pd.Series(zh, dtype="object"), reasons_en=pd.Series(en, dtype="object"),
        last_reviewed=customers["tier_reviewed_at"].to_numpy(dtype="datetime64[ns]"),
        review_due=review_due(customers, settings, today).to_numpy(),
        rfm_r=rfm["r"].astype("Int64"), rfm_f=rfm["f"].astype("Int64"), rfm_m=rfm["m"].astype("Int64"),
        rfm_segment=segment.where(segment.notna(), None))[PROPOSAL_COLUMNS]


def _change(current, proposed) -> pd.Series:
    """up / down / same / new (no current tier) / insufficient (no proposal)."""
    before = _lookup(current, _TIER_RANK, np.nan)
    after = _lookup(proposed, _TIER_RANK, np.nan)
    change = np.select([np.isnan(after), np.isnan(before), after > before, after < before],
                       ["insufficient", "new", "up", "down"], default="same")
    return pd.Series(change, dtype="object")


def review_due(customers: pd.DataFrame, settings: Settings, today: date) -> pd.Series:
    """True for active customers never reviewed or reviewed `tier_review_cycle_months` or more months ago.

    Active: not archived and not lost. Reviewed on 2024-01-15 with a 6-month cycle → due from 2024-07-15.
    """
    reviewed = customers["tier_reviewed_at"].astype("datetime64[ns]")
    cutoff = _months_before(today, settings.tier_review_cycle_months)
    active = ~customers["archived"].astype(bool) & (customers["stage"] != "lost")
    return (active & (reviewed.isna() | (reviewed <= cutoff))).astype(bool)


# ---- RFM ------------------------------------------------------------------------------------------

def _quintile(values) -> np.ndarray:
    """Score 1–5 by the quintile of the mid-rank; ties share a score, all-equal (or one) → 3."""
    p = _mid_rank(values) / 100.0
    return np.minimum(5, 1 + np.floor(p * 5)).astype("int64")


def rfm_segment(r, f) -> pd.Series:
    """Name the segment of each (R, F) pair, checked in this order:

    champions R≥4 & F≥4 · loyal R=3 & F≥4 · potential_loyalist R≥4 & F 2–3 · new R=5 & F=1 ·
    cant_lose R=1 & F≥4 · at_risk R≤2 & F≥3 · hibernating R=2 & F≤2 · lost R=1 & F≤2 ·
    need_attention the rest (R=3 & F≤3, R=4 & F=1).
    """
    r, f = np.atleast_1d(np.asarray(r)), np.atleast_1d(np.asarray(f))
    conditions = [(r >= 4) & (f >= 4), (r == 3) & (f >= 4), (r >= 4) & (f >= 2) & (f <= 3),
                  (r == 5) & (f == 1), (r == 1) & (f >= 4), (r <= 2) & (f >= 3),
                  (r == 2) & (f <= 2), (r == 1) & (f <= 2)]
    names = ["champions", "loyal", "potential_loyalist", "new", "cant_lose", "at_risk", "hibernating", "lost"]
    return pd.Series(np.select(conditions, names, default="need_attention"), dtype="object")


def rfm_scores(frames: dict[str, pd.DataFrame], today: date) -> pd.DataFrame:
    """Recency, frequency and monetary quintile scores and segments of customers with transactions.

    Uses every non-cancelled transaction up to today of customers that are not archived. R is 5 for
    the most recent buyers; scores are quintiles of the mid-rank (ties share a score, all-equal → 3).
    """
    customers = _customers(frames)
    return _rfm(customers, _deals(frames, customers, today), today).drop(columns="pos")


def _rfm(customers: pd.DataFrame, deals: _Deals, today: date) -> pd.DataFrame:
    n = len(customers)
    frequency = _count_by(deals.pos, None, n)
    pos = np.flatnonzero(frequency)
    out = pd.DataFrame({
        "customer_id": pd.Series(customers["customer_id"].to_numpy()[pos], dtype="object"),
        "pos": pos,
        "recency_days": _days_since_last(deals.pos, deals.date, n, today)[pos].astype("int64"),
        "frequency": frequency[pos].astype("int64"),
        "monetary": _sum_by(deals.pos, deals.amount, n)[pos]})
    out["r"] = _quintile(-out["recency_days"])
    out["f"] = _quintile(out["frequency"])
    out["m"] = _quintile(out["monetary"])
    out["segment"] = rfm_segment(out["r"], out["f"])
    return out


# ---- service, what-if, charts ---------------------------------------------------------------------

def service_for(tier: str | None, settings: Settings) -> dict:
    """Return the follow-up cadence and treatment of a tier (None: not tiered yet)."""
    if tier not in TIER_SERVICE:
        return {"cadence_days": None, "treatment_zh": "尚未分级：请先完成分级评审",
                "treatment_en": "Not tiered yet: review the tier first"}
    zh, en = TIER_SERVICE[tier]
    return {"cadence_days": settings.follow_up_days.get(tier), "treatment_zh": zh, "treatment_en": en}


def _tier_labels(tiers: pd.Series) -> pd.Series:
    return tiers.astype("object").where(tiers.isin(TIERS), NONE)


def migration_matrix(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Count customers by (from tier, to tier); rows and columns A, B, C, none, aligned by index."""
    order = [*TIERS, NONE]
    before, after = before.align(after, join="outer")
    table = pd.crosstab(_tier_labels(before), _tier_labels(after))
    table = table.reindex(index=order, columns=order, fill_value=0).astype("int64")
    table.index.name, table.columns.name = "from_tier", "to_tier"
    return table


def what_if(frames: dict[str, pd.DataFrame], settings: Settings, today: date, weights: dict | None = None,
            thresholds: dict | None = None, method: str | None = None, pareto: dict | None = None,
            baseline: pd.DataFrame | None = None) -> dict:
    """Propose tiers under other weights/thresholds/method and count moves against the settings' proposals.

    Returns proposals, baseline (under settings; pass it when already computed), matrix
    (migration_matrix baseline → proposals), moves (from_tier, to_tier, count for every pair that
    moves) and moved (customers that move).
    """
    baseline = propose_tiers(frames, settings, today) if baseline is None else baseline
    proposals = propose_tiers(frames, settings, today, method=method, weights=weights,
                              thresholds=thresholds, pareto=pareto)
    before = baseline.set_index("customer_id")["proposed_tier"]
    after = proposals.set_index("customer_id")["proposed_tier"]
    matrix = migration_matrix(before, after)
    moves = matrix.stack().rename("count").reset_index()
    moves = moves[(moves["from_tier"] != moves["to_tier"]) & (moves["count"] > 0)].reset_index(drop=True)
    return {"proposals": proposals, "baseline": baseline, "matrix": matrix, "moves": moves,
            "moved": int(moves["count"].sum())}


def tier_migrations(history: pd.DataFrame) -> pd.DataFrame:
    """Count tier history rows by (from_tier, to_tier, month reviewed "YYYY-MM"); no tier → "none"."""
    reviewed = history["reviewed_at"].astype("datetime64[ns]")
    period = reviewed.dt.strftime("%Y-%m").fillna("")
    table = pd.DataFrame({"from_tier": _tier_labels(history["from_tier"]),
                          "to_tier": _tier_labels(history["to_tier"]), "period": period})
    counts = table.groupby(["period", "from_tier", "to_tier"]).size().rename("count").reset_index()
    return counts[["from_tier", "to_tier", "count", "period"]]


# ---- the review page ------------------------------------------------------------------------------

SELECT = "select"   # the tick-box column of the review table (kept by key, so edits can be read back)
CHANGES = ("up", "down", "new")   # what "only changes" keeps


def review_due_count(reg: Register, user: auth.User, now: datetime) -> int:
    """Count the customers due for a tier review (the home page's "review due" tile)."""
    return int(review_due(_customers(reg.frames), reg.settings, now.date()).sum())


def method_label(method: str, lang: str) -> str:
    """Name a tier method in the user's language."""
    return i18n.t(f"tiers.method_{method}", lang)


def filter_options(proposals: pd.DataFrame, column: str) -> list[str]:
    """The distinct non-empty values of a column (owners, industries), sorted."""
    return sorted(v for v in proposals[column].dropna().unique().tolist() if str(v).strip())


def filter_proposals(proposals: pd.DataFrame, *, only_changes: bool = False, only_due: bool = False,
                     owners=(), industries=()) -> pd.DataFrame:
    """Keep the proposals that change a tier, are due for review, or belong to these owners/industries."""
    keep = pd.Series(True, index=proposals.index)
    if only_changes:
        keep &= proposals["change"].isin(CHANGES)
    if only_due:
        keep &= proposals["review_due"].astype(bool)
    if owners:
        keep &= proposals["owner"].isin(list(owners))
    if industries:
        keep &= proposals["industry"].isin(list(industries))
    return proposals[keep].reset_index(drop=True)


def sub_score_label(key: str, lang: str) -> str:
    """Name a sub-score (value, frequency, …) in the user's language, capitalised."""
    zh, en = SUB_SCORE_LABELS[key]
    return zh if lang == "zh" else en.capitalize()


def _tier_text(tiers: pd.Series) -> pd.Series:
    return tiers.astype("object").where(tiers.isin(TIERS), "—")


def _change_text(proposals: pd.DataFrame, lang: str) -> pd.Series:
    change = proposals["change"].where(proposals["rule"] != "lost", "lost")
    return change.map({k: i18n.t(f"tiers.change_{k}", lang) for k in (*CHANGES, "same", "insufficient", "lost")})


def _rfm_text(proposals: pd.DataFrame) -> pd.Series:
    parts = [proposals[k].astype("object") for k in ("rfm_r", "rfm_f", "rfm_m")]
    text = [f"R{r} F{f} M{m}" if r is not pd.NA else "" for r, f, m in zip(*parts)]
    return pd.Series(text, index=proposals.index, dtype="object")


def review_table(proposals: pd.DataFrame, lang: str, select: bool | None = None) -> pd.DataFrame:
    """Lay proposals out for people: labels in their language, the change as ↑ / ↓, reasons in their words.

    With `select` a leading tick-box column (key SELECT) starts ticked or not, for choosing rows to approve.
    """
    label = lambda key: i18n.t(f"tiers.col_{key}", lang)   # noqa: E731
    field = lambda key: schema.CUSTOMERS.field(key).label(lang)   # noqa: E731
    segment = proposals["rfm_segment"].map({k: v[0 if lang == "zh" else 1] for k, v in SEGMENT_LABELS.items()})
    reviewed = proposals["last_reviewed"].astype("datetime64[ns]").dt.strftime("%Y-%m-%d").fillna("")
    columns = {
        field("customer_id"): proposals["customer_id"], field("name"): proposals["name"],
        field("owner"): proposals["owner"], field("industry"): proposals["industry"],
        label("current"): _tier_text(proposals["current_tier"]),
        label("proposed"): _tier_text(proposals["proposed_tier"]),
        label("change"): _change_text(proposals, lang), label("score"): proposals["score"].round(1),
        **{sub_score_label(k, lang): proposals[k].round().astype("Int64") for k in SUB_SCORES},
        label("rfm"): _rfm_text(proposals), label("segment"): segment.astype("object").fillna(""),
        label("due"): proposals["review_due"].astype(bool), label("reviewed"): reviewed,
        label("reasons"): proposals[f"reasons_{'zh' if lang == 'zh' else 'en'}"],
    }
    table = pd.DataFrame(columns).reset_index(drop=True)
    if select is not None:
        table.insert(0, SELECT, bool(select))
    return table


def locked_columns(table: pd.DataFrame) -> list[str]:
    """Every column of a review table but the tick box: people choose rows, they do not edit proposals."""
    return [c for c in table.columns if c != SELECT]


def checked_ids(shown_ids: list[str], editor_state: dict | None, all_checked: bool = False) -> list[str]:
    """The IDs of the rows ticked in the review table: every row's default, then the user's edits by row position.

    `editor_state` is what st.data_editor keeps in the session ({"edited_rows": {position: {column: value}}, …}).
    """
    ticked = [bool(all_checked)] * len(shown_ids)
    for position, edit in (editor_state or {}).get("edited_rows", {}).items():
        if SELECT in edit and 0 <= int(position) < len(shown_ids):
            ticked[int(position)] = bool(edit[SELECT])
    return [customer_id for customer_id, tick in zip(shown_ids, ticked) if tick]


def approval_decisions(proposals: pd.DataFrame, customer_ids: list[str],
                       method: str) -> tuple[list[dict], list[str]]:
    """Turn the chosen customers' proposals into approval decisions; also return those with no proposal."""
    chosen = proposals[proposals["customer_id"].isin(customer_ids)]
    graded = chosen["proposed_tier"].isin(TIERS)
    rows = chosen.loc[graded, ["customer_id", "proposed_tier", "score"]].itertuples(index=False)
    decisions = [{"customer_id": cid, "to_tier": tier, "score": score, "method": method} for cid, tier, score in rows]
    return decisions, chosen.loc[~graded, "customer_id"].tolist()


def selection_problems(customer_ids: list[str], skipped: list[str], lang: str) -> list[str]:
    """Say what is wrong with a selection to approve: nothing ticked, or customers with no proposal."""
    problems = [] if customer_ids else [i18n.t("tiers.nothing_selected", lang)]
    return problems + ([i18n.t("tiers.skipped", lang, ids=", ".join(skipped))] if skipped else [])


def customer_choices(proposals: pd.DataFrame) -> dict[str, str]:
    """{customer ID: "ID · name (tier)"} for choosing one customer to override."""
    current = _tier_text(proposals["current_tier"])
    return {cid: f"{cid} · {name} ({tier})"
            for cid, name, tier in zip(proposals["customer_id"], proposals["name"], current)}


def service_table(settings: Settings, lang: str) -> pd.DataFrame:
    """Each tier's follow-up cadence and treatment, for the page's legend."""
    rows = []
    for tier in TIERS:
        service = service_for(tier, settings)
        rows.append({i18n.t("tiers.col_tier", lang): tier,
                     i18n.t("tiers.col_cadence", lang): i18n.t("tiers.every_days", lang, days=service["cadence_days"]),
                     i18n.t("tiers.col_treatment", lang): service[f"treatment_{'zh' if lang == 'zh' else 'en'}"]})
    return pd.DataFrame(rows)


def migration_table(matrix: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Label a migration matrix for people: "no tier" in their language, rows from, columns to."""
    names = {NONE: i18n.t("tiers.no_tier", lang)}
    table = matrix.rename(index=names, columns=names)
    table.index.name, table.columns.name = i18n.t("tiers.matrix_from", lang), i18n.t("tiers.matrix_to", lang)
    return table


def moves_text(moves: pd.DataFrame, lang: str) -> str:
    """Say which moves a what-if makes: "B → A: 3 · C → B: 1" ("no tier" in the user's language)."""
    name = lambda tier: i18n.t("tiers.no_tier", lang) if tier == NONE else tier   # noqa: E731
    rows = moves[["from_tier", "to_tier", "count"]].itertuples(index=False)
    return " · ".join(f"{name(a)} → {name(b)}: {n}" for a, b, n in rows)


def conflict_table(conflicts: list, lang: str) -> pd.DataFrame:
    """Show each field someone changed meanwhile: what the user saw, what the register holds now, what they wanted."""
    rows = []
    for c in conflicts:
        f = schema.TABLES[c.table].field(c.field)
        rows.append({schema.CUSTOMERS.field("customer_id").label(lang): c.record_id,
                     i18n.t("tiers.col_field", lang): f.label(lang),
                     i18n.t("tiers.col_seen", lang): cells.write(f, c.started_from, lang),
                     i18n.t("tiers.col_theirs", lang): cells.write(f, c.current, lang),
                     i18n.t("tiers.col_yours", lang): cells.write(f, c.wanted, lang)})
    return pd.DataFrame(rows)


# ---- writes ---------------------------------------------------------------------------------------

def typed_value(field: schema.Field, value):
    """Turn a typed-frame cell back into the value lib.cells writes (NaN/NaT/"" → None)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if field.type == schema.DATE:
        return pd.Timestamp(value).date()
    if field.type == schema.DATETIME:
        return pd.Timestamp(value).to_pydatetime()
    if field.type == schema.MONEY:
        return float(value)
    if field.type == schema.INT:
        return int(value)
    if field.type == schema.BOOL:
        return bool(value)
    text = str(value)
    return text if text != "" else None


def _score_text(score) -> str:
    if score is None or isinstance(score, str):
        return score or ""
    score = float(score)
    return "" if np.isnan(score) else format(round(score, 2), "g")


def _records(register: Register, customer_ids: list[str], lang: str) -> dict[str, dict]:
    """The typed rows of these customers as the user saw them; refuse an unknown or duplicated ID."""
    customers = register.frames["customers"]
    label = schema.CUSTOMERS.label(lang)
    repeated = sorted(pd.Series(customer_ids)[pd.Series(customer_ids).duplicated()].unique().tolist())
    if repeated:
        raise ValidationError(f"同一客户不能在一次评审中出现两次：{', '.join(repeated)}。",
                              f"A customer can appear only once in a review: {', '.join(repeated)}.")
    rows = customers[customers["customer_id"].isin(customer_ids)]
    doubled = rows[rows["customer_id"].duplicated(keep=False)]
    if not doubled.empty:
        first = doubled["customer_id"].iloc[0]
        raise DuplicateIdError(label, first, doubled.loc[doubled["customer_id"] == first, "_row"].tolist())
    records = {r["customer_id"]: r for r in rows.to_dict("records")}
    missing = [i for i in customer_ids if i not in records]
    if missing:
        raise RecordNotFound(label, missing[0])
    return records


def approve_tiers(store: Store, register: Register, user: auth.User, decisions: list[dict], lang: str,
                  today: date | None = None, now: datetime | None = None) -> ChangeSet:
    """Set each decided customer's tier and review date, with a tier history row, in one save.

    A decision is {customer_id, to_tier, score, method, reason?}. Old values are those of the
    register the user saw, so a tier or review date someone changed meanwhile is reported as a
    conflict and nothing is saved. The bookkeeping fields (updated_at, updated_by) never conflict:
    when only they changed, the save is redone once over the values there now.
    An unchanged tier is still a review: its review date and history row are written.
    """
    auth.require(user, "approve_tiers")
    at = now or datetime.now().replace(microsecond=0)
    today = today or at.date()
    for decision in decisions:
        if decision.get("to_tier") not in TIERS:
            raise ValidationError(f"「新级别」必须是 A、B 或 C（客户 {decision.get('customer_id')}）。",
                                  f"To must be A, B or C (customer {decision.get('customer_id')}).")
    records = _records(register, [str(d["customer_id"]) for d in decisions], lang)
    fields = schema.CUSTOMERS

    def build(current: dict) -> ChangeSet:
        changes = ChangeSet(user.email, at=at, lang=register.lang)
        for decision in decisions:
            customer_id, to_tier = str(decision["customer_id"]), decision["to_tier"]
            record = records[customer_id]
            reason = str(decision.get("reason") or "").strip() or ("分级评审" if lang == "zh" else "Tier review")

            def old(field_key: str):
                seen = typed_value(fields.field(field_key), record[field_key])
                return current.get((customer_id, field_key), seen)

            def update(field_key: str, new) -> None:
                changes.update("customers", customer_id, field_key, old(field_key), new, reason=reason,
                               action="approve_tier")

            if old("tier") != to_tier:
                update("tier", to_tier)
            if old("tier_reviewed_at") != today:
                update("tier_reviewed_at", today)
            update("updated_at", at)
            update("updated_by", user.email)
            changes.add("tier_history", {
                "customer_id": customer_id, "from_tier": old("tier"), "to_tier": to_tier,
                "score": _score_text(decision.get("score")), "method": str(decision.get("method") or ""),
                "reviewed_at": at, "reviewer": user.email, "reason": reason},
                reason=reason, action="create")
        return changes

    changes = build({})
    if not changes:
        return changes
    try:
        store.save(changes)
    except ConflictError as e:
        real = [c for c in e.conflicts if c.field not in BOOKKEEPING]
        if real:
            raise ConflictError(real) from None
        changes = build({(c.record_id, c.field): c.current for c in e.conflicts})
        store.save(changes)
    return changes


def override_tier(store: Store, register: Register, user: auth.User, customer_id: str | None, to_tier: str | None,
                  reason: str | None, lang: str, today: date | None = None, now: datetime | None = None) -> ChangeSet:
    """Set one customer's tier by hand; the reason is required and recorded."""
    auth.require(user, "approve_tiers")
    if not customer_id:
        raise ValidationError("请选择要调整级别的「客户」；本次修改未保存。",
                              "Choose the Customer whose tier to override. Nothing was saved.")
    if not str(reason or "").strip():
        raise ValidationError("请填写「原因」：手动调整级别必须说明原因；本次修改未保存。",
                              "Reason is required: say why the tier is overridden. Nothing was saved.")
    decision = {"customer_id": customer_id, "to_tier": to_tier, "score": "", "method": "override",
                "reason": str(reason).strip()}
    return approve_tiers(store, register, user, [decision], lang, today=today, now=now)


def save_settings_weights(store: Store, register: Register, user: auth.User, weights: dict,
                          thresholds: dict, lang: str) -> ChangeSet:
    """Write new tier weights and thresholds to the Settings tab (adding a missing row), in one save."""
    auth.require(user, "settings")
    _weights(weights)
    a, b = float(thresholds.get("A", np.nan)), float(thresholds.get("B", np.nan))
    if not (0 <= b <= a <= 100):
        raise ValidationError("「阈值」必须在 0 到 100 之间，且 A 不低于 B。",
                              "Thresholds must be between 0 and 100, with A at or above B.")
    reason = "调整分级权重和阈值" if lang == "zh" else "Changed tier weights and thresholds"
    wanted = {"tier.weights": format_weights({k: weights.get(k, 0) for k in SUB_SCORES}),
              "tier.thresholds": format_weights({"A": a, "B": b})}
    settings = register.frames["settings"]
    label = schema.SETTINGS.label(lang)
    changes = ChangeSet(user.email)
    for key, text in wanted.items():
        hits = settings[settings["key"].str.strip() == key]
        if len(hits) > 1:
            raise DuplicateIdError(label, key, hits["_row"].tolist())
        if hits.empty:
            changes.add("settings", {"key": key, "value": text, "description": schema.DEFAULT_SETTINGS[key][1]},
                        reason=reason, action="create", lang=lang)
            continue
        old = typed_value(schema.SETTINGS.field("value"), hits.iloc[0]["value"])
        if old != text:
            changes.update("settings", key, "value", old, text, reason=reason, action="update", lang=lang)
    if changes:
        store.save(changes)
    return changes


def proposals_of(reg, today: date, method: str | None = None) -> pd.DataFrame:
    """The proposals of a loaded register under its Settings, computed once per register, day and method."""
    return reg.derived(("tiers.proposals", today, method),
                       lambda: propose_tiers(reg.frames, reg.settings, today, method=method))


def what_if_of(reg, today: date, weights: dict, thresholds: dict, baseline: pd.DataFrame | None = None) -> dict:
    """A what-if trial of the score method on a loaded register, computed once per register and inputs."""
    key = ("tiers.what_if", today, tuple(sorted(weights.items())), tuple(sorted(thresholds.items())),
           baseline is None)
    return reg.derived(key, lambda: what_if(reg.frames, reg.settings, today, weights=weights, thresholds=thresholds,
                                            method="score", baseline=baseline))
