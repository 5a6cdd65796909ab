"""KPI tiles and chart aggregates: periods, churn, revenue, feedback scores and the page's filters."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from lib import cells, demo, feedback, kpis, schema, tiers
from lib.register import Register, read_register
from lib.store.base import RawRegister, RawTab

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10)
START, END = date(2026, 11, 1), date(2026, 11, 21)   # this month to date; the previous period is Oct 12 – Nov 1
OLD = datetime(2025, 1, 1, 9)


def register_of(lang: str = "en", **rows: list[dict]) -> Register:
    """A register read from tabs holding exactly these records (written as the sheet would hold them)."""
    tabs = {}
    for key, table in schema.TABLES.items():
        texts = [[cells.write(f, r.get(f.key), lang) for f in table.fields] for r in rows.get(key, [])]
        tabs[key] = RawTab(key, table.label(lang), schema.header_labels(key, lang), texts,
                           [i + 2 for i in range(len(texts))])
    return read_register(RawRegister(tabs, lang, NOW))


def customer(cid: str, **values) -> dict:
    return {"customer_id": cid, "name": f"Company {cid}", "stage": "customer", "tier": "B", "owner": "ann@example.com",
            "industry": "Retail", "region": "Shanghai", "created_at": OLD, "updated_at": OLD, **values}


def deal(tid: str, cid: str, day: date, amount: float, profit: float = 0.0, status: str = "paid") -> dict:
    return {"txn_id": tid, "customer_id": cid, "date": day, "amount": amount, "profit": profit, "status": status}


def stage_change(cid: str, at: datetime, old: str, new: str) -> dict:
    return {"at": at, "user": "ann@example.com", "action": "update", "table": "customers", "record_id": cid,
            "field": "stage", "old": old, "new": new, "reason": ""}


def tiles_of(reg: Register, filters: kpis.Filters | None = None) -> dict[str, kpis.Tile]:
    return {tile.key: tile for tile in kpis.kpi_tiles(reg, START, END, NOW, reg.settings, filters)}


def scope_of(reg: Register, filters: kpis.Filters | None = None, start: date = START, end: date = END) -> kpis.Scope:
    return kpis.scope(reg, start, end, NOW, filters)


# ---- periods -------------------------------------------------------------------------------------

@pytest.mark.parametrize("period, custom, expected", [
    ("month", None, (date(2026, 11, 1), date(2026, 11, 21))),
    ("quarter", None, (date(2026, 10, 1), date(2026, 11, 21))),
    ("year", None, (date(2026, 1, 1), date(2026, 11, 21))),
    ("last_12_months", None, (date(2025, 11, 21), date(2026, 11, 21))),
    ("custom", (date(2026, 2, 1), date(2026, 3, 5)), (date(2026, 2, 1), date(2026, 3, 6))),
    ("custom", (date(2026, 3, 5), date(2026, 2, 1)), (date(2026, 2, 1), date(2026, 3, 6))),
    ("custom", (date(2026, 3, 5),), (date(2026, 3, 5), date(2026, 3, 6))),
    ("custom", None, (TODAY, date(2026, 11, 21))),
], ids=["month-to-date", "quarter-to-date", "year-to-date", "last-12-months", "custom-both-days-included",
        "custom-picked-backwards", "custom-first-day-only-so-far", "custom-nothing-picked-is-today"])
def test_period_bounds_are_half_open_and_include_the_last_day(period, custom, expected):
    assert kpis.period_bounds(period, TODAY, custom) == expected


def test_previous_period_is_the_same_number_of_days_just_before():
    assert kpis.previous_period(START, END) == (date(2026, 10, 12), START)


@pytest.mark.parametrize("start, end, expected", [
    (START, END, (date(2025, 12, 1), END)),
    (date(2024, 3, 15), END, (date(2024, 3, 1), END)),
    (date(2026, 1, 1), date(2026, 4, 1), (date(2025, 4, 1), date(2026, 4, 1))),
], ids=["short-period-widened-to-a-year", "long-period-kept-from-its-month", "period-ending-on-a-month-boundary"])
def test_trend_window_covers_at_least_twelve_months(start, end, expected):
    assert kpis.trend_window(start, end) == expected


# ---- churn ---------------------------------------------------------------------------------------

def test_churn_rate_is_customers_lost_in_period_over_customers_at_its_start():
    reg = register_of(customers=[customer("C-1", stage="lost", updated_at=datetime(2026, 11, 5)),
                                 customer("C-2"), customer("C-3")])
    assert kpis.churn(scope_of(reg), START, END) == (1, 3, pytest.approx(100 / 3))


def test_churn_leaves_out_customers_added_during_the_period():
    reg = register_of(customers=[
        customer("C-1", stage="lost", updated_at=datetime(2026, 11, 5)), customer("C-2"),
        customer("C-3", created_at=datetime(2026, 11, 3), stage="lost", updated_at=datetime(2026, 11, 10)),
        customer("C-4", created_at=datetime(2026, 11, 4))])
    assert kpis.churn(scope_of(reg), START, END) == (1, 2, 50.0)


def test_churn_leaves_out_customers_lost_before_the_period():
    reg = register_of(customers=[customer("C-1", stage="lost", updated_at=datetime(2026, 10, 1)),
                                 customer("C-2", stage="lost", updated_at=datetime(2026, 11, 2)),
                                 customer("C-3")])
    assert kpis.churn(scope_of(reg), START, END) == (1, 2, 50.0)


@pytest.mark.parametrize("lang, lost, customer_label", [("zh", "流失", "成交"), ("en", "Lost", "Customer")],
                         ids=["chinese-audit-log", "english-audit-log"])
def test_churn_follows_the_audit_logs_stage_changes_when_present(lang, lost, customer_label):
    reg = register_of(lang, customers=[
        customer("C-1", stage="lost", updated_at=datetime(2026, 11, 5)),    # audit: lost in October
        customer("C-2", stage="lost", updated_at=OLD),                       # audit: lost on 6 November
        customer("C-3")],
        audit=[stage_change("C-1", datetime(2026, 10, 20), customer_label, lost),
               stage_change("C-2", datetime(2026, 11, 6), customer_label, lost)])
    assert kpis.churn(scope_of(reg), START, END) == (1, 2, 50.0)


def test_customer_won_back_before_the_period_and_lost_in_it_churns():
    reg = register_of(customers=[customer("C-1", stage="lost", updated_at=datetime(2026, 11, 10)), customer("C-2")],
                      audit=[stage_change("C-1", datetime(2026, 9, 1), "Customer", "Lost"),
                             stage_change("C-1", datetime(2026, 10, 1), "Lost", "Customer"),
                             stage_change("C-1", datetime(2026, 11, 10), "Customer", "Lost")])
    assert kpis.churn(scope_of(reg), START, END) == (1, 2, 50.0)


def test_churn_rate_is_none_without_customers_at_the_start():
    reg = register_of(customers=[customer("C-1", created_at=datetime(2026, 11, 2))])
    assert tiles_of(reg)["churn_rate"].value is None


# ---- the other tiles -----------------------------------------------------------------------------

def test_active_customers_compare_the_end_of_the_period_with_its_start():
    reg = register_of(customers=[
        customer("C-1"), customer("C-2", stage="lost", updated_at=datetime(2026, 11, 5)),
        customer("C-3", created_at=datetime(2026, 11, 3)), customer("C-4", created_at=datetime(2026, 11, 10)),
        customer("C-5", archived=True), customer("C-6", stage="lost", archived=True, updated_at=datetime(2026, 10, 1))])
    tile = tiles_of(reg)["active_customers"]
    assert (tile.value, tile.previous, tile.change) == (3, 2, 1)


def test_new_customers_are_those_created_in_each_period():
    reg = register_of(customers=[customer("C-1", created_at=datetime(2026, 11, 3)),
                                 customer("C-2", created_at=datetime(2026, 11, 10)),
                                 customer("C-3", created_at=datetime(2026, 10, 15)),
                                 customer("C-4", created_at=datetime(2026, 9, 1))])
    tile = tiles_of(reg)["new_customers"]
    assert (tile.value, tile.previous) == (2, 1)


def test_revenue_and_profit_leave_out_cancelled_transactions():
    reg = register_of(customers=[customer("C-1")], transactions=[
        deal("T-1", "C-1", date(2026, 11, 5), 100, 30), deal("T-2", "C-1", date(2026, 11, 6), 999, 99, "cancelled"),
        deal("T-3", "C-1", date(2026, 10, 20), 40, 10), deal("T-4", "C-1", date(2026, 9, 1), 500, 50)])
    tiles = tiles_of(reg)
    assert (tiles["revenue"].value, tiles["revenue"].previous, tiles["revenue"].change) == (100, 40, 60)
    assert (tiles["gross_profit"].value, tiles["gross_profit"].previous) == (30, 10)


def test_period_without_data_has_zero_counts_and_no_scores():
    tiles = tiles_of(register_of())
    assert {k: t.value for k, t in tiles.items()} == {
        "active_customers": 0, "new_customers": 0, "churn_rate": None, "revenue": 0.0, "gross_profit": 0.0,
        "csat": None, "nps": None, "open_complaints": 0, "overdue_complaints": 0, "overdue_follow_ups": 0,
        "data_health": 100.0}


def test_csat_and_nps_are_feedback_summary_of_the_period():
    reg = register_of(customers=[customer("C-1")], feedback=[
        {"feedback_id": f"F-{i}", "customer_id": "C-1", "received_at": datetime(2026, 11, 2 + i), "type": "survey",
         "status": "closed", "csat": csat, "nps": nps} for i, (csat, nps) in enumerate([(5, 10), (4, 9), (2, 3)])])
    tiles = tiles_of(reg)
    assert tiles["csat"].value == pytest.approx(200 / 3)
    assert tiles["nps"].value == pytest.approx(100 / 3)


def test_open_and_overdue_complaints_are_those_received_in_the_period_as_they_stand_now():
    def complaint(fid, day, status, resolved=None):
        return {"feedback_id": fid, "customer_id": "C-1", "received_at": datetime(2026, 11, day, 9),
                "type": "complaint", "priority": "high", "status": status, "due_at": datetime(2026, 11, day + 1, 9),
                "resolved_at": resolved, "description": "late delivery"}
    reg = register_of(customers=[customer("C-1")], feedback=[
        complaint("F-1", 10, "new"), complaint("F-2", 12, "resolved", datetime(2026, 11, 12, 15)),
        complaint("F-3", 15, "closed", datetime(2026, 11, 15, 12))])
    tiles = tiles_of(reg)
    assert (tiles["open_complaints"].value, tiles["overdue_complaints"].value) == (2, 1)


def test_overdue_follow_ups_count_current_customers_due_before_today():
    reg = register_of(customers=[customer("C-1", next_follow_up=date(2026, 11, 19)),
                                 customer("C-2", next_follow_up=TODAY),
                                 customer("C-3", stage="lost", next_follow_up=date(2026, 11, 1)),
                                 customer("C-4", archived=True, next_follow_up=date(2026, 11, 1))])
    tile = tiles_of(reg)["overdue_follow_ups"]
    assert (tile.value, tile.previous) == (1, None)


def test_data_health_tile_is_the_registers_healthy_share():
    reg = register_of(customers=[customer("C-1"), customer("C-1"), customer("C-2")])
    assert tiles_of(reg)["data_health"].value == pytest.approx(100 * reg.healthy_share)
    assert reg.healthy_share < 1


# ---- filters -------------------------------------------------------------------------------------

def _two_owners() -> Register:
    return register_of(
        customers=[customer("C-1", owner="ann@example.com", tier="A"),
                   customer("C-2", owner="bob@example.com", tier=None, industry="Software", region="Beijing")],
        transactions=[deal("T-1", "C-1", date(2026, 11, 5), 100), deal("T-2", "C-2", date(2026, 11, 6), 30),
                      deal("T-3", "C-9", date(2026, 11, 7), 7)])


@pytest.mark.parametrize("filters, revenue", [
    (kpis.Filters(), 137), (kpis.Filters.of(owner="ann@example.com"), 100), (kpis.Filters.of(tier=["none"]), 30),
    (kpis.Filters.of(industry=["Software"], region=["Beijing"]), 30), (kpis.Filters.of(region=["Nowhere"]), 0),
], ids=["no-filter-counts-rows-of-unknown-customers", "owner", "customers-without-tier", "industry-and-region",
        "nobody-matches"])
def test_filters_keep_the_rows_of_matching_customers(filters, revenue):
    assert tiles_of(_two_owners(), filters)["revenue"].value == revenue


def test_filter_options_list_the_values_people_typed():
    assert kpis.filter_options(_two_owners()) == {
        "owner": ["ann@example.com", "bob@example.com"], "industry": ["Retail", "Software"],
        "region": ["Beijing", "Shanghai"], "tier": ["A", "B", "C", "none"]}


def test_filter_register_applies_period_and_filters():
    s = kpis.filter_register(_two_owners(), START, END, owner=["bob@example.com"], today=NOW)
    assert (s.start, s.end, s.filters.owner) == (START, END, ("bob@example.com",))
    assert list(s.customers["customer_id"]) == ["C-2"]


# ---- formatting ----------------------------------------------------------------------------------

@pytest.mark.parametrize("tile, lang, expected", [
    (kpis.Tile("revenue", 1234.0, 1000.0), "en", ("¥1.2K", "+¥234")),
    (kpis.Tile("revenue", 78_123_400.0, 10_000_000.0), "en", ("¥78.1M", "+¥68.1M")),
    (kpis.Tile("revenue", 78_123_400.0, 10_000_000.0), "zh", ("¥7,812.3万", "+¥6,812.3万")),
    (kpis.Tile("gross_profit", 250_000_000.0, 0.0), "zh", ("¥2.5亿", "+¥2.5亿")),
    (kpis.Tile("churn_rate", 12.5, 10.0), "en", ("12.5%", "+2.5 pts")),
    (kpis.Tile("churn_rate", 12.5, 10.0), "zh", ("12.5%", "+2.5 个百分点")),
    (kpis.Tile("nps", -5.0, 3.0), "en", ("-5", "-8")),
    (kpis.Tile("csat", None, 80.0), "en", ("—", None)),
    (kpis.Tile("open_complaints", 3, 3), "en", ("3", "±0")),
    (kpis.Tile("overdue_follow_ups", 4, None), "en", ("4", None)),
], ids=["money-in-thousands", "money-in-millions", "money-in-wan", "money-in-yi", "percent-change-in-points",
        "points-in-chinese", "negative-score", "no-value", "no-change", "no-previous-value"])
def test_format_tile_writes_value_and_change(tile, lang, expected):
    assert kpis.format_tile(tile, lang) == expected


@pytest.mark.parametrize("tile, colour", [
    (kpis.Tile("revenue", 2, 1), "normal"), (kpis.Tile("overdue_complaints", 2, 1), "inverse"),
    (kpis.Tile("churn_rate", 2.0, 2.0), "off"), (kpis.Tile("data_health", 99.0, None), "off"),
], ids=["more-revenue-is-good", "more-overdue-is-bad", "no-change", "no-previous"])
def test_tile_colours_its_change_by_whether_higher_is_better(tile, colour):
    assert tile.delta_color == colour


# ---- chart data ----------------------------------------------------------------------------------

def test_customers_by_tier_counts_current_customers_with_the_periods_revenue():
    data = kpis.customers_by_tier(scope_of(_two_owners()), "en")
    assert data.to_dict("list") == {"tier": ["A", "B", "C", "none"], "tier_label": ["A", "B", "C", "Not tiered"],
                                    "customers": [1, 0, 0, 1], "revenue": [100.0, 0.0, 0.0, 30.0]}


def test_customers_by_stage_runs_the_funnel_and_counts_archived_lost_customers():
    reg = register_of(customers=[customer("C-1", stage="prospect"), customer("C-2", stage="interested"),
                                 customer("C-3"), customer("C-4", stage="lost", archived=True),
                                 customer("C-5", archived=True)])
    data = kpis.customers_by_stage(scope_of(reg), "zh")
    assert data[["stage_label", "customers"]].to_dict("list") == {
        "stage_label": ["潜在", "意向", "成交", "流失"], "customers": [1, 1, 1, 1]}


def test_revenue_by_month_stacks_tiers_and_adds_the_same_month_last_year():
    reg = register_of(customers=[customer("C-1", tier="A"), customer("C-2", tier=None)], transactions=[
        deal("T-1", "C-1", date(2026, 11, 5), 100, 40), deal("T-2", "C-2", date(2026, 11, 6), 50, 10),
        deal("T-3", "C-1", date(2025, 11, 7), 70, 20), deal("T-4", "C-1", date(2025, 11, 25), 1000)])
    data = kpis.revenue_by_month(scope_of(reg), "en")
    assert data.assign(month=data["month"].dt.strftime("%Y-%m")).to_dict("records") == [
        {"month": "2026-11", "series": "A", "series_label": "A", "revenue": 100.0, "profit": 40.0, "deals": 1},
        {"month": "2026-11", "series": "none", "series_label": "Not tiered", "revenue": 50.0, "profit": 10.0,
         "deals": 1},
        {"month": "2026-11", "series": "previous_year", "series_label": "Same month last year", "revenue": 70.0,
         "profit": 20.0, "deals": 1}]


def test_pareto_curve_runs_from_the_biggest_customer_to_everyone():
    reg = register_of(customers=[customer("C-1"), customer("C-2"), customer("C-3"), customer("C-4")], transactions=[
        deal("T-1", "C-1", date(2026, 11, 5), 10), deal("T-2", "C-2", date(2026, 11, 6), 60),
        deal("T-3", "C-3", date(2026, 11, 7), 30)])
    data = kpis.pareto_curve(scope_of(reg), "en")
    assert data["customer_share"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert data["revenue_share"].tolist() == pytest.approx([0, 0.6, 0.9, 1])


def test_long_pareto_curve_is_drawn_through_one_point_per_percent():
    reg = register_of(customers=[customer(f"C-{i}") for i in range(250)],
                      transactions=[deal(f"T-{i}", f"C-{i}", date(2026, 11, 5), 1 + i) for i in range(250)])
    data = kpis.pareto_curve(scope_of(reg), "en")
    assert (len(data), data["customers"].iloc[-1], data["revenue_share"].iloc[-1]) == (101, 250, pytest.approx(1))


def test_customers_by_industry_names_the_biggest_and_sums_the_rest():
    reg = register_of(customers=[customer(f"C-{i}", industry=f"Trade {i:02d}") for i in range(12)]
                      + [customer("C-90", industry="Trade 00"), customer("C-91", industry="")])
    data = kpis.customers_by(scope_of(reg), "industry", "en")
    assert data["value"].tolist() == ["Trade 00", "Not given", *[f"Trade {i:02d}" for i in range(1, 9)], "Other"]
    assert data["customers"].tolist() == [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]


def test_rfm_segments_count_the_filtered_customers_of_rfm_scores():
    reg = read_register(demo.generate(60, lang="en", today=TODAY))
    data = kpis.rfm_segments(scope_of(reg, kpis.Filters.of(owner="li.na@example.com")), "en")
    rfm = tiers.rfm_scores(reg.frames, TODAY)
    owners = reg.frame("customers").set_index("customer_id")["owner"]
    assert data["customers"].sum() == (rfm["customer_id"].map(owners) == "li.na@example.com").sum()
    assert list(data["segment"]) == [s for s in tiers.SEGMENTS if s in set(data["segment"])]


def test_tier_migration_counts_reviews_in_the_window_on_a_full_grid():
    def review(cid, day, before, after):
        return {"customer_id": cid, "from_tier": before, "to_tier": after, "reviewed_at": day, "reviewer": "boss"}
    reg = register_of(customers=[customer("C-1"), customer("C-2"), customer("C-3")], tier_history=[
        review("C-1", datetime(2026, 6, 1), "C", "B"), review("C-2", datetime(2026, 6, 1), "C", "B"),
        review("C-3", datetime(2026, 6, 1), None, "A"), review("C-1", datetime(2024, 6, 1), "B", "A")])
    data = kpis.tier_migration(scope_of(reg), "en")
    moved = data[data["count"] > 0][["from_tier", "to_tier", "count"]].to_dict("records")
    assert len(data) == 16
    assert moved == [{"from_tier": "C", "to_tier": "B", "count": 2}, {"from_tier": "none", "to_tier": "A", "count": 1}]


def test_feedback_volume_counts_each_type_per_month():
    reg = register_of(customers=[customer("C-1")], feedback=[
        {"feedback_id": f"F-{i}", "customer_id": "C-1", "received_at": at, "type": kind, "status": "closed"}
        for i, (at, kind) in enumerate([(datetime(2026, 10, 3), "praise"), (datetime(2026, 10, 9), "praise"),
                                        (datetime(2026, 11, 2), "suggestion"), (datetime(2024, 1, 1), "praise")])])
    data = kpis.feedback_volume(scope_of(reg), "en")
    assert data.assign(month=data["month"].dt.strftime("%Y-%m")).to_dict("records") == [
        {"month": "2026-10", "type": "praise", "type_label": "Praise", "count": 2},
        {"month": "2026-11", "type": "suggestion", "type_label": "Suggestion", "count": 1}]


def test_satisfaction_trend_agrees_with_feedback_summary_every_month():
    reg = read_register(demo.generate(60, lang="en", today=TODAY))
    data = kpis.satisfaction_trend(scope_of(reg), "en")
    expected = feedback.feedback_by_period(reg.frame("feedback"), settings=reg.settings, now=NOW)
    expected = expected[expected["period"] >= pd.Timestamp(2025, 12, 1)]
    measured = data.pivot(index="month", columns="measure", values="value")
    assert measured["csat_pct"].to_numpy() == pytest.approx(expected.dropna(subset="csat_pct")["csat_pct"].to_numpy())
    assert measured["nps"].to_numpy() == pytest.approx(expected.dropna(subset="nps")["nps"].to_numpy())


def test_resolve_times_bucket_complaints_and_tell_whether_within_the_limit():
    def complaint(fid, hours, due_hours):
        received = datetime(2026, 11, 2, 9)
        return {"feedback_id": fid, "customer_id": "C-1", "received_at": received, "type": "complaint",
                "priority": "high", "status": "resolved", "description": "x",
                "due_at": received + pd.Timedelta(hours=due_hours), "resolved_at": received + pd.Timedelta(hours=hours)}
    reg = register_of(customers=[customer("C-1")], feedback=[
        complaint("F-1", 2, 24), complaint("F-2", 30, 24), complaint("F-3", 40, 72), complaint("F-4", 400, 168)])
    data = kpis.resolve_times(scope_of(reg), "en")
    assert data[["bucket", "outcome", "count"]].to_dict("records") == [
        {"bucket": "h4", "outcome": "within", "count": 1}, {"bucket": "d3", "outcome": "late", "count": 1},
        {"bucket": "d3", "outcome": "within", "count": 1}, {"bucket": "more", "outcome": "late", "count": 1}]


def test_a_complaint_typed_without_a_due_time_is_judged_by_its_priority_time_limit():
    received = datetime(2026, 11, 2, 9)   # high priority: 24 hours (Settings' default sla.hours)
    reg = register_of(customers=[customer("C-1")], feedback=[
        {"feedback_id": "F-1", "customer_id": "C-1", "received_at": received, "type": "complaint",
         "priority": "high", "status": "resolved", "description": "typed in the sheet",
         "resolved_at": received + pd.Timedelta(hours=30)}])
    data = kpis.resolve_times(scope_of(reg), "en")
    assert data[["outcome", "count"]].to_dict("records") == [{"outcome": "late", "count": 1}]


def test_follow_ups_by_owner_counts_overdue_customers_and_the_oldest():
    reg = register_of(customers=[customer("C-1", next_follow_up=date(2026, 11, 10)),
                                 customer("C-2", next_follow_up=date(2026, 11, 18)),
                                 customer("C-3", owner="", next_follow_up=date(2026, 11, 19)),
                                 customer("C-4", owner="bob@example.com", next_follow_up=date(2026, 12, 1))])
    data = kpis.follow_ups_by_owner(scope_of(reg), "en")
    assert data.to_dict("records") == [{"owner": "ann@example.com", "overdue": 2, "oldest_days": 10},
                                       {"owner": "No owner", "overdue": 1, "oldest_days": 1}]


# ---- remembering results -------------------------------------------------------------------------

def test_scope_is_computed_once_per_register_object():
    reg = _two_owners()
    assert scope_of(reg) is scope_of(reg)


def test_a_reloaded_register_is_computed_afresh():
    first, second = _two_owners(), _two_owners()
    assert scope_of(first) is not scope_of(second)
