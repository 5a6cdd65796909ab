"""The test suite's Sheets API emulator, tuned for register sizes a benchmark needs.

Two differences from tests/sheets_emulator.py, both about speed on the emulator's side only (what
the app sends and receives is unchanged):
- writes are applied in place instead of to a deep copy of the whole spreadsheet (the copy makes a
  write cost seconds at 50,000 customers; the benchmark injects no faults, so atomicity is not needed);
- formatting-only batchUpdate requests (repeatCell, updateBorders, …) are accepted and ignored:
  st-gsheets-connection sends them after every write, and they change no value;
- a register is put into a spreadsheet directly (`fill`), as text cells the way SheetsStore.restore
  writes them, without sending hundreds of megabytes of JSON through HTTP.
"""
from __future__ import annotations

from collections import Counter

from lib.store.base import RawRegister
from tests.sheets_emulator import DEFAULT_COLUMNS, DEFAULT_ROWS, READ_METHODS, ApiError, Cell, SheetsEmulator

SPARE_ROWS = 1000   # empty rows below the data, as a sheet people work in has
FORMAT_ONLY = frozenset({"repeatCell", "updateBorders", "updateDimensionProperties", "autoResizeDimensions",
                         "mergeCells", "unmergeCells", "addConditionalFormatRule", "addBanding"})


def _format_only(request: dict) -> bool:
    return len(request) == 1 and next(iter(request)) in FORMAT_ONLY


class BenchEmulator(SheetsEmulator):
    """A Sheets API emulator on 127.0.0.1 that writes in place and can be filled without requests."""

    def _dispatch(self, method, book_id, rng, params, body):
        if method in READ_METHODS or method in ("unknown", "spreadsheets.create"):
            return super()._dispatch(method, book_id, rng, params, body)
        book = self._books.get(book_id)
        if book is None:
            raise ApiError(404)
        one = {k: v[0] for k, v in params.items()}
        return getattr(self, "_" + method.replace(".", "_"))(book, rng, one, body)

    def _spreadsheets_batchUpdate(self, book, rng, one, body):
        requests = body.get("requests", [])
        answer = super()._spreadsheets_batchUpdate(
            book, rng, one, {**body, "requests": [r for r in requests if not _format_only(r)]})
        replies = iter(answer["replies"])
        answer["replies"] = [{} if _format_only(r) else next(replies) for r in requests]
        return answer

    def fill(self, raw: RawRegister) -> str:
        """Create a spreadsheet holding these tabs as text cells (frozen header); return its id."""
        titles = tuple(tab.title for tab in raw.tabs.values())
        book_id = self.create_spreadsheet("Customer register (benchmark)", sheets=titles)
        with self._lock:
            for tab in raw.tabs.values():
                sheet = self._sheet(tab.title, book_id)
                lines = [tab.headers, *tab.rows]
                sheet.rows = [[Cell(text) if text != "" else None for text in line] for line in lines]
                sheet.row_count = max(DEFAULT_ROWS, len(lines) + SPARE_ROWS)
                sheet.column_count = max(DEFAULT_COLUMNS, max(len(line) for line in lines))
                sheet.frozen_rows = 1
        return book_id

    def drop(self, spreadsheet_id: str) -> None:
        """Forget a spreadsheet (frees its memory)."""
        with self._lock:
            self._books.pop(spreadsheet_id, None)

    def mark(self) -> int:
        """Return a position in the request log, to count what happens after it."""
        with self._lock:
            return len(self.log)

    def since(self, position: int) -> Counter:
        """Requests answered since a mark, by API method."""
        with self._lock:
            return Counter(r.method for r in self.log[position:])


def reads(counts: Counter) -> int:
    """Read requests among these counts (Google's read quota)."""
    return sum(n for method, n in counts.items() if method in READ_METHODS)


def writes(counts: Counter) -> int:
    """Write requests among these counts (Google's write quota)."""
    return sum(n for method, n in counts.items() if method not in READ_METHODS)
