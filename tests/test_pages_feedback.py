"""The feedback page: logging, the complaint queue and its workflow, and what feedback says (AppTest)."""
from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest

from lib import cells, feedback, schema
from lib.auth import User
from lib.register import read_register
from lib.store.base import RawRegister, RawTab
from lib.store.sql import SqlStore

PAGE = "views/feedback.py"
NOW = datetime(2026, 11, 20, 10, 0)   # REGISTER_NOW in tests/conftest.py
STAFF, OTHER, MANAGER = "staff@example.com", "other@example.com", "manager@example.com"

CUSTOMERS = [
    {"customer_id": "C-000001", "name": "上海华东机械有限公司", "owner": STAFF},
    {"customer_id": "C-000002", "name": "Blue River Trading Co., Ltd.", "owner": OTHER},
]


def item(feedback_id: str, *, status: str = "new", assignee: str = STAFF, received: datetime = NOW - timedelta(hours=2),
         type: str = "complaint", customer_id: str = "C-000001", **values) -> dict:
    """One feedback row; a complaint is high priority and due 24 hours after it came in."""
    complaint = type == "complaint"
    return {"feedback_id": feedback_id, "customer_id": customer_id, "received_at": received, "type": type,
            "channel": "phone", "priority": "high" if complaint else "low", "assignee": assignee if complaint else "",
            "status": status, "due_at": received + timedelta(hours=24) if complaint else None,
            "description": "发货延迟三天，影响生产" if complaint else "", **values}


FEEDBACK = [
    item("F-000001", received=NOW - timedelta(hours=30)),                                   # overdue by 6 h
    item("F-000002", status="in_progress", received=NOW - timedelta(hours=22)),              # due today at 12:00
    item("F-000003", status="resolved", resolved_at=NOW - timedelta(hours=1), resolution="已道歉并补发"),
    item("F-000004", status="closed", resolved_at=NOW - timedelta(hours=1), resolution="已道歉并补发",
         follow_up_csat=4),
    item("F-000005", assignee=OTHER, customer_id="C-000002"),
    item("F-000006", type="survey", status="closed", csat=5, nps=9),
    item("F-000007", customer_id=""),
]


def raw_register(lang: str = "en") -> RawRegister:
    """The sheet text of these customers and feedback, every other tab empty."""
    rows = {"customers": CUSTOMERS, "feedback": FEEDBACK}
    tabs = {}
    for key, t in schema.TABLES.items():
        texts = [[cells.write(f, r.get(f.key), lang) for f in t.fields] for r in rows.get(key, [])]
        tabs[key] = RawTab(key, t.label(lang), schema.header_labels(key, lang), texts, [i + 2 for i in range(len(texts))])
    return RawRegister(tabs, lang, NOW)


@pytest.fixture
def open_page(app_test):
    """Return `open(role="staff", email=STAFF, lang="en", customer=None)`: the feedback page on the register above."""
    def open_(role: str | None = "staff", email: str = STAFF, lang: str = "en", customer: str | None = None):
        at = app_test(PAGE, raw=raw_register(lang), lang=lang, role=role, email=email)
        if customer:
            at.query_params["customer"] = customer
        at.run()
        assert not at.exception
        return at
    return open_


def stored(feedback_id: str) -> dict:
    """The feedback record as the register holds it now."""
    return read_register(SqlStore(os.environ["REGISTER_URL"]).load()).record("feedback", feedback_id)


def queue(at):
    """The queue table people see (the first table on the page)."""
    return at.dataframe[0].value.set_index("Feedback ID")


def log(at, **values):
    """Fill the logging form and submit it."""
    for key, value in values.items():
        widget = at.text_area(key="feedback.description") if key == "description" else at.get_by_key(f"feedback.{key}")
        widget.set_value(value)
    at.button(key="feedback.log").click().run()
    assert not at.exception


def choose(at, feedback_id: str, statuses: list[str] | None = None):
    """Pick one item of the queue (showing these statuses) to work on."""
    if statuses:
        at.multiselect(key="feedback.filter_status").set_value(statuses).run()
    at.selectbox(key="feedback.item").set_value(feedback_id).run()
    assert not at.exception


def open_insights(at):
    """Switch to the "What feedback says" tab (it runs only when open)."""
    at.session_state["feedback.tab"] = "What feedback says"
    at.run()
    assert not at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


# ---- logging -------------------------------------------------------------------------------------

def test_logging_a_complaint_says_when_it_is_due_and_who_handles_it(open_page):
    at = open_page()

    log(at, customer_id="C-000002", priority="high", description="Invoice header wrong")

    assert texts(at.success) == ["Logged complaint F-000008: due by 2026-11-21 10:00 (within 24 h), "
                                 "handled by other@example.com."]


def test_logged_complaint_appears_in_the_queue_as_new(open_page):
    at = open_page()

    log(at, customer_id="C-000001", priority="low", description="Invoice header wrong")

    assert queue(at).loc["F-000008", ["Status", "Due"]].tolist() == ["New", "2026-11-27 10:00"]


def test_logging_empties_the_form_for_the_next_call(open_page):
    at = open_page()

    log(at, customer_id="C-000001", description="Invoice header wrong")

    assert (at.text_area(key="feedback.description").value, at.selectbox(key="feedback.customer_id").value) == (
        "", None)


def test_logging_a_survey_answer_stores_its_scores_closed(open_page):
    at = open_page()

    log(at, type="survey", customer_id="C-000001", csat=4, nps=9)

    saved = stored("F-000008")
    assert (texts(at.success), saved["csat"], saved["nps"], saved["status"]) == (
        ["Logged feedback F-000008."], 4, 9, "closed")


def test_unknown_caller_is_logged_without_a_customer(open_page):
    at = open_page()

    log(at, description="Caller did not give a name")

    assert (stored("F-000008")["customer_id"], stored("F-000008")["assignee"]) == ("", STAFF)


@pytest.mark.parametrize("values, message", [
    ({"type": "survey", "csat": 6}, "CSAT must be a whole number from 1 to 5"),
    ({"type": "survey", "csat": 0}, "CSAT must be a whole number from 1 to 5"),
    ({"type": "survey", "nps": 11}, "NPS must be a whole number from 0 to 10"),
    ({"type": "complaint", "description": "  "}, "Description is required."),
], ids=["csat-6", "csat-0", "nps-11", "complaint-without-description"])
def test_logging_refuses_what_cannot_be_saved_naming_the_field(open_page, values, message):
    at = open_page()

    log(at, **values)

    assert (texts(at.error), stored("F-000008")) == ([message], None)


def test_refused_form_keeps_what_was_typed(open_page):
    at = open_page()

    log(at, type="survey", csat=6, description="Mostly happy")

    assert at.text_area(key="feedback.description").value == "Mostly happy"


def test_customer_link_preselects_the_customer(open_page):
    at = open_page(customer="C-000002")

    assert at.selectbox(key="feedback.customer_id").value == "C-000002"


def test_customer_picker_shows_name_and_id(open_page):
    at = open_page()

    assert at.selectbox(key="feedback.customer_id").options == ["Blue River Trading Co., Ltd. · C-000002",
                                                                "上海华东机械有限公司 · C-000001"]


def test_page_speaks_chinese(open_page):
    at = open_page(lang="zh")

    log(at, customer_id="C-000001", priority="high", description="发票抬头错误")

    assert texts(at.success) == ["已记录投诉 F-000008：须在 2026-11-21 10:00 前处理（时限 24 小时），处理人 staff@example.com。"]


# ---- the queue -----------------------------------------------------------------------------------

def test_queue_lists_open_items_most_urgent_first(open_page):
    at = open_page()

    assert queue(at).index.tolist() == ["F-000001", "F-000002", "F-000005", "F-000007", "F-000003"]


@pytest.mark.parametrize("feedback_id, urgency", [
    ("F-000001", "🔴 Overdue by 6 h"),
    ("F-000002", "🟠 Due today, 2 h left"),
    ("F-000005", "🟢 22 h left"),
    ("F-000003", "📞 Call back"),
], ids=["overdue", "due-today", "due-later", "awaiting-call-back"])
def test_queue_marks_how_urgent_each_item_is(open_page, feedback_id, urgency):
    at = open_page()

    assert queue(at).at[feedback_id, "Urgency"] == urgency


def test_queue_counts_overdue_and_due_today(open_page):
    at = open_page()

    assert "In the queue: 5 · overdue: 1 · due today: 1 · waiting for their call-back: 1" in texts(at.caption)


def test_my_items_shows_only_what_the_signed_in_user_handles(open_page):
    at = open_page(email=OTHER)

    at.toggle(key="feedback.mine").set_value(True).run()

    assert queue(at).index.tolist() == ["F-000005"]


@pytest.mark.parametrize("key, value, ids", [
    ("feedback.filter_assignee", [OTHER], ["F-000005"]),
    ("feedback.filter_status", ["resolved"], ["F-000003"]),
    ("feedback.filter_status", ["closed"], ["F-000004", "F-000006"]),
    ("feedback.filter_type", ["survey"], []),
], ids=["assignee", "status", "closed-on-request", "type"])
def test_queue_filters(open_page, key, value, ids):
    at = open_page()

    at.multiselect(key=key).set_value(value).run()

    assert queue(at).index.tolist() == ids


# ---- the workflow --------------------------------------------------------------------------------

@pytest.mark.parametrize("feedback_id, statuses, action, inputs, expected", [
    ("F-000001", None, "start", {}, {"status": "in_progress"}),
    ("F-000002", None, "resolve", {"resolution": "已道歉并补发"},
     {"status": "resolved", "resolution": "已道歉并补发", "resolved_at": NOW}),
    ("F-000003", None, "close", {"follow_up_csat": 5}, {"status": "closed", "follow_up_csat": 5}),
    ("F-000004", ["closed"], "reopen", {"reason": "客户说问题仍在"}, {"status": "in_progress"}),
], ids=["start", "resolve-with-resolution", "close-with-follow-up-csat", "reopen-with-reason"])
def test_status_moves_through_the_page(open_page, feedback_id, statuses, action, inputs, expected):
    at = open_page()
    choose(at, feedback_id, statuses)
    for arg, value in inputs.items():
        at.get_by_key(f"feedback.{action}_{arg}").set_value(value)

    at.button(key=f"feedback.do_{action}").click().run()

    saved = stored(feedback_id)
    assert (not at.exception, {k: saved[k] for k in expected}) == (True, expected)


def test_status_move_says_it_was_saved(open_page):
    at = open_page()
    choose(at, "F-000002")
    at.text_area(key="feedback.resolve_resolution").input("已道歉并补发")

    at.button(key="feedback.do_resolve").click().run()

    assert texts(at.success) == ["Resolved. Remember to call the customer back."]


@pytest.mark.parametrize("feedback_id, action, message, status", [
    ("F-000002", "resolve", "Resolution is required.", "in_progress"),
    ("F-000003", "close", "Follow-up CSAT is required.", "resolved"),
    ("F-000004", "reopen", "Reason is required.", "closed"),
], ids=["resolve-without-resolution", "close-without-call-back", "reopen-without-reason"])
def test_status_move_without_what_it_asks_for_is_refused(open_page, feedback_id, action, message, status):
    at = open_page()
    choose(at, feedback_id, ["closed"] if status == "closed" else None)

    at.button(key=f"feedback.do_{action}").click().run()

    assert (texts(at.error), stored(feedback_id)["status"]) == ([message], status)


@pytest.mark.parametrize("feedback_id, buttons", [
    ("F-000001", ["feedback.do_start", "feedback.do_resolve"]),
    ("F-000003", ["feedback.do_close", "feedback.do_reopen"]),
    ("F-000007", ["feedback.do_start", "feedback.do_resolve", "feedback.do_link"]),
], ids=["new", "resolved", "without-customer"])
def test_staff_get_the_actions_their_own_item_allows(open_page, feedback_id, buttons):
    at = open_page()

    choose(at, feedback_id)

    assert [b.key for b in at.button if b.key.startswith("feedback.do_")] == buttons


def test_staff_are_refused_work_on_someone_elses_item_with_the_reason(open_page):
    at = open_page()

    choose(at, "F-000005")

    assert (texts(at.info), [b.key for b in at.button if b.key.startswith("feedback.do_")]) == (
        ["Feedback F-000005 is assigned to other@example.com; only they or a manager may change it. "
         "Nothing was done."], [])


def test_viewer_sees_the_queue_but_no_form_or_actions(open_page):
    at = open_page(role="viewer", email="viewer@example.com")

    assert (len(queue(at)), texts(at.info)[-1], [w.key for w in at.text_area], [s.key for s in at.selectbox]) == (
        5, "Your role may see feedback but not log or handle it. Ask an admin for access.", [], [])


@pytest.mark.parametrize("role, buttons", [
    ("manager", ["feedback.do_start", "feedback.do_resolve", "feedback.do_assign", "feedback.do_due"]),
    ("admin", ["feedback.do_start", "feedback.do_resolve", "feedback.do_assign", "feedback.do_due"]),
], ids=["manager", "admin"])
def test_managers_may_work_on_assign_and_reschedule_anyones_item(open_page, role, buttons):
    at = open_page(role=role, email=MANAGER)

    choose(at, "F-000005")

    assert [b.key for b in at.button if b.key.startswith("feedback.do_")] == buttons


def test_manager_assigns_an_item_with_a_reason(open_page):
    at = open_page(role="manager", email=MANAGER)
    choose(at, "F-000005")
    at.selectbox(key="feedback.assign_assignee").set_value(STAFF)
    at.text_input(key="feedback.assign_reason").input("张伟休假")

    at.button(key="feedback.do_assign").click().run()

    assert (texts(at.success), stored("F-000005")["assignee"]) == (["Assigned."], STAFF)


def test_manager_moves_the_due_time_with_a_reason(open_page):
    at = open_page(role="manager", email=MANAGER)
    choose(at, "F-000005")
    at.get_by_key("feedback.due_due_at").set_value(datetime(2026, 11, 25, 18, 0))
    at.text_input(key="feedback.due_reason").input("客户要求延期")

    at.button(key="feedback.do_due").click().run()

    assert stored("F-000005")["due_at"] == datetime(2026, 11, 25, 18, 0)


def test_feedback_from_an_unknown_caller_is_linked_to_its_customer_later(open_page):
    at = open_page()
    choose(at, "F-000007")
    at.selectbox(key="feedback.link_customer_id").set_value("C-000002")

    at.button(key="feedback.do_link").click().run()

    assert (texts(at.success), stored("F-000007")["customer_id"]) == (["Linked to the customer."], "C-000002")


def status_changed_meanwhile_by_hand(feedback_id: str, to_status: str) -> None:
    """Someone else moves the item in the register after the page read it."""
    store = SqlStore(os.environ["REGISTER_URL"])
    feedback.change_status(store, read_register(store.load()), User(MANAGER, role="manager"), feedback_id, to_status,
                           "en", resolution="已退款", now=NOW)


def test_status_changed_meanwhile_shows_both_values_and_is_not_overwritten(open_page):
    at = open_page()
    choose(at, "F-000001")
    status_changed_meanwhile_by_hand("F-000001", "resolved")

    at.button(key="feedback.do_start").click().run()

    clash = at.dataframe[1].value
    assert (clash[["Field", "You saw", "Now", "You wanted"]].values.tolist(), stored("F-000001")["status"]) == (
        [["Status", "New", "Resolved", "In progress"]], "resolved")


def test_reload_after_a_conflict_shows_the_item_as_it_is_now(open_page):
    at = open_page()
    choose(at, "F-000001")
    status_changed_meanwhile_by_hand("F-000001", "resolved")
    at.button(key="feedback.do_start").click().run()

    at.button(key="feedback.reload").click().run()

    assert (queue(at).at["F-000001", "Status"], [b.key for b in at.button if b.key.startswith("feedback.do_")]) == (
        "Resolved", ["feedback.do_close", "feedback.do_reopen"])


# ---- what feedback says --------------------------------------------------------------------------

def test_insights_run_only_when_their_tab_is_open(open_page):
    at = open_page()

    assert at.metric == []


def test_insights_show_this_months_numbers(open_page):
    at = open_insights(open_page())

    assert {m.label: m.value for m in at.metric} == {
        "CSAT (n = 1)": "100 %", "NPS (n = 1)": "+100", "Complaints": "6",
        "Median time to resolve": "1 h", "Resolved within time limit": "100 %", "Open / overdue": "5 / 1"}


def test_insights_list_the_most_frequent_complaint_topics(open_page):
    at = open_insights(open_page())

    topics = at.dataframe[1].value.set_index("Topic")["Items mentioning it"]
    assert (topics["发货"], topics["延迟"]) == (6, 6)


def test_insights_switch_to_quarters(open_page):
    at = open_insights(open_page())

    at.segmented_control(key="feedback.period").set_value("quarter").run()

    assert (at.selectbox(key="feedback.quarter_start").value.date().isoformat(), at.dataframe[-1].value.iloc[0, 0]) == (
        "2026-10-01", "2026 Q4")
