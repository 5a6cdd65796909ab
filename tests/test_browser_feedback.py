"""The feedback page in a real browser: a complaint is logged, then resolved from the queue."""
from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect

from lib import cells, schema
from lib.store.base import RawRegister, RawTab
from tests.browser import open_page, wait_for_app

CUSTOMERS = [{"customer_id": "C-000001", "name": "上海华东机械有限公司", "owner": "local"},
             {"customer_id": "C-000002", "name": "Blue River Trading Co., Ltd.", "owner": "local"}]


def customers_only(lang: str = "en") -> RawRegister:
    """A register of two customers and no feedback yet."""
    tabs = {}
    for key, t in schema.TABLES.items():
        rows = CUSTOMERS if key == "customers" else []
        texts = [[cells.write(f, r.get(f.key), lang) for f in t.fields] for r in rows]
        tabs[key] = RawTab(key, t.label(lang), schema.header_labels(key, lang), texts, [i + 2 for i in range(len(texts))])
    return RawRegister(tabs, lang, datetime(2026, 11, 20, 10, 0))


def pick(page, label: str, text: str) -> None:
    """Open a select box by its label, type to search, and take the first match."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_complaint_is_logged_and_resolved_in_the_browser(served_app, seeded_url, page):
    server = served_app(env={"REGISTER_URL": seeded_url(customers_only())})
    open_page(page, server, "Feedback")

    pick(page, "Customer", "Blue River")
    page.get_by_label("Description").fill("Invoice header wrong, needs reissuing")
    page.get_by_role("button", name="Save feedback").click()
    wait_for_app(page)
    page.get_by_text("Logged complaint F-000001: due by 2026-11-23 10:00").wait_for(timeout=20_000)

    page.get_by_role("tab", name="Queue").click()
    pick(page, "Choose an item to work on", "F-000001")
    wait_for_app(page)
    page.get_by_label("Resolution").fill("Apologised and reissued the invoice")
    page.keyboard.press("Control+Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Resolve").click()
    wait_for_app(page)

    page.get_by_text("Resolved. Remember to call the customer back.").wait_for(timeout=20_000)
    expect(page.get_by_role("button", name="Close after call-back")).to_be_visible()
