"""The customer list and the whole record: search, filters, sorting, pages, display, export, the 360° view."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from lib import customers
from lib.errors import PermissionDenied, RecordNotFound
from lib.register import read_register
from tests.data.fixtures import ADMIN, MANAGER, STAFF, VIEWER
from tests.data.registers import small_register


@pytest.fixture(scope="module")
def reg():
    return read_register(small_register("zh"))


def _ids(frame) -> list[str]:
    return frame["customer_id"].tolist()


@pytest.mark.parametrize("query, found", [
    ("华信", ["C-000001"]),
    ("harbor", ["C-000002"]),
    ("ＨＡＲＢＯＲ", ["C-000002"]),
    ("Harbor Logistics", ["C-000002"]),
    ("张敏", ["C-000003"]),
    ("emily@harbor", ["C-000002"]),
    ("wx_wangwei", ["C-000001"]),
    ("13622223333", ["C-000003"]),
    ("136 2222 3333", ["C-000003"]),
    ("+86 136-2222-3333", ["C-000003"]),
    ("2222", ["C-000002", "C-000003"]),
    ("C-000005", ["C-000005"]),
    ("nobody", []),
], ids=["name", "english-name", "full-width", "two-words", "contact-name", "email", "wechat", "phone",
        "phone-with-spaces", "phone-with-country-code", "phone-part", "customer-id", "no-match"])
def test_search_finds_customers_by_name_contact_phone_or_email(reg, query, found):
    assert sorted(_ids(customers.search_customers(reg, query))) == found


def test_search_hides_archived_customers_by_default(reg):
    assert "C-000004" not in _ids(customers.search_customers(reg))


@pytest.mark.parametrize("archived, found", [(True, ["C-000004"]), (None, 5)], ids=["archived-only", "all"])
def test_search_shows_archived_customers_when_asked(reg, archived, found):
    result = customers.search_customers(reg, archived=archived)
    assert (_ids(result) if isinstance(found, list) else len(result)) == found


@pytest.mark.parametrize("filters, found", [
    ({"tier": "A"}, ["C-000001"]),
    ({"tier": ["B", "C"]}, ["C-000002", "C-000003", "C-000005"]),
    ({"stage": ["customer"]}, ["C-000001", "C-000005"]),
    ({"industry": ["软件"]}, ["C-000003"]),
    ({"region": ["Shenzhen"]}, ["C-000002"]),
    ({"owner": ["li.na@example.com"]}, ["C-000002"]),
    ({"tier": [], "owner": None}, ["C-000001", "C-000002", "C-000003", "C-000005"]),
], ids=["one-tier", "several-tiers", "stage", "industry", "region", "owner", "empty-filters"])
def test_filters_narrow_the_list(reg, filters, found):
    assert sorted(_ids(customers.search_customers(reg, **filters))) == found


@pytest.mark.parametrize("sort, first", [("name", "C-000002"), ("budget", "C-000001"), ("updated", "C-000001"),
                                         ("next_follow_up", "C-000001"), ("id", "C-000001"), ("tier", "C-000001")],
                         ids=["name", "budget", "updated", "next-follow-up", "id", "tier"])
def test_sort_orders_the_list(reg, sort, first):
    assert _ids(customers.search_customers(reg, sort=sort))[0] == first


def test_list_shows_the_primary_contact_and_last_interaction(reg):
    row = customers.search_customers(reg, "华信").iloc[0]
    assert (row["contact"], row["phone"], row["last_interaction"].date()) == ("王伟", "13800138000", date(2026, 11, 1))


def test_search_index_is_built_once_per_register(reg):
    assert customers.list_index(reg) is customers.list_index(reg)


@pytest.mark.parametrize("page, rows, pages", [(1, 2, 3), (3, 1, 3), (9, 1, 3), (0, 2, 3)],
                         ids=["first", "last", "past-the-end", "before-the-start"])
def test_page_of_returns_one_page(reg, page, rows, pages):
    part, count = customers.page_of(customers.search_customers(reg, archived=None), page, page_size=2)
    assert (len(part), count) == (rows, pages)


def test_viewers_see_contact_details_masked(reg):
    shown = customers.list_display(customers.search_customers(reg, "华信"), VIEWER, "en").iloc[0]
    assert (shown["Phone"], shown["Email"]) == ("138******00", "w***@huaxin.cn")


def test_staff_see_contact_details(reg):
    shown = customers.list_display(customers.search_customers(reg, "华信"), STAFF, "zh").iloc[0]
    assert (shown["电话"], shown["合作阶段"]) == ("13800138000", "成交")


def test_list_links_ids_to_the_record_page(reg):
    shown = customers.list_display(customers.search_customers(reg, "华信"), STAFF, "en", link_ids=True)
    assert shown["Customer ID"].tolist() == ["customer?id=C-000001"]


@pytest.mark.parametrize("user", [STAFF, VIEWER], ids=["staff", "viewer"])
def test_only_managers_and_admins_export(reg, user):
    with pytest.raises(PermissionDenied):
        customers.export_customers(customers.search_customers(reg), user, "zh", "csv")


def test_export_csv_holds_the_filtered_view_in_the_users_language(reg):
    data = customers.export_customers(customers.search_customers(reg, tier="A"), MANAGER, "zh", "csv")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("客户编号,客户名称,客户级别,合作阶段")
    assert lines[1].startswith("C-000001,上海华信科技有限公司,A,成交")
    assert len(lines) == 2


def test_export_xlsx_has_one_sheet_named_after_the_tab(reg):
    data = customers.export_customers(customers.search_customers(reg, sort="id"), ADMIN, "en", "xlsx")
    sheet = load_workbook(io.BytesIO(data))["Customers"]
    assert sheet.max_row == 5
    assert sheet["N2"].value == 120000


# ---- the whole record ----------------------------------------------------------------------------

def test_record_shows_contacts_primary_first(reg):
    view = customers.customer_360(reg, "C-000001")
    assert view["contacts"]["name"].tolist() == ["王伟", "李娜"]


def test_record_shows_the_timeline_newest_first(reg):
    view = customers.customer_360(reg, "C-000001")
    assert view["interactions"]["interaction_id"].tolist() == ["I-000002", "I-000001"]
    assert view["last_interaction"] == date(2026, 11, 1)


def test_record_totals_leave_cancelled_deals_out(reg):
    totals = customers.customer_360(reg, "C-000001")["totals"]
    assert totals == {"revenue": 150000.0, "gross_profit": 40000.0, "count": 2, "first_deal": date(2025, 3, 1),
                      "last_deal": date(2026, 6, 1)}


def test_record_totals_of_a_customer_without_deals_are_zero(reg):
    assert customers.customer_360(reg, "C-000003")["totals"] == {
        "revenue": 0.0, "gross_profit": 0.0, "count": 0, "first_deal": None, "last_deal": None}


def test_record_shows_feedback_and_tier_history(reg):
    view = customers.customer_360(reg, "C-000001")
    assert (view["feedback"]["feedback_id"].tolist(), view["tier_history"]["to_tier"].tolist()) == (["F-000001"], ["A"])


def test_record_of_an_unknown_id_says_so(reg):
    with pytest.raises(RecordNotFound):
        customers.customer_360(reg, "C-999999")


def test_record_audit_covers_the_customer_and_its_related_rows():
    from tests.data.registers import small_register as raw
    audit = [{"at": "2026-11-01 10:00", "user": "a", "action": "update", "table": "customers", "record_id": "C-000001",
              "field": "budget"},
             {"at": "2026-11-02 10:00", "user": "a", "action": "create", "table": "contacts", "record_id": "P-000002"},
             {"at": "2026-11-03 10:00", "user": "a", "action": "create", "table": "contacts", "record_id": "P-000003"}]
    view = customers.customer_360(read_register(raw("zh", audit=audit)), "C-000001")
    assert view["audit"]["record_id"].tolist() == ["P-000002", "C-000001"]


def test_change_preview_shows_old_and_new_and_flags_key_fields(reg):
    started = customers.editable_values(reg, "C-000001")
    changes = customers.changed_fields(started, {**started, "owner": "li.na@example.com", "budget": "15万"})
    preview = customers.change_preview(started, changes, "zh")
    assert preview.values.tolist() == [["负责人", "zhang.wei@example.com", "li.na@example.com", True],
                                       ["采购预算", "120000", "150000", False]]


def test_changed_fields_ignores_values_that_mean_the_same(reg):
    started = customers.editable_values(reg, "C-000001")
    assert customers.changed_fields(started, {**started, "budget": "¥120,000", "stage": "成交"}) == {}


@pytest.mark.parametrize("changes, needed", [({"name": "x", "budget": 1}, ["name"]), ({"notes": "x"}, []),
                                             ({"tier": "A", "owner": "b"}, ["owner", "tier"])],
                         ids=["name", "none", "owner-and-tier"])
def test_reason_needed_for_key_fields_only(changes, needed):
    assert customers.reason_needed_for(changes) == needed


@pytest.mark.parametrize("user, customer_id, actions", [
    (VIEWER, "C-000003", []),
    (STAFF, "C-000003", ["mark_lost"]),
    (MANAGER, "C-000003", ["mark_lost"]),
    (ADMIN, "C-000003", ["mark_lost", "archive"]),
    (ADMIN, "C-000004", ["restore"]),
], ids=["viewer", "staff", "manager", "admin-active", "admin-archived-lost"])
def test_status_actions_follow_the_role_and_the_record(reg, user, customer_id, actions):
    assert list(customers.status_actions(customers.record(reg, "customers", customer_id), user)) == actions


def test_filter_options_come_from_the_register(reg):
    options = customers.filter_options(reg)
    assert (options["tier"], options["owner"]) == (["A", "B", "C"], ["li.na@example.com", "zhang.wei@example.com"])


def test_match_text_says_who_why_and_whether_archived(reg):
    from lib import dedupe
    match = dedupe.find_duplicates(reg, "深圳锦程物流", phone="13622223333")
    assert [customers.match_text(m, "zh") for m in match] == [
        "深圳锦程物流有限公司 (C-000004) — 名称相似 100 · 已归档", "北京众诚软件有限公司 (C-000003) — 电话相同"]


def test_headline_and_totals_read_like_the_record_page(reg):
    view = customers.customer_360(reg, "C-000001")
    assert customers.headline(view["customer"], "en") == "C-000001 · Customer · Tier A · zhang.wei@example.com"
    assert customers.totals_display(view["totals"], "zh")[0] == ("收入", "150,000")


def test_service_text_gives_the_tier_cadence(reg):
    text = customers.service_text(customers.record(reg, "customers", "C-000002"), reg.settings, "en")
    assert text.endswith("Follow up every 60 days.")
