"""Charts for managers: KPI tiles and charts for a period, filtered by owner, industry, region and tier."""
import streamlit as st

from lib import auth, charts, kpis, report, ui

reg, user = ui.page_start("view")
lang = ui.lang()
now = ui.now()
st.title(ui.tr("charts.title"))

options = kpis.filter_options(reg)
with st.expander(ui.tr("charts.filters"), expanded=True):
    columns = st.columns(5)
    period = columns[0].selectbox(ui.tr("charts.period"), kpis.PERIODS, key="charts.period",
                                  format_func=lambda p: ui.tr(f"charts.period_{p}"))
    chosen = {name: column.multiselect(ui.tr(f"charts.filter_{name}"), values, key=f"charts.{name}",
                                       placeholder=ui.tr("charts.all"),
                                       format_func=(lambda v: kpis.tier_label(v, lang)) if name == "tier" else str)
              for column, (name, values) in zip(columns[1:], options.items())}
    custom = None
    if period == "custom":
        first, end = kpis.period_bounds("month", now.date())
        custom = columns[0].date_input(ui.tr("charts.custom_range"), value=(first, kpis.last_day(end)),
                                       key="charts.custom", max_value=now.date())

start, end = kpis.period_bounds(period, now.date(), custom)
filters = kpis.Filters.of(**chosen)
scope = kpis.scope(reg, start, end, now, filters)
st.caption(ui.tr("charts.intro", start=start, end=kpis.last_day(end), days=(end - start).days))

may_export = auth.can(user, "export")
if may_export:
    st.download_button(ui.tr("charts.download_report"), key="charts.report", icon="📄", mime="text/html",
                       help=ui.tr("charts.download_report_help"), file_name=f"report-{start}-{kpis.last_day(end)}.html",
                       data=lambda: report.report_html_bytes(reg, start, end, filters, lang, today=now))

st.subheader(ui.tr("charts.kpis"))
tiles = kpis.kpi_tiles(reg, start, end, now, reg.settings, filters)
for row in kpis.rows_of(tiles, 4):
    for column, tile in zip(st.columns(4), row):
        value, change = kpis.format_tile(tile, lang)
        column.metric(ui.tr(f"charts.kpi_{tile.key}"), value, change, delta_color=tile.delta_color,
                      help=ui.tr(f"charts.kpi_{tile.key}_help"), border=True)

st.subheader(ui.tr("charts.charts"))
for row in kpis.rows_of(charts.page_charts(scope, lang), 2):
    for column, view in zip(st.columns(2), row):
        with column:
            # The spec is made once per register and choice (tests validate it); st.altair_chart would
            # convert and validate every chart again on every rerun (most of the page's time at scale).
            st.vega_lite_chart(spec=view.spec, key=f"charts.chart_{view.key}", width="stretch")
            if may_export and not view.empty:
                st.download_button(ui.tr("charts.download_csv"), view.csv, file_name=view.file_name, mime="text/csv",
                                   key=f"charts.csv_{view.key}", icon="⬇️", type="tertiary")
