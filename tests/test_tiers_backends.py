"""Approving tiers on every backend (SQLite, PostgreSQL, the Google Sheet emulated), and its cost on the Sheet."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from lib import tiers
from lib.auth import User
from lib.errors import ConflictError
from lib.register import read_register
from lib.settings import default_rows
from lib.store.base import raw_from_records, ChangeSet, RawRegister
from tests.sheets_emulator import column_letter

NOW = datetime(2026, 11, 20, 10, 0)
MANAGER = User("manager@example.com", "Manager", "manager")
OTHER = User("other@example.com", "Other", "manager")


def customers(n: int, tier: str | None = "C") -> list[dict]:
    return [{"customer_id": f"C-{i:06d}", "name": f"Customer {i}", "owner": "owner@example.com", "stage": "customer",
             "tier": tier, "tier_reviewed_at": date(2025, 1, 10)} for i in range(1, n + 1)]


def raw_register(lang: str, customer_rows: list[dict]) -> RawRegister:
    """The sheet text of these customers and the default Settings, every other tab empty."""
    rows = {"customers": customer_rows, "settings": default_rows()}
    return raw_from_records(rows, lang, NOW)


def decisions(ids: list[str], to_tier: str = "A") -> list[dict]:
    return [{"customer_id": i, "to_tier": to_tier, "score": 81.5, "method": "score"} for i in ids]


def current(store):
    return read_register(store.load())


# ---- the Google Sheet: one batched save ----------------------------------------------------------

def test_approving_500_changes_on_the_sheet_costs_at_most_two_api_calls(sheets_store_factory, sheets_emulator):
    store = sheets_store_factory(lang="zh", raw=raw_register("zh", customers(500)))
    register = current(store)   # a first load: the store knows its tabs from now on
    sheets_emulator.reset_counts()

    tiers.approve_tiers(store, register, MANAGER, decisions(register.frames["customers"]["customer_id"].tolist()),
                        "zh", now=NOW)

    assert sum(sheets_emulator.counts.values()) <= 2 and sheets_emulator.writes == 1
    saved = current(store)
    assert saved.frames["customers"]["tier"].value_counts().to_dict() == {"A": 500}
    assert len(saved.frames["tier_history"]) == 500


# ---- every backend -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_approved_tiers_and_review_dates_are_stored(make_store, lang):
    store = make_store(lang=lang, raw=raw_register(lang, customers(3)))

    tiers.approve_tiers(store, current(store), MANAGER, decisions(["C-000001", "C-000003"]), "en", now=NOW)

    saved = current(store).frames["customers"].set_index("customer_id")
    assert saved["tier"].tolist() == ["A", "C", "A"]
    assert saved["tier_reviewed_at"].dt.date.tolist() == [NOW.date(), date(2025, 1, 10), NOW.date()]


def test_approval_writes_history_and_audit_rows(make_store):
    store = make_store(lang="zh", raw=raw_register("zh", customers(2)))

    tiers.approve_tiers(store, current(store), MANAGER, decisions(["C-000001", "C-000002"], "B"), "zh", now=NOW)

    saved = current(store)
    history = saved.frames["tier_history"]
    assert history[["customer_id", "from_tier", "to_tier", "score", "reviewer", "reason"]].values.tolist() == [
        ["C-000001", "C", "B", "81.5", MANAGER.email, "分级评审"], ["C-000002", "C", "B", "81.5", MANAGER.email, "分级评审"]]
    audit = saved.frames["audit"]
    assert audit.loc[audit["field"] == "tier", ["record_id", "old", "new", "action"]].values.tolist() == [
        ["C-000001", "C", "B", "approve_tier"], ["C-000002", "C", "B", "approve_tier"]]


@pytest.fixture
def set_tier_meanwhile(request):
    """Return `set(store, customer_id, tier)`: someone changes a tier after this session read the register.

    On the Google Sheet a colleague retypes the cell by hand; on SQL another user saves.
    """
    backend = request.node.callspec.params["make_store"]

    def set_tier(store, customer_id: str, tier: str) -> None:
        if backend == "gsheets":
            tab = store.load().tabs["customers"]
            row = tab.row_numbers[[r[tab.column("customer_id")] for r in tab.rows].index(customer_id)]
            request.getfixturevalue("sheets_emulator").set_cell(
                tab.title, f"{column_letter(tab.column('tier'))}{row}", f"{tier}类")
        else:
            changes = ChangeSet(OTHER.email, at=NOW)
            changes.update("customers", customer_id, "tier", current(store).record("customers", customer_id)["tier"],
                           tier)
            store.save(changes)

    return set_tier


def test_approval_conflicts_when_someone_changed_the_tier_meanwhile(make_store, set_tier_meanwhile):
    store = make_store(lang="zh", raw=raw_register("zh", customers(2)))
    seen = current(store)
    set_tier_meanwhile(store, "C-000002", "B")

    with pytest.raises(ConflictError) as refused:
        tiers.approve_tiers(store, seen, MANAGER, decisions(["C-000001", "C-000002"]), "zh", now=NOW)

    assert [(c.record_id, c.field, c.started_from, c.current, c.wanted) for c in refused.value.conflicts] == [
        ("C-000002", "tier", "C", "B", "A")]
    assert current(store).frames["customers"]["tier"].tolist() == ["C", "B"]
    assert current(store).frames["tier_history"].empty
