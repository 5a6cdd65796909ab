"""Moving a register between backends keeps every row and cell (counts and checksum compared)."""
from __future__ import annotations

from datetime import date

import pytest

from lib import demo
from lib.errors import RegisterError
from lib.migrate import content_checksum, migrate
from lib.store.sql import SqlStore


@pytest.fixture
def source(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/source.db")
    raw = demo.generate(40, today=date(2026, 11, 20))
    raw.tabs["customers"].headers.append("微信群")  # a column the app does not know
    for row in raw.tabs["customers"].rows:
        row.append("群" + row[0])
    store.restore(raw)
    return store


def test_sqlite_register_moves_to_postgresql_unchanged(source, postgres):
    target = SqlStore(postgres.create_database("migrated"))
    report = migrate(source, target)
    assert report["identical"]
    assert report["counts_after"]["customers"] == 40
    assert content_checksum(target.load()) == content_checksum(source.load())


def test_unknown_columns_survive_the_move(source, tmp_path):
    target = SqlStore(f"sqlite:///{tmp_path}/target.db")
    migrate(source, target)
    tab = target.load().tabs["customers"]
    assert tab.headers[-1] == "微信群"
    assert tab.rows[0][-1] == "群C-000001"


def test_migration_refuses_a_target_that_holds_data(source, tmp_path):
    target = SqlStore(f"sqlite:///{tmp_path}/target.db")
    target.restore(demo.generate(3, today=date(2026, 11, 20)))
    with pytest.raises(RegisterError):
        migrate(source, target)


def test_checksum_changes_when_one_cell_changes(source):
    raw = source.load()
    before = content_checksum(raw)
    raw.tabs["transactions"].rows[5][4] = "1"
    assert content_checksum(raw) != before
