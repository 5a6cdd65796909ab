"""Import a customer list kept by hand (CSV or xlsx) into the register, and undo a whole import.

How a file is read:
- CSV in UTF-8 (with or without BOM), else GB18030 (which also reads GBK/GB2312); the delimiter
  (comma, tab, semicolon, |) is detected. xlsx with openpyxl, the first sheet unless one is
  chosen. A cell holding a formula is imported as its formula text (`=HYPERLINK(…)` as a name
  stays exactly that text) — the app never evaluates or re-creates formulas.
- The header row is the row among the first ten that names the most known columns (a title row
  above it is fine). Rows after the last non-blank row (empty formatting) are not rows of the list;
  every row in between is read and accounted for: rows read = imported + updated + skipped + rejected.
- Columns are matched by header in Chinese or English and their variants (schema.field_for_header);
  contact columns (联系人, 电话, 手机, 邮箱, 微信, 职位, 生日) fill the customer's primary contact.
  The mapping can be overridden column by column. A column that matches nothing (or a second
  column for a field already taken) is kept as an extra column: its values are appended to the
  customer's notes as "header: value" lines — never dropped.

What happens to each row:
- skipped: a blank row, a repeated header row, or a probable duplicate the user chose to skip;
- rejected: no customer name, a value that cannot be read (named with the problem and the text
  as typed), or a cell longer than a spreadsheet cell allows;
- a probable duplicate (lib.dedupe: similar name, same phone or e-mail — of a customer in the
  register or of an earlier row of the same file) is skipped, updates the existing customer, or is
  created anyway, row by row as chosen. Updating fills in the file's non-empty values (the name is
  kept, since it identified the match; extra columns are appended to the notes) and adds the
  contact unless that person is already there. A duplicate of an earlier row in the same file can
  only be skipped or created.
- A contact given without a name is saved under the name 「主要联系人」 / "Primary contact", and the
  row says so.

The whole import is one save, every audit row of it has action "import" and the batch ID
(`IMP-YYYYMMDD-HHMMSS`) in its reason, so `undo_import` can archive the customers it created and
put back the fields it changed, in one save. Contacts it added to existing customers stay (nothing is
ever deleted); the undo says how many.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lib import auth, cells, customers, dedupe, exports, schema
from lib.auth import User
from lib.errors import ValidationError
from lib.register import Register, read_register
from lib.store.base import MAX_CELL_CHARS, ChangeSet, Store

EXTRA = "extra"
DECISIONS = ("skip", "update", "create")
CLI_USER = User("cli", "命令行 / Command line", "admin")
CUSTOMER_TARGETS = customers.ENTRY_FIELDS
CONTACT_TARGETS = ("name", "title", "phone", "email", "wechat", "birthday")
HEADER_SCAN_ROWS = 10
BATCH_PATTERN = re.compile(r"IMP-\d{8}-\d{6}(?:-\d+)?")
_CONTACT_ALIASES = {schema.normalize_label(a): k for a, k in (
    ("联系人姓名", "name"), ("联系人名称", "name"), ("contact", "name"), ("contact name", "name"),
    ("contact person", "name"), ("联系人电话", "phone"), ("联系人手机", "phone"), ("联系方式", "phone"),
    ("phone number", "phone"), ("tel", "phone"), ("联系人邮箱", "email"), ("联系人职位", "title"),
    ("联系人微信", "wechat"), ("job title", "title"), ("position", "title"))}
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_TEXTS = {
    "blank": ("空行", "Blank row"),
    "header": ("重复的表头行", "Repeated header row"),
    "no_name": ("缺少「客户名称」", "Customer name is missing"),
    "too_long": ("「{label}」太长（{n} 个字符），单元格最多 50000 个字符", "{label} is too long ({n} characters; a cell holds at most 50,000)"),
    "unreadable": ("「{label}」：{problem}（原文：{text}）", "{label}: {problem} (as typed: {text})"),
    "duplicate_of": ("可能与 {who} 重复（{why}）", "Probably the same as {who} ({why})"),
    "in_file": ("与本文件第 {row} 行重复", "Same as row {row} of this file"),
    "skipped_duplicate": ("可能重复，按选择跳过：{detail}", "Probable duplicate, skipped as chosen: {detail}"),
    "contact_unnamed": ("联系人没有姓名，已记为「主要联系人」", "The contact had no name; saved as “Primary contact”"),
    "column": ("第 {n} 列", "Column {n}"),
}
UNNAMED_CONTACT = {"zh": "主要联系人", "en": "Primary contact"}


def _say(key: str, lang: str, **values) -> str:
    zh, en = _TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)


# ---- reading files -----------------------------------------------------------------------------

@dataclass
class SourceTable:
    """A list as read from a file: header texts, rows of raw cell values and their sheet row numbers."""
    filename: str
    headers: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    header_row: int = 1
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)


def read_file(data: bytes, filename: str, sheet: str | None = None) -> SourceTable:
    """Read a CSV or xlsx file into a SourceTable (header row found, trailing blank rows dropped)."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid, sheets, chosen = _xlsx_grid(data, sheet)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        grid, sheets, chosen = _csv_grid(data), [], None
    else:
        raise ValidationError(f"无法导入 {filename}：请使用 CSV 或 xlsx 文件。",
                              f"Cannot import {filename}: use a CSV or xlsx file.")
    return _table(filename, grid, sheets, chosen)


def _csv_grid(data: bytes) -> list[list[Any]]:
    for encoding in _CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover — gb18030 decodes every byte sequence
        raise ValidationError("无法识别文件编码，请另存为 UTF-8 的 CSV。", "Unknown file encoding; save the file as UTF-8 CSV.")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]


def _xlsx_grid(data: bytes, sheet: str | None) -> tuple[list[list[Any]], list[str], str]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as e:  # noqa: BLE001 — any unreadable workbook is the same message to the user
        raise ValidationError("无法打开这个 xlsx 文件，请确认它没有损坏或加密。",
                              "Couldn't open this xlsx file; check that it is not damaged or password-protected.") from e
    try:
        names = book.sheetnames
        chosen = sheet if sheet in names else names[0]
        grid = [list(row) for row in book[chosen].iter_rows(min_row=1, min_col=1, values_only=True)]
    finally:
        book.close()
    return grid, names, chosen


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(filename: str, grid: list[list[Any]], sheets: list[str], sheet: str | None) -> SourceTable:
    last = max((i for i, row in enumerate(grid) if not all(_blank(v) for v in row)), default=-1)
    grid = grid[:last + 1]
    if not grid:
        raise ValidationError("文件里没有数据。", "The file holds no data.")
    candidates = [i for i, row in enumerate(grid[:HEADER_SCAN_ROWS]) if not all(_blank(v) for v in row)]
    header_index = max(candidates, key=lambda i: (_known_headers(grid[i]), -i))
    width = max(len(row) for row in grid)
    headers = [cells.read(schema.CUSTOMERS.field("notes"), v).text.strip() if not _blank(v) else ""
               for v in grid[header_index]] + [""] * (width - len(grid[header_index]))
    used = max((j for j, h in enumerate(headers) if h), default=-1)
    for row in grid[header_index + 1:]:
        used = max(used, max((j for j, v in enumerate(row) if not _blank(v)), default=-1))
    headers = headers[:used + 1]
    rows = [(list(row) + [None] * len(headers))[:len(headers)] for row in grid[header_index + 1:]]
    numbers = list(range(header_index + 2, header_index + 2 + len(rows)))
    return SourceTable(filename, headers, rows, numbers, header_index + 1, sheet, sheets)


def _known_headers(row: list[Any]) -> int:
    return sum(1 for v in row if isinstance(v, str) and _target_candidates(v))


# ---- mapping columns ---------------------------------------------------------------------------

def _target_candidates(header: str) -> list[str]:
    """Fields a header may mean, in order of preference."""
    found = []
    key = schema.field_for_header("customers", header) if str(header).strip() else None
    if key in CUSTOMER_TARGETS:
        found.append(f"customers.{key}")
    contact_key = schema.field_for_header("contacts", header) if str(header).strip() else None
    contact_key = contact_key or _CONTACT_ALIASES.get(schema.normalize_label(header))
    if contact_key in CONTACT_TARGETS:
        found.append(f"contacts.{contact_key}")
    return found


def auto_mapping(headers: list[str]) -> list[str]:
    """Pick a target for each column by its header: a customer field, a contact field, or EXTRA."""
    taken: set[str] = set()
    out = []
    for header in headers:
        target = next((t for t in _target_candidates(header) if t not in taken), EXTRA)
        if target != EXTRA:
            taken.add(target)
        out.append(target)
    return out


def target_options(lang: str) -> dict[str, str]:
    """Every target a column can be mapped to, with its label, for the mapping editor."""
    options = {EXTRA: "（额外列：写入备注）" if lang == "zh" else "(extra column: added to notes)"}
    for key in CUSTOMER_TARGETS:
        options[f"customers.{key}"] = f"{schema.CUSTOMERS.label(lang)} · {schema.CUSTOMERS.field(key).label(lang)}"
    for key in CONTACT_TARGETS:
        options[f"contacts.{key}"] = f"{schema.CONTACTS.label(lang)} · {schema.CONTACTS.field(key).label(lang)}"
    return options


def mapping_frame(source: SourceTable, mapping: list[str], lang: str) -> pd.DataFrame:
    """Show each column with its header, first values and where it goes (for the preview)."""
    labels = target_options(lang)
    sample = lambda j: " · ".join(cells.read(schema.CUSTOMERS.field("notes"), r[j]).text  # noqa: E731
                                  for r in source.rows[:3] if not _blank(r[j]))[:80]
    return pd.DataFrame({"column": [_header(source, j, lang) for j in range(len(source.headers))],
                         "target": [labels[t] for t in mapping],
                         "sample": [sample(j) for j in range(len(source.headers))]})


def mapping_from(frame: pd.DataFrame, lang: str) -> list[str]:
    """Read the edited mapping table (target labels) back into one target per column."""
    by_label = {label: target for target, label in target_options(lang).items()}
    return [by_label.get(label, EXTRA) for label in frame["target"]]


def _header(source: SourceTable, j: int, lang: str) -> str:
    return source.headers[j] or _say("column", lang, n=j + 1)


def _check_mapping(mapping: list[str], width: int) -> list[str]:
    if len(mapping) != width:
        raise ValueError(f"mapping has {len(mapping)} targets for {width} columns")
    out, taken = [], set()
    for target in mapping:
        if target != EXTRA and target in taken:
            target = EXTRA   # a second column for the same field is kept as an extra column
        if target != EXTRA:
            table, _, key = target.partition(".")
            if (table, key) not in {("customers", k) for k in CUSTOMER_TARGETS} | {("contacts", k) for k in CONTACT_TARGETS}:
                raise ValueError(f"unknown target {target}")
            taken.add(target)
        out.append(target)
    return out


# ---- planning ----------------------------------------------------------------------------------

@dataclass
class PlannedRow:
    """One row of the file: what it holds and what would happen to it."""
    row: int
    status: str                      # "new", "duplicate", "skip", "reject"
    name: str = ""
    customer: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matches: list[dedupe.Match] = field(default_factory=list)
    same_as_row: int | None = None   # a duplicate of an earlier row of this file


@dataclass
class ImportPlan:
    """What an import would do, row by row, before anything is saved."""
    source: SourceTable
    mapping: list[str]
    rows: list[PlannedRow]
    lang: str

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


def plan_import(reg: Register, source: SourceTable, mapping: list[str] | None = None, lang: str = "zh",
                progress: Callable[[float], None] | None = None) -> ImportPlan:
    """Read every row against the mapping: skip, reject, probable duplicate or new (nothing is saved)."""
    mapping = _check_mapping(list(mapping) if mapping is not None else auto_mapping(source.headers),
                             len(source.headers))
    planned = []
    total = max(1, len(source.rows))
    for n, (number, cells_) in enumerate(zip(source.row_numbers, source.rows)):
        planned.append(_plan_row(source, mapping, number, cells_, lang))
        if progress and n % 200 == 0:
            progress(0.8 * n / total)
    _flag_duplicates([r for r in planned if r.status == "new"], dedupe.finder_for(reg), lang)
    if progress:
        progress(1.0)
    return ImportPlan(source, mapping, planned, lang)


def _flag_duplicates(rows: list[PlannedRow], register_finder: dedupe.DuplicateFinder, lang: str) -> None:
    """Mark rows that probably exist in the register, or repeat an earlier row of the same file."""
    names = [r.name for r in rows]
    phones = [r.contact.get("phone") or "" for r in rows]
    emails = [r.contact.get("email") or "" for r in rows]
    in_register = register_finder.matches_many(names, phones, emails, limit=5)
    in_file = dedupe.DuplicateFinder()
    for row, phone, email in zip(rows, phones, emails):
        in_file.add(str(row.row), row.name, phone, email)
    for row, matches, same in zip(rows, in_register, in_file.matches_many(names, phones, emails, limit=None)):
        earlier = [int(m.customer_id) for m in same if int(m.customer_id) < row.row]
        if matches:
            row.status, row.matches = "duplicate", matches
            best = matches[0]
            row.reasons.append(_say("duplicate_of", lang, who=f"{best.name} ({best.customer_id})",
                                    why=dedupe.describe_reasons(best.reasons, lang)))
        elif earlier:
            row.status, row.same_as_row = "duplicate", min(earlier)
            row.reasons.append(_say("in_file", lang, row=row.same_as_row))


def _is_header_row(values: list[Any], mapping: list[str], headers: list[str]) -> bool:
    """True if the row repeats the header (in either language): most filled cells name their own column."""
    filled = [(j, v) for j, v in enumerate(values) if not _blank(v)]
    if not filled:
        return False
    same = 0
    for j, v in filled:
        text = str(v)
        if schema.normalize_label(text) == schema.normalize_label(headers[j]) or (
                mapping[j] != EXTRA and mapping[j] in _target_candidates(text)):
            same += 1
    return same >= max(2, (len(filled) + 1) // 2) or (len(filled) == 1 and same == 1 and len(headers) == 1)


def _plan_row(source: SourceTable, mapping: list[str], number: int, values: list[Any], lang: str) -> PlannedRow:
    if all(_blank(v) for v in values):
        return PlannedRow(number, "skip", reasons=[_say("blank", lang)])
    if _is_header_row(values, mapping, source.headers):
        return PlannedRow(number, "skip", reasons=[_say("header", lang)])
    row = PlannedRow(number, "new")
    for j, (target, raw) in enumerate(zip(mapping, values)):
        if _blank(raw):
            continue
        if target == EXTRA:
            text = cells.read(schema.CUSTOMERS.field("notes"), raw).text.strip()
            row.extra.append((_header(source, j, lang), text))
            continue
        table, _, key = target.partition(".")
        f = schema.TABLES[table].field(key)
        reading = cells.read(f, raw)
        label = source.headers[j] or f.label(lang)
        if reading.problem:
            row.reasons.append(_say("unreadable", lang, label=label, problem=cells.problem_message(reading.problem, lang),
                                    text=reading.text[:60]))
            continue
        text = cells.write(f, reading.value, lang)
        if len(text) > MAX_CELL_CHARS:
            row.reasons.append(_say("too_long", lang, label=label, n=len(text)))
            continue
        (row.customer if table == "customers" else row.contact)[key] = reading.value
    row.name = str(row.customer.get("name") or "")
    if not row.name:
        row.reasons.insert(0, _say("no_name", lang))
    if row.extra:
        notes = "\n".join(filter(None, [str(row.customer.get("notes") or ""),
                                        *(f"{h}: {v}" for h, v in row.extra)]))
        if len(notes) > MAX_CELL_CHARS:
            row.reasons.append(_say("too_long", lang, label=schema.CUSTOMERS.field("notes").label(lang), n=len(notes)))
        row.customer["notes"] = notes
    if row.reasons:
        row.status = "reject"
    elif row.contact and not row.contact.get("name"):
        row.notes.append(_say("contact_unnamed", lang))
    return row


def plan_summary(plan: ImportPlan, lang: str) -> str:
    """Say what the import would do: rows read, new, probable duplicates, skipped and rejected."""
    n = {status: plan.count(status) for status in STATUS_LABELS}
    if lang == "zh":
        return (f"读取 {len(plan.rows)} 行：新增 {n['new']}，可能重复 {n['duplicate']}，跳过 {n['skip']}，"
                f"拒绝 {n['reject']}。")
    return (f"{len(plan.rows)} rows read: {n['new']} new, {n['duplicate']} probable duplicates, {n['skip']} to skip, "
            f"{n['reject']} rejected.")


def preview_frame(plan: ImportPlan, lang: str) -> pd.DataFrame:
    """One line per row: row number, status, name, why, and the probable match (for the preview)."""
    labels = STATUS_LABELS
    rows = [{"row": r.row, "status": labels[r.status][0 if lang == "zh" else 1], "name": r.name,
             "match": r.matches[0].customer_id if r.matches else (f"#{r.same_as_row}" if r.same_as_row else ""),
             "reason": "; ".join([*r.reasons, *r.notes])} for r in plan.rows]
    return pd.DataFrame(rows, columns=["row", "status", "name", "match", "reason"])


STATUS_LABELS = {"new": ("新增", "New"), "duplicate": ("可能重复", "Probable duplicate"), "skip": ("跳过", "Skip"),
                 "reject": ("拒绝", "Rejected")}
OUTCOME_LABELS = {"imported": ("已导入", "Imported"), "updated": ("已更新", "Updated"),
                  "skipped": ("已跳过", "Skipped"), "rejected": ("已拒绝", "Rejected")}


# ---- running -----------------------------------------------------------------------------------

@dataclass
class ImportResult:
    """What an import did: the accounting, and the outcome of every row."""
    batch_id: str
    read: int
    imported: int
    updated: int
    skipped: int
    rejected: int
    outcomes: pd.DataFrame           # row, outcome, customer_id, name, reason
    dry_run: bool = False

    @property
    def accounted(self) -> bool:
        return self.read == self.imported + self.updated + self.skipped + self.rejected


def new_batch_id(reg: Register, now: datetime) -> str:
    """A batch ID from the time of the import, unique in the audit log."""
    base = f"IMP-{now:%Y%m%d-%H%M%S}"
    used = set(BATCH_PATTERN.findall(" ".join(reg.frame("audit")["reason"].tolist())))
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def batch_reason(batch_id: str, filename: str, lang: str) -> str:
    """The audit reason of every row an import writes."""
    return f"导入批次 {batch_id}（{filename}）" if lang == "zh" else f"import batch {batch_id} ({filename})"


def run_import(store: Store, reg: Register, user: User, plan: ImportPlan, decisions: dict[int, str] | None = None,
               on_duplicate: str = "skip", lang: str = "zh", now: datetime | None = None,
               progress: Callable[[float], None] | None = None, dry_run: bool = False) -> ImportResult:
    """Import the planned rows in one save (admins); probable duplicates follow `decisions` by row number."""
    auth.require(user, "import")
    if on_duplicate not in DECISIONS:
        raise ValueError(f"on_duplicate must be one of {DECISIONS}")
    now = (now or datetime.now()).replace(microsecond=0)
    decisions = decisions or {}
    batch_id = new_batch_id(reg, now)
    reason = batch_reason(batch_id, plan.source.filename, reg.lang)
    changes = ChangeSet(user.email, at=now, lang=reg.lang)
    writer = _Writer(reg, user, changes, reason, now)
    outcomes = []
    total = max(1, len(plan.rows))
    for n, row in enumerate(plan.rows):
        outcome, customer_id, why = _apply(writer, row, decisions.get(row.row, on_duplicate), lang)
        outcomes.append({"row": row.row, "outcome": outcome, "customer_id": customer_id, "name": row.name,
                         "reason": "; ".join(filter(None, [why, *row.notes]))})
        if progress and n % 200 == 0:
            progress(0.9 * n / total)
    if changes and not dry_run:
        store.save(changes)
    if progress:
        progress(1.0)
    frame = pd.DataFrame(outcomes, columns=["row", "outcome", "customer_id", "name", "reason"])
    counts = frame["outcome"].value_counts()
    return ImportResult(batch_id, len(plan.rows), int(counts.get("imported", 0)), int(counts.get("updated", 0)),
                        int(counts.get("skipped", 0)), int(counts.get("rejected", 0)), frame, dry_run)


class _Writer:
    """Collects the rows and updates of one import, keeping track of values it has already changed."""

    def __init__(self, reg: Register, user: User, changes: ChangeSet, reason: str, now: datetime):
        self.reg, self.user, self.changes, self.reason, self.now = reg, user, changes, reason, now
        self.customer_ids = iter(_id_stream(reg, "customers"))
        self.contact_ids = iter(_id_stream(reg, "contacts"))
        self.current: dict[str, dict] = {}     # customer ID → values as this import leaves them
        self.contacts: dict[str, list[dict]] = {}

    def create(self, row: PlannedRow) -> str:
        customer_id = next(self.customer_ids)
        values = {**row.customer, "customer_id": customer_id, "stage": row.customer.get("stage") or customers.DEFAULT_STAGE,
                  "created_at": self.now, "updated_at": self.now, "updated_by": self.user.email, "archived": False}
        self.changes.add("customers", values, reason=self.reason, action="import")
        if row.contact:
            self._add_contact(customer_id, row.contact, primary=True)
        return customer_id

    def update(self, customer_id: str, row: PlannedRow) -> None:
        current = self._customer(customer_id)
        touched = False
        for key, new in row.customer.items():
            if key == "name" or new in (None, ""):
                continue
            f = schema.CUSTOMERS.field(key)
            if key == "notes" and current["notes"]:
                if str(new) in current["notes"]:
                    continue
                new = f"{current['notes']}\n{new}"
            if cells.equal(f, new, current[key]):
                continue
            self.changes.update("customers", customer_id, key, current[key], new, reason=self.reason, action="import")
            current[key] = new
            touched = True
        if row.contact:
            touched |= self._merge_contact(customer_id, row.contact)
        if touched:
            for key, new in (("updated_at", self.now), ("updated_by", self.user.email)):
                if not cells.equal(schema.CUSTOMERS.field(key), new, current[key]):
                    self.changes.update("customers", customer_id, key, current[key], new, reason=self.reason,
                                        action="import")
                    current[key] = new

    def _customer(self, customer_id: str) -> dict:
        if customer_id not in self.current:
            self.current[customer_id] = customers.record(self.reg, "customers", customer_id, self.reg.lang)
            frame = self.reg.frame("contacts")
            own = frame[frame["customer_id"] == customer_id]
            self.contacts[customer_id] = [{f.key: customers.plain(r[f.key], f) for f in schema.CONTACTS.fields}
                                          for _, r in own.iterrows()]
        return self.current[customer_id]

    def _merge_contact(self, customer_id: str, contact: dict) -> bool:
        people = self.contacts[customer_id]
        same = next((p for p in people if _same_person(p, contact)), None)
        if same is None:
            self._add_contact(customer_id, contact, primary=not any(p["is_primary"] for p in people))
            return True
        changed = False
        for key, new in contact.items():
            if new in (None, "") or _same_value(key, new, same[key]) or not same["contact_id"]:
                continue
            if same.get("_new"):
                continue   # a contact this import adds is written once, as first seen
            self.changes.update("contacts", same["contact_id"], key, same[key], new, reason=self.reason, action="import")
            same[key] = new
            changed = True
        return changed

    def _add_contact(self, customer_id: str, contact: dict, primary: bool) -> None:
        values = {**contact, "contact_id": next(self.contact_ids), "customer_id": customer_id, "is_primary": primary}
        if not values.get("name"):
            values["name"] = UNNAMED_CONTACT.get(self.reg.lang, UNNAMED_CONTACT["en"])
        self.changes.add("contacts", values, reason=self.reason, action="import")
        self.contacts.setdefault(customer_id, []).append({**{f.key: None for f in schema.CONTACTS.fields},
                                                          **values, "_new": True})


def _id_stream(reg: Register, table: str):
    first = reg.new_ids(table)[0]
    t = schema.TABLES[table]
    number = int(first[len(t.id_prefix):])
    while True:
        yield f"{t.id_prefix}{number:06d}"
        number += 1


def _same_value(key: str, new, old) -> bool:
    """True if a contact value says the same thing (phones by number, e-mails folded, the rest by meaning)."""
    if key == "phone":
        return dedupe.phone_key(new) == dedupe.phone_key(old) and bool(dedupe.phone_key(new))
    if key == "email":
        return dedupe.email_key(new) == dedupe.email_key(old)
    return cells.equal(schema.CONTACTS.field(key), new, old)


def _same_person(existing: dict, contact: dict) -> bool:
    name = lambda v: dedupe.email_key(v).replace(" ", "")  # noqa: E731 — width- and case-folded
    if contact.get("name") and existing.get("name") and name(contact["name"]) == name(existing["name"]):
        return True
    phone = dedupe.phone_key(contact.get("phone"))
    if phone and phone == dedupe.phone_key(existing.get("phone")):
        return True
    email = dedupe.email_key(contact.get("email"))
    return bool(email) and email == dedupe.email_key(existing.get("email"))


def _apply(writer: _Writer, row: PlannedRow, decision: str, lang: str) -> tuple[str, str, str]:
    """Write one row; return (outcome, customer ID, reason)."""
    if row.status == "skip":
        return "skipped", "", "; ".join(row.reasons)
    if row.status == "reject":
        return "rejected", "", "; ".join(row.reasons)
    if row.status == "duplicate":
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}")
        detail = "; ".join(row.reasons)
        if decision == "skip" or (decision == "update" and not row.matches):
            return "skipped", "", _say("skipped_duplicate", lang, detail=detail)
        if decision == "update":
            target = row.matches[0].customer_id
            writer.update(target, row)
            return "updated", target, detail
    return "imported", writer.create(row), ""


def not_imported_csv(result: ImportResult, lang: str) -> bytes:
    """The rows that were not imported (skipped or rejected), with row number and reason, as CSV."""
    frame = result.outcomes[result.outcomes["outcome"].isin(["skipped", "rejected"])]
    return exports.to_csv_bytes(outcome_display(frame, lang))


def outcome_display(outcomes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Outcomes with labels in the user's language."""
    out = outcomes.copy()
    out["outcome"] = out["outcome"].map(lambda o: OUTCOME_LABELS[o][0 if lang == "zh" else 1])
    names = {"row": ("行号", "Row"), "outcome": ("结果", "Outcome"), "customer_id": ("客户编号", "Customer ID"),
             "name": ("客户名称", "Customer name"), "reason": ("原因", "Reason")}
    return out.rename(columns={k: v[0 if lang == "zh" else 1] for k, v in names.items()})


def accounting_text(result: ImportResult, lang: str) -> str:
    """The one-line accounting people see: rows read = imported + updated + skipped + rejected."""
    if lang == "zh":
        text = (f"读取 {result.read} 行：导入 {result.imported}，更新 {result.updated}，跳过 {result.skipped}，"
                f"拒绝 {result.rejected}。")
        return ("（试运行，未保存）" + text) if result.dry_run else f"{text}批次 {result.batch_id}。"
    text = (f"Read {result.read} rows: {result.imported} imported, {result.updated} updated, {result.skipped} skipped, "
            f"{result.rejected} rejected.")
    return ("(dry run, nothing saved) " + text) if result.dry_run else f"{text} Batch {result.batch_id}."


# ---- undo --------------------------------------------------------------------------------------

@dataclass
class UndoResult:
    """What undoing an import did."""
    batch_id: str
    archived: int
    reverted: int
    contacts_kept: int


def import_batches(reg: Register) -> pd.DataFrame:
    """Every import in the audit log: batch, when, who, customers created and customers updated, undone or not."""
    audit = reg.frame("audit")
    rows = audit[audit["action"] == "import"]
    undone = set(BATCH_PATTERN.findall(" ".join(audit.loc[audit["action"] == "undo_import", "reason"])))
    batch = rows["reason"].str.extract(f"({BATCH_PATTERN.pattern})", expand=False)
    rows = rows.assign(batch_id=batch).dropna(subset=["batch_id"])
    out = []
    for batch_id, group in rows.groupby("batch_id", sort=False):
        created = group[(group["table"] == "customers") & (group["field"] == "")]
        updated = group[(group["field"] != "") & (group["table"] == "customers")]
        out.append({"batch_id": batch_id, "at": group["at"].min(), "user": group["user"].iloc[0],
                    "created": len(created), "updated": int(updated["record_id"].nunique()),
                    "undone": batch_id in undone})
    frame = pd.DataFrame(out, columns=["batch_id", "at", "user", "created", "updated", "undone"])
    return frame.sort_values("at", ascending=False).reset_index(drop=True)


def batch_options(reg: Register, lang: str) -> dict[str, str]:
    """Imports that can still be undone: batch ID → a line saying when, who and how many."""
    batches = import_batches(reg)
    batches = batches[~batches["undone"]]
    if lang == "zh":
        line = "{b} · {at:%Y-%m-%d %H:%M} · {user} · 新增 {c}，更新 {u}"
    else:
        line = "{b} · {at:%Y-%m-%d %H:%M} · {user} · {c} created, {u} updated"
    return {r.batch_id: line.format(b=r.batch_id, at=r.at, user=r.user, c=r.created, u=r.updated)
            for r in batches.itertuples()}


def undo_import(store: Store, reg: Register, user: User, batch_id: str, lang: str = "zh",
                now: datetime | None = None) -> UndoResult:
    """Undo a whole import in one save: archive the customers it created, put back the fields it changed."""
    auth.require(user, "import")
    now = (now or datetime.now()).replace(microsecond=0)
    audit = reg.frame("audit")
    mine = audit[(audit["action"] == "import") & audit["reason"].str.contains(batch_id, regex=False)]
    if mine.empty:
        raise ValidationError(f"找不到导入批次 {batch_id}。", f"There is no import batch {batch_id}.")
    if (audit["action"].eq("undo_import") & audit["reason"].str.contains(batch_id, regex=False)).any():
        raise ValidationError(f"导入批次 {batch_id} 已经撤销过了。", f"Import batch {batch_id} has already been undone.")
    reason = (f"撤销导入批次 {batch_id}" if reg.lang == "zh" else f"undo import batch {batch_id}")
    changes = ChangeSet(user.email, at=now, lang=reg.lang)
    created = mine[(mine["table"] == "customers") & (mine["field"] == "")]["record_id"].tolist()
    created_set = set(created)
    touched: set[str] = set()
    archived = 0
    for customer_id in created:
        current = reg.record("customers", customer_id)
        if current is None or current["archived"]:
            continue
        changes.update("customers", customer_id, "archived", False, True, reason=reason, action="undo_import")
        touched.add(customer_id)
        archived += 1
    updates = mine[(mine["field"] != "") & ~mine["field"].isin(list(customers.BOOKKEEPING))]
    reverted = 0
    for (table, record_id, field_key), group in updates.groupby(["table", "record_id", "field"], sort=False):
        f = schema.TABLES[table].field(field_key)
        changes.update(table, record_id, field_key, _typed(f, group["new"].iloc[-1]), _typed(f, group["old"].iloc[0]),
                       reason=reason, action="undo_import")
        reverted += 1
        if table == "customers":
            touched.add(record_id)
    for customer_id in sorted(touched):
        current = customers.record(reg, "customers", customer_id, lang)
        changes.update("customers", customer_id, "updated_at", current["updated_at"], now, reason=reason,
                       action="undo_import")
        if current["updated_by"] != user.email:
            changes.update("customers", customer_id, "updated_by", current["updated_by"], user.email, reason=reason,
                           action="undo_import")
    added_contacts = mine[(mine["table"] == "contacts") & (mine["field"] == "")]["record_id"]
    contacts = reg.frame("contacts").set_index("contact_id")["customer_id"]
    kept = sum(1 for c in added_contacts if contacts.get(c, "") not in created_set)
    store.save(changes)
    return UndoResult(batch_id, archived, reverted, kept)


def _typed(f: schema.Field, text: str):
    reading = cells.read(f, text)
    return text if reading.problem else reading.value


# ---- command line ------------------------------------------------------------------------------

def add_cli(subparsers) -> None:
    """Add `import FILE [--dry-run] [--lang zh|en] [--on-duplicate skip|update|create] [--sheet NAME]`."""
    p = subparsers.add_parser("import", help="import a customer list (CSV or xlsx) into the register",
                              description="Import a hand-kept customer list (CSV or xlsx) into the register "
                                          "that REGISTER_URL names, printing how every row was accounted for.")
    p.add_argument("file", help="the CSV or xlsx file")
    p.add_argument("--dry-run", action="store_true", help="read and check every row, save nothing")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the messages")
    p.add_argument("--on-duplicate", choices=DECISIONS, default="skip",
                   help="what to do with rows that probably exist already (default: skip)")
    p.add_argument("--sheet", default=None, help="the xlsx sheet to read (default: the first)")
    p.set_defaults(run=run_cli)


def run_cli(args, store: Store | None = None, out=None) -> int:
    """Run an import from the command line as the local admin user "cli"."""
    from lib.store import store_from_environment
    out = out or sys.stdout
    store = store or store_from_environment()
    store.ensure_layout(args.lang)
    reg = read_register(store.load())
    path = Path(args.file)
    source = read_file(path.read_bytes(), path.name, args.sheet)
    plan = plan_import(reg, source, lang=args.lang)
    result = run_import(store, reg, CLI_USER, plan, on_duplicate=args.on_duplicate, lang=args.lang,
                        dry_run=args.dry_run)
    print(accounting_text(result, args.lang), file=out)
    for r in result.outcomes.itertuples():
        if r.outcome in ("skipped", "rejected"):
            label = OUTCOME_LABELS[r.outcome][0 if args.lang == "zh" else 1]
            print(f"  {'第 ' + str(r.row) + ' 行' if args.lang == 'zh' else 'row ' + str(r.row)}: {label} — {r.reason}",
                  file=out)
    return 0


def decisions_frame(plan: ImportPlan, lang: str, default: str = "skip") -> pd.DataFrame:
    """The probable duplicates with their best match and a decision column to edit."""
    rows = [{"row": r.row, "name": r.name,
             "match": (f"{r.matches[0].name} ({r.matches[0].customer_id})" if r.matches else f"#{r.same_as_row}"),
             "why": "; ".join(r.reasons), "decision": default if (r.matches or default != "update") else "skip"}
            for r in plan.rows if r.status == "duplicate"]
    return pd.DataFrame(rows, columns=["row", "name", "match", "why", "decision"])


def decisions_from(frame: pd.DataFrame) -> dict[int, str]:
    """Read the edited decision column back into {row number: decision}."""
    return {int(r): str(d) for r, d in zip(frame["row"], frame["decision"]) if d in DECISIONS}

