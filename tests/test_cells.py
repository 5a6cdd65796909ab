"""Hand-typed cells are read as people type them, kept as typed when unreadable, and written back plainly."""
import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from lib import cells, schema

BUDGET = schema.CUSTOMERS.field("budget")
NEXT_FOLLOW_UP = schema.CUSTOMERS.field("next_follow_up")
RECEIVED_AT = schema.FEEDBACK.field("received_at")
ARCHIVED = schema.CUSTOMERS.field("archived")
TIER = schema.CUSTOMERS.field("tier")
STAGE = schema.CUSTOMERS.field("stage")
SIZE = schema.CUSTOMERS.field("size")
PRIORITY = schema.FEEDBACK.field("priority")
FEEDBACK_STATUS = schema.FEEDBACK.field("status")
CHANNEL = schema.INTERACTIONS.field("channel")
CSAT = schema.FEEDBACK.field("csat")
NPS = schema.FEEDBACK.field("nps")
PHONE = schema.CONTACTS.field("phone")
EMAIL = schema.CONTACTS.field("email")
NAME = schema.CUSTOMERS.field("name")
CUSTOMER_ID = schema.CUSTOMERS.field("customer_id")

D = dt.date
T = dt.datetime


def params(rows, width):
    """Turn case rows, whose last column is the case id, into pytest params of their first columns."""
    return [pytest.param(*row[:width], id=row[-1]) for row in rows]

READS = [
    # money
    (BUDGET, "120000", 120000.0, "plain-number"),
    (BUDGET, "¥120,000", 120000.0, "yen-sign-with-grouping"),
    (BUDGET, "￥120,000", 120000.0, "full-width-yen-sign"),
    (BUDGET, "1.2万", 12000.0, "wan"),
    (BUDGET, "1.15万", 11500.0, "wan-with-two-decimals"),
    (BUDGET, "3万5千", 35000.0, "wan-and-qian"),
    (BUDGET, "3万5", 35000.0, "wan-with-spoken-digit"),
    (BUDGET, "3万500", 30500.0, "wan-with-literal-remainder"),
    (BUDGET, "1亿2000万", 120000000.0, "yi-and-wan"),
    (BUDGET, "1.5亿", 150000000.0, "yi"),
    (BUDGET, "1.2万元", 12000.0, "wan-yuan"),
    (BUDGET, "35,000.50元", 35000.5, "yuan-suffix-with-cents"),
    (BUDGET, "120,000.00元整", 120000.0, "yuan-zheng"),
    (BUDGET, "$18,000", 18000.0, "dollar-sign"),
    (BUDGET, "RMB 5000", 5000.0, "rmb-prefix"),
    (BUDGET, "CNY5000", 5000.0, "cny-prefix"),
    (BUDGET, "８５００", 8500.0, "full-width-digits"),
    (BUDGET, "１２，０００．５", 12000.5, "full-width-comma-and-point"),
    (BUDGET, "2k", 2000.0, "k"),
    (BUDGET, "2K", 2000.0, "capital-k"),
    (BUDGET, "12,0000", 120000.0, "grouped-by-wan"),
    (BUDGET, "(1,000)", -1000.0, "accounting-negative"),
    (BUDGET, "-1,000", -1000.0, "minus-sign"),
    (BUDGET, "-¥1000", -1000.0, "minus-before-yen"),
    (BUDGET, "¥-1000", -1000.0, "minus-after-yen"),
    (BUDGET, " 8500 ", 8500.0, "surrounding-spaces"),
    (BUDGET, 120000, 120000.0, "int-from-sheet"),
    (BUDGET, 35000.5, 35000.5, "float-from-sheet"),
    (BUDGET, Decimal("99.90"), 99.9, "decimal-from-database"),
    # dates
    (NEXT_FOLLOW_UP, "2024-03-05", D(2024, 3, 5), "iso-date"),
    (NEXT_FOLLOW_UP, "2023年4月18日", D(2023, 4, 18), "chinese-date"),
    (NEXT_FOLLOW_UP, "2023年4月18号", D(2023, 4, 18), "chinese-date-hao"),
    (NEXT_FOLLOW_UP, "2024/3/5", D(2024, 3, 5), "slashes"),
    (NEXT_FOLLOW_UP, "2024.2.29", D(2024, 2, 29), "dots-leap-day"),
    (NEXT_FOLLOW_UP, "20240305", D(2024, 3, 5), "compact"),
    (NEXT_FOLLOW_UP, "2024-03-05T14:30:00Z", D(2024, 3, 5), "iso-with-time"),
    (NEXT_FOLLOW_UP, "２０２４－０３－０５", D(2024, 3, 5), "full-width-date"),
    (NEXT_FOLLOW_UP, "15/3/2024", D(2024, 3, 15), "day-first-unambiguous"),
    (NEXT_FOLLOW_UP, "3/15/2024", D(2024, 3, 15), "month-first-unambiguous"),
    (NEXT_FOLLOW_UP, "5 Mar 2024", D(2024, 3, 5), "day-month-name"),
    (NEXT_FOLLOW_UP, "March 5, 2024", D(2024, 3, 5), "month-name-day"),
    (NEXT_FOLLOW_UP, "45000", D(2023, 3, 15), "serial-as-text"),
    (NEXT_FOLLOW_UP, 45000, D(2023, 3, 15), "serial-as-number"),
    (NEXT_FOLLOW_UP, 45000.75, D(2023, 3, 15), "serial-with-time"),
    (NEXT_FOLLOW_UP, 20240305, D(2024, 3, 5), "compact-as-number"),
    (NEXT_FOLLOW_UP, D(2024, 3, 5), D(2024, 3, 5), "date-from-database"),
    (NEXT_FOLLOW_UP, T(2024, 3, 5, 9, 0), D(2024, 3, 5), "datetime-in-date-column"),
    (NEXT_FOLLOW_UP, pd.Timestamp("2024-03-05"), D(2024, 3, 5), "pandas-timestamp"),
    # date and time
    (RECEIVED_AT, "2024-03-05 14:30", T(2024, 3, 5, 14, 30), "iso-minutes"),
    (RECEIVED_AT, "2024-03-05T14:30:15", T(2024, 3, 5, 14, 30, 15), "iso-t-seconds"),
    (RECEIVED_AT, "2024/3/5 9:05:00", T(2024, 3, 5, 9, 5), "slashes-with-seconds"),
    (RECEIVED_AT, "2024年3月5日 14:30", T(2024, 3, 5, 14, 30), "chinese-date-time"),
    (RECEIVED_AT, "2024年3月5日14时30分", T(2024, 3, 5, 14, 30), "chinese-hour-minute"),
    (RECEIVED_AT, "2024年3月5日下午2点半", T(2024, 3, 5, 14, 30), "chinese-afternoon-half-past"),
    (RECEIVED_AT, "March 5, 2024 2:30 pm", T(2024, 3, 5, 14, 30), "english-pm"),
    (RECEIVED_AT, "2024-03-05 12:10 am", T(2024, 3, 5, 0, 10), "twelve-am-is-midnight"),
    (RECEIVED_AT, "2024-03-05 14:30:00+08:00", T(2024, 3, 5, 14, 30), "offset-keeps-wall-clock"),
    (RECEIVED_AT, "2024-03-05 14:30:00.250", T(2024, 3, 5, 14, 30, 0, 250000), "fraction-of-second"),
    (RECEIVED_AT, "2024-03-05", T(2024, 3, 5), "date-alone-is-midnight"),
    (RECEIVED_AT, "45000.5", T(2023, 3, 15, 12, 0), "serial-with-fraction"),
    (RECEIVED_AT, D(2024, 3, 5), T(2024, 3, 5), "date-object-is-midnight"),
    # yes/no
    (ARCHIVED, "是", True, "shi"),
    (ARCHIVED, "否", False, "fou"),
    (ARCHIVED, "Y", True, "y"),
    (ARCHIVED, "n", False, "n"),
    (ARCHIVED, "yes", True, "yes"),
    (ARCHIVED, "No", False, "no"),
    (ARCHIVED, "TRUE", True, "sheets-true"),
    (ARCHIVED, "FALSE", False, "sheets-false"),
    (ARCHIVED, "true", True, "lower-true"),
    (ARCHIVED, "1", True, "one"),
    (ARCHIVED, "0", False, "zero"),
    (ARCHIVED, "✓", True, "check-mark"),
    (ARCHIVED, "√", True, "root-sign-tick"),
    (ARCHIVED, "x", False, "cross-letter"),
    (ARCHIVED, "对", True, "dui"),
    (ARCHIVED, "错", False, "cuo"),
    (ARCHIVED, True, True, "bool-from-sheet"),
    (ARCHIVED, 0, False, "zero-number"),
    # choices
    (TIER, "A", "A", "tier-key"),
    (TIER, "a级", "A", "tier-a-ji"),
    (TIER, "A类", "A", "tier-a-lei"),
    (TIER, "B级客户", "B", "tier-with-two-suffixes"),
    (TIER, "重点客户", "A", "tier-variant"),
    (TIER, " c ", "C", "tier-lower-case-spaced"),
    (STAGE, "成交客户", "customer", "stage-variant"),
    (STAGE, "成交", "customer", "stage-zh-label"),
    (STAGE, "Customer", "customer", "stage-en-label"),
    (STAGE, "意向客户", "interested", "stage-suffix"),
    (PRIORITY, "ＨＩＧＨ", "high", "full-width-en-label"),
    (PRIORITY, "紧急", "high", "priority-variant"),
    (FEEDBACK_STATUS, "In progress", "in_progress", "label-with-space"),
    (FEEDBACK_STATUS, "in_progress", "in_progress", "key-with-underscore"),
    (SIZE, "大型企业", "large", "size-variant"),
    (CHANNEL, "e-mail", "email", "channel-variant-with-hyphen"),
    # whole numbers
    (CSAT, "4", 4, "csat-plain"),
    (CSAT, "4分", 4, "csat-fen"),
    (CSAT, "4.0", 4, "csat-point-zero"),
    (CSAT, "５", 5, "csat-full-width"),
    (CSAT, "五星", 5, "csat-chinese-numeral-stars"),
    (CSAT, 3.0, 3, "csat-float-from-sheet"),
    (NPS, "0", 0, "nps-lower-bound"),
    (NPS, "10", 10, "nps-upper-bound"),
    # phones (kept as typed)
    (PHONE, "+86 138 0013 8000", "+86 138 0013 8000", "mobile-international"),
    (PHONE, "13800138000", "13800138000", "mobile"),
    (PHONE, "010-12345678", "010-12345678", "beijing-landline"),
    (PHONE, "021 6123 4567 ext 89", "021 6123 4567 ext 89", "landline-extension"),
    (PHONE, "021-61234567转89", "021-61234567转89", "landline-zhuan-extension"),
    (PHONE, "+1 415 555 2671", "+1 415 555 2671", "us-number"),
    (PHONE, "１３８００１３８０００", "１３８００１３８０００", "full-width-mobile-kept"),
    (PHONE, "13800138000 / 010-12345678", "13800138000 / 010-12345678", "two-numbers-slash"),
    (PHONE, "13800138000；13900139000", "13800138000；13900139000", "two-numbers-chinese-semicolon"),
    (PHONE, "13800138000，13900139000", "13800138000，13900139000", "two-numbers-chinese-comma"),
    (PHONE, 13800138000, "13800138000", "mobile-as-number"),
    # e-mails
    (EMAIL, "li.lei@example.com", "li.lei@example.com", "email"),
    (EMAIL, " li.lei@example.com ", "li.lei@example.com", "email-spaced"),
    (EMAIL, "li.lei＠example.com", "li.lei@example.com", "full-width-at-folded"),
    (EMAIL, "wang@mail.example.com.cn", "wang@mail.example.com.cn", "email-subdomains"),
    # text and IDs
    (NAME, "  上海星河贸易有限公司 ", "上海星河贸易有限公司", "text-stripped"),
    (NAME, "-", "-", "text-keeps-dash"),
    (NAME, "N/A", "N/A", "text-keeps-na"),
    (NAME, "", None, "text-empty"),
    (NAME, 12345, "12345", "text-from-number"),
    (CUSTOMER_ID, " C-000123", "C-000123", "id-stripped"),
]


@pytest.mark.parametrize(("field", "text", "value"), params(READS, 3))
def test_reads_hand_typed_cell(field, text, value):
    reading = cells.read(field, text)
    assert (reading.value, reading.problem) == (value, None)


@pytest.mark.parametrize(("field", "text", "value"), params(READS, 3))
def test_reading_has_the_expected_value_type(field, text, value):
    assert type(cells.read(field, text).value) is type(value)


UNREADABLE = [
    (BUDGET, "about 5k?", "money", "money-vague-english"),
    (BUDGET, "很多", "money", "money-words"),
    (BUDGET, "5000以上", "money", "money-at-least"),
    (BUDGET, "约5000", "money", "money-about"),
    (BUDGET, "1,5", "money", "money-bad-grouping"),
    (BUDGET, "1e5", "money", "money-exponent"),
    (BUDGET, "3万12千", "money", "money-units-out-of-order"),
    (BUDGET, "5 6", "money", "money-two-numbers"),
    (BUDGET, True, "money", "money-bool"),
    (NEXT_FOLLOW_UP, "2024/02/30", "date", "date-impossible-day"),
    (NEXT_FOLLOW_UP, "2023.2.29", "date", "date-not-a-leap-year"),
    (NEXT_FOLLOW_UP, "2024-13-01", "date", "date-month-13"),
    (NEXT_FOLLOW_UP, "3/5/2024", "date", "date-day-month-ambiguous"),
    (NEXT_FOLLOW_UP, "下周一", "date", "date-relative"),
    (NEXT_FOLLOW_UP, "2024年3月", "date", "date-without-day"),
    (NEXT_FOLLOW_UP, "2024", "date", "date-year-only"),
    (NEXT_FOLLOW_UP, "2024.12", "date", "date-year-and-month"),
    (NEXT_FOLLOW_UP, "90000", "date", "date-serial-too-large"),
    (NEXT_FOLLOW_UP, "2024-03-05 soon", "date", "date-with-junk-after"),
    (RECEIVED_AT, "2024-03-05 25:00", "datetime", "datetime-hour-25"),
    (RECEIVED_AT, "2024-03-05 14:30 pm", "datetime", "datetime-pm-after-24h-clock"),
    (RECEIVED_AT, "14:30", "datetime", "datetime-time-only"),
    (ARCHIVED, "maybe", "bool", "bool-maybe"),
    (ARCHIVED, "2", "bool", "bool-two"),
    (ARCHIVED, 2, "bool", "bool-number-two"),
    (TIER, "D", "choice", "choice-unknown-tier"),
    (TIER, "客户", "choice", "choice-suffix-only"),
    (STAGE, "maybe later", "choice", "choice-unknown-stage"),
    (CSAT, "4.5", "int", "int-fraction"),
    (CSAT, "good", "int", "int-word"),
    (CSAT, "4/5", "int", "int-fraction-slash"),
    (CSAT, 4.5, "int", "int-float-fraction"),
    (CSAT, "6", "range", "csat-above-five"),
    (CSAT, "0", "range", "csat-below-one"),
    (NPS, "11", "range", "nps-above-ten"),
    (NPS, "-1", "range", "nps-negative"),
    (PHONE, "138", "phone", "phone-too-short"),
    (PHONE, "call me", "phone", "phone-words"),
    (PHONE, "13800138000 / 12", "phone", "phone-second-number-bad"),
    (EMAIL, "li.lei@example", "email", "email-no-dot-in-domain"),
    (EMAIL, "li lei@example.com", "email", "email-space"),
    (EMAIL, "li@lei@example.com", "email", "email-two-ats"),
    (EMAIL, "li.lei.example.com", "email", "email-no-at"),
    (EMAIL, "li@example..com", "email", "email-empty-domain-label"),
]


@pytest.mark.parametrize(("field", "text"), params([c for c in READS if isinstance(c[1], str)], 2))
def test_reading_keeps_the_cell_text(field, text):
    assert cells.read(field, text).text == text


NON_TEXT_CELLS = [
    (BUDGET, 120000, "120000", "int"),
    (BUDGET, 35000.5, "35000.5", "float"),
    (NEXT_FOLLOW_UP, 45000.0, "45000", "whole-float"),
    (NEXT_FOLLOW_UP, D(2024, 3, 5), "2024-03-05", "date"),
    (ARCHIVED, True, "True", "bool"),
    (NAME, None, "", "none"),
]


@pytest.mark.parametrize(("field", "value", "text"), params(NON_TEXT_CELLS, 3))
def test_reading_of_a_non_text_cell_shows_it_as_typed_text(field, value, text):
    assert cells.read(field, value).text == text


@pytest.mark.parametrize(("field", "text", "problem"), params(UNREADABLE, 3))
def test_reports_unreadable_cell(field, text, problem):
    reading = cells.read(field, text)
    assert (reading.value, reading.problem) == (None, problem)


@pytest.mark.parametrize(("field", "text"), params([c for c in UNREADABLE if isinstance(c[1], str)], 2))
def test_keeps_unreadable_text_exactly_as_typed(field, text):
    assert cells.read(field, f" {text}\t").text == f" {text}\t"


TYPED_FIELDS = [BUDGET, NEXT_FOLLOW_UP, RECEIVED_AT, ARCHIVED, TIER, CSAT, PHONE, EMAIL]
BLANKS = ["", "   ", "-", "—", "——", "N/A", "n/a", "无", "null", "NULL", "/",
          None, float("nan"), Decimal("NaN"), pd.NA, pd.NaT]


@pytest.mark.parametrize("text", BLANKS, ids=repr)
@pytest.mark.parametrize("field", TYPED_FIELDS, ids=lambda f: f.type)
def test_reads_blank_marker_as_empty_without_problem(field, text):
    reading = cells.read(field, text)
    assert (reading.value, reading.problem) == (None, None)


ODD_CELLS = [
    (object(), "object"), ([1, 2], "list"), ({"a": 1}, "dict"), (float("inf"), "inf"), (-float("inf"), "-inf"),
    (Decimal("sNaN"), "signalling-nan"), (10 ** 400, "huge-int"), (b"\xff", "bytes"), ("\x00", "nul"),
    ("9" * 5000, "5000-digits"), ("٣٤٥", "arabic-indic-digits"),
]


@pytest.mark.parametrize("odd", params(ODD_CELLS, 1))
@pytest.mark.parametrize("field", TYPED_FIELDS + [NAME], ids=lambda f: f.type)
def test_never_raises_on_odd_input(field, odd):
    assert isinstance(cells.read(field, odd), cells.Reading)


class Unprintable:
    """A cell value from a backend whose text cannot be taken."""

    def __str__(self):
        raise RuntimeError("no text")


def test_reports_object_whose_text_cannot_be_taken():
    assert cells.read(BUDGET, Unprintable()) == cells.Reading(None, "money", "")


EVERY_SPELLING = [(f, c.key, spelling, f"{t.key}.{f.key}:{spelling}")
                  for t in schema.TABLES.values() for f in t.fields if f.type == schema.CHOICE
                  for c in f.choices for spelling in (c.key, c.zh, c.en, *c.variants)]


@pytest.mark.parametrize(("field", "key", "spelling"), params(EVERY_SPELLING, 3))
def test_reads_every_schema_spelling_of_a_choice_as_its_key(field, key, spelling):
    assert cells.read(field, spelling).value == key


WRITES = [
    (BUDGET, 120000.0, "zh", "120000", "money-whole"),
    (BUDGET, 35000.5, "en", "35000.5", "money-cents"),
    (BUDGET, 120000, "zh", "120000", "money-int"),
    (BUDGET, -1000.0, "zh", "-1000", "money-negative"),
    (BUDGET, 1e20, "zh", "100000000000000000000", "money-no-exponent"),
    (BUDGET, 0.000015, "zh", "0.000015", "money-small-no-exponent"),
    (BUDGET, Decimal("99.90"), "zh", "99.9", "money-decimal"),
    (BUDGET, None, "zh", "", "money-empty"),
    (BUDGET, float("nan"), "zh", "", "money-nan"),
    (BUDGET, "约5万", "zh", "约5万", "money-typed-text-kept"),
    (NEXT_FOLLOW_UP, D(2024, 3, 5), "zh", "2024-03-05", "date"),
    (NEXT_FOLLOW_UP, T(2024, 3, 5, 14, 30), "en", "2024-03-05", "date-from-datetime"),
    (NEXT_FOLLOW_UP, pd.NaT, "en", "", "date-nat"),
    (NEXT_FOLLOW_UP, "下周一", "zh", "下周一", "date-typed-text-kept"),
    (RECEIVED_AT, T(2024, 3, 5, 14, 30), "zh", "2024-03-05 14:30", "datetime-minutes"),
    (RECEIVED_AT, T(2024, 3, 5, 14, 30, 15), "zh", "2024-03-05 14:30:15", "datetime-seconds"),
    (RECEIVED_AT, T(2024, 3, 5, 14, 30, 0, 250000), "zh", "2024-03-05 14:30:00.250000", "datetime-micro"),
    (RECEIVED_AT, D(2024, 3, 5), "zh", "2024-03-05 00:00", "datetime-from-date"),
    (RECEIVED_AT, pd.Timestamp("2024-03-05 09:05"), "en", "2024-03-05 09:05", "datetime-pandas"),
    (ARCHIVED, True, "zh", "是", "bool-true-zh"),
    (ARCHIVED, False, "zh", "否", "bool-false-zh"),
    (ARCHIVED, True, "en", "Yes", "bool-true-en"),
    (ARCHIVED, False, "en", "No", "bool-false-en"),
    (TIER, "A", "zh", "A", "choice-tier"),
    (STAGE, "customer", "zh", "成交", "choice-zh-label"),
    (STAGE, "customer", "en", "Customer", "choice-en-label"),
    (STAGE, "成交客户", "en", "成交客户", "choice-typed-text-kept"),
    (CSAT, 5, "zh", "5", "int"),
    (CSAT, 4.0, "zh", "4", "int-from-float"),
    (PHONE, "+86 138 0013 8000", "zh", "+86 138 0013 8000", "phone"),
    (EMAIL, "li.lei@example.com", "en", "li.lei@example.com", "email"),
    (NAME, "星河贸易", "zh", "星河贸易", "text"),
    (NAME, None, "zh", "", "text-empty"),
]


@pytest.mark.parametrize(("field", "value", "lang", "text"), params(WRITES, 4))
def test_writes_value_as_cell_text(field, value, lang, text):
    assert cells.write(field, value, lang) == text


ROUND_TRIPS = [
    (BUDGET, 120000.0, "money-whole"),
    (BUDGET, 35000.5, "money-cents"),
    (BUDGET, -0.01, "money-negative-cent"),
    (BUDGET, 1.7976931348623157e308, "money-largest-float"),
    (NEXT_FOLLOW_UP, D(2024, 2, 29), "date-leap-day"),
    (NEXT_FOLLOW_UP, D(1, 1, 1), "date-year-one"),
    (RECEIVED_AT, T(2024, 3, 5, 0, 0), "datetime-midnight"),
    (RECEIVED_AT, T(2024, 12, 31, 23, 59, 59, 999999), "datetime-last-microsecond"),
    (ARCHIVED, True, "bool-true"),
    (ARCHIVED, False, "bool-false"),
    (FEEDBACK_STATUS, "in_progress", "choice"),
    (CSAT, 1, "int"),
    (PHONE, "021 6123 4567 ext 89", "phone"),
    (EMAIL, "li.lei@example.com", "email"),
    (NAME, "-", "text-dash"),
]


@pytest.mark.parametrize("lang", schema.LANGS)
@pytest.mark.parametrize(("field", "value"), params(ROUND_TRIPS, 2))
def test_reads_back_what_it_writes(field, value, lang):
    assert cells.read(field, cells.write(field, value, lang)) == cells.Reading(
        value, None, cells.write(field, value, lang))


EQUAL = [
    (BUDGET, 120000, 120000.0, "money-int-and-float"),
    (BUDGET, "¥120,000", 120000, "money-text-and-number"),
    (BUDGET, None, float("nan"), "money-none-and-nan"),
    (BUDGET, 0.1 + 0.2, 0.3, "money-float-rounding"),
    (NEXT_FOLLOW_UP, "2024年3月5日", D(2024, 3, 5), "date-text-and-date"),
    (NEXT_FOLLOW_UP, pd.Timestamp("2024-03-05"), D(2024, 3, 5), "date-timestamp-and-date"),
    (RECEIVED_AT, D(2024, 3, 5), T(2024, 3, 5), "datetime-date-is-midnight"),
    (ARCHIVED, "是", True, "bool-text-and-bool"),
    (TIER, "a级", "A", "choice-variant-and-key"),
    (NAME, None, "", "text-none-and-empty"),
    (NAME, " 星河 ", "星河", "text-surrounding-spaces"),
    (CSAT, "4分", 4, "int-text-and-int"),
    (BUDGET, "很多", " 很多 ", "unreadable-same-text"),
]
NOT_EQUAL = [
    (BUDGET, 120000, 120001, "money-different"),
    (BUDGET, None, 0, "money-empty-and-zero"),
    (NEXT_FOLLOW_UP, D(2024, 3, 5), D(2024, 3, 6), "date-different"),
    (RECEIVED_AT, T(2024, 3, 5, 14, 30), T(2024, 3, 5, 14, 31), "datetime-different"),
    (ARCHIVED, True, False, "bool-different"),
    (ARCHIVED, None, False, "bool-empty-and-false"),
    (TIER, "A", "B", "choice-different"),
    (NAME, "星河", "星河贸易", "text-different"),
    (PHONE, "13800138000", "+86 138 0013 8000", "phone-compared-as-typed"),
    (BUDGET, "很多", "不少", "unreadable-different-text"),
    (BUDGET, "很多", None, "unreadable-and-empty"),
]


@pytest.mark.parametrize(("field", "a", "b"), params(EQUAL, 3))
def test_equal_values(field, a, b):
    assert cells.equal(field, a, b)


@pytest.mark.parametrize(("field", "a", "b"), params(NOT_EQUAL, 3))
def test_different_values(field, a, b):
    assert not cells.equal(field, a, b)


MESSAGES = [
    ("money", "zh", "金额无法识别，请填写数字，例如 120000、¥120,000 或 1.2万"),
    ("money", "en", "Not a readable amount; enter a number such as 120000, ¥120,000 or 1.2万"),
    ("date", "zh", "日期无法识别，请按 年-月-日 填写，例如 2024-03-05"),
    ("date", "en", "Not a readable date; enter it as year-month-day, for example 2024-03-05"),
    ("datetime", "zh", "日期时间无法识别，请按 年-月-日 时:分 填写，例如 2024-03-05 14:30"),
    ("datetime", "en", "Not a readable date and time; enter it as year-month-day hour:minute, "
                       "for example 2024-03-05 14:30"),
    ("bool", "zh", "无法识别为“是”或“否”，请填写 是 或 否"),
    ("bool", "en", "Not a yes/no value; enter Yes or No"),
    ("choice", "zh", "不是可选的值之一，请从下拉列表中选择"),
    ("choice", "en", "Not one of the allowed choices; pick one from the drop-down list"),
    ("int", "zh", "不是整数，请填写一个整数，例如 4"),
    ("int", "en", "Not a whole number; enter a whole number such as 4"),
    ("range", "zh", "数值超出允许范围，请检查后重新填写"),
    ("range", "en", "Number out of the allowed range; check it and enter it again"),
    ("phone", "zh", "电话号码无法识别，请检查位数，例如 13800138000 或 010-12345678"),
    ("phone", "en", "Not a readable phone number; check the digits, for example 13800138000 or 010-12345678"),
    ("email", "zh", "邮箱地址无法识别，请检查格式，例如 name@example.com"),
    ("email", "en", "Not a readable e-mail address; check it, for example name@example.com"),
    ("no-such-code", "zh", "内容无法识别，请检查后重新填写"),
    ("no-such-code", "en", "This value could not be read; check it and enter it again"),
]


@pytest.mark.parametrize(("code", "lang", "message"), MESSAGES,
                         ids=[f"{code}-{lang}" for code, lang, _ in MESSAGES])
def test_explains_problem_in_users_language(code, lang, message):
    assert cells.problem_message(code, lang) == message


def test_unreadable_cases_cover_every_problem_code():
    reported = {c[2] for c in UNREADABLE}
    assert reported == set(cells.PROBLEM_CODES)


PHONE_KEYS = [
    ("+86 138 0013 8000", "+8613800138000", "international-spaced"),
    ("138-0013-8000", "+8613800138000", "mobile-dashed"),
    ("0086 13800138000", "+8613800138000", "double-zero-prefix"),
    ("１３８００１３８０００", "+8613800138000", "full-width"),
    ("010-12345678", "+861012345678", "landline"),
    ("021 6123 4567 ext 89", "+862161234567", "extension-ignored"),
    ("13800138000 / 13900139000", "+8613800138000", "first-of-two"),
    ("+1 415 555 2671", "+14155552671", "us"),
    (13800138000, "+8613800138000", "number"),
    ("call me", None, "words"),
    ("", None, "empty"),
    (None, None, "none"),
]


@pytest.mark.parametrize(("text", "key"), params(PHONE_KEYS, 2))
def test_phone_key_matches_the_same_number_however_typed(text, key):
    assert cells.phone_key(text) == key


@pytest.mark.parametrize(("text", "amount"), [("¥1.2万", 12000.0), ("", None), ("很多", None)],
                         ids=["readable", "blank", "unreadable"])
def test_parse_money(text, amount):
    assert cells.parse_money(text) == amount


@pytest.mark.parametrize(("text", "day"),
                         [("2024年3月5日", D(2024, 3, 5)), ("-", None), ("2024/02/30", None)],
                         ids=["readable", "blank", "impossible"])
def test_parse_date(text, day):
    assert cells.parse_date(text) == day
