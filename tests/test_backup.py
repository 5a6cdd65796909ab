"""Backup to xlsx, restore into an empty register, the round trip on every backend, and the admin commands."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from lib import admin, auth, backup, demo, schema
from lib.errors import PermissionDenied, RegisterError
from lib.store.base import RawRegister, RawTab
from lib.store.sql import SqlStore

ADMIN = auth.User("boss@example.com", "Boss", "admin")
MANAGER = auth.User("manager@example.com", "Manager", "manager")
TRICKY_TEXTS = ["=SUM(A1:A3)", "+86 138 0013 8000", "-5", "@mention", "00123", "#N/A", "TRUE", "1.2万",
                "2024/3/5", "two\nlines", "_x0041_ stays", "  spaced  "]


def tricky_register(lang: str = "zh") -> RawRegister:
    """A small demo register with an unknown column and texts spreadsheets like to reinterpret."""
    raw = demo.generate(12, today=date(2026, 11, 20), lang=lang)
    customers = raw.tabs["customers"]
    customers.headers.append("微信群")
    for i, row in enumerate(customers.rows):
        row.append(TRICKY_TEXTS[i % len(TRICKY_TEXTS)])
    notes = customers.column("notes")
    for i, row in enumerate(customers.rows):
        row[notes] = TRICKY_TEXTS[-1 - i % len(TRICKY_TEXTS)]
    return raw


def sheets_of(data: bytes) -> dict[str, list[tuple]]:
    """Every worksheet's cell values (OOXML `_xHHHH_` escapes read as Excel reads them), by title."""
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(backup.unescape_text(c.value) if isinstance(c.value, str) else c.value for c in row)
                       for row in ws.iter_rows()] for ws in book.worksheets}


def stored_lines(tab: RawTab) -> list[tuple]:
    """A tab's header and rows as a worksheet shows them (empty cells as None)."""
    width = len(tab.headers)
    return [tuple(v if v != "" else None for v in (line + [""] * width)[:width]) for line in [tab.headers, *tab.rows]]


# ---- the workbook ----------------------------------------------------------------------------------

def test_backup_has_one_worksheet_per_tab_titled_as_stored():
    raw = tricky_register()
    assert list(sheets_of(backup.backup_xlsx(raw))) == [tab.title for tab in raw.tabs.values()]


def test_backup_holds_every_row_and_column_as_stored_including_unknown_ones():
    raw = tricky_register()
    assert sheets_of(backup.backup_xlsx(raw))["客户档案"] == stored_lines(raw.tabs["customers"])


@pytest.mark.parametrize("text", TRICKY_TEXTS, ids=repr)
def test_backup_writes_every_cell_as_text(text):
    raw = RawRegister({"settings": RawTab("settings", "设置", ["参数", "值", "说明"], [["k", text, ""]], [2])},
                      "zh", datetime.now())
    cell = load_workbook(io.BytesIO(backup.backup_xlsx(raw)))["设置"]["B2"]
    assert (backup.unescape_text(cell.value), cell.data_type, cell.number_format) == (text, "s", "@")


@pytest.mark.parametrize("text", ["bell\x07", "\x01start", "tab\tand\x1fend", "_x0007_ literally"], ids=repr)
def test_text_xml_cannot_hold_comes_back_unchanged(text):
    raw = RawRegister({"settings": RawTab("settings", "设置", ["参数", "值", "说明"], [["k", text, ""]], [2])},
                      "zh", datetime.now())
    assert backup.read_backup(backup.backup_xlsx(raw)).tabs["settings"].rows == [["k", text, ""]]


def test_backup_reads_back_into_the_same_register():
    raw = tricky_register("en")
    again = backup.read_backup(backup.backup_xlsx(raw))
    assert (again.lang, again.demo) == ("en", True)
    assert {k: (t.title, t.headers, t.rows) for k, t in again.tabs.items()} == \
        {k: (t.title, t.headers, t.rows) for k, t in raw.tabs.items()}


def test_worksheet_title_excel_refuses_falls_back_to_the_tab_label():
    raw = tricky_register()
    raw.tabs["contacts"].title = "联系人[旧]"
    assert "联系人" in sheets_of(backup.backup_xlsx(raw))


def test_reading_ignores_and_reports_sheets_that_are_no_register_tab():
    book = Workbook()
    book.active.title = "Customers"
    book.active.append(["Customer ID", "Customer name"])
    book.active.append(["C-000001", "Harbor Foods"])
    book.create_sheet("Pivot 2024").append(["whatever"])
    out = io.BytesIO()
    book.save(out)
    preview = backup.inspect_backup(out.getvalue())
    assert (list(preview.raw.tabs), preview.ignored, preview.raw.lang) == (["customers"], ["Pivot 2024"], "en")


def test_hand_made_workbook_numbers_and_dates_are_read_as_text():
    book = Workbook()
    book.active.title = "客户档案"
    book.active.append(["客户编号", "采购预算", "下次回访"])
    book.active.append(["C-000001", 120000, datetime(2026, 12, 1)])
    out = io.BytesIO()
    book.save(out)
    assert backup.read_backup(out.getvalue()).tabs["customers"].rows == [["C-000001", "120000", "2026-12-01"]]


def test_a_file_that_is_not_xlsx_is_refused_with_a_message():
    with pytest.raises(RegisterError, match="not a readable Excel"):
        backup.inspect_backup(b"name,phone\nHarbor,123\n")


# ---- restore ---------------------------------------------------------------------------------------

def test_backup_restore_backup_gives_identical_content(make_store):
    first = backup.backup_xlsx(make_store(lang="zh", raw=tricky_register()).load())
    target = make_store(lang="zh")
    backup.restore(target, backup.read_backup(first), ADMIN)
    assert sheets_of(backup.backup_xlsx(target.load())) == sheets_of(first)


def test_restore_refuses_a_register_that_holds_data(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/full.db")
    store.restore(tricky_register())
    with pytest.raises(RegisterError, match="only be restored into an empty register"):
        backup.restore(store, tricky_register(), ADMIN)


def test_restore_is_refused_to_a_manager(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(PermissionDenied):
        backup.restore(store, tricky_register(), MANAGER)
    assert store.is_empty()


def test_restore_reports_progress_up_to_done(tmp_path):
    done = []
    backup.restore(SqlStore(f"sqlite:///{tmp_path}/empty.db"), tricky_register(), ADMIN, progress=done.append)
    assert (len(done), done[-1]) == (len(schema.TABLES), 1.0)


def test_restore_keeps_the_demo_mark_of_a_demo_backup(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/empty.db")
    backup.restore(store, tricky_register(), ADMIN)
    assert store.load().demo


# ---- command line ----------------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Return `run(*argv)`: the exit code of `python -m lib.admin …` against the SQLite register in tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REGISTER_URL", f"sqlite:///{tmp_path}/register.db")
    return lambda *argv: admin.main(list(argv))


@pytest.fixture
def seeded(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/register.db")
    store.restore(tricky_register())
    store.ensure_layout("zh")
    return store


def test_backup_command_writes_the_register_to_a_file(cli, seeded, tmp_path):
    assert cli("backup", "--out", str(tmp_path / "b.xlsx")) == 0
    assert sheets_of((tmp_path / "b.xlsx").read_bytes()) == sheets_of(backup.backup_xlsx(seeded.load()))


def test_restore_command_with_yes_loads_an_empty_register(cli, seeded, tmp_path, monkeypatch):
    (tmp_path / "b.xlsx").write_bytes(backup.backup_xlsx(seeded.load()))
    monkeypatch.setenv("REGISTER_URL", f"sqlite:///{tmp_path}/new.db")
    assert cli("restore", str(tmp_path / "b.xlsx"), "--yes") == 0
    assert len(SqlStore(f"sqlite:///{tmp_path}/new.db").load().tabs["customers"].rows) == 12


def test_restore_command_asks_first_and_stops_without_yes(cli, seeded, tmp_path, monkeypatch):
    (tmp_path / "b.xlsx").write_bytes(backup.backup_xlsx(seeded.load()))
    monkeypatch.setenv("REGISTER_URL", f"sqlite:///{tmp_path}/new.db")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli("restore", str(tmp_path / "b.xlsx")) == 1
    assert SqlStore(f"sqlite:///{tmp_path}/new.db").is_empty()


def test_restore_command_refuses_a_register_with_data(cli, seeded, tmp_path, capsys):
    (tmp_path / "b.xlsx").write_bytes(backup.backup_xlsx(seeded.load()))
    assert cli("restore", str(tmp_path / "b.xlsx"), "--yes", "--lang", "en") == 1
    assert "only be restored into an empty register" in capsys.readouterr().err


def test_health_command_lists_counts_and_every_problem_with_its_place(cli, seeded, capsys):
    raw = seeded.load()
    seeded.clear()
    raw.tabs["customers"].rows[0][raw.tabs["customers"].column("budget")] = "about 5k"
    seeded.restore(raw)
    assert cli("health", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert "Customers" in out and "row 2" in out and "about 5k" in out


def test_export_command_writes_one_tab_as_csv_with_formulas_neutralised(cli, seeded, tmp_path):
    assert cli("export", "--out", str(tmp_path / "c.csv"), "--table", "customers") == 0
    text = (tmp_path / "c.csv").read_bytes().decode("utf-8-sig")
    assert "客户名称" in text and "微信群" in text and "\n=SUM" not in text and ",=SUM" not in text


def test_export_command_writes_every_tab_to_xlsx(cli, seeded, tmp_path):
    assert cli("export", "--out", str(tmp_path / "all.xlsx"), "--table", "all") == 0
    assert set(sheets_of((tmp_path / "all.xlsx").read_bytes())) == {t.title for t in seeded.load().tabs.values()}
