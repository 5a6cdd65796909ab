"""Turn frames into files people open in Excel, WPS or Sheets: CSV (UTF-8 with BOM) and xlsx.

Both writers neutralise formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or
a carriage return is written with a single quote in front (`'=HYPERLINK(…)`), so a spreadsheet
program shows it as text and never runs it. Numbers stay numbers: a typed number (including a
negative one) is written as a number, and a text cell that is just a plain number such as `-12.5`
is left alone, since no program reads it as a formula. Dates are written as dates (xlsx) or
`YYYY-MM-DD[ HH:MM]` (CSV); empty values (None, NaN, NaT, <NA>) as empty cells.

Used by the customer list, the import rejects, backups and charts: keep this API small.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """Return a text value that cannot run as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Write a frame as CSV in UTF-8 with a BOM (so Excel shows Chinese correctly), formulas neutralised."""
    out = pd.DataFrame({str(col): _csv_column(df.iloc[:, i]) for i, col in enumerate(df.columns)},
                       columns=[str(c) for c in df.columns])
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """Write one sheet per frame (sheet name → frame) as an xlsx workbook, formulas neutralised."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    used: set[str] = set()
    for name, df in frames.items():
        sheet = book.create_sheet(_sheet_name(str(name), used))
        sheet.append([_xlsx_text(str(c)) for c in df.columns])
        for row in df.itertuples(index=False, name=None):
            out = []
            for value in map(_xlsx_value, row):
                if isinstance(value, date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = _date_format(value)
                    value = cell
                out.append(value)
            sheet.append(out)
    if not frames:
        book.create_sheet("Sheet1")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.floating):
        return bool(np.isnan(value))
    return isinstance(value, np.datetime64) and np.isnat(value)


def _csv_column(column: pd.Series) -> pd.Series:
    """Prepare one column for CSV: whole numbers without ".0", dates as text, text neutralised."""
    if pd.api.types.is_bool_dtype(column):
        return column
    if pd.api.types.is_integer_dtype(column):
        return column.astype("Int64")
    if pd.api.types.is_datetime64_any_dtype(column):
        day = column.dt.strftime("%Y-%m-%d")
        moment = column.dt.strftime("%Y-%m-%d %H:%M")
        return day.where(column == column.dt.normalize(), moment).fillna("")
    return pd.Series([_csv_cell(v) for v in column.tolist()], index=column.index, dtype="object")


def _csv_cell(value):
    if isinstance(value, str):
        return neutralise(value)
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() and abs(value) < 1e15 else float(value)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d %H:%M" if _date_format(value).endswith("hh:mm") else "%Y-%m-%d")
    return neutralise(str(value))


def _xlsx_value(value):
    if isinstance(value, str):
        return _xlsx_text(value)
    if _missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (date, datetime)):
        return value
    return _xlsx_text(str(value))


def _xlsx_text(text: str) -> str:
    # Control characters are not allowed in xlsx XML; drop them (a leading tab or CR is quoted first).
    return _ILLEGAL_XML.sub("", neutralise(text))


def _date_format(value: date) -> str:
    has_time = isinstance(value, datetime) and (value.hour, value.minute, value.second) != (0, 0, 0)
    return "yyyy-mm-dd hh:mm" if has_time else "yyyy-mm-dd"


def _sheet_name(name: str, used: set[str]) -> str:
    """Make a valid, unique sheet name (at most 31 characters, none of []:*?/\\)."""
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.casefold())
    return candidate
