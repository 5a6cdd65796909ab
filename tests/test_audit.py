"""The audit log: filters, signs of hand edits, news on my customers, last visits, and the audit page."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import audit, auth, schema
from lib.register import read_register
from lib.store.base import RawRegister, RawTab
from lib.store.sql import SqlStore

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 10, 0)
ALICE = auth.User("alice@example.com", "Alice", "staff")
BOB = auth.User("bob@example.com", "Bob", "manager")


def entry(at: str, user: str, action: str, table: str, record_id: str, field: str = "", old: str = "",
          new: str = "", reason: str = "") -> list[str]:
    """One audit row as ChangeSet writes it."""
    return [at, user, action, table, record_id, field, old, new, reason]


def register_raw(log: list[list[str]], row_numbers: list[int] | None = None, settings=()) -> RawRegister:
    """Two customers (Alice owns C-000001, Bob owns C-000002), a few child records, and this audit log."""
    rows = {
        "customers": [["C-000001", "Harbor Foods", "alice@example.com"],
                      ["C-000002", "Summit Systems", "bob@example.com"]],
        "contacts": [["P-000001", "C-000001", "Emily Tan", "+86 138 0013 8000"]],
        "interactions": [["I-000001", "C-000001", "2026-11-01", "Call about the renewal"]],
        "feedback": [["F-000001", "C-000002", "Late delivery"]],
        "settings": [list(s) for s in settings],
        "audit": log,
    }
    headers = {"customers": ["Customer ID", "Customer name", "Owner"],
               "contacts": ["Contact ID", "Customer ID", "Name", "Phone"],
               "interactions": ["Record ID", "Customer ID", "Date", "Summary"],
               "feedback": ["Feedback ID", "Customer ID", "Description"]}
    tabs = {}
    for key, table in schema.TABLES.items():
        data = rows.get(key, [])
        numbers = row_numbers if key == "audit" and row_numbers else [i + 2 for i in range(len(data))]
        tabs[key] = RawTab(key, table.en, headers.get(key, schema.header_labels(key, "en")), data, numbers)
    return RawRegister(tabs, "en", NOW)


LOG = [
    entry("2026-11-18 09:00", "alice@example.com", "create", "customers", "C-000001", new="name=Harbor Foods"),
    entry("2026-11-18 09:05", "bob@example.com", "update", "customers", "C-000001", "stage", "Prospect", "Customer",
          "signed"),
    entry("2026-11-19 11:00", "bob@example.com", "update", "contacts", "P-000001", "phone", "+86 138", "+86 139",
          "new number"),
    entry("2026-11-19 12:00", "carol@example.com", "create", "interactions", "I-000001", new="summary=Call"),
    entry("2026-11-19 13:00", "alice@example.com", "update", "feedback", "F-000001", "status", "New", "In progress"),
    entry("2026-11-20 08:00", "Bob@Example.com", "approve_tier", "tier_history", "C-000002", new="to_tier=A"),
    entry("2026-11-20 09:00", "bob@example.com", "settings", "settings", "sla.hours", "value", "high 24", "high 12",
          "faster"),
]


@pytest.fixture
def reg():
    return read_register(register_raw(LOG))


def records(frame) -> list[str]:
    return [f"{t}/{r}" for t, r in zip(frame["table"], frame["record_id"])]


# ---- filters ---------------------------------------------------------------------------------------

def test_log_is_listed_newest_first(reg):
    assert list(audit.audit_rows(reg)["at"])[:2] == [datetime(2026, 11, 20, 9), datetime(2026, 11, 20, 8)]


def test_filter_by_user_ignores_case(reg):
    assert records(audit.audit_rows(reg, audit.AuditFilter(users=("bob@example.com",)))) == [
        "settings/sla.hours", "tier_history/C-000002", "contacts/P-000001", "customers/C-000001"]


def test_filter_by_customer_includes_its_contacts_interactions_and_other_records(reg):
    assert records(audit.audit_rows(reg, audit.AuditFilter(customer_id="C-000001"))) == [
        "interactions/I-000001", "contacts/P-000001", "customers/C-000001", "customers/C-000001"]


def test_filter_by_customer_includes_feedback_and_tier_history(reg):
    assert records(audit.audit_rows(reg, audit.AuditFilter(customer_id="C-000002"))) == [
        "tier_history/C-000002", "feedback/F-000001"]


def test_filter_by_table_and_action(reg):
    found = audit.audit_rows(reg, audit.AuditFilter(tables=("customers",), actions=("update",)))
    assert records(found) == ["customers/C-000001"]


def test_date_range_includes_the_end_day(reg):
    found = audit.audit_rows(reg, audit.AuditFilter(start=date(2026, 11, 19), end=date(2026, 11, 19)))
    assert len(found) == 3


def test_table_written_as_a_tab_label_by_hand_is_recognised():
    reg = read_register(register_raw([entry("2026-11-18 09:00", "x@example.com", "update", "联系人", "P-000001",
                                            "phone", "1", "2")]))
    assert records(audit.audit_rows(reg, audit.AuditFilter(customer_id="C-000001"))) == ["contacts/P-000001"]


@pytest.mark.parametrize("lang, expected", [
    ("en", ["Time", "User", "Action", "Tab", "Record ID", "Customer", "Field", "Old value", "New value", "Reason"]),
    ("zh", ["时间", "用户", "操作", "表", "记录编号", "客户", "字段", "原值", "新值", "原因"]),
], ids=["en", "zh"])
def test_view_has_the_columns_people_read(reg, lang, expected):
    assert list(audit.audit_view(reg, audit.AuditFilter(), lang).columns) == expected


def test_view_names_tab_field_action_and_customer_in_the_users_language(reg):
    row = audit.audit_view(reg, audit.AuditFilter(users=("carol@example.com",)), "zh").iloc[0]
    assert (row["表"], row["操作"], row["客户"]) == ("沟通记录", "新增", "C-000001 · Harbor Foods")


def test_view_shows_old_and_new_value_and_reason(reg):
    row = audit.audit_view(reg, audit.AuditFilter(tables=("contacts",)), "en").iloc[0]
    assert (row["Field"], row["Old value"], row["New value"], row["Reason"]) == ("Phone", "+86 138", "+86 139",
                                                                                 "new number")


def test_unknown_action_is_shown_as_written(reg):
    assert audit.action_label("recalculate", "zh") == "recalculate"


# ---- signs of hand edits ---------------------------------------------------------------------------

def test_log_written_by_the_app_has_no_warnings(reg):
    assert audit.audit_health(reg) == []


def warning_codes(log, row_numbers=None) -> list[tuple[str, tuple[int, ...]]]:
    return [(w.code, w.rows) for w in audit.audit_health(read_register(register_raw(log, row_numbers)))]


def test_row_dated_before_the_previous_one_is_out_of_order():
    log = [entry("2026-11-18 09:00", "a@x", "update", "customers", "C-000001"),
           entry("2026-11-18 10:00", "a@x", "update", "customers", "C-000001"),
           entry("2026-11-17 10:00", "a@x", "update", "customers", "C-000001")]
    assert warning_codes(log) == [("out_of_order", (4,))]


def test_saves_that_overtake_each_other_by_minutes_are_not_out_of_order():
    log = [entry("2026-11-18 10:00", "a@x", "update", "customers", "C-000001"),
           entry("2026-11-18 09:55", "b@x", "update", "customers", "C-000001")]
    assert warning_codes(log) == []


def test_rows_without_time_user_or_action_are_reported():
    log = [entry("2026-11-18 09:00", "", "update", "customers", "C-000001"),
           entry("2026-11-18 10:00", "a@x", "", "customers", "C-000001"),
           entry("", "a@x", "update", "customers", "C-000001")]
    assert warning_codes(log) == [("missing_fields", (2, 3, 4))]


def test_unreadable_time_is_reported_once():
    log = [entry("yesterday-ish", "a@x", "update", "customers", "C-000001")]
    assert warning_codes(log) == [("unreadable_time", (2,))]


def test_blank_rows_between_entries_are_reported_as_possible_deletions():
    log = [entry("2026-11-18 09:00", "a@x", "update", "customers", "C-000001"),
           entry("2026-11-18 10:00", "a@x", "update", "customers", "C-000001")]
    assert warning_codes(log, row_numbers=[2, 5]) == [("blank_rows", (3, 4))]


@pytest.mark.parametrize("lang, words", [("en", "rows 4 are dated earlier"), ("zh", "第 4 行的时间早于上一行")],
                         ids=["en", "zh"])
def test_home_warnings_name_the_rows_in_the_users_language(lang, words):
    log = [entry("2026-11-18 10:00", "a@x", "update", "customers", "C-000001"),
           entry("2026-11-18 11:00", "a@x", "update", "customers", "C-000001"),
           entry("2026-11-17 10:00", "a@x", "update", "customers", "C-000001")]
    assert words in audit.home_warnings(read_register(register_raw(log)), lang)[0]


AUDIT_UPDATE = re.compile(r"""(\.update\(|FieldUpdate\()\s*(["']audit["']|audit\.TABLE)""")


def test_the_app_never_updates_the_audit_tab():
    """Append-only from the app's side: no code in lib/ or views/ builds an update of the audit tab."""
    sources = [path for folder in ("lib", "pages") for path in (ROOT / folder).rglob("*.py")]
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in sources
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if AUDIT_UPDATE.search(line)]
    assert offenders == []


# ---- news on my customers --------------------------------------------------------------------------

def test_changes_since_lists_others_changes_on_my_customers_and_their_records(reg):
    found = audit.changes_since(reg, ALICE, datetime(2026, 11, 18, 9, 1))
    assert records(found) == ["interactions/I-000001", "contacts/P-000001", "customers/C-000001"]


def test_changes_since_leaves_out_my_own_changes(reg):
    assert records(audit.changes_since(reg, BOB, datetime(2026, 11, 18))) == ["feedback/F-000001"]


def test_changes_since_leaves_out_what_happened_before(reg):
    assert records(audit.changes_since(reg, ALICE, datetime(2026, 11, 19, 11, 30))) == ["interactions/I-000001"]


def test_first_visit_shows_no_changes(reg):
    assert audit.changes_since(reg, ALICE, None).empty


def test_home_changes_says_who_changed_what_on_which_customer(reg):
    view = audit.home_changes(reg, ALICE, NOW, since=datetime(2026, 11, 19, 10), lang="en")
    assert view.iloc[-1][["User", "Customer", "What", "Old → new", "Reason"]].tolist() == [
        "bob@example.com", "C-000001 · Harbor Foods", "Contacts · Phone", "+86 138 → +86 139", "new number"]


def test_home_changes_looks_back_at_most_a_month():
    log = [entry("2026-09-01 09:00", "bob@example.com", "update", "customers", "C-000001", "stage", "a", "b")]
    reg = read_register(register_raw(log))
    assert audit.home_changes(reg, ALICE, NOW, since=datetime(2026, 1, 1)).empty


def test_home_changes_uses_the_stored_last_visit_without_a_session_one():
    reg = read_register(register_raw(LOG, settings=[("last_seen.alice@example.com", "2026-11-19 11:30", "")]))
    assert len(audit.home_changes(reg, ALICE, NOW)) == 1


# ---- last visit ------------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/register.db", lang="en")
    store.restore(register_raw(LOG))
    store.ensure_layout("en")
    return store


def test_first_visit_is_remembered_for_the_next_session(store):
    assert audit.mark_seen(store, read_register(store.load()), ALICE, NOW)
    assert audit.last_seen(read_register(store.load()), "Alice@Example.com") == NOW


def test_visit_within_the_hour_writes_nothing(store):
    audit.mark_seen(store, read_register(store.load()), ALICE, NOW)
    assert not audit.mark_seen(store, read_register(store.load()), ALICE, NOW + timedelta(minutes=59))


def test_visit_after_an_hour_moves_the_last_visit(store):
    audit.mark_seen(store, read_register(store.load()), ALICE, NOW)
    audit.mark_seen(store, read_register(store.load()), ALICE, NOW + timedelta(hours=2))
    assert audit.last_seen(read_register(store.load()), ALICE.email) == NOW + timedelta(hours=2)


def test_remembering_a_visit_is_in_the_audit_log_like_every_write(store):
    audit.mark_seen(store, read_register(store.load()), ALICE, NOW)
    log = read_register(store.load()).frame("audit")
    assert len(log) == len(LOG) + 1
    assert log.iloc[-1][["user", "action", "table"]].tolist() == [ALICE.email, "visit", "settings"]


# ---- the audit page --------------------------------------------------------------------------------

def test_audit_page_lists_every_change_for_a_manager(app_test):
    at = app_test("views/audit.py", raw=register_raw(LOG), role="manager").run()
    assert not at.exception
    assert at.title[0].value == "Audit log"
    assert "7 entries (of 7 in the log)" in [c.value for c in at.caption]


def test_audit_page_filters_by_customer_with_its_records(app_test):
    at = app_test("views/audit.py", raw=register_raw(LOG), role="manager").run()
    at.selectbox(key="audit.customer").set_value("C-000001").run()
    assert not at.exception
    assert "4 entries (of 7 in the log)" in [c.value for c in at.caption]


def test_audit_page_warns_when_the_log_looks_edited_by_hand(app_test):
    log = [*LOG, entry("2026-01-01 09:00", "bob@example.com", "update", "customers", "C-000001", "stage", "a", "b")]
    at = app_test("views/audit.py", raw=register_raw(log), role="manager").run()
    assert any("edited by hand" in w.value for w in at.warning)


def test_audit_page_offers_csv_and_excel_export(app_test):
    at = app_test("views/audit.py", raw=register_raw(LOG), role="manager").run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Export CSV", "Export Excel"]


def _show_last_visit():
    import streamlit as st

    from lib import ui
    st.write(f"last visit: {ui.last_visit(ui.register(), ui.current_user())}")


@pytest.fixture
def session(seeded_url, monkeypatch):
    """An AppTest session of Alice (signed in) on a register whose Settings say she last came on 19 Nov 11:30."""
    url = seeded_url(register_raw(LOG, settings=[("last_seen.alice@example.com", "2026-11-19 11:30", "")]))
    monkeypatch.setenv("REGISTER_URL", url)
    at = AppTest.from_function(_show_last_visit, default_timeout=60)
    at.secrets["auth"] = {"client_id": "x", "client_secret": "y", "cookie_secret": "z",
                          "redirect_uri": "http://127.0.0.1/oauth2callback",
                          "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
    at.secrets["roles"] = {"staff": [ALICE.email]}
    at.user = {"is_logged_in": True, "email": ALICE.email, "name": "Alice"}
    return at, SqlStore(url)


def test_session_shows_the_visit_it_started_from_and_stores_this_one(session):
    at, store = session
    at.run()
    at.run()
    assert at.markdown[0].value == "last visit: 2026-11-19 11:30:00"
    assert audit.last_seen(read_register(store.load()), ALICE.email) == NOW
