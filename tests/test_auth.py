"""Sign-in and roles from secrets, local single-user mode, masking for viewers, and what users never see or get."""
from __future__ import annotations

import tomllib
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import auth, demo
from lib.errors import StoreUnavailable
from lib.store.sql import SqlStore
from tests.conftest import ROOT

ROLES = {"admin": ["Boss@Example.com"], "manager": ["manager@example.com", "boss@example.com"],
         "staff": ["sales@example.com"], "viewer": ["intern@example.com"]}
SECRET_VALUES = ("cookie-SECRET-4f1c9a", "client-SECRET-77b2e0", "KEY-SECRET-9d3e51")
AUTH = {"client_id": "register.apps.example.com", "client_secret": SECRET_VALUES[1], "cookie_secret": SECRET_VALUES[0],
        "redirect_uri": "http://127.0.0.1/oauth2callback",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}


# ---- roles from [roles] ----------------------------------------------------------------------------

@pytest.mark.parametrize("email, roles, expected", [
    ("sales@example.com", ROLES, "staff"),
    ("SALES@example.com ", ROLES, "staff"),
    ("boss@example.com", ROLES, "admin"),
    ("stranger@example.com", ROLES, "viewer"),
    ("stranger@example.com", {**ROLES, "default": "staff"}, "staff"),
    ("stranger@example.com", {**ROLES, "default": "none"}, None),
    ("intern@example.com", {**ROLES, "default": "none"}, "viewer"),
    ("stranger@example.com", {**ROLES, "default": "superuser"}, None),
    ("", ROLES, "viewer"),
], ids=["listed", "case-and-spaces", "highest-listed-role-wins", "unknown-gets-viewer", "unknown-gets-default",
        "default-none-refuses", "listed-despite-default-none", "unknown-default-refuses", "no-email-is-unknown"])
def test_role_for_reads_the_roles_table(email, roles, expected):
    assert auth.role_for(email, roles) == expected


# ---- masking for viewers ---------------------------------------------------------------------------

CONTACTS = pd.DataFrame({"name": ["Emily Tan"], "phone": ["+86 138 0013 8000"], "email": ["emily.tan@harbor.com"],
                         "wechat": ["emily_tan88"], "title": ["Buyer"]})


def test_viewer_sees_phone_email_and_wechat_masked():
    shown = auth.masked(CONTACTS, auth.User("v@example.com", role="viewer"))
    assert shown.iloc[0].tolist() == ["Emily Tan", "+86************00", "e***@harbor.com", "emi******88", "Buyer"]


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_other_roles_see_contact_details_in_full(role):
    assert auth.masked(CONTACTS, auth.User("x@example.com", role=role)).equals(CONTACTS)


def test_masking_leaves_the_callers_frame_untouched():
    auth.masked(CONTACTS, auth.User("v@example.com", role="viewer"))
    assert CONTACTS.loc[0, "phone"] == "+86 138 0013 8000"


# ---- signing in ------------------------------------------------------------------------------------

@pytest.fixture
def app(seeded_url, monkeypatch):
    """Return `make(email=None, roles=ROLES)`: app.py with sign-in configured; `email` signed in, None signed out."""
    def make(email: str | None = None, roles: dict = ROLES, script: str = "app.py") -> AppTest:
        monkeypatch.setenv("REGISTER_URL", seeded_url(demo.generate(8, lang="en", today=date(2026, 11, 20))))
        at = AppTest.from_file(str(ROOT / script), default_timeout=60)
        at.session_state["ui.lang"] = "en"
        at.secrets["auth"] = AUTH
        at.secrets["roles"] = roles
        at.secrets["gcp_service_account"] = {"client_email": "register@example.iam.gserviceaccount.com",
                                             "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRET_VALUES[2]}\n"}
        at.user = {"is_logged_in": True, "email": email, "name": "Someone"} if email else {"is_logged_in": False}
        return at
    return make


def test_signed_out_visitor_sees_only_the_sign_in_button(app):
    at = app().run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert at.markdown[0].value == "Sign in with your work account to open the customer register."


def test_unknown_account_is_refused_when_the_default_is_none(app):
    at = app("stranger@example.com", {**ROLES, "default": "none"}).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Your account (stranger@example.com) has no access. Ask an admin to add you to the roles list."]
    assert [b.label for b in at.button] == ["Sign out"]


def test_unknown_account_gets_the_viewer_pages_by_default(app):
    at = app("stranger@example.com").run()
    assert not at.exception
    assert "Someone · Viewer" in [c.value for c in at.sidebar.caption]


def test_signed_in_user_sees_name_and_role_and_no_local_mode_banner(app):
    at = app("sales@example.com").run()
    assert "Someone · Staff" in [c.value for c in at.sidebar.caption]
    assert not any("Local single-user mode" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["views/home.py", "views/admin.py", "views/audit.py"])
def test_local_mode_says_on_every_page_that_anyone_is_admin(app_test, page):
    at = app_test(page).run()
    assert any("anyone who can open this page has admin rights" in w.value for w in at.warning)


# ---- what users never see --------------------------------------------------------------------------

def page_text(node) -> str:
    """Every text an AppTest page holds (labels, values, captions, messages), as one string."""
    children = getattr(node, "children", None)
    if children is not None:
        return "\n".join(page_text(child) for child in children.values())
    return str(getattr(node, "proto", ""))


@pytest.mark.parametrize("page", ["views/home.py", "views/admin.py"])
def test_secrets_are_never_shown(app, page):
    at = app("boss@example.com").run()
    at.switch_page(page).run()
    text = page_text(at._tree)
    assert not at.exception
    assert [s for s in SECRET_VALUES if s in text] == []


def test_register_location_hides_the_database_password(postgres, monkeypatch):
    url = postgres.create_database("hidden_password").replace("postgres@", "postgres:db-SECRET-31@")
    store = SqlStore(url, lang="en")   # the test server trusts 127.0.0.1, so any password connects
    store.restore(demo.generate(4, lang="en", today=date(2026, 11, 20)))
    monkeypatch.setenv("REGISTER_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["ui.lang"] = "en"
    at.run()
    assert "db-SECRET-31" not in page_text(at._tree)
    assert any("postgres:***@127.0.0.1" in c.value for c in at.caption)


def test_streamlit_never_shows_tracebacks_to_users():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_register_error_on_a_page_shows_only_its_message(app_test, monkeypatch):
    def unreachable(self, patient=True):
        raise StoreUnavailable("connection refused", "连接被拒绝")
    monkeypatch.setattr(SqlStore, "load", unreachable)
    at = app_test().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Couldn't reach the register (connection refused). Try again in a moment."]


def test_an_unreachable_database_is_named_on_the_page_not_a_crash(monkeypatch):
    monkeypatch.setenv("REGISTER_URL", "postgresql+psycopg://nobody@127.0.0.1:1/register")  # nothing listens there
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["ui.lang"] = "en"
    at.run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("Couldn't reach the register (") and error.endswith("Try again in a moment.")
    assert "127.0.0.1" in error


def test_note_over_the_cell_limit_on_the_new_customer_form_gets_a_clear_message(app_test):
    at = app_test("views/new_customer.py", role="staff").run()
    at.text_input(key="new_customer.name").input("Qingdao Lighthouse Ceramics")
    at.text_area(key="new_customer.notes").input("x" * 50_001)
    at.button(key="new_customer.save").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Notes is too long (50001 characters); a cell holds at most 50,000. Nothing was saved."]
