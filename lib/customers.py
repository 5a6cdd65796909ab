"""Customers: entry with validation, edits with reasons, contacts, interactions and deals, lost /
archived / merged customers, the whole record of one customer (the 360° view) and the searchable list.

Decisions this module fixes:
- Values are read the way the sheet reads them (lib.cells): a budget typed `¥120,000` or `1.2万` is
  fine; a value that cannot be read is refused with a message naming the field.
- A new customer starts as a prospect owned by whoever enters it, unless told otherwise, and is
  refused while it probably exists already (lib.dedupe) until the user confirms the duplicate.
- Key fields (name, owner, stage, tier) need a reason to change; the reason goes to the audit log.
  Changing the tier also needs the right to approve tiers.
- Nothing is ever deleted: lost is a stage, archived a flag, and a merged duplicate is archived
  with a note "merged into C-…".
- One primary contact per customer: making a contact primary clears the old one's flag in the
  same save. Logging an interaction with a next date moves the customer's next follow-up there.
- Conflicts: every update says what the user started from; a field someone else changed since is
  a conflict and nothing is saved. Bookkeeping fields (updated_at, updated_by, and a next follow-up
  moved by a new interaction) never conflict: when only they changed, the save is redone over the
  values there now.
- Totals leave cancelled transactions out.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from lib import auth, cells, dedupe, schema
from lib.auth import User
from lib.errors import ConflictError, DuplicateIdError, RecordNotFound, ValidationError
from lib.register import Register, lookup, per_register
from lib.store.base import ChangeSet, Store

KEY_FIELDS = ("name", "owner", "stage", "tier")
ENTRY_FIELDS = ("name", "industry", "size", "region", "address", "source", "stage", "tier", "owner",
                "needs", "budget", "next_follow_up", "key_date", "notes")
EDIT_FIELDS = ENTRY_FIELDS
NEW_CONTACT_FIELDS = ("name", "title", "phone", "email", "wechat", "birthday")
CONTACT_FIELDS = ("name", "title", "phone", "email", "wechat", "birthday", "is_primary", "notes")
INTERACTION_FIELDS = ("date", "channel", "summary", "next_step", "next_date")
TRANSACTION_FIELDS = ("date", "item", "amount", "profit", "payment", "status")
CHILD_TABLES = ("contacts", "interactions", "transactions", "feedback")
BOOKKEEPING = frozenset({"updated_at", "updated_by"})
MASKED_FIELDS = ("phone", "email", "wechat")
DEFAULT_STAGE = "prospect"
DEFAULT_TXN_STATUS = "signed"
MERGE_NOTE = {"zh": "已合并到 {id}", "en": "merged into {id}"}
_MERGED_INTO = re.compile(r"(?:已合并到|merged into)\s*(\S+?)(?=[\s;；,，。.]|$)", re.IGNORECASE)

ARCHIVED_FILTERS = {"active": False, "archived": True, "all": None}
LIST_COLUMNS = ("customer_id", "name", "tier", "stage", "industry", "region", "owner", "contact", "phone",
                "email", "wechat", "next_follow_up", "last_interaction", "budget", "updated_at", "archived")
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "name": (("name", True),),
    "updated": (("updated_at", False), ("name", True)),
    "next_follow_up": (("next_follow_up", True), ("name", True)),
    "tier": (("tier", True), ("name", True)),
    "budget": (("budget", False), ("name", True)),
    "id": (("customer_id", True),),
}
EXTRA_LABELS = {"contact": ("主要联系人", "Primary contact"), "phone": ("电话", "Phone"),
                "email": ("邮箱", "Email"), "wechat": ("微信", "WeChat"),
                "last_interaction": ("最近沟通", "Last contact"), "reason": ("原因", "Reason")}


class PossibleDuplicate(ValidationError):
    """The customer being entered probably exists already; `matches` says which."""

    def __init__(self, matches: list[dedupe.Match]):
        names_zh = "、".join(f"{m.name}（{m.customer_id}）" for m in matches[:3])
        names_en = ", ".join(f"{m.name} ({m.customer_id})" for m in matches[:3])
        super().__init__(f"这个客户可能已经存在：{names_zh}。请先查看；确认是新客户后勾选「仍然保存」。",
                         f"This customer probably exists already: {names_en}. Check first; if it is a new "
                         "customer, tick “Save anyway”.")
        self.matches = matches


# ---- reading values ----------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def plain(value, field: schema.Field | None = None):
    """Turn a value from a typed frame into a plain Python value (NaN/NaT/<NA> → None, dates as dates)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else plain(pd.Timestamp(value), field)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if field is not None and field.type == schema.DATE and isinstance(value, datetime):
        return value.date()
    return value


def field_label(table: str, field_key: str, lang: str) -> str:
    """The label of a field (or of a list-only column such as the primary contact)."""
    t = schema.TABLES[table]
    if t.has(field_key):
        return t.field(field_key).label(lang)
    zh, en = EXTRA_LABELS.get(field_key, (field_key, field_key))
    return zh if lang == "zh" else en


def _required(table: str, field_key: str) -> ValidationError:
    f = schema.TABLES[table].field(field_key)
    if table == "contacts" and field_key == "name":
        return ValidationError("请填写联系人「姓名」。", "Contact name is required.")
    return ValidationError(f"请填写「{f.zh}」。", f"{f.en} is required.")


def read_value(table: str, field_key: str, raw):
    """Read one entered value as its field's type, or raise a ValidationError naming the field."""
    f = schema.TABLES[table].field(field_key)
    raw = plain(raw, f)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    reading = cells.read(f, raw)
    if reading.problem:
        prefix = "联系人" if table == "contacts" else ""
        raise ValidationError(f"{prefix}「{f.zh}」：{cells.problem_message(reading.problem, 'zh')}",
                              f"{'Contact ' if table == 'contacts' else ''}{f.en}: "
                              f"{cells.problem_message(reading.problem, 'en')}")
    return reading.value


def read_values(table: str, values: dict, allowed: Iterable[str]) -> dict:
    """Read every entered value of a record; a field outside `allowed` is a programming error."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"{table} does not take {sorted(unknown)} here")
    return {key: read_value(table, key, raw) for key, raw in values.items()}


def _text(value) -> str:
    value = plain(value)
    return "" if value is None else str(value).strip()


def _has_any(values: dict | None) -> bool:
    """True if any value was entered (an untouched form holds only blanks)."""
    return any(plain(v) not in (None, "", False) for v in (values or {}).values())


# ---- records -----------------------------------------------------------------------------------

def record(reg: Register, table: str, record_id: str, lang: str = "zh") -> dict:
    """Return one record's plain values by ID, or raise naming what is wrong."""
    t = schema.TABLES[table]
    df = reg.frame(table)
    hits = df[df[t.id_field] == record_id]
    if hits.empty:
        raise RecordNotFound(t.label(lang), record_id)
    if len(hits) > 1:
        raise DuplicateIdError(t.label(lang), record_id, hits["_row"].tolist())
    row = hits.iloc[0]
    return {f.key: plain(row[f.key], f) for f in t.fields}


def editable_values(reg: Register, customer_id: str, lang: str = "zh") -> dict:
    """The customer's editable fields as they are now: what an edit starts from."""
    current = record(reg, "customers", customer_id, lang)
    return {k: current[k] for k in EDIT_FIELDS}


class _Saver:
    """Build a change set, save it, and redo it once over current values if only auto fields conflicted."""

    def __init__(self, store: Store, reg: Register, user: User, now: datetime, auto: frozenset = BOOKKEEPING):
        self.store, self.reg, self.user, self.now, self.auto = store, reg, user, now, auto

    def save(self, build: Callable[[ChangeSet, Callable], None]) -> ChangeSet:
        changes = self._build(build, {})
        try:
            self.store.save(changes)
        except ConflictError as e:
            real = [c for c in e.conflicts if c.field not in self.auto]
            if real:
                raise ConflictError(real) from None
            current = {(c.table, c.record_id, c.field): c.current for c in e.conflicts}
            changes = self._build(build, current)
            self.store.save(changes)
        return changes

    def _build(self, build, current: dict) -> ChangeSet:
        changes = ChangeSet(self.user.email, at=self.now, lang=self.reg.lang)

        def old(table: str, record_id: str, field_key: str, started):
            return current.get((table, record_id, field_key), started)

        build(changes, old)
        return changes


def _touch(changes: ChangeSet, old: Callable, customer: dict, user: User, now: datetime, action: str,
           reason: str = "") -> None:
    """Record who changed the customer row and when."""
    cid = customer["customer_id"]
    changes.update("customers", cid, "updated_at", old("customers", cid, "updated_at", customer["updated_at"]), now,
                   reason=reason, action=action)
    if customer["updated_by"] != user.email:
        changes.update("customers", cid, "updated_by", old("customers", cid, "updated_by", customer["updated_by"]),
                       user.email, reason=reason, action=action)


# ---- writes ------------------------------------------------------------------------------------

def add_customer(store: Store, reg: Register, user: User, values: dict, contact: dict | None = None,
                 lang: str = "zh", now: datetime | None = None, *, duplicates_confirmed: bool = False) -> str:
    """Validate and save a new customer with its primary contact; return the new customer ID.

    Raises PossibleDuplicate when the customer probably exists, unless `duplicates_confirmed`.
    (`lang` is the user's language; every message carries both languages.)
    """
    auth.require(user, "edit")
    now = _now(now)
    customer = read_values("customers", values, ENTRY_FIELDS)
    if not customer.get("name"):
        raise _required("customers", "name")
    person = read_values("contacts", contact or {}, CONTACT_FIELDS) if _has_any(contact) else None
    if person is not None and not person.get("name"):
        raise _required("contacts", "name")
    if not duplicates_confirmed:
        matches = dedupe.find_duplicates(reg, customer["name"], (person or {}).get("phone") or "",
                                         (person or {}).get("email") or "")
        if matches:
            raise PossibleDuplicate(matches)
    customer_id = reg.new_ids("customers")[0]
    row = {**customer, "customer_id": customer_id, "stage": customer.get("stage") or DEFAULT_STAGE,
           "owner": customer.get("owner") or user.email, "created_at": now, "updated_at": now,
           "updated_by": user.email, "archived": False}
    changes = ChangeSet(user.email, at=now, lang=reg.lang)
    changes.add("customers", row)
    if person is not None:
        changes.add("contacts", {**person, "contact_id": reg.new_ids("contacts")[0], "customer_id": customer_id,
                                 "is_primary": True})
    store.save(changes)
    return customer_id


def match_text(match: dedupe.Match, lang: str) -> str:
    """Describe a probable duplicate for a link: name, ID, why, and whether it is archived."""
    why = dedupe.describe_reasons(match.reasons, lang)
    score = f" {match.score}" if "name" in match.reasons else ""
    archived = (" · 已归档" if lang == "zh" else " · archived") if match.archived else ""
    return f"{match.name} ({match.customer_id}) — {why}{score}{archived}"


def changed_fields(started_from: dict, edited: dict) -> dict:
    """Return the edited fields whose value differs from what the user started from (entered values kept)."""
    out = {}
    for key, new in edited.items():
        f = schema.CUSTOMERS.field(key)
        if not cells.equal(f, plain(new, f), plain(started_from.get(key), f)):
            out[key] = new
    return out


def reason_needed_for(changes: Iterable[str]) -> list[str]:
    """The key fields among these changes: each needs a reason."""
    return [k for k in KEY_FIELDS if k in set(changes)]


def change_preview(started_from: dict, changes: dict, lang: str) -> pd.DataFrame:
    """Show each change as field · old → new, flagging the key fields that need a reason."""
    rows = []
    for key, new in changes.items():
        f = schema.CUSTOMERS.field(key)
        try:
            new_text = cells.write(f, read_value("customers", key, new), lang)
        except ValidationError:
            new_text = _text(new)
        rows.append({"field": f.label(lang), "old": cells.write(f, plain(started_from.get(key), f), lang),
                     "new": new_text, "key": key in KEY_FIELDS})
    return pd.DataFrame(rows, columns=["field", "old", "new", "key"])


def update_customer(store: Store, reg: Register, user: User, customer_id: str, changes: dict,
                    started_from: dict | None = None, reason: str = "", lang: str = "zh",
                    now: datetime | None = None) -> ChangeSet:
    """Save edits to a customer's basic info, checked against what the user started from.

    A change to a key field (name, owner, stage, tier) needs a reason. Raises ConflictError when a
    field was changed by someone else since `started_from` (default: the values in `reg`).
    """
    auth.require(user, "edit")
    now = _now(now)
    wanted = read_values("customers", changes, EDIT_FIELDS)
    current = record(reg, "customers", customer_id, lang)
    started = {k: plain((started_from or {}).get(k, current[k]), schema.CUSTOMERS.field(k)) for k in wanted}
    wanted = {k: v for k, v in wanted.items() if not cells.equal(schema.CUSTOMERS.field(k), v, started[k])}
    if "tier" in wanted:
        auth.require(user, "approve_tiers")
    if not wanted:
        raise ValidationError("没有需要保存的修改。", "Nothing was changed, so there is nothing to save.")
    if "name" in wanted and not wanted["name"]:
        raise _required("customers", "name")
    reason = _text(reason)
    key_changes = reason_needed_for(wanted)
    if key_changes and not reason:
        zh = "、".join(schema.CUSTOMERS.field(k).zh for k in key_changes)
        en = ", ".join(schema.CUSTOMERS.field(k).en for k in key_changes)
        raise ValidationError(f"修改「{zh}」需要填写修改原因。", f"Give a reason for changing {en}.")

    def build(cs: ChangeSet, old) -> None:
        for key, new in wanted.items():
            cs.update("customers", customer_id, key, started[key], new, reason=reason)
        _touch(cs, old, current, user, now, "update", reason)

    return _Saver(store, reg, user, now).save(build)


def conflict_rows(conflicts: list, lang: str) -> pd.DataFrame:
    """Show each conflicting field: what you started from, what is there now (theirs), and yours."""
    rows = []
    for c in conflicts:
        t = schema.TABLES[c.table]
        f = t.field(c.field) if t.has(c.field) else None
        show = (lambda v: cells.write(f, plain(v, f), lang)) if f else _text
        rows.append({"record_id": c.record_id, "field": f.label(lang) if f else c.field, "field_key": c.field,
                     "started_from": show(c.started_from), "theirs": show(c.current), "yours": show(c.wanted)})
    return pd.DataFrame(rows, columns=["record_id", "field", "field_key", "started_from", "theirs", "yours"])


def rebased(started_from: dict, conflicts: list) -> dict:
    """Start from the values there now for the conflicting fields: saving again overwrites theirs with yours."""
    out = dict(started_from)
    for c in conflicts:
        out[c.field] = c.current
    return out


def add_contact(store: Store, reg: Register, user: User, customer_id: str, values: dict, lang: str = "zh",
                now: datetime | None = None) -> str:
    """Add a contact to a customer; the first contact, or one marked primary, becomes the primary one."""
    auth.require(user, "edit")
    now = _now(now)
    customer = record(reg, "customers", customer_id, lang)
    person = read_values("contacts", values, CONTACT_FIELDS)
    if not person.get("name"):
        raise _required("contacts", "name")
    primaries = _primary_contacts(reg, customer_id)
    primary = bool(person.get("is_primary")) or not primaries
    contact_id = reg.new_ids("contacts")[0]

    def build(cs: ChangeSet, old) -> None:
        cs.add("contacts", {**person, "contact_id": contact_id, "customer_id": customer["customer_id"],
                            "is_primary": primary})
        if primary:
            for other in primaries:
                cs.update("contacts", other, "is_primary", True, False)

    _Saver(store, reg, user, now).save(build)
    return contact_id


def _primary_contacts(reg: Register, customer_id: str) -> list[str]:
    """IDs of the contacts marked primary for this customer (normally one)."""
    contacts = reg.frame("contacts")
    return contacts.loc[(contacts["customer_id"] == customer_id) & contacts["is_primary"], "contact_id"].tolist()


def make_primary(store: Store, reg: Register, user: User, contact_id: str, lang: str = "zh",
                 now: datetime | None = None) -> ChangeSet:
    """Make a contact its customer's primary contact (the old primary loses the flag in the same save)."""
    auth.require(user, "edit")
    person = record(reg, "contacts", contact_id, lang)
    if person["is_primary"]:
        raise ValidationError("这位联系人已经是主要联系人。", "This contact is already the primary contact.")
    others = _primary_contacts(reg, person["customer_id"])

    def build(cs: ChangeSet, old) -> None:
        cs.update("contacts", contact_id, "is_primary", False, True)
        for other in others:
            cs.update("contacts", other, "is_primary", True, False)

    return _Saver(store, reg, user, _now(now)).save(build)


def add_interaction(store: Store, reg: Register, user: User, customer_id: str, values: dict, lang: str = "zh",
                    now: datetime | None = None) -> str:
    """Log a call, e-mail, meeting or visit; a next date also becomes the customer's next follow-up."""
    auth.require(user, "edit")
    now = _now(now)
    customer = record(reg, "customers", customer_id, lang)
    entry = read_values("interactions", values, INTERACTION_FIELDS)
    entry["date"] = entry.get("date") or now.date()
    for key in ("channel", "summary"):
        if not entry.get(key):
            raise _required("interactions", key)
    if entry.get("next_date") and entry["next_date"] < entry["date"]:
        raise ValidationError("「下次跟进」不能早于沟通日期。", "Next follow-up cannot be before the date of the contact.")
    interaction_id = reg.new_ids("interactions")[0]
    moves = entry.get("next_date") is not None and not cells.equal(
        schema.CUSTOMERS.field("next_follow_up"), entry["next_date"], customer["next_follow_up"])

    def build(cs: ChangeSet, old) -> None:
        cs.add("interactions", {**entry, "interaction_id": interaction_id, "customer_id": customer_id,
                                "by": user.email})
        if moves:
            cs.update("customers", customer_id, "next_follow_up",
                      old("customers", customer_id, "next_follow_up", customer["next_follow_up"]), entry["next_date"])
            _touch(cs, old, customer, user, now, "update")

    _Saver(store, reg, user, now, BOOKKEEPING | {"next_follow_up"}).save(build)
    return interaction_id


def add_transaction(store: Store, reg: Register, user: User, customer_id: str, values: dict, lang: str = "zh",
                    now: datetime | None = None) -> str:
    """Record a deal (amount and gross profit as money, status signed by default)."""
    auth.require(user, "edit")
    now = _now(now)
    record(reg, "customers", customer_id, lang)
    deal = read_values("transactions", values, TRANSACTION_FIELDS)
    deal["date"] = deal.get("date") or now.date()
    deal["status"] = deal.get("status") or DEFAULT_TXN_STATUS
    if deal.get("amount") is None:
        raise _required("transactions", "amount")
    txn_id = reg.new_ids("transactions")[0]
    changes = ChangeSet(user.email, at=now, lang=reg.lang)
    changes.add("transactions", {**deal, "txn_id": txn_id, "customer_id": customer_id})
    store.save(changes)
    return txn_id


def _need_reason(reason) -> str:
    reason = _text(reason)
    if not reason:
        raise ValidationError("请填写原因。", "Give a reason.")
    return reason


def mark_lost(store: Store, reg: Register, user: User, customer_id: str, reason: str, lang: str = "zh",
              now: datetime | None = None) -> ChangeSet:
    """Mark a customer lost (流失), saying why; the record is kept."""
    auth.require(user, "edit")
    now = _now(now)
    reason = _need_reason(reason)
    customer = record(reg, "customers", customer_id, lang)
    if customer["stage"] == "lost":
        raise ValidationError(f"{customer_id} 已标记为流失。", f"{customer_id} is already marked lost.")

    def build(cs: ChangeSet, old) -> None:
        cs.update("customers", customer_id, "stage", customer["stage"], "lost", reason=reason, action="lost")
        _touch(cs, old, customer, user, now, "lost", reason)

    return _Saver(store, reg, user, now).save(build)


def _set_archived(store, reg, user, customer_id, archived: bool, reason, lang, now) -> ChangeSet:
    auth.require(user, "archive")
    now = _now(now)
    reason = _need_reason(reason)
    customer = record(reg, "customers", customer_id, lang)
    if customer["archived"] == archived:
        raise ValidationError(f"{customer_id} {'已经归档' if archived else '没有归档'}。",
                              f"{customer_id} is {'already' if archived else 'not'} archived.")
    action = "archive" if archived else "restore"

    def build(cs: ChangeSet, old) -> None:
        cs.update("customers", customer_id, "archived", not archived, archived, reason=reason, action=action)
        _touch(cs, old, customer, user, now, action, reason)

    return _Saver(store, reg, user, now).save(build)


def archive_customer(store: Store, reg: Register, user: User, customer_id: str, reason: str, lang: str = "zh",
                     now: datetime | None = None) -> ChangeSet:
    """Hide a customer from daily lists, keeping everything (admins, with a reason)."""
    return _set_archived(store, reg, user, customer_id, True, reason, lang, now)


def restore_customer(store: Store, reg: Register, user: User, customer_id: str, reason: str, lang: str = "zh",
                     now: datetime | None = None) -> ChangeSet:
    """Bring an archived customer back into the daily lists (admins, with a reason)."""
    return _set_archived(store, reg, user, customer_id, False, reason, lang, now)


# ---- merging duplicates ------------------------------------------------------------------------

def merge_choices(reg: Register, survivor_id: str, duplicate_id: str, lang: str) -> pd.DataFrame:
    """List the fields where two customers differ, with both values and whose value to keep (a customer ID).

    The survivor's value is kept by default, unless it is empty and the duplicate has one.
    """
    a, b = record(reg, "customers", survivor_id, lang), record(reg, "customers", duplicate_id, lang)
    rows = []
    for key in EDIT_FIELDS:
        f = schema.CUSTOMERS.field(key)
        if cells.equal(f, a[key], b[key]) or (a[key] in (None, "") and b[key] in (None, "")):
            continue
        rows.append({"field_key": key, "field": f.label(lang), "survivor": cells.write(f, a[key], lang),
                     "duplicate": cells.write(f, b[key], lang),
                     "keep": duplicate_id if a[key] in (None, "") else survivor_id})
    return pd.DataFrame(rows, columns=["field_key", "field", "survivor", "duplicate", "keep"])


def chosen_values(reg: Register, survivor_id: str, duplicate_id: str, keep: dict[str, str], lang: str = "zh") -> dict:
    """Turn per-field picks (field → the ID of the customer whose value to keep) into the survivor's values."""
    a, b = record(reg, "customers", survivor_id, lang), record(reg, "customers", duplicate_id, lang)
    return {key: (b if side == duplicate_id else a)[key] for key, side in keep.items()}


def merge_customers(store: Store, reg: Register, user: User, survivor_id: str, duplicate_id: str,
                    chosen: dict | None = None, lang: str = "zh", now: datetime | None = None,
                    reason: str = "") -> ChangeSet:
    """Merge a duplicate into the surviving customer, in one save (admins).

    The survivor takes the chosen field values; the duplicate's contacts, interactions, transactions
    and feedback move to the survivor (its contacts stop being primary if the survivor has one); the
    duplicate is archived with the note "merged into <survivor>". Tier history is append-only, so
    its rows stay under the duplicate's ID; the audit entry says so and the survivor's record page
    shows them.
    """
    auth.require(user, "merge")
    now = _now(now)
    if survivor_id == duplicate_id:
        raise ValidationError("请选择两个不同的客户进行合并。", "Choose two different customers to merge.")
    survivor = record(reg, "customers", survivor_id, lang)
    duplicate = record(reg, "customers", duplicate_id, lang)
    if survivor["archived"]:
        raise ValidationError(f"{survivor_id} 已归档，请先恢复再合并。",
                              f"{survivor_id} is archived; restore it before merging into it.")
    values = read_values("customers", chosen or {}, EDIT_FIELDS)
    if "name" in values and not values["name"]:
        raise _required("customers", "name")
    values = {k: v for k, v in values.items() if not cells.equal(schema.CUSTOMERS.field(k), v, survivor[k])}
    note = MERGE_NOTE.get(reg.lang, MERGE_NOTE["en"]).format(id=survivor_id)
    history = reg.frame("tier_history")
    kept = int((history["customer_id"] == duplicate_id).sum())
    why = f"{note}" + (f"; {_text(reason)}" if _text(reason) else "")
    if kept:
        why += f"; tier history ({kept}) kept under {duplicate_id}"
    moves = {table: _child_ids(reg, table, duplicate_id) for table in CHILD_TABLES}
    contacts = reg.frame("contacts")
    survivor_has_primary = bool(((contacts["customer_id"] == survivor_id) & contacts["is_primary"]).any())
    primary_moving = set(contacts.loc[(contacts["customer_id"] == duplicate_id) & contacts["is_primary"], "contact_id"])

    def build(cs: ChangeSet, old) -> None:
        for key, new in values.items():
            cs.update("customers", survivor_id, key, survivor[key], new, reason=why, action="merge")
        _touch(cs, old, survivor, user, now, "merge", why)
        for table, ids in moves.items():
            for child in ids:
                cs.update(table, child, "customer_id", duplicate_id, survivor_id, reason=why, action="merge")
                if table == "contacts" and survivor_has_primary and child in primary_moving:
                    cs.update(table, child, "is_primary", True, False, reason=why, action="merge")
        notes = f"{duplicate['notes']}\n{note}" if duplicate["notes"] else note
        cs.update("customers", duplicate_id, "notes", duplicate["notes"], notes, reason=why, action="merge")
        cs.update("customers", duplicate_id, "archived", duplicate["archived"], True, reason=why, action="merge")
        _touch(cs, old, duplicate, user, now, "merge", why)

    return _Saver(store, reg, user, now).save(build)


def _child_ids(reg: Register, table: str, customer_id: str) -> list[str]:
    df = reg.frame(table)
    id_field = schema.TABLES[table].id_field
    ids = df.loc[df["customer_id"] == customer_id, id_field]
    return [i for i in ids if i]


def merged_into(reg: Register, customer_id: str) -> list[str]:
    """IDs of the customers merged into this one (archived, with the merge note)."""
    customers = reg.frame("customers")
    archived = customers[customers["archived"] & customers["notes"].str.contains(customer_id, regex=False)]
    return [cid for cid, notes in zip(archived["customer_id"], archived["notes"])
            if customer_id in _MERGED_INTO.findall(notes)]


# ---- the whole record --------------------------------------------------------------------------

def customer_360(reg: Register, customer_id: str, lang: str = "zh") -> dict:
    """Everything about one customer: basic info, contacts, timeline, deals with totals, feedback, tiers, audit."""
    customer = record(reg, "customers", customer_id, lang)
    own = lambda table: reg.frame(table)[reg.frame(table)["customer_id"] == customer_id]  # noqa: E731
    contacts = own("contacts").sort_values(["is_primary", "contact_id"], ascending=[False, True], kind="stable")
    interactions = own("interactions").sort_values(["date", "interaction_id"], ascending=False, na_position="last")
    deals = own("transactions").sort_values(["date", "txn_id"], ascending=False, na_position="last")
    feedback = own("feedback").sort_values(["received_at", "feedback_id"], ascending=False, na_position="last")
    merged = merged_into(reg, customer_id)
    history = reg.frame("tier_history")
    history = history[history["customer_id"].isin([customer_id, *merged])].sort_values(
        "reviewed_at", ascending=False, na_position="last")
    ids = {customer_id, *contacts["contact_id"], *interactions["interaction_id"], *deals["txn_id"],
           *feedback["feedback_id"]} - {""}
    audit = reg.frame("audit")
    audit = audit[audit["record_id"].isin(ids)].sort_values("at", ascending=False, na_position="last", kind="stable")
    last = interactions["date"].max() if len(interactions) else pd.NaT
    return {
        "customer": customer,
        "contacts": contacts.drop(columns="_row").reset_index(drop=True),
        "interactions": interactions.drop(columns="_row").reset_index(drop=True),
        "transactions": deals.drop(columns="_row").reset_index(drop=True),
        "totals": transaction_totals(deals),
        "feedback": feedback.drop(columns="_row").reset_index(drop=True),
        "tier_history": history.drop(columns="_row").reset_index(drop=True),
        "audit": audit.drop(columns="_row").reset_index(drop=True),
        "merged_from": merged,
        "last_interaction": plain(last, schema.INTERACTIONS.field("date")),
    }


def transaction_totals(deals: pd.DataFrame) -> dict:
    """Revenue, gross profit, count, first and last deal — cancelled deals left out."""
    counted = deals[deals["status"] != "cancelled"]
    dates = counted["date"].dropna()
    return {"revenue": float(counted["amount"].sum()), "gross_profit": float(counted["profit"].sum()),
            "count": int(len(counted)),
            "first_deal": dates.min().date() if len(dates) else None,
            "last_deal": dates.max().date() if len(dates) else None}


def for_display(df: pd.DataFrame, table: str, lang: str, user: User | None = None,
                columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Show a frame to people: chosen columns, choice labels, headers in their language, contacts masked for viewers."""
    columns = [c for c in (columns or [c for c in df.columns if c != "_row"]) if c in df.columns]
    out = df[columns].copy()
    t = schema.TABLES[table]
    for col in columns:
        if t.has(col) and t.field(col).type == schema.CHOICE:
            f = t.field(col)
            labels = {c.key: c.label(lang) for c in f.choices}
            out[col] = out[col].map(lambda v, labels=labels: labels.get(v, v) if v is not None else "")
        elif t.has(col) and t.field(col).type == schema.DATE:
            out[col] = out[col].dt.date
    if user is not None and not auth.can(user, "edit"):
        for col in MASKED_FIELDS:
            if col in out.columns:
                out[col] = out[col].map(auth.mask)
    return out.rename(columns={c: field_label(table, c, lang) for c in columns})


# ---- the list ----------------------------------------------------------------------------------

def _fold(text: str) -> str:
    text = str(text)
    return "".join((text if text.isascii() else unicodedata.normalize("NFKC", text)).casefold().split())


def _digits(text: str) -> str:
    text = str(text)
    return _NOT_DIGIT.sub("", text if text.isascii() else unicodedata.normalize("NFKC", text))


@per_register
def list_index(reg: Register) -> pd.DataFrame:
    """One row per customer with its primary contact, last contact and search texts (built once per register)."""
    customers = reg.frame("customers")
    contacts = reg.frame("contacts")
    contacts = contacts[contacts["customer_id"] != ""]
    ordered = contacts.sort_values(["customer_id", "is_primary", "contact_id"], ascending=[True, False, True])
    first = ordered.drop_duplicates("customer_id").set_index("customer_id")
    texts: dict[str, list[str]] = {}
    phones: dict[str, list[str]] = {}
    every = reg.frame("contacts")
    for cid_, name, email, wechat, phone, key in zip(
            every["customer_id"].tolist(), every["name"].tolist(), every["email"].tolist(), every["wechat"].tolist(),
            every["phone"].tolist(), dedupe.contact_phone_keys(reg)):
        if not cid_:
            continue
        texts.setdefault(cid_, []).append(_fold(f"{name}\x1f{email}\x1f{wechat}"))
        if phone:
            phones.setdefault(cid_, []).extend((_digits(phone), _digits(key)))
    interactions = reg.frame("interactions")
    last = interactions.groupby("customer_id")["date"].max()
    cid = customers["customer_id"]
    out = customers.drop(columns="_row").copy()
    out["contact"] = lookup(first["name"], cid).fillna("")
    for key in ("phone", "email", "wechat"):
        out[key] = lookup(first[key], cid).fillna("")
    out["last_interaction"] = lookup(last, cid).astype("datetime64[ns]")
    ids, names = cid.tolist(), customers["name"].tolist()
    out["_text"] = ["\x1f".join((_fold(n), _fold(i), *texts.get(i, ()))) for i, n in zip(ids, names)]
    out["_phones"] = [" ".join(phones.get(i, ())) for i in ids]
    return out


def _as_set(value) -> set | None:
    if value is None or (isinstance(value, str) and not value):
        return None
    values = {value} if isinstance(value, str) else set(value)
    return values or None


_NOT_DIGIT = re.compile(r"\D")
_PHONE_RUN = re.compile(r"\+?\d[\d\s\-().]*\d")


def _terms(query) -> list[tuple[str, bool]]:
    """Split a query into words; a run of four or more digits (spaces and dashes allowed) is one phone term."""
    text = unicodedata.normalize("NFKC", str(query or ""))
    phones = [m.group(0) for m in _PHONE_RUN.finditer(text) if len(_digits(m.group(0))) >= 4]
    for phone in phones:
        text = text.replace(phone, " ")
    return [(p.strip(), True) for p in phones] + [(word, False) for word in text.split()]


def search_customers(reg: Register, query: str = "", *, tier=None, stage=None, industry=None, region=None,
                     owner=None, archived: bool | None = False, sort: str = "name") -> pd.DataFrame:
    """Find customers by name, contact, phone or e-mail, filtered and sorted (LIST_COLUMNS).

    Every word of the query must match. A word of four or more digits also matches phone numbers
    whatever their spacing or +86 prefix. Filters take one value or several; `archived=False` (the
    default) shows active customers, True archived ones, None all.
    """
    index = list_index(reg)
    keep = np.ones(len(index), dtype=bool)
    for term, phone in _terms(query):
        hit = index["_text"].str.contains(_fold(term), regex=False).to_numpy()
        if phone:
            for digits in {_digits(term), _digits(dedupe.phone_key(term))} - {""}:
                hit = hit | index["_phones"].str.contains(digits, regex=False).to_numpy()
        keep = keep & hit
    for column, wanted in (("tier", tier), ("stage", stage), ("industry", industry), ("region", region),
                           ("owner", owner)):
        values = _as_set(wanted)
        if values is not None:
            keep = keep & index[column].isin(values).to_numpy()
    if archived is not None:
        keep = keep & (index["archived"] == bool(archived)).to_numpy()
    found = index.loc[keep, list(LIST_COLUMNS)]
    order = SORTS.get(sort, SORTS["name"])
    return found.sort_values([c for c, _ in order], ascending=[a for _, a in order], na_position="last",
                             kind="stable").reset_index(drop=True)


def filter_options(reg: Register) -> dict[str, list]:
    """The values each list filter offers, taken from the register."""
    customers = reg.frame("customers")
    distinct = lambda col: sorted(v for v in customers[col].dropna().unique() if v)  # noqa: E731
    return {"tier": [c.key for c in schema.TIERS], "stage": [c.key for c in schema.STAGES],
            "industry": distinct("industry"), "region": distinct("region"), "owner": distinct("owner")}


def page_count(rows: int, page_size: int = 50) -> int:
    """How many pages `rows` rows fill (at least one)."""
    return max(1, math.ceil(rows / page_size))


def page_of(df: pd.DataFrame, page: int, page_size: int = 50) -> tuple[pd.DataFrame, int]:
    """Return one page of rows (pages count from 1) and how many pages there are."""
    pages = page_count(len(df), page_size)
    page = min(max(1, int(page)), pages)
    return df.iloc[(page - 1) * page_size: page * page_size], pages


def list_display(df: pd.DataFrame, user: User, lang: str, *, link_ids: bool = False) -> pd.DataFrame:
    """The list as people see it: labels in their language, contacts masked for viewers.

    With `link_ids`, the ID column holds the record page's address (`customer?id=C-…`) for a link column.
    """
    if link_ids:
        df = df.assign(customer_id="customer?id=" + df["customer_id"])
    return for_display(df, "customers", lang, user, [c for c in LIST_COLUMNS if c != "archived"])


def pair_options(reg: Register, lang: str) -> dict[str, str]:
    """Probable duplicate pairs for the merge screen: "C-1|C-2" → a line saying who and why."""
    pairs = dedupe.duplicate_pairs(reg)
    return {f"{a}|{b}": f"{an} ({a}) ↔ {bn} ({b}) · {dedupe.describe_reasons(r, lang)}"
                        + (f" {score}" if "name" in r else "")
            for a, an, b, bn, score, r in pairs[["a_id", "a_name", "b_id", "b_name", "score", "reasons"]].itertuples(
                index=False)}


def export_customers(df: pd.DataFrame, user: User, lang: str, fmt: str) -> bytes:
    """Export the filtered list as CSV or xlsx (managers and admins)."""
    from lib import exports
    auth.require(user, "export")
    frame = for_display(df, "customers", lang, None, LIST_COLUMNS)
    if fmt == "csv":
        return exports.to_csv_bytes(frame)
    return exports.to_xlsx_bytes({schema.CUSTOMERS.label(lang): frame})


def customer_options(reg: Register, *, archived: bool | None = None) -> dict[str, str]:
    """Customer ID → "name (ID)" for pickers, by name."""
    customers = reg.frame("customers")
    if archived is not None:
        customers = customers[customers["archived"] == archived]
    customers = customers[customers["customer_id"] != ""].sort_values("name")
    return {cid: f"{name} ({cid})" for cid, name in zip(customers["customer_id"], customers["name"])}


def choice_options(table: str, field_key: str, lang: str) -> dict:
    """Choice key → label of a choice field, for select boxes (None → empty)."""
    f = schema.TABLES[table].field(field_key)
    return {None: "", **{c.key: c.label(lang) for c in f.choices}}


def value_text(table: str, field_key: str, value, lang: str) -> str:
    """Show one value as the sheet would."""
    f = schema.TABLES[table].field(field_key)
    return cells.write(f, plain(value, f), lang)



# ---- the record page ---------------------------------------------------------------------------

RECORD_TABS = ("contacts", "interactions", "transactions", "feedback", "tier_history", "audit")
SHOWN = {
    "contacts": ("name", "title", "phone", "email", "wechat", "birthday", "is_primary", "notes", "contact_id"),
    "interactions": ("date", "channel", "summary", "next_step", "next_date", "by"),
    "transactions": ("date", "item", "amount", "profit", "payment", "status", "txn_id"),
    "feedback": ("received_at", "type", "priority", "description", "status", "assignee", "resolution", "feedback_id"),
    "tier_history": ("reviewed_at", "from_tier", "to_tier", "score", "method", "reviewer", "reason", "customer_id"),
    "audit": ("at", "user", "action", "table", "record_id", "field", "old", "new", "reason"),
}
ADD_FORMS = {
    "contacts": (add_contact, CONTACT_FIELDS),
    "interactions": (add_interaction, INTERACTION_FIELDS),
    "transactions": (add_transaction, TRANSACTION_FIELDS),
}
LONG_TEXT = frozenset({"needs", "notes", "summary", "address"})
_TOTAL_LABELS = {"revenue": ("收入", "Revenue"), "gross_profit": ("毛利", "Gross profit"), "count": ("成交笔数", "Deals"),
                 "first_deal": ("首次成交", "First deal"), "last_deal": ("最近成交", "Last deal")}


def input_spec(table: str, field_key: str, lang: str) -> tuple[str, str, dict | None]:
    """How to ask for a field: kind (text, long, choice, date, bool), label (* when required), choices."""
    f = schema.TABLES[table].field(field_key)
    label = f.label(lang) + (" *" if f.required else "")
    if f.type == schema.CHOICE:
        return "choice", label, choice_options(table, field_key, lang)
    if f.type == schema.DATE:
        return "date", label, None
    if f.type == schema.BOOL:
        return "bool", label, None
    return ("long" if field_key in LONG_TEXT else "text"), label, None


def headline(customer: dict, lang: str) -> str:
    """One line under the name: ID, stage, tier, owner, and whether it is archived."""
    parts = [customer["customer_id"], value_text("customers", "stage", customer["stage"], lang),
             f"{field_label('customers', 'tier', lang)} {customer['tier'] or '—'}", customer["owner"] or "—"]
    if customer["archived"]:
        parts.append("已归档" if lang == "zh" else "Archived")
    return " · ".join(p for p in parts if p)


def totals_display(totals: dict, lang: str) -> list[tuple[str, str]]:
    """The deal totals as (label, text) pairs for metric tiles."""
    out = []
    for key, (zh, en) in _TOTAL_LABELS.items():
        value = totals[key]
        text = f"{value:,.0f}" if isinstance(value, float) else ("—" if value is None else str(value))
        out.append((zh if lang == "zh" else en, text))
    return out


def service_text(customer: dict, settings, lang: str) -> str:
    """How this customer's tier is served: the treatment and the follow-up cadence."""
    from lib import tiers
    service = tiers.service_for(customer["tier"], settings)
    days = service["cadence_days"]
    treatment = service[f"treatment_{'zh' if lang == 'zh' else 'en'}"]
    if days is None:
        return treatment
    return f"{treatment}。回访间隔 {days} 天。" if lang == "zh" else f"{treatment}. Follow up every {days} days."


def basic_info(customer: dict, lang: str) -> pd.DataFrame:
    """The customer's basic info as field / value rows."""
    keys = [k for k in (*ENTRY_FIELDS, "tier_reviewed_at", "created_at", "updated_at", "updated_by") if k != "name"]
    field, value = ("字段", "值") if lang == "zh" else ("Field", "Value")
    return pd.DataFrame({field: [field_label("customers", k, lang) for k in keys],
                         value: [value_text("customers", k, customer[k], lang) for k in keys]})


def conflict_display(conflicts: list, lang: str) -> pd.DataFrame:
    """The conflicting fields with what you started from, theirs (now) and yours, headed in the user's language."""
    heads = {"field": ("字段", "Field"), "started_from": ("您打开时", "When you opened it"),
             "theirs": ("现在（他人修改）", "Now (their change)"), "yours": ("您的修改", "Your change")}
    frame = conflict_rows(conflicts, lang)[list(heads)]
    return frame.rename(columns={k: v[0 if lang == "zh" else 1] for k, v in heads.items()})


def status_actions(customer: dict, user: User) -> dict[str, Callable]:
    """The status changes this user may make to this customer: mark lost, archive or restore."""
    actions: dict[str, Callable] = {}
    if customer["stage"] != "lost" and auth.can(user, "edit"):
        actions["mark_lost"] = mark_lost
    if auth.can(user, "archive"):
        if customer["archived"]:
            actions["restore"] = restore_customer
        else:
            actions["archive"] = archive_customer
    return actions
