"""What the home page shows: counts per tab, data health and the items that need attention."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from lib import auth, feedback, followups, schema, tiers
from lib.i18n import t
from lib.register import Register


def counts_table(reg: Register, lang: str) -> pd.DataFrame:
    """Rows per tab with the tab's label in the user's language."""
    health = reg.data_health
    return pd.DataFrame([{t("home.col_tab", lang): schema.TABLES[k].label(lang),
                          t("home.col_rows", lang): v["rows"],
                          t("home.col_unreadable", lang): v["unreadable"],
                          t("home.col_missing_ids", lang): v["missing_ids"],
                          t("home.col_duplicate_ids", lang): v["duplicate_ids"]}
                         for k, v in health.items()])


def health_table(reg: Register, lang: str) -> pd.DataFrame:
    """Every data problem with its place: unreadable cells, rows without ID, duplicate IDs, incomplete rows."""
    rows = [{"tab": schema.TABLES[i.table].label(lang), "row": i.row, "column": i.column,
             "problem": i.describe(lang)} for i in reg.issues]
    for table, numbers in reg.missing_ids.items():
        rows += [{"tab": schema.TABLES[table].label(lang), "row": r, "column": "",
                  "problem": t("home.no_id", lang)} for r in numbers]
    for table, ids in reg.duplicate_ids.items():
        rows += [{"tab": schema.TABLES[table].label(lang), "row": r, "column": "",
                  "problem": t("home.duplicate_id", lang, id=rid)} for rid, numbers in ids.items() for r in numbers]
    for table, numbers in reg.missing_required.items():
        rows += [{"tab": schema.TABLES[table].label(lang), "row": r, "column": "",
                  "problem": t("home.incomplete", lang)} for r in numbers]
    frame = pd.DataFrame(rows, columns=["tab", "row", "column", "problem"])
    return frame.rename(columns={c: t(f"home.col_{c}", lang) for c in frame.columns})


def attention(reg: Register, user: auth.User, now: datetime) -> dict[str, int]:
    """Counts for the home page tiles: customers, open items, and what is due."""
    customers = reg.frame("customers")
    active = customers[~customers["archived"]]
    out = {"active_customers": len(active)}
    for name, counter in ATTENTION_COUNTERS:
        out[name] = counter(reg, user, now)
    return out


# The home page's tiles after "active customers": (name, function(reg, user, now) -> int).
ATTENTION_COUNTERS: list = [
    ("overdue_complaints", feedback.overdue_for_home),
    ("review_due", tiers.review_due_count),
    ("overdue_follow_ups", followups.overdue_follow_ups),
]
