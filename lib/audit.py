"""The audit log: every change with who, when and why; filters, hand-edit checks, and news on my customers.

Decisions this module fixes:
- The app only ever appends to the audit tab (ChangeSet writes one audit row per change); nothing
  here builds an update of it. Hand edits are detected, not prevented: `audit_health` warns when
  times run backwards (beyond `ORDER_TOLERANCE`, which absorbs saves that overtake each other),
  when time, user or action is empty or unreadable, and when blank rows sit between entries.
- A change "on a customer" is one whose record is the customer itself or a record of another tab
  that carries that customer's ID (contacts, interactions, transactions, feedback, tier history).
- "Since my last visit" uses a per-user `last_seen.<e-mail>` row of the Settings tab. `ui` reads it
  once at the start of a session (that is the user's last visit) and `mark_seen` moves it to now at
  most once an hour, in one save without an audit row: it is bookkeeping, not a change to the
  register, and it works on every backend without a write per rerun. A first visit shows nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from lib import auth, cells, schema
from lib.i18n import t, texts
from lib.register import Register
from lib.store.base import ChangeSet, Store

TABLE = "audit"
ORDER_TOLERANCE = timedelta(minutes=10)
LAST_SEEN_PREFIX = "last_seen."
SEEN_EVERY = timedelta(hours=1)
NEWS_WINDOW = timedelta(days=30)   # someone back from a long leave sees the last month, not a year
# Tabs whose records belong to a customer through their customer_id column.
CHILD_TABLES = tuple(k for k, tab in schema.TABLES.items() if tab.has("customer_id") and k != "customers")
_TIME = schema.AUDIT.field("at")


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for; empty means everything. `end` is inclusive."""
    users: tuple[str, ...] = ()
    customer_id: str = ""
    tables: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class AuditWarning:
    """A sign that the audit tab was edited by hand, with the sheet rows concerned."""
    code: str          # out_of_order | missing_fields | unreadable_time | blank_rows
    rows: tuple[int, ...]

    def describe(self, lang: str) -> str:
        shown = ", ".join(str(r) for r in self.rows[:10]) + ("…" if len(self.rows) > 10 else "")
        return t(f"audit.warn_{self.code}", lang, tab=schema.AUDIT.label(lang), rows=shown, n=len(self.rows))


# ---- reading the log -------------------------------------------------------------------------------

def entries(reg: Register) -> pd.DataFrame:
    """The audit tab with each row's table key and the customer it concerns (`customer_id`, "" if none)."""
    return reg.derived(("audit.entries",), lambda: _entries(reg)).copy(deep=False)


def _entries(reg: Register) -> pd.DataFrame:
    log = reg.frame(TABLE).copy()
    log["table"] = [schema.table_for_title(str(v)) or str(v) for v in log["table"]]
    log["customer_id"] = _customer_of(reg, log)
    return log


def _customer_of(reg: Register, log: pd.DataFrame) -> list[str]:
    """The customer each audit row concerns: the record itself, or the owner of a child record."""
    owners: dict[tuple[str, str], str] = {}
    for table in CHILD_TABLES:
        id_field = schema.TABLES[table].id_field
        if id_field:
            frame = reg.frame(table)
            owners.update({(table, rid): cid for rid, cid in zip(frame[id_field], frame["customer_id"]) if rid})
    out = []
    for table, record in zip(log["table"], log["record_id"]):
        record = str(record).strip()
        if table in ("customers", "tier_history"):
            out.append(record)
        else:
            out.append(owners.get((table, record), ""))
    return out


def audit_rows(reg: Register, wanted: AuditFilter = AuditFilter()) -> pd.DataFrame:
    """The audit entries that match the filter, newest first (sheet order breaks ties)."""
    log = entries(reg)
    keep = pd.Series(True, index=log.index)
    if wanted.users:
        keep &= log["user"].str.casefold().isin({u.casefold() for u in wanted.users})
    if wanted.customer_id:
        keep &= log["customer_id"] == wanted.customer_id
    if wanted.tables:
        keep &= log["table"].isin(wanted.tables)
    if wanted.actions:
        keep &= log["action"].isin(wanted.actions)
    if wanted.start:
        keep &= log["at"] >= pd.Timestamp(wanted.start)
    if wanted.end:
        keep &= log["at"] < pd.Timestamp(wanted.end) + pd.Timedelta(days=1)
    return log[keep].sort_values(["at", "_row"], ascending=False, na_position="last")


def filter_choices(reg: Register, lang: str) -> dict[str, dict[str, str]]:
    """Values the audit page offers per filter, each mapped to the label people see."""
    log = entries(reg)
    customers = reg.frame("customers")
    names = dict(zip(customers["customer_id"], customers["name"]))
    cids = sorted({c for c in log["customer_id"] if c})
    return {
        "users": {u: u for u in sorted({u for u in log["user"] if u}, key=str.casefold)},
        "customers": {c: f"{c} · {names[c]}" if names.get(c) else c for c in cids},
        "tables": {k: table_label(k, lang) for k in sorted({k for k in log["table"] if k})},
        "actions": {a: action_label(a, lang) for a in sorted({a for a in log["action"] if a})},
    }


def table_label(table: str, lang: str) -> str:
    """A tab's label in the user's language (the text itself if it names no tab)."""
    return schema.TABLES[table].label(lang) if table in schema.TABLES else table


def action_label(action: str, lang: str) -> str:
    """An audit action in words (`update` → 修改 / Update); unknown actions as written."""
    key = f"audit.action_{action}"
    return t(key, lang) if key in texts() else action


def field_label(table: str, field: str, lang: str) -> str:
    """A field's label in the user's language (the text itself if unknown)."""
    tab = schema.TABLES.get(table)
    return tab.field(field).label(lang) if tab and field and tab.has(field) else field


def audit_view(reg: Register, wanted: AuditFilter, lang: str) -> pd.DataFrame:
    """The filtered log as people read it: time, user, action, tab, record, customer, field, old → new, reason."""
    log = audit_rows(reg, wanted)
    customers = reg.frame("customers")
    names = dict(zip(customers["customer_id"], customers["name"]))
    view = pd.DataFrame({
        "at": log["at"],
        "user": log["user"],
        "action": [action_label(a, lang) for a in log["action"]],
        "table": [table_label(k, lang) for k in log["table"]],
        "record_id": log["record_id"],
        "customer": [f"{c} · {names[c]}" if names.get(c) else c for c in log["customer_id"]],
        "field": [field_label(k, f, lang) for k, f in zip(log["table"], log["field"])],
        "old": log["old"],
        "new": log["new"],
        "reason": log["reason"],
    })
    return view.rename(columns={c: t(f"audit.col_{c}", lang) for c in view.columns}).reset_index(drop=True)


# ---- signs of hand edits ---------------------------------------------------------------------------

def audit_health(reg: Register) -> list[AuditWarning]:
    """Warnings when the audit tab looks edited by hand: times out of order, empty entries, blank rows."""
    log = reg.frame(TABLE)
    unreadable = sorted({i.row for i in reg.issues if i.table == TABLE
                         and schema.field_for_header(TABLE, i.column) == "at"})
    warnings = []
    times = log["at"]
    previous = times.ffill().shift(1)
    backwards = log.loc[times.notna() & previous.notna() & (times < previous - ORDER_TOLERANCE), "_row"]
    if len(backwards):
        warnings.append(AuditWarning("out_of_order", tuple(int(r) for r in backwards)))
    empty = (log["user"].str.strip() == "") | (log["action"].str.strip() == "") | \
        (times.isna() & ~log["_row"].isin(unreadable))
    if empty.any():
        warnings.append(AuditWarning("missing_fields", tuple(int(r) for r in log.loc[empty, "_row"])))
    if unreadable:
        warnings.append(AuditWarning("unreadable_time", tuple(unreadable)))
    numbers = log["_row"].tolist()
    blank = [r for a, b in zip(numbers, numbers[1:]) for r in range(a + 1, b)]
    if blank:
        warnings.append(AuditWarning("blank_rows", tuple(blank)))
    return warnings


def home_warnings(reg: Register, lang: str) -> list[str]:
    """The home page's warnings about the audit log, in the user's language."""
    return [w.describe(lang) for w in audit_health(reg)]


# ---- what changed on my customers ------------------------------------------------------------------

def last_seen_key(email: str) -> str:
    """The Settings key that keeps when this user last opened the app."""
    return LAST_SEEN_PREFIX + email.strip().casefold()


def _last_seen_row(reg: Register, email: str) -> dict | None:
    settings = reg.frame("settings")
    hits = settings[settings["key"].str.strip().str.casefold() == last_seen_key(email)]
    return hits.iloc[0].to_dict() if len(hits) else None


def last_seen(reg: Register, email: str) -> datetime | None:
    """When this user last opened the app, as the Settings tab keeps it (None: never, or unreadable)."""
    row = _last_seen_row(reg, email)
    if row is None:
        return None
    reading = cells.read(_TIME, row["value"])
    return None if reading.problem or reading.value is None else reading.value


def mark_seen(store: Store, reg: Register, user: auth.User, now: datetime) -> bool:
    """Move the user's last visit to now, at most once per `SEEN_EVERY`; True if it wrote.

    One save with its audit row like every write of the app (action "visit"); no role needed.
    """
    if reg.frame("customers").empty:  # nothing to report on yet, and an empty register stays restorable
        return False
    row = _last_seen_row(reg, user.email)
    seen = last_seen(reg, user.email)
    if seen is not None and now - seen < SEEN_EVERY:
        return False
    text = cells.write(_TIME, now, reg.lang)
    changes = ChangeSet(user.email, at=now, lang=reg.lang)
    if row is None:
        description = "上次访问时间 / last visit"
        changes.add("settings", {"key": last_seen_key(user.email), "value": text, "description": description},
                    action="visit")
    else:
        changes.update("settings", row["key"], "value", row["value"], text, action="visit")
    store.save(changes)
    return True


def owned_customers(reg: Register, user: auth.User) -> set[str]:
    """IDs of the customers whose owner is this user (by e-mail, or by name as typed)."""
    customers = reg.frame("customers")
    me = {v.strip().casefold() for v in (user.email, user.name) if v and v.strip()}
    owner = customers["owner"].str.strip().str.casefold()
    return set(customers.loc[owner.isin(me) & (customers["customer_id"] != ""), "customer_id"])


def changes_since(reg: Register, user: auth.User, since: datetime | None) -> pd.DataFrame:
    """Audit entries on the user's customers made by someone else after `since`, newest first."""
    log = entries(reg)
    if since is None:
        return log.iloc[0:0]
    mine = owned_customers(reg, user)
    keep = (log["at"] > pd.Timestamp(since)) & log["customer_id"].isin(mine) & \
        (log["user"].str.strip().str.casefold() != user.email.strip().casefold())
    return log[keep].sort_values(["at", "_row"], ascending=False)


def home_changes(reg: Register, user: auth.User, now: datetime, since: datetime | None = None,
                 lang: str | None = None) -> pd.DataFrame:
    """What changed on the user's customers since their last visit (at most `NEWS_WINDOW` back), for the home page.

    `since` is the last visit the session started from (`ui.last_visit`); without it, the stored one.
    """
    lang = lang or reg.lang
    since = since if since is not None else last_seen(reg, user.email)
    if since is not None:
        since = max(since, now - NEWS_WINDOW)
    log = changes_since(reg, user, since)
    customers = reg.frame("customers")
    names = dict(zip(customers["customer_id"], customers["name"]))
    view = pd.DataFrame({
        "at": log["at"],
        "user": log["user"],
        "customer": [f"{c} · {names[c]}" if names.get(c) else c for c in log["customer_id"]],
        "what": [f"{table_label(k, lang)} · {field_label(k, f, lang) if f else action_label(a, lang)}"
                 for k, f, a in zip(log["table"], log["field"], log["action"])],
        "change": [f"{o} → {n}" if f else n for o, n, f in zip(log["old"], log["new"], log["field"])],
        "reason": log["reason"],
    })
    return view.rename(columns={c: t(f"audit.col_{c}", lang) for c in view.columns}).reset_index(drop=True)
