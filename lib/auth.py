"""Who may do what (DESIGN.md §3), checked in lib/ where the write happens."""
from __future__ import annotations

from dataclasses import dataclass

from lib.errors import PermissionDenied

ROLES = ("viewer", "staff", "manager", "admin")

# Lowest role allowed each action; roles are ordered, so higher roles inherit.
ACTIONS: dict[str, str] = {
    "view": "viewer",
    "edit": "staff",
    "work_own_complaints": "staff",
    "assign_complaints": "manager",
    "close_complaints": "manager",
    "approve_tiers": "manager",
    "export": "manager",
    "audit": "manager",
    "import": "admin",
    "archive": "admin",
    "merge": "admin",
    "settings": "admin",
    "backup": "admin",
}

ACTION_LABELS = {
    "view": ("查看客户和图表", "see customers and charts"),
    "edit": ("新增或修改记录", "add or edit records"),
    "work_own_complaints": ("处理自己负责的投诉", "work on your own complaints"),
    "assign_complaints": ("分派投诉", "assign complaints"),
    "close_complaints": ("关闭他人的投诉", "close other people's complaints"),
    "approve_tiers": ("审批客户分级", "approve or override tiers"),
    "export": ("导出数据", "export data"),
    "audit": ("查看变更日志", "see the audit log"),
    "import": ("导入客户名单", "import customer lists"),
    "archive": ("归档或恢复客户", "archive or restore customers"),
    "merge": ("合并重复客户", "merge duplicate customers"),
    "settings": ("修改设置", "change settings"),
    "backup": ("备份与恢复", "back up and restore"),
}

ROLE_LABELS = {"viewer": ("只读", "Viewer"), "staff": ("员工", "Staff"),
               "manager": ("经理", "Manager"), "admin": ("管理员", "Admin")}


@dataclass(frozen=True)
class User:
    """The person using the app; `email` is what the audit log records."""
    email: str
    name: str = ""
    role: str = "viewer"

    @property
    def label(self) -> str:
        return self.name or self.email


LOCAL_USER = User("local", "本机用户 / Local user", "admin")


def can(user: User, action: str) -> bool:
    """True if the user's role allows the action."""
    return ROLES.index(user.role) >= ROLES.index(ACTIONS[action])


def require(user: User, action: str) -> None:
    """Raise PermissionDenied unless the user's role allows the action."""
    if not can(user, action):
        zh, en = ACTION_LABELS[action]
        role_zh, role_en = ROLE_LABELS[user.role]
        raise PermissionDenied(f"您的角色（{role_zh}）不能{zh}；本次操作未执行。如需权限请联系管理员。",
                               f"Your role ({role_en}) may not {en}; nothing was done. Ask an admin for access.")


def role_for(email: str, roles: dict, default: str = "viewer") -> str | None:
    """Look up a signed-in e-mail in the `[roles]` table; None means refused."""
    wanted = (email or "").strip().lower()
    for role in reversed(ROLES):  # the highest role listed wins
        members = [str(m).strip().lower() for m in roles.get(role, [])]
        if wanted and wanted in members:
            return role
    default = roles.get("default", default)
    return default if default in ROLES else None


# Contact details viewers see masked (DESIGN.md §3): phone, e-mail and WeChat ID columns.
MASKED_FIELDS = ("phone", "email", "wechat")


def sees_contact_details(user: User) -> bool:
    """True if the user may see phones, e-mails and WeChat IDs in full (every role above viewer)."""
    return user.role != "viewer"


def masked(frame, user: User, columns: tuple[str, ...] = MASKED_FIELDS):
    """Return the frame with phone, e-mail and WeChat columns masked for viewers (unchanged for others)."""
    present = [c for c in columns if c in frame.columns]
    if sees_contact_details(user) or not present:
        return frame
    out = frame.copy()
    for column in present:
        out[column] = out[column].map(mask)
    return out


def mask(text: str) -> str:
    """Hide most of a phone, e-mail or WeChat ID for viewers, keeping enough to recognise it."""
    text = str(text or "")
    if not text:
        return ""
    if "@" in text:
        local, _, domain = text.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    if len(text) <= 4:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]
