"""Fixtures shared by the suite: one store factory per backend, so the contract suite runs on all."""
from __future__ import annotations

import itertools
import os

import pytest

from lib.store.sql import SqlStore
from tests.pg_server import PostgresServer
from tests.sheets_fixtures import sheets_emulator, sheets_store_factory  # noqa: F401  (fixtures)

os.environ.setdefault("REGISTER_NOW", "2026-11-20T10:00:00")

BACKENDS = ["sqlite", "postgresql", "gsheets"]
_names = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def make_store(request, tmp_path):
    """Return `make(lang="zh", raw=None)`: a fresh, laid-out store of this test's backend, seeded with `raw`."""
    backend = request.param

    def make(lang: str = "zh", raw=None):
        if backend == "sqlite":
            store = SqlStore(f"sqlite:///{tmp_path}/register-{next(_names)}.db", lang=lang)
        elif backend == "postgresql":
            pg = request.getfixturevalue("postgres")
            store = SqlStore(pg.create_database(f"register_{next(_names)}"), lang=lang)
        else:
            return request.getfixturevalue("sheets_store_factory")(lang=lang, raw=raw)
        if raw is not None:
            store.restore(raw)
        store.ensure_layout(lang)
        return store

    return make


def pytest_generate_tests(metafunc):
    if "make_store" in metafunc.fixturenames:
        metafunc.parametrize("make_store", BACKENDS, indirect=True)
