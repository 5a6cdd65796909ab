"""The tier review in headless Chromium: tick proposals in the table and approve them as one batch."""
from __future__ import annotations

from lib.register import read_register
from lib.store.sql import SqlStore
from tests.browser import click, open_page, wait_for_app
from tests.test_pages_tiers import raw_register

ROW_PX = 35   # Streamlit's table rows and header are 35 px high; the tick box sits in the first column


def tick_row(page, grid, row: int) -> None:
    """Click the tick box of a table row (0 = first row under the header); the table is drawn on a canvas."""
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
    wait_for_app(page)


def test_manager_ticks_two_proposals_and_approves_them_as_one_batch(served_app, seeded_url, page):
    url = seeded_url(raw_register("en"))
    server = served_app(env={"REGISTER_URL": url})
    open_page(page, server, "Tier review")
    page.get_by_text("Showing 5 of 5 customers.").wait_for()
    grid = page.locator('[data-testid="stDataFrame"]').first
    approve = page.get_by_role("button", name="Approve the selected proposals")

    tick_row(page, grid, 0)   # Strong Co: C → A
    tick_row(page, grid, 1)   # Weak Co: A → C
    click(page, approve)

    page.get_by_text("Tier approvals saved: 2.").wait_for()
    customers = read_register(SqlStore(url, lang="en").load()).frames["customers"].set_index("customer_id")
    assert customers["tier"].tolist() == ["A", "C", "B", None, "B"]
    click(page, approve)   # the approved rows are no longer ticked
    page.get_by_text("Tick the customers to approve in the table first.").wait_for()
    click(page, page.get_by_text("Only changes", exact=True))
    page.get_by_text("Showing 1 of 5 customers.").wait_for()   # only Newcomer Co is left to change
