"""Pytest fixtures for the Google Sheets backend: an emulator per test and stores on fresh spreadsheets.

tests/conftest.py imports `sheets_emulator` and `sheets_store_factory` so the contract suite runs on
the Sheets backend too.
"""
from __future__ import annotations

import pytest

from lib.store.sheets import SheetsStore
from tests.sheets_emulator import SheetsEmulator


@pytest.fixture
def sheets_emulator():
    """A Sheets API emulator on 127.0.0.1, fresh for each test (no counts or faults carried over)."""
    with SheetsEmulator() as emulator:
        yield emulator


@pytest.fixture
def sheets_store_factory(sheets_emulator):
    """Return `make(lang="zh", raw=None, layout=True, **options)`: a SheetsStore on a new spreadsheet.

    raw: a RawRegister written into the sheet first (store.restore). layout: run ensure_layout(lang).
    options go to SheetsStore (max_retries, sleep, …); backoff never really sleeps.
    """
    def make(lang: str = "zh", raw=None, layout: bool = True, **options) -> SheetsStore:
        options.setdefault("sleep", lambda seconds: None)
        store = SheetsStore(sheets_emulator.create_spreadsheet(), endpoint=sheets_emulator.url, lang=lang, **options)
        if raw is not None:
            store.restore(raw)
        if layout:
            store.ensure_layout(lang)
        return store

    return make
