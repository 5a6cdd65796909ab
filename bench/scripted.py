"""The saves the benchmark makes, the same for every backend and every approach compared."""
from __future__ import annotations

from datetime import date, datetime

from lib import auth, customers, feedback, tiers
from lib.register import Register
from lib.store.base import ChangeSet, RawRegister, Store

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, 0, 0)
STAFF = auth.User("staff@example.com", "Staff", "staff")
MANAGER = auth.User("manager@example.com", "Manager", "manager")
APPROVALS = 200


def first_customer(reg: Register) -> str:
    return str(reg.frame("customers")["customer_id"].iloc[0])


def add_customer(store: Store, reg: Register):
    """One new customer with its primary contact, entered by a staff member."""
    return customers.add_customer(
        store, reg, STAFF,
        {"name": "基准测试新客户有限公司", "industry": "软件", "size": "small", "region": "上海", "source": "inbound",
         "owner": STAFF.email, "budget": 120000, "needs": "数据分析"},
        {"name": "测试联系人", "title": "采购经理", "phone": "13900000000", "email": "bench@example.com"},
        lang="zh", now=NOW)


def update_customer(store: Store, reg: Register):
    """One field of one customer changed."""
    return customers.update_customer(store, reg, STAFF, first_customer(reg), {"notes": "基准测试：更新一个字段"},
                                     lang="zh", now=NOW)


def log_complaint(store: Store, reg: Register):
    """One complaint logged on the feedback page."""
    return feedback.log_feedback(store, reg, STAFF, {"type": "complaint", "priority": "high", "channel": "phone",
                                                     "customer_id": first_customer(reg),
                                                     "description": "基准测试：发货延迟"}, "zh", now=NOW)


def approval_decisions(reg: Register, proposal, count: int = APPROVALS) -> list[dict]:
    """The first `count` proposals (changed tiers first), as a manager approves them on the tier page."""
    usable = proposal[proposal["proposed_tier"].notna() & (proposal["customer_id"] != first_customer(reg))]
    ordered = usable.assign(_same=~usable["change"].isin(["up", "down"])).sort_values("_same", kind="stable")
    return [{"customer_id": r["customer_id"], "to_tier": r["proposed_tier"], "score": r["score"], "method": "score"}
            for r in ordered.head(count).to_dict("records")]


def approve(store: Store, reg: Register, decisions: list[dict]):
    """A manager approves these tier decisions in one save."""
    return tiers.approve_tiers(store, reg, MANAGER, decisions, "zh", today=TODAY)


class RecordingStore(Store):
    """A store that keeps the change sets it is asked to save instead of saving them."""

    kind = "recording"

    def __init__(self):
        self.saved: list[ChangeSet] = []

    def load(self, *, patient: bool = True) -> RawRegister:
        raise NotImplementedError

    def save(self, changes: ChangeSet) -> None:
        self.saved.append(changes)

    def ensure_layout(self, lang: str) -> list[str]:
        return []

    def is_empty(self) -> bool:
        return True

    def clear(self) -> None:
        raise NotImplementedError

    def restore(self, raw: RawRegister, progress=None) -> None:
        raise NotImplementedError


def change_sets(reg: Register) -> dict[str, ChangeSet]:
    """The change sets of the scripted day's three kinds of save, built on this register without saving."""
    recorder = RecordingStore()
    add_customer(recorder, reg)
    log_complaint(recorder, reg)
    approve(recorder, reg, approval_decisions(reg, tiers.propose_tiers(reg.frames, reg.settings, TODAY)))
    return dict(zip(("customer", "feedback", "approval"), recorder.saved))
