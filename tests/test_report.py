"""The static report: `python -m lib.admin report` offline, its HTML in Chromium, and the page's download."""
from __future__ import annotations

import argparse
import re
import socket
from datetime import date, datetime

import pytest

from lib import admin, charts, demo, kpis, report
from lib.register import read_register
from lib.store.sql import SqlStore

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10)
NO_PROXY = "http://127.0.0.1:9"   # any attempt to reach the internet through a proxy fails at once


@pytest.fixture(scope="module")
def register_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('register')}/report.db"
    store = SqlStore(url, lang="en")
    store.restore(demo.generate(60, lang="en", today=TODAY))
    store.ensure_layout("en")
    return url


@pytest.fixture(scope="module")
def offline_run(register_url, tmp_path_factory):
    """Run the report command with every connection off this machine refused; return (out dir, attempts)."""
    out = tmp_path_factory.mktemp("report")
    attempts = []
    connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else "unix"
        if host not in ("127.0.0.1", "::1", "localhost", "unix"):
            attempts.append(address)
            raise OSError("network is switched off in this test")
        return connect(sock, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", guarded)
        mp.setenv("REGISTER_URL", register_url)
        mp.setenv("REGISTER_NOW", NOW.isoformat())
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            mp.setenv(name, NO_PROXY)
        code = admin.main(["report", "--out", str(out), "--lang", "en"])
    return out, attempts, code


def test_report_command_succeeds(offline_run):
    assert offline_run[2] == 0


def test_report_command_writes_the_page_and_a_png_per_chart(offline_run):
    out = offline_run[0]
    assert sorted(p.name for p in out.iterdir()) == sorted(["index.html", *(f"{k}.png" for k in charts.CHART_KEYS)])
    assert all((out / f"{k}.png").read_bytes().startswith(b"\x89PNG\r\n") for k in charts.CHART_KEYS)


def test_report_command_reaches_no_other_machine(offline_run):
    assert offline_run[1] == []


@pytest.mark.parametrize("needle", ["<script", 'src="http', "src='http", "href=\"http", "url(http", "@import"],
                         ids=["no-scripts", "no-remote-sources", "no-remote-sources-single-quoted",
                              "no-remote-links", "no-remote-css", "no-css-imports"])
def test_report_page_is_self_contained(offline_run, needle):
    assert needle not in (offline_run[0] / "index.html").read_text(encoding="utf-8")


def test_report_opens_in_chromium_showing_every_chart(offline_run, page):
    page.goto((offline_run[0] / "index.html").as_uri())
    figures = page.locator("figure.chart")
    sizes = [figures.nth(i).locator("svg").bounding_box() for i in range(figures.count())]
    assert figures.count() == len(charts.CHARTS)
    assert all(box and box["width"] > 100 and box["height"] > 50 for box in sizes)


def test_page_download_is_the_same_report(offline_run, register_url):
    reg = read_register(SqlStore(register_url, lang="en").load())
    start, end = kpis.period_bounds("month", TODAY)
    html = report.report_html_bytes(reg, start, end, kpis.Filters(), "en", today=NOW)
    assert _same_ids(html) == _same_ids((offline_run[0] / "index.html").read_bytes())


def _same_ids(html: bytes) -> bytes:
    """vl-convert numbers the gradients of its SVGs per process; the numbers do not change the picture."""
    return re.sub(rb"gradient_\d+", b"gradient_n", html)


@pytest.fixture(scope="module")
def demo_register():
    return read_register(demo.generate(60, lang="en", today=TODAY))


def _html(reg, filters=kpis.Filters(), lang="en") -> str:
    start, end = kpis.period_bounds("month", TODAY)
    return report.report_html(reg, start, end, filters, lang, today=NOW, svgs={k: "" for k in charts.CHART_KEYS})


def test_report_states_the_period_and_the_filters(demo_register):
    html = _html(demo_register, kpis.Filters.of(owner="li.na@example.com", tier=["none"]))
    assert "2026-11-01 to 2026-11-20, compared with the 20 days before." in html
    assert "Filters: Owner: li.na@example.com; Tier: Not tiered" in html


def test_report_lists_every_kpi_in_the_users_language(demo_register):
    html = _html(demo_register, lang="zh")
    assert all(f"<th>{report.t(f'charts.kpi_{key}', 'zh')}</th>" in html for key in kpis.TILES)


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    report.add_cli(parser.add_subparsers(dest="command"))
    return parser.parse_args(["report", "--out", "x", *argv])


@pytest.mark.parametrize("argv, expected", [
    ((), (date(2026, 11, 1), date(2026, 11, 21))),
    (("--period", "year"), (date(2026, 1, 1), date(2026, 11, 21))),
    (("--from", "2026-02-01", "--to", "2026-02-28"), (date(2026, 2, 1), date(2026, 3, 1))),
    (("--to", "2026-02-10"), (date(2026, 2, 1), date(2026, 2, 11))),
    (("--from", "2026-10-01"), (date(2026, 10, 1), date(2026, 11, 21))),
], ids=["this-month-by-default", "named-period", "from-and-to", "to-alone-starts-its-month", "from-alone-ends-today"])
def test_report_period_comes_from_the_options(argv, expected):
    assert report.period_from_args(_parse(*argv), TODAY) == expected


def test_report_filters_may_be_repeated():
    args = _parse("--owner", "a@example.com", "--owner", "b@example.com", "--tier", "A")
    assert kpis.Filters.of(args.owner, args.industry, args.region, args.tier) == kpis.Filters(
        owner=("a@example.com", "b@example.com"), tier=("A",))


def test_report_refuses_a_date_it_cannot_read():
    with pytest.raises(SystemExit):
        _parse("--from", "1/2/2026")
