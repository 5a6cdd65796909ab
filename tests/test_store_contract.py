"""The storage contract every backend keeps (SQLite, PostgreSQL, Google Sheets via the emulator)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from lib import schema
from lib.errors import CellTooLong, ConflictError, DuplicateIdError, RecordNotFound
from lib.register import read_register
from lib.store.base import ChangeSet, RawRegister, RawTab

AT = datetime(2026, 11, 20, 10, 0)


def _customer(cid: str, name: str, **extra) -> dict:
    return {"customer_id": cid, "name": name, "stage": "prospect", "tier": "B", "budget": 120000.0,
            "created_at": AT, **extra}


def _saved(store, *customers) -> None:
    changes = ChangeSet("alice@example.com", at=AT)
    for c in customers:
        changes.add("customers", c)
    store.save(changes)


def _reg(store):
    return read_register(store.load())


def _hand_kept(headers: list[str], rows: list[list[str]], lang: str = "zh") -> RawRegister:
    tab = RawTab("customers", "客户档案", headers, rows, [i + 2 for i in range(len(rows))])
    return RawRegister({"customers": tab}, lang, AT)


def test_fresh_register_has_every_tab_with_contract_headers(make_store):
    raw = make_store("en").load()
    assert set(raw.tabs) == set(schema.TABLES)
    assert raw.tabs["customers"].headers[:3] == ["Customer ID", "Customer name", "Industry"]
    assert all(not tab.rows for tab in raw.tabs.values())


def test_fresh_chinese_register_uses_chinese_labels(make_store):
    raw = make_store("zh").load()
    assert raw.tabs["feedback"].headers[:2] == ["反馈编号", "客户编号"]


def test_a_load_in_one_attempt_reads_the_same_register(make_store):
    store = make_store()
    _saved(store, _customer("C-000001", "上海华信科技有限公司"))
    assert {k: t.rows for k, t in store.load(patient=False).tabs.items()} == {k: t.rows for k, t in store.load().tabs.items()}


def test_saved_rows_load_back_typed(make_store):
    store = make_store()
    _saved(store, _customer("C-000001", "上海华信科技有限公司", next_follow_up=date(2026, 12, 1)))
    row = _reg(store).record("customers", "C-000001")
    assert (row["name"], row["stage"], row["tier"], row["budget"]) == ("上海华信科技有限公司", "prospect", "B", 120000.0)
    assert row["next_follow_up"].date() == date(2026, 12, 1)


def test_every_new_row_is_in_the_audit_log_with_who_and_when(make_store):
    store = make_store()
    _saved(store, _customer("C-000001", "Acme"))
    audit = _reg(store).frame("audit")
    assert audit[["user", "action", "table", "record_id"]].values.tolist() == [
        ["alice@example.com", "create", "customers", "C-000001"]]
    assert audit["at"].iloc[0] == AT


def test_update_applies_when_value_is_what_user_started_from(make_store):
    store = make_store()
    _saved(store, _customer("C-000001", "Acme"), _customer("C-000002", "Beta"))
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-000002", "stage", "prospect", "customer", reason="signed")
    store.save(changes)
    reg = _reg(store)
    assert reg.record("customers", "C-000002")["stage"] == "customer"
    assert reg.record("customers", "C-000001")["stage"] == "prospect"
    last = reg.frame("audit").iloc[-1]
    assert (last["field"], last["old"], last["new"], last["reason"]) == ("stage", "潜在", "成交", "signed")


def test_update_of_a_field_changed_meanwhile_is_a_conflict_and_saves_nothing(make_store):
    store = make_store()
    _saved(store, _customer("C-000001", "Acme"))
    first = ChangeSet("bob@example.com", at=AT)
    first.update("customers", "C-000001", "stage", "prospect", "interested")
    store.save(first)
    stale = ChangeSet("carol@example.com", at=AT)
    stale.update("customers", "C-000001", "stage", "prospect", "lost")
    stale.update("customers", "C-000001", "owner", None, "carol@example.com")
    stale.add("customers", _customer("C-000002", "Beta"))
    with pytest.raises(ConflictError) as caught:
        store.save(stale)
    assert [(c.field, c.current, c.wanted) for c in caught.value.conflicts] == [("stage", "interested", "lost")]
    reg = _reg(store)
    assert reg.record("customers", "C-000001")["owner"] == ""
    assert len(reg.frame("customers")) == 1
    assert len(reg.frame("audit")) == 2


def test_update_of_unknown_id_is_refused(make_store):
    store = make_store()
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-999999", "stage", None, "lost")
    with pytest.raises(RecordNotFound):
        store.save(changes)
    assert _reg(store).frame("audit").empty


def test_update_of_duplicated_id_names_both_rows_as_numbered_in_the_whole_tab(make_store):
    headers = schema.header_labels("customers", "zh")

    def row(cid: str, name: str) -> list[str]:
        return [cid, name] + [""] * (len(headers) - 2)
    rows = [row("C-000002", "Beta"), row("C-000001", "Acme"), row("C-000003", "Gamma"), row("", "Delta"),
            row(" C-000001 ", "Acme again")]
    store = make_store("zh", raw=_hand_kept(headers, rows))
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-000001", "region", None, "上海")
    with pytest.raises(DuplicateIdError) as caught:
        store.save(changes)
    assert caught.value.rows == [3, 6]


def test_an_update_among_many_rows_changes_only_its_record(make_store):
    store = make_store()
    _saved(store, *[_customer(f"C-{n:06d}", f"Customer {n}") for n in range(1, 8)])
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-000005", "region", "", "上海")
    store.save(changes)
    regions = _reg(store).frame("customers").set_index("customer_id")["region"]
    assert regions.to_dict() == {f"C-{n:06d}": "上海" if n == 5 else "" for n in range(1, 8)}


def test_retrying_a_save_that_landed_adds_nothing(make_store):
    store = make_store()
    changes = ChangeSet("alice@example.com", at=AT)
    changes.add("customers", _customer("C-000001", "Acme"))
    store.save(changes)
    store.save(changes)
    reg = _reg(store)
    assert (len(reg.frame("customers")), len(reg.frame("audit"))) == (1, 1)


def test_new_row_with_an_id_taken_by_another_record_is_a_conflict(make_store):
    store = make_store()
    _saved(store, _customer("C-000001", "Acme"))
    with pytest.raises(ConflictError):
        _saved(store, _customer("C-000001", "Someone else"))
    assert _reg(store).record("customers", "C-000001")["name"] == "Acme"


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "=1+1", "+86 138 0013 8000", "010010",
                                  "@SUM(A1)", "-5", "ＦＵＬＬ　ｗｉｄｔｈ（全角）"],
                         ids=["hyperlink", "formula", "phone-plus", "leading-zero", "at-sign", "minus", "full-width"])
def test_user_text_is_stored_exactly_as_typed(make_store, text):
    store = make_store()
    _saved(store, _customer("C-000001", text, notes=text))
    tab = store.load().tabs["customers"]
    assert tab.cell(0, tab.column("notes")) == text
    assert tab.cell(0, tab.column("name")) == text


def test_long_note_is_kept_whole(make_store):
    store = make_store()
    note = "长" * 12_000
    _saved(store, _customer("C-000001", "Acme", notes=note))
    assert _reg(store).record("customers", "C-000001")["notes"] == note


def test_cell_over_the_sheet_limit_is_refused_with_the_field_named(make_store):
    store = make_store("en")
    with pytest.raises(CellTooLong) as caught:
        _saved(store, _customer("C-000001", "Acme", notes="x" * 50_001))
    assert "Notes" in caught.value.message("en")
    assert _reg(store).frame("customers").empty


def test_new_row_whose_audit_summary_outgrows_a_cell_is_saved_whole_with_a_shortened_summary(make_store):
    store = make_store("en")
    notes, needs = "n" * 30_000, "d" * 30_000       # each fits a cell; "notes=…; needs=…" does not
    _saved(store, _customer("C-000001", "Acme", notes=notes, needs=needs))
    reg = _reg(store)
    row = reg.record("customers", "C-000001")
    assert (row["notes"], row["needs"]) == (notes, needs)
    summary = reg.frame("audit")["new"].iloc[0]
    assert 49_900 < len(summary) <= 50_000
    assert summary.startswith("name=Acme; stage=潜在; tier=B; needs=ddd") and summary.endswith("个字符，见该行）")


def test_unknown_columns_and_unreadable_cells_survive_an_update(make_store):
    headers = ["客户名称", "客户编号", "微信群", "采购预算", "合作阶段"]
    raw = _hand_kept(headers, [["Acme", "C-000001", "群A", "很多", "意向"]])
    store = make_store("zh", raw=raw)
    reg = _reg(store)
    assert [(i.column, i.text) for i in reg.issues] == [("采购预算", "很多")]
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-000001", "stage", "interested", "customer")
    store.save(changes)
    tab = store.load().tabs["customers"]
    row = tab.rows[0]
    assert row[:5] == ["Acme", "C-000001", "群A", "很多", "成交"]


def test_update_of_a_field_without_a_column_adds_it_at_the_end(make_store):
    raw = _hand_kept(["客户编号", "客户名称"], [["C-000001", "Acme"]])
    store = make_store("zh", raw=raw)
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-000001", "owner", None, "bob@example.com")
    store.save(changes)
    tab = store.load().tabs["customers"]
    assert tab.headers[:2] == ["客户编号", "客户名称"]
    assert tab.cell(0, tab.column("owner")) == "bob@example.com"


def test_hand_typed_values_compare_by_meaning_not_by_text(make_store):
    headers = schema.header_labels("customers", "zh")
    row = ["C-000001", "Acme"] + [""] * (len(headers) - 2)
    row[headers.index("采购预算")] = "¥120,000"
    store = make_store("zh", raw=_hand_kept(headers, [row]))
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update("customers", "C-000001", "budget", 120000.0, 150000.0)
    store.save(changes)
    assert _reg(store).record("customers", "C-000001")["budget"] == 150000.0


def test_five_hundred_updates_save_together(make_store):
    store = make_store()
    _saved(store, *[_customer(f"C-{i:06d}", f"Customer {i}") for i in range(1, 501)])
    changes = ChangeSet("manager@example.com", at=AT)
    for i in range(1, 501):
        changes.update("customers", f"C-{i:06d}", "tier", "B", "A", action="approve_tier")
    store.save(changes)
    reg = _reg(store)
    assert set(reg.frame("customers")["tier"]) == {"A"}
    assert (reg.frame("audit")["action"] == "approve_tier").sum() == 500


def test_rows_added_by_hand_without_id_get_one_and_nothing_else_changes(make_store):
    from lib.register import missing_id_changes
    headers = ["客户编号", "客户名称", "备注"]
    raw = _hand_kept(headers, [["C-000007", "Acme", ""], ["", "Beta", "手工添加"], ["", "Gamma", "=1+1"]])
    store = make_store("zh", raw=raw)
    store.save(missing_id_changes(_reg(store), AT))
    tab = store.load().tabs["customers"]
    assert [r[:3] for r in tab.rows] == [["C-000007", "Acme", ""], ["C-000008", "Beta", "手工添加"],
                                         ["C-000009", "Gamma", "=1+1"]]
    assert _reg(store).frame("audit")["action"].tolist() == ["assign_id", "assign_id"]


def test_the_audit_log_is_append_only():
    with pytest.raises(ValueError):
        ChangeSet("mallory@example.com").update("audit", "C-000001", "user", "alice", "mallory")
