"""Moving a hand-kept Google Sheet to PostgreSQL keeps every tab, header, row and cell as people see them."""
from __future__ import annotations

import itertools

import pytest

from lib import admin
from lib.migrate import content_checksum, migrate, row_counts
from lib.store.sql import SqlStore

_databases = itertools.count()
CUSTOMER_HEADERS = ["客户名称", "ＣＵＳＴＯＭＥＲ ＩＤ", "微信群", "采购预算", "合作阶段", "客户级别", "下次回访"]
CUSTOMER_ROWS = [
    ["上海华信科技有限公司", "C-000001", "群A", "很多", "意向", "A", "2024/3/5"],
    ["北京启明软件", "C-000002", "", "85000", "潜在", "b级", ""],
    [],                                                                       # a blank row left by hand
    ["深圳远航物流", "C-000003", "群C", "¥120,000", "成交客户", "A", "2023年4月18日"],
    ["苏州嘉禾食品", "", "", "3万5千", "", "", ""],                            # added by hand without an ID
]
CONTACT_HEADERS = ["姓名", "客户编号", "电话", "主要联系人", "联系人编号", "备注（旧）"]
CONTACT_ROWS = [
    ["王伟", "C-000001", "+86 138 0000 0001", "是", "P-000001", "老板的同学"],
    ["Emily Tan", "C-000003", "010010", "N", "P-000002", ""],
]


@pytest.fixture
def hand_kept_sheet(sheets_emulator, sheets_store_factory):
    """A sheet a team keeps by hand: Chinese tab titles and headers in their own order, a full-width
    header, an unknown column, unreadable and hand-typed cells, a blank row and a row without an ID."""
    source = sheets_store_factory("zh", layout=False)
    sheets_emulator.add_sheet("客户档案", [CUSTOMER_HEADERS, *CUSTOMER_ROWS])
    sheets_emulator.add_sheet("联系人", [CONTACT_HEADERS, *CONTACT_ROWS])
    return source


@pytest.fixture
def empty_postgresql(postgres):
    return SqlStore(postgres.create_database(f"from_sheet_{next(_databases)}"), lang="zh")


def test_hand_kept_sheet_moves_with_identical_row_counts(hand_kept_sheet, empty_postgresql):
    report = migrate(hand_kept_sheet, empty_postgresql)

    assert report["counts_after"] == report["counts_before"] == row_counts(hand_kept_sheet.load())


def test_hand_kept_sheet_moves_with_an_identical_checksum(hand_kept_sheet, empty_postgresql):
    report = migrate(hand_kept_sheet, empty_postgresql)

    assert report["checksum_after"] == report["checksum_before"] == content_checksum(hand_kept_sheet.load())


def test_move_reports_identical(hand_kept_sheet, empty_postgresql):
    assert migrate(hand_kept_sheet, empty_postgresql)["identical"]


def test_postgresql_register_reads_back_the_same_content_as_the_sheet(hand_kept_sheet, empty_postgresql):
    migrate(hand_kept_sheet, empty_postgresql)

    assert content_checksum(empty_postgresql.load()) == content_checksum(hand_kept_sheet.load())


def test_chinese_titles_and_headers_arrive_exactly_as_typed(hand_kept_sheet, empty_postgresql):
    migrate(hand_kept_sheet, empty_postgresql)

    tab = empty_postgresql.load().tabs["customers"]
    assert (tab.title, tab.headers) == ("客户档案", CUSTOMER_HEADERS)


def test_unknown_column_arrives_with_its_cells(hand_kept_sheet, empty_postgresql):
    migrate(hand_kept_sheet, empty_postgresql)

    tab = empty_postgresql.load().tabs["customers"]
    assert [row[2] for row in tab.rows] == ["群A", "", "群C", ""]


def test_unknown_column_of_a_second_tab_arrives_with_its_cells(hand_kept_sheet, empty_postgresql):
    migrate(hand_kept_sheet, empty_postgresql)

    tab = empty_postgresql.load().tabs["contacts"]
    assert (tab.headers[-1], [row[-1] for row in tab.rows]) == ("备注（旧）", ["老板的同学", ""])


@pytest.mark.parametrize(("row", "column", "text"), [
    (0, 3, "很多"),            # unreadable money: kept as typed
    (1, 5, "b级"),             # a choice variant
    (2, 3, "¥120,000"),
    (2, 4, "成交客户"),
    (2, 6, "2023年4月18日"),
    (3, 3, "3万5千"),
], ids=["unreadable budget", "tier variant", "yuan with separators", "stage variant", "chinese date",
        "chinese number"])
def test_hand_typed_cell_arrives_as_typed(hand_kept_sheet, empty_postgresql, row, column, text):
    migrate(hand_kept_sheet, empty_postgresql)

    assert empty_postgresql.load().tabs["customers"].rows[row][column] == text


def test_row_added_by_hand_without_an_id_arrives_without_one(hand_kept_sheet, empty_postgresql):
    migrate(hand_kept_sheet, empty_postgresql)

    assert empty_postgresql.load().tabs["customers"].rows[3][:2] == ["苏州嘉禾食品", ""]


def test_cells_people_typed_as_numbers_arrive_as_the_sheet_shows_them(hand_kept_sheet, empty_postgresql):
    migrate(hand_kept_sheet, empty_postgresql)

    phones = [row[2] for row in empty_postgresql.load().tabs["contacts"].rows]
    assert phones == [row[2] for row in hand_kept_sheet.load().tabs["contacts"].rows]


def test_tabs_that_are_not_part_of_the_register_are_named_as_left_behind(hand_kept_sheet, empty_postgresql,
                                                                          sheets_emulator):
    sheets_emulator.add_sheet("老板的备忘", [["随手记"], ["周五开会"]])
    sheets_emulator.add_sheet("客户档案（旧）", [CUSTOMER_HEADERS, CUSTOMER_ROWS[0]])

    report = migrate(hand_kept_sheet, empty_postgresql)

    assert report["identical"]
    assert report["left_behind"] == ["老板的备忘", "客户档案（旧）"]


def test_a_register_with_only_its_own_tabs_leaves_nothing_behind(hand_kept_sheet, empty_postgresql):
    assert migrate(hand_kept_sheet, empty_postgresql)["left_behind"] == []


def test_the_migrate_command_names_the_tabs_it_left_behind(hand_kept_sheet, sheets_emulator, tmp_path, monkeypatch,
                                                            capsys):
    sheets_emulator.add_sheet("老板的备忘", [["随手记"]])
    monkeypatch.setenv("SHEETS_API_ENDPOINT", sheets_emulator.url)
    target = f"sqlite:///{tmp_path / 'moved.db'}"

    code = admin.main(["migrate", "--from", f"gsheets://{hand_kept_sheet.spreadsheet_id}", "--to", target])

    out = capsys.readouterr().out
    assert code == 0 and "identical: yes" in out
    assert "not moved (tabs that are not part of the register" in out and "老板的备忘" in out
