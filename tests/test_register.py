"""What is computed from a loaded register is remembered with it, and looked up by ID."""
from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from lib import cells, register, schema
from lib.register import lookup, per_register, read_register
from tests.data.registers import small_register


def _reg():
    return read_register(small_register("en"))


def test_derived_computes_once_per_key():
    reg, calls = _reg(), []
    for _ in range(3):
        assert reg.derived(("test", 1), lambda: calls.append(1) or len(calls)) == 1
    assert reg.derived(("test", 2), lambda: "other") == "other"
    assert calls == [1]


def test_derived_keeps_the_most_recently_used_results(monkeypatch):
    monkeypatch.setattr(register, "DERIVED_ENTRIES", 2)
    reg = _reg()
    reg.derived(("a",), lambda: "a")
    reg.derived(("b",), lambda: "b")
    reg.derived(("a",), lambda: "a again")     # used again: now the most recent
    reg.derived(("c",), lambda: "c")           # pushes out b, the least recently used
    assert [reg.derived((k,), lambda: "new") for k in "cab"] == ["c", "a", "new"]


def test_forget_derived_computes_afresh():
    reg = _reg()
    reg.derived(("a",), lambda: 1)
    reg.forget_derived()
    assert reg.derived(("a",), lambda: 2) == 2


def test_per_register_builds_once_for_each_register():
    built = []

    @per_register
    def rows(reg):
        built.append(reg)
        return len(reg.frame("customers"))

    first, second = _reg(), _reg()
    assert rows(first) == rows(first) == rows(second) == len(first.frame("customers"))
    assert built == [first, second]


def test_lookup_keeps_the_keys_order_and_index():
    values = pd.Series({"C-1": "Acme", "C-2": "Beta"})
    keys = pd.Series(["C-2", "C-9", "C-1", ""], index=[10, 11, 12, 13])
    found = lookup(values, keys)
    assert found.index.tolist() == [10, 11, 12, 13]
    assert found.tolist()[0::2] == ["Beta", "Acme"] and found.iloc[[1, 3]].isna().all()


@given(st.lists(st.text(), max_size=20))
def test_a_plain_text_column_reads_as_each_cell_would_on_its_own(texts):
    for f in (schema.CUSTOMERS.field("customer_id"), schema.CUSTOMERS.field("name")):
        column = register._typed_column(f, texts, "customers", f.label("en"), list(range(2, len(texts) + 2)), [])
        assert column.tolist() == [cells.read(f, text).value or "" for text in texts]
