"""The Store interface every backend implements, and the change set it saves.

A backend is a dumb tabular text store: it hands back every tab as header + rows of text
(`RawRegister`) and applies a `ChangeSet` atomically. Parsing cells into values, and formatting
values into cells, is shared (lib.cells), so every backend reads and writes the same text.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib import cells, schema
from lib.errors import CellTooLong, Conflict, ConflictError, DuplicateIdError, RecordNotFound

MAX_CELL_CHARS = 50_000


@dataclass
class RawTab:
    """One tab as stored: header texts and rows of cell text, in storage order."""
    table: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    row_numbers: list[int]  # sheet row numbers (header is row 1); for messages only, never for writing

    def column(self, field_key: str) -> int | None:
        return schema.map_headers(self.table, self.headers).get(field_key)

    def cell(self, row_index: int, column: int | None) -> str:
        if column is None:
            return ""
        row = self.rows[row_index]
        return row[column] if column < len(row) else ""


@dataclass
class RawRegister:
    """Every tab of the register, read in one go."""
    tabs: dict[str, RawTab]
    lang: str
    loaded_at: datetime
    demo: bool = False


@dataclass(frozen=True)
class NewRow:
    """A row to append; values by field key, typed (lib.cells formats them)."""
    table: str
    values: dict[str, Any]

    @property
    def record_id(self) -> str:
        id_field = schema.TABLES[self.table].id_field
        return str(self.values.get(id_field, "")) if id_field else ""


@dataclass(frozen=True)
class FieldUpdate:
    """Set one field of the row with this ID, if it still holds what the user started from."""
    table: str
    record_id: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class IdAssignment:
    """Give a row that a person added without an ID its ID; the row is found by its cells as read."""
    table: str
    cells: tuple[str, ...]
    new_id: str


@dataclass
class ChangeSet:
    """One save: new rows, field updates by ID, and the audit rows that describe them.

    Build it through `add` and `update` so every write carries its audit row.
    """
    user: str
    at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    lang: str = "zh"  # the register's language: audit texts are written in it
    new_rows: list[NewRow] = field(default_factory=list)
    updates: list[FieldUpdate] = field(default_factory=list)
    audit: list[NewRow] = field(default_factory=list)
    id_assignments: list[IdAssignment] = field(default_factory=list)

    def add(self, table: str, values: dict[str, Any], reason: str = "", action: str = "create",
            lang: str | None = None) -> NewRow:
        lang = lang or self.lang
        row = NewRow(table, dict(values))
        self.new_rows.append(row)
        tab = schema.TABLES[table]
        summary = "; ".join(f"{f.key}={cells.write(f, values[f.key], lang)}" for f in tab.fields
                            if f.key in values and values[f.key] not in (None, "") and f.key != tab.id_field)
        record = row.record_id or str(values.get("customer_id", ""))
        self._audit(action, table, record, "", "", _within_a_cell(summary, lang), reason)
        return row

    def update(self, table: str, record_id: str, field_key: str, old: Any, new: Any,
               reason: str = "", action: str = "update", lang: str | None = None) -> FieldUpdate:
        if table == "audit":
            raise ValueError("The audit log is append-only: the app never changes a row of it.")
        lang = lang or self.lang
        change = FieldUpdate(table, record_id, field_key, old, new)
        self.updates.append(change)
        f = schema.TABLES[table].field(field_key)
        self._audit(action, table, record_id, field_key, cells.write(f, old, lang), cells.write(f, new, lang), reason)
        return change

    def assign_id(self, table: str, row_cells: list[str], new_id: str) -> IdAssignment:
        assignment = IdAssignment(table, tuple(row_cells), new_id)
        self.id_assignments.append(assignment)
        self._audit("assign_id", table, new_id, schema.TABLES[table].id_field, "", new_id, "")
        return assignment

    def _audit(self, action, table, record_id, field_key, old, new, reason) -> None:
        self.audit.append(NewRow("audit", {
            "at": self.at, "user": self.user, "action": action, "table": table, "record_id": record_id,
            "field": field_key, "old": old, "new": new, "reason": reason}))

    @property
    def rows_to_append(self) -> list[NewRow]:
        """Data rows first, then their audit rows: what a backend appends, in order."""
        return [*self.new_rows, *self.audit]

    def __bool__(self) -> bool:
        return bool(self.new_rows or self.updates or self.id_assignments)


def _within_a_cell(summary: str, lang: str) -> str:
    """Shorten a new row's audit summary to what a cell holds; the row itself keeps every value in full."""
    if len(summary) <= MAX_CELL_CHARS:
        return summary

    def rest(n: int) -> str:
        return f"…（另有 {n} 个字符，见该行）" if lang == "zh" else f"… ({n} more characters: see the row)"
    keep = MAX_CELL_CHARS - len(rest(len(summary)))
    return summary[:keep] + rest(len(summary) - keep)


class Store(abc.ABC):
    """A register backend: load every tab in one go, save a change set atomically."""

    kind: str = ""        # "sqlite", "postgresql", "gsheets"
    location: str = ""    # what to show the user (no secrets)
    link: str | None = None

    @abc.abstractmethod
    def load(self, *, patient: bool = True) -> RawRegister:
        """Read every tab (one request on the Sheets backend).

        patient=False: one attempt only, failing at once on a quota or server error instead of
        retrying (for a refresh that has an older copy to fall back on). Backends without retries
        ignore it.
        """

    @abc.abstractmethod
    def save(self, changes: ChangeSet) -> None:
        """Apply new rows, updates and audit rows atomically, or raise and change nothing."""

    @abc.abstractmethod
    def ensure_layout(self, lang: str) -> list[str]:
        """Create missing tabs, headers and columns; return what was added (tab/column labels)."""

    def set_demo(self, demo: bool) -> None:
        """Mark or unmark the register as demo data (SQL backends keep this flag)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove every data row of every tab (demo reset; before a restore into an empty register)."""

    @abc.abstractmethod
    def restore(self, raw: RawRegister, progress=None) -> None:
        """Write tabs exactly as given (titles, headers, unknown columns, text) into this cleared register."""

    @abc.abstractmethod
    def is_empty(self) -> bool:
        """True if no tab holds a record (Settings rows are configuration, not records)."""

    def other_tabs(self) -> list[str]:
        """Titles of tabs kept next to the register that are not part of it (a sheet's own notes tab…)."""
        return []


# ---- shared rules every backend applies on save -------------------------------------------------

def check_cell_lengths(changes: ChangeSet, lang: str) -> None:
    """Refuse a save with a cell longer than Google Sheets allows, naming the field."""
    for row in changes.rows_to_append:
        tab = schema.TABLES[row.table]
        for key, value in row.values.items():
            text = cells.write(tab.field(key), value, lang) if tab.has(key) else str(value)
            if len(text) > MAX_CELL_CHARS:
                raise CellTooLong(tab.field(key).label(lang) if tab.has(key) else key, len(text))
    for up in changes.updates:
        f = schema.TABLES[up.table].field(up.field)
        text = cells.write(f, up.new, lang)
        if len(text) > MAX_CELL_CHARS:
            raise CellTooLong(f.label(lang), len(text))


def locate_rows(tab: RawTab, lang: str) -> dict[str, list[int]]:
    """Map each ID to the row indexes that carry it (more than one is a duplicate)."""
    id_field = schema.TABLES[tab.table].id_field
    col = tab.column(id_field) if id_field else None
    where: dict[str, list[int]] = {}
    if col is None:
        return where
    for i in range(len(tab.rows)):
        rid = tab.cell(i, col).strip()
        if rid:
            where.setdefault(rid, []).append(i)
    return where


def find_row(tab: RawTab, index: dict[str, list[int]], record_id: str, lang: str) -> int:
    """Return the row index of this ID, or raise naming the place."""
    hits = index.get(record_id, [])
    label = schema.TABLES[tab.table].label(lang)
    if not hits:
        raise RecordNotFound(label, record_id)
    if len(hits) > 1:
        raise DuplicateIdError(label, record_id, [tab.row_numbers[i] for i in hits])
    return hits[0]


def same_value(f: schema.Field, text: str, value: Any) -> bool:
    """True if the stored text reads as this value (so `¥120,000` equals 120000)."""
    reading = cells.read(f, text)
    if reading.problem:
        return text.strip() == cells.write(f, value, "zh").strip() or text.strip() == cells.write(f, value, "en").strip()
    return cells.equal(f, reading.value, value)


def plan_updates(tabs: dict[str, RawTab], changes: ChangeSet, lang: str) -> list[tuple[str, int, int, str]]:
    """Locate every update by ID and check it against what is stored now.

    Returns (table, row index, column, new text) for each update; raises ConflictError listing every
    field that changed since the user read it, RecordNotFound or DuplicateIdError naming the place.
    """
    planned, conflicts = [], []
    indexes = {t: locate_rows(tab, lang) for t, tab in tabs.items()}
    for up in changes.updates:
        tab = tabs[up.table]
        f = schema.TABLES[up.table].field(up.field)
        row = find_row(tab, indexes[up.table], up.record_id, lang)
        col = tab.column(up.field)
        current = tab.cell(row, col)
        if not same_value(f, current, up.old):
            conflicts.append(Conflict(up.table, up.record_id, up.field, up.old,
                                      cells.read(f, current).value if not cells.read(f, current).problem else current,
                                      up.new))
            continue
        planned.append((up.table, row, col if col is not None else -1, cells.write(f, up.new, lang)))
    if conflicts:
        raise ConflictError(conflicts)
    return planned


def plan_id_assignments(tabs: dict[str, RawTab], changes: ChangeSet) -> list[tuple[str, int, int, str]]:
    """Locate each row without ID by its cells (the k-th identical row for the k-th assignment).

    Returns (table, row index, ID column, new ID); raises ConflictError if such a row changed meanwhile.
    """
    planned, taken, missing = [], set(), []
    for a in changes.id_assignments:
        tab = tabs[a.table]
        col = tab.column(schema.TABLES[a.table].id_field)
        width = len(a.cells)
        match = next((i for i in range(len(tab.rows)) if (a.table, i) not in taken
                      and tab.cell(i, col).strip() == ""
                      and tuple((tab.rows[i] + [""] * width)[:width]) == a.cells
                      and not any(tab.rows[i][width:])), None)
        if match is None:
            missing.append(Conflict(a.table, a.new_id, schema.TABLES[a.table].id_field, "", "changed", a.new_id))
            continue
        taken.add((a.table, match))
        planned.append((a.table, match, col, a.new_id))
    if missing:
        raise ConflictError(missing)
    return planned


def already_applied(tabs: dict[str, RawTab], changes: ChangeSet, lang: str) -> bool:
    """True if every new row with an ID is already stored with the same values (a retried save landed).

    Raises ConflictError if an ID is taken by a different record.
    """
    with_ids = [r for r in changes.new_rows if r.record_id]
    if not with_ids:
        return False
    present, clashes = 0, []
    for row in with_ids:
        tab = tabs[row.table]
        hits = locate_rows(tab, lang).get(row.record_id, [])
        if not hits:
            continue
        i = hits[0]
        t = schema.TABLES[row.table]
        if all(same_value(t.field(k), tab.cell(i, tab.column(k)), v) for k, v in row.values.items() if t.has(k)):
            present += 1
        else:
            clashes.append(Conflict(row.table, row.record_id, t.id_field, None, row.record_id, row.record_id))
    if clashes:
        raise ConflictError(clashes)
    if present and present != len(with_ids):
        raise ConflictError([Conflict(r.table, r.record_id, "", None, "partial", "") for r in with_ids[:1]])
    return present == len(with_ids)


def row_texts(tab: RawTab, row: NewRow, lang: str) -> list[str]:
    """Lay out a new row's cells in this tab's column order (unknown columns left empty)."""
    out = [""] * len(tab.headers)
    t = schema.TABLES[row.table]
    for key, value in row.values.items():
        col = tab.column(key)
        if col is not None and t.has(key):
            out[col] = cells.write(t.field(key), value, lang)
    return out


def raw_from_records(records: dict[str, list[dict]], lang: str, loaded_at: datetime,
                     demo: bool = False) -> RawRegister:
    """Lay typed records out as the cell text a new register holds: every tab, contract headers."""
    tabs = {}
    for key, t in schema.TABLES.items():
        texts = [[cells.write(f, r.get(f.key), lang) for f in t.fields] for r in records.get(key, [])]
        tabs[key] = RawTab(key, t.label(lang), schema.header_labels(key, lang), texts,
                           [i + 2 for i in range(len(texts))])
    return RawRegister(tabs, lang, loaded_at, demo=demo)
