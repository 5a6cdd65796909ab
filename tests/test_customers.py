"""Customer writes: entry with validation, edits with reasons and conflicts, contacts, interactions, deals,
lost / archived / merged customers — with permissions checked where the write happens."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from lib import customers
from lib.errors import ConflictError, PermissionDenied, ValidationError
from lib.store.base import ChangeSet
from tests.data.fixtures import ADMIN, MANAGER, NOW, STAFF, VIEWER, load, store  # noqa: F401 (fixture)

NEW = {"name": "杭州启明教育咨询有限公司", "industry": "教育", "budget": "1.2万", "source": "inbound"}
PERSON = {"name": "陈静", "phone": "13812345678", "email": "chen.jing@qiming.example"}


def _add(store, values=None, contact=None, user=STAFF, **options):
    return customers.add_customer(store, load(store), user, values or NEW, contact, "zh", NOW, **options)


def _hand_edit(store, table, record_id, field, old, new):
    """Someone else (or a person typing in the sheet) changes one field."""
    changes = ChangeSet("sheet@example.com", at=NOW)
    changes.update(table, record_id, field, old, new)
    store.save(changes)


# ---- adding a customer ---------------------------------------------------------------------------

def test_add_customer_gives_the_next_id_and_records_who_and_when(store):
    assert _add(store, contact=PERSON) == "C-000006"
    row = load(store).record("customers", "C-000006")
    assert (row["name"], row["budget"], row["stage"], row["owner"]) == (NEW["name"], 12000.0, "prospect", STAFF.email)
    assert (row["created_at"], row["updated_at"], row["updated_by"], row["archived"]) == (NOW, NOW, STAFF.email, False)


def test_add_customer_saves_the_primary_contact(store):
    _add(store, contact=PERSON)
    contact = load(store).record("contacts", "P-000006")
    assert (contact["customer_id"], contact["name"], contact["phone"], contact["is_primary"]) == (
        "C-000006", "陈静", "13812345678", True)


def test_add_customer_is_in_the_audit_log(store):
    _add(store, contact=PERSON)
    audit = load(store).frame("audit")
    assert audit[["user", "action", "table", "record_id"]].values.tolist() == [
        [STAFF.email, "create", "customers", "C-000006"], [STAFF.email, "create", "contacts", "P-000006"]]


def test_add_customer_keeps_the_owner_and_stage_given(store):
    _add(store, {**NEW, "owner": "li.na@example.com", "stage": "interested"})
    row = load(store).record("customers", "C-000006")
    assert (row["owner"], row["stage"]) == ("li.na@example.com", "interested")


@pytest.mark.parametrize("values, contact, zh, en", [
    ({"name": "  "}, None, "请填写「客户名称」。", "Customer name is required."),
    ({**NEW, "budget": "很多"}, None, "「采购预算」：金额无法识别", "Budget: Not a readable amount"),
    ({**NEW, "next_follow_up": "2024/02/30"}, None, "「下次回访」：日期无法识别", "Next follow-up: Not a readable date"),
    ({**NEW, "stage": "maybe"}, None, "「合作阶段」：不是可选的值之一", "Stage: Not one of the allowed choices"),
    (NEW, {"name": "陈静", "phone": "12"}, "联系人「电话」：电话号码无法识别", "Contact Phone: Not a readable phone"),
    (NEW, {"name": "陈静", "email": "chen@"}, "联系人「邮箱」：邮箱地址无法识别", "Contact Email: Not a readable e-mail"),
    (NEW, {"phone": "13812345678"}, "请填写联系人「姓名」。", "Contact name is required."),
], ids=["no-name", "budget", "impossible-date", "unknown-stage", "phone", "email", "contact-without-name"])
def test_add_customer_refuses_unreadable_values_naming_the_field(store, values, contact, zh, en):
    with pytest.raises(ValidationError) as refused:
        _add(store, values, contact)
    assert refused.value.message("zh").startswith(zh)
    assert refused.value.message("en").startswith(en)
    assert len(load(store).frame("customers")) == 5


def test_add_customer_refuses_a_probable_duplicate_naming_it(store):
    with pytest.raises(customers.PossibleDuplicate) as refused:
        _add(store, {"name": "华信科技（上海）有限公司"})
    assert [m.customer_id for m in refused.value.matches] == ["C-000001"]
    assert "上海华信科技有限公司（C-000001）" in refused.value.message("zh")


def test_add_customer_refuses_a_new_name_with_a_known_phone(store):
    with pytest.raises(customers.PossibleDuplicate):
        _add(store, contact={"name": "王伟", "phone": "138 0013 8000"})


def test_add_customer_saves_a_confirmed_duplicate(store):
    assert _add(store, {"name": "华信科技（上海）有限公司"}, duplicates_confirmed=True) == "C-000006"


@pytest.mark.parametrize("user", [VIEWER], ids=["viewer"])
def test_viewer_cannot_add_a_customer(store, user):
    with pytest.raises(PermissionDenied):
        _add(store, user=user)


# ---- editing basic info --------------------------------------------------------------------------

def _edit(store, changes, reason="", started=None, user=STAFF, customer_id="C-000003"):
    return customers.update_customer(store, load(store), user, customer_id, changes, started, reason, "zh", NOW)


@pytest.mark.parametrize("field, value", [("name", "北京众诚信息有限公司"), ("owner", "li.na@example.com"),
                                          ("stage", "interested")], ids=["name", "owner", "stage"])
def test_changing_a_key_field_needs_a_reason(store, field, value):
    with pytest.raises(ValidationError) as refused:
        _edit(store, {field: value})
    assert "修改原因" in refused.value.message("zh")


def test_changing_the_tier_needs_a_reason(store):
    with pytest.raises(ValidationError):
        _edit(store, {"tier": "B"}, user=MANAGER)


def test_key_field_change_saves_the_reason_in_the_audit_log(store):
    _edit(store, {"stage": "interested", "budget": "5万"}, reason="客户确认了预算")
    reg = load(store)
    row = reg.record("customers", "C-000003")
    assert (row["stage"], row["budget"], row["updated_at"]) == ("interested", 50000.0, NOW)
    audit = reg.frame("audit")
    stage = audit[audit["field"] == "stage"].iloc[0]
    assert (stage["old"], stage["new"], stage["reason"], stage["user"]) == ("潜在", "意向", "客户确认了预算", STAFF.email)


def test_other_fields_change_without_a_reason(store):
    _edit(store, {"industry": "信息技术", "needs": "数据分析"})
    assert load(store).record("customers", "C-000003")["industry"] == "信息技术"


def test_staff_cannot_change_the_tier(store):
    with pytest.raises(PermissionDenied):
        _edit(store, {"tier": "A"}, reason="大单")


def test_an_edit_that_changes_nothing_is_refused(store):
    with pytest.raises(ValidationError):
        _edit(store, {"industry": "软件", "budget": ""})


def test_an_edit_over_someone_elses_change_is_a_conflict_with_both_values(store):
    started = customers.editable_values(load(store), "C-000003")
    _hand_edit(store, "customers", "C-000003", "industry", "软件", "互联网")
    with pytest.raises(ConflictError) as conflict:
        _edit(store, {"industry": "信息技术"}, started=started)
    rows = customers.conflict_rows(conflict.value.conflicts, "zh")
    assert rows[["field", "started_from", "theirs", "yours"]].values.tolist() == [["所属行业", "软件", "互联网", "信息技术"]]
    assert load(store).record("customers", "C-000003")["industry"] == "互联网"


def test_overwriting_after_a_conflict_saves_mine(store):
    started = customers.editable_values(load(store), "C-000003")
    _hand_edit(store, "customers", "C-000003", "industry", "软件", "互联网")
    with pytest.raises(ConflictError) as conflict:
        _edit(store, {"industry": "信息技术"}, started=started)
    _edit(store, {"industry": "信息技术"}, started=customers.rebased(started, conflict.value.conflicts))
    assert load(store).record("customers", "C-000003")["industry"] == "信息技术"


def test_someone_elses_change_to_another_field_is_no_conflict(store):
    started = customers.editable_values(load(store), "C-000003")
    _hand_edit(store, "customers", "C-000003", "updated_at", datetime(2026, 10, 1, 9), datetime(2026, 11, 19, 9))
    _hand_edit(store, "customers", "C-000003", "region", "北京", "天津")
    _edit(store, {"industry": "信息技术"}, started=started)
    row = load(store).record("customers", "C-000003")
    assert (row["industry"], row["region"], row["updated_at"]) == ("信息技术", "天津", NOW)


# ---- contacts, interactions, deals ---------------------------------------------------------------

def test_first_contact_becomes_primary(store):
    _add(store)
    customers.add_contact(store, load(store), STAFF, "C-000006", {"name": "陈静"}, "zh", NOW)
    assert load(store).record("contacts", "P-000006")["is_primary"]


def test_a_new_primary_contact_clears_the_old_primary_in_the_same_save(store):
    contact_id = customers.add_contact(store, load(store), STAFF, "C-000001", {"name": "赵敏", "is_primary": True}, "zh", NOW)
    contacts = load(store).frame("contacts")
    primary = contacts.loc[(contacts["customer_id"] == "C-000001") & contacts["is_primary"], "contact_id"].tolist()
    assert primary == [contact_id]


def test_a_further_contact_is_not_primary_unless_asked(store):
    contact_id = customers.add_contact(store, load(store), STAFF, "C-000001", {"name": "赵敏"}, "zh", NOW)
    assert not load(store).record("contacts", contact_id)["is_primary"]


def test_make_primary_moves_the_flag(store):
    customers.make_primary(store, load(store), STAFF, "P-000002", "zh", NOW)
    reg = load(store)
    assert (reg.record("contacts", "P-000002")["is_primary"], reg.record("contacts", "P-000001")["is_primary"]) == (True, False)


def test_logging_an_interaction_records_who_and_moves_the_next_follow_up(store):
    interaction_id = customers.add_interaction(store, load(store), STAFF, "C-000003", {
        "channel": "phone", "summary": "介绍产品", "next_step": "发报价", "next_date": date(2026, 12, 1)}, "zh", NOW)
    reg = load(store)
    row = reg.record("interactions", interaction_id)
    assert (row["date"].date(), row["channel"], row["by"]) == (date(2026, 11, 20), "phone", STAFF.email)
    assert reg.record("customers", "C-000003")["next_follow_up"].date() == date(2026, 12, 1)


def test_an_interaction_without_next_date_leaves_the_follow_up(store):
    customers.add_interaction(store, load(store), STAFF, "C-000001", {"channel": "wechat", "summary": "问候"}, "zh", NOW)
    assert load(store).record("customers", "C-000001")["next_follow_up"].date() == date(2026, 11, 10)


def test_a_next_follow_up_changed_meanwhile_is_moved_anyway(store):
    reg = load(store)
    _hand_edit(store, "customers", "C-000001", "next_follow_up", date(2026, 11, 10), date(2026, 11, 15))
    customers.add_interaction(store, reg, STAFF, "C-000001", {"channel": "phone", "summary": "回访",
                                                                "next_date": date(2027, 1, 5)}, "zh", NOW)
    assert load(store).record("customers", "C-000001")["next_follow_up"].date() == date(2027, 1, 5)


@pytest.mark.parametrize("values, en", [
    ({"summary": "x"}, "Channel is required."),
    ({"channel": "phone"}, "Summary is required."),
    ({"channel": "phone", "summary": "x", "date": date(2026, 11, 20), "next_date": date(2026, 11, 1)},
     "Next follow-up cannot be before the date of the contact."),
], ids=["no-channel", "no-summary", "next-before-date"])
def test_interaction_refuses_incomplete_entries(store, values, en):
    with pytest.raises(ValidationError) as refused:
        customers.add_interaction(store, load(store), STAFF, "C-000001", values, "zh", NOW)
    assert refused.value.message("en") == en


def test_a_transaction_reads_money_and_defaults_to_signed(store):
    txn_id = customers.add_transaction(store, load(store), STAFF, "C-000002", {"item": "Training", "amount": "¥35,000",
                                                                                 "profit": "8千"}, "zh", NOW)
    row = load(store).record("transactions", txn_id)
    assert (row["amount"], row["profit"], row["status"], row["date"].date()) == (35000.0, 8000.0, "signed", date(2026, 11, 20))


def test_a_transaction_needs_an_amount(store):
    with pytest.raises(ValidationError) as refused:
        customers.add_transaction(store, load(store), STAFF, "C-000002", {"item": "Training"}, "zh", NOW)
    assert refused.value.message("zh") == "请填写「金额」。"


# ---- lost, archived, merged ----------------------------------------------------------------------

def test_mark_lost_needs_a_reason(store):
    with pytest.raises(ValidationError):
        customers.mark_lost(store, load(store), STAFF, "C-000003", " ", "zh", NOW)


def test_mark_lost_sets_the_stage_and_audits_the_reason(store):
    customers.mark_lost(store, load(store), STAFF, "C-000003", "选择了竞争对手", "zh", NOW)
    reg = load(store)
    assert reg.record("customers", "C-000003")["stage"] == "lost"
    audit = reg.frame("audit")
    assert audit.loc[audit["field"] == "stage", ["action", "reason"]].values.tolist() == [["lost", "选择了竞争对手"]]


def test_archive_and_restore_keep_the_record(store):
    customers.archive_customer(store, load(store), ADMIN, "C-000003", "不再合作", "zh", NOW)
    assert load(store).record("customers", "C-000003")["archived"]
    customers.restore_customer(store, load(store), ADMIN, "C-000003", "重新联系", "zh", NOW)
    reg = load(store)
    assert not reg.record("customers", "C-000003")["archived"]
    assert reg.frame("audit")["action"].tolist()[-4:] == ["archive", "archive", "restore", "restore"]


@pytest.mark.parametrize("write, user", [
    (customers.archive_customer, STAFF), (customers.archive_customer, MANAGER), (customers.restore_customer, STAFF),
], ids=["staff-archive", "manager-archive", "staff-restore"])
def test_only_admins_archive_or_restore(store, write, user):
    with pytest.raises(PermissionDenied):
        write(store, load(store), user, "C-000004", "reason", "zh", NOW)


def test_archiving_twice_is_refused(store):
    with pytest.raises(ValidationError):
        customers.archive_customer(store, load(store), ADMIN, "C-000004", "again", "zh", NOW)


def _with_duplicate(store):
    """Add C-000006, a duplicate of C-000001 with its own contact and interaction."""
    customers.add_customer(store, load(store), STAFF, {"name": "华信科技", "needs": "数据分析", "budget": 200000},
                           {"name": "孙芳", "phone": "13511112222"}, "zh", NOW, duplicates_confirmed=True)
    customers.add_interaction(store, load(store), STAFF, "C-000006", {"channel": "phone", "summary": "初次联系"}, "zh", NOW)


def test_merge_moves_everything_to_the_survivor_and_archives_the_duplicate(store):
    _with_duplicate(store)
    reg = load(store)
    chosen = customers.chosen_values(reg, "C-000001", "C-000006", {"budget": "C-000006", "needs": "C-000001"})
    customers.merge_customers(store, reg, ADMIN, "C-000001", "C-000006", chosen, "zh", NOW)
    reg = load(store)
    survivor, duplicate = reg.record("customers", "C-000001"), reg.record("customers", "C-000006")
    assert (survivor["budget"], survivor["needs"]) == (200000.0, "ERP 升级")
    assert (duplicate["archived"], duplicate["notes"]) == (True, "已合并到 C-000001")
    assert reg.record("contacts", "P-000006")["customer_id"] == "C-000001"
    assert not reg.record("contacts", "P-000006")["is_primary"]
    assert set(reg.frame("interactions")["customer_id"]) == {"C-000001", "C-000002"}


def test_merge_is_one_audited_save(store):
    _with_duplicate(store)
    before = len(load(store).frame("audit"))
    customers.merge_customers(store, load(store), ADMIN, "C-000001", "C-000006", {}, "zh", NOW)
    merged = load(store).frame("audit").iloc[before:]
    assert set(merged["action"]) == {"merge"}
    assert merged["reason"].str.contains("已合并到 C-000001").all()


def test_merge_choices_list_only_fields_that_differ(store):
    _with_duplicate(store)
    choices = customers.merge_choices(load(store), "C-000001", "C-000006", "zh")
    assert choices["field_key"].tolist() == ["name", "industry", "size", "region", "source", "stage", "tier",
                                             "needs", "budget", "next_follow_up", "key_date"]
    assert choices.set_index("field_key")["keep"].to_dict()["name"] == "C-000001"


def test_survivor_keeps_its_record_page_history_of_merged_tiers(store):
    customers.merge_customers(store, load(store), ADMIN, "C-000001", "C-000003", {}, "zh", NOW)
    view = customers.customer_360(load(store), "C-000001")
    assert view["merged_from"] == ["C-000003"]
    assert sorted(view["tier_history"]["customer_id"]) == ["C-000001", "C-000003"]


@pytest.mark.parametrize("user", [STAFF, MANAGER], ids=["staff", "manager"])
def test_only_admins_merge(store, user):
    with pytest.raises(PermissionDenied):
        customers.merge_customers(store, load(store), user, "C-000001", "C-000003", {}, "zh", NOW)


def test_a_customer_cannot_be_merged_into_itself(store):
    with pytest.raises(ValidationError):
        customers.merge_customers(store, load(store), ADMIN, "C-000001", "C-000001", {}, "zh", NOW)


def test_nothing_is_ever_deleted(store):
    _with_duplicate(store)
    customers.merge_customers(store, load(store), ADMIN, "C-000001", "C-000006", {}, "zh", NOW)
    customers.archive_customer(store, load(store), ADMIN, "C-000002", "关闭", "zh", NOW)
    customers.mark_lost(store, load(store), STAFF, "C-000003", "流失", "zh", NOW)
    reg = load(store)
    assert (len(reg.frame("customers")), len(reg.frame("contacts")), len(reg.frame("interactions"))) == (6, 6, 4)
