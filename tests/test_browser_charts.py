"""The charts page in Chromium: a manager changes the period and sees every chart; the README's screenshot."""
from __future__ import annotations

import os

from playwright.sync_api import expect

from lib import charts
from tests.browser import open_page, wait_for_app
from tests.conftest import ROOT

CHART = '[data-testid="stVegaLiteChart"]'
DRAWN = f"{CHART} canvas, {CHART} svg.marks"
SCREENSHOT = ROOT / "docs" / "charts.png"


def drawn_charts(page) -> list[dict]:
    """The size of every chart Vega has drawn (its canvas or SVG)."""
    page.wait_for_function(f"document.querySelectorAll('{DRAWN}').length >= {len(charts.CHARTS)}", timeout=30_000)
    return [box for box in (el.bounding_box() for el in page.locator(DRAWN).all()) if box]


def test_manager_changes_the_period_and_sees_every_chart(served_app, page, tmp_path):
    server = served_app()   # local mode: the single user is an admin, who may do what a manager may
    open_page(page, server, "Charts")
    page.get_by_role("heading", name="Charts").first.wait_for(timeout=30_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Period").click()
    page.get_by_role("option", name="This year").click()
    wait_for_app(page)
    page.get_by_text("2026-01-01 to 2026-11-20, compared with the 324 days before.").wait_for(timeout=30_000)
    sizes = drawn_charts(page)
    page.set_viewport_size({"width": 1400, "height": 2300})
    page.mouse.move(1, 1)        # no tooltip over the page
    page.wait_for_timeout(800)   # let the charts take the new size and the tooltip fade
    page.screenshot(path=str(tmp_path / "charts.png"))
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    assert len(sizes) == len(charts.CHARTS)
    assert all(box["width"] > 200 and box["height"] > 50 for box in sizes)
    expect(page.get_by_role("button", name="Download report (HTML)")).to_be_visible()
