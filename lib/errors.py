"""Errors people read: each carries a full sentence in Chinese and in English."""
from __future__ import annotations


class RegisterError(Exception):
    """Something the user should be told, in their language, without a traceback."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def message(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def user_message(self) -> str:
        return f"{self.zh} / {self.en}"


class ValidationError(RegisterError):
    """A value the user entered cannot be saved; the message names the field."""


class PermissionDenied(RegisterError):
    """The signed-in user's role may not do this."""


class ConflictError(RegisterError):
    """Someone changed a field since the user read it; nothing was saved."""

    def __init__(self, conflicts: list["Conflict"]):
        first = conflicts[0]
        super().__init__(
            f"{first.record_id} 的「{first.field}」已被他人修改（现在是「{first.current}」），本次修改未保存。请查看后重新选择。",
            f"Someone else changed {first.field} of {first.record_id} (now “{first.current}”); "
            "nothing was saved. Review and choose which value to keep.")
        self.conflicts = conflicts


class Conflict:
    """One field that changed under the user: what they started from, what is there now, what they want."""

    def __init__(self, table: str, record_id: str, field: str, started_from, current, wanted):
        self.table, self.record_id, self.field = table, record_id, field
        self.started_from, self.current, self.wanted = started_from, current, wanted

    def __repr__(self) -> str:
        return (f"Conflict({self.table}/{self.record_id}.{self.field}: "
                f"{self.started_from!r} → now {self.current!r}, wanted {self.wanted!r})")


class RecordNotFound(RegisterError):
    """No row carries this ID (it may have been deleted or its ID edited by hand)."""

    def __init__(self, table_label: str, record_id: str):
        super().__init__(f"在「{table_label}」中找不到编号为 {record_id} 的记录（可能被手工删除或改了编号），本次修改未保存。",
                         f"No row with ID {record_id} in “{table_label}” (it may have been deleted or its ID "
                         "edited by hand); nothing was saved.")


class DuplicateIdError(RegisterError):
    """Two or more rows carry the same ID; the app will not guess which one is meant."""

    def __init__(self, table_label: str, record_id: str, rows: list[int]):
        where = ", ".join(str(r) for r in rows)
        super().__init__(f"「{table_label}」第 {where} 行的编号都是 {record_id}，请先在表格中修正重复编号；本次修改未保存。",
                         f"Rows {where} of “{table_label}” all have ID {record_id}. Fix the duplicate ID in the "
                         "sheet first; nothing was saved.")
        self.rows = rows


class StoreUnavailable(RegisterError):
    """The register could not be reached (network, quota, server error).

    retry_after: seconds the server asked to wait before the next request (its Retry-After), if it said.
    """

    retry_after: float | None = None

    def __init__(self, detail_en: str = "", detail_zh: str = "", retry_after: float | None = None):
        self.detail = {"zh": detail_zh or "网络或服务错误", "en": detail_en or "network or server error"}
        super().__init__(f"无法连接客户档案（{self.detail['zh']}），请稍后重试；本次修改未保存。",
                         f"{self.reason('en')} Try again in a moment; nothing was saved.")
        self.retry_after = retry_after

    def reason(self, lang: str) -> str:
        """Why the register could not be reached, without the words about a save (for a read that failed)."""
        if lang == "zh":
            return f"无法连接客户档案（{self.detail['zh']}）。"
        return f"Couldn't reach the register ({self.detail['en']})."


class CellTooLong(ValidationError):
    """A cell exceeds the 50,000-character limit of Google Sheets."""

    def __init__(self, field_label: str, length: int):
        super().__init__(f"「{field_label}」太长（{length} 个字符），单元格最多 50000 个字符；本次修改未保存。",
                         f"{field_label} is too long ({length} characters); a cell holds at most 50,000. "
                         "Nothing was saved.")
