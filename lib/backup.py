"""Backup and restore of the whole register as an xlsx file, the admin page's register-wide writes, and their CLI.

Decisions this module fixes:
- A backup holds every tab exactly as stored: one worksheet per tab, titled as the tab is, the
  header row as typed, every row and every column (also ones the app does not know). Every cell is
  an explicit text cell (number format "@"), so nothing becomes a number, date or formula in Excel.
  Characters XML cannot hold (control characters) are written in OOXML's `_xHHHH_` escape, and a
  literal `_xHHHH_` gets its underscore escaped, so reading the backup gives back the same text.
  The register's language and demo flag travel as custom document properties.
- A worksheet title Excel refuses (`[]:*?/\\`) falls back to the tab's label in the register's
  language; sheets that name no register tab are ignored on reading, and reported.
- Restore goes only into an empty register (a new sheet or database): it never mixes with data.
  It adds no audit row, so backup → restore → backup gives the same workbook.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.utils.exceptions import InvalidFileException

from lib import auth, exports, schema
from lib.errors import CellTooLong, RegisterError, ValidationError
from lib.i18n import t
from lib.register import Register, read_register
from lib.settings import DEFAULT_SETTINGS, default_rows, read_settings
from lib.store.base import MAX_CELL_CHARS, ChangeSet, RawRegister, RawTab, Store

TEXT_FORMAT = "@"
LANG_PROPERTY, DEMO_PROPERTY = "register.lang", "register.demo"
CLI_USER = auth.User("command-line", "命令行 / command line", "admin")   # whoever can run the CLI runs the server
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


# ---- backup ----------------------------------------------------------------------------------------

def escape_text(text: str) -> str:
    """Write text so an xlsx cell can hold it: control characters as `_xHHHH_`, a literal `_xHHHH_` kept."""
    text = _ESCAPED.sub(lambda m: "_x005F" + m.group(0), text)
    return _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def unescape_text(text: str) -> str:
    """Read text written by `escape_text` back as it was."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def sheet_title(tab: RawTab, lang: str) -> str:
    """The worksheet title of a tab: its stored title, or its label if Excel cannot take that title."""
    title = tab.title.strip()
    if not title or _BAD_TITLE.search(title) or len(title) > 31 or schema.table_for_title(title) != tab.table:
        return schema.TABLES[tab.table].label(lang)
    return title


def backup_xlsx(raw: RawRegister) -> bytes:
    """Write every tab of the register into an xlsx workbook, every cell as text."""
    book = Workbook(write_only=True)
    book.custom_doc_props.append(StringProperty(name=LANG_PROPERTY, value=raw.lang))
    book.custom_doc_props.append(StringProperty(name=DEMO_PROPERTY, value="1" if raw.demo else "0"))
    for key in schema.TABLES:
        tab = raw.tabs.get(key)
        if tab is None:
            continue
        sheet = book.create_sheet(sheet_title(tab, raw.lang))
        for line in [tab.headers, *tab.rows]:
            sheet.append([_text_cell(sheet, value) for value in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet, value) -> WriteOnlyCell | None:
    text = "" if value is None else str(value)
    if text == "":
        return None
    cell = WriteOnlyCell(sheet, value=escape_text(text))
    cell.data_type = "s"        # after the value: openpyxl would read "=…" as a formula, "#N/A" as an error
    cell.number_format = TEXT_FORMAT
    return cell


def backup_filename(now: datetime) -> str:
    """The file name a backup is offered under (`register-backup-20261120-1000.xlsx`)."""
    return f"register-backup-{now:%Y%m%d-%H%M}.xlsx"


def backup_for(store: Store, user: auth.User) -> bytes:
    """Read the whole register now and return its backup (admins only)."""
    auth.require(user, "backup")
    return backup_xlsx(store.load())


# ---- reading a backup ------------------------------------------------------------------------------

@dataclass
class BackupPreview:
    """What a backup file holds: the register to restore and the sheets that name no tab."""
    raw: RawRegister
    ignored: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(tab.rows) for tab in self.raw.tabs.values())

    def counts(self, lang: str) -> pd.DataFrame:
        """Rows and columns per tab, as the restore preview shows them."""
        return pd.DataFrame([{t("admin.col_tab", lang): schema.TABLES[key].label(lang),
                              t("admin.col_title", lang): tab.title,
                              t("admin.col_rows", lang): len(tab.rows),
                              t("admin.col_columns", lang): len(tab.headers)}
                             for key, tab in self.raw.tabs.items()])


def inspect_backup(data: bytes) -> BackupPreview:
    """Read a backup workbook into a register (tabs matched by title) and the sheets it ignores."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise RegisterError("这个文件不是可以读取的 Excel（.xlsx）备份文件，未做任何恢复。",
                            "This file is not a readable Excel (.xlsx) backup; nothing was restored.") from None
    props = {p.name: str(p.value) for p in book.custom_doc_props}
    tabs: dict[str, RawTab] = {}
    ignored = []
    for sheet in book.worksheets:
        key = schema.table_for_title(sheet.title)
        if key is None or key in tabs:
            ignored.append(sheet.title)
            continue
        tabs[key] = _read_sheet(key, sheet)
    book.close()
    lang = props.get(LANG_PROPERTY) or _guess_lang(tabs)
    lang = lang if lang in schema.LANGS else "zh"
    raw = RawRegister(tabs, lang, datetime.now().replace(microsecond=0), demo=props.get(DEMO_PROPERTY) == "1")
    return BackupPreview(raw, ignored)


def read_backup(data: bytes) -> RawRegister:
    """Read a backup workbook into a register ready to restore (unknown sheets ignored)."""
    return inspect_backup(data).raw


def _read_sheet(key: str, sheet) -> RawTab:
    lines = [[_cell_text(v) for v in line] for line in sheet.iter_rows(values_only=True)]
    width = max((max((i + 1 for i, v in enumerate(line) if v != ""), default=0) for line in lines), default=0)
    lines = [(line + [""] * width)[:width] for line in lines]
    headers = lines[0] if lines else []
    rows, numbers = [], []
    for number, line in enumerate(lines[1:], start=2):
        if any(v.strip() for v in line):
            rows.append(line)
            numbers.append(number)
    return RawTab(key, sheet.title, headers, rows, numbers)


def _cell_text(value) -> str:
    """A cell as text: backups hold text only; a hand-made workbook may hold numbers or dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == datetime.min.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return unescape_text(str(value))


def _guess_lang(tabs: dict[str, RawTab]) -> str:
    """The language most tab titles are written in (for workbooks without our properties)."""
    zh = sum(tab.title.strip() == schema.TABLES[key].zh for key, tab in tabs.items())
    en = sum(tab.title.strip().casefold() == schema.TABLES[key].en.casefold() for key, tab in tabs.items())
    return "en" if en > zh else "zh"


# ---- restore ---------------------------------------------------------------------------------------

def restore(store: Store, raw: RawRegister, user: auth.User,
            progress: Callable[[float], None] | None = None) -> None:
    """Load a backup into an empty register, reporting progress from 0 to 1 (admins only)."""
    auth.require(user, "backup")
    if not raw.tabs:
        raise RegisterError("备份文件中没有可识别的表，未做任何恢复。",
                            "The backup holds no tab the app recognises; nothing was restored.")
    if not store.is_empty():
        raise RegisterError(
            "只能恢复到空的客户档案（新的 Google 表格或数据库）中，而当前档案已有数据；未做任何恢复。",
            "A backup can only be restored into an empty register (a new Google Sheet or database), and this "
            "one already holds data; nothing was restored.")
    store.clear()  # leftover Settings rows (defaults, last visits) give way to the backup's
    store.restore(raw, progress=progress)
    store.ensure_layout(raw.lang)
    store.set_demo(raw.demo)


# ---- the admin page's other register-wide writes ---------------------------------------------------

def clear_demo(store: Store, reg: Register, user: auth.User, lang: str, now: datetime | None = None) -> None:
    """Remove the demo data (every tab's rows) and start the Settings tab from its defaults (admins only)."""
    auth.require(user, "settings")
    if not reg.raw.demo:
        raise RegisterError("这个客户档案不是演示数据，不能清空；未做任何改动。",
                            "This register is not demo data and cannot be cleared; nothing was changed.")
    store.clear()
    store.set_demo(False)
    changes = ChangeSet(user.email, at=now or datetime.now().replace(microsecond=0), lang=reg.lang)
    reason = t("admin.demo_cleared_reason", lang)
    for row in default_rows():
        changes.add("settings", row, reason=reason)
    store.save(changes)


def settings_rows(reg: Register) -> pd.DataFrame:
    """The Settings the admin page edits: every stored key plus DESIGN.md's defaults not yet stored.

    Per-user bookkeeping rows (`last_seen.…`) are left out. Column `stored` says whether a row exists.
    """
    frame = reg.frame("settings")
    frame = frame[~frame["key"].str.strip().str.casefold().str.startswith("last_seen.")]
    stored = pd.DataFrame({"key": frame["key"].str.strip(), "value": frame["value"],
                           "description": frame["description"], "stored": True})
    stored = stored[stored["key"] != ""].drop_duplicates("key")
    missing = [{"key": k, "value": v, "description": d, "stored": False}
               for k, (v, d) in DEFAULT_SETTINGS.items() if k not in set(stored["key"])]
    return pd.concat([stored, pd.DataFrame(missing, columns=stored.columns)], ignore_index=True)


def save_setting(store: Store, reg: Register, user: auth.User, key: str, value: str, description: str,
                 reason: str, lang: str, now: datetime | None = None) -> ChangeSet:
    """Change one setting's value and description, with the reason recorded (admins only)."""
    auth.require(user, "settings")
    key, value, description, reason = (str(v or "").strip() for v in (key, value, description, reason))
    if not key:
        raise ValidationError("请填写「参数」。", "Key is required.")
    if not reason:
        raise ValidationError("请填写「变更原因」：说明为什么修改这项设置。",
                              "Reason for the change is required: say why this setting changes.")
    for name, text in (("value", value), ("description", description)):
        if len(text) > MAX_CELL_CHARS:   # named here: the store would first trip over the audit row's copy
            raise CellTooLong(schema.SETTINGS.field(name).label(lang), len(text))
    if key in DEFAULT_SETTINGS and key in read_settings(pd.DataFrame({"key": [key], "value": [value]})).problems:
        raise ValidationError(f"「{key}」的值「{value[:80]}」无法识别，请参照说明填写；未保存。",
                              f"The value “{value[:80]}” of {key} cannot be read; follow its description. "
                              "Nothing was saved.")
    rows = settings_rows(reg)
    current = rows[rows["key"] == key]
    changes = ChangeSet(user.email, at=now or datetime.now().replace(microsecond=0), lang=reg.lang)
    if current.empty or not bool(current.iloc[0]["stored"]):
        changes.add("settings", {"key": key, "value": value, "description": description},
                    reason=reason, action="settings")
    else:
        before = current.iloc[0]
        for name, new in (("value", value), ("description", description)):
            if str(before[name]) != new:
                changes.update("settings", key, name, str(before[name]), new, reason=reason, action="settings")
    if not changes:
        raise ValidationError("没有修改任何内容。", "Nothing was changed.")
    store.save(changes)
    return changes


# ---- exports ---------------------------------------------------------------------------------------

def tab_frame(tab: RawTab) -> pd.DataFrame:
    """One tab as stored, as a frame of text with the stored headers (unknown columns included)."""
    width = len(tab.headers)
    return pd.DataFrame([(row + [""] * width)[:width] for row in tab.rows],
                        columns=[h or f"({i + 1})" for i, h in enumerate(tab.headers)])


def export_tables(raw: RawRegister, table: str | None) -> dict[str, pd.DataFrame]:
    """Frames to export, by worksheet title: one table, or every table when `table` is None."""
    keys = [table] if table else list(raw.tabs)
    return {sheet_title(raw.tabs[k], raw.lang): tab_frame(raw.tabs[k]) for k in keys if k in raw.tabs}


# ---- command line (lib.admin) ----------------------------------------------------------------------

def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add `backup`, `restore`, `export` and `health` to `python -m lib.admin`."""
    commands = [
        ("backup", "write every tab of the register into an xlsx file", _cli_backup),
        ("restore", "load a backup into an empty register", _cli_restore),
        ("export", "write one tab (csv or xlsx) or every tab (xlsx) with formulas neutralised", _cli_export),
        ("health", "print row counts and every data problem with tab, row and column", _cli_health),
    ]
    parsers = {}
    for name, help_text, run in commands:
        parsers[name] = p = sub.add_parser(name, help=help_text)
        p.add_argument("--lang", choices=schema.LANGS, default=os.environ.get("REGISTER_LANG", "zh"),
                       help="language of messages and reports (default: REGISTER_LANG, else zh)")
        p.set_defaults(run=run)
    parsers["backup"].add_argument("--out", required=True, help="the xlsx file to write")
    parsers["restore"].add_argument("file", help="the xlsx backup to load")
    parsers["restore"].add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parsers["export"].add_argument("--out", required=True, help="the file to write")
    parsers["export"].add_argument("--table", default="customers", choices=[*schema.TABLES, "all"],
                                   help="the tab to export, or all (xlsx only); default customers")
    parsers["export"].add_argument("--format", choices=["csv", "xlsx"], help="default: from the file name")


def _store() -> Store:
    from lib.store import store_from_environment
    return store_from_environment()


def _cli_backup(args) -> int:
    store = _store()
    data = backup_for(store, CLI_USER)
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"{args.out}: {len(data)} bytes ({store.kind} {store.location})")
    return 0


def _cli_restore(args) -> int:
    with open(args.file, "rb") as f:
        preview = inspect_backup(f.read())
    store = _store()
    print(preview.counts(args.lang).to_string(index=False))
    for title in preview.ignored:
        print(f"ignored sheet: {title}")
    if not args.yes:
        answer = input(f"Restore {preview.rows} rows into {store.kind} {store.location}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was restored.")
            return 1
    restore(store, preview.raw, CLI_USER, progress=lambda done: print(f"{done:.0%}", file=sys.stderr))
    print(f"Restored {preview.rows} rows.")
    return 0


def _cli_export(args) -> int:
    kind = args.format or ("xlsx" if args.out.lower().endswith(".xlsx") else "csv")
    if kind == "csv" and args.table == "all":
        raise RegisterError("CSV 只能导出一张表，请指定 --table 或改用 --format xlsx。",
                            "A CSV holds one tab: name it with --table, or use --format xlsx.")
    frames = export_tables(_store().load(), None if args.table == "all" else args.table)
    data = exports.to_xlsx_bytes(frames) if kind == "xlsx" else exports.to_csv_bytes(next(iter(frames.values())))
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"{args.out}: {sum(len(f) for f in frames.values())} rows")
    return 0


def _cli_health(args) -> int:
    from lib import home
    reg = read_register(_store().load())
    print(home.counts_table(reg, args.lang).to_string(index=False))
    problems = home.health_table(reg, args.lang)
    print()
    if problems.empty:
        print(t("home.healthy", args.lang))
    else:
        print(t("home.problems", args.lang, n=len(problems)))
        print(problems.to_string(index=False))
    return 0
