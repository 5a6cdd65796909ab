"""Tier review (lib/tiers.py): proposals, RFM segments, what-if, and approving tiers."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from lib import i18n, tiers
from lib.auth import User
from lib.errors import ConflictError, PermissionDenied, RecordNotFound, ValidationError
from lib.register import read_register
from lib.settings import Settings, default_rows
from lib.store.base import raw_from_records, ChangeSet, RawRegister
from tests.memory_store import MemoryStore

TODAY = date(2025, 6, 1)          # the default 12-month window starts on 2024-06-01
IN_WINDOW = date(2025, 5, 1)
LOADED = datetime(2025, 6, 1, 9, 0)
VIEWER = User("viewer@example.com", "Viewer", "viewer")
STAFF = User("staff@example.com", "Staff", "staff")
MANAGER = User("manager@example.com", "Manager", "manager")
ADMIN = User("admin@example.com", "Admin", "admin")


# ---- building registers ---------------------------------------------------------------------------

def customer(customer_id: str, *, stage: str = "customer", tier: str | None = None, budget: float | None = None,
             reviewed: date | None = None, archived: bool = False, updated_at: datetime | None = None,
             updated_by: str = "") -> dict:
    return {"customer_id": customer_id, "name": f"Customer {customer_id}", "owner": "owner@example.com",
            "industry": "Retail", "region": "Shanghai", "stage": stage, "tier": tier, "budget": budget,
            "tier_reviewed_at": reviewed, "archived": archived, "updated_at": updated_at, "updated_by": updated_by}


def deal(customer_id: str, amount: float, *, on: date = IN_WINDOW, profit: float | None = None,
         status: str = "paid") -> dict:
    return {"customer_id": customer_id, "date": on, "amount": amount, "profit": profit, "status": status}


def survey(customer_id: str, *, csat: int | None = None, nps: int | None = None,
           on: datetime = datetime(2025, 5, 1, 9, 0)) -> dict:
    return {"customer_id": customer_id, "received_at": on, "type": "survey", "csat": csat, "nps": nps}


def raw_register(lang: str = "en", **rows: list[dict]) -> RawRegister:
    """Lay typed rows out as the cell text a sheet holds; transactions and feedback get IDs."""
    rows = dict(rows)
    rows["transactions"] = [{"txn_id": f"T-{i:06d}", **r} for i, r in enumerate(rows.get("transactions", []), 1)]
    rows["feedback"] = [{"feedback_id": f"F-{i:06d}", **r} for i, r in enumerate(rows.get("feedback", []), 1)]
    return raw_from_records(rows, lang, LOADED)


def register_of(customers: list[dict], transactions: list[dict] = (), feedback: list[dict] = (), **rows):
    return read_register(raw_register(customers=customers, transactions=list(transactions),
                                      feedback=list(feedback), **rows))


def propose(customers: list[dict], transactions: list[dict] = (), feedback: list[dict] = (),
            settings: Settings | None = None, **options) -> pd.DataFrame:
    """Proposals for these rows on TODAY, indexed by customer ID."""
    register = register_of(customers, transactions, feedback)
    proposals = tiers.propose_tiers(register.frames, settings or Settings(), TODAY, **options)
    return proposals.set_index("customer_id")


# Two customers, one better on every measure: every sub-score is 100 against 0.
STRONG_AND_WEAK = dict(
    customers=[customer("C-000001", budget=50_000), customer("C-000002", stage="prospect", budget=1_000)],
    transactions=[deal("C-000001", 1000, profit=300, on=date(2025, 5, 20)),
                  deal("C-000001", 1000, profit=300, on=date(2025, 5, 22)),
                  deal("C-000002", 100, profit=10, on=date(2025, 1, 10))],
    feedback=[survey("C-000001", csat=5, nps=10), survey("C-000002", csat=2, nps=3)])


# ---- the score method -----------------------------------------------------------------------------

def test_customer_best_on_every_measure_scores_100_and_is_proposed_a():
    proposals = propose(**STRONG_AND_WEAK)
    best = proposals.loc["C-000001"]
    assert [best[k] for k in tiers.SUB_SCORES] == [100, 100, 100, 100, 100]
    assert (best["score"], best["proposed_tier"], best["rule"]) == (100, "A", "score>=70")


def test_customer_worst_on_every_measure_scores_0_and_is_proposed_c():
    worst = propose(**STRONG_AND_WEAK).loc["C-000002"]
    assert (worst["score"], worst["proposed_tier"], worst["rule"]) == (0, "C", "score<40")


def test_proposal_reports_the_measures_behind_the_score():
    best = propose(**STRONG_AND_WEAK).loc["C-000001"]
    assert (best["revenue"], best["profit"], best["deals"]) == (2000, 600, 2)
    assert (best["days_since_last_deal"], best["csat_avg"], best["nps_avg"]) == (10, 5, 10)


def test_tied_values_share_one_percentile():
    proposals = propose([customer("C-000001"), customer("C-000002"), customer("C-000003")],
                        [deal("C-000001", 100), deal("C-000002", 100), deal("C-000003", 300)])
    # Average ranks 1.5, 1.5, 3 of 3 → 100 × (rank − 1) / 2.
    assert proposals["value"].tolist() == [25, 25, 100]


def test_single_customer_gets_the_middle_of_every_scale():
    proposals = propose([customer("C-000001", budget=10_000)], [deal("C-000001", 500, profit=100)],
                        [survey("C-000001", csat=5)])
    only = proposals.loc["C-000001"]
    assert [only[k] for k in tiers.SUB_SCORES] == [50, 50, 50, 50, 50]
    assert (only["score"], only["proposed_tier"]) == (50, "B")


def test_equal_customers_get_equal_scores_and_one_tier():
    customers = [customer(f"C-00000{i}", budget=10_000) for i in (1, 2, 3, 4)]
    transactions = [deal(c["customer_id"], 800, profit=200) for c in customers]
    proposals = propose(customers, transactions)
    assert proposals["score"].tolist() == [50, 50, 50, 50]
    assert proposals["proposed_tier"].tolist() == ["B", "B", "B", "B"]


def test_customer_with_budget_but_no_revenue_is_graded_at_the_bottom_of_value():
    proposals = propose([customer("C-000001", budget=5_000), customer("C-000002", budget=1_000)],
                        [deal("C-000001", 900)])
    no_revenue = proposals.loc["C-000002"]
    assert (no_revenue["revenue"], no_revenue["deals"], no_revenue["value"]) == (0, 0, 0)
    assert no_revenue["proposed_tier"] == "C"


def test_missing_satisfaction_spreads_its_weight_instead_of_counting_zero():
    proposals = propose([customer("C-000001"), customer("C-000002")],
                        [deal("C-000001", 100, on=date(2025, 2, 21)),
                         deal("C-000002", 100, on=date(2025, 5, 1)), deal("C-000002", 100, on=date(2025, 5, 22))],
                        [survey("C-000001", csat=5)])
    # C-000002: value, frequency, recency 100, potential 50 (same stage, no budget), no satisfaction:
    # (40·100 + 20·100 + 15·100 + 10·50) / (40 + 20 + 15 + 10) = 94.12, not 80.
    assert np.isnan(proposals.loc["C-000002", "satisfaction"])
    assert proposals.loc["C-000002", "score"] == 94.12


def test_only_customer_with_satisfaction_gets_the_middle_of_that_scale():
    proposals = propose([customer("C-000001"), customer("C-000002")],
                        [deal("C-000001", 100, on=date(2025, 2, 21)), deal("C-000002", 100), deal("C-000002", 100)],
                        [survey("C-000001", csat=5)])
    # C-000001: value, frequency, recency 0; satisfaction 50 (alone); potential 50 → (15·50 + 10·50) / 100.
    assert proposals.loc["C-000001", "satisfaction"] == 50
    assert proposals.loc["C-000001", "score"] == 12.5


def test_satisfaction_averages_normalised_csat_and_nps():
    proposals = propose([customer("C-000001"), customer("C-000002"), customer("C-000003")],
                        [deal("C-000001", 100), deal("C-000002", 100), deal("C-000003", 100)],
                        [survey("C-000001", csat=5),            # 100
                         survey("C-000002", csat=3, nps=10),    # (50 + 100) / 2 = 75
                         survey("C-000003", nps=6)])            # 60
    assert proposals["satisfaction"].tolist() == [100, 50, 0]


@pytest.mark.parametrize("on, counted", [
    (date(2024, 5, 31), False),
    (date(2024, 6, 1), True),
    (date(2025, 6, 1), True),
    (date(2025, 6, 2), False),
], ids=["day-before-window", "first-day-of-window", "today", "future-dated"])
def test_window_decides_which_transactions_count(on, counted):
    proposals = propose([customer("C-000001", budget=1_000)], [deal("C-000001", 700, on=on)])
    assert proposals.loc["C-000001", "deals"] == (1 if counted else 0)


def test_window_follows_the_window_setting():
    settings = Settings(tier_window_months=3)
    proposals = propose([customer("C-000001", budget=1_000)], [deal("C-000001", 700, on=date(2025, 2, 28))],
                        settings=settings)
    assert proposals.loc["C-000001", "deals"] == 0


def test_cancelled_transactions_are_ignored():
    proposals = propose([customer("C-000001")],
                        [deal("C-000001", 10_000, profit=3_000, status="cancelled"), deal("C-000001", 100, profit=20)])
    assert (proposals.loc["C-000001", "revenue"], proposals.loc["C-000001", "deals"]) == (100, 1)


@pytest.mark.parametrize("score, tier", [
    (100.0, "A"), (70.0, "A"), (69.99, "B"), (40.0, "B"), (39.99, "C"), (0.0, "C"),
], ids=["100", "exactly-70", "69.99", "exactly-40", "39.99", "0"])
def test_score_thresholds_include_their_boundary(score, tier):
    assert tiers.tier_for_score(pd.Series([score]), {"A": 70, "B": 40}).tolist() == [tier]


@pytest.mark.parametrize("thresholds, tier", [
    ({"A": 50, "B": 10}, "A"), ({"A": 50.01, "B": 10}, "B"), ({"A": 90, "B": 50}, "B"), ({"A": 90, "B": 50.01}, "C"),
], ids=["A-at-50", "A-just-above-50", "B-at-50", "B-just-above-50"])
def test_proposal_uses_thresholds_given_for_a_what_if(thresholds, tier):
    proposals = propose([customer("C-000001", budget=1_000)], [deal("C-000001", 500)], thresholds=thresholds)
    assert proposals.loc["C-000001", "proposed_tier"] == tier


def test_weights_given_for_a_what_if_replace_the_settings():
    proposals = propose([customer("C-000001"), customer("C-000002")],
                        [deal("C-000001", 900, on=date(2024, 7, 1)), deal("C-000002", 100),
                         deal("C-000002", 100)], weights={"value": 1})
    assert proposals["score"].tolist() == [100, 0]


def test_unknown_weight_is_refused():
    with pytest.raises(ValidationError, match="Weights"):
        propose([customer("C-000001")], weights={"value": 50, "size": 50})


# ---- not enough data, lost and archived customers -------------------------------------------------

def test_customer_without_any_data_gets_no_tier():
    proposals = propose([customer("C-000001", tier="B"), customer("C-000002", budget=1_000)],
                        [deal("C-000001", 500, on=date(2023, 1, 5))])
    none = proposals.loc["C-000001"]
    assert (none["proposed_tier"], none["change"], none["rule"]) == (None, "insufficient", "no_data")
    assert np.isnan(none["score"])
    assert none["reasons_en"] == ("No transactions, satisfaction scores or budget in the last 12 months: "
                                  "not enough data to grade")


def test_customer_without_data_does_not_move_the_others_scores():
    alone = propose([customer("C-000001", budget=1_000)], [deal("C-000001", 500)])
    with_empty = propose([customer("C-000001", budget=1_000), customer("C-000002")], [deal("C-000001", 500)])
    assert with_empty.loc["C-000001", "score"] == alone.loc["C-000001", "score"]


def test_lost_customer_is_listed_without_a_tier():
    proposals = propose([customer("C-000001", stage="lost", tier="A"), customer("C-000002")],
                        [deal("C-000001", 5_000), deal("C-000002", 100)])
    lost = proposals.loc["C-000001"]
    assert (lost["proposed_tier"], lost["rule"], lost["reasons_zh"]) == (None, "lost", "已流失客户，不参与分级")


def test_archived_customer_is_left_out():
    proposals = propose([customer("C-000001", archived=True), customer("C-000002")],
                        [deal("C-000001", 5_000), deal("C-000002", 100)])
    assert proposals.index.tolist() == ["C-000002"]


@pytest.mark.parametrize("current, change", [
    ("A", "down"), ("B", "same"), ("C", "up"), (None, "new"),
], ids=["A-to-B", "B-stays", "C-to-B", "untiered"])
def test_change_compares_the_proposal_with_the_current_tier(current, change):
    proposals = propose([customer("C-000001", tier=current, budget=1_000)], [deal("C-000001", 500)])
    assert proposals.loc["C-000001", "change"] == change


def test_reason_names_the_sub_scores_and_the_deciding_threshold():
    proposals = propose([customer("C-000001", budget=1_000)], [deal("C-000001", 500)])
    assert proposals.loc["C-000001", "reasons_en"] == (
        "Score 50 (value 50, frequency 50, recency 50, satisfaction —, potential 50) ≥ B threshold 40 → B; "
        "a missing sub-score is not counted as zero, its weight goes to the others")
    assert proposals.loc["C-000001", "reasons_zh"] == (
        "得分 50（价值 50、频次 50、近度 50、满意度 —、潜力 50）≥ B 线 40 → B；缺少的分项不计为 0，其权重分给其他分项")


def test_proposals_have_the_documented_columns():
    proposals = tiers.propose_tiers(register_of(**STRONG_AND_WEAK).frames, Settings(), TODAY)
    assert proposals.columns.tolist() == tiers.PROPOSAL_COLUMNS


def test_empty_register_gives_no_proposals():
    proposals = tiers.propose_tiers(register_of([]).frames, Settings(), TODAY)
    assert proposals.empty and proposals.columns.tolist() == tiers.PROPOSAL_COLUMNS


# ---- the pareto method ----------------------------------------------------------------------------

def pareto(revenues: list[float], limits: dict | None = None) -> list[str]:
    ids = [f"C-{i:06d}" for i in range(1, len(revenues) + 1)]
    proposals = propose([customer(i, budget=1_000) for i in ids],
                        [deal(i, r) for i, r in zip(ids, revenues) if r], method="pareto",
                        pareto=limits or {"A": 80, "B": 95})
    return proposals.loc[ids, "proposed_tier"].tolist()


@pytest.mark.parametrize("revenues, expected", [
    ([50, 30, 15, 5], ["A", "A", "B", "C"]),
    ([60, 30, 10], ["A", "A", "B"]),
    ([85, 10, 5], ["A", "B", "C"]),
    ([100], ["A"]),
], ids=["reaching-80-exactly-is-A", "crossing-80-is-A", "first-customer-over-80", "single-customer"])
def test_pareto_grades_the_customer_that_reaches_the_line_with_the_tier_above(revenues, expected):
    assert pareto(revenues) == expected


def test_pareto_gives_equal_revenue_one_tier():
    # Without the tie rule the third 30 would start after 60 % and fall to B.
    assert pareto([30, 30, 30, 10], {"A": 50, "B": 95}) == ["A", "A", "A", "B"]


def test_pareto_grades_zero_revenue_with_other_data_c():
    proposals = propose([customer("C-000001"), customer("C-000002", budget=1_000)], [deal("C-000001", 100)],
                        method="pareto")
    assert (proposals.loc["C-000002", "proposed_tier"], proposals.loc["C-000002", "rule"]) == ("C", "zero_revenue")


def test_pareto_gives_no_tier_without_data():
    proposals = propose([customer("C-000001"), customer("C-000002")], [deal("C-000001", 100)], method="pareto")
    assert (proposals.loc["C-000002", "proposed_tier"], proposals.loc["C-000002", "rule"]) == (None, "no_data")


def test_pareto_rule_and_reason_name_the_line():
    proposals = propose([customer("C-000001"), customer("C-000002")],
                        [deal("C-000001", 60_000), deal("C-000002", 40_000)], method="pareto")
    second = proposals.loc["C-000002"]
    assert (second["rule"], np.isnan(second["score"])) == ("pareto<=80%", True)
    assert second["reasons_en"].startswith(
        "Revenue 40,000; customers ranked above hold 60% of revenue (A line 80%, B line 95%) → A")


# ---- review due -----------------------------------------------------------------------------------

@pytest.mark.parametrize("row, due", [
    (customer("C-1", reviewed=date(2024, 12, 1)), True),
    (customer("C-1", reviewed=date(2024, 12, 2)), False),
    (customer("C-1", reviewed=date(2023, 1, 1)), True),
    (customer("C-1"), True),
    (customer("C-1", archived=True), False),
    (customer("C-1", stage="lost"), False),
], ids=["exactly-6-months", "a-day-short-of-6-months", "long-ago", "never-reviewed", "archived", "lost"])
def test_review_is_due_after_the_review_cycle(row, due):
    customers = register_of([row]).frames["customers"]
    assert tiers.review_due(customers, Settings(), TODAY).tolist() == [due]


def test_review_due_follows_the_cycle_setting():
    customers = register_of([customer("C-1", reviewed=date(2025, 3, 1))]).frames["customers"]
    assert tiers.review_due(customers, Settings(tier_review_cycle_months=3), TODAY).tolist() == [True]


# ---- RFM ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("r, f, segment", [
    (5, 5, "champions"), (4, 4, "champions"), (3, 5, "loyal"), (3, 4, "loyal"),
    (5, 2, "potential_loyalist"), (4, 3, "potential_loyalist"), (5, 1, "new"),
    (1, 5, "cant_lose"), (1, 4, "cant_lose"), (2, 5, "at_risk"), (2, 3, "at_risk"), (1, 3, "at_risk"),
    (2, 2, "hibernating"), (2, 1, "hibernating"), (1, 2, "lost"), (1, 1, "lost"),
    (3, 3, "need_attention"), (3, 1, "need_attention"), (4, 1, "need_attention"),
], ids=lambda v: str(v))
def test_rfm_segment_of_recency_and_frequency_scores(r, f, segment):
    assert tiers.rfm_segment([r], [f]).tolist() == [segment]


def test_every_segment_has_labels_in_both_languages():
    assert set(tiers.SEGMENT_LABELS) == set(tiers.SEGMENTS)


def test_rfm_scores_spread_distinct_customers_over_five_quintiles():
    ids = [f"C-00000{i}" for i in range(1, 6)]
    register = register_of([customer(i) for i in ids],
                           [deal(i, 100 * n, on=date(2025, 1, n)) for n, i in enumerate(ids, 1)
                            for _ in range(n)])
    rfm = tiers.rfm_scores(register.frames, TODAY).set_index("customer_id")
    assert rfm.loc[ids, "r"].tolist() == [1, 2, 3, 4, 5]
    assert rfm.loc[ids, "f"].tolist() == [1, 2, 3, 4, 5]
    assert rfm.loc[ids, "m"].tolist() == [1, 2, 3, 4, 5]


def test_rfm_scores_give_equal_customers_the_middle_quintile():
    ids = ["C-000001", "C-000002", "C-000003"]
    register = register_of([customer(i) for i in ids], [deal(i, 100) for i in ids])
    rfm = tiers.rfm_scores(register.frames, TODAY)
    assert (rfm["r"].tolist(), rfm["f"].tolist(), rfm["m"].tolist()) == ([3, 3, 3], [3, 3, 3], [3, 3, 3])


def test_rfm_scores_list_only_customers_with_transactions():
    register = register_of([customer("C-000001"), customer("C-000002")],
                           [deal("C-000001", 100, on=date(2025, 5, 1)), deal("C-000001", 50, on=date(2025, 5, 11))])
    rfm = tiers.rfm_scores(register.frames, TODAY)
    assert rfm[["customer_id", "recency_days", "frequency", "monetary"]].values.tolist() == [
        ["C-000001", 21, 2, 150.0]]


def test_proposal_without_transactions_has_no_rfm_segment():
    proposals = propose([customer("C-000001", budget=1_000), customer("C-000002")], [deal("C-000002", 100)])
    assert proposals.loc["C-000001", "rfm_segment"] is None
    assert proposals.loc["C-000002", "rfm_segment"] == "need_attention"   # R 3, F 3: a single buyer


# ---- service, migrations, what-if -----------------------------------------------------------------

@pytest.mark.parametrize("tier, cadence, words", [
    ("A", 30, "专人服务"), ("B", 60, "定期回访"), ("C", 90, "高效"),
], ids=["A", "B", "C"])
def test_service_for_a_tier_follows_the_follow_up_setting(tier, cadence, words):
    service = tiers.service_for(tier, Settings())
    assert service["cadence_days"] == cadence and words in service["treatment_zh"]


def test_migration_matrix_counts_customers_by_from_and_to_tier():
    before = pd.Series(["A", "B", "B", None], index=["c1", "c2", "c3", "c4"])
    after = pd.Series(["A", "A", "C", "B"], index=["c1", "c2", "c3", "c4"])
    matrix = tiers.migration_matrix(before, after)
    assert matrix.loc["B", "A"] == 1 and matrix.loc["B", "C"] == 1 and matrix.loc["none", "B"] == 1
    assert int(matrix.to_numpy().sum()) == 4


def test_what_if_counts_the_customers_that_would_move():
    ids = ["C-000001", "C-000002", "C-000003"]
    register = register_of([customer(i) for i in ids],
                           [deal("C-000001", 900), deal("C-000001", 900), deal("C-000002", 500),
                            deal("C-000003", 100, on=date(2025, 1, 1))])
    # Scores 89.71, 48.53 and 11.76 under the settings' thresholds 70/40.
    result = tiers.what_if(register.frames, Settings(), TODAY, thresholds={"A": 40, "B": 15})
    assert result["baseline"]["proposed_tier"].tolist() == ["A", "B", "C"]
    assert result["proposals"]["proposed_tier"].tolist() == ["A", "A", "C"]
    assert result["moves"].to_dict("records") == [{"from_tier": "B", "to_tier": "A", "count": 1}]
    assert result["moved"] == 1


def test_tier_migrations_count_history_by_month():
    history = [
        {"customer_id": "C-000001", "from_tier": "B", "to_tier": "A", "reviewed_at": datetime(2025, 1, 5, 10)},
        {"customer_id": "C-000002", "from_tier": "B", "to_tier": "A", "reviewed_at": datetime(2025, 1, 9, 10)},
        {"customer_id": "C-000003", "from_tier": None, "to_tier": "C", "reviewed_at": datetime(2025, 2, 1, 10)},
    ]
    frame = register_of([], tier_history=history).frames["tier_history"]
    migrations = tiers.tier_migrations(frame)
    assert migrations.to_dict("records") == [
        {"from_tier": "B", "to_tier": "A", "count": 2, "period": "2025-01"},
        {"from_tier": "none", "to_tier": "C", "count": 1, "period": "2025-02"}]


# ---- approving and overriding tiers ---------------------------------------------------------------

REVIEWED = date(2024, 11, 3)
UPDATED = datetime(2025, 3, 2, 14, 30)
APPROVAL_CUSTOMERS = [
    customer("C-000001", tier="C", reviewed=REVIEWED, updated_at=UPDATED, updated_by="owner@example.com"),
    customer("C-000002", tier="B"),
    customer("C-000003", tier=None),
]


@pytest.fixture
def approval_raw() -> RawRegister:
    return raw_register(customers=APPROVAL_CUSTOMERS, settings=default_rows())


@pytest.fixture
def store(approval_raw) -> MemoryStore:
    return MemoryStore(approval_raw)


@pytest.fixture
def register(approval_raw):
    return read_register(approval_raw)


def decision(customer_id: str, to_tier: str, score: float = 72.5, **extra) -> dict:
    return {"customer_id": customer_id, "to_tier": to_tier, "score": score, "method": "score", **extra}


def updates_of(changes: ChangeSet, customer_id: str) -> dict:
    return {u.field: (u.old, u.new) for u in changes.updates if u.record_id == customer_id}


def test_approving_many_customers_saves_once(store, register):
    tiers.approve_tiers(store, register, MANAGER,
                        [decision("C-000001", "A"), decision("C-000002", "A"), decision("C-000003", "C")], "en",
                        today=TODAY)
    assert len(store.saved) == 1


def test_approval_updates_carry_the_values_the_manager_saw(store, register):
    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A")], "en", today=TODAY)
    assert updates_of(changes, "C-000001") == {
        "tier": ("C", "A"), "tier_reviewed_at": (REVIEWED, TODAY),
        "updated_at": (UPDATED, changes.at), "updated_by": ("owner@example.com", MANAGER.email)}


def test_approval_of_never_reviewed_customer_starts_from_empty_values(store, register):
    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000003", "B")], "en", today=TODAY)
    assert updates_of(changes, "C-000003") == {
        "tier": (None, "B"), "tier_reviewed_at": (None, TODAY),
        "updated_at": (None, changes.at), "updated_by": (None, MANAGER.email)}


def test_approval_writes_a_tier_history_row(store, register):
    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A", reason="Top buyer")], "en",
                                  today=TODAY)
    assert [r.values for r in changes.new_rows] == [{
        "customer_id": "C-000001", "from_tier": "C", "to_tier": "A", "score": "72.5", "method": "score",
        "reviewed_at": changes.at, "reviewer": MANAGER.email, "reason": "Top buyer"}]


def test_every_approval_write_has_its_audit_row(store, register):
    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A")], "en", today=TODAY)
    audited = [(a.values["table"], a.values["field"], a.values["action"]) for a in changes.audit]
    assert audited == [("customers", "tier", "approve_tier"), ("customers", "tier_reviewed_at", "approve_tier"),
                       ("customers", "updated_at", "approve_tier"), ("customers", "updated_by", "approve_tier"),
                       ("tier_history", "", "create")]


def test_approval_reaches_the_store(store, register):
    tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A")], "en", today=TODAY)
    saved = read_register(store.load())
    assert saved.record("customers", "C-000001")["tier"] == "A"
    assert saved.frames["tier_history"]["to_tier"].tolist() == ["A"]


def test_confirming_an_unchanged_tier_records_the_review_only(store, register):
    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000002", "B")], "en", today=TODAY)
    assert "tier" not in updates_of(changes, "C-000002")
    assert updates_of(changes, "C-000002")["tier_reviewed_at"] == (None, TODAY)
    assert [(r.values["from_tier"], r.values["to_tier"]) for r in changes.new_rows] == [("B", "B")]


@pytest.mark.parametrize("user", [VIEWER, STAFF], ids=["viewer", "staff"])
def test_only_managers_and_admins_approve_tiers(store, register, user):
    with pytest.raises(PermissionDenied):
        tiers.approve_tiers(store, register, user, [decision("C-000001", "A")], "en", today=TODAY)
    assert store.saved == []


def test_approval_for_unknown_customer_saves_nothing(store, register):
    with pytest.raises(RecordNotFound):
        tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A"), decision("C-000099", "B")], "en",
                            today=TODAY)
    assert store.saved == []


def test_approval_refuses_a_tier_that_is_not_a_b_or_c(store, register):
    with pytest.raises(ValidationError, match="To must be A, B or C"):
        tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "D")], "en", today=TODAY)


def test_approval_refuses_the_same_customer_twice(store, register):
    with pytest.raises(ValidationError, match="only once"):
        tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A"), decision("C-000001", "B")], "en",
                            today=TODAY)


def test_approving_nothing_saves_nothing(store, register):
    changes = tiers.approve_tiers(store, register, MANAGER, [], "en", today=TODAY)
    assert not changes and store.saved == []


def test_approval_conflicts_when_someone_changed_the_tier_meanwhile(store, register):
    tiers.override_tier(store, read_register(store.load()), ADMIN, "C-000001", "B", "Checked by phone", "en",
                        today=TODAY)
    with pytest.raises(ConflictError):
        tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A")], "en", today=TODAY)
    assert read_register(store.load()).record("customers", "C-000001")["tier"] == "B"


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_override_without_reason_is_refused_naming_the_field(store, register, reason):
    with pytest.raises(ValidationError) as refused:
        tiers.override_tier(store, register, MANAGER, "C-000001", "A", reason, "zh", today=TODAY)
    assert "原因" in refused.value.zh and "Reason" in refused.value.en
    assert store.saved == []


def test_override_records_method_and_reason(store, register):
    changes = tiers.override_tier(store, register, MANAGER, "C-000002", "A", "战略客户", "zh", today=TODAY)
    history = changes.new_rows[0].values
    assert (history["method"], history["reason"], history["score"]) == ("override", "战略客户", "")
    assert updates_of(changes, "C-000002")["tier"] == ("B", "A")


def test_staff_cannot_override_a_tier(store, register):
    with pytest.raises(PermissionDenied):
        tiers.override_tier(store, register, STAFF, "C-000001", "A", "reason", "en", today=TODAY)


# ---- saving weights and thresholds ----------------------------------------------------------------

NEW_WEIGHTS = {"value": 50, "frequency": 20, "recency": 10, "satisfaction": 10, "potential": 10}


def test_saving_weights_updates_the_settings_rows_from_their_old_text(store, register):
    changes = tiers.save_settings_weights(store, register, ADMIN, NEW_WEIGHTS, {"A": 75, "B": 45}, "en")
    assert [(u.record_id, u.old, u.new) for u in changes.updates] == [
        ("tier.weights", "value 40, frequency 20, recency 15, satisfaction 15, potential 10",
         "value 50, frequency 20, recency 10, satisfaction 10, potential 10"),
        ("tier.thresholds", "A 70, B 40", "A 75, B 45")]
    assert read_register(store.load()).settings.tier_thresholds == {"A": 75, "B": 45}


def test_saving_weights_adds_a_missing_settings_row():
    raw = raw_register(settings=[r for r in default_rows() if r["key"] != "tier.thresholds"])
    store = MemoryStore(raw)
    changes = tiers.save_settings_weights(store, read_register(raw), ADMIN, NEW_WEIGHTS, {"A": 75, "B": 45}, "en")
    assert [r.values["key"] for r in changes.new_rows] == ["tier.thresholds"]
    assert len(changes.audit) == 2


@pytest.mark.parametrize("user", [STAFF, MANAGER], ids=["staff", "manager"])
def test_only_admins_change_tier_settings(store, register, user):
    with pytest.raises(PermissionDenied):
        tiers.save_settings_weights(store, register, user, NEW_WEIGHTS, {"A": 75, "B": 45}, "en")


@pytest.mark.parametrize("thresholds", [{"A": 30, "B": 40}, {"A": 120, "B": 40}], ids=["A-below-B", "above-100"])
def test_saving_inconsistent_thresholds_is_refused(store, register, thresholds):
    with pytest.raises(ValidationError, match="Thresholds"):
        tiers.save_settings_weights(store, register, ADMIN, NEW_WEIGHTS, thresholds, "en")


def test_approval_is_redone_over_bookkeeping_someone_changed_meanwhile(store, register):
    # Someone edits another field of C-000001 after the manager loaded the register: updated_at/by move.
    touch = ChangeSet("owner@example.com", at=datetime(2025, 5, 30, 8, 0), lang="en")
    touch.update("customers", "C-000001", "updated_at", UPDATED, datetime(2025, 5, 30, 8, 0))
    store.save(touch)

    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A")], "en", today=TODAY)

    assert updates_of(changes, "C-000001")["updated_at"] == (datetime(2025, 5, 30, 8, 0), changes.at)
    assert read_register(store.load()).record("customers", "C-000001")["tier"] == "A"


def test_approval_is_stamped_with_the_time_given(store, register):
    at = datetime(2025, 6, 1, 10, 30)

    changes = tiers.approve_tiers(store, register, MANAGER, [decision("C-000001", "A")], "en", now=at)

    assert changes.at == at and updates_of(changes, "C-000001")["tier_reviewed_at"] == (REVIEWED, at.date())
    assert changes.new_rows[0].values["reviewed_at"] == at


def test_override_without_a_customer_is_refused(store, register):
    with pytest.raises(ValidationError, match="Choose the Customer"):
        tiers.override_tier(store, register, MANAGER, None, "A", "Strategic", "en", today=TODAY)


# ---- the review page's tables ---------------------------------------------------------------------

def review_proposals() -> pd.DataFrame:
    """One customer per kind of change: down (A → C), same (B), new (no tier), not enough data."""
    return tiers.propose_tiers(register_of(
        [customer("C-000001", tier="A", reviewed=date(2025, 3, 1)), customer("C-000002", tier="B", budget=900),
         customer("C-000003", budget=5_000), customer("C-000004", tier="C")],
        [deal("C-000001", 100, on=date(2024, 7, 1)), deal("C-000002", 800), deal("C-000003", 900)]).frames,
        Settings(), TODAY)


def test_review_proposals_cover_every_kind_of_change():
    assert review_proposals()["change"].tolist() == ["down", "same", "new", "insufficient"]


@pytest.mark.parametrize("options, expected", [
    ({}, ["C-000001", "C-000002", "C-000003", "C-000004"]),
    ({"only_changes": True}, ["C-000001", "C-000003"]),
    ({"only_due": True}, ["C-000002", "C-000003", "C-000004"]),
    ({"owners": ["someone@example.com"]}, []),
    ({"industries": ["Retail"]}, ["C-000001", "C-000002", "C-000003", "C-000004"]),
], ids=["none", "only-changes-keeps-up-down-new", "only-due", "owner", "industry"])
def test_filter_proposals(options, expected):
    assert tiers.filter_proposals(review_proposals(), **options)["customer_id"].tolist() == expected


@pytest.mark.parametrize("lang, marks", [
    ("en", ["↓ down", "= same", "new", "not enough data"]),
    ("zh", ["↓ 降级", "= 不变", "新定级", "数据不足"]),
], ids=["en", "zh"])
def test_review_table_shows_the_change_in_the_users_language(lang, marks):
    table = tiers.review_table(review_proposals(), lang)
    assert table[i18n.t("tiers.col_change", lang)].tolist() == marks


def test_review_table_with_selection_starts_with_unticked_boxes():
    table = tiers.review_table(review_proposals(), "en", select=False)
    assert table.columns[0] == tiers.SELECT and not table[tiers.SELECT].any()
    assert tiers.locked_columns(table) == table.columns[1:].tolist()


@pytest.mark.parametrize("editor_state, all_checked, expected", [
    (None, False, []),
    ({"edited_rows": {0: {"select": True}, 2: {"select": True}}}, False, ["C-1", "C-3"]),
    ({"edited_rows": {1: {"select": False}}}, True, ["C-1", "C-3"]),
    ({"edited_rows": {"0": {"select": True}, 7: {"select": True}}}, False, ["C-1"]),
], ids=["nothing", "ticked", "all-but-one", "text-position-and-edit-beyond-the-table"])
def test_checked_ids_reads_the_ticked_rows(editor_state, all_checked, expected):
    assert tiers.checked_ids(["C-1", "C-2", "C-3"], editor_state, all_checked) == expected


def test_approval_decisions_leave_out_customers_without_a_proposal():
    decisions, skipped = tiers.approval_decisions(review_proposals(), ["C-000001", "C-000004"], "score")
    assert [(d["customer_id"], d["to_tier"], d["method"]) for d in decisions] == [("C-000001", "C", "score")]
    assert skipped == ["C-000004"]


@pytest.mark.parametrize("ids, skipped, expected", [
    ([], [], ["Tick the customers to approve in the table first."]),
    (["C-1"], ["C-1"], ["No proposal to approve (not enough data, or lost): C-1. Use the override below to set "
                        "their tier."]),
    (["C-1"], [], []),
], ids=["nothing-ticked", "no-proposal", "fine"])
def test_selection_problems(ids, skipped, expected):
    assert tiers.selection_problems(ids, skipped, "en") == expected


def test_review_due_count_counts_the_customers_due():
    register = register_of([customer("C-000001", reviewed=date(2025, 5, 1)), customer("C-000002"),
                            customer("C-000003", archived=True), customer("C-000004", stage="lost")])
    assert tiers.review_due_count(register, VIEWER, datetime(2025, 6, 1, 9, 0)) == 1


def test_moves_text_names_each_move():
    moves = pd.DataFrame({"from_tier": ["B", "none"], "to_tier": ["A", "C"], "count": [3, 1]})
    assert tiers.moves_text(moves, "en") == "B → A: 3 · No tier → C: 1"


def test_service_table_lists_every_tiers_cadence():
    table = tiers.service_table(Settings(follow_up_days={"A": 14, "B": 45, "C": 90}), "en")
    assert table["Follow-up"].tolist() == ["Follow up every 14 days", "Follow up every 45 days",
                                           "Follow up every 90 days"]


def test_what_if_compares_with_a_baseline_given_instead_of_recomputing_it():
    register = register_of([customer("C-000001", budget=1_000)], [deal("C-000001", 500)])
    baseline = tiers.propose_tiers(register.frames, Settings(), TODAY).assign(proposed_tier="C")

    result = tiers.what_if(register.frames, Settings(), TODAY, baseline=baseline)

    assert result["moves"].to_dict("records") == [{"from_tier": "C", "to_tier": "B", "count": 1}]


def test_proposals_of_a_loaded_register_are_computed_once_per_day_and_method():
    reg = register_of(STRONG_AND_WEAK["customers"], STRONG_AND_WEAK["transactions"], STRONG_AND_WEAK["feedback"])
    first = tiers.proposals_of(reg, TODAY, "score")
    assert tiers.proposals_of(reg, TODAY, "score") is first
    assert tiers.proposals_of(reg, TODAY, "pareto") is not first
    assert first["proposed_tier"].tolist() == propose(**STRONG_AND_WEAK)["proposed_tier"].tolist()
