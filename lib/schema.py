"""The register's tables, fields, labels (中文/English) and choices — the sheet contract of DESIGN.md."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

LANGS = ("zh", "en")

# Field types understood by lib.cells.
ID, TEXT, CHOICE, MONEY, DATE, DATETIME, BOOL, INT, PHONE, EMAIL = (
    "id", "text", "choice", "money", "date", "datetime", "bool", "int", "phone", "email")


@dataclass(frozen=True)
class Choice:
    """One allowed value of a choice column, with the spellings people type for it."""
    key: str
    zh: str
    en: str
    variants: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Field:
    """One column of a tab."""
    key: str
    zh: str
    en: str
    type: str = TEXT
    choices: tuple[Choice, ...] = ()
    required: bool = False
    low: int | None = None   # inclusive bounds for INT fields (CSAT 1–5, NPS 0–10)
    high: int | None = None
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def choice(self, key: str) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)


@dataclass(frozen=True)
class Table:
    """One tab of the spreadsheet (one SQL table)."""
    key: str
    zh: str
    en: str
    fields: tuple[Field, ...]
    id_field: str | None = None       # None: append-only (tier history, audit log)
    id_prefix: str = ""
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self.key}.{key}")

    def has(self, key: str) -> bool:
        return any(f.key == key for f in self.fields)


def _c(key: str, zh: str, en: str, *variants: str) -> Choice:
    return Choice(key, zh, en, variants)


SIZES = (_c("large", "大型", "Large", "大", "大型企业", "大客户", "l"),
         _c("medium", "中型", "Medium", "中", "中型企业", "m", "mid"),
         _c("small", "小型", "Small", "小", "小型企业", "小微", "s"))
SOURCES = (_c("marketing", "市场活动", "Marketing", "展会", "市场", "campaign"),
           _c("sales_visit", "销售拜访", "Sales visit", "拜访", "陌拜", "visit"),
           _c("inbound", "主动咨询", "Inbound", "咨询", "来电", "官网"),
           _c("partner", "合作伙伴推荐", "Partner referral", "合作伙伴", "伙伴推荐", "partner"),
           _c("referral", "老客户介绍", "Customer referral", "客户介绍", "转介绍", "referral"),
           _c("other", "其他", "Other", "其它"))
STAGES = (_c("prospect", "潜在", "Prospect", "潜在客户", "线索", "lead"),
          _c("interested", "意向", "Interested", "意向客户", "有意向", "opportunity"),
          _c("customer", "成交", "Customer", "成交客户", "已成交", "客户", "签约客户", "won"),
          _c("lost", "流失", "Lost", "流失客户", "已流失", "churned"))
TIERS = (_c("A", "A", "A", "a级", "a类", "关键客户", "重点客户", "key"),
         _c("B", "B", "B", "b级", "b类", "主要客户", "major"),
         _c("C", "C", "C", "c级", "c类", "普通客户", "一般客户", "regular"))
CHANNELS = (_c("phone", "电话", "Phone", "来电", "致电", "call", "tel"),
            _c("email", "邮件", "Email", "电子邮件", "e-mail", "mail"),
            _c("meeting", "会议", "Meeting", "开会", "视频会议", "线上会议"),
            _c("visit", "拜访", "Visit", "上门", "面谈", "走访"),
            _c("wechat", "微信", "WeChat", "wx", "企业微信"),
            _c("event", "活动", "Event", "展会"),
            _c("other", "其他", "Other", "其它"))
TXN_STATUSES = (_c("signed", "已签约", "Signed", "签约", "合同已签"),
                _c("delivered", "已交付", "Delivered", "交付", "已发货"),
                _c("paid", "已回款", "Paid", "回款", "已付款", "已收款"),
                _c("cancelled", "已取消", "Cancelled", "取消", "canceled", "作废"))
FEEDBACK_TYPES = (_c("survey", "满意度调查", "Survey", "调查", "问卷", "满意度"),
                  _c("complaint", "投诉", "Complaint", "客诉"),
                  _c("suggestion", "建议", "Suggestion", "意见", "idea"),
                  _c("inquiry", "咨询", "Inquiry", "询问", "enquiry", "question"),
                  _c("praise", "表扬", "Praise", "好评", "感谢", "compliment"))
PRIORITIES = (_c("high", "高", "High", "紧急", "急", "高优先级", "urgent"),
              _c("medium", "中", "Medium", "一般", "普通", "normal"),
              _c("low", "低", "Low", "不急", "低优先级"))
FEEDBACK_STATUSES = (_c("new", "新建", "New", "新", "待处理", "open"),
                     _c("in_progress", "处理中", "In progress", "进行中", "跟进中", "working"),
                     _c("resolved", "已解决", "Resolved", "解决", "已处理"),
                     _c("closed", "已关闭", "Closed", "关闭", "完结", "已完结"))

F = Field
CUSTOMERS = Table("customers", "客户档案", "Customers", id_field="customer_id", id_prefix="C-", fields=(
    F("customer_id", "客户编号", "Customer ID", ID),
    F("name", "客户名称", "Customer name", required=True, aliases=("客户", "公司名称", "公司", "company", "name")),
    F("industry", "所属行业", "Industry", aliases=("行业",)),
    F("size", "客户规模", "Size", CHOICE, SIZES, aliases=("规模",)),
    F("region", "地区", "Region", aliases=("区域", "城市")),
    F("address", "地址", "Address"),
    F("source", "客户来源", "Source", CHOICE, SOURCES, aliases=("来源",)),
    F("stage", "合作阶段", "Stage", CHOICE, STAGES, aliases=("阶段", "状态")),
    F("tier", "客户级别", "Tier", CHOICE, TIERS, aliases=("级别", "等级", "客户等级", "grade")),
    F("owner", "负责人", "Owner", aliases=("客户经理", "销售", "业务员")),
    F("needs", "客户需求", "Needs", aliases=("需求",)),
    F("budget", "采购预算", "Budget", MONEY, aliases=("预算",)),
    F("next_follow_up", "下次回访", "Next follow-up", DATE, aliases=("下次跟进", "回访日期")),
    F("key_date", "重要日期", "Key date", DATE),
    F("tier_reviewed_at", "分级评审日期", "Tier reviewed", DATE),
    F("notes", "备注", "Notes", aliases=("说明",)),
    F("created_at", "创建时间", "Created", DATETIME),
    F("updated_at", "更新时间", "Updated", DATETIME),
    F("updated_by", "更新人", "Updated by"),
    F("archived", "已归档", "Archived", BOOL),
))
CONTACTS = Table("contacts", "联系人", "Contacts", id_field="contact_id", id_prefix="P-", fields=(
    F("contact_id", "联系人编号", "Contact ID", ID),
    F("customer_id", "客户编号", "Customer ID", ID),
    F("name", "姓名", "Name", required=True, aliases=("联系人",)),
    F("title", "职位", "Title", aliases=("职务",)),
    F("phone", "电话", "Phone", PHONE, aliases=("手机", "手机号", "联系电话", "mobile")),
    F("email", "邮箱", "Email", EMAIL, aliases=("电子邮箱", "e-mail", "mail")),
    F("wechat", "微信", "WeChat", aliases=("微信号",)),
    F("birthday", "生日", "Birthday", DATE),
    F("is_primary", "主要联系人", "Primary", BOOL),
    F("notes", "备注", "Notes"),
))
INTERACTIONS = Table("interactions", "沟通记录", "Interactions", id_field="interaction_id", id_prefix="I-", fields=(
    F("interaction_id", "记录编号", "Record ID", ID),
    F("customer_id", "客户编号", "Customer ID", ID),
    F("date", "日期", "Date", DATE),
    F("channel", "方式", "Channel", CHOICE, CHANNELS, aliases=("沟通方式",)),
    F("summary", "内容摘要", "Summary", aliases=("内容", "摘要")),
    F("next_step", "下一步", "Next step"),
    F("next_date", "下次跟进", "Next follow-up", DATE),
    F("by", "记录人", "Recorded by"),
))
TRANSACTIONS = Table("transactions", "交易记录", "Transactions", id_field="txn_id", id_prefix="T-", fields=(
    F("txn_id", "交易编号", "Transaction ID", ID),
    F("customer_id", "客户编号", "Customer ID", ID),
    F("date", "日期", "Date", DATE),
    F("item", "产品/服务", "Product or service", aliases=("产品", "服务")),
    F("amount", "金额", "Amount", MONEY),
    F("profit", "毛利", "Gross profit", MONEY),
    F("payment", "付款方式", "Payment method"),
    F("status", "状态", "Status", CHOICE, TXN_STATUSES),
))
FEEDBACK = Table("feedback", "客户反馈", "Feedback", id_field="feedback_id", id_prefix="F-", fields=(
    F("feedback_id", "反馈编号", "Feedback ID", ID),
    F("customer_id", "客户编号", "Customer ID", ID),
    F("received_at", "收到时间", "Received", DATETIME),
    F("type", "类型", "Type", CHOICE, FEEDBACK_TYPES),
    F("channel", "渠道", "Channel", CHOICE, CHANNELS),
    F("priority", "紧急程度", "Priority", CHOICE, PRIORITIES, aliases=("优先级",)),
    F("csat", "满意度", "CSAT", INT, low=1, high=5),
    F("nps", "推荐意愿", "NPS", INT, low=0, high=10),
    F("description", "内容", "Description", aliases=("描述",)),
    F("assignee", "处理人", "Assignee"),
    F("status", "处理状态", "Status", CHOICE, FEEDBACK_STATUSES),
    F("due_at", "处理时限", "Due", DATETIME),
    F("resolved_at", "解决时间", "Resolved", DATETIME),
    F("resolution", "处理结果", "Resolution"),
    F("follow_up_csat", "回访满意度", "Follow-up CSAT", INT, low=1, high=5),
))
TIER_HISTORY = Table("tier_history", "分级记录", "Tier history", fields=(
    F("customer_id", "客户编号", "Customer ID", ID),
    F("from_tier", "原级别", "From", CHOICE, TIERS),
    F("to_tier", "新级别", "To", CHOICE, TIERS),
    F("score", "得分", "Score"),
    F("method", "方法", "Method"),
    F("reviewed_at", "评审时间", "Reviewed", DATETIME),
    F("reviewer", "评审人", "Reviewer"),
    F("reason", "原因", "Reason"),
))
AUDIT = Table("audit", "变更日志", "Audit log", fields=(
    F("at", "时间", "Time", DATETIME),
    F("user", "用户", "User"),
    F("action", "操作", "Action"),
    F("table", "表", "Table"),
    F("record_id", "记录编号", "Record ID"),
    F("field", "字段", "Field"),
    F("old", "原值", "Old value"),
    F("new", "新值", "New value"),
    F("reason", "原因", "Reason"),
))
SETTINGS = Table("settings", "设置", "Settings", id_field="key", fields=(
    F("key", "参数", "Key"),
    F("value", "值", "Value"),
    F("description", "说明", "Description"),
))

TABLES: dict[str, Table] = {t.key: t for t in (
    CUSTOMERS, CONTACTS, INTERACTIONS, TRANSACTIONS, FEEDBACK, TIER_HISTORY, AUDIT, SETTINGS)}

DEFAULT_SETTINGS: dict[str, tuple[str, str]] = {
    "tier.method": ("score", "score | pareto"),
    "tier.weights": ("value 40, frequency 20, recency 15, satisfaction 15, potential 10",
                     "评分权重 / score weights"),
    "tier.thresholds": ("A 70, B 40", "A ≥ 70, B ≥ 40"),
    "tier.pareto": ("A 80, B 95", "累计收入占比 / cumulative revenue share %"),
    "tier.window_months": ("12", "评分窗口（月）/ scoring window (months)"),
    "tier.review_cycle_months": ("6", "评审周期（月）/ review cycle (months)"),
    "follow_up.days": ("A 30, B 60, C 90", "回访间隔（天）/ follow-up cadence (days)"),
    "sla.hours": ("high 24, medium 72, low 168", "投诉处理时限（小时）/ complaint time limit (hours)"),
    "care.lookahead_days": ("14", "关怀提前天数 / care look-ahead (days)"),
}


_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "［": "[", "］": "]"})


@lru_cache(maxsize=65536)
def normalize_label(text: str) -> str:
    """Fold a header or choice label for matching: width, case, spaces and brackets ignored."""
    folded = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS).casefold()
    return re.sub(r"[\s_\-()\[\]:：/／.·]+", "", folded)


def _index_fields(table: Table) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in table.fields:
        for label in (f.key, f.zh, f.en, *f.aliases):
            index.setdefault(normalize_label(label), f.key)
    # Exact labels win over aliases of other fields ("状态" is stage in 客户档案 only as an alias).
    for f in table.fields:
        for label in (f.key, f.zh, f.en):
            index[normalize_label(label)] = f.key
    return index


_FIELD_INDEX = {key: _index_fields(t) for key, t in TABLES.items()}
_TABLE_INDEX = {normalize_label(label): t.key
                for t in TABLES.values() for label in (t.key, t.zh, t.en, *t.aliases)}


def table_for_title(title: str) -> str | None:
    """Return the table key a tab title names, in either language, or None."""
    return _TABLE_INDEX.get(normalize_label(title))


def field_for_header(table_key: str, header: str) -> str | None:
    """Return the field key a header names in this table, in either language, or None."""
    return _FIELD_INDEX[table_key].get(normalize_label(header))


def map_headers(table_key: str, headers: list[str]) -> dict[str, int]:
    """Map field keys to column positions (0-based) by header text; the first match wins."""
    return dict(_map_headers(table_key, tuple(str(h) for h in headers)))


@lru_cache(maxsize=1024)
def _map_headers(table_key: str, headers: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for pos, header in enumerate(headers):
        key = field_for_header(table_key, header) if str(header).strip() else None
        if key and key not in found:
            found[key] = pos
    return found


def header_labels(table_key: str, lang: str) -> list[str]:
    """Return the header row a new tab gets in the chosen language."""
    return [f.label(lang) for f in TABLES[table_key].fields]


def choice_labels(table_key: str, field_key: str, lang: str) -> dict[str, str]:
    """Map every choice key of a field to its label in the chosen language (for labelling whole columns)."""
    return {c.key: c.label(lang) for c in TABLES[table_key].field(field_key).choices}


def choice_label(table_key: str, field_key: str, value: str | None, lang: str) -> str:
    """Return the label of a choice key in the chosen language (the key itself if unknown)."""
    if value is None:
        return ""
    choice = TABLES[table_key].field(field_key).choice(value)
    return choice.label(lang) if choice else str(value)
