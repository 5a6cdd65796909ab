"""Feedback logging, the complaint workflow (apologise, investigate, resolve in time, call back) and its metrics.

Decisions this module fixes:
- Only complaints enter the workflow (`WORKFLOW_TYPES`): they start `new`, get a due time from
  `sla.hours` and an assignee (the customer's owner, else whoever logged it). Surveys, praise,
  suggestions and inquiries are recorded as `closed` with no due time and no assignee, as the
  demo data does: there is nothing to handle, so they never clutter the queue.
- Open means not closed: a resolved complaint still waits for its call-back (回访), so it stays in
  the queue (after every active item) until the follow-up CSAT is recorded and it is closed.
- Overdue means active (new or in progress) and past its due time; a resolved item is never overdue.
- Periods are half-open: `start <= received_at < end`.
"""
from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lib import auth, cells, schema
from lib.auth import User
from lib.errors import DuplicateIdError, PermissionDenied, RecordNotFound, ValidationError
from lib.i18n import t
from lib.register import Register
from lib.settings import Settings
from lib.store.base import ChangeSet, Store

TABLE = "feedback"
WORKFLOW_TYPES = ("complaint",)
STATUSES = ("new", "in_progress", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "resolved")
ACTIVE_STATUSES = ("new", "in_progress")
REOPEN = {("resolved", "in_progress"), ("closed", "in_progress")}
TRANSITIONS = {("new", "in_progress"), ("new", "resolved"), ("in_progress", "resolved"),
               ("resolved", "closed"), *REOPEN}
PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
DEFAULT_PRIORITY = "medium"

# Fields a person fills in when logging; the rest belong to the workflow.
LOGGED_FIELDS = ("customer_id", "received_at", "type", "channel", "priority", "csat", "nps",
                 "description", "assignee")
SUMMARY_COLUMNS = ("responses", "csat_answers", "csat_pct", "nps_answers", "nps", "complaint_count",
                   "median_hours_to_resolve", "within_sla_share", "open_count", "overdue_count")


# ---- SLA -----------------------------------------------------------------------------------------

def due_at(received_at: datetime, priority: str, settings: Settings) -> datetime:
    """Return when a complaint of this priority must be resolved (`sla.hours` after it came in)."""
    return received_at + timedelta(hours=_sla_hours(priority, settings))


def _sla_hours(priority: str | None, settings: Settings) -> float:
    """Hours allowed for a priority; a priority missing from the Settings tab keeps its default."""
    priority = priority or DEFAULT_PRIORITY
    return settings.sla_hours.get(priority) or Settings().sla_hours[priority]


# ---- writes --------------------------------------------------------------------------------------

def log_feedback(store: Store, register: Register, user: User, values: dict, lang: str,
                 now: datetime | None = None) -> ChangeSet:
    """Validate and save one piece of feedback; a complaint gets its due time and assignee."""
    auth.require(user, "edit")
    unknown = set(values) - set(LOGGED_FIELDS)
    if unknown:
        raise ValueError(f"log_feedback does not take {sorted(unknown)}; the workflow sets them")
    now = _now(now)
    kind = _choice(values.get("type"), "type", required=True)
    channel = _choice(values.get("channel"), "channel")
    priority = _choice(values.get("priority"), "priority")
    csat = _score(values.get("csat"), "csat")
    nps = _score(values.get("nps"), "nps")
    description = _text(values.get("description"))
    customer_id = _text(values.get("customer_id"))
    received = _datetime(values.get("received_at"), "received_at") or now
    if customer_id:
        _customer(register, customer_id)
    in_workflow = kind in WORKFLOW_TYPES
    if in_workflow and not description:
        raise _required("description")
    record = {
        "feedback_id": register.new_ids(TABLE)[0], "customer_id": customer_id, "received_at": received,
        "type": kind, "channel": channel, "priority": priority, "csat": csat, "nps": nps,
        "description": description, "assignee": "", "status": "closed", "due_at": None,
    }
    if in_workflow:
        record["priority"] = priority or DEFAULT_PRIORITY
        record["status"] = "new"
        record["due_at"] = due_at(received, record["priority"], register.settings)
        record["assignee"] = _initial_assignee(register, user, customer_id, _text(values.get("assignee")))
    changes = ChangeSet(user.email, at=now, lang=register.lang)
    changes.add(TABLE, record, action="create")
    store.save(changes)
    return changes


def link_customer(store: Store, register: Register, user: User, feedback_id: str, customer_id: str,
                  lang: str, *, now: datetime | None = None) -> ChangeSet:
    """Link feedback logged without a customer to the customer it came from."""
    auth.require(user, "edit")
    item = _feedback(register, feedback_id, lang)
    customer_id = _text(customer_id)
    if not customer_id:
        raise _required("customer_id")
    _customer(register, customer_id)
    if item["customer_id"]:
        raise ValidationError(f"反馈 {feedback_id} 已关联客户 {item['customer_id']}，不能再关联其他客户。",
                              f"Feedback {feedback_id} is already linked to customer {item['customer_id']}; "
                              "it cannot be linked to another one.")
    changes = ChangeSet(user.email, at=_now(now), lang=register.lang)
    changes.update(TABLE, feedback_id, "customer_id", item["customer_id"], customer_id)
    store.save(changes)
    return changes


def change_status(store: Store, register: Register, user: User, feedback_id: str, to_status: str, lang: str, *,
                  resolution: str | None = None, follow_up_csat=None, reason: str = "",
                  now: datetime | None = None) -> ChangeSet:
    """Move feedback along new → in progress → resolved → closed, or reopen it with a reason."""
    auth.require(user, "work_own_complaints")
    item = _feedback(register, feedback_id, lang)
    _require_may_work_on(user, item, closing=to_status == "closed")
    current = item["status"] or "new"   # an empty status cell typed by hand reads as new
    if (current, to_status) not in TRANSITIONS:
        raise ValidationError(
            f"处理状态不能从「{_status_label(current, 'zh')}」改为「{_status_label(to_status, 'zh')}」。",
            f"Status cannot move from {_status_label(current, 'en')} to {_status_label(to_status, 'en')}.")
    now = _now(now)
    reason = _text(reason)
    changes = ChangeSet(user.email, at=now, lang=register.lang)

    def update(field_key: str, new: Any) -> None:
        changes.update(TABLE, feedback_id, field_key, item[field_key], new, reason=reason)

    if (current, to_status) in REOPEN:
        if not reason:
            raise _required("reason")
        update("status", to_status)
        update("resolved_at", None)   # the audit row keeps the earlier resolution time
    elif to_status == "resolved":
        text = _text(resolution)
        if not text:
            raise _required("resolution")
        update("status", to_status)
        update("resolution", text)
        update("resolved_at", now)
    elif to_status == "closed":
        score = _score(follow_up_csat, "follow_up_csat")
        if score is None and item["type"] in WORKFLOW_TYPES:
            raise _required("follow_up_csat")
        update("status", to_status)
        if score is not None:
            update("follow_up_csat", score)
    else:
        update("status", to_status)
    store.save(changes)
    return changes


def assign(store: Store, register: Register, user: User, feedback_id: str, assignee: str, lang: str,
           reason: str = "", *, now: datetime | None = None) -> ChangeSet:
    """Hand feedback to another person."""
    auth.require(user, "assign_complaints")
    item = _feedback(register, feedback_id, lang)
    _refuse_if_closed(item, feedback_id)
    assignee = _text(assignee)
    if not assignee:
        raise _required("assignee")
    if _same_person(assignee, item["assignee"]):
        raise ValidationError(f"反馈 {feedback_id} 已由 {assignee} 处理。",
                              f"Feedback {feedback_id} is already assigned to {assignee}.")
    changes = ChangeSet(user.email, at=_now(now), lang=register.lang)
    changes.update(TABLE, feedback_id, "assignee", item["assignee"], assignee, reason=_text(reason))
    store.save(changes)
    return changes


def set_due(store: Store, register: Register, user: User, feedback_id: str, due_at: datetime, lang: str,
            reason: str, *, now: datetime | None = None) -> ChangeSet:
    """Move the due time of open feedback, saying why."""
    auth.require(user, "assign_complaints")
    item = _feedback(register, feedback_id, lang)
    _refuse_if_closed(item, feedback_id)
    due = _datetime(due_at, "due_at")
    if due is None:
        raise _required("due_at")
    reason = _text(reason)
    if not reason:
        raise _required("reason")
    if item["received_at"] is not None and due <= item["received_at"]:
        raise ValidationError("处理时限必须晚于收到时间。", "Due must be later than when the feedback was received.")
    changes = ChangeSet(user.email, at=_now(now), lang=register.lang)
    changes.update(TABLE, feedback_id, "due_at", item["due_at"], due, reason=reason)
    store.save(changes)
    return changes


# ---- the queue -----------------------------------------------------------------------------------

def queue(feedback: pd.DataFrame, now: datetime, *, assignee: str | Iterable[str] | None = None,
          types: Iterable[str] | None = None, priorities: Iterable[str] | None = None,
          statuses: Iterable[str] | None = None, mine: str | None = None,
          settings: Settings | None = None) -> pd.DataFrame:
    """Return open feedback, most urgent first, flagged overdue / due today with hours left.

    Order: overdue (most overdue first), due today, the rest of the active items by due time, active
    items without a due time, then resolved items waiting for their call-back; ties by priority
    (high first) and time received. With `settings`, a hand-typed complaint without a due time
    gets one from `sla.hours`. `mine` and `assignee` both keep items assigned to those people.
    """
    df = with_due(feedback, settings)
    status = _status(df)
    keep = status.isin(list(statuses) if statuses is not None else OPEN_STATUSES)
    if types is not None:
        keep &= df["type"].isin(list(types))
    if priorities is not None:
        keep &= df["priority"].isin(list(priorities))
    for people in (assignee, mine):
        if people is not None:
            wanted = {_fold(p) for p in ([people] if isinstance(people, str) else people)}
            keep &= df["assignee"].map(_fold).isin(wanted)
    df, status = df[keep].copy(), status[keep]
    active = status.isin(ACTIVE_STATUSES)
    has_due = df["due_at"].notna()
    df["overdue"] = active & has_due & (df["due_at"] < now)
    df["due_today"] = active & has_due & ~df["overdue"] & (df["due_at"].dt.date == now.date())
    df["hours_left"] = ((df["due_at"] - pd.Timestamp(now)) / pd.Timedelta(hours=1)).where(active).astype("float64")
    df["awaiting_call_back"] = status == "resolved"
    group = np.select([df["overdue"], df["due_today"], active & has_due, active], [0, 1, 2, 3], 4)
    order = pd.DataFrame({
        "group": group,
        "due": df["due_at"],
        "priority": df["priority"].map(PRIORITY_RANK).fillna(len(PRIORITY_RANK)),
        "received": df["received_at"],
    }, index=df.index).sort_values(["group", "due", "priority", "received"], kind="stable", na_position="last")
    return df.loc[order.index].reset_index(drop=True)


def overdue_complaints(feedback: pd.DataFrame, now: datetime, *, settings: Settings | None = None) -> int:
    """Count complaints still being handled after their due time."""
    df = with_due(feedback, settings)
    late = (df["type"].isin(WORKFLOW_TYPES) & _status(df).isin(ACTIVE_STATUSES)
            & df["due_at"].notna() & (df["due_at"] < now))
    return int(late.sum())


# ---- metrics -------------------------------------------------------------------------------------

def feedback_summary(feedback: pd.DataFrame, start: datetime, end: datetime, settings: Settings | None = None,
                     *, now: datetime | None = None) -> dict:
    """Summarise feedback received in [start, end): CSAT, NPS, complaints and how fast they were resolved.

    csat_pct: share of CSAT answers that are 4 or 5, in percent. nps: percent promoters (9–10) minus
    percent detractors (0–6). Each is None when nobody answered. Resolution time and within-SLA share
    cover complaints received in the period that have been resolved; open and overdue counts cover
    complaints received in the period, as they stand at `now`.
    """
    df = with_due(feedback, settings or Settings())
    df = df[(df["received_at"] >= pd.Timestamp(start)) & (df["received_at"] < pd.Timestamp(end))]
    csat = _scores(df["csat"], 1, 5)
    nps = _scores(df["nps"], 0, 10)
    complaints = df[df["type"].isin(WORKFLOW_TYPES)]
    hours = _hours_to_resolve(complaints)
    timed = complaints[complaints["resolved_at"].notna() & complaints["due_at"].notna()]
    status = _status(complaints)
    return {
        "responses": len(df),
        "csat_answers": len(csat),
        "csat_pct": float((csat >= 4).mean() * 100) if len(csat) else None,
        "nps_answers": len(nps),
        "nps": float(((nps >= 9).mean() - (nps <= 6).mean()) * 100) if len(nps) else None,
        "complaint_count": len(complaints),
        "median_hours_to_resolve": float(hours.median()) if len(hours) else None,
        "within_sla_share": float((timed["resolved_at"] <= timed["due_at"]).mean()) if len(timed) else None,
        "open_count": int(status.isin(OPEN_STATUSES).sum()),
        "overdue_count": int((status.isin(ACTIVE_STATUSES) & (complaints["due_at"] < _now(now))).sum()),
    }


def feedback_by_period(feedback: pd.DataFrame, freq: str = "MS", *, settings: Settings | None = None,
                       now: datetime | None = None) -> pd.DataFrame:
    """Return `feedback_summary` for every period (month by default) from the first feedback to the last."""
    starts = _period_starts(feedback, freq)
    step = pd.tseries.frequencies.to_offset(freq)
    now = _now(now)
    rows = [{"period": s, **feedback_summary(feedback, s, s + step, settings, now=now)} for s in starts]
    out = pd.DataFrame(rows, columns=["period", *SUMMARY_COLUMNS])
    return out.astype({c: "float64" for c in ("csat_pct", "nps", "median_hours_to_resolve", "within_sla_share")})


def volume_by_type(feedback: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """Count feedback per period and type (long form, zeros filled) for a stacked volume chart."""
    df = feedback[feedback["received_at"].notna() & feedback["type"].notna()]
    starts = _period_starts(df, freq)
    if df.empty:
        return pd.DataFrame({"period": pd.Series([], dtype="datetime64[ns]"),
                             "type": pd.Series([], dtype="object"), "count": pd.Series([], dtype="int64")})
    step = pd.tseries.frequencies.to_offset(freq)
    period = df["received_at"].dt.normalize().map(step.rollback).astype("datetime64[ns]")
    counts = df.groupby([period.rename("period"), df["type"].rename("type")]).size()
    kinds = [t for t in (c.key for c in schema.FEEDBACK_TYPES) if t in set(df["type"])]
    full = pd.MultiIndex.from_product([starts, kinds], names=["period", "type"])
    return counts.reindex(full, fill_value=0).rename("count").reset_index()


def resolve_hours(feedback: pd.DataFrame) -> pd.Series:
    """Return hours from received to resolved for every resolved complaint, indexed by feedback ID."""
    complaints = feedback[feedback["type"].isin(WORKFLOW_TYPES)]
    return _hours_to_resolve(complaints.set_index("feedback_id")).rename("hours_to_resolve")


# ---- topics --------------------------------------------------------------------------------------

_STOP_ZH = set("""
的 了 和 与 及 或 是 在 有 没有 也 就 都 而 但 但是 因为 所以 如果 已经 还是 还 又 再 很 非常 太 比较 一直
我 我们 你 你们 您 他 她 它 他们 她们 这 那 这个 那个 这些 那些 一个 一些 什么 怎么 为什么 没 不 吗 呢 吧 啊 呀
把 被 给 让 从 到 向 对 为 为了 以 上 下 中 里 后 前 时 时候 说 要 会 能 想 请 希望 需要 进行 表示 反映 反馈
问题 情况 客户 投诉 我司 贵司 公司 目前 现在 今天 昨天 多次 再次 出现 导致 发现 之后 以后 一下 还有
""".split())
_STOP_EN = set("""
a an the and or but if then than so of to in on at by for with from into about as is are was were be been being
it its this that these those there here we our us you your he she they them their i me my not no nor too very
can could would should will shall may might must do does did done have has had having again also just only
please still yet any some all more most other such same own up down out over under after before when while
customer customers client clients complaint complaints complained complaining issue issues problem problems
said says asked get got ve re ll
""".split())
_STOP_WORDS = _STOP_ZH | _STOP_EN
_HAS_WORD = re.compile(r"[a-z\u4e00-\u9fff]")


def top_topics(feedback: pd.DataFrame, n: int = 10, lang: str = "zh", *,
               types: Iterable[str] | None = WORKFLOW_TYPES) -> pd.DataFrame:
    """Return the words complaints mention most (how many items mention each), most frequent first.

    Descriptions in Chinese are cut into words with jieba, English ones into lowercase words; stop
    words and one-character tokens are dropped, and ties are broken alphabetically so the list is
    stable. Both languages are read whatever `lang` is, since people mix them; `types=None` reads
    every kind of feedback.
    """
    df = feedback if types is None else feedback[feedback["type"].isin(list(types))]
    counts: Counter[str] = Counter()
    for text in df["description"]:
        counts.update(_words(str(text or "")))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return pd.DataFrame(ranked, columns=["topic", "count"]).astype({"topic": "object", "count": "int64"})


@functools.lru_cache(maxsize=1)
def _jieba():
    """Load jieba's dictionary once, quietly (it logs to stderr by default)."""
    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _words(text: str) -> set[str]:
    """Return the distinct topic words of one description."""
    if not text.strip():
        return set()
    words = set()
    for token in _jieba().lcut(text):
        token = token.strip().lower()
        if len(token) > 1 and _HAS_WORD.search(token) and token not in _STOP_WORDS:
            words.add(token)
    return words


# ---- what the feedback page shows ---------------------------------------------------------------

# Workflow actions a person takes on one item: status moves (target, from which statuses) and the rest.
MOVES = {"start": ("in_progress", ("new",)), "resolve": ("resolved", ACTIVE_STATUSES),
         "close": ("closed", ("resolved",)), "reopen": ("in_progress", ("resolved", "closed"))}
# What each action asks for: argument of `take_action` → kind of input the page shows for it.
ACTION_INPUTS: dict[str, dict[str, str]] = {
    "start": {}, "resolve": {"resolution": "text"}, "close": {"follow_up_csat": "score"}, "reopen": {"reason": "line"},
    "assign": {"assignee": "person", "reason": "line"}, "due": {"due_at": "time", "reason": "line"},
    "link": {"customer_id": "customer"},
}
ACTIONS = tuple(ACTION_INPUTS)
LOG_DEFAULTS = {"type": "complaint", "channel": "phone", "priority": DEFAULT_PRIORITY}   # what a call usually is
PERIODS = {"month": "MS", "quarter": "QS"}
NO_VALUE = "—"


def choices(field_key: str) -> list[str]:
    """Return the choice keys of a feedback field in the sheet's order."""
    return [c.key for c in schema.FEEDBACK.field(field_key).choices]


def field_label(field_key: str, lang: str) -> str:
    """Return a feedback field's label in the user's language."""
    return _label(field_key, lang)


def choice_label(field_key: str, lang: str) -> Callable[[str], str]:
    """Return a function that shows a choice key of this field in the user's language."""
    return lambda key: schema.choice_label(TABLE, field_key, key, lang)


def customer_choices(customers: pd.DataFrame) -> dict[str, str]:
    """Map customer IDs to "name · ID" for a searchable picker, by name, archived customers last."""
    df = customers[customers["customer_id"] != ""].drop_duplicates("customer_id")
    df = df.sort_values(["archived", "name"], kind="stable")
    return {cid: f"{name} · {cid}" for cid, name in zip(df["customer_id"], df["name"])}


def position(options: Iterable[str], wanted: str | None) -> int | None:
    """Return where `wanted` is among the options (for a picker's preselection), None if it is not there."""
    options = list(options)
    return options.index(wanted) if wanted in options else None


def people(register: Register) -> list[str]:
    """Return everyone who owns customers or handles feedback, for assignee pickers."""
    names = {*register.frames["customers"]["owner"], *register.frames[TABLE]["assignee"]}
    return sorted({str(n).strip() for n in names if str(n or "").strip()}, key=str.casefold)


def queue_filters(register: Register) -> list[tuple[str, str, list[str]]]:
    """Return the queue's filters as (argument of `queue`, field, options to choose from)."""
    return [("assignee", "assignee", people(register)), ("types", "type", choices("type")),
            ("priorities", "priority", choices("priority")), ("statuses", "status", choices("status"))]


def logged_message(changes: ChangeSet, lang: str) -> str:
    """Say what was logged: its ID and, for a complaint, when it is due and who handles it."""
    values = changes.new_rows[0].values
    if values["due_at"] is None:
        return t("feedback.logged", lang, id=values["feedback_id"])
    hours = (values["due_at"] - values["received_at"]) / timedelta(hours=1)
    return t("feedback.logged_complaint", lang, id=values["feedback_id"], due=_when(values["due_at"]),
             within=_duration(hours, lang), assignee=values["assignee"])


def item_state(register: Register, user: User, feedback_id: str, lang: str) -> tuple[dict | None, list[str], str]:
    """Return the chosen item, the actions this user may take on it, and the refusal they get, if any.

    A viewer gets no actions and no refusal (they see no forms); staff looking at someone else's
    item get the workflow's refusal message instead of its buttons.
    """
    try:
        item = _feedback(register, feedback_id, lang)
    except (RecordNotFound, DuplicateIdError) as e:
        return None, [], e.message(lang)
    if not auth.can(user, "edit"):
        return item, [], ""
    status = item["status"] or "new"
    actions, refusal = [], ""
    for action, (to_status, from_statuses) in MOVES.items():
        if status in from_statuses:
            why = _work_refusal(user, item, closing=to_status == "closed")
            if why is None:
                actions.append(action)
            else:
                refusal = refusal or why.message(lang)
    if auth.can(user, "assign_complaints"):
        actions += [a for a, ok in (("assign", status != "closed"), ("due", status in ACTIVE_STATUSES)) if ok]
    if not item["customer_id"]:
        actions.append("link")
    return item, actions, refusal


def take_action(store: Store, register: Register, user: User, feedback_id: str, action: str, lang: str, *,
                now: datetime | None = None, **inputs) -> ChangeSet:
    """Do one of `ACTIONS` on an item, with the inputs `ACTION_INPUTS` names for it."""
    if action in MOVES:
        return change_status(store, register, user, feedback_id, MOVES[action][0], lang, now=now, **inputs)
    write = {"assign": assign, "due": set_due, "link": link_customer}[action]
    return write(store, register, user, feedback_id, lang=lang, now=now, **inputs)


def queue_table(q: pd.DataFrame, customers: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Lay a `queue` out for people: urgency marker first, labels in the user's language, times as text."""
    columns = {
        t("feedback.col_urgency", lang): _urgency(q, lang),
        field_label("feedback_id", lang): q["feedback_id"],
        t("feedback.customer", lang): _customers_shown(q["customer_id"], customers),
        **{field_label(k, lang): _choice_labels(q[k], k, lang) for k in ("type", "priority")},
        field_label("status", lang): _choice_labels(q["status"], "status", lang, empty="new"),
        field_label("assignee", lang): q["assignee"],
        field_label("due_at", lang): _times(q["due_at"]),
        field_label("received_at", lang): _times(q["received_at"]),
        field_label("description", lang): q["description"],
    }
    return pd.DataFrame({name: np.asarray(column, dtype=object) for name, column in columns.items()})


def queue_choices(q: pd.DataFrame, customers: pd.DataFrame, lang: str) -> dict[str, str]:
    """Map the queue's IDs to a one-line label (marker, customer, start of the description) for a picker."""
    marker = _urgency(q, lang).str.split(" ", n=1).str[0]
    who = _customers_shown(q["customer_id"], customers)
    description = q["description"]
    text = description.where(description.str.len() <= 40, description.str[:39] + "…")
    label = q["feedback_id"]
    for part in (marker, who, text):
        label = label + np.where((label != "") & (part != ""), " · ", "") + part
    return dict(zip(q["feedback_id"], label))


def queue_caption(q: pd.DataFrame, lang: str) -> str:
    """Count what the queue holds: items, overdue, due today, waiting for their call-back."""
    return t("feedback.queue_caption", lang, n=len(q), overdue=int(q["overdue"].sum()),
             today=int(q["due_today"].sum()), call_back=int(q["awaiting_call_back"].sum()))


def conflict_table(conflicts: list, lang: str) -> pd.DataFrame:
    """Show each field that changed meanwhile: what the user saw, what the register holds now, what they wanted."""
    rows = []
    for c in conflicts:
        table = schema.TABLES[c.table]
        f = table.field(c.field) if table.has(c.field) else None
        show = (lambda v: _shown(c.table, f, v, lang)) if f else str
        rows.append({t("feedback.col_record", lang): c.record_id, t("feedback.col_field", lang): f.label(lang) if f else c.field,
                     t("feedback.col_seen", lang): show(c.started_from), t("feedback.col_now", lang): show(c.current),
                     t("feedback.col_wanted", lang): show(c.wanted)})
    return pd.DataFrame(rows)


def period_starts(feedback: pd.DataFrame, period: str, now: datetime) -> list[pd.Timestamp]:
    """Return the start of every month or quarter from the first feedback up to now's, newest first."""
    step = pd.tseries.frequencies.to_offset(PERIODS[period])
    current = step.rollback(pd.Timestamp(now).normalize())
    received = feedback["received_at"].dropna()
    first = min(step.rollback(received.min().normalize()), current) if len(received) else current
    return list(pd.date_range(first, current, freq=PERIODS[period])[::-1])


def period_label(start: pd.Timestamp, period: str, lang: str) -> str:
    """Name a month (2026-11) or quarter (2026 Q4) in the user's language."""
    if period == "quarter":
        return t("feedback.quarter_label", lang, year=start.year, q=(start.month - 1) // 3 + 1)
    return t("feedback.month_label", lang, year=start.year, month=start.month)


def period_metrics(feedback: pd.DataFrame, period: str, start: pd.Timestamp, settings: Settings, now: datetime,
                   lang: str) -> list[dict[str, str]]:
    """Return the period's headline numbers as `st.metric` arguments (label, value, help); "—" where there is none."""
    s = feedback_summary(feedback, *_bounds(start, period), settings, now=now)
    within = None if s["within_sla_share"] is None else s["within_sla_share"] * 100
    shown = {"csat": _percent(s["csat_pct"]), "nps": _signed(s["nps"]), "complaints": str(s["complaint_count"]),
             "median": _duration(s["median_hours_to_resolve"], lang), "within": _percent(within),
             "open": f"{s['open_count']} / {s['overdue_count']}"}
    answers = {"csat": s["csat_answers"], "nps": s["nps_answers"]}
    return [{"label": t(f"feedback.m_{key}", lang, n=answers.get(key)), "value": value,
             "help": t(f"feedback.m_{key}_help", lang)} for key, value in shown.items()]


def period_topics(feedback: pd.DataFrame, period: str, start: pd.Timestamp, lang: str, n: int = 10) -> pd.DataFrame:
    """Return the words complaints received in the period mention most, with localised column names."""
    topics = top_topics(_received_in(feedback, *_bounds(start, period)), n=n, lang=lang)
    return topics.rename(columns={"topic": t("feedback.col_topic", lang), "count": t("feedback.col_mentions", lang)})


def period_breakdown(feedback: pd.DataFrame, period: str, start: pd.Timestamp, lang: str) -> pd.DataFrame:
    """Count the period's feedback by type (rows) and channel (columns), labels in the user's language."""
    df = _received_in(feedback, *_bounds(start, period))
    counts = pd.crosstab(df["type"].fillna(""), df["channel"].fillna(""))
    counts = counts.loc[_in_sheet_order(counts.index, "type"), _in_sheet_order(counts.columns, "channel")]
    counts.index = [schema.choice_label(TABLE, "type", k, lang) or NO_VALUE for k in counts.index]
    counts.columns = [schema.choice_label(TABLE, "channel", k, lang) or NO_VALUE for k in counts.columns]
    counts.index.name = field_label("type", lang)
    return counts


def period_trend(feedback: pd.DataFrame, period: str, settings: Settings, now: datetime, lang: str) -> pd.DataFrame:
    """Return every period's numbers, newest first, as text with localised column names."""
    by = feedback_by_period(feedback, PERIODS[period], settings=settings, now=now).iloc[::-1]
    return pd.DataFrame({
        t("feedback.period", lang): [period_label(p, period, lang) for p in by["period"]],
        t("feedback.col_responses", lang): by["responses"].tolist(),
        "CSAT": [_percent(None if pd.isna(v) else v) for v in by["csat_pct"]],
        "NPS": [_signed(None if pd.isna(v) else v) for v in by["nps"]],
        t("feedback.m_complaints", lang): by["complaint_count"].tolist(),
        t("feedback.m_median", lang): [_duration(None if pd.isna(v) else v, lang) for v in by["median_hours_to_resolve"]],
        t("feedback.m_within", lang): [_percent(None if pd.isna(v) else v * 100) for v in by["within_sla_share"]],
    })


def overdue_for_home(register: Register, user: User, now: datetime) -> int:
    """Count overdue complaints for the home page tile (lib.home.ATTENTION_COUNTERS signature)."""
    return overdue_complaints(register.frames[TABLE], now, settings=register.settings)


def _in_sheet_order(keys: Iterable[str], field_key: str) -> list[str]:
    """Sort choice keys as the sheet lists the choices; anything else (empty, unknown) goes last."""
    order = choices(field_key)
    return sorted(keys, key=lambda k: order.index(k) if k in order else len(order))


def _bounds(start: pd.Timestamp, period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return start, start + pd.tseries.frequencies.to_offset(PERIODS[period])


def _received_in(feedback: pd.DataFrame, start, end) -> pd.DataFrame:
    return feedback[(feedback["received_at"] >= pd.Timestamp(start)) & (feedback["received_at"] < pd.Timestamp(end))]


def _customers_shown(ids: pd.Series, customers: pd.DataFrame) -> np.ndarray:
    """Each customer ID as its customer's name, as the ID itself when no customer has it, "—" when empty."""
    known = customers[customers["customer_id"].isin(ids[ids != ""].unique())].drop_duplicates("customer_id")
    names = dict(zip(known["customer_id"], known["name"]))
    return _each_distinct(ids, lambda cid: names.get(cid, cid) or NO_VALUE)


def _choice_labels(keys: pd.Series, field_key: str, lang: str, *, empty: str | None = None) -> np.ndarray:
    """Each choice key by its label in the user's language; an empty key reads as `empty`."""
    return _each_distinct(keys.fillna(""), lambda k: schema.choice_label(TABLE, field_key, k or empty, lang))


def _times(values: pd.Series) -> pd.Series:
    """Each time to the minute ("" when there is none)."""
    return values.dt.strftime("%Y-%m-%d %H:%M").fillna("")


def _urgency(q: pd.DataFrame, lang: str) -> pd.Series:
    """Marker and words for how urgent each queue row is ("" for an active item without a due time)."""
    hours = q["hours_left"]
    kind = np.select([q["overdue"], q["due_today"], q["awaiting_call_back"], hours.notna()],
                     ["overdue", "due_today", "call_back", "due_in"], "")
    time = _durations(hours.where(kind != "overdue", -hours), lang)
    shown = np.full(len(q), "", dtype=object)
    for name, marker, key in (("overdue", "🔴", "feedback.overdue_by"), ("due_today", "🟠", "feedback.due_today"),
                              ("due_in", "🟢", "feedback.due_in")):
        rows = kind == name
        shown[rows] = _each_distinct(time[rows], lambda d: f"{marker} {t(key, lang, time=d)}")
    shown[kind == "call_back"] = "📞 " + t("feedback.call_back", lang)
    return pd.Series(shown, index=q.index)


def _durations(hours: pd.Series, lang: str) -> np.ndarray:
    """`_duration` for a column of hours, each distinct text worded once."""
    in_days = (hours.abs() >= 48).to_numpy()
    numbers = _numbers(hours.where(~in_days, hours / 24)).to_numpy()
    shown = np.full(len(hours), NO_VALUE, dtype=object)
    for key, rows in (("feedback.hours", ~in_days & hours.notna().to_numpy()), ("feedback.days", in_days)):
        shown[rows] = _each_distinct(numbers[rows], lambda n: t(key, lang, n=n))
    return shown


def _numbers(x: pd.Series) -> pd.Series:
    """`_number` for a column: one decimal for small numbers (5.5), none for larger ones (24)."""
    text = x.astype(object)
    tenths = text.map("{:.1f}".format).str.rstrip("0").str.rstrip(".")
    return tenths.where(x.abs() < 10, text.map("{:.0f}".format))


def _each_distinct(values: pd.Series | np.ndarray, show: Callable[[Any], str]) -> np.ndarray:
    """Apply `show` once to each distinct value and spread the results over the column."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return np.array([show(v) for v in distinct], dtype=object)[codes]


def _duration(hours: float | None, lang: str) -> str:
    """Show a number of hours as hours up to two days, as days beyond."""
    if hours is None or pd.isna(hours):
        return NO_VALUE
    if abs(hours) < 48:
        return t("feedback.hours", lang, n=_number(hours))
    return t("feedback.days", lang, n=_number(hours / 24))


def _number(x: float) -> str:
    """One decimal for small numbers (5.5), none for larger ones (24)."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{x:.0f}"


def _percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.0f} %"


def _signed(value: float | None) -> str:
    """Show an NPS with its sign (+25, -10, 0)."""
    if value is None:
        return NO_VALUE
    return f"{value:+.0f}" if round(value) else "0"


def _when(value) -> str:
    """Show a time to the minute ("" when there is none)."""
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _shown(table: str, f: schema.Field, value, lang: str) -> str:
    """Show a conflicting value as people read it (a choice by its label)."""
    value = _plain(value)
    if f.type == schema.CHOICE:
        return schema.choice_label(table, f.key, value, lang) if value else NO_VALUE
    return cells.write(f, value, lang) or NO_VALUE


# ---- helpers -------------------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def _label(field_key: str, lang: str) -> str:
    if field_key == "reason":
        return "原因" if lang == "zh" else "Reason"
    return schema.FEEDBACK.field(field_key).label(lang)


def _required(field_key: str) -> ValidationError:
    """A missing value, named in both languages."""
    zh, en = _label(field_key, "zh"), _label(field_key, "en")
    return ValidationError(f"请填写「{zh}」。", f"{en} is required.")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _choice(value, field_key: str, *, required: bool = False) -> str | None:
    """Check a choice key (`complaint`, `high`, …) against the field's choices."""
    value = _text(value)
    if not value:
        if required:
            raise _required(field_key)
        return None
    f = schema.FEEDBACK.field(field_key)
    if f.choice(value) is None:
        raise ValidationError(f"「{f.zh}」必须是以下之一：{'、'.join(c.zh for c in f.choices)}。",
                              f"{f.en} must be one of: {', '.join(c.en for c in f.choices)}.")
    return value


_SCORE_NAMES = {"csat": ("满意度", "CSAT"), "nps": ("推荐意愿", "NPS"), "follow_up_csat": ("回访满意度", "Follow-up CSAT")}


def _score(value, field_key: str) -> int | None:
    """Read a CSAT/NPS answer as a whole number within the field's range (None when not given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    f = schema.FEEDBACK.field(field_key)
    number = _whole_number(value)
    if number is None or not f.low <= number <= f.high:
        zh, en = _SCORE_NAMES[field_key]
        raise ValidationError(f"{zh}必须是 {f.low} 到 {f.high} 的整数",
                              f"{en} must be a whole number from {f.low} to {f.high}")
    return number


def _whole_number(value) -> int | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())   # int() also reads full-width digits ("４")
        except ValueError:
            return None
    return None


def _datetime(value, field_key: str) -> datetime | None:
    if value is None or value is pd.NaT or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    f = schema.FEEDBACK.field(field_key)
    raise ValidationError(f"「{f.zh}」必须是日期和时间。", f"{f.en} must be a date and time.")


def _plain(value):
    """Turn a value from a typed frame into a plain Python value (NaT/<NA> become None)."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _feedback(register: Register, feedback_id: str, lang: str) -> dict:
    """Return one feedback record as plain values, or raise naming what is wrong."""
    df = register.frames[TABLE]
    hits = df[df["feedback_id"] == feedback_id]
    label = schema.FEEDBACK.label(lang)
    if hits.empty:
        raise RecordNotFound(label, feedback_id)
    if len(hits) > 1:
        raise DuplicateIdError(label, feedback_id, hits["_row"].tolist())
    return {k: _plain(v) for k, v in hits.iloc[0].to_dict().items()}


def _customer(register: Register, customer_id: str) -> dict:
    df = register.frames["customers"]
    hits = df[df["customer_id"] == customer_id]
    if hits.empty:
        raise ValidationError(f"找不到客户编号 {customer_id}，请检查「客户编号」。",
                              f"No customer has ID {customer_id}; check the Customer ID.")
    return hits.iloc[0].to_dict()


def _initial_assignee(register: Register, user: User, customer_id: str, wanted: str) -> str:
    """The person named when logging, else the customer's owner, else whoever logged it."""
    if wanted:
        if not _same_person(wanted, user.email):
            auth.require(user, "assign_complaints")
        return wanted
    owner = _text(_customer(register, customer_id).get("owner")) if customer_id else ""
    return owner or user.email


def _fold(person) -> str:
    return _text(person).casefold()


def _same_person(a, b) -> bool:
    return _fold(a) == _fold(b)


def _require_may_work_on(user: User, item: dict, *, closing: bool) -> None:
    """Staff work on their own items only; managers may work on and close anyone's."""
    refusal = _work_refusal(user, item, closing=closing)
    if refusal is not None:
        raise refusal


def _work_refusal(user: User, item: dict, *, closing: bool) -> PermissionDenied | None:
    """The refusal a user gets for working on this item, or None when they may."""
    if _same_person(item["assignee"], user.email):
        return None
    if auth.can(user, "close_complaints" if closing else "assign_complaints"):
        return None
    who = item["assignee"] or "—"
    fid = item["feedback_id"]
    return PermissionDenied(
        f"反馈 {fid} 由 {who} 处理，只有处理人或经理可以{'关闭' if closing else '更改'}它；本次操作未执行。",
        f"Feedback {fid} is assigned to {who}; only they or a manager may {'close' if closing else 'change'} it. "
        "Nothing was done.")


def _refuse_if_closed(item: dict, feedback_id: str) -> None:
    if item["status"] == "closed":
        raise ValidationError(f"反馈 {feedback_id} 已关闭，请先重新打开。",
                              f"Feedback {feedback_id} is closed; reopen it first.")


def _status_label(status: str, lang: str) -> str:
    return schema.choice_label(TABLE, "status", status, lang)


def _status(df: pd.DataFrame) -> pd.Series:
    """Status per row; an empty status cell counts as new."""
    return df["status"].fillna("new")


def with_due(feedback: pd.DataFrame, settings: Settings | None) -> pd.DataFrame:
    """Fill the due time of complaints typed by hand without one, from `sla.hours` (with settings)."""
    if settings is None:
        return feedback
    missing = feedback["type"].isin(WORKFLOW_TYPES) & feedback["due_at"].isna() & feedback["received_at"].notna()
    if not missing.any():
        return feedback
    df = feedback.copy()
    hours = df.loc[missing, "priority"].map(lambda p: _sla_hours(p, settings))
    df.loc[missing, "due_at"] = df.loc[missing, "received_at"] + pd.to_timedelta(hours.astype("float64"), unit="h")
    return df


def _scores(column: pd.Series, low: int, high: int) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce").dropna()
    return values[(values >= low) & (values <= high)].astype("int64")


def _hours_to_resolve(complaints: pd.DataFrame) -> pd.Series:
    done = complaints[complaints["resolved_at"].notna() & complaints["received_at"].notna()]
    return ((done["resolved_at"] - done["received_at"]) / pd.Timedelta(hours=1)).astype("float64")


def _period_starts(feedback: pd.DataFrame, freq: str) -> pd.DatetimeIndex:
    received = feedback["received_at"].dropna()
    if received.empty:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    step = pd.tseries.frequencies.to_offset(freq)
    first = step.rollback(received.min().normalize())
    return pd.date_range(first, received.max(), freq=freq).astype("datetime64[ns]")
