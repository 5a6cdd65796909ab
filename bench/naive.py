"""The naive way to put a Streamlit app on a sheet, measured on the emulator for comparison.

Every rerun opens the spreadsheet and reads every register tab with gspread's
`worksheet.get_all_records()` — no cache. A save appends each tab's new rows with one `append_rows`
and sets each changed cell with `update_cell` (the way gspread's documentation shows), finding the
row in the records the rerun just read.
"""
from __future__ import annotations

import gspread

from lib import cells, schema
from lib.store.base import ChangeSet, RawTab, row_texts
from lib.store.sheets import endpoint_session


def client(endpoint: str) -> gspread.Client:
    """A gspread client that talks to the emulator (no credentials needed)."""
    return gspread.Client(None, endpoint_session(endpoint))


class NaiveApp:
    """The naive app's view of one spreadsheet: what the last rerun read, and the worksheets it opened."""

    def __init__(self, gc: gspread.Client, spreadsheet_id: str, tabs: dict[str, RawTab]):
        self.gc, self.spreadsheet_id = gc, spreadsheet_id
        self.layout = {key: RawTab(key, tab.title, list(tab.headers), [], []) for key, tab in tabs.items()}
        self.worksheets: dict[str, gspread.Worksheet] = {}
        self.records: dict[str, list[dict]] = {}

    def rerun(self) -> None:
        """Read every tab, as the naive script does at the top of every rerun."""
        book = self.gc.open_by_key(self.spreadsheet_id)
        for key, tab in self.layout.items():
            self.worksheets[key] = book.worksheet(tab.title)
            self.records[key] = self.worksheets[key].get_all_records()

    def save(self, changes: ChangeSet, lang: str) -> None:
        """Append the new rows tab by tab, then write the changed cells one by one."""
        for key, tab in self.layout.items():
            rows = [row_texts(tab, row, lang) for row in changes.rows_to_append if row.table == key]
            if rows:
                self.worksheets[key].append_rows(rows, value_input_option="RAW")
        for update in changes.updates:
            tab = self.layout[update.table]
            table = schema.TABLES[update.table]
            id_header = tab.headers[tab.column(table.id_field)]
            row = next(number for number, record in enumerate(self.records[update.table], start=2)
                       if str(record.get(id_header)) == update.record_id)
            text = cells.write(table.field(update.field), update.new, lang)
            self.worksheets[update.table].update_cell(row, tab.column(update.field) + 1, text)
