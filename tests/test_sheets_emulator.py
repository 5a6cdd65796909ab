"""The Sheets API emulator behaves like Google where the backend relies on it (driven through real gspread)."""
from __future__ import annotations

import gspread
import pytest
import requests
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from lib.store.sheets import endpoint_session
from tests.sheets_emulator import DROP_CONNECTION, FORMULA_PLACEHOLDER
from tests.sheets_fixtures import sheets_emulator  # noqa: F401  (fixture)


@pytest.fixture
def book(sheets_emulator):
    """A fresh spreadsheet (one tab, "Sheet1") opened through gspread."""
    client = gspread.Client(auth=None, session=endpoint_session(sheets_emulator.url))
    opened = client.open_by_key(sheets_emulator.create_spreadsheet())
    sheets_emulator.reset_counts()
    return opened


@pytest.fixture
def sheet(sheets_emulator, book):
    """The spreadsheet's first tab; fetching it costs a request, which is not counted against a test."""
    first = book.sheet1
    sheets_emulator.reset_counts()
    return first


def _raw_cell_request(sheet_id: int, value: dict) -> dict:
    return {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                            "rows": [{"values": [{"userEnteredValue": value}]}], "fields": "userEnteredValue"}}


# ---- RAW and USER_ENTERED ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["010010", "=1+1", "+86 138 0013 8000", "2024-03-05", "'quoted", "TRUE"],
                         ids=["leading-zero", "formula", "phone", "date", "apostrophe", "boolean"])
def test_raw_input_is_stored_exactly_as_sent(sheets_emulator, sheet, text):
    sheet.update([[text]], "A1", value_input_option="RAW")
    assert sheet.acell("A1").value == text
    assert sheets_emulator.formulas_created == []


@pytest.mark.parametrize("typed, shown, unformatted", [
    ("010010", "10010", 10010),
    ("2024-03-05", "2024-03-05", 45356),
    ("+86 138 0013 8000", "+86 138 0013 8000", "+86 138 0013 8000"),
    ("'010010", "010010", "010010"),
    ("true", "TRUE", True),
], ids=["number-loses-leading-zero", "date-becomes-serial", "phone-stays-text", "apostrophe-forces-text", "boolean"])
def test_user_entered_input_is_parsed_like_sheets(sheet, typed, shown, unformatted):
    sheet.update([[typed]], "A1", value_input_option="USER_ENTERED")
    assert sheet.get("A1")[0][0] == shown
    assert sheet.get("A1", value_render_option="UNFORMATTED_VALUE")[0][0] == unformatted


def test_user_entered_formula_is_recorded_and_shows_a_computed_value(sheets_emulator, sheet):
    sheet.update([["=1+1", '=HYPERLINK("http://example.com","x")']], "A1", value_input_option="USER_ENTERED")
    assert sheet.get("A1:B1") == [["2", FORMULA_PLACEHOLDER]]
    assert sheet.get("A1:B1", value_render_option="FORMULA") == [["=1+1", '=HYPERLINK("http://example.com","x")']]
    assert [(f.sheet, f.cell, f.text) for f in sheets_emulator.formulas_created] == [
        ("Sheet1", "A1", "=1+1"), ("Sheet1", "B1", '=HYPERLINK("http://example.com","x")')]


def test_date_can_be_read_as_formatted_string_when_unformatted(sheet):
    sheet.update([["2024-03-05 14:30"]], "A1", value_input_option="USER_ENTERED")
    assert sheet.get("A1", value_render_option="UNFORMATTED_VALUE",
                     date_time_render_option="FORMATTED_STRING")[0][0] == "2024-03-05 14:30:00"


@pytest.mark.parametrize("value, shown, formula", [
    ({"stringValue": "=1+1"}, "=1+1", False),
    ({"stringValue": "010010"}, "010010", False),
    ({"numberValue": 10010}, "10010", False),
    ({"formulaValue": "=2*3"}, "6", True),
], ids=["string-formula-text", "string-leading-zero", "number", "formula"])
def test_update_cells_stores_user_entered_values_by_kind(sheets_emulator, book, sheet, value, shown, formula):
    book.batch_update({"requests": [_raw_cell_request(sheet.id, value)]})
    assert sheet.acell("A1").value == shown
    assert bool(sheets_emulator.formulas_created) is formula


def test_spreadsheets_create_makes_a_spreadsheet_with_the_given_tabs(sheets_emulator):
    client = gspread.Client(auth=None, session=endpoint_session(sheets_emulator.url))
    created = client.http_client.request("post", SPREADSHEETS_API_V4_BASE_URL, json={
        "properties": {"title": "客户档案"}, "sheets": [{"properties": {"title": "客户档案"}}]}).json()
    assert [s.title for s in client.open_by_key(created["spreadsheetId"]).worksheets()] == ["客户档案"]


def test_spreadsheet_metadata_lists_tabs_with_ids_and_grid_properties(book, sheet):
    sheet.freeze(rows=1)
    book.add_worksheet("联系人", rows=20, cols=4)
    tabs = [s["properties"] for s in book.fetch_sheet_metadata()["sheets"]]
    assert [(t["title"], t["index"], t["gridProperties"]) for t in tabs] == [
        ("Sheet1", 0, {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1}),
        ("联系人", 1, {"rowCount": 20, "columnCount": 4})]
    assert len({t["sheetId"] for t in tabs}) == 2


# ---- ranges --------------------------------------------------------------------------------------

def test_quoted_chinese_title_with_spaces_is_a_valid_range(book):
    tab = book.add_worksheet("客户 档案", rows=10, cols=5)
    tab.update([["客户编号", "客户名称"], ["C-000001", "Acme"]], "A1")
    assert book.values_get("'客户 档案'!A1:B2")["values"] == [["客户编号", "客户名称"], ["C-000001", "Acme"]]


def test_whole_tab_range_answers_the_grid_size(book):
    assert book.values_get("Sheet1")["range"] == "Sheet1!A1:Z1000"


def test_open_range_reads_to_the_last_row_with_data(sheet):
    sheet.update([["h1", "h2", "h3"], ["a", "b", "c"], ["d", "e", "f"]], "A1")
    assert sheet.get("B2:C") == [["b", "c"], ["e", "f"]]


def test_trailing_empty_cells_and_rows_are_left_out_and_gaps_kept(book, sheet):
    sheet.update([["a", "", "c", ""], ["", "", "", ""], ["x"], [""]], "A1")
    assert book.values_get("Sheet1!A1:D5")["values"] == [["a", "", "c"], [], ["x"]]


def test_batch_get_reads_several_tabs_in_one_request(sheets_emulator, book):
    book.add_worksheet("联系人", rows=5, cols=3).update([["姓名"]], "A1")
    sheets_emulator.reset_counts()
    answer = book.values_batch_get(["Sheet1", "'联系人'!1:1"])
    assert [vr.get("values") for vr in answer["valueRanges"]] == [None, [["姓名"]]]
    assert sheets_emulator.counts == {"values.batchGet": 1}


def test_write_beyond_the_grid_is_refused(sheet):
    with pytest.raises(APIError) as caught:
        sheet.update([["x"]], "A1001")
    assert (caught.value.code, caught.value.error["status"]) == (400, "INVALID_ARGUMENT")
    assert "exceeds grid limits" in caught.value.error["message"]


# ---- errors shaped like Google's -----------------------------------------------------------------

def test_unknown_tab_is_an_invalid_argument(book):
    with pytest.raises(APIError) as caught:
        book.values_get("'没有这个表'!A1")
    assert caught.value.error == {"code": 400, "message": "Unable to parse range: '没有这个表'!A1",
                                  "status": "INVALID_ARGUMENT"}


def test_unknown_spreadsheet_is_not_found(sheets_emulator):
    client = gspread.Client(auth=None, session=endpoint_session(sheets_emulator.url))
    with pytest.raises(gspread.SpreadsheetNotFound):
        client.open_by_key("no-such-sheet")


def test_injected_quota_error_is_shaped_like_googles_and_passes(sheets_emulator, sheet):
    sheets_emulator.fail_next(429)
    with pytest.raises(APIError) as caught:
        sheet.get_all_values()
    assert (caught.value.code, caught.value.error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert sheet.get("A1") == [[]]


def test_injected_fault_can_carry_retry_after(sheets_emulator, sheet):
    sheets_emulator.fail_next(429, retry_after=30)
    with pytest.raises(APIError) as caught:
        sheet.get_all_values()
    assert caught.value.response.headers.get("Retry-After") == "30"
    assert sheet.get("A1") == [[]]


def test_faults_can_target_one_method(sheets_emulator, book, sheet):
    sheets_emulator.fail_next(503, method="spreadsheets.batchUpdate")
    assert sheet.get("A1") == [[]]
    with pytest.raises(APIError) as caught:
        book.batch_update({"requests": [_raw_cell_request(sheet.id, {"stringValue": "x"})]})
    assert (caught.value.code, caught.value.error["status"]) == (503, "UNAVAILABLE")


def test_apply_then_fail_applies_the_write_but_answers_500(sheets_emulator, book, sheet):
    sheets_emulator.fail_next(500, method="spreadsheets.batchUpdate", apply=True)
    with pytest.raises(APIError) as caught:
        book.batch_update({"requests": [_raw_cell_request(sheet.id, {"stringValue": "landed"})]})
    assert caught.value.code == 500
    assert sheet.acell("A1").value == "landed"


def test_dropped_connection_is_a_connection_error(sheets_emulator, sheet):
    sheets_emulator.fail_next(DROP_CONNECTION)
    with pytest.raises(requests.ConnectionError):
        sheet.get_all_values()


# ---- batchUpdate ---------------------------------------------------------------------------------

def test_batch_update_is_all_or_nothing(sheets_emulator, book, sheet):
    with pytest.raises(APIError) as caught:
        book.batch_update({"requests": [
            _raw_cell_request(sheet.id, {"formulaValue": "=1+1"}),
            {"addSheet": {"properties": {"title": "新表"}}},
            _raw_cell_request(987654, {"stringValue": "nowhere"}),
        ]})
    assert "requests[2].updateCells" in caught.value.error["message"]
    assert (sheets_emulator.get_grid("Sheet1"), sheets_emulator.sheet_titles(), sheets_emulator.formulas_created) == (
        [], ["Sheet1"], [])


def test_add_sheet_accepts_a_chosen_id_usable_later_in_the_same_batch(sheets_emulator, book):
    reply = book.batch_update({"requests": [
        {"addSheet": {"properties": {"sheetId": 4242, "title": "设置",
                                     "gridProperties": {"rowCount": 50, "columnCount": 3}}}},
        _raw_cell_request(4242, {"stringValue": "参数"}),
    ]})
    assert reply["replies"][0]["addSheet"]["properties"]["sheetId"] == 4242
    assert sheets_emulator.get_grid("设置") == [["参数"]]


def test_add_sheet_with_a_title_in_use_is_refused(book):
    with pytest.raises(APIError) as caught:
        book.add_worksheet("sheet1", rows=5, cols=5)
    assert 'A sheet with the name "sheet1" already exists' in caught.value.error["message"]


def test_append_cells_lands_below_the_last_row_with_data(sheets_emulator, book, sheet):
    sheet.update([["h"], [""], ["x"]], "A1")
    book.batch_update({"requests": [{"appendCells": {"sheetId": sheet.id, "fields": "userEnteredValue", "rows": [
        {"values": [{"userEnteredValue": {"stringValue": "new"}}]}]}}]})
    assert sheets_emulator.get_grid("Sheet1") == [["h"], [""], ["x"], ["new"]]


def test_append_cells_wider_than_the_grid_is_refused(book):
    narrow = book.add_worksheet("窄", rows=5, cols=2)
    with pytest.raises(APIError):
        book.batch_update({"requests": [{"appendCells": {"sheetId": narrow.id, "fields": "userEnteredValue", "rows": [
            {"values": [{"userEnteredValue": {"stringValue": c}} for c in "abc"]}]}}]})


def test_cell_writes_without_a_field_mask_are_refused(book, sheet):
    request = _raw_cell_request(sheet.id, {"stringValue": "x"})
    del request["updateCells"]["fields"]
    with pytest.raises(APIError) as caught:
        book.batch_update({"requests": [request]})
    assert "At least one field must be updated" in caught.value.error["message"]


def test_insert_and_delete_rows_move_the_rows_below(sheets_emulator, sheet):
    sheet.update([["h"], ["a"], ["b"]], "A1")
    sheet.insert_rows([["new"]], row=2)
    sheet.delete_rows(4)
    assert sheets_emulator.get_grid("Sheet1") == [["h"], ["new"], ["a"]]


def test_sort_range_orders_numbers_then_text_and_leaves_blanks_last(sheets_emulator, sheet):
    sheet.update([["h", "n"], ["b", "1"], ["", "2"], ["A", "3"], ["10", "4"]], "A1", value_input_option="USER_ENTERED")
    sheet.sort((1, "asc"), range="A2:B5")
    assert sheets_emulator.get_grid("Sheet1") == [["h", "n"], ["10", "4"], ["A", "3"], ["b", "1"], ["", "2"]]


def test_frozen_rows_and_drop_down_validation_are_kept(sheets_emulator, book, sheet):
    sheet.freeze(rows=1)
    rule = {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "A"}]},
            "strict": False, "showCustomUi": True}
    book.batch_update({"requests": [{"setDataValidation": {
        "range": {"sheetId": sheet.id, "startRowIndex": 1, "startColumnIndex": 2, "endColumnIndex": 3},
        "rule": rule}}]})
    assert (sheets_emulator.frozen_rows("Sheet1"), sheets_emulator.validation_at("Sheet1", "C500"),
            sheets_emulator.validation_at("Sheet1", "C1")) == (1, rule, None)


def test_deleting_every_row_below_a_frozen_header_is_refused(book, sheet):
    sheet.freeze(rows=1)
    with pytest.raises(APIError) as caught:
        sheet.delete_rows(2, 1000)
    assert "freeze all visible rows" in caught.value.error["message"]


def test_values_append_goes_below_the_table(sheets_emulator, sheet):
    sheet.update([["h1", "h2"], ["a", "b"]], "A1")
    sheet.append_row(["c", "=1+1"], value_input_option="RAW")
    assert sheets_emulator.get_grid("Sheet1") == [["h1", "h2"], ["a", "b"], ["c", "=1+1"]]


def test_clear_and_batch_clear_empty_the_ranges(sheets_emulator, sheet):
    sheet.update([["a", "b"], ["c", "d"]], "A1")
    sheet.batch_clear(["A1"])
    sheet.batch_clear(["B2"])
    assert sheets_emulator.get_grid("Sheet1") == [["", "b"], ["c", ""]]
    sheet.clear()
    assert sheets_emulator.get_grid("Sheet1") == []


# ---- counting and hand edits ---------------------------------------------------------------------

def test_requests_are_counted_by_method_and_as_reads_or_writes(sheets_emulator, book, sheet):
    sheet.update([["a"]], "A1")
    sheet.get_all_values()
    book.values_batch_get(["Sheet1"])
    assert sheets_emulator.counts == {"values.update": 1, "values.get": 1, "values.batchGet": 1}
    assert (sheets_emulator.reads, sheets_emulator.writes) == (2, 1)
    sheets_emulator.reset_counts()
    assert sheets_emulator.count() == 0


def test_hand_edits_cost_no_requests_and_show_in_the_api(sheets_emulator, sheet):
    sheets_emulator.append_row("Sheet1", ["编号", "名称", "阶段"])
    sheets_emulator.append_row("Sheet1", ["C-2", "乙", "成交"])
    sheets_emulator.insert_rows("Sheet1", 2, [["C-1", "甲", "潜在"]])
    sheets_emulator.move_column("Sheet1", "C", "A")
    sheets_emulator.rename_header("Sheet1", "A", "合作阶段")
    sheets_emulator.sort_rows("Sheet1", "B", reverse=True)
    assert sheets_emulator.count() == 0
    assert sheet.get_all_values() == [["合作阶段", "编号", "名称"], ["成交", "C-2", "乙"], ["潜在", "C-1", "甲"]]


def test_hand_typed_values_are_parsed_like_user_entered(sheets_emulator, sheet):
    sheets_emulator.set_cell("Sheet1", "B3", "010010")
    assert (sheets_emulator.cell("Sheet1", "B3"), sheets_emulator.formulas_created) == ("10010", [])
