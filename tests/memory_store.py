"""A store in memory for unit tests of lib/ write functions (real backends run in the contract suite)."""
from __future__ import annotations

import copy

from lib.store.base import ChangeSet, RawRegister, Store, plan_id_assignments, plan_updates, row_texts


class MemoryStore(Store):
    """Checks and applies change sets like a backend (conflicts by ID, appends) and keeps every save."""
    kind = "memory"

    def __init__(self, raw: RawRegister):
        self.raw = copy.deepcopy(raw)
        self.saved: list[ChangeSet] = []

    def load(self, *, patient: bool = True) -> RawRegister:
        return copy.deepcopy(self.raw)

    def save(self, changes: ChangeSet) -> None:
        tabs, lang = self.raw.tabs, self.raw.lang
        for table, row, col, text in plan_updates(tabs, changes, lang) + plan_id_assignments(tabs, changes):
            tabs[table].rows[row][col] = text
        for new in changes.rows_to_append:
            tab = tabs[new.table]
            tab.rows.append(row_texts(tab, new, lang))
            tab.row_numbers.append(len(tab.rows) + 1)
        self.saved.append(changes)

    def ensure_layout(self, lang: str) -> list[str]:
        return []

    def clear(self) -> None:
        for tab in self.raw.tabs.values():
            tab.rows.clear()
            tab.row_numbers.clear()

    def restore(self, raw: RawRegister, progress=None) -> None:
        self.raw = copy.deepcopy(raw)

    def is_empty(self) -> bool:
        return not any(tab.rows for key, tab in self.raw.tabs.items() if key != "settings")
