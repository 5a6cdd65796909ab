"""The complaint workflow on every backend: SQLite, PostgreSQL and the Google Sheet (emulated)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lib import cells, feedback, schema
from lib.auth import User
from lib.errors import ConflictError
from lib.register import read_register
from lib.store.base import ChangeSet, RawRegister, RawTab
from tests.sheets_emulator import column_letter

NOW = datetime(2026, 11, 20, 10, 0)
STAFF = User("staff@example.com", "Staff", "staff")
OTHER = User("other@example.com", "Other", "manager")
OWNER = "owner@example.com"
CUSTOMERS = [{"customer_id": "C-000001", "name": "上海华东机械有限公司", "owner": STAFF.email},
             {"customer_id": "C-000002", "name": "Blue River Trading Co., Ltd.", "owner": OWNER}]
NEW_COMPLAINT = {"feedback_id": "F-000001", "customer_id": "C-000001", "received_at": NOW - timedelta(hours=2),
                 "type": "complaint", "channel": "phone", "priority": "high", "description": "发货延迟三天，影响生产",
                 "assignee": STAFF.email, "status": "new", "due_at": NOW + timedelta(hours=22)}


def raw_register(lang: str, feedback_rows: list[dict]) -> RawRegister:
    """The sheet text of two customers and these feedback rows, every other tab empty."""
    rows = {"customers": CUSTOMERS, "feedback": feedback_rows}
    tabs = {}
    for key, t in schema.TABLES.items():
        texts = [[cells.write(f, r.get(f.key), lang) for f in t.fields] for r in rows.get(key, [])]
        tabs[key] = RawTab(key, t.label(lang), schema.header_labels(key, lang), texts, [i + 2 for i in range(len(texts))])
    return RawRegister(tabs, lang, NOW)


def current(store):
    return read_register(store.load())


@pytest.fixture
def change_status_meanwhile(request):
    """Return `change(store, feedback_id, status)`: someone else moves an item after this session read it.

    On the Google Sheet a colleague retypes the status cell by hand (in Chinese); on SQL another user saves.
    """
    backend = request.node.callspec.params["make_store"]

    def change(store, feedback_id: str, status: str) -> None:
        if backend == "gsheets":
            tab = store.load().tabs["feedback"]
            row = tab.row_numbers[[r[tab.column("feedback_id")] for r in tab.rows].index(feedback_id)]
            label = schema.choice_label("feedback", "status", status, "zh")
            request.getfixturevalue("sheets_emulator").set_cell(tab.title, f"{column_letter(tab.column('status'))}{row}",
                                                                label)
        else:
            changes = ChangeSet(OTHER.email, at=NOW)
            changes.update("feedback", feedback_id, "status", current(store).record("feedback", feedback_id)["status"],
                           status)
            store.save(changes)

    return change


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_logged_complaint_is_due_after_its_time_limit_and_handled_by_the_owner(make_store, lang):
    store = make_store(lang=lang, raw=raw_register(lang, []))

    feedback.log_feedback(store, current(store), STAFF, {"type": "complaint", "customer_id": "C-000002",
                                                         "priority": "medium", "description": "发票抬头错误"},
                          "en", now=NOW)

    saved = current(store).record("feedback", "F-000001")
    assert (saved["status"], saved["due_at"], saved["assignee"]) == ("new", NOW + timedelta(hours=72), OWNER)


def test_complaint_moves_from_logged_to_closed(make_store):
    store = make_store(lang="zh", raw=raw_register("zh", []))
    feedback.log_feedback(store, current(store), STAFF, {"type": "complaint", "customer_id": "C-000001",
                                                         "description": "发货延迟三天"}, "zh", now=NOW)

    feedback.change_status(store, current(store), STAFF, "F-000001", "in_progress", "zh", now=NOW)
    feedback.change_status(store, current(store), STAFF, "F-000001", "resolved", "zh", resolution="已道歉并补发", now=NOW)
    feedback.change_status(store, current(store), STAFF, "F-000001", "closed", "zh", follow_up_csat=5, now=NOW)

    saved = current(store).record("feedback", "F-000001")
    assert (saved["status"], saved["resolution"], saved["resolved_at"], saved["follow_up_csat"]) == (
        "closed", "已道歉并补发", NOW, 5)


def test_every_status_change_is_in_the_audit_log_with_who_and_when(make_store):
    store = make_store(lang="en", raw=raw_register("en", [NEW_COMPLAINT]))

    feedback.change_status(store, current(store), STAFF, "F-000001", "resolved", "en", resolution="已道歉并补发",
                           now=NOW)

    audit = current(store).frame("audit")
    status_rows = audit[(audit["record_id"] == "F-000001") & (audit["field"] == "status")]
    assert status_rows[["user", "at", "old", "new"]].values.tolist() == [[STAFF.email, NOW, "New", "Resolved"]]


def test_status_changed_meanwhile_is_a_conflict_naming_both_values(make_store, change_status_meanwhile):
    store = make_store(lang="en", raw=raw_register("en", [NEW_COMPLAINT]))
    seen = current(store)
    change_status_meanwhile(store, "F-000001", "resolved")

    with pytest.raises(ConflictError) as clash:
        feedback.change_status(store, seen, STAFF, "F-000001", "in_progress", "en", now=NOW)

    c = clash.value.conflicts[0]
    assert (c.field, c.started_from, c.current, c.wanted) == ("status", "new", "resolved", "in_progress")


def test_status_changed_meanwhile_is_not_overwritten(make_store, change_status_meanwhile):
    store = make_store(lang="en", raw=raw_register("en", [NEW_COMPLAINT]))
    seen = current(store)
    change_status_meanwhile(store, "F-000001", "resolved")

    with pytest.raises(ConflictError):
        feedback.change_status(store, seen, STAFF, "F-000001", "in_progress", "en", now=NOW)

    assert current(store).record("feedback", "F-000001")["status"] == "resolved"
