"""Exports people open in Excel, WPS or Sheets: Chinese survives, formulas never run, numbers stay numbers."""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from lib import exports


def _sheet(data: bytes, name: str | None = None):
    book = load_workbook(io.BytesIO(data))
    return book[name] if name else book.worksheets[0]


def _values(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("text, written", [
    ("=HYPERLINK(\"http://x\",\"go\")", "'=HYPERLINK(\"http://x\",\"go\")"),
    ("+86 138", "'+86 138"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"),
    ("\rCR", "'\rCR"),
    ("-12.5", "-12.5"),
    ("+42", "+42"),
    ("上海华信", "上海华信"),
    ("a=b", "a=b"),
], ids=["equals", "plus", "minus-formula", "at", "tab", "carriage-return", "negative-number-text",
        "signed-number-text", "chinese", "equals-inside"])
def test_neutralise_quotes_text_that_a_spreadsheet_would_run(text, written):
    assert exports.neutralise(text) == written


def test_neutralise_leaves_typed_numbers_alone():
    assert exports.neutralise(-5.0) == -5.0


def test_csv_starts_with_a_bom_so_excel_reads_chinese():
    data = exports.to_csv_bytes(pd.DataFrame({"客户名称": ["上海华信科技有限公司"]}))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["客户名称", "上海华信科技有限公司"]


def test_csv_neutralises_formulas_and_keeps_negative_numbers():
    frame = pd.DataFrame({"name": ["=1+1", "ok"], "profit": [-500.0, 1200.5]})
    lines = exports.to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert lines == ["name,profit", "'=1+1,-500", "ok,1200.5"]


def test_csv_writes_dates_and_leaves_missing_values_empty():
    frame = pd.DataFrame({"due": pd.to_datetime(["2026-11-20", None, "2026-11-21 14:30"], format="mixed"),
                          "amount": [1.0, float("nan"), None]})
    lines = exports.to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["2026-11-20,1", ",", "2026-11-21 14:30,"]


def test_xlsx_keeps_numbers_numeric_and_formulas_as_quoted_text():
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "Acme"], "profit": [-500.0, 12]})
    sheet = _sheet(exports.to_xlsx_bytes({"客户": frame}))
    assert _values(sheet) == [["name", "profit"], ["'=cmd|' /C calc'!A0", -500], ["Acme", 12]]
    assert sheet.cell(row=2, column=1).data_type == "s"


def test_xlsx_writes_dates_as_dates():
    frame = pd.DataFrame({"due": pd.to_datetime(["2026-11-20"]), "at": [datetime(2026, 11, 20, 9, 30)],
                          "day": [date(2026, 1, 2)]})
    sheet = _sheet(exports.to_xlsx_bytes({"s": frame}))
    row = [c.value for c in sheet[2]]
    assert row == [datetime(2026, 11, 20), datetime(2026, 11, 20, 9, 30), datetime(2026, 1, 2)]
    assert sheet.cell(row=2, column=2).number_format == "yyyy-mm-dd hh:mm"


def test_xlsx_writes_one_sheet_per_frame_with_valid_unique_names():
    frames = {"客户/列表": pd.DataFrame({"a": [1]}), "客户_列表": pd.DataFrame({"b": [2]}), "x" * 40: pd.DataFrame()}
    book = load_workbook(io.BytesIO(exports.to_xlsx_bytes(frames)))
    assert book.sheetnames == ["客户_列表", "客户_列表 (2)", "x" * 31]


def test_xlsx_drops_control_characters_a_workbook_cannot_hold():
    sheet = _sheet(exports.to_xlsx_bytes({"s": pd.DataFrame({"note": ["line\x07bell"]})}))
    assert sheet.cell(row=2, column=1).value == "linebell"
