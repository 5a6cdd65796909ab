"""Chart builders: marks, encodings, data, tooltips, titles in the user's language and empty states."""
from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
import pytest

from lib import charts, demo, kpis
from lib.i18n import t
from lib.register import read_register
from tests.test_kpis import END, NOW, START, TODAY, register_of

MONTHS = pd.to_datetime(["2026-10-01", "2026-11-01"])

FRAMES = {
    "tiers": pd.DataFrame({"tier": ["A", "B", "C", "none"], "tier_label": ["A", "B", "C", "Not tiered"],
                           "customers": [2, 3, 4, 1], "revenue": [500.0, 300.0, 100.0, 0.0]}),
    "stages": pd.DataFrame({"stage": ["prospect", "interested", "customer", "lost"],
                            "stage_label": ["Prospect", "Interested", "Customer", "Lost"], "step": [1, 2, 3, 4],
                            "customers": [5, 3, 8, 1], "share": [5 / 17, 3 / 17, 8 / 17, 1 / 17]}),
    "revenue": pd.DataFrame({"month": [MONTHS[0], MONTHS[1], MONTHS[1]], "series": ["A", "B", "previous_year"],
                             "series_label": ["A", "B", "Same month last year"], "revenue": [100.0, 50.0, 80.0],
                             "profit": [30.0, 10.0, 20.0], "deals": [1, 2, 1]}),
    "pareto": pd.DataFrame({"customer_share": [0.0, 0.25, 0.5, 0.75, 1.0], "revenue_share": [0.0, 0.6, 0.85, 0.95, 1.0],
                            "customers": [0, 1, 2, 3, 4], "revenue": [0.0, 60.0, 85.0, 95.0, 100.0]}),
    "industries": pd.DataFrame({"value": ["Retail", "Software"], "customers": [3, 1], "revenue": [10.0, 5.0]}),
    "regions": pd.DataFrame({"value": ["上海", "Other"], "customers": [2, 2], "revenue": [7.0, 1.0]}),
    "rfm": pd.DataFrame({"segment": ["champions", "lost"], "segment_label": ["Champions", "Lost"], "customers": [4, 2],
                         "recency_days": [3.0, 200.0], "frequency": [9.0, 1.0], "monetary": [900.0, 10.0]}),
    "migration": pd.DataFrame({"from_tier": ["C", "C", "none", "B"], "to_tier": ["B", "C", "A", "A"],
                               "from_label": ["C", "C", "Not tiered", "B"], "to_label": ["B", "C", "A", "A"],
                               "count": [2, 0, 1, 1]}),
    "feedback_volume": pd.DataFrame({"month": MONTHS, "type": ["praise", "complaint"],
                                     "type_label": ["Praise", "Complaint"], "count": [2, 1]}),
    "satisfaction": pd.DataFrame({"month": [MONTHS[0], MONTHS[0]], "measure": ["csat_pct", "nps"],
                                  "measure_label": ["CSAT (%)", "NPS"], "value": [75.0, 20.0], "answers": [4, 4]}),
    "resolve": pd.DataFrame({"bucket": ["h4", "d3", "d3"], "bucket_label": ["Under 4 h", "1–3 days", "1–3 days"],
                             "bucket_order": [0, 2, 2], "outcome": ["within", "late", "within"],
                             "outcome_label": ["Within the limit", "Late", "Within the limit"], "count": [3, 1, 1]}),
    "follow_ups": pd.DataFrame({"owner": ["ann@example.com", "No owner"], "overdue": [3, 1], "oldest_days": [12, 2]}),
}

EXPECTED = {   # marks of the layers, and the field each channel of the first layer shows
    "tiers": (["bar"], {"x": "tier_label", "y": "customers", "color": "tier_label"}),
    "stages": (["bar", "text"], {"x": "customers", "y": "stage_label", "color": "stage_label"}),
    "revenue": (["bar", "line"], {"x": "month", "y": "revenue", "color": "series_label"}),
    "pareto": (["line", "rule", "point", "text"], {"x": "customer_share", "y": "revenue_share"}),
    "industries": (["bar"], {"x": "customers", "y": "value"}),
    "regions": (["bar"], {"x": "customers", "y": "value"}),
    "rfm": (["bar"], {"x": "customers", "y": "segment_label"}),
    "migration": (["rect", "text"], {"x": "to_label", "y": "from_label", "color": "count"}),
    "feedback_volume": (["bar"], {"x": "month", "y": "count", "color": "type_label"}),
    "satisfaction": (["line"], {"x": "month", "y": "value", "color": "measure_label"}),
    "resolve": (["bar"], {"x": "bucket_label", "y": "count", "color": "outcome_label"}),
    "follow_ups": (["bar"], {"x": "overdue", "y": "owner"}),
}
KEYS = list(charts.CHART_KEYS)


def build(key: str, data: pd.DataFrame | None = None, lang: str = "en") -> dict:
    return charts.build_chart(key, FRAMES[key] if data is None else data, lang).to_dict()


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def mark_types(spec: dict) -> list[str]:
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers(spec)]


def rows(spec: dict, layer: int = 0) -> list[dict]:
    """The data the given layer draws (its own, else the chart's; named or inline)."""
    data = layers(spec)[layer].get("data") or spec["data"]
    return list(data["values"] if "values" in data else spec["datasets"][data["name"]])


def as_plotted(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows as altair writes them into the spec (times as ISO text)."""
    out = frame.copy()
    for column in out.select_dtypes("datetime"):
        out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_dict("records")


def empty_like(key: str) -> pd.DataFrame:
    return FRAMES[key].iloc[0:0]


@pytest.mark.parametrize("key", KEYS)
def test_chart_draws_its_marks(key):
    assert mark_types(build(key)) == EXPECTED[key][0]


@pytest.mark.parametrize("key", KEYS)
def test_chart_encodes_its_fields(key):
    encoding = layers(build(key))[0]["encoding"]
    assert {channel: encoding[channel]["field"] for channel in EXPECTED[key][1]} == EXPECTED[key][1]


@pytest.mark.parametrize("key", KEYS)
def test_chart_plots_exactly_its_data(key):
    assert rows(build(key)) == as_plotted(FRAMES[key])


@pytest.mark.parametrize("key", KEYS)
def test_every_layer_has_a_tooltip(key):
    assert all("tooltip" in layer["encoding"] for layer in layers(build(key)))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", KEYS)
def test_chart_title_is_in_the_users_language(key, lang):
    assert build(key, lang=lang)["title"]["text"] == t(f"charts.title_{key}", lang)


@pytest.mark.parametrize("key", KEYS)
def test_chart_says_it_is_not_empty(key):
    assert build(key)["usermeta"] == {"chart": key, "empty": False}


@pytest.mark.parametrize("key", KEYS)
def test_empty_chart_is_a_text_saying_why(key):
    spec = build(key, empty_like(key), "zh")
    assert (mark_types(spec), spec["usermeta"], spec["title"]["text"], rows(spec)) == (
        ["text"], {"chart": key, "empty": True}, t(f"charts.title_{key}", "zh"),
        [{"reason": t(f"charts.empty_{key}", "zh")}])


def test_pareto_chart_marks_where_the_top_fifth_of_customers_stands():
    spec = build("pareto")
    assert spec["title"]["subtitle"] == "Top 20% of customers bring 48% of revenue"
    assert rows(spec, 2) == [{"customer_share": 0.2, "revenue_share": pytest.approx(0.48),
                              "note": "Top 20% of customers bring 48% of revenue"}]


def test_pareto_chart_draws_the_80_percent_line():
    assert rows(build("pareto"), 1) == [{"revenue_share": 0.8, "label": "80% of revenue"}]


def test_revenue_chart_draws_last_year_as_a_dashed_line_over_the_tier_bars():
    bars, line = layers(build("revenue"))
    assert bars["transform"] == [{"filter": "(datum.series !== 'previous_year')"}]
    assert line["transform"] == [{"filter": "(datum.series === 'previous_year')"}]
    assert line["mark"]["strokeDash"] == [5, 3]


def test_resolve_chart_states_the_share_within_the_time_limit():
    assert build("resolve", lang="zh")["title"]["subtitle"] == "80% 在处理时限内解决"


def test_chinese_labels_reach_the_chart():
    spec = build("regions", lang="zh")
    assert (spec["encoding"]["y"]["title"], rows(spec)[0]["value"]) == ("地区", "上海")


def test_csv_download_holds_exactly_the_plotted_data():
    chart = charts.build_chart("tiers", FRAMES["tiers"], "en")
    view = charts.ChartView("tiers", "Customers by tier", FRAMES["tiers"], chart)
    downloaded = pd.read_csv(io.BytesIO(view.csv()), encoding="utf-8-sig")
    assert downloaded.to_dict("records") == FRAMES["tiers"].to_dict("records")


@pytest.fixture(scope="module")
def demo_scope():
    reg = read_register(demo.generate(60, lang="en", today=TODAY))
    return kpis.scope(reg, START, END, NOW)


def test_page_has_every_chart_built_from_its_data_function(demo_scope):
    views = charts.page_charts(demo_scope, "en")
    assert [v.key for v in views] == KEYS
    assert all(v.data.equals(charts.chart_data(v.key, demo_scope, "en")) for v in views)


@pytest.mark.parametrize("key", KEYS)
def test_page_chart_spec_is_the_charts_valid_vega_lite(demo_scope, key):
    view = next(v for v in charts.page_charts(demo_scope, "en") if v.key == key)
    assert view.spec == view.chart.to_dict(validate=True)


@pytest.mark.parametrize("key", KEYS)
def test_empty_register_gives_every_chart_its_empty_state(key):
    s = kpis.scope(register_of(), START, END, datetime(2026, 11, 20, 10))
    assert charts.build_chart(key, charts.chart_data(key, s, "en"), "en").to_dict()["usermeta"]["empty"]
