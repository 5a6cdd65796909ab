"""Fixtures shared by the customer tests: a fresh SQLite register holding the small register, and users by role."""
from __future__ import annotations

from datetime import datetime

import pytest

from lib.auth import User
from lib.register import read_register
from lib.store.sql import SqlStore
from tests.data.registers import small_register

NOW = datetime(2026, 11, 20, 10, 0)
ADMIN = User("admin@example.com", "Admin", "admin")
MANAGER = User("manager@example.com", "Manager", "manager")
STAFF = User("zhang.wei@example.com", "Zhang Wei", "staff")
VIEWER = User("viewer@example.com", "Viewer", "viewer")


@pytest.fixture
def store(tmp_path):
    """A SQLite register holding the small register, in Chinese."""
    s = SqlStore(f"sqlite:///{tmp_path}/register.db", lang="zh")
    s.restore(small_register("zh"))
    s.ensure_layout("zh")
    return s


def load(store):
    """Read the register as the app sees it now."""
    return read_register(store.load())
