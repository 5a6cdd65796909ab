"""The app shell: home page on the embedded demo register, languages, banners."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser import wait_for_app


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default register (data/register.db) is created here
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


from tests.conftest import ROOT  # noqa: E402


def test_first_start_opens_demo_register_in_chinese(app):
    app.session_state["ui.lang"] = "zh"
    app.run()
    assert not app.exception
    assert app.title[0].value == "客户档案"
    assert any("演示数据" in i.value for i in app.info)
    assert any("本机单用户模式" in w.value for w in app.warning)
    assert app.metric[0].label == "在册客户"
    assert int(app.metric[0].value) > 150


def test_home_page_speaks_english_when_chosen(app):
    app.session_state["ui.lang"] = "en"
    app.run()
    assert not app.exception
    assert app.title[0].value == "Customer Register"
    assert any("demo data" in i.value for i in app.info)


def test_browser_opens_app_and_switches_language(served_app, page):
    server = served_app()
    page.goto(server.url)
    wait_for_app(page)
    assert page.get_by_role("heading", name="Customer Register").is_visible()
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="客户档案").wait_for(timeout=20_000)
    assert page.get_by_text("本机单用户模式").first.is_visible()


def test_page_opened_by_url_on_a_fresh_server_runs_through_the_app(served_app, page):
    server = served_app()
    page.goto(server.url + "/charts")
    wait_for_app(page)
    page.get_by_text("语言 / Language").wait_for(timeout=20_000)
    assert page.get_by_role("heading", name="Charts").first.is_visible()
