"""Charts for managers: pure functions from a DataFrame to an altair chart (streamlit is never called here).

Every chart has a title in the user's language, a tooltip and `usermeta` {"chart": key, "empty": …}.
A chart whose data is empty is a single text mark saying why (`empty_chart`), with the same title.
`CHARTS` pairs each builder with its data function in lib.kpis, so the page, the CSV downloads and
the static report all show exactly the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import altair as alt
from altair.utils.schemapi import debug_mode
import numpy as np
import pandas as pd

from lib import kpis, schema, tiers
from lib.i18n import t

HEIGHT = 320   # px of the whole chart: Streamlit fits title, axes and legend into it
TIER_COLORS = ("#1f6feb", "#58a6ff", "#a5d0ff", "#c9ccd1")        # A, B, C, not tiered
PREVIOUS_YEAR_COLOR = "#57606a"
LATE_COLOR = "#d1242f"
STAGE_COLORS = ("#a5d0ff", "#58a6ff", "#1f6feb", LATE_COLOR)          # prospect, interested, customer, lost
OUTCOME_COLORS = {"within": "#2da44e", "late": LATE_COLOR, "no_limit": "#c9ccd1"}
BAR_COLOR = "#1f6feb"
MIGRATION_COLORS = ("#f6f8fa", "#79b8ff")   # light enough for black counts on every cell
MONEY = ",.0f"
_LONG_LABELS = alt.Axis(labelLimit=220)   # e-mail addresses and long industry names stay readable


def _tr(key: str, lang: str, **values) -> str:
    return t(f"charts.{key}", lang, **values)


def _title(key: str, lang: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(_tr(f"title_{key}", lang), subtitle=subtitle if subtitle else alt.Undefined,
                           anchor="start")


def _meta(key: str, empty: bool = False) -> dict:
    return {"chart": key, "empty": empty}


def _tip(field: str, kind: str, key: str, lang: str, fmt: str | None = None) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:{kind}", title=_tr(f"ax_{key}", lang), **({"format": fmt} if fmt else {}))


def _month_axis(lang: str) -> alt.X:
    return alt.X("yearmonth(month):O", title=_tr("ax_month", lang),
                 axis=alt.Axis(format="%Y-%m", formatType="time", labelAngle=-45))


def _month_tip(lang: str) -> alt.Tooltip:
    return alt.Tooltip("yearmonth(month):T", title=_tr("ax_month", lang), format="%Y-%m")


def _inline(frame: pd.DataFrame) -> alt.InlineData:
    """The frame's rows as inline values, times as ISO text and NaN as null.

    Cheaper than letting altair convert the DataFrame, which costs more than building the chart. The
    rows are a tuple: altair copies a chart at every `.mark_*()` and `.encode()`, lists deeply, tuples
    not at all (the spec still lists every row).
    """
    columns = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "M":
            columns.append(column.dt.strftime("%Y-%m-%dT%H:%M:%S").tolist())
        elif column.dtype.kind == "f":
            columns.append([None if v != v else v for v in column.tolist()])
        else:
            columns.append(column.tolist())
    names = list(frame.columns)
    return alt.InlineData(values=tuple(dict(zip(names, row)) for row in zip(*columns)))


def _chart(data: pd.DataFrame, key: str, lang: str, subtitle: str | None = None) -> alt.Chart:
    """A single-view chart of the data with the chart's title, height and usermeta."""
    return alt.Chart(_inline(data), title=_title(key, lang, subtitle), height=HEIGHT, usermeta=_meta(key))


def empty_chart(key: str, lang: str) -> alt.Chart:
    """A chart with nothing to plot: its title and one line saying why."""
    reason = _tr(f"empty_{key}", lang)
    data = _inline(pd.DataFrame({"reason": [reason]}))
    return (alt.Chart(data, title=_title(key, lang), height=80, usermeta=_meta(key, True))
            .mark_text(fontSize=14, color=PREVIOUS_YEAR_COLOR)
            .encode(text=alt.Text("reason:N"), tooltip=alt.Tooltip("reason:N", title=_tr(f"title_{key}", lang))))


def tier_chart(data: pd.DataFrame, lang: str, key: str = "tiers") -> alt.Chart:
    """Bars of customers per tier A, B, C and not tiered."""
    if data.empty:
        return empty_chart(key, lang)
    labels = [kpis.tier_label(k, lang) for k in kpis.TIER_KEYS]
    return (_chart(data, key, lang).mark_bar()
            .encode(x=alt.X("tier_label:N", sort=labels, title=_tr("ax_tier", lang), axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("customers:Q", title=_tr("ax_customers", lang)),
                    color=alt.Color("tier_label:N", scale=alt.Scale(domain=labels, range=list(TIER_COLORS)),
                                    legend=None),
                    tooltip=[_tip("tier_label", "N", "tier", lang), _tip("customers", "Q", "customers", lang),
                             _tip("revenue", "Q", "revenue", lang, MONEY)]))


def stage_chart(data: pd.DataFrame, lang: str, key: str = "stages") -> alt.LayerChart | alt.Chart:
    """The funnel prospect → interested → customer, with lost below it, as labelled horizontal bars."""
    if data.empty:
        return empty_chart(key, lang)
    labels = [schema.choice_label("customers", "stage", k, lang) for k in kpis.STAGE_ORDER]
    y = alt.Y("stage_label:N", sort=labels, title=_tr("ax_stage", lang))
    base = alt.Chart().encode(
        y=y, x=alt.X("customers:Q", title=_tr("ax_customers", lang)),
        tooltip=[_tip("stage_label", "N", "stage", lang), _tip("customers", "Q", "customers", lang),
                 _tip("share", "Q", "share", lang, ".0%")])
    bars = base.mark_bar().encode(color=alt.Color("stage_label:N", legend=None,
                                                  scale=alt.Scale(domain=labels, range=list(STAGE_COLORS))))
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("customers:Q"))
    return alt.layer(bars, text, data=_inline(data), title=_title(key, lang), height=HEIGHT, usermeta=_meta(key))


def revenue_chart(data: pd.DataFrame, lang: str, key: str = "revenue") -> alt.LayerChart | alt.Chart:
    """Monthly revenue stacked by tier, with a dashed line for the same month a year earlier."""
    if data.empty:
        return empty_chart(key, lang)
    labels = [kpis.tier_label(k, lang) for k in kpis.TIER_KEYS] + [_tr("previous_year", lang)]
    color = alt.Color("series_label:N", title=None, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=labels, range=[*TIER_COLORS, PREVIOUS_YEAR_COLOR]))
    tooltip = [_month_tip(lang), _tip("series_label", "N", "series", lang),
               _tip("revenue", "Q", "revenue", lang, MONEY),
               _tip("profit", "Q", "profit", lang, MONEY), _tip("deals", "Q", "deals", lang)]
    base = alt.Chart().encode(x=_month_axis(lang), y=alt.Y("revenue:Q", title=_tr("ax_revenue", lang)),
                                  color=color, tooltip=tooltip)
    bars = base.transform_filter(alt.datum.series != "previous_year").mark_bar().encode(
        order=alt.Order("series:N", sort="ascending"))
    line = base.transform_filter(alt.datum.series == "previous_year").mark_line(point=True, strokeDash=[5, 3])
    return alt.layer(bars, line, data=_inline(data), title=_title(key, lang), height=HEIGHT, usermeta=_meta(key))


def pareto_point(data: pd.DataFrame, customer_share: float = kpis.PARETO_MARK) -> float:
    """Share of revenue that the top `customer_share` of customers bring, read off the curve."""
    return float(np.interp(customer_share, data["customer_share"], data["revenue_share"]))


def pareto_chart(data: pd.DataFrame, lang: str, key: str = "pareto") -> alt.LayerChart | alt.Chart:
    """The Pareto curve with the 80 % line and where the top 20 % of customers stand."""
    if data.empty:
        return empty_chart(key, lang)
    share = pareto_point(data)
    note = _tr("pareto_note", lang, customers=f"{kpis.PARETO_MARK * 100:.0f}", revenue=f"{share * 100:.0f}")
    x = alt.X("customer_share:Q", title=_tr("ax_customer_share", lang), axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("revenue_share:Q", title=_tr("ax_revenue_share", lang), axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))
    curve = alt.Chart().mark_line(color=BAR_COLOR).encode(
        x=x, y=y, tooltip=[_tip("customer_share", "Q", "customer_share", lang, ".1%"),
                           _tip("revenue_share", "Q", "revenue_share", lang, ".1%"),
                           _tip("customers", "Q", "customers", lang), _tip("revenue", "Q", "revenue", lang, MONEY)])
    # Annotations carry their few values inline: they are not part of the CSV download.
    line80 = alt.Chart(alt.InlineData(values=[{"revenue_share": 0.8, "label": _tr("pareto_line", lang)}])).mark_rule(
        color=PREVIOUS_YEAR_COLOR, strokeDash=[4, 4]).encode(y=y, tooltip=alt.Tooltip("label:N", title=""))
    mark = alt.InlineData(values=[{"customer_share": kpis.PARETO_MARK, "revenue_share": share, "note": note}])
    point = alt.Chart(mark).mark_point(filled=True, size=90, color=LATE_COLOR).encode(
        x=x, y=y, tooltip=alt.Tooltip("note:N", title=""))
    label = alt.Chart(mark).mark_text(align="left", dx=8, dy=14, color=LATE_COLOR).encode(
        x=x, y=y, text=alt.Text("note:N"), tooltip=alt.Tooltip("note:N", title=""))
    return alt.layer(curve, line80, point, label, data=_inline(data), title=_title(key, lang, note), height=HEIGHT,
                     usermeta=_meta(key))


def group_chart(data: pd.DataFrame, lang: str, key: str) -> alt.Chart:
    """Horizontal bars of customers per industry or region, biggest first (the rest summed as other)."""
    if data.empty:
        return empty_chart(key, lang)
    axis = "industry" if key == "industries" else "region"
    return (_chart(data, key, lang).mark_bar(color=BAR_COLOR)
            .encode(y=alt.Y("value:N", sort=list(data["value"]), title=_tr(f"ax_{axis}", lang), axis=_LONG_LABELS),
                    x=alt.X("customers:Q", title=_tr("ax_customers", lang)),
                    tooltip=[_tip("value", "N", axis, lang), _tip("customers", "Q", "customers", lang),
                             _tip("revenue", "Q", "revenue", lang, MONEY)]))


def industry_chart(data: pd.DataFrame, lang: str) -> alt.Chart:
    return group_chart(data, lang, "industries")


def region_chart(data: pd.DataFrame, lang: str) -> alt.Chart:
    return group_chart(data, lang, "regions")


def rfm_chart(data: pd.DataFrame, lang: str, key: str = "rfm") -> alt.Chart:
    """Horizontal bars of customers per RFM segment, in the segments' order."""
    if data.empty:
        return empty_chart(key, lang)
    order = [tiers.SEGMENT_LABELS[k][0 if lang == "zh" else 1] for k in tiers.SEGMENTS]
    return (_chart(data, key, lang).mark_bar(color=BAR_COLOR)
            .encode(y=alt.Y("segment_label:N", sort=order, title=_tr("ax_segment", lang)),
                    x=alt.X("customers:Q", title=_tr("ax_customers", lang)),
                    tooltip=[_tip("segment_label", "N", "segment", lang), _tip("customers", "Q", "customers", lang),
                             _tip("recency_days", "Q", "recency", lang, ".0f"),
                             _tip("frequency", "Q", "frequency", lang, ".1f"),
                             _tip("monetary", "Q", "monetary", lang, MONEY)]))


def migration_chart(data: pd.DataFrame, lang: str, key: str = "migration") -> alt.LayerChart | alt.Chart:
    """Heatmap of tier reviews from one tier (rows) to another (columns), with the counts written in."""
    if data.empty:
        return empty_chart(key, lang)
    labels = [kpis.tier_label(k, lang) for k in kpis.TIER_KEYS]
    base = alt.Chart().encode(
        x=alt.X("to_label:N", sort=labels, title=_tr("ax_to", lang), axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("from_label:N", sort=labels, title=_tr("ax_from", lang)),
        tooltip=[_tip("from_label", "N", "from", lang), _tip("to_label", "N", "to", lang),
                 _tip("count", "Q", "count", lang)])
    cells = base.mark_rect().encode(color=alt.Color("count:Q", title=_tr("ax_count", lang),
                                                    scale=alt.Scale(range=list(MIGRATION_COLORS))))
    text = base.mark_text(fontSize=13).encode(text=alt.Text("count:Q"))
    return alt.layer(cells, text, data=_inline(data), title=_title(key, lang), height=HEIGHT, usermeta=_meta(key))


def feedback_volume_chart(data: pd.DataFrame, lang: str, key: str = "feedback_volume") -> alt.Chart:
    """Monthly feedback stacked by type."""
    if data.empty:
        return empty_chart(key, lang)
    labels = [c.label(lang) for c in schema.FEEDBACK_TYPES]
    return (_chart(data, key, lang).mark_bar()
            .encode(x=_month_axis(lang), y=alt.Y("count:Q", title=_tr("ax_count", lang)),
                    color=alt.Color("type_label:N", sort=labels, scale=alt.Scale(domain=labels), title=None,
                                    legend=alt.Legend(orient="bottom")),
                    order=alt.Order("type:N"),
                    tooltip=[_month_tip(lang), _tip("type_label", "N", "type", lang),
                             _tip("count", "Q", "count", lang)]))


def satisfaction_chart(data: pd.DataFrame, lang: str, key: str = "satisfaction") -> alt.Chart:
    """CSAT (% satisfied) and NPS per month as two lines on one −100…100 scale."""
    if data.empty:
        return empty_chart(key, lang)
    return (_chart(data, key, lang).mark_line(point=True)
            .encode(x=_month_axis(lang),
                    y=alt.Y("value:Q", title=_tr("ax_value", lang), scale=alt.Scale(domain=[-100, 100])),
                    color=alt.Color("measure_label:N", title=_tr("ax_measure", lang)),
                    tooltip=[_month_tip(lang), _tip("measure_label", "N", "measure", lang),
                             _tip("value", "Q", "value", lang, ".1f"), _tip("answers", "Q", "answers", lang)]))


def within_share(data: pd.DataFrame) -> float | None:
    """Share of resolved complaints (with a time limit) resolved within it."""
    timed = data[data["outcome"].isin(["within", "late"])]
    total = timed["count"].sum()
    return float(timed.loc[timed["outcome"] == "within", "count"].sum() / total) if total else None


def resolve_chart(data: pd.DataFrame, lang: str, key: str = "resolve") -> alt.Chart:
    """Bars of resolved complaints by time to resolve, split into within the limit and late."""
    if data.empty:
        return empty_chart(key, lang)
    share = within_share(data)
    note = _tr("resolve_note", lang, share=f"{share * 100:.0f}") if share is not None else None
    buckets = [_tr(f"bucket_{k}", lang) for k in kpis.RESOLVE_BUCKET_KEYS]
    outcomes = list(OUTCOME_COLORS)
    return (_chart(data, key, lang, note).mark_bar()
            .encode(x=alt.X("bucket_label:N", sort=buckets, title=_tr("ax_resolve", lang), axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("count:Q", title=_tr("ax_complaints", lang)),
                    color=alt.Color("outcome_label:N", title=_tr("ax_outcome", lang),
                                    scale=alt.Scale(domain=[_tr(f"outcome_{k}", lang) for k in outcomes],
                                                    range=list(OUTCOME_COLORS.values()))),
                    order=alt.Order("outcome:N", sort="descending"),
                    tooltip=[_tip("bucket_label", "N", "resolve", lang), _tip("outcome_label", "N", "outcome", lang),
                             _tip("count", "Q", "complaints", lang)]))


def follow_up_chart(data: pd.DataFrame, lang: str, key: str = "follow_ups") -> alt.Chart:
    """Horizontal bars of overdue follow-ups per owner, most first."""
    if data.empty:
        return empty_chart(key, lang)
    return (_chart(data, key, lang).mark_bar(color=LATE_COLOR)
            .encode(y=alt.Y("owner:N", sort=list(data["owner"]), title=_tr("ax_owner", lang), axis=_LONG_LABELS),
                    x=alt.X("overdue:Q", title=_tr("ax_overdue", lang)),
                    tooltip=[_tip("owner", "N", "owner", lang), _tip("overdue", "Q", "overdue", lang),
                             _tip("oldest_days", "Q", "oldest", lang)]))


# ---- the page's charts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartSpec:
    """One chart of the page: its key, the data function (lib.kpis) and the builder."""
    key: str
    data: Callable[[kpis.Scope, str], pd.DataFrame]
    build: Callable[[pd.DataFrame, str], alt.TopLevelMixin]


CHARTS = (
    ChartSpec("tiers", kpis.customers_by_tier, tier_chart),
    ChartSpec("stages", kpis.customers_by_stage, stage_chart),
    ChartSpec("revenue", kpis.revenue_by_month, revenue_chart),
    ChartSpec("pareto", kpis.pareto_curve, pareto_chart),
    ChartSpec("industries", lambda s, lang: kpis.customers_by(s, "industry", lang), industry_chart),
    ChartSpec("regions", lambda s, lang: kpis.customers_by(s, "region", lang), region_chart),
    ChartSpec("rfm", kpis.rfm_segments, rfm_chart),
    ChartSpec("migration", kpis.tier_migration, migration_chart),
    ChartSpec("feedback_volume", kpis.feedback_volume, feedback_volume_chart),
    ChartSpec("satisfaction", kpis.satisfaction_trend, satisfaction_chart),
    ChartSpec("resolve", kpis.resolve_times, resolve_chart),
    ChartSpec("follow_ups", kpis.follow_ups_by_owner, follow_up_chart),
)
CHART_KEYS = tuple(spec.key for spec in CHARTS)


@dataclass(frozen=True)
class ChartView:
    """A chart ready to show: its data (what the CSV download holds) and the altair chart of it."""
    key: str
    title: str
    data: pd.DataFrame
    chart: alt.TopLevelMixin

    @property
    def empty(self) -> bool:
        return self.data.empty

    @cached_property
    def spec(self) -> dict:
        """The chart as a Vega-Lite spec, made once (the page reruns often and shows this).

        Not validated here: tests/test_charts.py validates every builder's output, and validating
        twelve specs costs more than building them.
        """
        return self.chart.to_dict(validate=False)

    def csv(self) -> bytes:
        """The plotted data as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese)."""
        return self.data.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8-sig")

    @property
    def file_name(self) -> str:
        return f"{self.key}.csv"


def chart_data(key: str, scope: kpis.Scope, lang: str) -> pd.DataFrame:
    """Return the data one chart plots."""
    return _spec(key).data(scope, lang)


def build_chart(key: str, data: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Build one chart from its data."""
    return _spec(key).build(data, lang)


def _spec(key: str) -> ChartSpec:
    for spec in CHARTS:
        if spec.key == key:
            return spec
    raise KeyError(f"unknown chart {key!r}; expected one of {CHART_KEYS}")


def page_charts(scope: kpis.Scope, lang: str) -> list[ChartView]:
    """Every chart of the page for a scope, remembered per register object, period, filters and language."""
    def build() -> list[ChartView]:
        views = []
        # Altair's debug mode validates every schema object as it is made, which costs more than the
        # charts themselves; tests/test_charts.py validates every builder's whole spec instead.
        with debug_mode(False):
            for spec in CHARTS:
                data = spec.data(scope, lang)
                views.append(ChartView(spec.key, _tr(f"title_{spec.key}", lang), data, spec.build(data, lang)))
        return views
    return scope.reg.derived(("charts.views", scope.start, scope.end, scope.today, scope.filters, lang), build)
