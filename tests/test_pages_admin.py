"""The admin page (管理 / Admin): backup download, restore with preview and confirmation, demo data, settings."""
from __future__ import annotations

import os
from datetime import date, datetime

import pytest

from lib import backup, demo
from lib.register import read_register
from lib.store.base import RawRegister
from lib.store.sql import SqlStore

DEMO_BACKUP = backup.backup_xlsx(demo.generate(8, lang="en", today=date(2026, 11, 20)))


def stored():
    """The register the page under test works on, read afresh."""
    return SqlStore(os.environ["REGISTER_URL"]).load()


@pytest.fixture
def admin_page(app_test):
    """Return `open(raw=None, role="admin")`: the admin page run on a seeded register, signed in as boss@example.com."""
    def open_page(raw=None, role: str | None = "admin"):
        at = app_test(raw=raw, role=role, email="boss@example.com")
        SqlStore(os.environ["REGISTER_URL"]).set_demo(raw is None or raw.demo)   # seeding keeps no demo mark
        at.run()
        return at.switch_page("views/admin.py").run()
    return open_page


def test_admin_page_offers_backup_restore_demo_and_settings(admin_page):
    at = admin_page()
    assert not at.exception
    assert [h.value for h in at.header] == ["Backup", "Restore from a backup", "Demo data", "Settings"]
    assert at.get("download_button")[0].proto.label == "Download backup"


# ---- restore ---------------------------------------------------------------------------------------

def test_uploaded_backup_is_previewed_with_row_counts(admin_page):
    at = admin_page(raw=RawRegister({}, "en", datetime(2026, 11, 20)))
    at.get("file_uploader")[0].set_value(("backup.xlsx", DEMO_BACKUP, backup.exports.XLSX_MIME)).run()
    assert not at.exception
    assert any(m.value.startswith("The backup holds ") for m in at.markdown)
    assert at.dataframe[0].value["Rows"].tolist()[0] == 8


def test_restore_waits_for_the_confirmation(admin_page):
    at = admin_page(raw=RawRegister({}, "en", datetime(2026, 11, 20)))
    at.get("file_uploader")[0].set_value(("backup.xlsx", DEMO_BACKUP, backup.exports.XLSX_MIME)).run()
    assert at.button(key="admin.restore").disabled


def test_confirmed_restore_loads_the_backup_into_the_empty_register(admin_page):
    at = admin_page(raw=RawRegister({}, "en", datetime(2026, 11, 20)))
    at.get("file_uploader")[0].set_value(("backup.xlsx", DEMO_BACKUP, backup.exports.XLSX_MIME)).run()
    at.checkbox(key="admin.restore_confirm").check().run()
    at.button(key="admin.restore").click().run()
    assert not at.exception
    assert len(stored().tabs["customers"].rows) == 8
    assert "Restored " in " ".join(s.value for s in at.success)


def test_restore_into_a_register_with_data_is_not_offered(admin_page):
    at = admin_page()
    at.get("file_uploader")[0].set_value(("backup.xlsx", DEMO_BACKUP, backup.exports.XLSX_MIME)).run()
    assert any("already holds data" in w.value for w in at.warning)
    assert "admin.restore" not in [b.key for b in at.button]


def test_a_file_that_is_no_backup_gets_a_message(admin_page):
    at = admin_page()
    at.get("file_uploader")[0].set_value(("backup.xlsx", b"not a workbook", backup.exports.XLSX_MIME)).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["This file is not a readable Excel (.xlsx) backup; nothing was restored."]


# ---- demo data -------------------------------------------------------------------------------------

def test_clearing_demo_data_waits_for_the_confirmation(admin_page):
    assert admin_page().button(key="admin.demo_clear").disabled


def test_confirmed_clearing_empties_the_register_and_restores_default_settings(admin_page):
    at = admin_page()
    at.checkbox(key="admin.demo_confirm").check().run()
    at.button(key="admin.demo_clear").click().run()
    assert not at.exception
    raw = stored()
    assert (raw.demo, len(raw.tabs["customers"].rows), len(raw.tabs["settings"].rows)) == (False, 0, 9)
    assert not any("demo data" in i.value for i in at.info)


def test_demo_section_is_absent_for_real_data(admin_page):
    raw = demo.generate(4, lang="en", today=date(2026, 11, 20))
    raw.demo = False
    assert "Demo data" not in [h.value for h in admin_page(raw=raw).header]


# ---- settings --------------------------------------------------------------------------------------

def edit_setting(at, key: str, value: str | None = None, description: str | None = None, reason: str = ""):
    at.selectbox(key="admin.setting_key").set_value(key).run()
    if value is not None:
        at.text_area(key=f"admin.setting_value.{key}").input(value)
    if description is not None:
        at.text_input(key=f"admin.setting_description.{key}").input(description)
    at.text_input(key="admin.setting_reason").input(reason)
    return at.button(key="admin.setting_save").click().run()


def test_setting_change_is_saved_and_logged_with_the_admins_email_and_reason(admin_page):
    at = edit_setting(admin_page(), "care.lookahead_days", "30", reason="Plan gifts earlier")
    assert not at.exception
    reg = read_register(stored())
    assert reg.settings.care_lookahead_days == 30
    last = reg.frame("audit").iloc[-1]
    assert (last["user"], last["field"], last["old"], last["new"], last["reason"]) == (
        "boss@example.com", "value", "14", "30", "Plan gifts earlier")


def test_setting_change_without_a_reason_is_refused(admin_page):
    at = edit_setting(admin_page(), "care.lookahead_days", "30")
    assert [e.value for e in at.error] == ["Reason for the change is required: say why this setting changes."]
    assert read_register(stored()).settings.care_lookahead_days == 14


def test_setting_value_that_cannot_be_read_is_refused(admin_page):
    at = edit_setting(admin_page(), "tier.method", "gut feeling", reason="try")
    assert [e.value for e in at.error] == [
        "The value “gut feeling” of tier.method cannot be read; follow its description. Nothing was saved."]


def test_text_over_the_cell_limit_gets_a_clear_message_not_a_traceback(admin_page):
    at = edit_setting(admin_page(), "care.lookahead_days", description="x" * 50_001, reason="long")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Description is too long (50001 characters); a cell holds at most 50,000. Nothing was saved."]


def test_default_setting_missing_from_the_tab_is_added_when_saved(admin_page):
    raw = demo.generate(4, lang="en", today=date(2026, 11, 20))
    raw.tabs["settings"].rows = [r for r in raw.tabs["settings"].rows if r[0] != "sla.hours"]
    at = edit_setting(admin_page(raw=raw), "sla.hours", "high 12, medium 48, low 120", reason="new contract")
    assert not at.exception
    assert read_register(stored()).settings.sla_hours == {"high": 12, "medium": 48, "low": 120}


def test_last_visit_bookkeeping_is_not_offered_as_a_setting(admin_page):
    raw = demo.generate(4, lang="en", today=date(2026, 11, 20))
    raw.tabs["settings"].rows.append(["last_seen.boss@example.com", "2026-11-19 09:00", ""])
    assert "last_seen.boss@example.com" not in admin_page(raw=raw).selectbox(key="admin.setting_key").options
