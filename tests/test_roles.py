"""DESIGN.md §3's role table, run as every role: allowed or refused in lib/, and which pages each role gets."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from streamlit.testing.v1 import AppTest

from lib import auth, backup, demo, feedback, navigation, tiers
from lib.errors import PermissionDenied
from lib.register import read_register
from lib.store.sql import SqlStore
from tests.conftest import ROOT

ROLES = ("viewer", "staff", "manager", "admin")
EVERYONE, STAFF_UP, MANAGER_UP, ADMIN_ONLY = set(ROLES), {"staff", "manager", "admin"}, {"manager", "admin"}, {"admin"}

# DESIGN.md §3, written out again on purpose: the code must match the table, not itself.
ROLE_TABLE = {
    "view": EVERYONE,                   # see customers, charts
    "edit": STAFF_UP,                   # add/edit customers, contacts, interactions, transactions, feedback
    "work_own_complaints": STAFF_UP,    # assign and close complaints: staff "own"
    "assign_complaints": MANAGER_UP,
    "close_complaints": MANAGER_UP,
    "approve_tiers": MANAGER_UP,        # approve or override tiers
    "export": MANAGER_UP,               # export, see the audit log
    "audit": MANAGER_UP,
    "import": ADMIN_ONLY,               # import, archive/restore, merge duplicates, settings, backup/restore
    "archive": ADMIN_ONLY,
    "merge": ADMIN_ONLY,
    "settings": ADMIN_ONLY,
    "backup": ADMIN_ONLY,
}
PAGE_ROLES = {
    "views/home.py": EVERYONE, "views/customers.py": EVERYONE, "views/new_customer.py": STAFF_UP,
    "views/customer.py": EVERYONE, "views/follow_ups.py": EVERYONE, "views/tiers.py": EVERYONE,
    "views/feedback.py": EVERYONE, "views/charts.py": EVERYONE, "views/audit.py": MANAGER_UP,
    "views/admin.py": ADMIN_ONLY,
}
ACTION_CASES = [(role, action) for action in ROLE_TABLE for role in ROLES]
PAGE_CASES = [(role, page) for page in PAGE_ROLES for role in ROLES]
ALLOWED_ACTIONS = [(role, action) for role, action in ACTION_CASES if role in ROLE_TABLE[action]]
REFUSED_ACTIONS = [(role, action) for role, action in ACTION_CASES if role not in ROLE_TABLE[action]]
ALLOWED_PAGES = [(role, page) for role, page in PAGE_CASES if role in PAGE_ROLES[page]]
FORBIDDEN_PAGES = [(role, page) for role, page in PAGE_CASES if role not in PAGE_ROLES[page]]
AUTH = {"client_id": "x", "client_secret": "y", "cookie_secret": "z",
        "redirect_uri": "http://127.0.0.1/oauth2callback",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}


def user(role: str) -> auth.User:
    return auth.User(f"{role}@example.com", role.title(), role)


def case_id(case) -> str:
    return "-".join(str(part).removeprefix("views/").removesuffix(".py") for part in case)


def test_role_table_covers_every_action_of_the_app():
    assert set(ROLE_TABLE) == set(auth.ACTIONS)


def test_every_page_is_in_the_table():
    assert set(PAGE_ROLES) == {p.path for p in navigation.PAGES}


# ---- lib level -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, action", ACTION_CASES, ids=map(case_id, ACTION_CASES))
def test_can_follows_the_role_table(role, action):
    assert auth.can(user(role), action) == (role in ROLE_TABLE[action])


@pytest.mark.parametrize("role, action", ALLOWED_ACTIONS, ids=map(case_id, ALLOWED_ACTIONS))
def test_require_lets_the_role_table_through(role, action):
    auth.require(user(role), action)


@pytest.mark.parametrize("role, action", REFUSED_ACTIONS, ids=map(case_id, REFUSED_ACTIONS))
def test_require_refuses_what_the_role_table_forbids_with_a_message(role, action):
    with pytest.raises(PermissionDenied, match="nothing was done"):
        auth.require(user(role), action)


@pytest.fixture
def store(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/register.db", lang="en")
    store.restore(demo.generate(8, lang="en", today=date(2026, 11, 20)))
    store.ensure_layout("en")
    return store


def _complaint(reg) -> str:
    items = reg.frame("feedback")
    return items.loc[items["type"] == "complaint", "feedback_id"].iloc[0]


WRITES = {
    "log feedback as viewer": lambda store, reg: feedback.log_feedback(
        store, reg, user("viewer"), {"customer_id": reg.frame("customers")["customer_id"].iloc[0], "type": "complaint",
                                     "description": "late", "received_at": datetime(2026, 11, 20, 9)}, "en"),
    "assign a complaint as staff": lambda store, reg: feedback.assign(
        store, reg, user("staff"), _complaint(reg), "someone@example.com", "en"),
    "approve tiers as staff": lambda store, reg: tiers.approve_tiers(
        store, reg, user("staff"), [{"customer_id": reg.frame("customers")["customer_id"].iloc[0], "to_tier": "A"}],
        "en"),
    "change a setting as manager": lambda store, reg: backup.save_setting(
        store, reg, user("manager"), "care.lookahead_days", "30", "", "longer", "en"),
    "clear demo data as manager": lambda store, reg: backup.clear_demo(store, reg, user("manager"), "en"),
    "back up as manager": lambda store, reg: backup.backup_for(store, user("manager")),
    "restore as manager": lambda store, reg: backup.restore(store, store.load(), user("manager")),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_lib_write_refuses_the_wrong_role_and_changes_nothing(store, write):
    before = store.load()
    with pytest.raises(PermissionDenied):
        write(store, read_register(before))
    assert {k: t.rows for k, t in store.load().tabs.items()} == {k: t.rows for k, t in before.tabs.items()}


# ---- page visibility -------------------------------------------------------------------------------

@pytest.mark.parametrize("role, page", PAGE_CASES, ids=map(case_id, PAGE_CASES))
def test_navigation_lists_exactly_the_pages_of_the_role(role, page):
    assert (page in [p.path for p in navigation.pages_for(user(role))]) == (role in PAGE_ROLES[page])


def signed_in(script: str, role: str) -> AppTest:
    """An AppTest of a script with sign-in configured and someone of this role signed in."""
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    at.session_state["ui.lang"] = "en"
    at.secrets["auth"] = AUTH
    at.secrets["roles"] = {role: [f"{role}@example.com"], "default": "viewer"}
    at.user = {"is_logged_in": True, "email": f"{role}@example.com", "name": role}
    return at


@pytest.fixture(scope="module")
def app_as(tmp_path_factory):
    """Return `app(role)`: app.py run once per role and kept for the module (navigation is read, not run)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('roles')}/register.db"
    store = SqlStore(url, lang="en")
    store.restore(demo.generate(8, lang="en", today=date(2026, 11, 20)))
    store.ensure_layout("en")
    apps: dict[str, AppTest] = {}

    def app(role: str) -> AppTest:
        if role not in apps:
            with pytest.MonkeyPatch.context() as env:
                env.setenv("REGISTER_URL", url)
                apps[role] = signed_in("app.py", role).run()
        return apps[role]
    return app


@pytest.mark.parametrize("role, page", ALLOWED_PAGES, ids=map(case_id, ALLOWED_PAGES))
def test_app_navigation_offers_the_page_to_roles_that_may_open_it(app_as, role, page):
    at = app_as(role)
    assert not at.exception
    at.switch_page(page)


@pytest.mark.parametrize("role, page", FORBIDDEN_PAGES, ids=map(case_id, FORBIDDEN_PAGES))
def test_app_navigation_leaves_the_page_out_for_other_roles(app_as, role, page):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(role).switch_page(page)


@pytest.mark.parametrize("role, page", FORBIDDEN_PAGES, ids=map(case_id, FORBIDDEN_PAGES))
def test_page_opened_directly_by_a_role_that_may_not_refuses_and_renders_nothing(seeded_url, monkeypatch, role, page):
    monkeypatch.setenv("REGISTER_URL", seeded_url(demo.generate(8, lang="en", today=date(2026, 11, 20))))
    at = signed_in(page, role).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Your role may not open this page. Ask an admin for access."]
    assert (len(at.title), len(at.button), len(at.text_input)) == (0, 0, 0)
