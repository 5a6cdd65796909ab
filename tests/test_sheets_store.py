"""The Google Sheets backend on a sheet people also edit by hand (against the Sheets API emulator)."""
from __future__ import annotations

from datetime import datetime

import pytest

from lib import schema
from lib.errors import ConflictError, DuplicateIdError, RecordNotFound, RegisterError, StoreUnavailable
from lib.store.base import ChangeSet, RawRegister, RawTab
from lib.store.sheets import SaveOutcomeUnknown, SheetsStore, parse_sheet_url
from tests.sheets_emulator import DROP_CONNECTION
from tests.sheets_fixtures import sheets_emulator, sheets_store_factory  # noqa: F401  (fixtures)

AT = datetime(2026, 11, 20, 10, 0)
CUSTOMERS = "客户档案"
AUDIT = "变更日志"
HAND_KEPT_HEADERS = ["客户名称", "ＣＵＳＴＯＭＥＲ ＩＤ", "微信群", "采购预算", "合作阶段", "客户级别"]
HAND_KEPT_ROWS = [
    ["上海华信科技有限公司", "C-000001", "群A", "很多", "意向", "A"],
    ["北京启明软件", "C-000002", "", "85000", "潜在", "B"],
    ["深圳远航物流", "C-000003", "群C", "¥120,000", "成交", "A"],
]


@pytest.fixture
def emulator(sheets_emulator):
    return sheets_emulator


@pytest.fixture
def store(sheets_store_factory):
    """A laid-out Chinese register on a fresh spreadsheet."""
    return sheets_store_factory("zh")


@pytest.fixture
def hand_kept(emulator, sheets_store_factory):
    """A store on a sheet a person keeps: columns in their own order, a width variant, an unknown column."""
    store = sheets_store_factory("zh", layout=False)
    emulator.add_sheet(CUSTOMERS, [HAND_KEPT_HEADERS, *HAND_KEPT_ROWS])
    emulator.add_sheet("备忘", [["随手记", "不要动"], ["周五开会"]])
    return store


def _customer(cid: str, name: str, **extra) -> dict:
    return {"customer_id": cid, "name": name, "stage": "prospect", "tier": "B", "created_at": AT, **extra}


def _added(*customers: dict) -> ChangeSet:
    changes = ChangeSet("alice@example.com", at=AT)
    for c in customers:
        changes.add("customers", c)
    return changes


def _updated(record_id: str, field: str, old, new, table: str = "customers") -> ChangeSet:
    changes = ChangeSet("bob@example.com", at=AT)
    changes.update(table, record_id, field, old, new)
    return changes


def _row_of(grid: list[list[str]], record_id: str) -> list[str]:
    return next(row for row in grid if record_id in row)


def _data_rows(grid: list[list[str]]) -> list[list[str]]:
    return [row for row in grid[1:] if any(row)]


# ---- layout --------------------------------------------------------------------------------------

def test_lays_out_every_tab_on_an_empty_spreadsheet(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", layout=False)
    added = store.ensure_layout("zh")
    assert added == [t.zh for t in schema.TABLES.values()]
    assert emulator.sheet_titles() == ["Sheet1", *added]


@pytest.mark.parametrize("table", list(schema.TABLES), ids=list(schema.TABLES))
def test_new_tab_gets_contract_headers_and_a_frozen_header_row(emulator, store, table):
    title = schema.TABLES[table].zh
    assert emulator.get_grid(title) == [schema.header_labels(table, "zh")]
    assert emulator.frozen_rows(title) == 1


@pytest.mark.parametrize("table, field", [("customers", "tier"), ("customers", "stage"), ("feedback", "priority"),
                                          ("transactions", "status"), ("interactions", "channel")],
                         ids=["tier", "stage", "priority", "transaction-status", "channel"])
def test_choice_column_of_a_new_tab_gets_a_drop_down(emulator, store, table, field):
    t = schema.TABLES[table]
    column = chr(65 + t.keys.index(field))
    rule = emulator.validation_at(t.zh, f"{column}2")
    assert rule == {"condition": {"type": "ONE_OF_LIST",
                                  "values": [{"userEnteredValue": c.zh} for c in t.field(field).choices]},
                    "strict": False, "showCustomUi": True}


def test_header_row_has_no_drop_down(emulator, store):
    assert emulator.validation_at(CUSTOMERS, "I1") is None


def test_english_layout_uses_english_titles_and_headers(emulator, sheets_store_factory):
    sheets_store_factory("en")
    assert emulator.get_grid("Customers") == [schema.header_labels("customers", "en")]


def test_layout_costs_one_metadata_read_one_values_read_and_one_batch_update(emulator, hand_kept):
    emulator.reset_counts()
    hand_kept.ensure_layout("zh")
    assert emulator.counts == {"spreadsheets.get": 1, "values.batchGet": 1, "spreadsheets.batchUpdate": 1}


def test_second_layout_adds_and_writes_nothing(emulator, store):
    emulator.reset_counts()
    assert store.ensure_layout("zh") == []
    assert emulator.count("spreadsheets.batchUpdate") == 0


def test_layout_leaves_every_cell_a_person_typed_as_it_was(emulator, hand_kept):
    before = emulator.get_grid(CUSTOMERS)
    hand_kept.ensure_layout("zh")
    assert [row[:len(HAND_KEPT_HEADERS)] for row in emulator.get_grid(CUSTOMERS)] == before


def test_layout_adds_missing_columns_at_the_end_of_the_header(emulator, hand_kept):
    added = hand_kept.ensure_layout("zh")
    present = {"name", "customer_id", "budget", "stage", "tier"}
    missing = [f.zh for f in schema.CUSTOMERS.fields if f.key not in present]
    assert emulator.get_grid(CUSTOMERS)[0][len(HAND_KEPT_HEADERS):] == missing
    assert [a for a in added if a.startswith(CUSTOMERS)] == [f"{CUSTOMERS}: {label}" for label in missing]


def test_layout_gives_only_the_added_choice_columns_a_drop_down(emulator, hand_kept):
    hand_kept.ensure_layout("zh")
    size_column = chr(65 + emulator.get_grid(CUSTOMERS)[0].index("客户规模"))
    assert emulator.validation_at(CUSTOMERS, f"{size_column}2") is not None
    assert emulator.validation_at(CUSTOMERS, "F2") is None   # the hand-kept 客户级别 column


def test_layout_keeps_the_language_of_a_hand_kept_sheet(emulator, hand_kept):
    hand_kept.ensure_layout("en")
    assert "Contacts" not in emulator.sheet_titles()
    assert emulator.get_grid(CUSTOMERS)[0][len(HAND_KEPT_HEADERS)] == "所属行业"


def test_layout_leaves_unknown_tabs_untouched(emulator, hand_kept):
    hand_kept.ensure_layout("zh")
    assert emulator.get_grid("备忘") == [["随手记", "不要动"], ["周五开会", ""]]


def test_layout_fills_in_an_existing_empty_tab(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", layout=False)
    emulator.add_sheet("设置")
    store.ensure_layout("zh")
    assert (emulator.get_grid("设置"), emulator.frozen_rows("设置")) == ([["参数", "值", "说明"]], 1)


# ---- load ----------------------------------------------------------------------------------------

def test_load_is_one_batch_get_once_the_tabs_are_known(emulator, store):
    store.load()
    emulator.reset_counts()
    store.load()
    assert emulator.counts == {"values.batchGet": 1}


def test_first_load_of_a_new_store_also_reads_the_tab_list_once(emulator, store):
    fresh = SheetsStore(store.spreadsheet_id, endpoint=emulator.url)
    emulator.reset_counts()
    fresh.load()
    assert emulator.counts == {"spreadsheets.get": 1, "values.batchGet": 1}


def test_load_before_layout_gives_empty_tabs_with_contract_headers(sheets_store_factory):
    raw = sheets_store_factory("en", layout=False).load()
    assert set(raw.tabs) == set(schema.TABLES)
    assert raw.tabs["contacts"].headers == schema.header_labels("contacts", "en")
    assert raw.tabs["contacts"].rows == []


def test_load_returns_cells_as_people_see_them_and_unreadable_ones_as_typed(hand_kept):
    tab = hand_kept.load().tabs["customers"]
    assert [tab.cell(i, tab.column("budget")) for i in range(3)] == ["很多", "85000", "¥120,000"]


def test_load_finds_columns_by_header_whatever_their_order_and_width(hand_kept):
    tab = hand_kept.load().tabs["customers"]
    assert (tab.column("customer_id"), tab.column("stage")) == (1, 4)


def test_load_skips_blank_rows_but_keeps_sheet_row_numbers(emulator, hand_kept):
    emulator.insert_rows(CUSTOMERS, 3, [[]])
    tab = hand_kept.load().tabs["customers"]
    assert tab.row_numbers == [2, 4, 5]


def test_load_pads_short_rows_to_the_header_width(emulator, hand_kept):
    emulator.append_row(CUSTOMERS, ["广州新客户"])
    tab = hand_kept.load().tabs["customers"]
    assert tab.rows[-1] == ["广州新客户", "", "", "", "", ""]


@pytest.mark.parametrize("headers, lang", [(["Customer ID", "Customer name"], "en"), (["客户编号", "客户名称"], "zh")],
                         ids=["english", "chinese"])
def test_load_tells_the_language_from_the_headers(emulator, sheets_store_factory, headers, lang):
    store = sheets_store_factory("en" if lang == "zh" else "zh", layout=False)
    emulator.add_sheet(CUSTOMERS, [headers])
    assert store.load().lang == lang


def test_load_finds_a_tab_renamed_by_hand_after_its_title_was_cached(emulator, hand_kept):
    hand_kept.load()
    emulator.rename_sheet(CUSTOMERS, "Customers")
    assert hand_kept.load().tabs["customers"].title == "Customers"


# ---- save: request counts ------------------------------------------------------------------------

def test_save_of_one_new_row_is_one_read_and_one_batch_update(emulator, store):
    store.load()
    emulator.reset_counts()
    store.save(_added(_customer("C-000001", "Acme")))
    assert emulator.counts == {"values.batchGet": 1, "spreadsheets.batchUpdate": 1}


def test_save_of_one_update_is_one_read_and_one_batch_update(emulator, store):
    store.save(_added(_customer("C-000001", "Acme")))
    emulator.reset_counts()
    store.save(_updated("C-000001", "stage", "prospect", "customer"))
    assert emulator.counts == {"values.batchGet": 1, "spreadsheets.batchUpdate": 1}


def test_save_of_500_updates_and_500_new_rows_is_one_read_and_one_batch_update(emulator, store):
    store.save(_added(*[_customer(f"C-{i:06d}", f"客户{i}") for i in range(1, 501)]))
    changes = ChangeSet("manager@example.com", at=AT)
    for i in range(1, 501):
        changes.update("customers", f"C-{i:06d}", "tier", "B", "A", action="approve_tier")
        changes.add("contacts", {"contact_id": f"P-{i:06d}", "customer_id": f"C-{i:06d}", "name": f"联系人{i}"})
    emulator.reset_counts()
    store.save(changes)
    assert emulator.counts == {"values.batchGet": 1, "spreadsheets.batchUpdate": 1}
    assert len(_data_rows(emulator.get_grid("联系人"))) == 500
    assert {row[8] for row in _data_rows(emulator.get_grid(CUSTOMERS))} == {"A"}


def test_new_rows_and_their_audit_rows_land_in_the_same_batch_update(emulator, store):
    emulator.reset_counts()
    store.save(_added(_customer("C-000001", "Acme")))
    body, = emulator.bodies("spreadsheets.batchUpdate")
    appended = [r["appendCells"]["rows"][0]["values"][0] for r in body["requests"] if "appendCells" in r]
    assert appended == [{"userEnteredValue": {"stringValue": "C-000001"}},
                        {"userEnteredValue": {"stringValue": "2026-11-20 10:00"}}]


# ---- save: rows found by ID after hand edits -----------------------------------------------------

HAND_EDITS = {
    "hand-sort": lambda em: em.sort_rows(CUSTOMERS, "A", reverse=True),
    "rows-inserted-above": lambda em: em.insert_rows(CUSTOMERS, 2, [["广州新客户", "C-000009"], []]),
    "row-above-deleted": lambda em: em.delete_row(CUSTOMERS, 2),
    "columns-moved": lambda em: em.move_column(CUSTOMERS, "E", "A"),
    "header-retyped-as-alias": lambda em: em.rename_header(CUSTOMERS, "E", "阶段"),
}


@pytest.mark.parametrize("hand_edit", HAND_EDITS.values(), ids=HAND_EDITS.keys())
def test_update_lands_on_row_with_same_id_after_hand_edit(emulator, hand_kept, hand_edit):
    hand_kept.load()
    hand_edit(emulator)
    before = emulator.get_grid(CUSTOMERS)
    hand_kept.save(_updated("C-000003", "stage", "customer", "lost"))
    after = emulator.get_grid(CUSTOMERS)
    row, col = before.index(_row_of(before, "C-000003")), before[0].index(
        next(h for h in before[0] if schema.field_for_header("customers", h) == "stage"))
    expected = [list(r) for r in before]
    expected[row][col] = "流失"
    assert [r[:len(before[0])] for r in after] == expected


def test_hand_edit_of_the_same_field_is_a_conflict_and_nothing_is_written(emulator, hand_kept):
    hand_kept.load()
    emulator.set_cell(CUSTOMERS, "E4", "流失")
    before = emulator.get_grid(CUSTOMERS)
    emulator.reset_counts()
    with pytest.raises(ConflictError) as caught:
        hand_kept.save(_updated("C-000003", "stage", "customer", "interested"))
    assert [(c.record_id, c.current) for c in caught.value.conflicts] == [("C-000003", "lost")]
    assert (emulator.get_grid(CUSTOMERS), emulator.count("spreadsheets.batchUpdate")) == (before, 0)


def test_duplicate_id_is_refused_naming_both_rows(emulator, hand_kept):
    emulator.append_row(CUSTOMERS, ["重复的客户", "C-000002"])
    with pytest.raises(DuplicateIdError) as caught:
        hand_kept.save(_updated("C-000002", "stage", "prospect", "customer"))
    assert caught.value.rows == [3, 5]


def test_update_of_an_id_no_row_carries_is_refused(emulator, hand_kept):
    emulator.delete_row(CUSTOMERS, 3)
    with pytest.raises(RecordNotFound):
        hand_kept.save(_updated("C-000002", "stage", "prospect", "customer"))
    assert emulator.count("spreadsheets.batchUpdate") == 0


def test_update_of_a_row_without_an_id_is_skipped(emulator, hand_kept):
    changes = _updated("", "stage", None, "customer")
    changes.update("customers", "C-000002", "stage", "prospect", "customer")
    hand_kept.save(changes)
    assert [row[4] for row in _data_rows(emulator.get_grid(CUSTOMERS))] == ["意向", "成交", "成交"]


def test_id_for_a_row_added_by_hand_lands_on_that_row_after_a_hand_sort(emulator, hand_kept):
    emulator.append_row(CUSTOMERS, ["广州新客户", "", "", "", "潜在"])
    tab = hand_kept.load().tabs["customers"]
    emulator.sort_rows(CUSTOMERS, "A")
    changes = ChangeSet("app", at=AT)
    changes.assign_id("customers", tab.rows[-1], "C-000004")
    emulator.reset_counts()
    hand_kept.save(changes)
    assert _row_of(emulator.get_grid(CUSTOMERS), "广州新客户")[:5] == ["广州新客户", "C-000004", "", "", "潜在"]
    assert emulator.counts == {"values.batchGet": 1, "spreadsheets.batchUpdate": 1}


def test_unreadable_cell_is_never_rewritten_by_a_save_of_another_field(emulator, hand_kept):
    hand_kept.ensure_layout("zh")
    emulator.reset_counts()
    hand_kept.save(_updated("C-000001", "stage", "interested", "customer"))
    body, = emulator.bodies("spreadsheets.batchUpdate")
    written = [r["updateCells"]["start"] for r in body["requests"] if "updateCells" in r]
    assert [(c["rowIndex"], c["columnIndex"]) for c in written] == [(1, 4)]
    assert _row_of(emulator.get_grid(CUSTOMERS), "C-000001")[:6] == ["上海华信科技有限公司", "C-000001", "群A", "很多", "成交", "A"]


def test_field_without_a_column_gets_one_at_the_end_in_the_same_batch_update(emulator, hand_kept):
    hand_kept.load()
    emulator.reset_counts()
    hand_kept.save(_updated("C-000002", "owner", None, "bob@example.com"))
    grid = emulator.get_grid(CUSTOMERS)
    assert (grid[0][6:], _row_of(grid, "C-000002")[6:]) == (["负责人"], ["bob@example.com"])
    assert emulator.counts == {"values.batchGet": 1, "spreadsheets.batchUpdate": 1}


def test_new_column_past_the_grid_edge_widens_the_grid(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", layout=False)
    emulator.add_sheet(CUSTOMERS, [["客户编号", "客户名称"] + [f"自定义{i}" for i in range(24)], ["C-000001", "Acme"]])
    store.save(_updated("C-000001", "owner", None, "bob@example.com"))
    assert (emulator.grid_size(CUSTOMERS)[1], emulator.get_grid(CUSTOMERS)[0][26]) == (27, "负责人")


def test_new_row_for_a_missing_tab_creates_the_tab_in_the_same_batch_update(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", layout=False)
    emulator.reset_counts()
    store.save(_added(_customer("C-000001", "Acme")))
    assert _data_rows(emulator.get_grid(CUSTOMERS))[0][:2] == ["C-000001", "Acme"]
    assert emulator.get_grid(AUDIT)[0] == schema.header_labels("audit", "zh")
    assert emulator.count("spreadsheets.batchUpdate") == 1


# ---- save: text stays text -----------------------------------------------------------------------

@pytest.mark.parametrize("text", ['=HYPERLINK("http://example.com","点这里")', "=1+1", "010010", "+86 138 0013 8000",
                                  "2024-03-05", "TRUE", "'quoted"],
                         ids=["hyperlink", "formula", "leading-zero", "phone", "date-like", "boolean-like",
                              "apostrophe"])
def test_user_text_in_a_new_row_stays_exactly_as_typed(emulator, store, text):
    store.save(_added(_customer("C-000001", text, notes=text)))
    row = _row_of(emulator.get_grid(CUSTOMERS), "C-000001")
    assert (row[1], row[15], emulator.formulas_created) == (text, text, [])


def test_user_text_in_an_update_stays_exactly_as_typed(emulator, store):
    store.save(_added(_customer("C-000001", "Acme")))
    store.save(_updated("C-000001", "notes", None, "=1+1"))
    assert (_row_of(emulator.get_grid(CUSTOMERS), "C-000001")[15], emulator.formulas_created) == ("=1+1", [])


# ---- retries and failures ------------------------------------------------------------------------

def test_quota_burst_then_success_writes_each_row_once(emulator, store):
    emulator.fail_next(429, times=3)
    store.save(_added(_customer("C-000001", "Acme")))
    assert (len(_data_rows(emulator.get_grid(CUSTOMERS))), len(_data_rows(emulator.get_grid(AUDIT)))) == (1, 1)


def test_write_that_landed_but_answered_500_is_not_repeated(emulator, store):
    emulator.reset_counts()
    emulator.fail_next(500, method="spreadsheets.batchUpdate", apply=True)
    store.save(_added(_customer("C-000001", "Acme")))
    assert (len(_data_rows(emulator.get_grid(CUSTOMERS))), len(_data_rows(emulator.get_grid(AUDIT)))) == (1, 1)
    assert emulator.count("spreadsheets.batchUpdate") == 1


def test_first_save_that_created_the_tabs_but_answered_500_is_not_repeated(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", layout=False)
    emulator.fail_next(500, method="spreadsheets.batchUpdate", apply=True)
    store.save(_added(_customer("C-000001", "Acme")))
    assert (len(_data_rows(emulator.get_grid(CUSTOMERS))), len(_data_rows(emulator.get_grid(AUDIT)))) == (1, 1)


def test_update_that_landed_but_answered_500_is_not_a_conflict_on_retry(emulator, store):
    store.save(_added(_customer("C-000001", "Acme")))
    emulator.fail_next(500, method="spreadsheets.batchUpdate", apply=True)
    store.save(_updated("C-000001", "stage", "prospect", "customer"))
    assert _row_of(emulator.get_grid(CUSTOMERS), "C-000001")[7] == "成交"
    assert len(_data_rows(emulator.get_grid(AUDIT))) == 2


def test_connection_lost_after_the_write_landed_is_not_repeated(emulator, store):
    emulator.fail_next(DROP_CONNECTION, method="spreadsheets.batchUpdate", apply=True)
    store.save(_added(_customer("C-000001", "Acme")))
    assert (len(_data_rows(emulator.get_grid(CUSTOMERS))), len(_data_rows(emulator.get_grid(AUDIT)))) == (1, 1)


def test_retries_exhausted_raise_store_unavailable_and_write_nothing(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", max_retries=3)
    emulator.fail_next(503, times=4)
    with pytest.raises(StoreUnavailable):
        store.save(_added(_customer("C-000001", "Acme")))
    assert (_data_rows(emulator.get_grid(CUSTOMERS)), _data_rows(emulator.get_grid(AUDIT))) == ([], [])


def test_exhausted_quota_says_it_is_googles_per_minute_quota_and_nothing_was_saved(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", max_retries=2)
    emulator.fail_next(429, times=3)
    with pytest.raises(StoreUnavailable) as caught:
        store.save(_added(_customer("C-000001", "Acme")))
    assert "per-minute request quota" in caught.value.en and "nothing was saved" in caught.value.en
    assert "每分钟的请求配额" in caught.value.zh and "未保存" in caught.value.zh


def test_write_never_confirmed_says_it_may_have_been_saved(emulator, sheets_store_factory):
    store = sheets_store_factory("zh", max_retries=2)
    emulator.fail_next(500, times=3, method="spreadsheets.batchUpdate")
    with pytest.raises(SaveOutcomeUnknown) as caught:
        store.save(_added(_customer("C-000001", "Acme")))
    assert "may have been saved" in caught.value.en


def test_backoff_grows_and_never_exceeds_the_cap(emulator, sheets_store_factory):
    slept = []
    store = sheets_store_factory("zh", max_retries=8, backoff_base=1.0, sleep=slept.append)
    emulator.fail_next(429, times=8)
    store.load()
    assert slept[:5] == sorted(slept[:5]) and slept[0] <= 1.0
    assert len(slept) == 8 and max(slept) <= 30


def test_load_retries_a_server_error(emulator, store):
    emulator.fail_next(503)
    assert store.load().tabs["customers"].headers[0] == "客户编号"


# ---- errors from Google --------------------------------------------------------------------------

def test_no_access_says_to_share_the_sheet_with_the_service_account(emulator, store):
    shared = SheetsStore(store.spreadsheet_id, endpoint=emulator.url,
                         credentials_info={"client_email": "register@demo.iam.gserviceaccount.com"})
    emulator.fail_next(403)
    with pytest.raises(RegisterError) as caught:
        shared.load()
    assert "register@demo.iam.gserviceaccount.com" in caught.value.en
    assert "共享" in caught.value.zh


def test_unknown_spreadsheet_is_reported_as_not_found(emulator):
    with pytest.raises(RegisterError) as caught:
        SheetsStore("no-such-sheet", endpoint=emulator.url).load()
    assert "not found" in caught.value.en


def test_bad_request_is_a_register_error_not_a_gspread_exception(emulator, store):
    emulator.fail_next(400, times=2)
    with pytest.raises(RegisterError) as caught:
        store.load()
    assert "refused" in caught.value.en


def test_without_endpoint_or_credentials_the_error_names_the_setting():
    with pytest.raises(RegisterError) as caught:
        SheetsStore("abc")
    assert "gcp_service_account" in caught.value.en


# ---- clear, restore, addresses -------------------------------------------------------------------

def test_clear_empties_register_tabs_in_one_batch_update_and_keeps_headers(emulator, hand_kept):
    hand_kept.ensure_layout("zh")
    emulator.reset_counts()
    hand_kept.clear()
    assert emulator.count("spreadsheets.batchUpdate") == 1
    assert len(emulator.get_grid(CUSTOMERS)) == 1
    assert emulator.get_grid("备忘") == [["随手记", "不要动"], ["周五开会", ""]]


def test_save_after_clear_starts_below_the_header(emulator, store):
    store.save(_added(_customer("C-000001", "Acme")))
    store.clear()
    store.save(_added(_customer("C-000002", "Beta")))
    assert [row[0] for row in emulator.get_grid(CUSTOMERS)] == ["客户编号", "C-000002"]


def test_restore_writes_tabs_exactly_as_given(sheets_store_factory):
    rows = [["C-000001", "=1+1", "010010"]]
    raw = RawRegister({"customers": RawTab("customers", "客户档案", ["客户编号", "客户名称", "微信群"], rows, [2])}, "zh", AT)
    store = sheets_store_factory("zh", raw=raw, layout=False)
    tab = store.load().tabs["customers"]
    assert (tab.headers, tab.rows) == (["客户编号", "客户名称", "微信群"], rows)


def test_store_describes_where_the_register_is(emulator, store):
    sheet_id = store.spreadsheet_id
    assert (store.kind, store.location, store.link) == (
        "gsheets", f"gsheets://{sheet_id}", f"https://docs.google.com/spreadsheets/d/{sheet_id}")


@pytest.mark.parametrize("suffix", ["", "/", "/v4", "/v4/spreadsheets/"],
                         ids=["bare", "slash", "v4", "v4-spreadsheets"])
def test_endpoint_may_be_given_with_or_without_the_api_path(emulator, store, suffix):
    assert SheetsStore(store.spreadsheet_id, endpoint=emulator.url + suffix).load().lang == "zh"


@pytest.mark.parametrize("url, spreadsheet_id", [
    ("https://docs.google.com/spreadsheets/d/1AbC-d_EfGhIjKlMnOpQrStUv/edit#gid=0", "1AbC-d_EfGhIjKlMnOpQrStUv"),
    ("https://docs.google.com/spreadsheets/d/1AbC-d_EfGhIjKlMnOpQrStUv", "1AbC-d_EfGhIjKlMnOpQrStUv"),
    ("gsheets://1AbC-d_EfGhIjKlMnOpQrStUv", "1AbC-d_EfGhIjKlMnOpQrStUv"),
    (" 1AbC-d_EfGhIjKlMnOpQrStUv ", "1AbC-d_EfGhIjKlMnOpQrStUv"),
], ids=["edit-link", "bare-link", "gsheets-scheme", "plain-id"])
def test_parse_sheet_url_finds_the_spreadsheet_id(url, spreadsheet_id):
    assert parse_sheet_url(url) == spreadsheet_id


def test_parse_sheet_url_refuses_a_link_without_an_id():
    with pytest.raises(RegisterError):
        parse_sheet_url("https://docs.google.com/document/d/")
