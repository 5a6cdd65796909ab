"""The Google Sheets backend: one spreadsheet, one tab per table, rows found by ID (the only gspread import).

Requests per call (Google counts requests per minute, so the backend spends as few as it can):
- load(): one values:batchGet of every register tab. The tab titles and sheet ids come from one
  spreadsheets.get on the first call of a SheetsStore and are kept afterwards (refreshed only when
  a tab was renamed or deleted by hand, which makes the read fail).
- save(): one values:batchGet of the tabs it touches (tabs with IDs whole, the audit log and tier
  history only their header row), then one spreadsheets:batchUpdate carrying every cell update,
  new row, audit row and missing header — whatever the size of the change set.
- ensure_layout(): one spreadsheets.get, one values:batchGet, at most one batchUpdate.
- clear(): one spreadsheets.get and one batchUpdate; restore(): the same per tab.

Everything is written as text (userEnteredValue.stringValue): "=1+1", "010010" or "+86 138…" stay
exactly as typed and never become a formula, number or date. Cells are read as people see them
(FORMATTED_VALUE). A 429 or 5xx is retried with jittered exponential backoff (not by load(patient=False),
which the app uses when it has an older copy to show instead); before a write is retried the tabs
are read again, so a write that landed although Google answered with an error is recognised (by the
IDs of new rows, or the save's audit rows) and not made twice.

Google Sheets has no transactions: a hand edit made in the moment between a save's read and its
write (well under a second) is not seen by the conflict check.
"""
from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Iterable

import google.auth.exceptions
import requests
from google.oauth2.service_account import Credentials
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from lib import schema
from lib.errors import RegisterError, StoreUnavailable
from lib.store.base import (ChangeSet, RawRegister, RawTab, Store, already_applied, check_cell_lengths,
                            plan_id_assignments, plan_updates, row_texts)

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
SHEET_LINK = "https://docs.google.com/spreadsheets/d/{}"
NEW_TAB_ROWS, NEW_TAB_COLUMNS = 1000, 26
BACKOFF_CAP_SECONDS = 30.0
TIMEOUT_SECONDS = (10, 60)   # connect, read


def parse_sheet_url(url: str) -> str:
    """Return the spreadsheet id of a Google Sheets link or a gsheets://<id> address."""
    text = url.strip()
    if text.startswith("gsheets://"):
        found = re.match(r"gsheets://([A-Za-z0-9_-]+)", text)
    else:
        found = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", text) or re.fullmatch(r"([A-Za-z0-9_-]{20,})", text)
    if not found:
        raise RegisterError(f"无法从“{url}”中识别 Google 表格编号，请粘贴浏览器地址栏中的表格链接。",
                            f"Couldn't find a Google Sheet id in “{url}”. Paste the sheet's link from the "
                            "browser's address bar.")
    return found.group(1)


def endpoint_session(endpoint: str) -> requests.Session:
    """Return a requests session that sends Sheets API calls to another server (an emulator) instead."""
    return _EndpointSession(endpoint)


class _EndpointSession(requests.Session):
    def __init__(self, endpoint: str):
        super().__init__()
        root = endpoint.rstrip("/")
        for suffix in ("/v4/spreadsheets", "/v4"):
            root = root[:-len(suffix)] if root.endswith(suffix) else root
        self.base = root + "/v4/spreadsheets"

    def request(self, method, url, *args, **kwargs):
        if url.startswith(SPREADSHEETS_API_V4_BASE_URL):
            url = self.base + url[len(SPREADSHEETS_API_V4_BASE_URL):]
        return super().request(method, url, *args, **kwargs)


class SaveOutcomeUnknown(StoreUnavailable):
    """Google never confirmed a write that may have landed; the user must look before redoing it."""

    def __init__(self, detail_en: str, detail_zh: str):
        RegisterError.__init__(
            self,
            f"Google 表格没有确认这次保存（{detail_zh}），修改可能已经保存。请刷新后查看，再决定是否重做。",
            f"Google Sheets didn't confirm the save ({detail_en}); it may have been saved. Reload and check "
            "before doing it again.")


class _Retryable(Exception):
    """A failure worth another try: quota (429), server error (5xx), lost connection."""

    def __init__(self, status: int, ambiguous: bool, retry_after: float | None = None):
        super().__init__(status)
        self.status, self.ambiguous, self.retry_after = status, ambiguous, retry_after


class _BadRequest(RegisterError):
    """Google refused a request as malformed (400): often a tab renamed or deleted by hand meanwhile."""


@dataclass
class _TabInfo:
    """What the spreadsheet metadata says about one register tab."""
    sheet_id: int
    title: str
    row_count: int
    column_count: int


@dataclass
class _Found:
    """One register tab as read now: its metadata (None: no such tab) and contents."""
    info: _TabInfo | None
    tab: RawTab
    has_header: bool


class SheetsStore(Store):
    """A register kept in one Google Sheet that people also edit by hand."""

    kind = "gsheets"

    def __init__(self, spreadsheet_id: str, *, endpoint: str | None = None, credentials_info: dict | None = None,
                 credentials_file: str | None = None, lang: str = "zh", max_retries: int = 5,
                 backoff_base: float = 0.5, sleep: Callable[[float], None] = time.sleep):
        self.spreadsheet_id = spreadsheet_id
        self.location = f"gsheets://{spreadsheet_id}"
        self.link = SHEET_LINK.format(spreadsheet_id)
        self.lang = lang
        self.max_retries, self.backoff_base, self.sleep = max_retries, backoff_base, sleep
        self._random = random.Random()
        self._lock = threading.Lock()
        self._tabs: dict[str, _TabInfo] | None = None   # table key → tab, cached after the first fetch
        self._sheet_ids: set[int] = set()
        self._titles: set[str] = set()
        self._all_titles: list[str] = []   # in the spreadsheet's order, as typed
        self.service_account = (credentials_info or {}).get("client_email", "")
        if endpoint:
            self.http = HTTPClient(auth=None, session=endpoint_session(endpoint))
        else:
            self.http = HTTPClient(auth=self._credentials(credentials_info, credentials_file))
        self.http.set_timeout(TIMEOUT_SECONDS)

    def _credentials(self, info: dict | None, path: str | None) -> Credentials:
        try:
            if info:
                creds = Credentials.from_service_account_info(dict(info), scopes=SCOPES)
            elif path:
                creds = Credentials.from_service_account_file(path, scopes=SCOPES)
            else:
                raise RegisterError(
                    "没有配置 Google 服务账号：请在 secrets.toml 中添加 [gcp_service_account]，或设置 "
                    "GOOGLE_APPLICATION_CREDENTIALS。",
                    "No Google service account is configured: add [gcp_service_account] to secrets.toml or "
                    "set GOOGLE_APPLICATION_CREDENTIALS.")
        except (OSError, ValueError, KeyError) as e:
            raise RegisterError(f"无法读取 Google 服务账号凭据（{type(e).__name__}），请检查配置。",
                                f"Couldn't read the Google service account credentials ({type(e).__name__}); "
                                "check the configuration.") from None
        self.service_account = self.service_account or creds.service_account_email
        return creds

    # ---- reading ---------------------------------------------------------------------------------
    def load(self, *, patient: bool = True) -> RawRegister:
        """Read every tab in one values:batchGet (plus one metadata read the first time).

        patient=False makes one attempt: a quota or server error raises StoreUnavailable at once,
        without sleeping or asking Google again.
        """
        found = self._retrying(lambda: self._read(list(schema.TABLES)), retries=None if patient else 0)
        lang = _detect_lang(found.values(), self.lang)
        self.lang = lang
        tabs = {}
        for key in schema.TABLES:
            here = found.get(key)
            if here is not None and (here.has_header or here.tab.rows):
                tabs[key] = here.tab
            else:
                title = here.info.title if here else schema.TABLES[key].label(lang)
                tabs[key] = RawTab(key, title, schema.header_labels(key, lang), [], [])
        return RawRegister(tabs, lang, datetime.now().replace(microsecond=0))

    def is_empty(self) -> bool:
        """True if no register tab holds a record (Settings rows are configuration, not records)."""
        return not any(tab.rows for key, tab in self.load().tabs.items() if key != "settings")

    def other_tabs(self) -> list[str]:
        """Tabs with content that the register does not read: unknown titles, a second tab for one table."""
        def once() -> list[str]:
            register_titles = {info.title for info in self._metadata(refresh=True).values()}
            others = [title for title in self._all_titles if title not in register_titles]
            if not others:
                return []
            answer = self._request(self.http.values_batch_get, self.spreadsheet_id, [_quote(t) for t in others],
                                   {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"})
            return [title for title, found in zip(others, answer.get("valueRanges", []))
                    if any(_text(v).strip() for line in found.get("values", []) for v in line)]
        return self._retrying(once)

    def _metadata(self, refresh: bool = False) -> dict[str, _TabInfo]:
        if self._tabs is not None and not refresh:
            return self._tabs
        meta = self._request(self.http.fetch_sheet_metadata, self.spreadsheet_id,
                             {"includeGridData": "false", "fields": "sheets.properties"})
        tabs: dict[str, _TabInfo] = {}
        with self._lock:
            self._sheet_ids, self._titles, self._all_titles = set(), set(), []
            for sheet in sorted(meta.get("sheets", []), key=lambda s: s["properties"].get("index", 0)):
                props = sheet["properties"]
                grid = props.get("gridProperties", {})
                self._sheet_ids.add(props["sheetId"])
                self._titles.add(props["title"].casefold())
                self._all_titles.append(props["title"])
                key = schema.table_for_title(props["title"])
                if key and key not in tabs:   # two tabs for one table: the first one is the register's
                    tabs[key] = _TabInfo(props["sheetId"], props["title"], grid.get("rowCount", 0),
                                         grid.get("columnCount", 0))
            self._tabs = tabs
        return tabs

    def _read(self, keys: Iterable[str], header_only: Iterable[str] = ()) -> dict[str, _Found]:
        """Read these tabs in one values:batchGet (only row 1 of `header_only` tabs)."""
        keys, header_only = list(keys), set(header_only)
        for refreshed in (False, True):
            meta = self._metadata(refresh=refreshed)
            present = [k for k in keys if k in meta]
            if not present:
                return {}
            ranges = [_quote(meta[k].title) + ("!1:1" if k in header_only else "") for k in present]
            params = {"valueRenderOption": "FORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING",
                      "majorDimension": "ROWS"}
            try:
                answer = self._request(self.http.values_batch_get, self.spreadsheet_id, ranges, params)
            except _BadRequest:
                if refreshed:
                    raise
                continue   # a tab was renamed or deleted by hand since the titles were cached
            value_ranges = answer.get("valueRanges", [])
            return {k: self._found(k, meta[k], vr, k in header_only) for k, vr in zip(present, value_ranges)}
        return {}

    @staticmethod
    def _found(key: str, info: _TabInfo, value_range: dict, header_only: bool) -> _Found:
        values = [[_text(v) for v in line] for line in value_range.get("values", [])]
        size = _grid_size(value_range.get("range", ""))
        if size:   # the read tells the grid's current size: people add and delete rows and columns
            info.column_count = size[1]
            info.row_count = info.row_count if header_only else size[0]
        info = replace(info)   # planned changes stay off the cached copy until they are written
        width = max((len(line) for line in values), default=0)
        header = values[0] if values else []
        headers = header + [""] * (width - len(header))
        rows, numbers = [], []
        for number, line in enumerate(values[1:], start=2):
            if any(cell.strip() for cell in line):   # blank rows are skipped, the numbering is kept
                rows.append(line + [""] * (width - len(line)))
                numbers.append(number)
        return _Found(info, RawTab(key, info.title, headers, rows, numbers), any(h.strip() for h in header))

    def _remember(self, found: Iterable[_Found]) -> None:
        """Keep the tabs as they are after a successful write (new tabs, wider grids)."""
        with self._lock:
            if self._tabs is not None:
                for f in found:
                    if f.info is not None:
                        self._tabs[f.tab.table] = f.info

    # ---- writing ---------------------------------------------------------------------------------
    def save(self, changes: ChangeSet) -> None:
        """Apply the change set in one batchUpdate after one read; retry safely; never half-apply."""
        if not changes and not changes.audit:
            return
        check_cell_lengths(changes, self.lang)
        changes = replace(changes, updates=[u for u in changes.updates if str(u.record_id).strip()])
        touched = [k for k in schema.TABLES if k in {r.table for r in changes.rows_to_append}
                   | {u.table for u in changes.updates} | {a.table for a in changes.id_assignments}]
        attempt, ambiguous, refreshed = 0, False, False
        while True:
            try:
                self._save_once(changes, touched, verify=ambiguous)
                return
            except _BadRequest:
                if refreshed:
                    raise
                refreshed = True            # sheet ids may be stale (a tab re-created by hand): look again
                self._tabs = None
            except _Retryable as err:
                ambiguous = ambiguous or err.ambiguous
                if err.ambiguous:
                    self._tabs = None       # tabs the lost write added are only seen by a fresh look
                if attempt >= self.max_retries:
                    raise self._unavailable(err, ambiguous) from None
                self.sleep(self._delay(attempt, err))
                attempt += 1

    def _save_once(self, changes: ChangeSet, touched: list[str], verify: bool) -> None:
        append_only = {k for k in touched if not schema.TABLES[k].id_field}
        found = self._read(touched, header_only=() if verify else append_only)
        for key in touched:
            found.setdefault(key, _Found(None, RawTab(key, "", [], [], []), False))
        lang = _detect_lang(found.values(), self.lang)
        tabs = {k: f.tab for k, f in found.items()}
        if verify and _landed(tabs, changes, lang):
            return
        if already_applied(tabs, changes, lang):
            return
        requests_: list[dict] = []
        for key in touched:
            requests_ += self._lay_out(found[key], lang, _fields_written(changes, key, lang))[0]
        for table, row, col, text in plan_updates(tabs, changes, lang) + plan_id_assignments(tabs, changes):
            requests_.append({"updateCells": {
                "start": {"sheetId": found[table].info.sheet_id, "rowIndex": tabs[table].row_numbers[row] - 1,
                          "columnIndex": col},
                "rows": [{"values": [_cell(text)]}], "fields": "userEnteredValue"}})
        for key in touched:
            rows = [row_texts(tabs[key], r, lang) for r in changes.rows_to_append if r.table == key]
            if rows:
                requests_.append({"appendCells": {"sheetId": found[key].info.sheet_id, "fields": "userEnteredValue",
                                                  "rows": [{"values": [_cell(t) for t in line]} for line in rows]}})
        if requests_:
            self._request(self.http.batch_update, self.spreadsheet_id, {"requests": requests_}, write=True)
            self._remember(found.values())

    def ensure_layout(self, lang: str) -> list[str]:
        """Add missing tabs, header cells (at the end of row 1) and drop-downs; return what was added."""
        return self._retrying(lambda: self._ensure_layout_once(lang))

    def _ensure_layout_once(self, lang: str) -> list[str]:
        self._metadata(refresh=True)
        found = self._read(list(schema.TABLES))
        lang = _detect_lang(found.values(), lang)   # a sheet that has a language keeps it
        requests_, added = [], []
        for key in schema.TABLES:
            found.setdefault(key, _Found(None, RawTab(key, "", [], [], []), False))
            more, labels = self._lay_out(found[key], lang, None)
            requests_ += more
            added += labels
        if requests_:
            self._request(self.http.batch_update, self.spreadsheet_id, {"requests": requests_}, write=True)
            self._remember(found.values())
        self.lang = lang
        return added

    def _lay_out(self, found: _Found, lang: str, wanted: set[str] | None) -> tuple[list[dict], list[str]]:
        """Plan the tab, header cells and drop-downs this tab lacks (only `wanted` fields, if given).

        Updates `found` to describe the tab as it will be, so rows can be laid out against it.
        """
        table = schema.TABLES[found.tab.table]
        requests_, added = [], []
        fresh = found.info is None or (not found.has_header and not found.tab.rows)
        if found.info is None:
            title = table.label(lang)
            found.info = _TabInfo(self._new_sheet_id(), title, NEW_TAB_ROWS, max(NEW_TAB_COLUMNS, len(table.fields)))
            found.tab.title = title
            requests_.append({"addSheet": {"properties": {
                "sheetId": found.info.sheet_id, "title": title,
                "gridProperties": {"rowCount": found.info.row_count, "columnCount": found.info.column_count}}}})
        if fresh:
            added.append(found.info.title)
            found.tab.headers, start = [], 0
            missing = list(table.fields)
            requests_.append({"updateSheetProperties": {
                "properties": {"sheetId": found.info.sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount"}})
        else:
            have = schema.map_headers(table.key, found.tab.headers)
            missing = [f for f in table.fields if f.key not in have and (wanted is None or f.key in wanted)]
            start = len(found.tab.headers)   # past every column in use, labelled or not
        if not missing:
            return requests_, added
        if start + len(missing) > found.info.column_count:
            grow = start + len(missing) - found.info.column_count
            requests_.append({"appendDimension": {"sheetId": found.info.sheet_id, "dimension": "COLUMNS",
                                                  "length": grow}})
            found.info.column_count += grow
        labels = [f.label(lang) for f in missing]
        requests_.append({"updateCells": {
            "start": {"sheetId": found.info.sheet_id, "rowIndex": 0, "columnIndex": start},
            "rows": [{"values": [_cell(label) for label in labels]}], "fields": "userEnteredValue"}})
        for offset, f in enumerate(missing):
            if f.type == schema.CHOICE and f.choices:
                requests_.append(_drop_down(found.info.sheet_id, start + offset, [c.label(lang) for c in f.choices]))
        found.tab.headers += labels
        if not fresh:
            added += [f"{found.info.title}: {label}" for label in labels]
        return requests_, added

    def _new_sheet_id(self) -> int:
        with self._lock:
            while True:
                candidate = self._random.randint(1, 2**31 - 1)
                if candidate not in self._sheet_ids:
                    self._sheet_ids.add(candidate)
                    return candidate

    def clear(self) -> None:
        """Empty every register tab below its header row in one batchUpdate.

        Values are cleared rather than rows deleted: Google refuses to delete every row below a
        frozen header ("You can't freeze all visible rows").
        """
        def once():
            meta = self._metadata(refresh=True)
            requests_ = [{"updateCells": {"range": {"sheetId": info.sheet_id, "startRowIndex": 1},
                                          "fields": "userEnteredValue"}} for info in meta.values()]
            if requests_:
                self._request(self.http.batch_update, self.spreadsheet_id, {"requests": requests_}, write=True)
        self._retrying(once)

    def restore(self, raw: RawRegister, progress: Callable[[float], None] | None = None) -> None:
        """Write tabs exactly as given (titles, headers, unknown columns, text), one batchUpdate a tab."""
        for n, (key, tab) in enumerate(raw.tabs.items(), start=1):
            self._retrying(lambda: self._restore_tab(key, tab, raw.lang))
            if progress:
                progress(n / len(raw.tabs))
        self._tabs = None   # the next read fetches the tab list as restored

    def _restore_tab(self, key: str, tab: RawTab, lang: str) -> None:
        info = self._metadata(refresh=True).get(key)
        lines = [list(tab.headers)] + [list(row) for row in tab.rows]
        width = max(len(line) for line in lines) or 1
        requests_ = []
        if info is None:
            title = tab.title if schema.table_for_title(tab.title) == key and tab.title.casefold() not in self._titles \
                else schema.TABLES[key].label(lang)
            info = _TabInfo(self._new_sheet_id(), title, max(NEW_TAB_ROWS, len(lines) + 1),
                            max(NEW_TAB_COLUMNS, width))
            requests_.append({"addSheet": {"properties": {
                "sheetId": info.sheet_id, "title": title, "gridProperties": {
                    "rowCount": info.row_count, "columnCount": info.column_count, "frozenRowCount": 1}}}})
            for f, col in schema.map_headers(key, tab.headers).items():
                field = schema.TABLES[key].field(f)
                if field.type == schema.CHOICE and field.choices:
                    requests_.append(_drop_down(info.sheet_id, col, [c.label(lang) for c in field.choices]))
        else:
            requests_.append({"updateCells": {"range": {"sheetId": info.sheet_id}, "fields": "userEnteredValue"}})
            for dimension, have, need in (("ROWS", info.row_count, len(lines)), ("COLUMNS", info.column_count, width)):
                if need > have:
                    requests_.append({"appendDimension": {"sheetId": info.sheet_id, "dimension": dimension,
                                                          "length": need - have}})
        requests_.append({"updateCells": {"start": {"sheetId": info.sheet_id, "rowIndex": 0, "columnIndex": 0},
                                          "rows": [{"values": [_cell(str(t)) for t in line]} for line in lines],
                                          "fields": "userEnteredValue"}})
        self._request(self.http.batch_update, self.spreadsheet_id, {"requests": requests_}, write=True)

    # ---- talking to Google -----------------------------------------------------------------------
    def _request(self, call: Callable[..., Any], *args, write: bool = False) -> Any:
        """Make one API call; turn every failure into _Retryable or a RegisterError people can read."""
        try:
            return call(*args)
        except APIError as e:
            status = e.response.status_code
            if status in (408, 429) or status >= 500:
                raise _Retryable(status, ambiguous=write and status != 429,
                                 retry_after=_seconds(e.response.headers.get("Retry-After"))) from None
            raise self._refusal(status, str(e.error.get("message", ""))) from None
        except google.auth.exceptions.RefreshError:
            raise RegisterError("Google 拒绝了服务账号凭据，请检查 gcp_service_account 配置是否完整、是否已停用。",
                                "Google rejected the service account credentials; check that the "
                                "gcp_service_account settings are complete and the key is still active.") from None
        except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL):
            raise RegisterError("Google 表格接口地址（SHEETS_API_ENDPOINT）不是有效的网址，请检查配置。",
                                "The Sheets API address (SHEETS_API_ENDPOINT) is not a valid URL; check the "
                                "configuration.") from None
        except (requests.ConnectionError, requests.Timeout, google.auth.exceptions.TransportError):
            raise _Retryable(0, ambiguous=write) from None
        except (requests.RequestException, ValueError):   # a garbled answer: treat like a lost connection
            raise _Retryable(0, ambiguous=write) from None

    def _refusal(self, status: int, message: str) -> RegisterError:
        if status == 403:
            who = self.service_account or "本应用的服务账号"
            who_en = self.service_account or "the app's service account"
            return RegisterError(f"没有权限访问这个 Google 表格。请在表格的“共享”中把 {who} 添加为编辑者，然后刷新。",
                                 f"No access to this Google Sheet. Share it with {who_en} as an editor, then reload.")
        if status == 404:
            return RegisterError(f"找不到 Google 表格 {self.spreadsheet_id}，请检查表格链接是否正确、表格是否已被删除。",
                                 f"Google Sheet {self.spreadsheet_id} was not found. Check the link and that the "
                                 "sheet still exists.")
        if status == 401:
            return RegisterError("Google 拒绝了服务账号凭据，请检查 gcp_service_account 配置。",
                                 "Google rejected the service account credentials; check the gcp_service_account "
                                 "settings.")
        return _BadRequest(f"Google 表格拒绝了这次请求（{status}：{message}），本次修改未保存。",
                           f"Google Sheets refused the request ({status}: {message}); nothing was saved.")

    def _retrying(self, once: Callable[[], Any], retries: int | None = None) -> Any:
        """Run `once` until it succeeds, retrying quota and server errors with backoff (default: max_retries)."""
        retries = self.max_retries if retries is None else retries
        for attempt in range(retries + 1):
            try:
                return once()
            except _Retryable as err:
                if attempt >= retries:
                    raise self._unavailable(err, False) from None
                self.sleep(self._delay(attempt, err))

    def _delay(self, attempt: int, err: _Retryable) -> float:
        """Jittered exponential backoff, at least what Google asked for, never above the cap."""
        ceiling = min(BACKOFF_CAP_SECONDS, self.backoff_base * 2 ** attempt)
        delay = self._random.uniform(ceiling / 2, ceiling)
        return min(BACKOFF_CAP_SECONDS, max(delay, err.retry_after or 0.0))

    @staticmethod
    def _unavailable(err: _Retryable, ambiguous: bool) -> StoreUnavailable:
        if err.status == 429:
            en, zh = ("Google Sheets' per-minute request quota is used up; wait a minute",
                      "已用完 Google 表格每分钟的请求配额，请等一分钟")
        elif err.status:
            en, zh = f"Google Sheets answered with server error {err.status}", f"Google 表格服务器错误 {err.status}"
        else:
            en, zh = "no connection to Google Sheets", "无法连接 Google 表格"
        error = SaveOutcomeUnknown(en, zh) if ambiguous else StoreUnavailable(en, zh)
        error.retry_after = err.retry_after
        return error


# ---- helpers -------------------------------------------------------------------------------------

_ZH_LABELS = {key: {schema.normalize_label(f.zh) for f in t.fields} for key, t in schema.TABLES.items()}
_EN_LABELS = {key: {schema.normalize_label(f.en) for f in t.fields} for key, t in schema.TABLES.items()}


def _detect_lang(found: Iterable[_Found], fallback: str) -> str:
    """Return the language most header cells of the existing tabs are written in."""
    zh = en = 0
    for f in found:
        if not f.has_header:
            continue
        for header in f.tab.headers:
            label = schema.normalize_label(header)
            zh += label in _ZH_LABELS[f.tab.table]
            en += label in _EN_LABELS[f.tab.table]
    return "zh" if zh > en else "en" if en > zh else fallback


def _fields_written(changes: ChangeSet, table: str, lang: str) -> set[str]:
    """Fields this save puts a value into (they need a column)."""
    t = schema.TABLES[table]
    wanted = {u.field for u in changes.updates if u.table == table}
    wanted |= {t.id_field for a in changes.id_assignments if a.table == table}
    for row in changes.rows_to_append:
        if row.table == table:
            wanted |= {k for k, v in row.values.items() if t.has(k) and v is not None and v != ""}
    return wanted


def _landed(tabs: dict[str, RawTab], changes: ChangeSet, lang: str) -> bool:
    """True if an earlier try of this save was applied (its audit rows, new rows or values are there)."""
    if changes.audit and "audit" in tabs:
        audit = tabs["audit"]
        columns = sorted(schema.map_headers("audit", audit.headers).values())
        if not columns:
            return False
        stored = {tuple(audit.cell(i, c) for c in columns) for i in range(len(audit.rows))}
        return all(tuple(texts[c] for c in columns) in stored
                   for texts in (row_texts(audit, row, lang) for row in changes.audit))
    if any(r.record_id for r in changes.new_rows):
        return already_applied(tabs, changes, lang)
    try:
        plan_updates(tabs, replace(changes, updates=[replace(u, old=u.new) for u in changes.updates]), lang)
    except RegisterError:
        return False
    return bool(changes.updates)


def _cell(text: str) -> dict:
    """CellData holding exactly this text (an empty text clears the cell)."""
    return {"userEnteredValue": {"stringValue": text}} if text != "" else {}


def _drop_down(sheet_id: int, column: int, labels: list[str]) -> dict:
    return {"setDataValidation": {
        "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": column, "endColumnIndex": column + 1},
        "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in labels]},
                 "strict": False, "showCustomUi": True}}}


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "" if value is None else str(value)


def _grid_size(a1: str) -> tuple[int, int] | None:
    """Read (rows, columns) from the range Google answers for a whole-tab read ("'Tab'!A1:Z1000")."""
    found = re.search(r"!A1(?::([A-Z]+)(\d+))?$", a1)
    if not found or not found.group(1):
        return None
    columns = 0
    for ch in found.group(1):
        columns = columns * 26 + ord(ch) - 64
    return int(found.group(2)), columns


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
