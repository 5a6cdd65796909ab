"""Read hand-typed cells into typed values (saying what was wrong), and write values back as cell text.

Typed values: MONEY float, DATE datetime.date, DATETIME datetime.datetime (naive), BOOL bool,
INT int, CHOICE the choice key, ID/TEXT/PHONE/EMAIL str; an empty cell is None.

Decisions a reader of the sheet should know about:
- Blank markers ("-", "—", "N/A", "无", "null", "/") are empty in every typed column; in ID and
  TEXT columns only whitespace is empty, so a "-" typed as a note stays a note.
- Dates are read year first (2024/3/5, 2024.3.5, 2024年3月5日, 20240305). A year-last date such as
  15/3/2024 is read only when day and month cannot be confused (one of them is above 12, or both
  are equal); 3/5/2024 is reported, never guessed. Impossible dates (2024/02/30) are reported.
- Excel/Sheets serial numbers (days since 1899-12-30, a fraction is the time of day) are read in
  the range 1–80000 (1899-12-31 to 2119-01-10), except 1900–2199.99: "2024" or "2024.12" in a date
  column is a year typed without its day, so it is reported rather than read as a day in 1905.
- A time zone typed after a time (Z, +08:00) is dropped: the register keeps wall-clock times.
- Money: 万/千/百/亿 and k/w multiply; "3万5" is read the way it is said, 35000 (a single digit
  after a unit is the next unit down); "3万500" is 30500. Thousands separators must group 3 (or 4,
  as in 12,0000) digits: "1,5" is reported, not read as 15. Currency signs are dropped, never
  converted. Vague amounts ("about 5k", "5000以上", "很多") are reported.
- Booleans: 是/Y/yes/true/1/✓/√/对 are yes; 否/N/no/false/0/x/×/错 are no.
- Phone and e-mail cells keep the text as typed (only a full-width ＠ or ． in an e-mail is folded).
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from numbers import Integral, Real
from typing import Any, Callable

import phonenumbers

from lib import schema


@dataclass(frozen=True)
class Reading:
    """What a cell says: its typed value, or a problem code with the text kept exactly as typed."""
    value: Any
    problem: str | None
    text: str


PROBLEM_MESSAGES: dict[str, tuple[str, str]] = {
    "money": ("金额无法识别，请填写数字，例如 120000、¥120,000 或 1.2万",
              "Not a readable amount; enter a number such as 120000, ¥120,000 or 1.2万"),
    "date": ("日期无法识别，请按 年-月-日 填写，例如 2024-03-05",
             "Not a readable date; enter it as year-month-day, for example 2024-03-05"),
    "datetime": ("日期时间无法识别，请按 年-月-日 时:分 填写，例如 2024-03-05 14:30",
                 "Not a readable date and time; enter it as year-month-day hour:minute, "
                 "for example 2024-03-05 14:30"),
    "bool": ("无法识别为“是”或“否”，请填写 是 或 否",
             "Not a yes/no value; enter Yes or No"),
    "choice": ("不是可选的值之一，请从下拉列表中选择",
               "Not one of the allowed choices; pick one from the drop-down list"),
    "int": ("不是整数，请填写一个整数，例如 4",
            "Not a whole number; enter a whole number such as 4"),
    "range": ("数值超出允许范围，请检查后重新填写",
              "Number out of the allowed range; check it and enter it again"),
    "phone": ("电话号码无法识别，请检查位数，例如 13800138000 或 010-12345678",
              "Not a readable phone number; check the digits, for example 13800138000 or 010-12345678"),
    "email": ("邮箱地址无法识别，请检查格式，例如 name@example.com",
              "Not a readable e-mail address; check it, for example name@example.com"),
}
PROBLEM_CODES = tuple(PROBLEM_MESSAGES)
_UNKNOWN_PROBLEM = ("内容无法识别，请检查后重新填写", "This value could not be read; check it and enter it again")

# The problem a type reports when its reader gives up on a value.
_PROBLEM_OF_TYPE = {schema.MONEY: "money", schema.DATE: "date", schema.DATETIME: "datetime",
                    schema.BOOL: "bool", schema.CHOICE: "choice", schema.INT: "int",
                    schema.PHONE: "phone", schema.EMAIL: "email"}
_TEXT_KINDS = frozenset({schema.ID, schema.TEXT})
_BLANK_MARKERS = frozenset({"-", "--", "—", "——", "–", "－", "/", "／",
                            "n/a", "na", "无", "null", "none", "nil"})
_SERIAL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_RANGE = (1, 80000)
_YEAR_LIKE = (1900, 2200)


def problem_message(code: str, lang: str) -> str:
    """Return the sentence that explains a problem code, in Chinese or English."""
    zh, en = PROBLEM_MESSAGES.get(code, _UNKNOWN_PROBLEM)
    return zh if lang == "zh" else en


def read(field: schema.Field, text: Any) -> Reading:
    """Read one cell as the field's type; never raises, and keeps the text of a cell it cannot read."""
    try:
        original = text if isinstance(text, str) else _display_text(text)
    except Exception:  # an object whose str() fails is still just an odd cell
        original = ""
    try:
        value, problem = _read(field, text)
    except Exception:  # one odd cell must never stop a whole register from loading
        value, problem = None, _PROBLEM_OF_TYPE.get(field.type)
    return Reading(None if problem else value, problem, original)


def is_plain_text(field: schema.Field) -> bool:
    """True if reading a text cell of this field just strips it (IDs, names, notes): nothing to check."""
    return field.type in _TEXT_KINDS or field.type not in _READERS


def write(field: schema.Field, value: Any, lang: str) -> str:
    """Format a typed value as the cell text this field stores (text the user typed is kept as is)."""
    if _is_missing(value):
        return ""
    kind = field.type
    if isinstance(value, str):
        if kind == schema.CHOICE:
            choice = field.choice(value)
            return choice.label(lang) if choice else value
        return value
    if kind == schema.MONEY and _is_number(value):
        return _plain_number(value)
    if kind == schema.INT and _is_number(value):
        return _plain_number(value)
    if kind == schema.DATE and isinstance(value, dt.date):
        return _date_text(value)
    if kind == schema.DATETIME and isinstance(value, dt.date):
        return _datetime_text(value)
    if kind == schema.BOOL and _is_boolish(value):
        if lang == "zh":
            return "是" if value else "否"
        return "Yes" if value else "No"
    if kind == schema.CHOICE:
        choice = field.choice(_display_text(value))
        return choice.label(lang) if choice else _display_text(value)
    return _display_text(value)


def equal(field: schema.Field, a: Any, b: Any) -> bool:
    """True if two values (typed, or cell text) mean the same thing in this field."""
    x, y = _comparable(field, a), _comparable(field, b)
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9)
    return type(x) is type(y) and x == y


def parse_money(text: Any) -> float | None:
    """Return the amount a cell holds, or None if it is blank or unreadable."""
    return read(_MONEY_FIELD, text).value


def parse_date(text: Any) -> dt.date | None:
    """Return the date a cell holds, or None if it is blank or unreadable."""
    return read(_DATE_FIELD, text).value


def phone_key(text: Any) -> str | None:
    """Return the first phone number of a cell in E.164 form (+8613800138000), for spotting duplicates."""
    cell = text if isinstance(text, str) else _display_text(text)
    for part in _PHONE_SEPARATORS.split(cell.strip()):
        if part:
            number = _phone_number(part)
            if number is None:
                return None
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


# ---- dispatch -------------------------------------------------------------------------------------

def _read(field: schema.Field, text: Any) -> tuple[Any, str | None]:
    kind = field.type
    if isinstance(text, str):
        s = text.strip()
        if kind in _TEXT_KINDS or kind not in _READERS:
            return (s or None), None
        if not s or (len(s) <= 4 and s.casefold() in _BLANK_MARKERS):
            return None, None
        return _READERS[kind](field, s)
    if _is_missing(text):
        return None, None
    if kind in _TEXT_KINDS or kind not in _READERS:
        return (_display_text(text).strip() or None), None
    return _READERS[kind](field, text)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, Decimal):
        return value.is_nan()
    # pandas' NaT and NA, without importing pandas.
    return type(value).__name__ in ("NaTType", "NAType")


def _is_number(value: Any) -> bool:
    return isinstance(value, (Real, Decimal)) and not _is_boolish(value)


def _is_boolish(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def _display_text(value: Any) -> str:
    """Return a non-string value as the text a person would have typed for it."""
    if value is None or _is_missing(value):
        return ""
    if _is_number(value):
        return _plain_number(value)
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.date):
        return _date_text(value)
    return str(value)


def _fold(s: str) -> str:
    """Fold full-width digits, letters and punctuation to plain ones, and lower-case."""
    return (s if s.isascii() else unicodedata.normalize("NFKC", s)).lower()


# ---- numbers and money ----------------------------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)
_MONEY_PREFIX = re.compile(r"(?:rmb|cny|usd|us\$|hk\$|\$|¥|人民币)\s*")
_MONEY_SUFFIX = re.compile(r"\s*(?:元整?|圆|块钱?|rmb|cny|usd|人民币)$")
_MONEY_PART = re.compile(
    r"(\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?"   # 1,234,567.89
    r"|\d{1,4}(?:,\d{4})+(?![\d,])(?:\.\d+)?"   # 12,0000 (grouped by 万)
    r"|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(亿|万|萬|千|仟|百|佰|k|w)?\s*", re.ASCII)
_MONEY_UNITS = {"亿": Decimal(10) ** 8, "万": Decimal(10000), "萬": Decimal(10000), "w": Decimal(10000),
                "千": Decimal(1000), "仟": Decimal(1000), "k": Decimal(1000),
                "百": Decimal(100), "佰": Decimal(100)}


def _plain_number(value: Any) -> str:
    """Write a number without grouping or exponent: 120000, 35000.5, -0.25."""
    if isinstance(value, Integral):
        return str(int(value))
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not number.is_finite():
        return str(value)
    if number == 0:
        return "0"
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _read_money(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    if isinstance(x, str):
        amount = _money_text(x)
    elif _is_number(x):
        amount = float(x)
    else:
        amount = None
    if amount is None or not math.isfinite(amount):
        return None, "money"
    return (amount or 0.0), None   # no negative zero


def _money_text(s: str) -> float | None:
    return float(s) if _PLAIN_NUMBER.fullmatch(s) else _written_amount(s)


@lru_cache(maxsize=65536)
def _written_amount(s: str) -> float | None:
    """Read an amount written with currency signs, separators or 万/千 units."""
    t = _fold(s).replace("−", "-")
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1].strip()
    t = _MONEY_SUFFIX.sub("", t)
    sign, t = _take_sign(t)
    prefix = _MONEY_PREFIX.match(t)
    if prefix:
        t = t[prefix.end():]
        if not sign:
            sign, t = _take_sign(t)
    if negative and sign:
        return None
    amount = _money_body(t)
    if amount is None:
        return None
    return -amount if (negative or sign == "-") else amount


def _take_sign(t: str) -> tuple[str, str]:
    if t[:1] in ("+", "-"):
        return t[0], t[1:].lstrip()
    return "", t


def _money_body(t: str) -> float | None:
    """Read 120,000 · 1.2万 · 3万5千 · 3万5 · 2k; None if anything is left over or out of order."""
    parts, pos = [], 0
    while pos < len(t):
        m = _MONEY_PART.match(t, pos)
        if not m:
            return None
        parts.append((m.group(1), m.group(2)))
        pos = m.end()
    if not parts:
        return None
    total, above = Decimal(0), None   # `above`: the unit of the previous part
    for i, (digits, unit) in enumerate(parts):
        try:
            n = Decimal(digits.replace(",", ""))
        except InvalidOperation:
            return None
        if unit:
            step = n * _MONEY_UNITS[unit]
            if above is not None and step >= above:
                return None
            total, above = total + step, _MONEY_UNITS[unit]
        elif i != len(parts) - 1:
            return None
        elif above is None:
            total = n
        elif len(digits) == 1 and above >= 100:
            total += n * above / 10          # 3万5 is said for 35000
        elif n < above:
            total += n                       # 3万500 is 30500
        else:
            return None
    return float(total)


# ---- dates and times ------------------------------------------------------------------------------

_YEAR_FIRST = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*[日号]?", re.ASCII)
_YEAR_LAST = re.compile(r"(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)", re.ASCII)
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s-]+([a-z]{3,9})\.?[\s,-]+(\d{4})(?!\d)", re.ASCII)
_MONTH_NAME_DAY = re.compile(r"([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.ASCII)
_SERIAL_TEXT = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_TIME = re.compile(r"""
    (?P<pre>上午|下午|中午|晚上|早上|凌晨)?\s*
    (?P<h>\d{1,2})\s*
    (?: :\s*(?P<m>\d{2}) (?: \s*:\s*(?P<s>\d{2}) (?:[.,](?P<f>\d{1,9}))? )?
      | [点时] (?: \s*(?P<m2>\d{1,2})\s*分? (?:\s*(?P<s2>\d{1,2})\s*秒)? | (?P<half>半) )?
    )
    \s*(?P<post>am|pm|a\.m\.|p\.m\.)?
    \s*(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?
    """, re.ASCII | re.VERBOSE)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def _read_date(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    moment = _moment_of(x)
    return (moment.date(), None) if moment else (None, "date")


def _read_datetime(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    moment = _moment_of(x)
    return (moment, None) if moment else (None, "datetime")


def _moment_of(x: Any) -> dt.datetime | None:
    if isinstance(x, str):
        return _moment(x)
    if isinstance(x, dt.datetime):
        return dt.datetime(x.year, x.month, x.day, x.hour, x.minute, x.second, x.microsecond)
    if isinstance(x, dt.date):
        return dt.datetime(x.year, x.month, x.day)
    if _is_number(x):
        number = float(x)
        if number.is_integer():
            return _moment(str(int(number)))   # 20240305 typed as a number, or a serial
        return _from_serial(number)
    if _is_boolish(x):
        return None
    return _moment(str(x).strip())


@lru_cache(maxsize=65536)
def _moment(s: str) -> dt.datetime | None:
    """Read a typed date, with an optional time of day; None if it is not a real moment."""
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s.isascii():
        try:
            return dt.datetime.combine(dt.date.fromisoformat(s), dt.time())
        except ValueError:
            pass
    if len(s) in (16, 19) and s[4] == "-" and s[7] == "-" and s[10] in " T" and s.isascii():
        try:
            return dt.datetime.fromisoformat(s).replace(tzinfo=None)
        except ValueError:
            pass
    t = _fold(s)
    day, rest = _date_prefix(t)
    if day is None:
        if not _SERIAL_TEXT.fullmatch(t) or _YEAR_LIKE[0] <= float(t) < _YEAR_LIKE[1]:
            return None      # 2024 or 2024.12 is a year (and month) without a day, not serial day 2024
        return _from_serial(float(t))
    rest = rest.strip().lstrip("t,").strip()
    if not rest:
        return dt.datetime.combine(day, dt.time())
    clock = _time_of_day(rest)
    return dt.datetime.combine(day, clock) if clock else None


def _date_prefix(t: str) -> tuple[dt.date | None, str]:
    """Read the date a text starts with; return it and the text after it."""
    try:
        if m := _YEAR_FIRST.match(t):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), t[m.end():]
        if m := _COMPACT.match(t):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), t[m.end():]
        if m := _YEAR_LAST.match(t):
            first, second = int(m[1]), int(m[3])
            if first > 12 >= second or first == second:
                return dt.date(int(m[4]), second, first), t[m.end():]
            if second > 12 >= first:
                return dt.date(int(m[4]), first, second), t[m.end():]
            return None, t       # 3/5/2024: March 5th or 3 May? Not guessed.
        if m := _DAY_MONTH_NAME.match(t):
            month = _month_number(m[2])
            return (dt.date(int(m[3]), month, int(m[1])), t[m.end():]) if month else (None, t)
        if m := _MONTH_NAME_DAY.match(t):
            month = _month_number(m[1])
            return (dt.date(int(m[3]), month, int(m[2])), t[m.end():]) if month else (None, t)
    except ValueError:           # 2024/02/30 and friends
        return None, t
    return None, t


def _month_number(name: str) -> int | None:
    for number, full in enumerate(_MONTHS, start=1):
        if full.startswith(name) or (name == "sept" and number == 9):
            return number
    return None


def _time_of_day(rest: str) -> dt.time | None:
    m = _TIME.fullmatch(rest)
    if not m:
        return None
    hour = int(m["h"])
    minute = int(m["m"] or m["m2"] or (30 if m["half"] else 0))
    second = int(m["s"] or m["s2"] or 0)
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    pre, post = m["pre"], (m["post"] or "").replace(".", "")
    if post:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if post == "pm" else 0)
    elif pre in ("下午", "晚上") and hour < 12:
        hour += 12
    elif pre == "中午" and hour < 11:
        hour += 12
    try:
        return dt.time(hour, minute, second, micro)
    except ValueError:
        return None


def _from_serial(number: float) -> dt.datetime | None:
    """Turn an Excel/Sheets serial day number (1899-12-30 is day 0) into a moment."""
    if not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    days = int(number)
    return _SERIAL_EPOCH + dt.timedelta(days=days, seconds=round((number - days) * 86400))


def _date_text(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _datetime_text(value: dt.date) -> str:
    if not isinstance(value, dt.datetime):
        return f"{_date_text(value)} 00:00"
    text = f"{_date_text(value)} {value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


# ---- yes/no, whole numbers, choices ---------------------------------------------------------------

_YES = frozenset({"是", "是的", "y", "yes", "true", "t", "1", "✓", "✔", "√", "对", "有", "真", "on"})
_NO = frozenset({"否", "不是", "n", "no", "false", "f", "0", "x", "×", "✗", "✘", "错", "没有", "假", "off"})
_INT_TEXT = re.compile(r"([+-]?\d{1,18})(?:\.0*)?", re.ASCII)
_INT_UNIT = re.compile(r"\s*(?:分|颗星|星|points?|pts?|stars?)$")
_CHINESE_NUMERALS = {c: n for n, c in enumerate("零一二三四五六七八九十")}
_CHOICE_SUFFIXES = ("客户", "级", "类")


def _read_bool(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    if _is_boolish(x):
        return bool(x), None
    if _is_number(x):
        return (bool(x), None) if x in (0, 1) else (None, "bool")
    t = _fold(str(x)).strip()
    if t in _YES:
        return True, None
    if t in _NO:
        return False, None
    return None, "bool"


def _read_int(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    if _is_boolish(x):
        return None, "int"
    if _is_number(x):
        number = x if isinstance(x, Integral) else (int(x) if math.isfinite(x) and x == int(x) else None)
    else:
        t = _INT_UNIT.sub("", _fold(str(x)).strip())
        m = _INT_TEXT.fullmatch(t)
        number = int(m[1]) if m else _CHINESE_NUMERALS.get(t)
    if number is None:
        return None, "int"
    number = int(number)
    if (field.low is not None and number < field.low) or (field.high is not None and number > field.high):
        return None, "range"
    return number, None


def _read_choice(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    text = x if isinstance(x, str) else _display_text(x)
    key = _ChoiceIndex.of(field).lookup(text)
    return (key, None) if key else (None, "choice")


class _ChoiceIndex:
    """Every spelling of a choice field's values, folded, with the lookups made so far."""
    _by_field: dict[int, "_ChoiceIndex"] = {}
    _MAX_REMEMBERED = 4096

    def __init__(self, field: schema.Field):
        self.field = field
        self.keys: dict[str, str] = {}
        for choice in field.choices:
            for spelling in choice.variants:
                self.keys.setdefault(schema.normalize_label(spelling), choice.key)
        for choice in field.choices:   # a key or label wins over another choice's variant
            for spelling in (choice.key, choice.zh, choice.en):
                self.keys[schema.normalize_label(spelling)] = choice.key
        self.remembered: dict[str, str | None] = {}

    @classmethod
    def of(cls, field: schema.Field) -> "_ChoiceIndex":
        # Fields are hashed field by field (slow for every cell), so index them by identity.
        index = cls._by_field.get(id(field))
        if index is None or index.field is not field:
            index = cls._by_field[id(field)] = cls(field)
        return index

    def lookup(self, text: str) -> str | None:
        if text in self.remembered:
            return self.remembered[text]
        folded = schema.normalize_label(text)
        key = self.keys.get(folded)
        while key is None and folded.endswith(_CHOICE_SUFFIXES):
            folded = next(folded[:-len(s)] for s in _CHOICE_SUFFIXES if folded.endswith(s))
            key = self.keys.get(folded)
        if len(self.remembered) < self._MAX_REMEMBERED:
            self.remembered[text] = key
        return key


# ---- phones and e-mails ---------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"\s*(?:[/;；，,、|]|\s或\s*)\s*")
_PHONE_EXTENSION = re.compile(r"\s*(?:转|分机)\s*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_EMAIL_FOLD = str.maketrans({"＠": "@", "．": "."})


@lru_cache(maxsize=65536)
def _phone_number(part: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(_PHONE_EXTENSION.sub(" ext ", part), "CN")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _read_phone(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    text = (x if isinstance(x, str) else _display_text(x)).strip()
    parts = [p for p in _PHONE_SEPARATORS.split(text) if p]
    if parts and all(_phone_number(p) is not None for p in parts):
        return text, None
    return None, "phone"


def _read_email(field: schema.Field, x: Any) -> tuple[Any, str | None]:
    text = (x if isinstance(x, str) else _display_text(x)).strip().translate(_EMAIL_FOLD)
    return (text, None) if _EMAIL.fullmatch(text) else (None, "email")


_READERS: dict[str, Callable[[schema.Field, Any], tuple[Any, str | None]]] = {
    schema.MONEY: _read_money, schema.DATE: _read_date, schema.DATETIME: _read_datetime,
    schema.BOOL: _read_bool, schema.INT: _read_int, schema.CHOICE: _read_choice,
    schema.PHONE: _read_phone, schema.EMAIL: _read_email,
}


def _comparable(field: schema.Field, value: Any) -> Any:
    reading = read(field, value)
    if reading.problem:
        return ("unreadable", reading.text.strip())
    return reading.value


_MONEY_FIELD = schema.Field("amount", "金额", "Amount", schema.MONEY)
_DATE_FIELD = schema.Field("date", "日期", "Date", schema.DATE)
