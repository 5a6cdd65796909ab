"""The SQL backend (SQLite embedded default, PostgreSQL for larger teams) through SQLAlchemy Core.

Each tab is a table with one text column per known field, `_row` (storage order) and `_extra`
(cells of columns the app does not know, by header position), so a register moves between a
sheet and SQL with nothing lost. `_tabs` keeps each tab's title and header row as typed.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lib import schema
from lib.errors import StoreUnavailable
from lib.store.base import (ChangeSet, RawRegister, RawTab, Store, already_applied, check_cell_lengths,
                            plan_id_assignments, plan_updates, row_texts)

_metadata = sa.MetaData()
TABS = sa.Table("_tabs", _metadata,
                sa.Column("table_key", sa.String(40), primary_key=True),
                sa.Column("title", sa.Text, nullable=False),
                sa.Column("headers", sa.Text, nullable=False))
META = sa.Table("_meta", _metadata,
                sa.Column("key", sa.String(40), primary_key=True),
                sa.Column("value", sa.Text, nullable=False))
DATA = {key: sa.Table(f"reg_{key}", _metadata,
                      sa.Column("_row", sa.Integer, primary_key=True, autoincrement=True),
                      *[sa.Column(f.key, sa.Text, nullable=False, server_default="") for f in t.fields],
                      sa.Column("_extra", sa.Text, nullable=False, server_default="{}"))
        for key, t in schema.TABLES.items()}


def ids_a_save_reads(changes: ChangeSet) -> dict[str, set[str]]:
    """Per table, the IDs whose rows a save must see: updated records, new rows' IDs (a retried save, a
    clash), and "" where rows without an ID get one."""
    wanted: dict[str, set[str]] = {}
    for table, record_id in ([(u.table, u.record_id) for u in changes.updates]
                             + [(r.table, r.record_id) for r in changes.new_rows]
                             + [(a.table, "") for a in changes.id_assignments]):
        wanted.setdefault(table, set()).add(str(record_id).strip())
    return wanted


def key_has_id(key: str, columns: dict[str, int]) -> bool:
    """True if the tab has an ID column (without one, every row has to be read)."""
    id_field = schema.TABLES[key].id_field
    return bool(id_field) and id_field in columns


def _chunks(values: list[int], size: int = 900) -> list[list[int]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


class SqlStore(Store):
    """A register in SQLite or PostgreSQL; saves are single transactions."""

    def __init__(self, url: str, lang: str = "zh"):
        self.url = make_url(url)
        self.kind = "postgresql" if self.url.get_backend_name() == "postgresql" else "sqlite"
        self.location = self.url.render_as_string(hide_password=True)
        self.default_lang = lang
        if self.kind == "sqlite" and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(self.url, future=True)
        self._lock = threading.Lock()
        try:
            _metadata.create_all(self.engine)
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(str(e.orig)[:200], "数据库无法访问") from None

    # -- reading ---------------------------------------------------------------------------------
    def load(self, *, patient: bool = True) -> RawRegister:
        try:
            with self.engine.connect() as conn:
                return self._load(conn, list(schema.TABLES))
        except sa.exc.OperationalError as e:
            raise StoreUnavailable(str(e.orig)[:200], "数据库无法访问") from None

    def _load(self, conn, tables: list[str], header_only: set[str] = frozenset(),
              only_ids: dict[str, set[str]] | None = None) -> RawRegister:
        """Read these tables as tabs; `header_only` ones without their rows (a save only appends to them),
        and of a table in `only_ids` just the rows carrying those IDs (numbered as in the whole tab)."""
        meta = dict(conn.execute(sa.select(META.c.key, META.c.value)).all())
        lang = meta.get("lang", self.default_lang)
        stored = {r.table_key: r for r in conn.execute(sa.select(TABS)).all()}
        tabs = {}
        for key in tables:
            if key in stored:
                title, headers = stored[key].title, json.loads(stored[key].headers)
            else:
                title, headers = schema.TABLES[key].label(lang), schema.header_labels(key, lang)
            tabs[key] = (RawTab(key, title, headers, [], []) if key in header_only
                         else self._read_tab(conn, key, title, headers, (only_ids or {}).get(key)))
        return RawRegister(tabs, lang, datetime.now().replace(microsecond=0), demo=meta.get("demo") == "1")

    def _read_tab(self, conn, key: str, title: str, headers: list[str], ids: set[str] | None = None) -> RawTab:
        """Read one table as a tab: every row, or with `ids` only the rows whose ID (stripped) is one of them."""
        table = DATA[key]
        columns = schema.map_headers(key, headers)
        by_position = {pos: f for f, pos in columns.items()}
        numbers = self._row_numbers(conn, key, ids) if ids is not None and key_has_id(key, columns) else None
        query = sa.select(table).order_by(table.c._row)
        rows, pks = [], []
        for chunk in (_chunks(sorted(numbers)) if numbers is not None else [None]):
            for rec in conn.execute(query if chunk is None else query.where(table.c._row.in_(chunk))).mappings():
                extra = json.loads(rec["_extra"] or "{}")
                rows.append([rec[by_position[i]] if i in by_position else extra.get(str(i), "")
                             for i in range(len(headers))])
                pks.append(rec["_row"])
        row_numbers = [numbers[pk] for pk in pks] if numbers is not None else [i + 2 for i in range(len(rows))]
        tab = RawTab(key, title, headers, rows, row_numbers)
        tab.pks = pks  # storage keys of the rows, used by save only
        return tab

    @staticmethod
    def _row_numbers(conn, key: str, ids: set[str]) -> dict[int, int]:
        """Storage key → sheet row number (2 for the first row) of the rows whose stripped ID is in `ids`."""
        table = DATA[key]
        id_column = table.c[schema.TABLES[key].id_field]
        found = {}
        for number, (pk, rid) in enumerate(conn.execute(sa.select(table.c._row, id_column).order_by(table.c._row)),
                                           start=2):
            if (rid or "").strip() in ids:
                found[pk] = number
        return found

    # -- writing ---------------------------------------------------------------------------------
    def save(self, changes: ChangeSet) -> None:
        if not changes and not changes.audit:
            return
        touched = sorted({r.table for r in changes.rows_to_append} | {u.table for u in changes.updates}
                         | {a.table for a in changes.id_assignments})
        with self._lock:
            try:
                with self.engine.begin() as conn:
                    self._serialise(conn)
                    raw = self._load(conn, touched, header_only={k for k in touched if not schema.TABLES[k].id_field},
                                     only_ids=ids_a_save_reads(changes))
                    check_cell_lengths(changes, raw.lang)
                    if already_applied(raw.tabs, changes, raw.lang):
                        return
                    for key in touched:
                        self._add_missing_headers(conn, raw.tabs[key], changes, raw.lang)
                    planned = plan_updates(raw.tabs, changes, raw.lang) + plan_id_assignments(raw.tabs, changes)
                    for table, row, col, text in planned:
                        tab = raw.tabs[table]
                        field_key = next(f for f, p in schema.map_headers(table, tab.headers).items() if p == col)
                        conn.execute(sa.update(DATA[table]).where(DATA[table].c._row == tab.pks[row])
                                     .values({field_key: text}))
                    for key in touched:
                        new = [r for r in changes.rows_to_append if r.table == key]
                        if new:
                            conn.execute(sa.insert(DATA[key]), [self._record(raw.tabs[key], r, raw.lang) for r in new])
            except sa.exc.OperationalError as e:
                raise StoreUnavailable(str(e.orig)[:200], "数据库无法写入") from None

    def _serialise(self, conn) -> None:
        """Make concurrent saves take turns, so the conflict check and the write see the same data."""
        if self.kind == "postgresql":
            conn.execute(sa.text("LOCK TABLE _tabs IN EXCLUSIVE MODE"))
        else:
            conn.execute(sa.update(META).where(META.c.key == "__lock__").values(value="1"))

    def _add_missing_headers(self, conn, tab: RawTab, changes: ChangeSet, lang: str) -> None:
        """Give a field that the save writes a header at the end if the tab lacks one."""
        needed = {k for r in changes.rows_to_append if r.table == tab.table for k in r.values}
        needed |= {u.field for u in changes.updates if u.table == tab.table}
        needed |= {schema.TABLES[a.table].id_field for a in changes.id_assignments if a.table == tab.table}
        have = schema.map_headers(tab.table, tab.headers)
        missing = [f for f in schema.TABLES[tab.table].fields if f.key in needed and f.key not in have]
        if not missing:
            return
        for f in missing:
            tab.headers.append(f.label(lang))
        for row in tab.rows:
            row.extend([""] * len(missing))
        self._write_tab_header(conn, tab.table, tab.title, tab.headers)

    def _write_tab_header(self, conn, key: str, title: str, headers: list[str]) -> None:
        values = {"title": title, "headers": json.dumps(headers, ensure_ascii=False)}
        if conn.execute(sa.select(TABS.c.table_key).where(TABS.c.table_key == key)).first():
            conn.execute(sa.update(TABS).where(TABS.c.table_key == key).values(values))
        else:
            conn.execute(sa.insert(TABS).values(table_key=key, **values))

    def _record(self, tab: RawTab, row, lang: str) -> dict:
        texts = row_texts(tab, row, lang)
        return self._cells_to_record(tab.table, tab.headers, texts)

    @staticmethod
    def _cells_to_record(key: str, headers: list[str], texts: list[str]) -> dict:
        columns = schema.map_headers(key, headers)
        record = {f: texts[pos] if pos < len(texts) else "" for f, pos in columns.items()}
        known = set(columns.values())
        extra = {str(i): t for i, t in enumerate(texts) if i not in known and t != ""}
        record["_extra"] = json.dumps(extra, ensure_ascii=False)
        return record

    # -- layout, demo flag, restore --------------------------------------------------------------
    def ensure_layout(self, lang: str) -> list[str]:
        added = []
        with self.engine.begin() as conn:
            self._set_meta(conn, "__lock__", "0")
            if not conn.execute(sa.select(META.c.value).where(META.c.key == "lang")).first():
                self._set_meta(conn, "lang", lang)
            lang = conn.execute(sa.select(META.c.value).where(META.c.key == "lang")).scalar_one()
            stored = {r.table_key: r for r in conn.execute(sa.select(TABS)).all()}
            for key, t in schema.TABLES.items():
                if key not in stored:
                    self._write_tab_header(conn, key, t.label(lang), schema.header_labels(key, lang))
                    added.append(t.label(lang))
                    continue
                headers = json.loads(stored[key].headers)
                have = schema.map_headers(key, headers)
                missing = [f.label(lang) for f in t.fields if f.key not in have]
                if missing:
                    self._write_tab_header(conn, key, stored[key].title, headers + missing)
                    added += [f"{stored[key].title}: {m}" for m in missing]
        return added

    def _set_meta(self, conn, key: str, value: str) -> None:
        if conn.execute(sa.select(META.c.key).where(META.c.key == key)).first():
            conn.execute(sa.update(META).where(META.c.key == key).values(value=value))
        else:
            conn.execute(sa.insert(META).values(key=key, value=value))

    def set_demo(self, demo: bool) -> None:
        with self.engine.begin() as conn:
            self._set_meta(conn, "demo", "1" if demo else "0")

    def clear(self) -> None:
        with self.engine.begin() as conn:
            for table in DATA.values():
                conn.execute(sa.delete(table))
            self._set_meta(conn, "demo", "0")

    def restore(self, raw: RawRegister, progress=None) -> None:
        """Load tabs exactly as given (headers, unknown columns, text) into this empty register."""
        with self.engine.begin() as conn:
            self._set_meta(conn, "lang", raw.lang)
            for n, (key, tab) in enumerate(raw.tabs.items(), start=1):
                self._write_tab_header(conn, key, tab.title, list(tab.headers))
                if tab.rows:
                    conn.execute(sa.insert(DATA[key]),
                                 [self._cells_to_record(key, tab.headers, row) for row in tab.rows])
                if progress:
                    progress(n / len(raw.tabs))

    def is_empty(self) -> bool:
        """True if no tab holds a record (Settings rows are configuration, not records)."""
        with self.engine.connect() as conn:
            return all(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() == 0
                       for key, t in DATA.items() if key != "settings")
