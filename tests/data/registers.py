"""A small register with known customers, contacts, interactions, deals, feedback and tier history."""
from __future__ import annotations

from datetime import date, datetime

from lib import cells, schema
from lib.settings import default_rows
from lib.store.base import RawRegister, RawTab

TODAY = date(2026, 11, 20)

CUSTOMERS = [
    {"customer_id": "C-000001", "name": "上海华信科技有限公司", "industry": "制造业", "size": "large", "region": "上海",
     "source": "referral", "stage": "customer", "tier": "A", "owner": "zhang.wei@example.com", "needs": "ERP 升级",
     "budget": 120000.0, "next_follow_up": date(2026, 11, 10), "key_date": date(2020, 11, 28),
     "created_at": datetime(2025, 1, 5, 9), "updated_at": datetime(2026, 11, 1, 15),
     "updated_by": "zhang.wei@example.com", "archived": False},
    {"customer_id": "C-000002", "name": "Harbor Logistics Co., Ltd.", "industry": "Logistics", "size": "medium",
     "region": "Shenzhen", "source": "marketing", "stage": "interested", "tier": "B", "owner": "li.na@example.com",
     "budget": 50000.0, "created_at": datetime(2025, 6, 1, 9), "updated_at": datetime(2026, 9, 15, 15),
     "updated_by": "li.na@example.com", "archived": False},
    {"customer_id": "C-000003", "name": "北京众诚软件有限公司", "industry": "软件", "size": "small", "region": "北京",
     "source": "inbound", "stage": "prospect", "tier": "C", "owner": "zhang.wei@example.com",
     "created_at": datetime(2026, 10, 1, 9), "updated_at": datetime(2026, 10, 1, 9),
     "updated_by": "zhang.wei@example.com", "archived": False},
    {"customer_id": "C-000004", "name": "深圳锦程物流有限公司", "industry": "物流", "region": "深圳", "stage": "lost",
     "tier": "C", "owner": "li.na@example.com", "created_at": datetime(2024, 3, 1, 9),
     "updated_at": datetime(2025, 12, 1, 9), "updated_by": "li.na@example.com", "archived": True},
    {"customer_id": "C-000005", "name": "Northwind Foods Co., Ltd.", "industry": "Food service", "region": "Singapore",
     "stage": "customer", "tier": "B", "owner": "zhang.wei@example.com", "budget": 80000.0,
     "created_at": datetime(2025, 2, 1, 9), "updated_at": datetime(2026, 5, 1, 9),
     "updated_by": "zhang.wei@example.com", "archived": False},
]
CONTACTS = [
    {"contact_id": "P-000001", "customer_id": "C-000001", "name": "王伟", "title": "采购经理", "phone": "13800138000",
     "email": "wang.wei@huaxin.cn", "wechat": "wx_wangwei", "birthday": date(1980, 11, 25), "is_primary": True},
    {"contact_id": "P-000002", "customer_id": "C-000001", "name": "李娜", "title": "财务总监", "phone": "13900139000",
     "email": "li.na@huaxin.cn", "is_primary": False},
    {"contact_id": "P-000003", "customer_id": "C-000002", "name": "Emily Tan", "phone": "13711112222",
     "email": "emily@harbor.example", "birthday": date(1992, 2, 29), "is_primary": True},
    {"contact_id": "P-000004", "customer_id": "C-000003", "name": "张敏", "phone": "13622223333", "is_primary": True},
    {"contact_id": "P-000005", "customer_id": "C-000005", "name": "James Lee", "phone": "13533334444",
     "email": "james@northwind.example", "is_primary": True},
]
INTERACTIONS = [
    {"interaction_id": "I-000001", "customer_id": "C-000001", "date": date(2026, 10, 1), "channel": "phone",
     "summary": "续约电话", "next_date": date(2026, 11, 10), "by": "zhang.wei@example.com"},
    {"interaction_id": "I-000002", "customer_id": "C-000001", "date": date(2026, 11, 1), "channel": "visit",
     "summary": "上门拜访", "by": "zhang.wei@example.com"},
    {"interaction_id": "I-000003", "customer_id": "C-000002", "date": date(2026, 9, 15), "channel": "email",
     "summary": "Sent the quotation", "by": "li.na@example.com"},
]
TRANSACTIONS = [
    {"txn_id": "T-000001", "customer_id": "C-000001", "date": date(2025, 3, 1), "item": "年度软件订阅",
     "amount": 100000.0, "profit": 30000.0, "status": "paid"},
    {"txn_id": "T-000002", "customer_id": "C-000001", "date": date(2026, 6, 1), "item": "实施服务",
     "amount": 50000.0, "profit": 10000.0, "status": "delivered"},
    {"txn_id": "T-000003", "customer_id": "C-000001", "date": date(2026, 8, 1), "item": "硬件设备",
     "amount": 20000.0, "profit": 5000.0, "status": "cancelled"},
    {"txn_id": "T-000004", "customer_id": "C-000005", "date": date(2026, 5, 1), "item": "Training",
     "amount": 80000.0, "profit": 20000.0, "status": "paid"},
]
FEEDBACK = [
    {"feedback_id": "F-000001", "customer_id": "C-000001", "received_at": datetime(2026, 11, 18, 9),
     "type": "complaint", "channel": "phone", "priority": "high", "description": "发货延迟三天",
     "assignee": "zhang.wei@example.com", "status": "new", "due_at": datetime(2026, 11, 19, 9)},
    {"feedback_id": "F-000002", "customer_id": "C-000003", "received_at": datetime(2026, 10, 2, 9),
     "type": "inquiry", "channel": "email", "priority": "low", "description": "咨询价格", "status": "closed"},
]
TIER_HISTORY = [
    {"customer_id": "C-000001", "from_tier": "B", "to_tier": "A", "score": "78.5", "method": "score",
     "reviewed_at": datetime(2026, 5, 1, 10), "reviewer": "manager@example.com", "reason": "半年评审"},
    {"customer_id": "C-000003", "from_tier": None, "to_tier": "C", "score": "20", "method": "score",
     "reviewed_at": datetime(2026, 10, 5, 10), "reviewer": "manager@example.com", "reason": ""},
]


def small_register(lang: str = "en", **overrides: list[dict]) -> RawRegister:
    """The small register as stored text; `overrides` replaces a table's rows (customers=[…])."""
    rows = {"customers": CUSTOMERS, "contacts": CONTACTS, "interactions": INTERACTIONS,
            "transactions": TRANSACTIONS, "feedback": FEEDBACK, "tier_history": TIER_HISTORY, "audit": [],
            "settings": default_rows(), **overrides}
    tabs = {}
    for key, t in schema.TABLES.items():
        texts = [[cells.write(f, r.get(f.key), lang) for f in t.fields] for r in rows.get(key, [])]
        tabs[key] = RawTab(key, t.label(lang), schema.header_labels(key, lang), texts,
                           [i + 2 for i in range(len(texts))])
    return RawRegister(tabs, lang, datetime(2026, 11, 20, 10))
