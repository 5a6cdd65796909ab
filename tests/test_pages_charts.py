"""The charts page through AppTest: KPI tiles, charts, filters, downloads by role."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from lib import charts, kpis, schema
from lib.i18n import t
from lib.store.base import RawRegister, RawTab

PAGE = "views/charts.py"


def chart_specs(at) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]


def metric(at, label: str):
    return next(m for m in at.metric if m.label == label)


def download_keys(at) -> list[str]:
    return [b.key for b in at.get("download_button")]


@pytest.fixture
def manager_page(app_test):
    at = app_test(PAGE, role="manager", email="boss@example.com")
    at.run()
    return at


def test_the_charts_aggregates_are_prepared_with_the_register_not_on_the_page(app_test, monkeypatch):
    prepared = []
    real_prepare = kpis.prepare
    monkeypatch.setattr(kpis, "prepare", lambda reg, today: prepared.append(today) or real_prepare(reg, today))
    at = app_test(role="manager", email="boss@example.com")
    at.run()                       # the home page: the register is loaded, and with it the charts' inputs
    assert len(prepared) == 1
    at.switch_page(PAGE).run()
    assert not at.exception and len(at.get("vega_lite_chart")) == len(charts.CHARTS)
    assert len(prepared) == 1      # the charts page found them ready


def test_manager_sees_kpi_tiles_and_every_chart(manager_page):
    at = manager_page
    assert not at.exception
    assert at.title[0].value == "Charts"
    assert [m.label for m in at.metric] == [t(f"charts.kpi_{k}", "en") for k in
                                            ("active_customers", "new_customers", "churn_rate", "revenue",
                                             "gross_profit", "csat", "nps", "open_complaints", "overdue_complaints",
                                             "overdue_follow_ups", "data_health")]
    assert [s["usermeta"]["chart"] for s in chart_specs(at)] == list(charts.CHART_KEYS)


def test_every_chart_has_a_title_in_the_users_language(manager_page):
    assert [s["title"]["text"] for s in chart_specs(manager_page)] == [
        t(f"charts.title_{k}", "en") for k in charts.CHART_KEYS]


def test_manager_may_download_the_report_and_each_charts_data(manager_page):
    keys = download_keys(manager_page)
    assert keys[0] == "charts.report"
    assert set(keys[1:]) <= {f"charts.csv_{k}" for k in charts.CHART_KEYS} and len(keys) > 5


def test_changing_the_period_recomputes_tiles_and_says_which_days(manager_page):
    at = manager_page
    before = metric(at, "New customers").value
    at.selectbox(key="charts.period").set_value("year").run()
    assert not at.exception
    assert at.main.caption[0].value == "2026-01-01 to 2026-11-20, compared with the 324 days before."
    assert metric(at, "New customers").value != before


def test_custom_period_asks_for_the_days(manager_page):
    at = manager_page
    at.selectbox(key="charts.period").set_value("custom").run()
    at.date_input(key="charts.custom").set_value((date(2026, 3, 1), date(2026, 3, 31))).run()
    assert not at.exception
    assert at.main.caption[0].value == "2026-03-01 to 2026-03-31, compared with the 31 days before."


def test_owner_filter_narrows_the_tiles(manager_page):
    at = manager_page
    everyone = int(metric(at, "Active customers").value)
    at.multiselect(key="charts.owner").set_value(["li.na@example.com"]).run()
    assert not at.exception
    assert 0 < int(metric(at, "Active customers").value) < everyone


def test_viewer_sees_the_charts_without_downloads(app_test):
    at = app_test(PAGE, role="viewer", email="guest@example.com")
    at.run()
    assert not at.exception
    assert len(chart_specs(at)) == len(charts.CHARTS)
    assert download_keys(at) == []


def test_page_speaks_chinese(app_test):
    at = app_test(PAGE, lang="zh", role="manager", email="boss@example.com")
    at.run()
    assert not at.exception
    assert at.title[0].value == "经营图表"
    assert chart_specs(at)[0]["title"]["text"] == "各级别客户数"


def _empty_register() -> RawRegister:
    tabs = {key: RawTab(key, table.label("en"), schema.header_labels(key, "en"), [], [])
            for key, table in schema.TABLES.items()}
    return RawRegister(tabs, "en", datetime(2026, 11, 20, 10))


def test_empty_register_shows_every_chart_saying_why_it_is_empty(app_test):
    at = app_test(PAGE, raw=_empty_register(), role="manager", email="boss@example.com")
    at.run()
    assert not at.exception
    assert [s["usermeta"]["empty"] for s in chart_specs(at)] == [True] * len(charts.CHARTS)
    assert download_keys(at) == ["charts.report"]
