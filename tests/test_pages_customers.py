"""The customer pages as people use them (AppTest): entry, list, record, lost/archived, merge, import, follow-ups."""
from __future__ import annotations

import os

import pytest

from lib.register import read_register
from lib.store.base import ChangeSet
from lib.store.sql import SqlStore
from tests.data.fixtures import NOW
from tests.data.make_messy_customers import PATH
from tests.data.registers import CUSTOMERS, small_register

LIST, NEW, RECORD, FOLLOW_UPS = "views/customers.py", "views/new_customer.py", "views/customer.py", "views/follow_ups.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def open_page(app_test):
    """Return `open(page, role=None, raw=None, email=…, id=None)`: the page run once on the small register."""
    def open_(page, role=None, raw=None, email="zhang.wei@example.com", id=None, lang="en"):
        at = app_test(page=page, raw=raw or small_register(lang), lang=lang, role=role, email=email)
        if id:
            at.query_params["id"] = id
        at.run()
        assert not at.exception
        return at
    return open_


def _register():
    return read_register(SqlStore(os.environ["REGISTER_URL"], lang="en").load())


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _frames(at):
    return [d.value for d in at.dataframe]


# ---- new customer --------------------------------------------------------------------------------

def test_new_customer_with_an_unreadable_budget_names_the_field(open_page):
    at = open_page(NEW)
    at.text_input(key="new_customer.name").input("杭州启明教育咨询有限公司")
    at.text_input(key="new_customer.budget").input("lots")
    at.button(key="new_customer.save").click().run()
    assert not at.exception
    assert _texts(at.error) == ["Budget: Not a readable amount; enter a number such as 120000, ¥120,000 or 1.2万"]
    assert len(_register().frame("customers")) == 5


def test_new_customer_is_saved_and_linked(open_page):
    at = open_page(NEW)
    at.text_input(key="new_customer.name").input("杭州启明教育咨询有限公司")
    at.text_input(key="new_customer.contact.name").input("陈静")
    at.button(key="new_customer.save").click().run()
    assert not at.exception
    assert "Customer C-000006 created." in _texts(at.success)
    assert [link.label for link in at.page_link] == ["Open the record of C-000006"]
    assert at.text_input(key="new_customer.name").value == ""


def test_a_probable_duplicate_is_shown_and_saved_only_when_confirmed(open_page):
    at = open_page(NEW)
    at.text_input(key="new_customer.name").input("华信科技（上海）有限公司").run()
    assert _texts(at.warning)[-1] == "This customer probably exists already. Check these records first:"
    assert at.page_link[0].label == "上海华信科技有限公司 (C-000001) — similar name 100"
    at.button(key="new_customer.save").click().run()
    assert at.error[0].value.startswith("This customer probably exists already: 上海华信科技有限公司 (C-000001).")
    at.checkbox(key="new_customer.save_anyway").check()
    at.button(key="new_customer.save").click().run()
    assert not at.exception
    assert "Customer C-000006 created." in _texts(at.success)


def test_viewers_have_no_new_customer_page(app_test):
    at = app_test(raw=small_register(), role="viewer")
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(NEW)


# ---- the list ------------------------------------------------------------------------------------

def test_list_search_and_filters_narrow_the_table(open_page):
    at = open_page(LIST)
    at.text_input(key="customers.search").input("13711112222").run()
    assert _frames(at)[0]["Customer name"].tolist() == ["Harbor Logistics Co., Ltd."]
    at.text_input(key="customers.search").input("").run()
    at.multiselect(key="customers.tier").select("A").run()
    assert not at.exception
    assert _frames(at)[0]["Customer ID"].tolist() == ["customer?id=C-000001"]


@pytest.mark.parametrize("role, buttons", [("manager", 2), ("admin", 2), ("staff", 0), ("viewer", 0)],
                         ids=["manager", "admin", "staff", "viewer"])
def test_export_buttons_show_only_for_managers_and_admins(open_page, role, buttons):
    at = open_page(LIST, role=role)
    assert len(at.get("download_button")) == buttons


def test_viewers_see_phones_masked_in_the_list(open_page):
    at = open_page(LIST, role="viewer")
    phones = _frames(at)[0]["Phone"].tolist()
    assert "137******22" in phones and "13711112222" not in phones


def test_archived_customers_show_only_when_asked(open_page):
    at = open_page(LIST)
    assert "C-000004" not in " ".join(_frames(at)[0]["Customer ID"])
    at.segmented_control(key="customers.archived").set_value("archived").run()
    assert _frames(at)[0]["Customer ID"].tolist() == ["customer?id=C-000004"]


# ---- the record ----------------------------------------------------------------------------------

def test_record_shows_the_whole_customer(open_page):
    at = open_page(RECORD, id="C-000001")
    assert at.title[0].value == "上海华信科技有限公司"
    assert [m.value for m in at.metric] == ["150,000", "40,000", "2", "2025-03-01", "2026-06-01"]
    assert "Key account" in at.info[-1].value
    assert [t.label for t in at.tabs] == ["Contacts", "Interactions", "Transactions", "Feedback", "Tier history", "Audit log"]


def test_staff_do_not_see_the_audit_tab(open_page):
    at = open_page(RECORD, role="staff", id="C-000001")
    assert "Audit log" not in [t.label for t in at.tabs]


def test_logging_an_interaction_from_the_record(open_page):
    at = open_page(RECORD, id="C-000001")
    at.selectbox(key="customer.add_interactions.channel").select("phone")
    at.text_area(key="customer.add_interactions.summary").input("Called about the renewal")
    at.button(key="customer.add_interactions.submit").click().run()
    assert not at.exception
    assert "Saved." in _texts(at.success)
    assert "Called about the renewal" in _frames(at)[2]["Summary"].tolist()


def test_editing_a_key_field_asks_for_a_reason(open_page):
    at = open_page(RECORD, id="C-000003")
    at.text_input(key="customer.edit.C-000003.owner").input("li.na@example.com").run()
    assert at.text_input(key="customer.edit_reason").label == "Reason (required for changes to key fields)"
    at.button(key="customer.save_edit").click().run()
    assert _texts(at.error) == ["Give a reason for changing Owner."]
    at.text_input(key="customer.edit_reason").input("Territory change")
    at.button(key="customer.save_edit").click().run()
    assert not at.exception
    assert "Saved." in _texts(at.success)
    assert _register().record("customers", "C-000003")["owner"] == "li.na@example.com"


def _edit_after_a_hand_change(open_page):
    """Open C-000003, let someone else change its industry, then save a different industry over it."""
    at = open_page(RECORD, id="C-000003")
    hand = ChangeSet("sheet@example.com", at=NOW)
    hand.update("customers", "C-000003", "industry", "软件", "Internet")
    SqlStore(os.environ["REGISTER_URL"], lang="en").save(hand)
    at.text_input(key="customer.edit.C-000003.industry").input("IT services").run()
    at.button(key="customer.save_edit").click().run()
    return at


def test_a_conflict_shows_both_values_and_overwriting_saves_mine(open_page):
    at = _edit_after_a_hand_change(open_page)
    assert at.error[0].value.startswith("While you were editing, someone changed the fields below")
    conflicts = _frames(at)[-1]
    assert conflicts.values.tolist() == [["Industry", "软件", "Internet", "IT services"]]
    at.button(key="customer.overwrite").click().run()
    assert not at.exception
    assert _register().record("customers", "C-000003")["industry"] == "IT services"


def test_keeping_theirs_reloads_their_value(open_page):
    at = _edit_after_a_hand_change(open_page)
    at.button(key="customer.keep_theirs").click().run()
    assert not at.exception
    assert at.text_input(key="customer.edit.C-000003.industry").value == "Internet"


def test_marking_lost_needs_a_reason(open_page):
    at = open_page(RECORD, role="staff", id="C-000003")
    at.button(key="customer.mark_lost").click().run()
    assert _texts(at.error) == ["Give a reason."]
    at.text_input(key="customer.status_reason").input("Chose a competitor")
    at.button(key="customer.mark_lost").click().run()
    assert "Marked lost." in _texts(at.success)
    assert _register().record("customers", "C-000003")["stage"] == "lost"


def test_staff_cannot_archive(open_page):
    at = open_page(RECORD, role="staff", id="C-000003")
    assert {"customer.mark_lost"} == {b.key for b in at.button} & {"customer.mark_lost", "customer.archive",
                                                                      "customer.restore"}


def test_archiving_hides_from_the_list_and_restoring_brings_back(open_page):
    at = open_page(RECORD, id="C-000003")
    at.text_input(key="customer.status_reason").input("No longer trading")
    at.button(key="customer.archive").click().run()
    assert "Archived; everything is kept." in _texts(at.success)
    at.switch_page(LIST).run()
    assert "customer?id=C-000003" not in _frames(at)[0]["Customer ID"].tolist()
    at.query_params["id"] = "C-000003"
    at.switch_page(RECORD).run()
    at.text_input(key="customer.status_reason").input("Trading again")
    at.button(key="customer.restore").click().run()
    assert not at.exception
    at.switch_page(LIST).run()
    assert "customer?id=C-000003" in _frames(at)[0]["Customer ID"].tolist()


# ---- merge ---------------------------------------------------------------------------------------

def test_admin_merges_a_probable_duplicate_pair(open_page):
    raw = small_register("en", customers=[*CUSTOMERS, {**CUSTOMERS[2], "customer_id": "C-000006",
                                                       "name": "众诚软件（北京）有限公司", "budget": 30000.0}])
    at = open_page(LIST, raw=raw)
    at.toggle(key="customers.show_duplicates").set_value(True).run()
    at.selectbox(key="customers.pair").select("C-000003|C-000006").run()
    at.button(key="customers.merge_now").click().run()
    assert not at.exception
    assert "Merged C-000006 into C-000003." in _texts(at.success), _texts(at.error)
    reg = _register()
    assert (reg.record("customers", "C-000006")["archived"], reg.record("customers", "C-000003")["budget"]) == (True, 30000.0)


def test_staff_see_no_merge_screen(open_page):
    at = open_page(LIST, role="staff")
    assert "customers.show_duplicates" not in [t.key for t in at.toggle]


# ---- import --------------------------------------------------------------------------------------

def test_admin_imports_a_list_with_full_accounting_and_can_undo_it(open_page):
    at = open_page(NEW)
    at.file_uploader(key="new_customer.import_file").set_value(("messy_customers.xlsx", PATH.read_bytes(), XLSX)).run()
    assert "11 rows read: 5 new, 2 probable duplicates, 2 to skip, 2 rejected." in _texts(at.caption)
    at.button(key="new_customer.import_run").click().run()
    assert not at.exception
    assert "Read 11 rows: 5 imported, 0 updated, 4 skipped, 2 rejected. Batch IMP-20261120-100000." in _texts(at.success)
    assert len(at.get("download_button")) == 1
    at.selectbox(key="new_customer.undo_batch").select("IMP-20261120-100000").run()
    at.button(key="new_customer.undo").click().run()
    assert not at.exception
    assert _register().frame("customers")["archived"].sum() == 6


@pytest.mark.parametrize("role", ["staff", "manager"], ids=["staff", "manager"])
def test_only_admins_see_the_import(open_page, role):
    at = open_page(NEW, role=role)
    assert "new_customer.import_file" not in [f.key for f in at.file_uploader]


# ---- follow-ups ----------------------------------------------------------------------------------

def test_follow_ups_default_to_the_signed_in_owner(open_page):
    at = open_page(FOLLOW_UPS, role="staff", email="zhang.wei@example.com")
    assert at.selectbox(key="follow_ups.owner").value == "zhang.wei@example.com"
    assert [m.value for m in at.metric] == ["2", "0", "1"]
    assert _frames(at)[0]["Customer ID"].tolist() == ["customer?id=C-000005", "customer?id=C-000001"]


def test_follow_ups_list_care_events(open_page):
    at = open_page(FOLLOW_UPS)
    care = _frames(at)[-1]
    assert care[["Occasion", "Contact", "Days to go"]].values.tolist() == [["Birthday", "王伟", 5], ["Key date", "", 8]]


def test_follow_ups_speak_chinese(open_page):
    at = open_page(FOLLOW_UPS, lang="zh")
    assert [s.value for s in at.subheader][:3] == ["已逾期", "本周到期", "之后（按级别回访间隔）"]
