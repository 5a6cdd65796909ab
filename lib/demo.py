"""A realistic, bilingual demo register (and the generator the benchmarks use at any size)."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from lib import schema
from lib.settings import default_rows
from lib.store.base import RawRegister, raw_from_records

_CITIES = [("上海", "Shanghai"), ("北京", "Beijing"), ("深圳", "Shenzhen"), ("杭州", "Hangzhou"),
           ("广州", "Guangzhou"), ("成都", "Chengdu"), ("苏州", "Suzhou"), ("武汉", "Wuhan"),
           ("南京", "Nanjing"), ("Singapore", "Singapore")]
_INDUSTRIES = [("制造业", "Manufacturing"), ("零售", "Retail"), ("软件", "Software"), ("医疗", "Healthcare"),
               ("教育", "Education"), ("物流", "Logistics"), ("金融", "Finance"), ("餐饮", "Food service")]
_ZH_STEMS = ["华信", "恒通", "安达", "瑞丰", "博远", "新拓", "云帆", "众诚", "鼎盛", "嘉禾", "启明", "宏图",
             "天成", "锦程", "远航", "合力", "星辰", "海纳", "正泰", "万象"]
_ZH_TRADES = ["科技", "贸易", "制造", "物流", "医疗器械", "教育咨询", "食品", "电子", "软件", "供应链"]
_EN_STEMS = ["Harbor", "Summit", "Bluepeak", "Northwind", "Everbright", "Lumen", "Crestline", "Oakridge",
             "Pioneer", "Silverline"]
_EN_TRADES = ["Logistics", "Foods", "Systems", "Medical", "Trading", "Robotics", "Learning", "Analytics"]
_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"]
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
_EN_NAMES = ["Emily Tan", "James Lee", "Olivia Ng", "Daniel Lim", "Grace Wong", "Ryan Chen"]
_TITLES = [("采购经理", "Purchasing manager"), ("总经理", "General manager"), ("IT 主管", "IT lead"),
           ("财务总监", "Finance director"), ("运营负责人", "Head of operations")]
_OWNERS = ["zhang.wei@example.com", "li.na@example.com", "wang.fang@example.com", "chen.jie@example.com"]
_ITEMS = [("年度软件订阅", "Annual subscription"), ("实施服务", "Implementation"), ("硬件设备", "Hardware"),
          ("培训课程", "Training"), ("技术支持包", "Support package"), ("定制开发", "Custom development")]
_SUMMARIES = [("电话沟通续约事宜", "Call about the renewal"), ("上门演示新版本", "On-site demo of the new release"),
              ("发送报价单", "Sent the quotation"), ("讨论交付时间表", "Discussed the delivery schedule"),
              ("微信确认需求细节", "Confirmed requirements on WeChat"), ("季度业务回顾会议", "Quarterly business review")]
_COMPLAINTS = [("发货延迟三天，影响生产", "Delivery three days late, production affected"),
               ("发票抬头错误，需要重开", "Invoice header wrong, needs reissuing"),
               ("系统登录缓慢，客服响应慢", "Slow login and slow support response"),
               ("产品质量问题，包装破损", "Quality problem, damaged packaging"),
               ("价格比合同高", "Price higher than contract")]
_OTHER_FEEDBACK = [("建议增加移动端功能", "Please add a mobile app", "suggestion"),
                   ("咨询升级方案和价格", "Asked about upgrade options and prices", "inquiry"),
                   ("感谢实施团队的专业服务", "Thanks to the implementation team", "praise"),
                   ("年度满意度调查", "Annual satisfaction survey", "survey")]


def _company(rng: random.Random, i: int) -> tuple[str, str, str]:
    city_zh, city_en = rng.choice(_CITIES)
    if i % 4 == 3:
        return f"{rng.choice(_EN_STEMS)} {rng.choice(_EN_TRADES)} Co., Ltd.", city_en, city_zh
    return f"{city_zh}{rng.choice(_ZH_STEMS)}{rng.choice(_ZH_TRADES)}有限公司", city_en, city_zh


def generate(customers: int = 200, *, seed: int = 7, today: date | None = None, lang: str = "zh",
             contacts_per: float = 1.6, interactions_per: float = 6.0, transactions_per: float = 5.0,
             feedback_per: float = 1.2, years: int = 2) -> RawRegister:
    """Return a register of `customers` customers with contacts, interactions, deals and feedback."""
    rng = random.Random(seed)
    today = today or date.today()
    start = today - timedelta(days=365 * years)
    rows: dict[str, list[dict]] = {key: [] for key in schema.TABLES}
    counters = {key: 0 for key in schema.TABLES}

    def next_id(table: str) -> str:
        counters[table] += 1
        return f"{schema.TABLES[table].id_prefix}{counters[table]:06d}"

    def when(after: date) -> date:
        span = max((today - after).days, 1)
        return after + timedelta(days=int(span * rng.random() ** 0.7))

    for i in range(customers):
        cid = next_id("customers")
        name, region_en, region_zh = _company(rng, i)
        created = start + timedelta(days=rng.randrange(0, 365 * years))
        weight = rng.paretovariate(1.3)  # a few customers bring most of the business
        stage = rng.choices(["prospect", "interested", "customer", "lost"], [15, 20, 57, 8])[0]
        industry = rng.choice(_INDUSTRIES)
        owner = rng.choice(_OWNERS)
        tier = rng.choices(["A", "B", "C", None], [15, 30, 45, 10])[0]
        rows["customers"].append({
            "customer_id": cid, "name": name, "industry": industry[0 if lang == "zh" else 1],
            "size": rng.choice(["large", "medium", "small"]), "region": region_zh if lang == "zh" else region_en,
            "address": f"{region_zh}市{rng.randint(1, 999)}号" if lang == "zh" else f"{rng.randint(1, 999)} Main Rd",
            "source": rng.choice([c.key for c in schema.SOURCES]), "stage": stage, "tier": tier,
            "owner": owner, "needs": rng.choice(["ERP 升级", "数据分析", "设备维护", "Cloud migration", "培训"]),
            "budget": round(rng.choice([5, 8, 12, 20, 35, 50, 80, 120]) * 10000 * min(weight, 4), -3),
            "next_follow_up": today + timedelta(days=rng.randint(-20, 60)) if rng.random() < 0.6 else None,
            "key_date": date(today.year, rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.3 else None,
            "tier_reviewed_at": today - timedelta(days=rng.randint(10, 300)) if tier else None,
            "notes": "", "created_at": datetime.combine(created, datetime.min.time()).replace(hour=9),
            "updated_at": datetime.combine(when(created), datetime.min.time()).replace(hour=15),
            "updated_by": owner, "archived": stage == "lost" and rng.random() < 0.3,
        })
        for j in range(max(1, round(rng.gauss(contacts_per, 0.7)))):
            person = (rng.choice(_SURNAMES) + rng.choice(_GIVEN) + ("" if rng.random() < 0.5 else rng.choice(_GIVEN))
                      if i % 4 != 3 else rng.choice(_EN_NAMES))
            rows["contacts"].append({
                "contact_id": next_id("contacts"), "customer_id": cid, "name": person,
                "title": rng.choice(_TITLES)[0 if lang == "zh" else 1],
                "phone": f"1{rng.choice([3, 5, 8])}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                "email": f"contact{counters['contacts']}@example.com",
                "wechat": f"wx_{counters['contacts']:05d}" if rng.random() < 0.7 else "",
                "birthday": date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.5 else None,
                "is_primary": j == 0, "notes": "",
            })
        for _ in range(rng.randint(0, int(interactions_per * 2))):
            d = when(created)
            summary = rng.choice(_SUMMARIES)
            rows["interactions"].append({
                "interaction_id": next_id("interactions"), "customer_id": cid, "date": d,
                "channel": rng.choice(["phone", "email", "meeting", "visit", "wechat", "event"]),
                "summary": summary[0 if lang == "zh" else 1], "next_step": "",
                "next_date": d + timedelta(days=rng.randint(7, 45)) if rng.random() < 0.4 else None, "by": owner,
            })
        deals = 0 if stage in ("prospect", "interested") else rng.randint(0, int(transactions_per * 2 * min(weight, 2)))
        for _ in range(deals):
            d = when(created)
            amount = round(rng.lognormvariate(10, 0.8) * weight, -2)
            rows["transactions"].append({
                "txn_id": next_id("transactions"), "customer_id": cid, "date": d,
                "item": rng.choice(_ITEMS)[0 if lang == "zh" else 1], "amount": amount,
                "profit": round(amount * rng.uniform(0.15, 0.45), -2),
                "payment": rng.choice(["银行转账", "支票", "Bank transfer", "承兑汇票"]),
                "status": rng.choices(["paid", "delivered", "signed", "cancelled"], [70, 15, 10, 5])[0],
            })
        for _ in range(rng.randint(0, int(feedback_per * 2))):
            received = datetime.combine(when(created), datetime.min.time()) + timedelta(hours=rng.randint(8, 19))
            if rng.random() < 0.4:
                text = rng.choice(_COMPLAINTS)[0 if lang == "zh" else 1]
                priority = rng.choice(["high", "medium", "low"])
                hours = {"high": 24, "medium": 72, "low": 168}[priority]
                due = received + timedelta(hours=hours)
                age = datetime.combine(today, datetime.min.time()) - received
                status = "new" if age.days < 3 else rng.choices(["in_progress", "resolved", "closed"], [10, 20, 70])[0]
                resolved = received + timedelta(hours=rng.uniform(2, hours * 1.5)) if status in ("resolved", "closed") else None
                rows["feedback"].append({
                    "feedback_id": next_id("feedback"), "customer_id": cid, "received_at": received,
                    "type": "complaint", "channel": rng.choice(["phone", "email", "wechat"]), "priority": priority,
                    "csat": None, "nps": None, "description": text, "assignee": owner, "status": status,
                    "due_at": due, "resolved_at": resolved,
                    "resolution": ("已道歉并补发" if lang == "zh" else "Apologised and resent") if resolved else "",
                    "follow_up_csat": rng.randint(3, 5) if status == "closed" else None,
                })
            else:
                text_zh, text_en, kind = rng.choice(_OTHER_FEEDBACK)
                rows["feedback"].append({
                    "feedback_id": next_id("feedback"), "customer_id": cid, "received_at": received,
                    "type": kind, "channel": rng.choice(["phone", "email", "event", "wechat"]), "priority": "low",
                    "csat": rng.choices([1, 2, 3, 4, 5], [3, 5, 15, 40, 37])[0],
                    "nps": rng.choices(range(11), [1, 1, 1, 2, 2, 3, 5, 10, 20, 25, 30])[0],
                    "description": text_zh if lang == "zh" else text_en, "assignee": "", "status": "closed",
                    "due_at": None, "resolved_at": None, "resolution": "", "follow_up_csat": None,
                })
        if tier and rng.random() < 0.5:
            rows["tier_history"].append({
                "customer_id": cid, "from_tier": rng.choice(["B", "C"]), "to_tier": tier, "score": f"{rng.uniform(30, 90):.1f}",
                "method": "score", "reviewed_at": datetime.combine(today - timedelta(days=rng.randint(30, 300)),
                                                                   datetime.min.time()).replace(hour=10),
                "reviewer": "manager@example.com", "reason": ""})
    for s in default_rows():
        rows["settings"].append(s)
    return raw_from_records(rows, lang, datetime.now().replace(microsecond=0), demo=True)
