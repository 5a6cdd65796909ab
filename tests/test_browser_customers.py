"""The daily path in headless Chromium: add a customer, see the duplicate warning, open the record, log a call,
edit with a reason."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from lib.register import read_register
from lib.store.sql import SqlStore
from tests.browser import click, open_page, wait_for_app
from tests.data.registers import small_register


def _type(page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Tab")   # a text input sends its value when it loses focus
    wait_for_app(page)


def _choose(page, container, label: str, option: str) -> None:
    box = container.get_by_role("combobox", name=label)
    choice = page.get_by_role("option", name=option, exact=True)
    box.click()
    if not choice.is_visible():
        box.press("ArrowDown")   # open the list with the keyboard if the click did not
    choice.click()
    wait_for_app(page)


def test_add_customer_see_duplicate_open_record_log_call_and_edit_with_reason(served_app, seeded_url, page):
    url = seeded_url(small_register("en"))
    server = served_app(env={"REGISTER_URL": url})
    open_page(page, server, "New customer")

    _type(page, "Customer name *", "华信科技（上海）有限公司")
    page.get_by_text("This customer probably exists already. Check these records first:").wait_for()
    expect(page.get_by_role("link", name=re.compile(r"上海华信科技有限公司 \(C-000001\)"))).to_be_visible()
    click(page, page.get_by_text("I checked: this is a new customer. Save anyway"))
    click(page, page.get_by_role("button", name="Save customer"))
    page.get_by_text("Customer C-000006 created.").wait_for()

    click(page, page.get_by_role("link", name="Open the record of C-000006"))
    page.get_by_role("heading", name="华信科技（上海）有限公司").wait_for()

    click(page, page.get_by_role("tab", name="Interactions"))
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Log interaction"))
    _choose(page, form, "Channel", "Phone")
    form.get_by_label("Summary", exact=True).fill("Called about the renewal")
    click(page, form.get_by_role("button", name="Log interaction"))
    page.get_by_text("Saved.").wait_for()

    click(page, page.get_by_text("Edit basic info"))
    _type(page, "Owner", "li.na@example.com")
    page.get_by_text("Reason (required for changes to key fields)").wait_for()
    _type(page, "Reason (required for changes to key fields)", "Territory change")
    click(page, page.get_by_role("button", name="Save changes"))
    page.get_by_text("Saved.").wait_for()

    reg = read_register(SqlStore(url, lang="en").load())
    assert reg.record("customers", "C-000006")["owner"] == "li.na@example.com"
    assert reg.frame("interactions")["summary"].tolist()[-1] == "Called about the renewal"
    audit = reg.frame("audit")
    assert audit.loc[audit["field"] == "owner", "reason"].tolist() == ["Territory change"]
