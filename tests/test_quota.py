"""Google's per-minute quota (429 bursts, driven through the Sheets API emulator).

A save caught in a burst the retry budget absorbs lands exactly once; a longer burst writes nothing,
says so in plain words, and the same change set saved later lands once. Pages keep showing the last
register they read, with a warning, asking Google once and then not again until a quiet period has
passed (or refresh is pressed); the very first read still retries. A form whose save failed keeps what was typed.
Request counts only, never timings.
"""
from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import auth, customers, demo, feedback, tiers, ui
from lib.errors import StoreUnavailable
from lib.i18n import t
from lib.migrate import row_counts
from lib.register import read_register
from lib.store import sheets
from lib.store.base import ChangeSet
from lib.store.sheets import SheetsStore

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, 0)           # REGISTER_NOW in tests/conftest.py
RETRIES = 3                                   # the budget the store-level tests give their stores
APP_RETRIES = inspect.signature(SheetsStore).parameters["max_retries"].default   # what the app's store gets
STAFF = auth.User("staff@example.com", "Staff", "staff")
MANAGER = auth.User("manager@example.com", "Manager", "manager")
QUOTA_MESSAGE = {
    "zh": "无法连接客户档案（已用完 Google 表格每分钟的请求配额，请等一分钟），请稍后重试；本次修改未保存。",
    "en": "Couldn't reach the register (Google Sheets' per-minute request quota is used up; wait a minute). "
          "Try again in a moment; nothing was saved.",
}
READ_MESSAGE = {   # the same reason, shown with the last copy of the register: no word about a save
    "zh": "无法连接客户档案（已用完 Google 表格每分钟的请求配额，请等一分钟）。",
    "en": "Couldn't reach the register (Google Sheets' per-minute request quota is used up; wait a minute).",
}
EVERY_REQUEST, THE_READ, THE_WRITE = None, "values.batchGet", "spreadsheets.batchUpdate"


def add_customer(store, reg):
    """Enter a new customer with its primary contact."""
    customers.add_customer(store, reg, STAFF, {"name": "杭州新拓数据有限公司", "stage": "interested"},
                           {"name": "周敏", "phone": "13800000001"}, lang="zh", now=NOW)


def log_complaint(store, reg):
    """Log one complaint."""
    feedback.log_feedback(store, reg, STAFF, {"type": "complaint", "priority": "high", "customer_id": "C-000001",
                                              "description": "发货延迟三天"}, "zh", now=NOW)


def approve_five_tiers(store, reg):
    """Approve tier A for five customers in one review."""
    decisions = [{"customer_id": f"C-00000{n}", "to_tier": "A", "score": 80, "method": "score"} for n in range(1, 6)]
    tiers.approve_tiers(store, reg, MANAGER, decisions, "zh", today=TODAY)


SAVES = {"new customer with contact": add_customer, "complaint": log_complaint,
         "five tier approvals": approve_five_tiers}


@pytest.fixture
def make_register(sheets_store_factory):
    """Return `make()`: a store (retry budget RETRIES, no real sleeping) on a new sheet with 12 demo customers."""
    def make() -> SheetsStore:
        return sheets_store_factory("zh", raw=demo.generate(12, today=TODAY), max_retries=RETRIES)
    return make


def saved_by(save, store) -> None:
    """Run one scripted save on what the store holds now."""
    save(store, read_register(store.load()))


def new_customer_changes() -> ChangeSet:
    """A change set adding one customer (and its audit row), as a page builds it."""
    changes = ChangeSet(STAFF.email, at=NOW, lang="zh")
    changes.add("customers", {"customer_id": "C-000100", "name": "苏州嘉禾食品有限公司", "stage": "prospect",
                              "created_at": NOW})
    return changes


# ---- saves caught in a burst -------------------------------------------------------------------------

@pytest.mark.parametrize("target", [EVERY_REQUEST, THE_READ, THE_WRITE], ids=["every request", "the read", "the write"])
@pytest.mark.parametrize("save", list(SAVES.values()), ids=list(SAVES))
def test_save_caught_in_a_burst_the_budget_absorbs_lands_exactly_once(sheets_emulator, make_register, save, target):
    control, caught = make_register(), make_register()
    before = row_counts(caught.load())
    saved_by(save, control)
    reg = read_register(caught.load())
    sheets_emulator.fail_next(429, times=RETRIES, method=target)

    save(caught, reg)

    assert row_counts(caught.load()) == row_counts(control.load()) != before


@pytest.mark.parametrize("save", list(SAVES.values()), ids=list(SAVES))
def test_burst_longer_than_the_budget_refuses_the_save_and_writes_nothing(sheets_emulator, make_register, save):
    store = make_register()
    before = row_counts(store.load())
    reg = read_register(store.load())
    sheets_emulator.fail_next(429, times=RETRIES + 1)

    with pytest.raises(StoreUnavailable):
        save(store, reg)

    assert row_counts(store.load()) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_refused_save_says_the_quota_is_used_up_and_nothing_was_saved(sheets_emulator, make_register, lang):
    store = make_register()
    sheets_emulator.fail_next(429, times=RETRIES + 1)

    with pytest.raises(StoreUnavailable) as refused:
        store.save(new_customer_changes())

    assert refused.value.message(lang) == QUOTA_MESSAGE[lang]


def test_retries_stop_at_the_budget(sheets_emulator, make_register):
    store = make_register()
    sheets_emulator.fail_next(429, times=RETRIES + 5)
    sheets_emulator.reset_counts()

    with pytest.raises(StoreUnavailable):
        store.save(new_customer_changes())

    assert sheets_emulator.count() == RETRIES + 1


@pytest.mark.parametrize("saves_again", [1, 2], ids=["saved-again", "saved-twice-more"])
def test_change_set_saved_again_after_a_refused_save_lands_once(sheets_emulator, make_register, saves_again):
    store = make_register()
    before = row_counts(store.load())
    changes = new_customer_changes()
    sheets_emulator.fail_next(429, times=RETRIES + 1)
    with pytest.raises(StoreUnavailable):
        store.save(changes)

    for _ in range(saves_again):
        store.save(changes)

    after = row_counts(store.load())
    assert (after["customers"] - before["customers"], after["audit"] - before["audit"]) == (1, 1)


def test_load_caught_in_a_burst_the_budget_absorbs_reads_every_row(sheets_emulator, make_register):
    store = make_register()
    expected = row_counts(store.load())
    sheets_emulator.fail_next(429, times=RETRIES)

    assert row_counts(store.load()) == expected


def test_patient_load_in_a_burst_waits_between_tries(sheets_emulator, sheets_store_factory):
    slept = []
    store = sheets_store_factory("zh", raw=demo.generate(12, today=TODAY), max_retries=RETRIES, sleep=slept.append)
    store.load()
    sheets_emulator.fail_next(429, times=RETRIES)
    sheets_emulator.reset_counts()

    store.load()

    assert (sheets_emulator.count(THE_READ), len(slept)) == (RETRIES + 1, RETRIES)


def test_load_in_one_attempt_during_a_burst_asks_once_and_does_not_wait(sheets_emulator, sheets_store_factory):
    slept = []
    store = sheets_store_factory("zh", raw=demo.generate(12, today=TODAY), max_retries=RETRIES, sleep=slept.append)
    store.load()
    sheets_emulator.fail_next(429, times=RETRIES + 1)
    sheets_emulator.reset_counts()

    with pytest.raises(StoreUnavailable) as refused:
        store.load(patient=False)

    assert (sheets_emulator.count(), slept, refused.value.message("en")) == (1, [], QUOTA_MESSAGE["en"])


def test_quota_error_carries_the_wait_google_asked_for(sheets_emulator, make_register):
    store = make_register()
    sheets_emulator.fail_next(429, retry_after=30)

    with pytest.raises(StoreUnavailable) as refused:
        store.load(patient=False)

    assert refused.value.retry_after == 30


# ---- pages -------------------------------------------------------------------------------------------

@pytest.fixture
def sheet_app(sheets_emulator, sheets_store_factory, monkeypatch):
    """Return `open(page, lang)`: the app (local admin mode) on a Google Sheet on the emulator, page shown.

    The app's store retries as configured (APP_RETRIES) but without waiting between tries. The app's
    register cache is keyed by the register address, which every fresh emulator reuses, so it is
    emptied before and after each test.
    """
    monkeypatch.setattr(sheets, "BACKOFF_CAP_SECONDS", 0.0)
    ui.refresh()
    ui._last_good().clear()

    def open_(page: str, lang: str = "en") -> AppTest:
        store = sheets_store_factory(lang, raw=demo.generate(12, lang=lang, today=TODAY))
        monkeypatch.setenv("REGISTER_URL", f"gsheets://{store.spreadsheet_id}")
        monkeypatch.setenv("SHEETS_API_ENDPOINT", sheets_emulator.url)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        at.run()
        at.switch_page(page).run()
        assert not at.exception
        return at

    yield open_
    ui.refresh()
    ui._last_good().clear()


def stored_rows(emulator) -> dict[str, int]:
    """Rows per tab as the app's sheet holds them now (read by a store of its own)."""
    return row_counts(SheetsStore(sheets.parse_sheet_url(os.environ["REGISTER_URL"]), endpoint=emulator.url).load())


@dataclass(frozen=True)
class Form:
    """A page form people fill in: what they type (widget key → value), its save button, where it lands."""
    page: str
    typed: dict[str, Any]
    save_button: str
    lands: dict[str, int]     # rows one save adds, per tab


FORMS = {
    "feedback": Form("views/feedback.py", {"feedback.customer_id": "C-000003", "feedback.type": "complaint",
                                           "feedback.description": "发货延迟三天，影响生产"},
                     "feedback.log", {"feedback": 1, "audit": 1}),
    "new customer": Form("views/new_customer.py", {"new_customer.name": "雅鲁藏布测绘研究所",
                                                   "new_customer.region": "拉萨",
                                                   "new_customer.contact.name": "次仁",
                                                   "new_customer.contact.phone": "13900000002"},
                         "new_customer.save", {"customers": 1, "contacts": 1, "audit": 2}),
}


def fill(at: AppTest, form: Form) -> None:
    """Type the form's values into its widgets."""
    for key, value in form.typed.items():
        at.get_by_key(key).set_value(value)


def save(at: AppTest, form: Form) -> None:
    """Press the form's save button."""
    at.button(key=form.save_button).click().run()


def typed_now(at: AppTest, form: Form) -> dict[str, Any]:
    """What the form's widgets hold now."""
    return {key: at.get_by_key(key).value for key in form.typed}


def landed(before: dict[str, int], after: dict[str, int], form: Form) -> dict[str, int]:
    """New rows per tab the form writes to."""
    return {table: after[table] - before[table] for table in form.lands}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_opened_during_a_burst_shows_the_last_register_read_with_a_warning(sheets_emulator, sheet_app, lang):
    at = sheet_app("views/home.py", lang)
    ui.refresh()                                             # the cached register expires …
    sheets_emulator.fail_next(429, times=APP_RETRIES + 1)    # … while Google refuses every read

    at.run()

    assert not at.exception
    assert [w.value for w in at.warning if w.value.endswith(READ_MESSAGE[lang])] != []
    assert at.dataframe[0].value.iloc[0, 1] == 12           # customers, from the last good read


@pytest.fixture
def clock(monkeypatch):
    """The app's clock for quiet periods, moved by hand (`clock.advance(seconds)`), so no test sleeps."""
    class Clock:
        seconds = 1000.0

        def advance(self, seconds: float) -> None:
            self.seconds += seconds

    hand = Clock()
    monkeypatch.setattr(ui, "_clock", lambda: hand.seconds)
    return hand


@pytest.fixture
def app_sleeps(monkeypatch):
    """Return `record()`: the list of waits the app's store asks for from now on (it no longer waits)."""
    def record() -> list[float]:
        slept = []
        monkeypatch.setattr(ui.store(), "sleep", slept.append)   # the store the app opened, once per process
        return slept
    return record


def customers_shown(at: AppTest) -> int:
    """The customer count on the home page."""
    return at.dataframe[0].value.iloc[0, 1]


def stale_warnings(at: AppTest, lang: str = "en") -> list[str]:
    """Warnings that say the page shows an older copy because of the quota."""
    return [w.value for w in at.warning if w.value.endswith(READ_MESSAGE[lang])]


def burst_begins(at: AppTest, emulator, times: int = APP_RETRIES + 1, retry_after: int | None = None) -> None:
    """The cached register expires while Google refuses the next `times` requests; the page reruns."""
    ui.refresh()
    emulator.fail_next(429, times=times, retry_after=retry_after)
    at.run()
    assert stale_warnings(at), "the page should show its last copy"
    emulator.reset_counts()


def add_customer_by_hand(emulator, customer_id: str, name: str) -> None:
    """A person types a new customer row into the sheet (costs no request)."""
    headers = emulator.get_grid("Customers")[0]
    row = [""] * len(headers)
    row[headers.index("Customer ID")], row[headers.index("Customer name")] = customer_id, name
    emulator.append_row("Customers", row)


def test_page_rerun_during_a_burst_asks_google_once_and_does_not_wait(sheets_emulator, sheet_app, app_sleeps):
    at = sheet_app("views/home.py")
    slept = app_sleeps()
    ui.refresh()
    sheets_emulator.fail_next(429, times=APP_RETRIES + 1)
    sheets_emulator.reset_counts()

    at.run()

    assert (sheets_emulator.count(THE_READ), sheets_emulator.count(), slept) == (1, 1, [])


def test_page_rerun_during_a_burst_says_which_copy_it_shows_and_why(sheets_emulator, sheet_app):
    at = sheet_app("views/home.py")
    [last] = ui._last_good().values()                        # the copy the page read on opening

    burst_begins(at, sheets_emulator)

    stale = t("common.stale", "en", at=last.loaded_at.strftime("%H:%M:%S"))
    assert (stale_warnings(at), customers_shown(at)) == ([f"{stale} {READ_MESSAGE['en']}"], 12)


def test_reruns_in_the_quiet_period_ask_google_nothing(sheets_emulator, sheet_app, clock):
    at = sheet_app("views/home.py")
    burst_begins(at, sheets_emulator)

    at.run()
    clock.advance(ui.QUIET_AFTER_UNAVAILABLE_S - 1)
    at.run()

    assert (sheets_emulator.count(), len(stale_warnings(at)), customers_shown(at)) == (0, 1, 12)


def test_after_the_quiet_period_a_rerun_asks_google_once_again(sheets_emulator, sheet_app, clock, app_sleeps):
    at = sheet_app("views/home.py")
    burst_begins(at, sheets_emulator)
    slept = app_sleeps()

    clock.advance(ui.QUIET_AFTER_UNAVAILABLE_S)
    at.run()

    assert (sheets_emulator.count(THE_READ), slept, len(stale_warnings(at))) == (1, [], 1)


def test_after_the_burst_the_page_shows_fresh_data_without_the_warning(sheets_emulator, sheet_app, clock):
    at = sheet_app("views/home.py")
    burst_begins(at, sheets_emulator, times=1)
    add_customer_by_hand(sheets_emulator, "C-000099", "Hand-typed Ltd")
    at.run()
    assert customers_shown(at) == 12                          # still the last copy, quietly

    clock.advance(ui.QUIET_AFTER_UNAVAILABLE_S)
    at.run()

    assert (sheets_emulator.count(THE_READ), stale_warnings(at), customers_shown(at)) == (1, [], 13)


def test_quiet_period_lasts_as_long_as_google_asks(sheets_emulator, sheet_app, clock):
    at = sheet_app("views/home.py")
    burst_begins(at, sheets_emulator, times=1, retry_after=30)

    clock.advance(29)
    at.run()
    asked_before = sheets_emulator.count()
    clock.advance(1)
    at.run()

    assert (asked_before, sheets_emulator.count(THE_READ), stale_warnings(at)) == (0, 1, [])


def test_refresh_button_asks_google_again_during_the_quiet_period(sheets_emulator, sheet_app, clock):
    at = sheet_app("views/home.py")
    burst_begins(at, sheets_emulator, times=1)
    add_customer_by_hand(sheets_emulator, "C-000099", "Hand-typed Ltd")

    at.button(key="ui.refresh").click().run()

    assert (sheets_emulator.count(THE_READ), stale_warnings(at), customers_shown(at)) == (1, [], 13)


def test_first_load_with_no_copy_to_show_still_retries(sheets_emulator, sheet_app, app_sleeps):
    at = sheet_app("views/home.py")
    slept = app_sleeps()
    ui.refresh()
    ui._last_good().clear()                                  # as on a fresh server
    sheets_emulator.fail_next(429, times=APP_RETRIES)
    sheets_emulator.reset_counts()

    at.run()

    assert not at.exception
    assert (sheets_emulator.count(THE_READ), len(slept), stale_warnings(at), customers_shown(at)) == \
        (APP_RETRIES + 1, APP_RETRIES, [], 12)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_form_refused_by_the_quota_shows_the_message(sheets_emulator, sheet_app, form, lang):
    at = sheet_app(form.page, lang)
    fill(at, form)
    sheets_emulator.fail_next(429, times=APP_RETRIES + 1)

    save(at, form)

    assert not at.exception
    assert [e.value for e in at.error] == [QUOTA_MESSAGE[lang]]


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_form_refused_by_the_quota_keeps_what_was_typed(sheets_emulator, sheet_app, form):
    at = sheet_app(form.page)
    fill(at, form)
    sheets_emulator.fail_next(429, times=APP_RETRIES + 1)

    save(at, form)

    assert typed_now(at, form) == form.typed


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_form_refused_by_the_quota_writes_nothing(sheets_emulator, sheet_app, form):
    at = sheet_app(form.page)
    before = stored_rows(sheets_emulator)
    fill(at, form)
    sheets_emulator.fail_next(429, times=APP_RETRIES + 1)

    save(at, form)

    assert stored_rows(sheets_emulator) == before


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_form_saved_again_after_the_burst_lands_once(sheets_emulator, sheet_app, form):
    at = sheet_app(form.page)
    before = stored_rows(sheets_emulator)
    fill(at, form)
    sheets_emulator.fail_next(429, times=APP_RETRIES + 1)
    save(at, form)

    save(at, form)

    assert landed(before, stored_rows(sheets_emulator), form) == form.lands


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_form_caught_in_a_burst_the_budget_absorbs_lands_once_without_an_error(sheets_emulator, sheet_app, form):
    at = sheet_app(form.page)
    before = stored_rows(sheets_emulator)
    fill(at, form)
    sheets_emulator.fail_next(429, times=APP_RETRIES)

    save(at, form)

    assert ([e.value for e in at.error], landed(before, stored_rows(sheets_emulator), form)) == ([], form.lands)


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_form_saved_while_the_page_shows_its_last_copy_still_retries_and_lands_once(sheets_emulator, sheet_app,
                                                                                     clock, app_sleeps, form):
    at = sheet_app(form.page)
    before = stored_rows(sheets_emulator)
    burst_begins(at, sheets_emulator, times=1)               # the page now shows its last copy, quietly
    fill(at, form)
    slept = app_sleeps()
    sheets_emulator.fail_next(429, times=APP_RETRIES)        # … and the burst goes on for the save

    save(at, form)

    assert (len(slept), [e.value for e in at.error]) == (APP_RETRIES, [])
    assert landed(before, stored_rows(sheets_emulator), form) == form.lands
