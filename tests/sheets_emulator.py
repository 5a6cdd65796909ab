"""A stateful Google Sheets API v4 emulator on 127.0.0.1, for tests.

It speaks the REST surface that gspread 6.2 and lib.store.sheets use — spreadsheets get/create/
batchUpdate and the values endpoints — with Google's value semantics (RAW keeps text as typed,
USER_ENTERED turns "010010" into a number, "2024-03-05" into a date and "=…" into a formula) and
Google-shaped JSON errors. It counts every request, can be told to fail the next ones (429, 5xx,
"write applied but answered 500", dropped connection), and offers hand-edit helpers so a test can
act as a person editing the sheet directly (those cost no request).

    with SheetsEmulator() as emulator:
        book = emulator.create_spreadsheet()
        ... SheetsStore(book, endpoint=emulator.url) ...

Simplifications: no formatting beyond dates, no named ranges, formulas are not evaluated except
plain arithmetic (anything else shows FORMULA_PLACEHOLDER), data validation rules do not move
when rows or columns are inserted, deleted or moved.
"""
from __future__ import annotations

import ast
import copy
import datetime as dt
import functools
import itertools
import json
import operator
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26
DROP_CONNECTION = 0          # fail_next(DROP_CONNECTION): close the socket without an answer
FORMULA_PLACEHOLDER = "#FORMULA"
READ_METHODS = frozenset({"spreadsheets.get", "values.get", "values.batchGet"})

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "BAD_GATEWAY", 503: "UNAVAILABLE"}
_MESSAGES = {
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' of service "
         "'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
}
_SERIAL_EPOCH = dt.datetime(1899, 12, 30)


class ApiError(Exception):
    """An error answered the way Google answers it: {"error": {"code", "message", "status"}}."""

    def __init__(self, code: int, message: str | None = None):
        super().__init__(message or _MESSAGES.get(code, "Error"))
        self.code, self.message = code, message or _MESSAGES.get(code, "Error")

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "status": _STATUS.get(self.code, "UNKNOWN")}}


# ---- cells ---------------------------------------------------------------------------------------

@dataclass
class Cell:
    """One stored cell: its effective value, the formula that made it, whether it is a date."""
    value: str | float | bool
    formula: str | None = None
    date_format: str | None = None   # "date" or "datetime" when typed as a date

    def formatted(self) -> str:
        v = self.value
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            return _serial_text(v, self.date_format) if self.date_format else _general_number(v)
        return v

    def unformatted(self, date_time_render: str) -> Any:
        v = self.value
        if isinstance(v, float):
            if self.date_format and date_time_render == "FORMATTED_STRING":
                return self.formatted()
            return int(v) if v.is_integer() and abs(v) < 1e15 else v
        return v

    def render(self, value_render: str, date_time_render: str) -> Any:
        if value_render == "FORMULA" and self.formula:
            return self.formula
        if value_render in ("UNFORMATTED_VALUE", "FORMULA"):
            return self.unformatted(date_time_render)
        return self.formatted()


def _general_number(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


def _serial_text(serial: float, kind: str) -> str:
    moment = _SERIAL_EPOCH + dt.timedelta(days=serial)
    return moment.strftime("%Y-%m-%d") if kind == "date" else moment.strftime("%Y-%m-%d %H:%M:%S")


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def typed_cell(value: Any, input_option: str = "USER_ENTERED") -> Cell | None:
    """Turn a value sent with valueInputOption (or typed by a person) into a cell; None clears it."""
    if isinstance(value, bool):
        return Cell(value)
    if isinstance(value, (int, float)):
        return Cell(float(value))
    text = "" if value is None else str(value)
    if text == "":
        return None
    if input_option == "RAW":
        return Cell(text)
    if text.startswith("'"):
        return Cell(text[1:]) if len(text) > 1 else None
    if text.startswith("=") and len(text) > 1:
        return formula_cell(text)
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        return Cell(float(stripped))
    if (m := _DATE.fullmatch(stripped)) and (moment := _moment(m)):
        serial = (moment - _SERIAL_EPOCH) / dt.timedelta(days=1)
        return Cell(serial, date_format="datetime" if m.group(4) else "date")
    if stripped.upper() in ("TRUE", "FALSE"):
        return Cell(stripped.upper() == "TRUE")
    return Cell(text)


def _moment(m: re.Match) -> dt.datetime | None:
    try:
        return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    except ValueError:
        return None


_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}


def formula_cell(formula: str) -> Cell:
    """A formula cell showing plain arithmetic computed, anything else FORMULA_PLACEHOLDER."""
    def calc(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](calc(node.left), calc(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](calc(node.operand))
        raise ValueError(formula)
    try:
        value: str | float = calc(ast.parse(formula[1:], mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, TypeError, OverflowError):
        value = FORMULA_PLACEHOLDER
    return Cell(value, formula=formula)


def cell_from_data(data: dict) -> Cell | None:
    """Turn a CellData.userEnteredValue into a cell (stringValue stays text exactly)."""
    entered = data.get("userEnteredValue") or {}
    if "stringValue" in entered:
        return Cell(entered["stringValue"]) if entered["stringValue"] != "" else None
    if "numberValue" in entered:
        return Cell(float(entered["numberValue"]))
    if "boolValue" in entered:
        return Cell(bool(entered["boolValue"]))
    if "formulaValue" in entered:
        return formula_cell(entered["formulaValue"])
    return None


# ---- A1 notation ---------------------------------------------------------------------------------

def column_index(letters: str) -> int:
    """Return the 0-based index of a column letter ("A" → 0, "AA" → 26)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letter(index: int) -> str:
    """Return the column letter of a 0-based index."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def quote_title(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+", title) else "'" + title.replace("'", "''") + "'"


def split_range(a1: str) -> tuple[str | None, str | None, bool]:
    """Split A1 notation into (sheet title, cell part, title was quoted)."""
    a1 = a1.strip()
    if a1.startswith("'"):
        i, title = 1, []
        while i < len(a1):
            if a1[i] == "'":
                if a1[i + 1:i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = a1[i + 1:]
                if rest and not rest.startswith("!"):
                    break
                return "".join(title), (rest[1:] or None) if rest else None, True
            title.append(a1[i])
            i += 1
        raise ApiError(400, f"Unable to parse range: {a1}")
    if "!" in a1:
        title, cells = a1.rsplit("!", 1)
        return title, cells, False
    return None, a1, False


_ENDPOINT = re.compile(r"([A-Za-z]{0,3})(\d*)")


def parse_cells(cells: str, a1: str) -> tuple[int, int | None, int, int | None]:
    """Parse "A1", "A1:B2", "A:C", "A2:C", "2:5" into 0-based (row0, row1, col0, col1), ends exclusive/None."""
    parts = cells.split(":")
    matches = [_ENDPOINT.fullmatch(p.strip()) for p in parts]
    if len(parts) > 2 or not all(m and (m[1] or m[2]) for m in matches):
        raise ApiError(400, f"Unable to parse range: {a1}")
    (c0, r0), (c1, r1) = (matches[0][1], matches[0][2]), (matches[-1][1], matches[-1][2])
    if len(parts) == 1 and not (c0 and r0):
        raise ApiError(400, f"Unable to parse range: {a1}")
    if (r0 and int(r0) < 1) or (r1 and int(r1) < 1):
        raise ApiError(400, f"Unable to parse range: {a1}")
    row0 = int(r0) - 1 if r0 else 0
    row1 = int(r1) if r1 else None
    col0 = column_index(c0) if c0 else 0
    col1 = column_index(c1) + 1 if c1 else None
    if row1 is not None and row1 <= row0:
        row0, row1 = row1 - 1, row0 + 1
    if col1 is not None and col1 <= col0:
        col0, col1 = col1 - 1, col0 + 1
    return row0, row1, col0, col1


def a1_of(title: str, row0: int, row1: int, col0: int, col1: int) -> str:
    """Return "'title'!A1:C3" for a bounded 0-based rectangle."""
    start, end = f"{column_letter(col0)}{row0 + 1}", f"{column_letter(col1 - 1)}{row1}"
    return f"{quote_title(title)}!{start}" + ("" if start == end else f":{end}")


# ---- the model -----------------------------------------------------------------------------------

@dataclass
class Sheet:
    """One tab: grid size, frozen rows, cells (list of rows), data validation rules."""
    sheet_id: int
    title: str
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS
    frozen_rows: int = 0
    frozen_columns: int = 0
    rows: list[list[Cell | None]] = field(default_factory=list)
    validations: list[tuple[tuple[int, int | None, int, int | None], dict]] = field(default_factory=list)

    def get(self, r: int, c: int) -> Cell | None:
        return self.rows[r][c] if r < len(self.rows) and c < len(self.rows[r]) else None

    def put(self, r: int, c: int, cell: Cell | None) -> None:
        if cell is None and self.get(r, c) is None:
            return
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        row.extend([None] * (c + 1 - len(row)))
        row[c] = cell

    def data_height(self) -> int:
        """Number of rows up to and including the last one holding data."""
        for r in range(len(self.rows) - 1, -1, -1):
            if any(self.rows[r]):
                return r + 1
        return 0

    def data_width(self) -> int:
        return max((c + 1 for row in self.rows for c, cell in enumerate(row) if cell), default=0)

    def check_inside(self, row1: int, col1: int, label: str) -> None:
        if row1 > self.row_count or col1 > self.column_count:
            raise ApiError(400, f"Range ({label}) exceeds grid limits. Max rows: {self.row_count}, "
                                f"max columns: {self.column_count}")

    def properties(self, index: int) -> dict:
        grid = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_columns:
            grid["frozenColumnCount"] = self.frozen_columns
        return {"sheetId": self.sheet_id, "title": self.title, "index": index, "sheetType": "GRID",
                "gridProperties": grid}


@dataclass
class Formula:
    """A formula the emulator was made to create through the API."""
    sheet: str
    cell: str
    text: str


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet]
    next_sheet_id: int = 1
    formulas: list[Formula] = field(default_factory=list)

    def sheet_by_title(self, title: str) -> Sheet | None:
        exact = next((s for s in self.sheets if s.title == title), None)
        return exact or next((s for s in self.sheets if s.title.casefold() == title.casefold()), None)

    def sheet_by_id(self, sheet_id: int, where: str = "") -> Sheet:
        found = next((s for s in self.sheets if s.sheet_id == sheet_id), None)
        if found is None:
            raise ApiError(400, f"{where}No grid with id: {sheet_id}")
        return found

    def resolve(self, a1: str) -> tuple[Sheet, tuple[int, int | None, int, int | None]]:
        """Find the sheet and rectangle an A1 range names ("Sheet1" alone is the whole sheet)."""
        title, cells, quoted = split_range(a1)
        if title is None:
            sheet = self.sheet_by_title(cells) if cells else None
            if sheet is not None:
                return sheet, (0, None, 0, None)
            sheet = self.sheets[0]
        else:
            sheet = self.sheet_by_title(title)
            if sheet is None:
                raise ApiError(400, f"Unable to parse range: {a1}")
        if cells is None:
            return sheet, (0, None, 0, None)
        return sheet, parse_cells(cells, a1)

    def put(self, sheet: Sheet, r: int, c: int, cell: Cell | None) -> None:
        """Store a cell written through the API, recording any formula it makes."""
        sheet.put(r, c, cell)
        if cell is not None and cell.formula:
            self.formulas.append(Formula(sheet.title, f"{column_letter(c)}{r + 1}", cell.formula))

    def payload(self) -> dict:
        return {"spreadsheetId": self.spreadsheet_id,
                "properties": {"title": self.title, "locale": "zh_CN", "autoRecalc": "ON_CHANGE",
                               "timeZone": "Asia/Shanghai"},
                "sheets": [{"properties": s.properties(i)} for i, s in enumerate(self.sheets)],
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"}


def _values_of(sheet: Sheet, rect, value_render: str, date_render: str, major: str) -> tuple[str, list]:
    """Read a rectangle as the values API does: clamped to the grid, trailing blanks trimmed."""
    row0, row1, col0, col1 = rect
    row1 = min(row1 if row1 is not None else sheet.row_count, sheet.row_count)
    col1 = min(col1 if col1 is not None else sheet.column_count, sheet.column_count)
    if row0 >= sheet.row_count or col0 >= sheet.column_count:
        raise ApiError(400, f"Range ('{sheet.title}'!{column_letter(col0)}{row0 + 1}) exceeds grid limits. "
                            f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}")
    grid = [[sheet.get(r, c) for c in range(col0, col1)] for r in range(row0, min(row1, len(sheet.rows)))]
    if major == "COLUMNS":
        grid = [list(col) for col in zip(*grid)] if grid else []
    values = []
    for line in grid:
        while line and line[-1] is None:
            line.pop()
        values.append(["" if c is None else c.render(value_render, date_render) for c in line])
    while values and not values[-1]:
        values.pop()
    return a1_of(sheet.title, row0, row1, col0, col1), values


def _field_paths(mask: str | None, where: str) -> set[str]:
    if not mask:
        raise ApiError(400, f"{where}At least one field must be updated, but none were specified.")
    return {p.strip().replace("/", ".") for p in mask.split(",")}   # gspread writes "gridProperties/frozenRowCount"


def _applies(paths: set[str], name: str) -> bool:
    return "*" in paths or any(p == name or p.startswith(name + ".") for p in paths)


# ---- batchUpdate requests ------------------------------------------------------------------------

def _grid_rect(sheet: Sheet, gr: dict) -> tuple[int, int, int, int]:
    return (gr.get("startRowIndex", 0), gr.get("endRowIndex", sheet.row_count),
            gr.get("startColumnIndex", 0), gr.get("endColumnIndex", sheet.column_count))


def _add_sheet(book: Spreadsheet, req: dict, where: str) -> dict:
    props = req.get("properties", {})
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = book.next_sheet_id
        while any(s.sheet_id == sheet_id for s in book.sheets):
            sheet_id += 1
    elif any(s.sheet_id == sheet_id for s in book.sheets):
        raise ApiError(400, f"{where}A sheet with id {sheet_id} already exists.")
    book.next_sheet_id = max(book.next_sheet_id, sheet_id + 1)
    title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
    if book.sheet_by_title(title):
        raise ApiError(400, f'{where}A sheet with the name "{title}" already exists. Please enter another name.')
    grid = props.get("gridProperties", {})
    sheet = Sheet(sheet_id, title, grid.get("rowCount", DEFAULT_ROWS), grid.get("columnCount", DEFAULT_COLUMNS),
                  grid.get("frozenRowCount", 0), grid.get("frozenColumnCount", 0))
    _check_frozen(sheet, where)
    book.sheets.insert(min(props.get("index", len(book.sheets)), len(book.sheets)), sheet)
    return {"addSheet": {"properties": sheet.properties(book.sheets.index(sheet))}}


def _check_frozen(sheet: Sheet, where: str) -> None:
    if sheet.frozen_rows and sheet.frozen_rows >= sheet.row_count:
        raise ApiError(400, f"{where}You can't freeze all visible rows on the sheet.")
    if sheet.frozen_columns and sheet.frozen_columns >= sheet.column_count:
        raise ApiError(400, f"{where}You can't freeze all visible columns on the sheet.")


def _delete_sheet(book: Spreadsheet, req: dict, where: str) -> dict:
    sheet = book.sheet_by_id(req.get("sheetId", 0), where)
    if len(book.sheets) == 1:
        raise ApiError(400, f"{where}You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    return {}


def _update_sheet_properties(book: Spreadsheet, req: dict, where: str) -> dict:
    props = req.get("properties", {})
    sheet = book.sheet_by_id(props.get("sheetId", 0), where)
    paths = _field_paths(req.get("fields"), where)
    grid = props.get("gridProperties", {})
    if _applies(paths, "title") and "title" in props:
        other = book.sheet_by_title(props["title"])
        if other is not None and other is not sheet:
            raise ApiError(400, f'{where}A sheet with the name "{props["title"]}" already exists.')
        sheet.title = props["title"]
    for path, attr, key in (("gridProperties.frozenRowCount", "frozen_rows", "frozenRowCount"),
                            ("gridProperties.frozenColumnCount", "frozen_columns", "frozenColumnCount"),
                            ("gridProperties.rowCount", "row_count", "rowCount"),
                            ("gridProperties.columnCount", "column_count", "columnCount")):
        if "*" in paths or "gridProperties" in paths or path in paths:
            setattr(sheet, attr, grid.get(key, 0 if attr.startswith("frozen") else getattr(sheet, attr)))
    if _applies(paths, "index") and "index" in props:
        book.sheets.remove(sheet)
        book.sheets.insert(min(props["index"], len(book.sheets)), sheet)
    _check_frozen(sheet, where)
    return {}


def _update_spreadsheet_properties(book: Spreadsheet, req: dict, where: str) -> dict:
    if _applies(_field_paths(req.get("fields"), where), "title"):
        book.title = req.get("properties", {}).get("title", book.title)
    return {}


def _write_cell_rows(book: Spreadsheet, sheet: Sheet, rows: list, row0: int, col0: int, paths: set[str],
                     where: str, rect: tuple[int, int, int, int] | None = None) -> None:
    width = max((len(r.get("values", [])) for r in rows), default=0)
    if row0 + len(rows) > sheet.row_count or col0 + width > sheet.column_count:
        raise ApiError(400, f"{where}the cells exceed grid limits. Max rows: {sheet.row_count}, "
                            f"max columns: {sheet.column_count}")
    if rect is not None:   # a range: cells of the range that the rows do not cover are cleared
        r0, r1, c0, c1 = rect
        for r in range(r0, min(r1, len(sheet.rows))):
            for c in range(c0, c1):
                if _applies(paths, "userEnteredValue") and (r - r0 >= len(rows) or c - c0 >= width):
                    sheet.put(r, c, None)
    for i, row in enumerate(rows):
        for j, data in enumerate(row.get("values", [])):
            if _applies(paths, "userEnteredValue"):
                book.put(sheet, row0 + i, col0 + j, cell_from_data(data))
            if _applies(paths, "dataValidation") and data.get("dataValidation"):
                sheet.validations.append(((row0 + i, row0 + i + 1, col0 + j, col0 + j + 1), data["dataValidation"]))


def _update_cells(book: Spreadsheet, req: dict, where: str) -> dict:
    paths = _field_paths(req.get("fields"), where)
    if "start" in req:
        start = req["start"]
        sheet = book.sheet_by_id(start.get("sheetId", 0), where)
        _write_cell_rows(book, sheet, req.get("rows", []), start.get("rowIndex", 0), start.get("columnIndex", 0),
                         paths, where)
    else:
        sheet = book.sheet_by_id(req.get("range", {}).get("sheetId", 0), where)
        r0, r1, c0, c1 = _grid_rect(sheet, req.get("range", {}))
        _write_cell_rows(book, sheet, req.get("rows", []), r0, c0, paths, where, (r0, r1, c0, c1))
    return {}


def _append_cells(book: Spreadsheet, req: dict, where: str) -> dict:
    sheet = book.sheet_by_id(req.get("sheetId", 0), where)
    paths = _field_paths(req.get("fields"), where)
    rows = req.get("rows", [])
    row0 = sheet.data_height()
    sheet.row_count = max(sheet.row_count, row0 + len(rows))
    _write_cell_rows(book, sheet, rows, row0, 0, paths, where)
    return {}


def _append_dimension(book: Spreadsheet, req: dict, where: str) -> dict:
    sheet = book.sheet_by_id(req.get("sheetId", 0), where)
    length = req.get("length", 0)
    if length < 1:
        raise ApiError(400, f"{where}length must be greater than 0")
    if req.get("dimension") == "COLUMNS":
        sheet.column_count += length
    else:
        sheet.row_count += length
    return {}


def _dimension_span(sheet: Sheet, rng: dict, where: str) -> tuple[bool, int, int]:
    columns = rng.get("dimension") == "COLUMNS"
    limit = sheet.column_count if columns else sheet.row_count
    start, end = rng.get("startIndex", 0), rng.get("endIndex", limit)
    if not 0 <= start < end:
        raise ApiError(400, f"{where}Invalid dimension range: [{start}, {end})")
    return columns, start, end


def _insert_dimension(book: Spreadsheet, req: dict, where: str) -> dict:
    sheet = book.sheet_by_id(req.get("range", {}).get("sheetId", 0), where)
    columns, start, end = _dimension_span(sheet, req.get("range", {}), where)
    n = end - start
    if start > (sheet.column_count if columns else sheet.row_count):
        raise ApiError(400, f"{where}startIndex {start} is after the end of the grid")
    if columns:
        for row in sheet.rows:
            if len(row) > start:
                row[start:start] = [None] * n
        sheet.column_count += n
    else:
        if start < len(sheet.rows):
            sheet.rows[start:start] = [[] for _ in range(n)]
        sheet.row_count += n
    return {}


def _delete_dimension(book: Spreadsheet, req: dict, where: str) -> dict:
    sheet = book.sheet_by_id(req.get("range", {}).get("sheetId", 0), where)
    columns, start, end = _dimension_span(sheet, req.get("range", {}), where)
    limit = sheet.column_count if columns else sheet.row_count
    end = min(end, limit)
    if start == 0 and end >= limit:
        raise ApiError(400, f"{where}You can't delete all the {'columns' if columns else 'rows'} on the sheet.")
    if columns:
        for row in sheet.rows:
            del row[start:end]
        sheet.column_count -= end - start
    else:
        del sheet.rows[start:end]
        sheet.row_count -= end - start
    _check_frozen(sheet, where)
    return {}


def _sort_key_compare(a: Cell | None, b: Cell | None) -> int:
    """Google's ascending order: numbers, then text (case-insensitive), then booleans."""
    def rank(c: Cell):
        v = c.value
        if isinstance(v, bool):
            return (2, v)
        if isinstance(v, float):
            return (0, v)
        return (1, v.casefold())
    ra, rb = rank(a), rank(b)
    return (ra > rb) - (ra < rb)


def sort_rows_of(sheet: Sheet, r0: int, r1: int, c0: int, c1: int, specs: list[tuple[int, bool]]) -> None:
    """Sort rows [r0, r1) of columns [c0, c1) by (column, descending) specs; blanks always last."""
    r1 = min(r1, max(sheet.data_height(), r0))
    block = [[sheet.get(r, c) for c in range(c0, c1)] for r in range(r0, r1)]

    def compare(x, y):
        for col, descending in specs:
            a, b = x[col - c0], y[col - c0]
            if a is None or b is None:
                if a is None and b is None:
                    continue
                return 1 if a is None else -1
            result = _sort_key_compare(a, b) * (-1 if descending else 1)
            if result:
                return result
        return 0
    block.sort(key=functools.cmp_to_key(compare))
    for i, line in enumerate(block):
        for j, cell in enumerate(line):
            sheet.put(r0 + i, c0 + j, cell)


def _sort_range(book: Spreadsheet, req: dict, where: str) -> dict:
    sheet = book.sheet_by_id(req.get("range", {}).get("sheetId", 0), where)
    r0, r1, c0, c1 = _grid_rect(sheet, req.get("range", {}))
    specs = [(s.get("dimensionIndex", 0), s.get("sortOrder") == "DESCENDING") for s in req.get("sortSpecs", [])]
    if any(not c0 <= col < c1 for col, _ in specs):
        raise ApiError(400, f"{where}sortSpecs dimensionIndex outside the range")
    sort_rows_of(sheet, r0, r1, c0, c1, specs)
    return {}


def _set_data_validation(book: Spreadsheet, req: dict, where: str) -> dict:
    gr = req.get("range", {})
    sheet = book.sheet_by_id(gr.get("sheetId", 0), where)
    rect = (gr.get("startRowIndex", 0), gr.get("endRowIndex"), gr.get("startColumnIndex", 0), gr.get("endColumnIndex"))
    rule = req.get("rule")
    if rule and rule.get("condition", {}).get("type") == "ONE_OF_LIST" and not rule["condition"].get("values"):
        raise ApiError(400, f"{where}ONE_OF_LIST condition requires at least one value")
    sheet.validations = [(r, v) for r, v in sheet.validations if r != rect]
    if rule:
        sheet.validations.append((rect, rule))
    return {}


BATCH_REQUESTS = {
    "addSheet": _add_sheet, "deleteSheet": _delete_sheet, "updateSheetProperties": _update_sheet_properties,
    "updateSpreadsheetProperties": _update_spreadsheet_properties, "updateCells": _update_cells,
    "appendCells": _append_cells, "appendDimension": _append_dimension, "insertDimension": _insert_dimension,
    "deleteDimension": _delete_dimension, "sortRange": _sort_range, "setDataValidation": _set_data_validation,
}


# ---- the emulator --------------------------------------------------------------------------------

@dataclass
class LoggedRequest:
    """One request the emulator answered."""
    method: str             # "values.batchGet", "spreadsheets.batchUpdate", …
    http_method: str
    path: str
    params: dict
    body: Any
    status: int = 200


@dataclass
class _Fault:
    status: int
    times: int
    method: str | None
    apply: bool
    retry_after: int | None = None


class SheetsEmulator:
    """A Sheets API v4 server on 127.0.0.1 with counters, fault injection and hand-edit helpers."""

    def __init__(self):
        self._books: dict[str, Spreadsheet] = {}
        self._latest: str | None = None
        self._lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        self.log: list[LoggedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "SheetsEmulator":
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sheets-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> "SheetsEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL to use as SHEETS_API_ENDPOINT (serves /v4/spreadsheets/…)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- counting and faults -----------------------------------------------------------------------
    def count(self, method: str | None = None) -> int:
        """Requests answered so far (of one method, e.g. "values.batchGet"), failed ones included."""
        with self._lock:
            return sum(1 for r in self.log if method is None or r.method == method)

    @property
    def counts(self) -> Counter:
        with self._lock:
            return Counter(r.method for r in self.log)

    @property
    def reads(self) -> int:
        return sum(n for m, n in self.counts.items() if m in READ_METHODS)

    @property
    def writes(self) -> int:
        return sum(n for m, n in self.counts.items() if m not in READ_METHODS)

    def bodies(self, method: str) -> list:
        """Request bodies of one method, in order (e.g. every spreadsheets.batchUpdate sent)."""
        with self._lock:
            return [r.body for r in self.log if r.method == method]

    def reset_counts(self) -> None:
        with self._lock:
            self.log.clear()

    def fail_next(self, status: int, times: int = 1, *, method: str | None = None, apply: bool = False,
                  retry_after: int | None = None) -> None:
        """Answer the next `times` requests (of `method`, if given) with this error status.

        apply=True: the request takes effect first, then the answer is the error (an ambiguous failure).
        retry_after: seconds sent in a Retry-After header with the error.
        status DROP_CONNECTION closes the connection without answering.
        """
        with self._lock:
            self._faults.append(_Fault(status, times, method, apply, retry_after))

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    @property
    def formulas_created(self) -> list[Formula]:
        """Every formula the emulator was made to create through the API (hand edits excluded)."""
        with self._lock:
            return [f for book in self._books.values() for f in book.formulas]

    # -- HTTP dispatch -----------------------------------------------------------------------------
    def handle(self, verb: str, raw_path: str, raw_body: bytes) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: (status, JSON payload, extra headers); status DROP_CONNECTION means no answer."""
        split = urlsplit(raw_path)
        params = parse_qs(split.query, keep_blank_values=True)
        try:
            body = json.loads(raw_body) if raw_body else {}
        except ValueError:
            body = None
        method, book_id, rng = _route(verb, split.path)
        with self._lock:
            entry = LoggedRequest(method, verb, unquote(split.path), params, body)
            self.log.append(entry)
            fault = self._take_fault(method)
            headers = {"Retry-After": str(fault.retry_after)} if fault and fault.retry_after is not None else {}
            if fault and not fault.apply:
                entry.status = fault.status
                return fault.status, ApiError(fault.status).body() if fault.status else None, headers
            try:
                if body is None:
                    raise ApiError(400, "Invalid JSON payload received.")
                status, payload = 200, self._dispatch(method, book_id, rng, params, body)
            except ApiError as e:
                status, payload = e.code, e.body()
            if fault and status == 200:
                status, payload = fault.status, ApiError(fault.status).body() if fault.status else None
            else:
                headers = {}
            entry.status = status
            return status, payload, headers

    def _dispatch(self, method: str, book_id: str | None, rng: str | None, params: dict, body: dict) -> Any:
        if method == "unknown":
            raise ApiError(404, "Method not found.")
        if method == "spreadsheets.create":
            return self._create(body).payload()
        book = self._books.get(book_id)
        if book is None:
            raise ApiError(404)
        one = {k: v[0] for k, v in params.items()}
        if method == "spreadsheets.get":
            return self._get(book, one, params.get("ranges", []))
        if method == "values.get":
            return self._values_get(book, rng, one)
        if method == "values.batchGet":
            return {"spreadsheetId": book.spreadsheet_id,
                    "valueRanges": [self._values_get(book, r, one) for r in params.get("ranges", [])]}
        work = copy.deepcopy(book)   # every write is atomic: applied to a copy, swapped in on success
        payload = getattr(self, "_" + method.replace(".", "_"))(work, rng, one, body)
        self._books[book_id] = work
        return payload

    def _create(self, body: dict) -> Spreadsheet:
        props = body.get("properties", {})
        sheets = [s.get("properties", {}).get("title") for s in body.get("sheets", [])] or ["Sheet1"]
        book_id = f"emulated-{next(self._ids)}"
        book = Spreadsheet(book_id, props.get("title", "Untitled spreadsheet"), [])
        for title in sheets:
            _add_sheet(book, {"properties": {"title": title}}, "")
        self._books[book_id] = book
        self._latest = book_id
        return book

    @staticmethod
    def _get(book: Spreadsheet, one: dict, ranges: list[str]) -> dict:
        payload = book.payload()
        if one.get("includeGridData", "false").lower() != "true":
            return payload
        wanted = [book.resolve(r) for r in ranges] or [(s, (0, None, 0, None)) for s in book.sheets]
        for entry in payload["sheets"]:
            sheet = book.sheet_by_id(entry["properties"]["sheetId"])
            entry["data"] = []
            for found, rect in wanted:
                if found is sheet:
                    _, values = _values_of(sheet, rect, "FORMATTED_VALUE", "FORMATTED_STRING", "ROWS")
                    entry["data"].append({"startRow": rect[0], "startColumn": rect[2], "rowData": [
                        {"values": [{"formattedValue": v} if v != "" else {} for v in line]} for line in values]})
        return payload

    @staticmethod
    def _values_get(book: Spreadsheet, a1: str, one: dict) -> dict:
        sheet, rect = book.resolve(a1)
        major = one.get("majorDimension", "ROWS")
        label, values = _values_of(sheet, rect, one.get("valueRenderOption", "FORMATTED_VALUE"),
                                   one.get("dateTimeRenderOption", "SERIAL_NUMBER"), major)
        out = {"range": label, "majorDimension": major}
        if values:
            out["values"] = values
        return out

    def _spreadsheets_batchUpdate(self, book: Spreadsheet, _rng, _one, body: dict) -> dict:
        replies = []
        for i, request in enumerate(body.get("requests", [])):
            (kind, req), = request.items() if len(request) == 1 else [("?", None)]
            if kind not in BATCH_REQUESTS:
                raise ApiError(400, f"Invalid requests[{i}]: unsupported or malformed request {sorted(request)}")
            replies.append(BATCH_REQUESTS[kind](book, req, f"Invalid requests[{i}].{kind}: "))
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    @staticmethod
    def _input_option(one: dict) -> str:
        option = one.get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "Invalid valueInputOption: must be RAW or USER_ENTERED")
        return option

    @staticmethod
    def _write_values(book: Spreadsheet, sheet: Sheet, row0: int, col0: int, values: list, option: str,
                      major: str = "ROWS") -> dict:
        if major == "COLUMNS":
            width = max((len(v) for v in values), default=0)
            values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
        width = max((len(line) for line in values), default=0)
        label = a1_of(sheet.title, row0, row0 + max(len(values), 1), col0, col0 + max(width, 1))
        sheet.check_inside(row0 + len(values), col0 + width, label)
        for i, line in enumerate(values):
            for j, value in enumerate(line):
                if value is not None:      # null leaves the cell as it is
                    book.put(sheet, row0 + i, col0 + j, typed_cell(value, option))
        return {"spreadsheetId": book.spreadsheet_id, "updatedRange": label, "updatedRows": len(values),
                "updatedColumns": width, "updatedCells": sum(len(line) for line in values)}

    def _values_update(self, book: Spreadsheet, a1: str, one: dict, body: dict) -> dict:
        sheet, (row0, _, col0, _) = book.resolve(a1)
        return self._write_values(book, sheet, row0, col0, body.get("values", []), self._input_option(one),
                                  body.get("majorDimension", "ROWS"))

    def _values_batchUpdate(self, book: Spreadsheet, _rng, _one, body: dict) -> dict:
        option = self._input_option(body)
        responses = []
        for data in body.get("data", []):
            sheet, (row0, _, col0, _) = book.resolve(data.get("range", ""))
            responses.append(self._write_values(book, sheet, row0, col0, data.get("values", []), option,
                                                data.get("majorDimension", "ROWS")))
        return {"spreadsheetId": book.spreadsheet_id, "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                "totalUpdatedCells": sum(r["updatedCells"] for r in responses), "responses": responses}

    def _values_append(self, book: Spreadsheet, a1: str, one: dict, body: dict) -> dict:
        sheet, (row0, _, col0, col1) = book.resolve(a1)
        values = body.get("values", [])
        col1 = col1 if col1 is not None else sheet.column_count
        target = row0   # the table starting at the range: append after its last contiguous row
        while target < len(sheet.rows) and any(sheet.get(target, c) for c in range(col0, col1)):
            target += 1
        if one.get("insertDataOption") == "INSERT_ROWS" and target < len(sheet.rows):
            sheet.rows[target:target] = [[] for _ in values]
            sheet.row_count += len(values)
        sheet.row_count = max(sheet.row_count, target + len(values))
        updates = self._write_values(book, sheet, target, col0, values, self._input_option(one))
        table = a1_of(sheet.title, row0, max(target, row0 + 1), col0, col0 + max(1, updates["updatedColumns"]))
        return {"spreadsheetId": book.spreadsheet_id, "tableRange": table, "updates": updates}

    @staticmethod
    def _clear(book: Spreadsheet, a1: str) -> str:
        sheet, (row0, row1, col0, col1) = book.resolve(a1)
        row1 = min(row1 if row1 is not None else sheet.row_count, sheet.row_count)
        col1 = min(col1 if col1 is not None else sheet.column_count, sheet.column_count)
        for r in range(row0, min(row1, len(sheet.rows))):
            for c in range(col0, col1):
                sheet.put(r, c, None)
        return a1_of(sheet.title, row0, row1, col0, col1)

    def _values_clear(self, book: Spreadsheet, a1: str, _one, _body) -> dict:
        return {"spreadsheetId": book.spreadsheet_id, "clearedRange": self._clear(book, a1)}

    def _values_batchClear(self, book: Spreadsheet, _rng, _one, body: dict) -> dict:
        return {"spreadsheetId": book.spreadsheet_id,
                "clearedRanges": [self._clear(book, r) for r in body.get("ranges", [])]}

    # -- test-side helpers (no request counted) ----------------------------------------------------
    def create_spreadsheet(self, title: str = "Untitled spreadsheet", sheets: tuple[str, ...] = ("Sheet1",)) -> str:
        """Create a spreadsheet as a person would in the browser; return its id."""
        with self._lock:
            return self._create({"properties": {"title": title},
                                 "sheets": [{"properties": {"title": t}} for t in sheets]}).spreadsheet_id

    def _sheet(self, title: str, spreadsheet_id: str | None) -> Sheet:
        book = self._books[spreadsheet_id or self._latest]
        sheet = book.sheet_by_title(title)
        if sheet is None:
            raise KeyError(f"no tab {title!r} in {book.spreadsheet_id}")
        return sheet

    def add_sheet(self, title: str, rows: list[list] = (), *, spreadsheet_id: str | None = None) -> None:
        """Add a tab by hand and type these rows into it (row 1 first)."""
        with self._lock:
            book = self._books[spreadsheet_id or self._latest]
            _add_sheet(book, {"properties": {"title": title}}, "")
            for r, line in enumerate(rows):
                for c, value in enumerate(line):
                    book.sheet_by_title(title).put(r, c, typed_cell(value))

    def rename_sheet(self, title: str, new_title: str, *, spreadsheet_id: str | None = None) -> None:
        """Rename a tab by hand."""
        with self._lock:
            self._sheet(title, spreadsheet_id).title = new_title

    def set_cell(self, title: str, a1: str, value: Any, *, spreadsheet_id: str | None = None) -> None:
        """Type a value into one cell, as a person does (USER_ENTERED semantics)."""
        with self._lock:
            row0, _, col0, _ = parse_cells(a1, a1)
            self._sheet(title, spreadsheet_id).put(row0, col0, typed_cell(value))

    def cell(self, title: str, a1: str, *, spreadsheet_id: str | None = None) -> str:
        """Return one cell as displayed."""
        with self._lock:
            row0, _, col0, _ = parse_cells(a1, a1)
            found = self._sheet(title, spreadsheet_id).get(row0, col0)
            return found.formatted() if found else ""

    def sort_rows(self, title: str, by_col: str, reverse: bool = False, *, spreadsheet_id: str | None = None) -> None:
        """Sort the rows below the header by one column (a letter), as a person does with Data › Sort."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            sort_rows_of(sheet, 1, sheet.row_count, 0, sheet.column_count, [(column_index(by_col), reverse)])

    def insert_rows(self, title: str, at: int, rows: list[list], *, spreadsheet_id: str | None = None) -> None:
        """Insert rows before sheet row `at` (1-based) and type these values into them."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            if at - 1 < len(sheet.rows):
                sheet.rows[at - 1:at - 1] = [[] for _ in rows]
            sheet.row_count += len(rows)
            for i, line in enumerate(rows):
                for c, value in enumerate(line):
                    sheet.put(at - 1 + i, c, typed_cell(value))

    def delete_row(self, title: str, row: int, *, spreadsheet_id: str | None = None) -> None:
        """Delete sheet row `row` (1-based); the rows below move up."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            if row - 1 < len(sheet.rows):
                del sheet.rows[row - 1]
            sheet.row_count -= 1

    def move_column(self, title: str, from_col: str, to_col: str, *, spreadsheet_id: str | None = None) -> None:
        """Drag column `from_col` so that it ends up at position `to_col` (letters)."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            src, dst = column_index(from_col), column_index(to_col)
            for row in sheet.rows:
                row.extend([None] * (max(src, dst) + 1 - len(row)))
                row.insert(dst, row.pop(src))

    def rename_header(self, title: str, col: str, text: str, *, spreadsheet_id: str | None = None) -> None:
        """Retype the header cell of column `col` (a letter)."""
        self.set_cell(title, f"{col}1", text, spreadsheet_id=spreadsheet_id)

    def append_row(self, title: str, values: list, *, spreadsheet_id: str | None = None) -> None:
        """Type a row below the last row holding data."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            row0 = sheet.data_height()
            sheet.row_count = max(sheet.row_count, row0 + 1)
            for c, value in enumerate(values):
                sheet.put(row0, c, typed_cell(value))

    def get_grid(self, title: str, *, spreadsheet_id: str | None = None) -> list[list[str]]:
        """Return the tab as displayed: every row up to the last one with data, padded to the widest."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            height, width = sheet.data_height(), sheet.data_width()
            return [[(c.formatted() if (c := sheet.get(r, col)) else "") for col in range(width)]
                    for r in range(height)]

    def sheet_titles(self, *, spreadsheet_id: str | None = None) -> list[str]:
        with self._lock:
            return [s.title for s in self._books[spreadsheet_id or self._latest].sheets]

    def grid_size(self, title: str, *, spreadsheet_id: str | None = None) -> tuple[int, int]:
        """Return (rowCount, columnCount) of a tab."""
        with self._lock:
            sheet = self._sheet(title, spreadsheet_id)
            return sheet.row_count, sheet.column_count

    def frozen_rows(self, title: str, *, spreadsheet_id: str | None = None) -> int:
        with self._lock:
            return self._sheet(title, spreadsheet_id).frozen_rows

    def validation_at(self, title: str, a1: str, *, spreadsheet_id: str | None = None) -> dict | None:
        """Return the data validation rule that applies to one cell, or None."""
        with self._lock:
            row0, _, col0, _ = parse_cells(a1, a1)
            for (r0, r1, c0, c1), rule in reversed(self._sheet(title, spreadsheet_id).validations):
                if r0 <= row0 < (r1 if r1 is not None else 10**9) and c0 <= col0 < (c1 if c1 is not None else 10**9):
                    return rule
            return None


def _route(verb: str, path: str) -> tuple[str, str | None, str | None]:
    """Name the API method of a request path: (method, spreadsheet id, A1 range)."""
    prefix = "/v4/spreadsheets"
    if not path.startswith(prefix):
        return "unknown", None, None
    rest = path[len(prefix):]
    if rest in ("", "/"):
        return ("spreadsheets.create" if verb == "POST" else "unknown"), None, None
    rest = rest.lstrip("/")
    book_id, _, tail = rest.partition("/")
    if not tail:
        if book_id.endswith(":batchUpdate") and verb == "POST":
            return "spreadsheets.batchUpdate", unquote(book_id[:-len(":batchUpdate")]), None
        return ("spreadsheets.get" if verb == "GET" else "unknown"), unquote(book_id), None
    book_id = unquote(book_id)
    for suffix, method in ((":batchGet", "values.batchGet"), (":batchUpdate", "values.batchUpdate"),
                           (":batchClear", "values.batchClear")):
        if tail == "values" + suffix:
            return method, book_id, None
    if not tail.startswith("values/"):
        return "unknown", book_id, None
    rng = tail[len("values/"):]
    for suffix, method in ((":append", "values.append"), (":clear", "values.clear")):
        if rng.endswith(suffix) and verb == "POST":
            return method, book_id, unquote(rng[:-len(suffix)])
    return {"GET": "values.get", "PUT": "values.update"}.get(verb, "unknown"), book_id, unquote(rng)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # small answers go out at once instead of waiting for a delayed ACK
    emulator: SheetsEmulator

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def log_message(self, *args):   # keep test output quiet
        pass

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, payload, headers = self.emulator.handle(verb, self.path, raw)
        if status == DROP_CONNECTION:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
