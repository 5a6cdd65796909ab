"""The static report for managers who do not open the app: KPI tiles and every chart as one
self-contained HTML page (charts inlined as SVG, no scripts, no CDN) plus a PNG of each chart.

Charts are rendered offline with vl-convert; `python -m lib.admin report --out DIR` writes the
report for a period and filters, and the charts page offers the same HTML as a download.
"""
from __future__ import annotations

import argparse
import html
import os
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from lib import charts, kpis
from lib.i18n import t
from lib.register import Register, read_register

REPORT_WIDTH = 560   # px of each chart's plotting area: two charts side by side on a laptop screen
PNG_SCALE = 2        # sharp on high-density screens and in e-mail clients
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")   # CJK fonts for the PNGs (fonts-noto-cjk)

_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:24px;color:#1f2328}
h1{font-size:22px;margin:0 0 4px} p.meta{color:#57606a;margin:2px 0}
table.kpis{border-collapse:collapse;margin:16px 0 24px}
table.kpis th,table.kpis td{border-bottom:1px solid #d0d7de;padding:6px 14px;text-align:left}
table.kpis td.num{text-align:right;font-variant-numeric:tabular-nums}
div.charts{display:flex;flex-wrap:wrap;gap:24px}
figure.chart{margin:0;padding:8px;border:1px solid #d0d7de;border-radius:6px;background:#fff}
figure.chart svg{display:block;max-width:100%;height:auto}
"""


@lru_cache(maxsize=1)
def _converter():
    """vl-convert with the machine's fonts registered (once per process)."""
    import vl_convert
    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            vl_convert.register_font_directory(folder)
    return vl_convert


def report_spec(view: charts.ChartView) -> dict:
    """The chart's Vega-Lite spec with the report's fixed width."""
    return {**view.spec, "width": REPORT_WIDTH}


def chart_svg(view: charts.ChartView) -> str:
    """Render one chart to SVG offline."""
    return _converter().vegalite_to_svg(report_spec(view))


def _filters_text(filters: kpis.Filters, lang: str) -> str:
    parts = []
    for name in ("owner", "industry", "region", "tier"):
        values = getattr(filters, name)
        if values:
            shown = [kpis.tier_label(v, lang) for v in values] if name == "tier" else values
            parts.append(f"{t(f'charts.filter_{name}', lang)}: {', '.join(shown)}")
    return "; ".join(parts) if parts else t("charts.report_no_filters", lang)


def _period_text(start: date, end: date, lang: str) -> str:
    days = (end - start).days
    return t("charts.intro", lang, start=start.isoformat(), end=(end - timedelta(days=1)).isoformat(), days=days)


def _tiles_table(tiles: list[kpis.Tile], lang: str) -> str:
    rows = []
    for tile in tiles:
        value, change = kpis.format_tile(tile, lang)
        rows.append(f"<tr><th>{html.escape(t(f'charts.kpi_{tile.key}', lang))}</th>"
                    f"<td class=num>{html.escape(value)}</td><td class=num>{html.escape(change or '—')}</td></tr>")
    head = (f"<tr><th>{t('charts.report_col_kpi', lang)}</th><th>{t('charts.report_col_value', lang)}</th>"
            f"<th>{t('charts.report_col_change', lang)}</th></tr>")
    return f"<table class=kpis>{head}{''.join(rows)}</table>"


def report_html(reg: Register, start: date, end: date, filters: kpis.Filters | None, lang: str, *,
                today: date | datetime, svgs: dict[str, str] | None = None) -> str:
    """Return the report as one HTML page with every chart inlined as SVG."""
    filters = filters or kpis.Filters()
    scope = kpis.scope(reg, start, end, today, filters)
    tiles = kpis.kpi_tiles(reg, start, end, today, reg.settings, filters)
    views = charts.page_charts(scope, lang)
    svgs = svgs if svgs is not None else {v.key: chart_svg(v) for v in views}
    figures = "".join(f'<figure class=chart data-chart="{v.key}" data-empty="{str(v.empty).lower()}">{svgs[v.key]}'
                      f"<figcaption hidden>{html.escape(v.title)}</figcaption></figure>" for v in views)
    title = t("charts.report_title", lang)
    generated = kpis.as_moment(today).strftime("%Y-%m-%d %H:%M")
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p class=meta>{html.escape(_period_text(start, end, lang))}</p>"
            f"<p class=meta>{html.escape(t('charts.report_filters', lang, filters=_filters_text(filters, lang)))}</p>"
            f"<p class=meta>{html.escape(t('charts.report_generated', lang, at=generated))}</p>"
            f"{_tiles_table(tiles, lang)}<div class=charts>{figures}</div></body></html>")


def report_html_bytes(reg: Register, start: date, end: date, filters: kpis.Filters | None, lang: str, *,
                      today: date | datetime) -> bytes:
    """Return the report page as UTF-8 bytes (the charts page's download)."""
    return report_html(reg, start, end, filters, lang, today=today).encode("utf-8")


def build_report(reg: Register, start: date, end: date, filters: kpis.Filters | None, lang: str,
                 out_dir: str | Path, *, today: date | datetime) -> Path:
    """Write index.html and one PNG per chart (`<chart>.png`) into out_dir; return the page's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scope = kpis.scope(reg, start, end, today, filters or kpis.Filters())
    svgs = {}
    for view in charts.page_charts(scope, lang):
        svgs[view.key] = chart_svg(view)
        (out / f"{view.key}.png").write_bytes(_converter().svg_to_png(svgs[view.key], scale=PNG_SCALE))
    page = out / "index.html"
    page.write_text(report_html(reg, start, end, filters, lang, today=today, svgs=svgs), encoding="utf-8")
    return page


# ---- command line --------------------------------------------------------------------------------

def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from e


def now() -> datetime:
    """The current time, pinned by `REGISTER_NOW` in tests and demos (as lib.ui.now)."""
    pinned = os.environ.get("REGISTER_NOW")
    return datetime.fromisoformat(pinned) if pinned else datetime.now().replace(microsecond=0)


def period_from_args(args: argparse.Namespace, today: date) -> tuple[date, date]:
    """[start, end) from --period, or from --from/--to (either alone: to today / from its month's first day)."""
    if args.date_from or args.date_to:
        last = args.date_to or today
        first = args.date_from or last.replace(day=1)
        return kpis.period_bounds("custom", today, (first, last))
    return kpis.period_bounds(args.period, today)


def add_cli(subparsers) -> None:
    """Add `report --out DIR [--period …] [--from …] [--to …] [--owner …] … [--lang zh|en]`."""
    p = subparsers.add_parser("report", help="write the static HTML report with a PNG of each chart",
                              description="Write index.html (charts inlined, no network needed to view it) "
                                          "and one PNG per chart for a period and filters.")
    p.add_argument("--out", required=True, help="folder to write index.html and the PNGs into")
    p.add_argument("--period", choices=[p for p in kpis.PERIODS if p != "custom"], default="month",
                   help="named period up to today (default: month); --from/--to override it")
    p.add_argument("--from", dest="date_from", type=_day, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_day, help="last day (included), YYYY-MM-DD")
    for name in ("owner", "industry", "region", "tier"):
        p.add_argument(f"--{name}", action="append", default=[], help=f"keep only this {name} (repeatable)")
    p.add_argument("--lang", choices=["zh", "en"], default=None, help="language (default: the register's)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Open the configured register and write the report."""
    from lib.store import store_from_environment
    reg = read_register(store_from_environment().load())
    lang = args.lang or reg.lang
    args.lang = lang
    moment = now()
    start, end = period_from_args(args, moment.date())
    filters = kpis.Filters.of(args.owner, args.industry, args.region, args.tier)
    page = build_report(reg, start, end, filters, lang, args.out, today=moment)
    print(t("charts.report_written", lang, path=page, charts=len(charts.CHARTS)))
    return 0
