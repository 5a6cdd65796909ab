"""The register as the app sees it: every tab read into typed frames, with what could not be read."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

import numpy as np
import pandas as pd

from lib import cells, schema
from lib.settings import Settings, read_settings
from lib.store.base import ChangeSet, RawRegister, RawTab


DERIVED_ENTRIES = 128   # results remembered per register: pages, owners, periods, filters, what-if trials


@dataclass(frozen=True)
class CellIssue:
    """A cell that could not be read: kept as typed, reported with its place."""
    table: str
    row: int
    column: str
    text: str
    problem: str

    def describe(self, lang: str) -> str:
        tab = schema.TABLES[self.table].label(lang)
        if lang == "zh":
            return f"「{tab}」第 {self.row} 行「{self.column}」：{cells.problem_message(self.problem, lang)}（原文：{self.text}）"
        return f"{tab}, row {self.row}, {self.column}: {cells.problem_message(self.problem, lang)} (as typed: {self.text})"


@dataclass
class Register:
    """Typed frames of every tab plus the health of the data behind them."""
    frames: dict[str, pd.DataFrame]
    raw: RawRegister
    settings: Settings
    issues: list[CellIssue] = field(default_factory=list)
    missing_ids: dict[str, list[int]] = field(default_factory=dict)      # table → sheet rows without ID
    duplicate_ids: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # table → id → rows
    missing_required: dict[str, list[int]] = field(default_factory=dict)
    _derived: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _derived_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def derived(self, key: tuple, compute: Callable[[], Any]):
        """Compute something from this register once: a register never changes after it is read.

        Keys start with the computing module's name. The most recently used `DERIVED_ENTRIES` results are
        kept, and they go with the register when a refresh replaces it. Callers must not modify what they
        get back (it is shared by every session until the next refresh).
        """
        with self._derived_lock:
            if key in self._derived:
                self._derived.move_to_end(key)
                return self._derived[key]
        value = compute()
        with self._derived_lock:
            self._derived[key] = value
            while len(self._derived) > DERIVED_ENTRIES:
                self._derived.popitem(last=False)
        return value

    def forget_derived(self) -> None:
        """Drop everything computed from this register (benchmarks time the first computation)."""
        with self._derived_lock:
            self._derived.clear()

    @property
    def lang(self) -> str:
        return self.raw.lang

    @property
    def loaded_at(self) -> datetime:
        return self.raw.loaded_at

    def frame(self, table: str) -> pd.DataFrame:
        return self.frames[table]

    def record(self, table: str, record_id: str) -> dict | None:
        """Return one record's typed values by ID (None if absent or ambiguous)."""
        t = schema.TABLES[table]
        df = self.frames[table]
        hits = df[df[t.id_field] == record_id]
        return hits.iloc[0].to_dict() if len(hits) == 1 else None

    def new_ids(self, table: str, count: int = 1) -> list[str]:
        """Allocate the next IDs of a table (`C-000124`…), above every ID already used."""
        t = schema.TABLES[table]
        used = self.frames[table][t.id_field]
        numbers = used.str.extract(r"(\d+)\s*$", expand=False).dropna()
        start = int(numbers.astype("int64").max()) + 1 if len(numbers) else 1
        return [f"{t.id_prefix}{n:06d}" for n in range(start, start + count)]

    @property
    def data_health(self) -> dict[str, dict[str, int]]:
        """Rows, unreadable cells, rows without ID, duplicate IDs and incomplete rows per table."""
        out = {}
        for key, df in self.frames.items():
            out[key] = {
                "rows": len(df),
                "unreadable": sum(1 for i in self.issues if i.table == key),
                "missing_ids": len(self.missing_ids.get(key, [])),
                "duplicate_ids": sum(len(v) for v in self.duplicate_ids.get(key, {}).values()),
                "incomplete": len(self.missing_required.get(key, [])),
            }
        return out

    @property
    def healthy_share(self) -> float:
        """Share of data rows that read cleanly, carry a unique ID and their required fields."""
        bad: set[tuple[str, int]] = {(i.table, i.row) for i in self.issues}
        for table, rows in {**self.missing_ids}.items():
            bad |= {(table, r) for r in rows}
        for table, ids in self.duplicate_ids.items():
            bad |= {(table, r) for rows in ids.values() for r in rows}
        for table, rows in self.missing_required.items():
            bad |= {(table, r) for r in rows}
        total = sum(len(df) for df in self.frames.values())
        return 1.0 if total == 0 else 1 - len(bad) / total


def per_register(build: Callable[[Register], Any]) -> Callable[[Register], Any]:
    """Make `build(reg)` run once per loaded register (see `Register.derived`)."""
    @wraps(build)
    def once(reg: Register):
        return reg.derived((build.__module__, build.__qualname__), lambda: build(reg))
    return once


def lookup(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Look each key up in a uniquely indexed series (missing → NaN/NaT), keeping the keys' index."""
    wanted = pd.Index(keys.to_numpy(), dtype="object")   # not inferred as str, which costs a conversion
    return pd.Series(values.reindex(wanted).to_numpy(), index=keys.index)


_DTYPES = {schema.MONEY: "float64", schema.INT: "Int64", schema.DATE: "datetime64[ns]",
           schema.DATETIME: "datetime64[ns]", schema.BOOL: "bool"}


def _typed_column(f: schema.Field, texts: list[str], table: str, headers_label: str,
                  row_numbers: list[int], issues: list[CellIssue]):
    """Read one column's texts into typed values, collecting what could not be read."""
    if cells.is_plain_text(f) and all(isinstance(text, str) for text in texts):
        return pd.Series([text.strip() for text in texts], dtype="object")
    values = []
    readings: dict[str, cells.Reading] = {}  # most columns repeat a few texts; read each once
    for text, row in zip(texts, row_numbers):
        if text == "" or text is None:
            values.append(None)
            continue
        reading = readings.get(text)
        if reading is None:
            reading = readings[text] = cells.read(f, text)
        if reading.problem:
            issues.append(CellIssue(table, row, headers_label, reading.text, reading.problem))
        values.append(reading.value)
    if f.type in (schema.DATE, schema.DATETIME):
        return pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce").astype("datetime64[ns]")
    if f.type == schema.MONEY:
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if f.type == schema.INT:
        return pd.Series(values, dtype="Int64")
    if f.type == schema.BOOL:
        return pd.Series([bool(v) for v in values], dtype="bool")
    if f.type == schema.CHOICE:
        return pd.Series(values, dtype="object")
    return pd.Series(["" if v is None else str(v) for v in values], dtype="object")


def read_tab(tab: RawTab, issues: list[CellIssue]) -> pd.DataFrame:
    """Turn one raw tab into a typed frame with every field of the table as a column."""
    t = schema.TABLES[tab.table]
    columns = schema.map_headers(tab.table, tab.headers)
    data = {}
    for f in t.fields:
        pos = columns.get(f.key)
        texts = [row[pos] if pos is not None and pos < len(row) else "" for row in tab.rows]
        label = tab.headers[pos] if pos is not None else f.label("zh")
        data[f.key] = _typed_column(f, texts, tab.table, label, tab.row_numbers, issues)
    frame = pd.DataFrame(data)
    frame["_row"] = pd.Series(tab.row_numbers, dtype="int64")
    return frame


def read_register(raw: RawRegister) -> Register:
    """Read every tab of a raw register into typed frames and a health report."""
    issues: list[CellIssue] = []
    frames = {key: read_tab(raw.tabs[key], issues) if key in raw.tabs else empty_frame(key)
              for key in schema.TABLES}
    reg = Register(frames, raw, read_settings(frames["settings"]), issues)
    for key, t in schema.TABLES.items():
        df = frames[key]
        if t.id_field and key != "settings":
            ids = df[t.id_field]
            reg.missing_ids[key] = df.loc[ids == "", "_row"].tolist()
            dup = df[(ids != "") & ids.duplicated(keep=False)]
            reg.duplicate_ids[key] = {rid: g["_row"].tolist() for rid, g in dup.groupby(t.id_field)}
        required = [f.key for f in t.fields if f.required]
        if required:
            empty = np.zeros(len(df), dtype=bool)
            for r in required:
                empty |= (df[r] == "").to_numpy()
            reg.missing_required[key] = df.loc[empty, "_row"].tolist()
    return reg


def empty_frame(table: str) -> pd.DataFrame:
    """A typed frame with the table's columns and no rows."""
    t = schema.TABLES[table]
    data = {f.key: pd.Series([], dtype=_DTYPES.get(f.type, "object")) for f in t.fields}
    data["_row"] = pd.Series([], dtype="int64")
    return pd.DataFrame(data)


def plain_text(value) -> str:
    """Show a typed value as plain text (for tables and exports)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    return re.sub(r"\s+00:00(:00)?$", "", str(value))


APP_USER = "register-app"


def missing_id_changes(reg: Register, now: datetime) -> ChangeSet | None:
    """IDs for the rows people added by hand without one (nothing else in those rows is touched)."""
    changes = ChangeSet(APP_USER, at=now, lang=reg.lang)
    for table, rows in reg.missing_ids.items():
        if not rows:
            continue
        tab = reg.raw.tabs[table]
        wanted = set(rows)
        new_ids = iter(reg.new_ids(table, len(rows)))
        for cells_, number in zip(tab.rows, tab.row_numbers):
            if number in wanted and any(c.strip() for c in cells_):
                changes.assign_id(table, list(cells_), next(new_ids))
    return changes if changes.id_assignments else None
