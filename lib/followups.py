"""Follow-ups (回访) and care (关怀): whom to call and when, and whose birthday or key date is coming.

When a customer is due for a follow-up:
- An explicit date wins: the customer's next follow-up (下次回访), else the next date written on
  their latest interaction — but only while it lies after the last interaction. A date on or
  before the last contact has been dealt with by that contact.
- Otherwise the tier cadence (Settings `follow_up.days`, A 30 · B 60 · C 90 days): the last
  interaction plus the tier's days. A customer never contacted counts from the day it was
  created (due today if that is unknown). Customers without a tier follow tier C's cadence.
Buckets, relative to today: overdue (due before today), this week (due today or within the next
six days), later. Lost and archived customers are left out of follow-ups and care.

Care: contact birthdays and customers' key dates recur every year; the next occurrence on or after
today is listed when it falls within `care.lookahead_days`. A 29 February falls on 28 February in
years without one.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime

import numpy as np
import pandas as pd

from lib import schema
from lib.auth import User
from lib.register import Register, lookup
from lib.settings import Settings

BUCKETS = ("overdue", "this_week", "later")
RULES = ("next_follow_up", "next_date", "cadence", "never_contacted")
FALLBACK_TIER = "C"
WEEK_DAYS = 7
FOLLOW_UP_COLUMNS = ["customer_id", "name", "tier", "stage", "owner", "last_interaction", "due", "rule",
                     "cadence_days", "days_overdue", "bucket"]
CARE_COLUMNS = ["kind", "date", "days_until", "customer_id", "customer", "contact", "owner", "original"]


def _active(reg: Register) -> pd.DataFrame:
    customers = reg.frame("customers")
    keep = ~customers["archived"] & (customers["stage"] != "lost") & (customers["customer_id"] != "")
    return customers[keep]


def _same_owner(column: pd.Series, owner: str | None) -> pd.Series:
    if not owner:
        return pd.Series(True, index=column.index)
    return column.str.strip().str.casefold() == owner.strip().casefold()


def last_contacts(reg: Register) -> pd.DataFrame:
    """Per customer ID: the date of the last contact and the next date written on the latest interaction.

    The latest interaction is the one with the latest date, then the highest interaction ID (undated
    ones count as the earliest). Computed once per loaded register.
    """
    def compute() -> pd.DataFrame:
        interactions = reg.frame("interactions")
        dates = interactions["date"]
        last = dates.groupby(interactions["customer_id"]).transform("max")
        latest = interactions[(dates == last) | last.isna()].sort_values("interaction_id", kind="stable")
        latest = latest.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        return pd.DataFrame({"last_contact": latest["date"], "next_date": latest["next_date"]})
    return reg.derived(("followups.last_contacts",), compute)


def my_follow_ups(reg: Register, owner: str | None, today: date, settings: Settings | None = None) -> pd.DataFrame:
    """Return the follow-ups of one owner's customers (everyone's when owner is empty), soonest due first.

    With the register's own settings the table is computed once per loaded register, owner and day;
    callers must not modify it.
    """
    return _once(reg, settings, ("followups.my_follow_ups", _owner_key(owner), today),
                 lambda s: _follow_ups(reg, owner, today, s))


def _owner_key(owner: str | None) -> str:
    return (owner or "").strip().casefold()


def _once(reg: Register, settings: Settings | None, key: tuple, compute):
    """`compute(settings)`, once per loaded register when it uses the register's own settings."""
    if settings is not None and settings is not reg.settings:
        return compute(settings)
    return reg.derived(key, lambda: compute(reg.settings))


def _follow_ups(reg: Register, owner: str | None, today: date, settings: Settings) -> pd.DataFrame:
    customers = _active(reg)
    customers = customers[_same_owner(customers["owner"], owner)]
    contacts = last_contacts(reg)
    cid = customers["customer_id"]
    last_contact = lookup(contacts["last_contact"], cid).astype("datetime64[ns]")
    next_date = lookup(contacts["next_date"], cid).astype("datetime64[ns]")
    day = pd.Timestamp(today)

    def valid(dates: pd.Series) -> pd.Series:
        return dates.notna() & (last_contact.isna() | (dates > last_contact))

    next_follow_up = customers["next_follow_up"]
    cadence = settings.follow_up_days
    fallback = cadence.get(FALLBACK_TIER) or Settings().follow_up_days[FALLBACK_TIER]
    days = customers["tier"].map({t: d for t, d in cadence.items() if d}).fillna(fallback).astype("int64")
    base = last_contact.fillna(customers["created_at"].dt.normalize())
    cadence_due = base + pd.to_timedelta(days, unit="D")
    conditions = [valid(next_follow_up), valid(next_date), base.notna()]
    due = cadence_due.where(conditions[2], day)
    due = next_date.where(conditions[1], due)
    due = next_follow_up.where(conditions[0], due).astype("datetime64[ns]")
    rule = np.select(conditions, ["next_follow_up", "next_date", "cadence"], "never_contacted")
    overdue_days = ((day - due) / pd.Timedelta(days=1)).astype("int64")
    bucket = np.select([due < day, due < day + pd.Timedelta(days=WEEK_DAYS)], ["overdue", "this_week"], "later")
    out = pd.DataFrame({
        "customer_id": cid, "name": customers["name"], "tier": customers["tier"], "stage": customers["stage"],
        "owner": customers["owner"], "last_interaction": last_contact, "due": due, "rule": rule,
        "cadence_days": days, "days_overdue": overdue_days.clip(lower=0), "bucket": bucket,
    }, columns=FOLLOW_UP_COLUMNS)
    return out.sort_values(["due", "customer_id"], kind="stable").reset_index(drop=True)


def owners(reg: Register) -> list[str]:
    """Everyone who owns an active customer, alphabetically."""
    column = _active(reg)["owner"]
    return sorted({o for o in column if o})


def overdue_follow_ups(reg: Register, user: User, now: datetime) -> int:
    """Count overdue follow-ups for the home page: the user's own customers, or everyone's if they own none."""
    mine = user.email if user.email.casefold() in {o.casefold() for o in owners(reg)} else None
    table = my_follow_ups(reg, mine, now.date())
    return int((table["bucket"] == "overdue").sum())


def next_occurrence(month: int, day: int, today: date) -> date:
    """The next date on or after today with this month and day (29 Feb falls on 28 Feb in common years)."""
    for year in (today.year, today.year + 1):
        last_day = calendar.monthrange(year, month)[1]
        moment = date(year, month, min(day, last_day))
        if moment >= today:
            return moment
    raise AssertionError("unreachable: a date recurs within a year")


def next_occurrences(dates: pd.Series, today: date) -> pd.Series:
    """`next_occurrence` for a whole column of dates (NaT stays NaT)."""
    month, day = dates.dt.month, dates.dt.day

    def in_year(year: int) -> pd.Series:
        fitted = day.where(~((month == 2) & (day == 29)) | calendar.isleap(year), 28)
        return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": fitted}), errors="coerce")

    this_year = in_year(today.year)
    return this_year.where(this_year >= pd.Timestamp(today), in_year(today.year + 1)).astype("datetime64[ns]")


def care_events(reg: Register, today: date, settings: Settings | None = None, owner: str | None = None) -> pd.DataFrame:
    """Return contact birthdays and customer key dates within `care.lookahead_days`, soonest first.

    With the register's own settings the table is computed once per loaded register, owner and day;
    callers must not modify it.
    """
    return _once(reg, settings, ("followups.care_events", _owner_key(owner), today),
                 lambda s: _care_events(reg, today, s, owner))


def _care_events(reg: Register, today: date, settings: Settings, owner: str | None) -> pd.DataFrame:
    customers = _active(reg)
    customers = customers[_same_owner(customers["owner"], owner)]
    customers = customers[~customers["customer_id"].duplicated()]
    contacts = reg.frame("contacts")
    contacts = contacts[contacts["customer_id"].isin(customers["customer_id"]) & contacts["birthday"].notna()]
    by_id = customers.set_index("customer_id")
    keyed = customers[customers["key_date"].notna()]
    events = pd.concat([
        pd.DataFrame({"kind": "birthday", "original": contacts["birthday"], "customer_id": contacts["customer_id"],
                      "contact": contacts["name"]}),
        pd.DataFrame({"kind": "key_date", "original": keyed["key_date"], "customer_id": keyed["customer_id"],
                      "contact": ""}),
    ], ignore_index=True)
    events["date"] = next_occurrences(events["original"], today)
    events["days_until"] = ((events["date"] - pd.Timestamp(today)) / pd.Timedelta(days=1)).astype("int64")
    events = events[events["days_until"] <= int(settings.care_lookahead_days)].copy()
    events["customer"] = lookup(by_id["name"], events["customer_id"])
    events["owner"] = lookup(by_id["owner"], events["customer_id"])
    events["date"] = events["date"].dt.date
    events["original"] = events["original"].dt.date
    return events[CARE_COLUMNS].sort_values(["days_until", "customer_id", "kind"], kind="stable").reset_index(drop=True)


# ---- what the page shows -------------------------------------------------------------------------

RULE_LABELS = {"next_follow_up": ("约定的回访日期", "agreed follow-up date"),
               "next_date": ("沟通记录中的下次跟进", "next date of the last contact"),
               "cadence": ("按级别回访间隔", "tier cadence"),
               "never_contacted": ("从未联系", "never contacted")}
KIND_LABELS = {"birthday": ("生日", "Birthday"), "key_date": ("重要日期", "Key date")}
_HEADS = {"customer_id": ("客户编号", "Customer ID"), "name": ("客户名称", "Customer name"), "tier": ("级别", "Tier"),
          "stage": ("阶段", "Stage"), "owner": ("负责人", "Owner"), "last_interaction": ("最近沟通", "Last contact"),
          "due": ("应回访日期", "Due"), "rule": ("依据", "Because of"), "days_overdue": ("逾期天数", "Days overdue"),
          "kind": ("事项", "Occasion"), "date": ("日期", "Date"), "days_until": ("还有几天", "Days to go"),
          "customer": ("客户", "Customer"), "contact": ("联系人", "Contact")}


def bucket_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many follow-ups fall in each bucket."""
    counts = table["bucket"].value_counts()
    return {b: int(counts.get(b, 0)) for b in BUCKETS}


def _heads(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return frame.rename(columns={k: v[0 if lang == "zh" else 1] for k, v in _HEADS.items()})


def follow_up_display(table: pd.DataFrame, bucket: str, lang: str) -> pd.DataFrame:
    """One bucket of follow-ups as people read it, with the ID as the record page's address."""
    part = table[table["bucket"] == bucket].copy()
    part["customer_id"] = "customer?id=" + part["customer_id"]
    part["rule"] = part["rule"].map({r: labels[0 if lang == "zh" else 1] for r, labels in RULE_LABELS.items()})
    stage = part["stage"]
    part["stage"] = stage.map(schema.choice_labels("customers", "stage", lang)).fillna(stage.fillna("").astype(str))
    part["tier"] = part["tier"].fillna("—")
    for col in ("due", "last_interaction"):
        part[col] = part[col].dt.date
    columns = ["customer_id", "name", "tier", "stage", "owner", "due", "rule", "last_interaction"]
    if bucket == "overdue":
        columns.insert(6, "days_overdue")
    return _heads(part[columns], lang)


def care_display(events: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Care events as people read them, with the ID as the record page's address."""
    out = events.copy()
    out["kind"] = out["kind"].map({k: labels[0 if lang == "zh" else 1] for k, labels in KIND_LABELS.items()})
    out["customer_id"] = "customer?id=" + out["customer_id"]
    return _heads(out[["date", "days_until", "kind", "contact", "customer", "customer_id", "owner"]], lang)
