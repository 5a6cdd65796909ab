"""The tier review page: proposals and their reasons, filters, approving, overriding, the what-if (AppTest)."""
from __future__ import annotations

import os
from datetime import date, datetime

import pandas as pd
import pytest

from lib import tiers
from lib.auth import User
from lib.errors import PermissionDenied
from lib.register import read_register
from lib.settings import default_rows
from lib.store.base import raw_from_records, ChangeSet, RawRegister
from lib.store.sql import SqlStore

PAGE = "views/tiers.py"
NOW = datetime(2026, 11, 20, 10, 0)   # REGISTER_NOW in tests/conftest.py
MANAGER = "manager@example.com"
AMY, BEN = "amy@example.com", "ben@example.com"


def customer(customer_id: str, name: str, tier: str | None, reviewed: date | None, owner: str, industry: str,
             budget: float | None = None) -> dict:
    return {"customer_id": customer_id, "name": name, "tier": tier, "tier_reviewed_at": reviewed, "owner": owner,
            "industry": industry, "budget": budget, "stage": "customer"}


def deal(n: int, customer_id: str, amount: float, on: date) -> dict:
    return {"txn_id": f"T-{n:06d}", "customer_id": customer_id, "date": on, "amount": amount,
            "profit": amount * 0.3, "status": "paid"}


# Under the default settings (score method, A ≥ 70, B ≥ 40, 6-month review cycle) on 2026-11-20:
#   C-000001 C → A  (score 97.06, reviewed a year ago: due)      C-000002 A → C  (6.86, reviewed in October)
#   C-000003 B → B  (57.84, reviewed in September)              C-000004 none → C (38.24, never reviewed: due)
#   C-000005 B, no data in the window: no proposal (reviewed in January 2025: due)
CUSTOMERS = [
    customer("C-000001", "Strong Co", "C", date(2025, 12, 1), AMY, "Retail", 90_000),
    customer("C-000002", "Weak Co", "A", date(2026, 10, 1), BEN, "Retail", 1_000),
    customer("C-000003", "Steady Co", "B", date(2026, 9, 1), AMY, "Logistics", 20_000),
    customer("C-000004", "Newcomer Co", None, None, BEN, "Logistics", 30_000),
    customer("C-000005", "Quiet Co", "B", date(2025, 1, 10), AMY, "Software"),
]
TRANSACTIONS = [
    deal(1, "C-000001", 50_000, date(2026, 11, 1)), deal(2, "C-000001", 40_000, date(2026, 10, 1)),
    deal(3, "C-000001", 30_000, date(2026, 9, 1)), deal(4, "C-000002", 500, date(2026, 1, 5)),
    deal(5, "C-000003", 20_000, date(2026, 8, 1)), deal(6, "C-000003", 15_000, date(2026, 6, 1)),
    deal(7, "C-000004", 8_000, date(2026, 10, 20)),
]


def raw_register(lang: str = "en", settings: list[dict] | None = None) -> RawRegister:
    """The sheet text of the customers and deals above, with the default Settings rows."""
    rows = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "settings": settings or default_rows()}
    return raw_from_records(rows, lang, NOW)


@pytest.fixture
def open_page(app_test):
    """Return `open(role="manager", lang="en", raw=None)`: the tier review page on the register above."""
    def open_(role: str | None = "manager", lang: str = "en", raw: RawRegister | None = None):
        at = app_test(PAGE, raw=raw or raw_register(lang), lang=lang, role=role, email=MANAGER)
        at.run()
        assert not at.exception
        return at
    return open_


def stored() -> "object":
    """The register as the app's store holds it now."""
    return read_register(SqlStore(os.environ["REGISTER_URL"]).load())


def frame_with(at, column: str) -> pd.DataFrame:
    """The first table on the page that has this column (plain tables carry no key in AppTest)."""
    return next(f.value for f in at.dataframe if column in f.value.columns)


def table(at) -> pd.DataFrame:
    """The review table people see, indexed by customer ID."""
    return frame_with(at, "Proposed").set_index("Customer ID")


def tick(at, *positions: int):
    """Tick these rows of the review table (as clicking their boxes would)."""
    at.session_state[at.data_editor[0].key] = {"edited_rows": {p: {tiers.SELECT: True} for p in positions},
                                                "added_rows": [], "deleted_rows": []}


def click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def history() -> list[tuple]:
    """The Tier history tab as (customer, from, to, method, reviewer, reason) rows."""
    frame = stored().frames["tier_history"]
    return list(frame[["customer_id", "from_tier", "to_tier", "method", "reviewer", "reason"]].itertuples(index=False,
                                                                                                         name=None))


# ---- what the page shows -------------------------------------------------------------------------

def test_review_lists_each_customer_with_current_and_proposed_tier_and_the_change(open_page):
    at = open_page()

    shown = table(at)[["Current", "Proposed", "Change"]]

    assert shown.to_dict("index") == {
        "C-000001": {"Current": "C", "Proposed": "A", "Change": "↑ up"},
        "C-000002": {"Current": "A", "Proposed": "C", "Change": "↓ down"},
        "C-000003": {"Current": "B", "Proposed": "B", "Change": "= same"},
        "C-000004": {"Current": "—", "Proposed": "C", "Change": "new"},
        "C-000005": {"Current": "B", "Proposed": "—", "Change": "not enough data"}}


def test_review_shows_the_score_and_its_breakdown(open_page):
    at = open_page()

    strong = table(at).loc["C-000001", ["Score", "Value", "Frequency", "Recency", "Satisfaction", "Potential"]]

    assert strong.drop("Satisfaction").tolist() == [97.1, 100, 100, 100, 75]
    assert pd.isna(strong["Satisfaction"])   # no feedback: shown empty, not as 0


@pytest.mark.parametrize("lang, column, reason", [
    ("en", "Reasons", "Score 97.06 (value 100, frequency 100, recency 100, satisfaction —, potential 75) "
                      "≥ A threshold 70 → A; a missing sub-score is not counted as zero, its weight goes to the others"),
    ("zh", "原因", "得分 97.06（价值 100、频次 100、近度 100、满意度 —、潜力 75）≥ A 线 70 → A；"
                   "缺少的分项不计为 0，其权重分给其他分项"),
], ids=["en", "zh"])
def test_reasons_are_in_the_users_language(open_page, lang, column, reason):
    at = open_page(lang=lang)

    assert frame_with(at, column)[column].tolist()[0] == reason


def test_page_says_how_many_customers_are_due_for_review(open_page):
    at = open_page()

    assert texts(at.info)[0] == ("Customers due for review: 3 (never reviewed, or last reviewed 6 or more "
                                 "months ago).")


def test_method_selector_starts_at_the_settings_method(open_page):
    settings = [dict(r, value="pareto") if r["key"] == "tier.method" else r for r in default_rows()]
    at = open_page(raw=raw_register(settings=settings))

    assert at.segmented_control(key="tiers.method").value == "pareto"
    assert table(at).loc["C-000003", "Proposed"] == "A"   # by revenue: the second-largest buyer


def test_service_legend_gives_each_tiers_cadence_and_treatment(open_page):
    at = open_page()

    legend = frame_with(at, "Treatment")

    assert legend["Follow-up"].tolist() == ["Follow up every 30 days", "Follow up every 60 days",
                                            "Follow up every 90 days"]
    assert legend["Treatment"].tolist()[0].startswith("Key account")


@pytest.mark.parametrize("key, value, expected", [
    ("tiers.only_changes", True, ["C-000001", "C-000002", "C-000004"]),
    ("tiers.only_due", True, ["C-000001", "C-000004", "C-000005"]),
    ("tiers.owner", [BEN], ["C-000002", "C-000004"]),
    ("tiers.industry", ["Logistics"], ["C-000003", "C-000004"]),
], ids=["only-changes", "only-due", "owner", "industry"])
def test_filters_narrow_the_review(open_page, key, value, expected):
    at = open_page()

    at.get_by_key(key).set_value(value).run()

    assert table(at).index.tolist() == expected


# ---- approving -----------------------------------------------------------------------------------

@pytest.fixture
def approved(open_page):
    """The page after a manager ticked Strong Co and Weak Co and approved their proposals."""
    at = open_page()
    tick(at, 0, 1)
    click(at, "tiers.approve")
    return at


def test_approving_a_selection_says_how_many_were_approved(approved):
    assert texts(approved.success) == ["Tier approvals saved: 2."]


def test_approving_a_selection_writes_the_new_tiers_and_review_date(approved):
    saved = stored()
    assert [(saved.record("customers", cid)["tier"], saved.record("customers", cid)["tier_reviewed_at"])
            for cid in ("C-000001", "C-000002", "C-000003")] == [
        ("A", pd.Timestamp("2026-11-20")), ("C", pd.Timestamp("2026-11-20")), ("B", pd.Timestamp("2026-09-01"))]


def test_approving_a_selection_writes_a_tier_history_row_each(approved):
    assert history() == [("C-000001", "C", "A", "score", MANAGER, "Tier review"),
                         ("C-000002", "A", "C", "score", MANAGER, "Tier review")]


def test_approving_a_selection_leaves_audit_rows(approved):
    audit = stored().frames["audit"]
    tier_rows = audit[(audit["action"] == "approve_tier") & (audit["field"] == "tier")]
    assert tier_rows[["record_id", "old", "new", "user"]].values.tolist() == [
        ["C-000001", "C", "A", MANAGER], ["C-000002", "A", "C", MANAGER]]


def test_approved_tiers_show_as_current(approved):
    assert table(approved).loc[["C-000001", "C-000002"], "Change"].tolist() == ["= same", "= same"]


def test_select_all_approves_every_customer_shown(open_page):
    at = open_page()
    at.toggle(key="tiers.only_changes").set_value(True).run()
    at.checkbox(key="tiers.select_all").check().run()

    click(at, "tiers.approve")

    assert texts(at.success) == ["Tier approvals saved: 3."]
    assert [row[0] for row in history()] == ["C-000001", "C-000002", "C-000004"]


def test_approving_without_a_selection_asks_to_tick_customers(open_page):
    at = open_page()

    click(at, "tiers.approve")

    assert texts(at.warning) == ["Tick the customers to approve in the table first."]
    assert history() == []


def test_customer_without_a_proposal_is_left_out_of_the_approval(open_page):
    at = open_page()
    tick(at, 0, 4)

    click(at, "tiers.approve")

    assert texts(at.warning) == ["No proposal to approve (not enough data, or lost): C-000005. "
                                 "Use the override below to set their tier."]
    assert [row[0] for row in history()] == ["C-000001"]


def someone_sets_tier(customer_id: str, tier: str) -> None:
    """Another user changes a tier after the manager opened the page."""
    store = SqlStore(os.environ["REGISTER_URL"])
    changes = ChangeSet("other@example.com", at=NOW)
    changes.update("customers", customer_id, "tier", stored().record("customers", customer_id)["tier"], tier)
    store.save(changes)


@pytest.fixture
def conflicted(open_page):
    """The page after a manager approved Strong Co while someone else had made it B."""
    at = open_page()
    someone_sets_tier("C-000001", "B")
    tick(at, 0)
    click(at, "tiers.approve")
    return at


def test_conflicting_approval_shows_both_values_and_saves_nothing(conflicted):
    conflict = frame_with(conflicted, "Now (theirs)")
    assert conflict[["Customer ID", "Field", "You saw", "Now (theirs)", "Yours"]].values.tolist() == [
        ["C-000001", "Tier", "C", "B", "A"]]
    assert history() == []


def test_overwriting_a_conflict_saves_the_approval(conflicted):
    click(conflicted, "tiers.overwrite")

    assert stored().record("customers", "C-000001")["tier"] == "A"
    assert texts(conflicted.success) == ["Tier approvals saved: 1."]


def test_keeping_theirs_after_a_conflict_keeps_their_tier(conflicted):
    click(conflicted, "tiers.keep_theirs")

    assert stored().record("customers", "C-000001")["tier"] == "B"
    assert history() == [] and table(conflicted).loc["C-000001", "Current"] == "B"


# ---- overriding ----------------------------------------------------------------------------------

def override(at, customer_id: str, tier: str, reason: str):
    at.selectbox(key="tiers.override_customer").set_value(customer_id)
    at.selectbox(key="tiers.override_tier").set_value(tier)
    at.text_input(key="tiers.override_reason").set_value(reason)
    click(at, "tiers.override")


def test_override_with_reason_sets_the_tier_and_records_the_reason(open_page):
    at = open_page()

    override(at, "C-000005", "A", "Strategic partner from next year")

    assert texts(at.success) == ["Tier overridden."]
    assert stored().record("customers", "C-000005")["tier"] == "A"
    assert history() == [("C-000005", "B", "A", "override", MANAGER, "Strategic partner from next year")]


def test_override_without_reason_is_refused_with_the_message(open_page):
    at = open_page()

    override(at, "C-000005", "A", "  ")

    assert texts(at.error) == ["Reason is required: say why the tier is overridden. Nothing was saved."]
    assert stored().record("customers", "C-000005")["tier"] == "B"


# ---- roles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewers_see_proposals_without_approve_or_override(open_page, role):
    at = open_page(role=role)

    assert table(at).loc["C-000001", "Proposed"] == "A"
    assert not {"tiers.approve", "tiers.override"} & {b.key for b in at.button}
    assert texts(at.info)[1] == ("Your role may see the proposals but not approve or override them. "
                                 "Ask an admin for access.")


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_approval_by_staff_or_viewer_is_refused_by_the_library(open_page, role):
    open_page(role=role)
    user = User(MANAGER, "Someone", role)

    with pytest.raises(PermissionDenied):
        tiers.approve_tiers(SqlStore(os.environ["REGISTER_URL"]), stored(), user,
                            [{"customer_id": "C-000001", "to_tier": "A", "score": 97.06, "method": "score"}], "en")
    assert history() == []


# ---- what-if -------------------------------------------------------------------------------------

def try_thresholds(at, a: int, b: int):
    at.number_input(key="tiers.whatif.A").set_value(a)
    at.number_input(key="tiers.whatif.B").set_value(b).run()
    assert not at.exception


def test_what_if_counts_the_customers_that_would_move(open_page):
    at = open_page()

    try_thresholds(at, 50, 20)

    assert at.metric[0].value == "2"
    assert "B → A: 1 · C → B: 1" in texts(at.markdown)


def test_what_if_shows_the_migration_matrix(open_page):
    at = open_page()

    try_thresholds(at, 60, 30)

    matrix = frame_with(at, "No tier")
    assert matrix.loc["C", ["A", "B", "C"]].tolist() == [0, 1, 1]


def test_manager_may_try_weights_but_is_told_only_an_admin_saves_them(open_page):
    at = open_page()

    assert "tiers.whatif.save" not in {b.key for b in at.button}
    assert "Only an admin can change the Settings; share the result with an admin." in texts(at.info)


def test_admin_saves_tried_weights_and_thresholds_to_settings(open_page):
    at = open_page(role="admin")
    at.number_input(key="tiers.whatif.value").set_value(50)
    try_thresholds(at, 60, 30)

    click(at, "tiers.whatif.save")

    assert texts(at.success) == ["Saved the tier weights and thresholds to Settings."]
    settings = stored().settings
    assert (settings.tier_weights["value"], settings.tier_thresholds) == (50, {"A": 60, "B": 30})


def test_staff_do_not_see_the_what_if(open_page):
    at = open_page(role="staff")

    assert not [n for n in at.number_input if str(n.key).startswith("tiers.whatif.")]
