"""The app on a Google Sheet (through the emulator): lays out an empty sheet, respects a hand-kept one."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import schema
from tests.conftest import ROOT


@pytest.fixture
def open_app(sheets_emulator, monkeypatch):
    """Return `run(spreadsheet_id, lang)`: the home page of the app on that spreadsheet."""
    def run(spreadsheet_id: str, lang: str = "zh") -> AppTest:
        monkeypatch.setenv("REGISTER_URL", f"gsheets://{spreadsheet_id}")
        monkeypatch.setenv("SHEETS_API_ENDPOINT", sheets_emulator.url)
        monkeypatch.setenv("REGISTER_LANG", lang)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        at.run()
        return at
    return run


def test_app_lays_out_every_tab_on_an_empty_spreadsheet(sheets_emulator, open_app):
    sheet_id = sheets_emulator.create_spreadsheet()
    at = open_app(sheet_id, "zh")
    assert not at.exception
    titles = sheets_emulator.sheet_titles(spreadsheet_id=sheet_id)
    assert set(titles) >= {t.zh for t in schema.TABLES.values()}
    assert sheets_emulator.get_grid("客户档案", spreadsheet_id=sheet_id)[0] == schema.header_labels("customers", "zh")
    assert sheets_emulator.frozen_rows("客户档案", spreadsheet_id=sheet_id) == 1


def test_app_lays_out_english_labels_when_chosen(sheets_emulator, open_app):
    sheet_id = sheets_emulator.create_spreadsheet()
    open_app(sheet_id, "en")
    assert "Customers" in sheets_emulator.sheet_titles(spreadsheet_id=sheet_id)


def test_app_changes_nothing_a_person_typed_apart_from_missing_ids(sheets_emulator, open_app):
    sheet_id = sheets_emulator.create_spreadsheet(sheets=("客户档案",))
    typed = [["客户名称", "客户编号", "采购预算", "微信群", "下次回访"],
             ["上海华信科技有限公司", "C-000001", "¥120,000", "群A", "2024年3月5日"],
             ["ＡＣＭＥ（中国）", "", "很多", "", "2024/02/30"],
             ["北京恒通物流有限公司", "C-000002", "1.2万", "群B", "45000"]]
    for r, row in enumerate(typed, start=1):
        for c, value in enumerate(row):
            if value:
                sheets_emulator.set_cell("客户档案", f"{'ABCDE'[c]}{r}", value, spreadsheet_id=sheet_id)
    at = open_app(sheet_id, "zh")
    assert not at.exception
    grid = sheets_emulator.get_grid("客户档案", spreadsheet_id=sheet_id)
    assert [row[:5] for row in grid[:4]] == [typed[0], typed[1], ["ＡＣＭＥ（中国）", "C-000003", "很多", "", "2024/02/30"],
                                             typed[3]]
    assert sheets_emulator.formulas_created == []
    health = at.dataframe[-1].value
    assert {"很多", "2024/02/30"} <= {text for text in health.iloc[:, 3].str.extract(r"原文：(.*)）")[0].dropna()}
