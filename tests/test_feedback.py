"""Feedback logging, the complaint workflow and its metrics (lib/feedback.py)."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pandas as pd
import pytest

from lib import feedback
from lib.auth import User
from lib.errors import ConflictError, DuplicateIdError, PermissionDenied, RecordNotFound, ValidationError
from lib.register import read_register
from lib.settings import Settings
from lib.store.base import raw_from_records, FieldUpdate, RawRegister
from tests.memory_store import MemoryStore

NOW = datetime(2024, 3, 15, 10, 0)
STAFF = User("staff@example.com", "Staff", "staff")
OTHER = User("other@example.com", "Other", "staff")
MANAGER = User("manager@example.com", "Manager", "manager")
ADMIN = User("admin@example.com", "Admin", "admin")
VIEWER = User("viewer@example.com", "Viewer", "viewer")
OWNER = "owner@example.com"

CUSTOMERS = [
    {"customer_id": "C-000001", "name": "上海华东机械有限公司", "owner": OWNER},
    {"customer_id": "C-000002", "name": "Blue River Trading Co., Ltd.", "owner": ""},
]


def raw_register(lang: str = "en", **rows: list[dict]) -> RawRegister:
    """Lay typed rows out as the cell text a sheet holds, every tab present."""
    return raw_from_records(rows, lang, NOW)


def item(feedback_id: str, *, type: str = "complaint", status: str | None = "new", assignee: str = STAFF.email,
         received: datetime = NOW - timedelta(hours=2), priority: str | None = "high",
         due: datetime | None = None, resolved: datetime | None = None, resolution: str = "",
         follow_up_csat: int | None = None, csat: int | None = None, nps: int | None = None,
         customer_id: str = "C-000001", description: str = "发货延迟三天") -> dict:
    """One feedback row; a complaint is due 24 hours after it came in unless told otherwise."""
    if due is None and type == "complaint":
        due = received + timedelta(hours=24)
    return {"feedback_id": feedback_id, "customer_id": customer_id, "received_at": received, "type": type,
            "channel": "phone", "priority": priority, "csat": csat, "nps": nps, "description": description,
            "assignee": assignee, "status": status, "due_at": due, "resolved_at": resolved,
            "resolution": resolution, "follow_up_csat": follow_up_csat}


EARLIER = NOW - timedelta(hours=1)
WORKFLOW_ITEMS = [
    item("F-000001", status="new"),
    item("F-000002", status="in_progress"),
    item("F-000003", status="resolved", resolved=EARLIER, resolution="已道歉并补发"),
    item("F-000004", status="closed", resolved=EARLIER, resolution="已道歉并补发", follow_up_csat=4),
    item("F-000005", status="in_progress", assignee=OTHER.email),
    item("F-000006", status="resolved", assignee=OTHER.email, resolved=EARLIER, resolution="已退款"),
    item("F-000007", status="new", customer_id=""),
]
ITEM_IN = {"new": "F-000001", "in_progress": "F-000002", "resolved": "F-000003", "closed": "F-000004"}


@pytest.fixture(scope="module")
def workflow_raw() -> RawRegister:
    return raw_register(customers=CUSTOMERS, feedback=WORKFLOW_ITEMS)


@pytest.fixture
def store(workflow_raw) -> MemoryStore:
    return MemoryStore(copy.deepcopy(workflow_raw))


@pytest.fixture(scope="module")
def register(workflow_raw):
    """The register as every test's user first read it (read once: nothing here changes it)."""
    return read_register(workflow_raw)


def frame(*rows: dict) -> pd.DataFrame:
    """The typed feedback frame the app reads from these rows."""
    return read_register(raw_register(customers=CUSTOMERS, feedback=list(rows))).frames["feedback"]


def saved_record(store: MemoryStore, feedback_id: str) -> dict:
    return read_register(store.load()).record("feedback", feedback_id)


def complaint(**values) -> dict:
    return {"type": "complaint", "customer_id": "C-000001", "priority": "high",
            "description": "发货延迟三天，影响生产", **values}


# ---- SLA -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("received, priority, due", [
    (datetime(2024, 3, 10, 18, 30), "high", datetime(2024, 3, 11, 18, 30)),
    (datetime(2024, 1, 30, 9, 0), "medium", datetime(2024, 2, 2, 9, 0)),
    (datetime(2024, 2, 25, 12, 0), "low", datetime(2024, 3, 3, 12, 0)),
], ids=["high-24h-across-midnight", "medium-72h-across-month-end", "low-168h-across-leap-day"])
def test_due_time_adds_the_sla_hours_of_the_priority(received, priority, due):
    assert feedback.due_at(received, priority, Settings()) == due


def test_due_time_follows_the_settings_tab():
    settings = Settings(sla_hours={"high": 4, "medium": 72, "low": 168})

    assert feedback.due_at(datetime(2024, 3, 10, 22, 0), "high", settings) == datetime(2024, 3, 11, 2, 0)


# ---- logging -------------------------------------------------------------------------------------

def test_logged_complaint_starts_new_and_is_due_after_its_sla(store, register):
    changes = feedback.log_feedback(store, register, STAFF, complaint(received_at=datetime(2024, 3, 14, 20, 0)),
                                    "zh", now=NOW)

    values = changes.new_rows[0].values
    assert (values["status"], values["due_at"]) == ("new", datetime(2024, 3, 15, 20, 0))


def test_logged_feedback_gets_the_next_id(store, register):
    changes = feedback.log_feedback(store, register, STAFF, complaint(), "zh", now=NOW)

    assert changes.new_rows[0].record_id == "F-000008"


def test_logged_feedback_is_received_now_unless_told(store, register):
    changes = feedback.log_feedback(store, register, STAFF, complaint(), "zh", now=NOW)

    assert changes.new_rows[0].values["received_at"] == NOW


def test_logging_saves_the_row_with_its_create_audit_row(store, register):
    feedback.log_feedback(store, register, STAFF, complaint(), "zh", now=NOW)

    audit = store.saved[0].audit[0].values
    assert (audit["action"], audit["table"], audit["record_id"], audit["user"], audit["at"]) == (
        "create", "feedback", "F-000008", STAFF.email, NOW)


def test_logged_complaint_is_stored_in_the_register(store, register):
    feedback.log_feedback(store, register, STAFF, complaint(), "zh", now=NOW)

    assert saved_record(store, "F-000008")["description"] == "发货延迟三天，影响生产"


@pytest.mark.parametrize("customer_id, assignee", [
    ("C-000001", OWNER),
    ("C-000002", STAFF.email),
    ("", STAFF.email),
], ids=["customer-owner", "customer-without-owner-goes-to-logger", "unknown-customer-goes-to-logger"])
def test_complaint_is_assigned_to_the_customer_owner_else_whoever_logged_it(store, register, customer_id, assignee):
    changes = feedback.log_feedback(store, register, STAFF, complaint(customer_id=customer_id), "zh", now=NOW)

    assert changes.new_rows[0].values["assignee"] == assignee


def test_complaint_without_priority_is_medium(store, register):
    changes = feedback.log_feedback(store, register, STAFF, complaint(priority=None), "zh", now=NOW)

    values = changes.new_rows[0].values
    assert (values["priority"], values["due_at"]) == ("medium", NOW + timedelta(hours=72))


@pytest.mark.parametrize("kind", ["survey", "suggestion", "inquiry", "praise"])
def test_feedback_other_than_complaints_is_recorded_closed_without_due_time_or_assignee(store, register, kind):
    changes = feedback.log_feedback(store, register, STAFF, {"type": kind, "csat": 4, "nps": 9}, "zh", now=NOW)

    values = changes.new_rows[0].values
    assert (values["status"], values["due_at"], values["assignee"]) == ("closed", None, "")


@pytest.mark.parametrize("values, zh, en", [
    ({"csat": 0}, "满意度必须是 1 到 5 的整数", "CSAT must be a whole number from 1 to 5"),
    ({"csat": 6}, "满意度必须是 1 到 5 的整数", "CSAT must be a whole number from 1 to 5"),
    ({"csat": 3.5}, "满意度必须是 1 到 5 的整数", "CSAT must be a whole number from 1 to 5"),
    ({"csat": "good"}, "满意度必须是 1 到 5 的整数", "CSAT must be a whole number from 1 to 5"),
    ({"csat": True}, "满意度必须是 1 到 5 的整数", "CSAT must be a whole number from 1 to 5"),
    ({"nps": -1}, "推荐意愿必须是 0 到 10 的整数", "NPS must be a whole number from 0 to 10"),
    ({"nps": 11}, "推荐意愿必须是 0 到 10 的整数", "NPS must be a whole number from 0 to 10"),
    ({"nps": 7.5}, "推荐意愿必须是 0 到 10 的整数", "NPS must be a whole number from 0 to 10"),
], ids=["csat-0", "csat-6", "csat-fraction", "csat-word", "csat-bool", "nps-minus-1", "nps-11", "nps-fraction"])
def test_rejects_scores_outside_their_scale(store, register, values, zh, en):
    with pytest.raises(ValidationError) as refused:
        feedback.log_feedback(store, register, STAFF, {"type": "survey", **values}, "zh", now=NOW)

    assert (refused.value.zh, refused.value.en) == (zh, en)


@pytest.mark.parametrize("field, given, stored", [
    ("csat", 1, 1), ("csat", 5, 5), ("csat", "４", 4), ("nps", 0, 0), ("nps", 10, 10), ("nps", 8.0, 8),
], ids=["csat-1", "csat-5", "csat-full-width-digit", "nps-0", "nps-10", "nps-whole-float"])
def test_accepts_scores_within_their_scale(store, register, field, given, stored):
    changes = feedback.log_feedback(store, register, STAFF, {"type": "survey", field: given}, "zh", now=NOW)

    assert changes.new_rows[0].values[field] == stored


@pytest.mark.parametrize("values, zh, en", [
    ({}, "请填写「类型」。", "Type is required."),
    ({"type": "complaint", "description": "  "}, "请填写「内容」。", "Description is required."),
    ({"type": "rant"}, "「类型」必须是以下之一：满意度调查、投诉、建议、咨询、表扬。",
     "Type must be one of: Survey, Complaint, Suggestion, Inquiry, Praise."),
    ({"type": "praise", "customer_id": "C-999999"}, "找不到客户编号 C-999999，请检查「客户编号」。",
     "No customer has ID C-999999; check the Customer ID."),
], ids=["no-type", "complaint-without-description", "unknown-type", "unknown-customer"])
def test_rejects_incomplete_feedback_naming_the_field(store, register, values, zh, en):
    with pytest.raises(ValidationError) as refused:
        feedback.log_feedback(store, register, STAFF, values, "zh", now=NOW)

    assert (refused.value.zh, refused.value.en) == (zh, en)


def test_refused_feedback_saves_nothing(store, register):
    with pytest.raises(ValidationError):
        feedback.log_feedback(store, register, STAFF, complaint(csat=9), "zh", now=NOW)

    assert store.saved == []


def test_viewer_may_not_log_feedback(store, register):
    with pytest.raises(PermissionDenied):
        feedback.log_feedback(store, register, VIEWER, complaint(), "zh", now=NOW)


def test_staff_may_not_hand_a_new_complaint_to_someone_else(store, register):
    with pytest.raises(PermissionDenied):
        feedback.log_feedback(store, register, STAFF, complaint(assignee=OTHER.email), "zh", now=NOW)


def test_manager_may_hand_a_new_complaint_to_someone_else(store, register):
    changes = feedback.log_feedback(store, register, MANAGER, complaint(assignee=OTHER.email), "zh", now=NOW)

    assert changes.new_rows[0].values["assignee"] == OTHER.email


def test_logging_refuses_fields_the_workflow_sets(store, register):
    with pytest.raises(ValueError):
        feedback.log_feedback(store, register, STAFF, complaint(status="closed"), "zh", now=NOW)


# ---- linking a customer later --------------------------------------------------------------------

def test_links_feedback_logged_without_a_customer(store, register):
    changes = feedback.link_customer(store, register, STAFF, "F-000007", "C-000002", "en")

    assert changes.updates == [FieldUpdate("feedback", "F-000007", "customer_id", "", "C-000002")]


def test_linking_is_saved_with_its_audit_row(store, register):
    feedback.link_customer(store, register, STAFF, "F-000007", "C-000002", "en")

    audit = store.saved[0].audit[0].values
    assert (audit["record_id"], audit["field"], audit["old"], audit["new"]) == (
        "F-000007", "customer_id", "", "C-000002")


def test_refuses_to_link_feedback_that_already_has_a_customer(store, register):
    with pytest.raises(ValidationError):
        feedback.link_customer(store, register, STAFF, "F-000001", "C-000002", "en")


def test_refuses_to_link_an_unknown_customer(store, register):
    with pytest.raises(ValidationError):
        feedback.link_customer(store, register, STAFF, "F-000007", "C-999999", "en")


# ---- the workflow --------------------------------------------------------------------------------

ALLOWED = [("new", "in_progress"), ("new", "resolved"), ("in_progress", "resolved"), ("resolved", "closed"),
           ("resolved", "in_progress"), ("closed", "in_progress")]
REFUSED = [("new", "new"), ("new", "closed"), ("in_progress", "new"), ("in_progress", "in_progress"),
           ("in_progress", "closed"), ("resolved", "new"), ("resolved", "resolved"), ("closed", "new"),
           ("closed", "resolved"), ("closed", "closed")]


@pytest.mark.parametrize("start, to", ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_status_moves_are_saved_as_an_update_from_the_status_seen(store, register, start, to):
    changes = feedback.change_status(store, register, STAFF, ITEM_IN[start], to, "en", resolution="已道歉并补发",
                                     follow_up_csat=5, reason="客户再次来电", now=NOW)

    assert changes.updates[0] == FieldUpdate("feedback", ITEM_IN[start], "status", start, to)


@pytest.mark.parametrize("start, to", REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_other_status_moves_are_refused(store, register, start, to):
    with pytest.raises(ValidationError):
        feedback.change_status(store, register, MANAGER, ITEM_IN[start], to, "en", resolution="已道歉并补发",
                               follow_up_csat=5, reason="客户再次来电", now=NOW)


def test_refused_status_move_names_both_statuses(store, register):
    with pytest.raises(ValidationError) as refused:
        feedback.change_status(store, register, STAFF, "F-000001", "closed", "en", follow_up_csat=5, now=NOW)

    assert (refused.value.zh, refused.value.en) == ("处理状态不能从「新建」改为「已关闭」。",
                                                    "Status cannot move from New to Closed.")


def test_resolving_records_the_resolution_and_when(store, register):
    feedback.change_status(store, register, STAFF, "F-000002", "resolved", "en", resolution="已道歉并补发", now=NOW)

    stored = saved_record(store, "F-000002")
    assert (stored["status"], stored["resolution"], stored["resolved_at"]) == ("resolved", "已道歉并补发", NOW)


@pytest.mark.parametrize("resolution", [None, "", "   "], ids=["none", "empty", "blank"])
def test_resolving_without_a_resolution_is_refused(store, register, resolution):
    with pytest.raises(ValidationError) as refused:
        feedback.change_status(store, register, STAFF, "F-000002", "resolved", "en", resolution=resolution, now=NOW)

    assert refused.value.en == "Resolution is required."


def test_closing_records_the_call_back_satisfaction(store, register):
    feedback.change_status(store, register, STAFF, "F-000003", "closed", "en", follow_up_csat=4, now=NOW)

    stored = saved_record(store, "F-000003")
    assert (stored["status"], stored["follow_up_csat"]) == ("closed", 4)


def test_closing_without_the_call_back_satisfaction_is_refused(store, register):
    with pytest.raises(ValidationError) as refused:
        feedback.change_status(store, register, STAFF, "F-000003", "closed", "en", now=NOW)

    assert refused.value.en == "Follow-up CSAT is required."


def test_closing_with_a_call_back_satisfaction_off_the_scale_is_refused(store, register):
    with pytest.raises(ValidationError) as refused:
        feedback.change_status(store, register, STAFF, "F-000003", "closed", "en", follow_up_csat=6, now=NOW)

    assert refused.value.en == "Follow-up CSAT must be a whole number from 1 to 5"


@pytest.mark.parametrize("start", ["resolved", "closed"])
def test_reopening_without_a_reason_is_refused(store, register, start):
    with pytest.raises(ValidationError) as refused:
        feedback.change_status(store, register, STAFF, ITEM_IN[start], "in_progress", "en", now=NOW)

    assert refused.value.en == "Reason is required."


def test_reopening_clears_the_resolution_time_keeping_it_in_the_audit_row(store, register):
    changes = feedback.change_status(store, register, STAFF, "F-000003", "in_progress", "en",
                                     reason="客户说问题仍在", now=NOW)

    audit = changes.audit[1].values
    assert (audit["field"], audit["old"], audit["new"], audit["reason"]) == (
        "resolved_at", "2024-03-15 09:00", "", "客户说问题仍在")


def test_every_field_a_status_move_sets_gets_its_own_audit_row(store, register):
    changes = feedback.change_status(store, register, STAFF, "F-000002", "resolved", "en",
                                     resolution="已道歉并补发", now=NOW)

    assert [a.values["field"] for a in changes.audit] == ["status", "resolution", "resolved_at"]


def test_status_changed_meanwhile_by_someone_else_is_a_conflict(store, register):
    feedback.change_status(store, read_register(store.load()), MANAGER, "F-000002", "resolved", "en",
                           resolution="已退款", now=NOW)

    with pytest.raises(ConflictError):
        feedback.change_status(store, register, STAFF, "F-000002", "resolved", "en", resolution="已补发", now=NOW)


def test_unknown_feedback_id_is_reported(store, register):
    with pytest.raises(RecordNotFound):
        feedback.change_status(store, register, STAFF, "F-999999", "in_progress", "en", now=NOW)


def test_duplicate_feedback_id_is_reported_not_guessed():
    store = MemoryStore(raw_register(customers=CUSTOMERS, feedback=[item("F-000001"), item("F-000001")]))

    with pytest.raises(DuplicateIdError):
        feedback.change_status(store, read_register(store.load()), STAFF, "F-000001", "in_progress", "en", now=NOW)


# ---- who may work on what ------------------------------------------------------------------------

@pytest.mark.parametrize("user, feedback_id, to", [
    (STAFF, "F-000002", "resolved"),
    (STAFF, "F-000003", "closed"),
    (MANAGER, "F-000005", "resolved"),
    (MANAGER, "F-000006", "closed"),
    (ADMIN, "F-000006", "closed"),
], ids=["staff-resolves-own", "staff-closes-own", "manager-resolves-others", "manager-closes-others",
        "admin-closes-others"])
def test_people_may_work_on_complaints_their_role_allows(store, register, user, feedback_id, to):
    changes = feedback.change_status(store, register, user, feedback_id, to, "en", resolution="已道歉并补发",
                                     follow_up_csat=5, now=NOW)

    assert changes.updates[0].new == to


@pytest.mark.parametrize("user, feedback_id, to", [
    (STAFF, "F-000005", "resolved"),
    (STAFF, "F-000006", "closed"),
    (VIEWER, "F-000002", "resolved"),
], ids=["staff-resolves-others", "staff-closes-others", "viewer"])
def test_people_may_not_work_on_complaints_their_role_does_not_allow(store, register, user, feedback_id, to):
    with pytest.raises(PermissionDenied):
        feedback.change_status(store, register, user, feedback_id, to, "en", resolution="已道歉并补发",
                               follow_up_csat=5, now=NOW)


def test_refusal_to_work_on_someone_elses_complaint_names_the_assignee(store, register):
    with pytest.raises(PermissionDenied) as refused:
        feedback.change_status(store, register, STAFF, "F-000005", "resolved", "en", resolution="已补发", now=NOW)

    assert refused.value.en == ("Feedback F-000005 is assigned to other@example.com; only they or a manager may "
                                "change it. Nothing was done.")


def test_manager_reassigns_a_complaint_with_the_reason_in_the_audit(store, register):
    changes = feedback.assign(store, register, MANAGER, "F-000001", OTHER.email, "en", reason="张伟休假")

    audit = changes.audit[0].values
    assert (changes.updates, audit["old"], audit["new"], audit["reason"]) == (
        [FieldUpdate("feedback", "F-000001", "assignee", STAFF.email, OTHER.email)],
        STAFF.email, OTHER.email, "张伟休假")


def test_staff_may_not_reassign_complaints(store, register):
    with pytest.raises(PermissionDenied):
        feedback.assign(store, register, STAFF, "F-000001", OTHER.email, "en")


def test_manager_moves_the_due_time_with_a_reason(store, register):
    later = NOW + timedelta(days=3)

    changes = feedback.set_due(store, register, MANAGER, "F-000001", later, "en", reason="客户要求延期")

    assert changes.updates == [FieldUpdate("feedback", "F-000001", "due_at", NOW + timedelta(hours=22), later)]


def test_moving_the_due_time_without_a_reason_is_refused(store, register):
    with pytest.raises(ValidationError):
        feedback.set_due(store, register, MANAGER, "F-000001", NOW + timedelta(days=3), "en", reason=" ")


def test_staff_may_not_move_the_due_time(store, register):
    with pytest.raises(PermissionDenied):
        feedback.set_due(store, register, STAFF, "F-000001", NOW + timedelta(days=3), "en", reason="客户要求延期")


# ---- the queue -----------------------------------------------------------------------------------

QUEUE_ITEMS = [
    item("F-000001", status="new", due=NOW + timedelta(days=2), priority="low"),
    item("F-000002", status="in_progress", due=NOW - timedelta(hours=1)),
    item("F-000003", status="new", due=NOW + timedelta(hours=5), assignee=OTHER.email),
    item("F-000004", status="new", due=NOW - timedelta(hours=30), priority="low"),
    item("F-000005", status="resolved", due=NOW - timedelta(hours=40), resolved=NOW - timedelta(hours=41)),
    item("F-000006", status="closed", due=NOW - timedelta(hours=50)),
    item("F-000007", status="new", due=NOW + timedelta(days=2), priority="high", assignee=OTHER.email),
    item("F-000008", type="suggestion", status="new", due=None, priority="medium"),
]


@pytest.fixture(scope="module")
def queue_items() -> pd.DataFrame:
    return frame(*QUEUE_ITEMS)


def test_queue_puts_overdue_first_then_due_today_then_by_due_time_and_priority(queue_items):
    q = feedback.queue(queue_items, NOW)

    assert q["feedback_id"].tolist() == ["F-000004", "F-000002", "F-000003", "F-000007", "F-000001",
                                         "F-000008", "F-000005"]


@pytest.mark.parametrize("feedback_id, overdue, due_today, hours_left", [
    ("F-000004", True, False, -30.0),
    ("F-000002", True, False, -1.0),
    ("F-000003", False, True, 5.0),
    ("F-000001", False, False, 48.0),
], ids=["overdue-30h", "overdue-1h", "due-today", "due-later"])
def test_queue_flags_overdue_and_due_today_with_hours_left(queue_items, feedback_id, overdue, due_today,
                                                          hours_left):
    q = feedback.queue(queue_items, NOW).set_index("feedback_id")

    assert (q.at[feedback_id, "overdue"], q.at[feedback_id, "due_today"], q.at[feedback_id, "hours_left"]) == (
        overdue, due_today, hours_left)


def test_resolved_complaint_waits_in_the_queue_for_its_call_back_without_being_overdue(queue_items):
    q = feedback.queue(queue_items, NOW).set_index("feedback_id")

    assert (q.at["F-000005", "awaiting_call_back"], q.at["F-000005", "overdue"]) == (True, False)


@pytest.mark.parametrize("filters, ids", [
    ({"mine": OTHER.email}, ["F-000003", "F-000007"]),
    ({"assignee": OTHER.email.upper()}, ["F-000003", "F-000007"]),
    ({"types": ["suggestion"]}, ["F-000008"]),
    ({"priorities": ["low"]}, ["F-000004", "F-000001"]),
    ({"statuses": ["resolved"]}, ["F-000005"]),
    ({"statuses": ["closed"]}, ["F-000006"]),
], ids=["mine", "assignee-any-case", "types", "priorities", "awaiting-call-back", "closed-on-request"])
def test_queue_filters(queue_items, filters, ids):
    assert feedback.queue(queue_items, NOW, **filters)["feedback_id"].tolist() == ids


def test_queue_of_nothing_is_empty():
    assert feedback.queue(frame(), NOW).empty


def test_queue_gives_hand_typed_complaints_without_due_time_one_from_the_sla():
    hand_typed = item("F-000001", received=NOW - timedelta(hours=30), due=None, priority="high")
    hand_typed["due_at"] = None

    q = feedback.queue(frame(hand_typed), NOW, settings=Settings())

    assert (q.at[0, "overdue"], q.at[0, "hours_left"]) == (True, -6.0)


def test_counts_overdue_complaints_for_the_home_page(queue_items):
    assert feedback.overdue_complaints(queue_items, NOW) == 2


# ---- metrics -------------------------------------------------------------------------------------

START, END = datetime(2024, 3, 1), datetime(2024, 4, 1)


def answers(field: str, scores: list[int]) -> pd.DataFrame:
    return frame(*[item(f"F-{i:06d}", type="survey", status="closed", received=datetime(2024, 3, 5, 10),
                        **{field: s}) for i, s in enumerate(scores, start=1)])


@pytest.mark.parametrize("scores, pct", [
    ([3], 0.0), ([4], 100.0), ([5], 100.0), ([3, 4], 50.0), ([1, 2, 3, 4, 5], 40.0), ([], None),
], ids=["3-not-satisfied", "4-satisfied", "5-satisfied", "half", "one-of-each", "no-answers"])
def test_csat_is_the_share_of_answers_4_or_5(scores, pct):
    assert feedback.feedback_summary(answers("csat", scores), START, END, Settings())["csat_pct"] == pct


@pytest.mark.parametrize("scores, nps", [
    ([6], -100.0), ([7], 0.0), ([8], 0.0), ([9], 100.0), ([10], 100.0), ([0, 10], 0.0),
    ([6, 7, 9, 10], 25.0), ([], None),
], ids=["6-detractor", "7-passive", "8-passive", "9-promoter", "10-promoter", "0-and-10-cancel",
        "mixed", "no-answers"])
def test_nps_is_promoters_minus_detractors(scores, nps):
    assert feedback.feedback_summary(answers("nps", scores), START, END, Settings())["nps"] == nps


def test_summary_counts_feedback_received_from_start_up_to_but_not_including_end():
    df = frame(item("F-000001", type="survey", received=START, csat=5),
               item("F-000002", type="survey", received=END, csat=1))

    assert feedback.feedback_summary(df, START, END, Settings())["responses"] == 1


def test_summary_of_an_empty_period_has_counts_of_zero_and_no_rates():
    summary = feedback.feedback_summary(frame(*WORKFLOW_ITEMS), datetime(2023, 1, 1), datetime(2023, 2, 1),
                                        Settings(), now=NOW)

    assert summary == {"responses": 0, "csat_answers": 0, "csat_pct": None, "nps_answers": 0, "nps": None,
                       "complaint_count": 0, "median_hours_to_resolve": None, "within_sla_share": None,
                       "open_count": 0, "overdue_count": 0}


RECEIVED = datetime(2024, 3, 4, 9, 0)
RESOLVED_COMPLAINTS = [
    item("F-000001", status="closed", received=RECEIVED, resolved=RECEIVED + timedelta(hours=2)),
    item("F-000002", status="resolved", received=RECEIVED, resolved=RECEIVED + timedelta(hours=24)),
    item("F-000003", status="closed", received=RECEIVED, resolved=RECEIVED + timedelta(hours=10)),
    item("F-000004", status="closed", received=RECEIVED, resolved=RECEIVED + timedelta(hours=30)),
    item("F-000005", status="in_progress", received=RECEIVED),
]


@pytest.fixture(scope="module")
def resolved_complaints() -> pd.DataFrame:
    return frame(*RESOLVED_COMPLAINTS)


def test_median_time_to_resolve_covers_resolved_complaints_only(resolved_complaints):
    summary = feedback.feedback_summary(resolved_complaints, START, END, Settings(), now=NOW)

    assert summary["median_hours_to_resolve"] == 17.0


def test_within_sla_share_counts_complaints_resolved_by_their_due_time_inclusive(resolved_complaints):
    summary = feedback.feedback_summary(resolved_complaints, START, END, Settings(), now=NOW)

    assert summary["within_sla_share"] == 0.75


def test_summary_counts_open_and_overdue_complaints(resolved_complaints):
    summary = feedback.feedback_summary(resolved_complaints, START, END, Settings(), now=NOW)

    assert (summary["complaint_count"], summary["open_count"], summary["overdue_count"]) == (5, 2, 1)


def test_resolve_hours_lists_each_resolved_complaint(resolved_complaints):
    hours = feedback.resolve_hours(resolved_complaints)

    assert hours.to_dict() == {"F-000001": 2.0, "F-000002": 24.0, "F-000003": 10.0, "F-000004": 30.0}


def test_feedback_by_period_has_a_row_for_every_month_including_empty_ones():
    df = frame(item("F-000001", type="survey", received=datetime(2024, 1, 31, 23, 0), csat=5),
               item("F-000002", type="survey", received=datetime(2024, 3, 1, 0, 0), csat=3))

    by_month = feedback.feedback_by_period(df, now=NOW)

    assert (by_month["period"].dt.strftime("%Y-%m").tolist(), by_month["responses"].tolist(),
            by_month["csat_pct"].fillna(-1).tolist()) == (["2024-01", "2024-02", "2024-03"], [1, 0, 1],
                                                          [100.0, -1, 0.0])


def test_volume_by_type_counts_each_type_per_month_with_zeros():
    df = frame(item("F-000001", received=datetime(2024, 1, 10)),
               item("F-000002", type="praise", received=datetime(2024, 2, 10)),
               item("F-000003", received=datetime(2024, 2, 11)))

    volume = feedback.volume_by_type(df)

    assert list(zip(volume["period"].dt.strftime("%Y-%m"), volume["type"], volume["count"])) == [
        ("2024-01", "complaint", 1), ("2024-01", "praise", 0), ("2024-02", "complaint", 1), ("2024-02", "praise", 1)]


# ---- topics --------------------------------------------------------------------------------------

def described(*texts: str, type: str = "complaint") -> pd.DataFrame:
    return frame(*[item(f"F-{i:06d}", type=type, description=t) for i, t in enumerate(texts, start=1)])


def test_top_topics_cuts_chinese_descriptions_into_words():
    df = described("发货延迟三天，影响生产", "送货又延迟了，包装也破损了", "产品质量问题，包装破损")

    topics = feedback.top_topics(df, n=3)

    assert list(zip(topics["topic"], topics["count"])) == [("包装", 2), ("延迟", 2), ("破损", 2)]


def test_top_topics_drops_stop_words_and_single_characters():
    topics = feedback.top_topics(described("产品质量问题，系统登录缓慢，客服响应慢"), n=20)

    assert not {"问题", "慢", "，"} & set(topics["topic"])


def test_top_topics_reads_english_descriptions_in_lowercase_without_stop_words():
    df = described("Delivery was late again", "Late delivery and a damaged box", "The box was damaged")

    topics = feedback.top_topics(df, n=3, lang="en")

    assert list(zip(topics["topic"], topics["count"])) == [("box", 2), ("damaged", 2), ("delivery", 2)]


def test_top_topics_read_complaints_only_by_default():
    df = described("感谢实施团队的专业服务", type="praise")

    assert feedback.top_topics(df).empty


# ---- audit rows ----------------------------------------------------------------------------------

def test_audit_rows_are_written_in_the_registers_language_whatever_the_users(store, register):
    changes = feedback.change_status(store, register, STAFF, "F-000001", "in_progress", "zh", now=NOW)

    audit = changes.audit[0].values
    assert (audit["old"], audit["new"]) == ("New", "In progress")


@pytest.mark.parametrize("write", [
    lambda store, register: feedback.assign(store, register, MANAGER, "F-000001", OTHER.email, "en", now=NOW),
    lambda store, register: feedback.set_due(store, register, MANAGER, "F-000001", NOW + timedelta(days=3), "en",
                                             reason="客户要求延期", now=NOW),
    lambda store, register: feedback.link_customer(store, register, STAFF, "F-000007", "C-000002", "en", now=NOW),
], ids=["assign", "set-due", "link-customer"])
def test_audit_rows_carry_the_time_of_the_change(store, register, write):
    changes = write(store, register)

    assert changes.audit[0].values["at"] == NOW


# ---- what the feedback page shows ----------------------------------------------------------------

@pytest.mark.parametrize("user, feedback_id, actions", [
    (STAFF, "F-000001", ["start", "resolve"]),
    (STAFF, "F-000002", ["resolve"]),
    (STAFF, "F-000003", ["close", "reopen"]),
    (STAFF, "F-000004", ["reopen"]),
    (STAFF, "F-000005", []),
    (STAFF, "F-000007", ["start", "resolve", "link"]),
    (MANAGER, "F-000005", ["resolve", "assign", "due"]),
    (MANAGER, "F-000006", ["close", "reopen", "assign"]),
    (MANAGER, "F-000004", ["reopen"]),
    (VIEWER, "F-000001", []),
], ids=["staff-new", "staff-in-progress", "staff-resolved", "staff-closed", "staff-others", "staff-no-customer",
        "manager-others-in-progress", "manager-others-resolved", "manager-closed", "viewer"])
def test_item_state_offers_the_actions_the_user_may_take(register, user, feedback_id, actions):
    assert feedback.item_state(register, user, feedback_id, "en")[1] == actions


@pytest.mark.parametrize("user, refusal", [
    (STAFF, "Feedback F-000005 is assigned to other@example.com; only they or a manager may change it. "
            "Nothing was done."),
    (MANAGER, ""),
    (VIEWER, ""),
], ids=["staff-on-others", "manager", "viewer-sees-no-form-so-no-refusal"])
def test_item_state_gives_the_workflows_refusal_instead_of_actions(register, user, refusal):
    assert feedback.item_state(register, user, "F-000005", "en")[2] == refusal


@pytest.mark.parametrize("action, inputs, field, value", [
    ("start", {}, "status", "in_progress"),
    ("resolve", {"resolution": "已道歉并补发"}, "resolution", "已道歉并补发"),
    ("assign", {"assignee": OTHER.email, "reason": "休假"}, "assignee", OTHER.email),
    ("due", {"due_at": NOW + timedelta(days=3), "reason": "客户要求延期"}, "due_at", NOW + timedelta(days=3)),
], ids=["start", "resolve", "assign", "due"])
def test_take_action_does_what_the_action_names_with_its_inputs(store, register, action, inputs, field, value):
    feedback.take_action(store, register, MANAGER, "F-000001", action, "en", now=NOW, **inputs)

    assert saved_record(store, "F-000001")[field] == value


def test_every_action_says_what_it_asks_for(register):
    assert set(feedback.ACTION_INPUTS) == {*feedback.MOVES, "assign", "due", "link"}


def test_queue_filters_are_arguments_of_the_queue(register, queue_items):
    filters = {arg: options[:1] for arg, _, options in feedback.queue_filters(register)}

    assert isinstance(feedback.queue(queue_items, NOW, **filters), pd.DataFrame)


@pytest.mark.parametrize("period, starts", [
    ("month", ["2024-03-01", "2024-02-01", "2024-01-01", "2023-12-01"]),
    ("quarter", ["2024-01-01", "2023-10-01"]),
], ids=["months", "quarters"])
def test_periods_run_from_the_first_feedback_up_to_now_newest_first(period, starts):
    df = frame(item("F-000001", received=datetime(2023, 12, 31, 23, 0)), item("F-000002", received=datetime(2024, 1, 5)))

    got = feedback.period_starts(df, period, NOW)

    assert [s.date().isoformat() for s in got] == starts


@pytest.mark.parametrize("start, period, lang, label", [
    (pd.Timestamp(2024, 3, 1), "month", "en", "2024-03"), (pd.Timestamp(2024, 3, 1), "month", "zh", "2024年3月"),
    (pd.Timestamp(2024, 10, 1), "quarter", "en", "2024 Q4"), (pd.Timestamp(2024, 10, 1), "quarter", "zh", "2024年第4季度"),
], ids=["month-en", "month-zh", "quarter-en", "quarter-zh"])
def test_periods_are_named_in_the_users_language(start, period, lang, label):
    assert feedback.period_label(start, period, lang) == label


def test_period_metrics_show_no_value_when_nobody_answered():
    metrics = feedback.period_metrics(frame(), "month", pd.Timestamp(2024, 3, 1), Settings(), NOW, "en")

    assert [m["value"] for m in metrics] == ["—", "—", "0", "—", "—", "0 / 0"]


@pytest.mark.parametrize("received, due, urgency", [
    (NOW - timedelta(hours=30), NOW - timedelta(hours=6), "🔴 Overdue by 6 h"),
    (NOW - timedelta(hours=2), NOW + timedelta(hours=5, minutes=30), "🟠 Due today, 5.5 h left"),
    (NOW - timedelta(hours=2), NOW + timedelta(days=3), "🟢 3 d left"),
], ids=["overdue", "due-today", "due-in-days"])
def test_queue_table_marks_urgency_in_words(received, due, urgency):
    q = feedback.queue(frame(item("F-000001", received=received, due=due)), NOW)

    assert feedback.queue_table(q, pd.DataFrame(CUSTOMERS), "en").at[0, "Urgency"] == urgency


LONG_ZH = "包装破损，配件缺失，客户要求重新发货并赔偿运费损失，已经是本月第二次了，请尽快处理并回复客户，谢谢。"
PAGE_ITEMS = [
    item("F-000101", received=NOW - timedelta(hours=30), due=NOW - timedelta(hours=6)),
    item("F-000102", status="in_progress", priority="low", customer_id="C-000002", received=NOW - timedelta(hours=80),
         due=NOW - timedelta(hours=50), description="The replacement part arrived broken again"),
    item("F-000103", received=NOW - timedelta(hours=3), due=NOW - timedelta(hours=1, minutes=30),
         customer_id="C-999999", description="The invoice total does not match the PO."),
    item("F-000104", status=None, customer_id="", due=NOW + timedelta(hours=5, minutes=30)),
    item("F-000105", priority=None, received=None, due=NOW + timedelta(minutes=2)),
    item("F-000106", priority="medium", customer_id="C-000003", due=NOW + timedelta(hours=30)),
    item("F-000107", due=NOW + timedelta(hours=47, minutes=45), assignee=OTHER.email),
    item("F-000108", due=NOW + timedelta(hours=48)),
    item("F-000109", due=NOW + timedelta(hours=84)),
    item("F-000110", due=NOW + timedelta(days=12), customer_id="C-000002",
         description="Asked for a volume discount on next quarter orders and a call"),
    item("F-000111", status="resolved", due=NOW - timedelta(hours=40), resolved=NOW - timedelta(hours=41),
         resolution="已道歉并补发", description=LONG_ZH),
    item("F-000112", type="suggestion", priority=None, assignee="", description=""),
    item("F-000113", due=NOW + timedelta(hours=9, minutes=58)),
    item("F-000114", received=NOW - timedelta(hours=400), due=NOW - timedelta(hours=300)),
]
PAGE_CUSTOMERS = pd.DataFrame([*CUSTOMERS, {"customer_id": "C-000003", "name": "", "owner": ""}])
QUEUE_COLUMNS = {
    "en": ["Urgency", "Feedback ID", "Customer", "Type", "Priority", "Status", "Assignee", "Due", "Received",
           "Description"],
    "zh": ["紧急情况", "反馈编号", "客户", "类型", "紧急程度", "处理状态", "处理人", "处理时限", "收到时间", "内容"],
}
HUADONG, BLUE_RIVER = "上海华东机械有限公司", "Blue River Trading Co., Ltd."
# In queue order: feedback ID, customer, assignee, due, received, description (alike in every language) ...
SHOWN_ALIKE = [
    ("F-000114", HUADONG, STAFF.email, "2024-03-02 22:00", "2024-02-27 18:00", "发货延迟三天"),
    ("F-000102", BLUE_RIVER, STAFF.email, "2024-03-13 08:00", "2024-03-12 02:00",
     "The replacement part arrived broken again"),
    ("F-000101", HUADONG, STAFF.email, "2024-03-15 04:00", "2024-03-14 04:00", "发货延迟三天"),
    ("F-000103", "C-999999", STAFF.email, "2024-03-15 08:30", "2024-03-15 07:00",
     "The invoice total does not match the PO."),
    ("F-000105", HUADONG, STAFF.email, "2024-03-15 10:02", "", "发货延迟三天"),
    ("F-000104", "—", STAFF.email, "2024-03-15 15:30", "2024-03-15 08:00", "发货延迟三天"),
    ("F-000113", HUADONG, STAFF.email, "2024-03-15 19:58", "2024-03-15 08:00", "发货延迟三天"),
    ("F-000106", "—", STAFF.email, "2024-03-16 16:00", "2024-03-15 08:00", "发货延迟三天"),
    ("F-000107", HUADONG, OTHER.email, "2024-03-17 09:45", "2024-03-15 08:00", "发货延迟三天"),
    ("F-000108", HUADONG, STAFF.email, "2024-03-17 10:00", "2024-03-15 08:00", "发货延迟三天"),
    ("F-000109", HUADONG, STAFF.email, "2024-03-18 22:00", "2024-03-15 08:00", "发货延迟三天"),
    ("F-000110", BLUE_RIVER, STAFF.email, "2024-03-27 10:00", "2024-03-15 08:00",
     "Asked for a volume discount on next quarter orders and a call"),
    ("F-000112", HUADONG, "", "", "2024-03-15 08:00", ""),
    ("F-000111", HUADONG, STAFF.email, "2024-03-13 18:00", "2024-03-15 08:00", LONG_ZH),
]
# ... and urgency, type, priority, status in each language.
SHOWN_IN = {
    "en": [
        ("🔴 Overdue by 12 d", "Complaint", "High", "New"),
        ("🔴 Overdue by 2.1 d", "Complaint", "Low", "In progress"),
        ("🔴 Overdue by 6 h", "Complaint", "High", "New"),
        ("🔴 Overdue by 1.5 h", "Complaint", "High", "New"),
        ("🟠 Due today, 0 h left", "Complaint", "", "New"),
        ("🟠 Due today, 5.5 h left", "Complaint", "High", "New"),
        ("🟠 Due today, 10 h left", "Complaint", "High", "New"),
        ("🟢 30 h left", "Complaint", "Medium", "New"),
        ("🟢 48 h left", "Complaint", "High", "New"),
        ("🟢 2 d left", "Complaint", "High", "New"),
        ("🟢 3.5 d left", "Complaint", "urgent", "New"),
        ("🟢 12 d left", "Complaint", "High", "New"),
        ("", "Suggestion", "", "New"),
        ("📞 Call back", "Complaint", "High", "Resolved"),
    ],
    "zh": [
        ("🔴 已超时 12 天", "投诉", "高", "新建"),
        ("🔴 已超时 2.1 天", "投诉", "低", "处理中"),
        ("🔴 已超时 6 小时", "投诉", "高", "新建"),
        ("🔴 已超时 1.5 小时", "投诉", "高", "新建"),
        ("🟠 今天到期，剩 0 小时", "投诉", "", "新建"),
        ("🟠 今天到期，剩 5.5 小时", "投诉", "高", "新建"),
        ("🟠 今天到期，剩 10 小时", "投诉", "高", "新建"),
        ("🟢 剩 30 小时", "投诉", "中", "新建"),
        ("🟢 剩 48 小时", "投诉", "高", "新建"),
        ("🟢 剩 2 天", "投诉", "高", "新建"),
        ("🟢 剩 3.5 天", "投诉", "urgent", "新建"),
        ("🟢 剩 12 天", "投诉", "高", "新建"),
        ("", "建议", "", "新建"),
        ("📞 待回访", "投诉", "高", "已解决"),
    ],
}
PICKER_LABELS = {
    "F-000114": "F-000114 · 🔴 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000102": "F-000102 · 🔴 · Blue River Trading Co., Ltd. · The replacement part arrived broken aga…",
    "F-000101": "F-000101 · 🔴 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000103": "F-000103 · 🔴 · C-999999 · The invoice total does not match the PO.",
    "F-000105": "F-000105 · 🟠 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000104": "F-000104 · 🟠 · — · 发货延迟三天",
    "F-000113": "F-000113 · 🟠 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000106": "F-000106 · 🟢 · — · 发货延迟三天",
    "F-000107": "F-000107 · 🟢 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000108": "F-000108 · 🟢 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000109": "F-000109 · 🟢 · 上海华东机械有限公司 · 发货延迟三天",
    "F-000110": "F-000110 · 🟢 · Blue River Trading Co., Ltd. · Asked for a volume discount on next qua…",
    "F-000112": "F-000112 · 上海华东机械有限公司",
    "F-000111": "F-000111 · 📞 · 上海华东机械有限公司 · 包装破损，配件缺失，客户要求重新发货并赔偿运费损失，已经是本月第二次了，请尽快…",
}


@pytest.fixture(scope="module")
def page_queue() -> pd.DataFrame:
    """A queue with every kind of item the page shows, plus an empty status and an unknown priority."""
    q = feedback.queue(frame(*PAGE_ITEMS), NOW)
    q.loc[q["feedback_id"] == "F-000106", "status"] = ""
    q.loc[q["feedback_id"] == "F-000109", "priority"] = "urgent"
    return q


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_queue_table_shows_every_kind_of_item_in_the_users_language(page_queue, lang):
    rows = [(urgency, fid, customer, kind, priority, status, assignee, due, received, description)
            for (fid, customer, assignee, due, received, description), (urgency, kind, priority, status)
            in zip(SHOWN_ALIKE, SHOWN_IN[lang], strict=True)]

    got = feedback.queue_table(page_queue, PAGE_CUSTOMERS, lang)

    pd.testing.assert_frame_equal(got, pd.DataFrame(rows, columns=QUEUE_COLUMNS[lang]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_queue_choices_label_every_kind_of_item_in_queue_order(page_queue, lang):
    got = feedback.queue_choices(page_queue, PAGE_CUSTOMERS, lang)

    assert list(got.items()) == list(PICKER_LABELS.items())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_empty_queue_has_the_columns_and_no_choices(lang):
    q = feedback.queue(frame(), NOW)

    pd.testing.assert_frame_equal(feedback.queue_table(q, PAGE_CUSTOMERS, lang),
                                  pd.DataFrame([], columns=QUEUE_COLUMNS[lang]))
    assert feedback.queue_choices(q, PAGE_CUSTOMERS, lang) == {}

def test_home_page_counts_overdue_complaints(register):
    assert feedback.overdue_for_home(register, VIEWER, NOW + timedelta(days=2)) == 4
