"""Fixtures shared by the suite: one store factory per backend, so the contract suite runs on all."""
from __future__ import annotations

import itertools
import os
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from pathlib import Path

from lib import demo
from lib.store.sql import SqlStore
from tests.browser import AppServer, chromium
from tests.pg_server import PostgresServer
from tests.sheets_fixtures import sheets_emulator, sheets_store_factory  # noqa: F401  (fixtures)

os.environ.setdefault("REGISTER_NOW", "2026-11-20T10:00:00")

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.fixture
def app_dir(tmp_path):
    """A working folder for a served app: the project's Streamlit config, no secrets, its own data/."""
    folder = tmp_path / "app"
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "config.toml").write_text(
        (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture
def served_app(app_dir):
    """Return `serve(env=None, secrets=None)`: the app running on 127.0.0.1 until the test ends."""
    servers = []

    def serve(env: dict | None = None, secrets: str | None = None):
        if secrets:
            (app_dir / ".streamlit" / "secrets.toml").write_text(secrets, encoding="utf-8")
        server = AppServer({"REGISTER_NOW": os.environ["REGISTER_NOW"], "APP_LOG": str(app_dir / "app.log"),
                            **(env or {})}, cwd=app_dir).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


DEMO_TODAY = date(2026, 11, 20)


@pytest.fixture
def seeded_url(tmp_path):
    """Return `seed(raw=None, lang="en")`: the URL of a fresh SQLite register holding `raw` (default: 60 demo customers)."""
    def seed(raw=None, lang: str = "en") -> str:
        url = f"sqlite:///{tmp_path}/app-{next(_names)}.db"
        store = SqlStore(url, lang=lang)
        store.restore(raw if raw is not None else demo.generate(60, lang=lang, today=DEMO_TODAY))
        store.ensure_layout(lang)
        return url
    return seed


@pytest.fixture
def app_test(seeded_url, monkeypatch):
    """Return `make(page=None, raw=None, lang="en", role=None, email=…)`: an AppTest of app.py on a seeded register.

    With `role`, sign-in is configured and the user is signed in with that role; without it the app
    runs in local single-user (admin) mode.
    """
    def make(page: str | None = None, raw=None, lang: str = "en", role: str | None = None,
             email: str = "someone@example.com") -> AppTest:
        monkeypatch.setenv("REGISTER_URL", seeded_url(raw, lang))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        if role:
            at.secrets["auth"] = {"client_id": "x", "client_secret": "y", "cookie_secret": "z",
                                  "redirect_uri": "http://127.0.0.1/oauth2callback",
                                  "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
            at.secrets["roles"] = {role: [email], "default": "viewer"}
            at.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0]}
        if page:
            at.run()
            at.switch_page(page)
        return at
    return make
