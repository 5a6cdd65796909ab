"""Open the register that the configuration names (DESIGN.md §2)."""
from __future__ import annotations

import os
from collections.abc import Mapping

from lib.errors import RegisterError
from lib.store.base import ChangeSet, FieldUpdate, NewRow, RawRegister, RawTab, Store

DEFAULT_URL = "sqlite:///data/register.db"

__all__ = ["ChangeSet", "FieldUpdate", "NewRow", "RawRegister", "RawTab", "Store", "open_store",
           "register_config", "DEFAULT_URL"]


def register_config(secrets: Mapping | None = None, environ: Mapping | None = None) -> dict:
    """Collect the register settings from the environment first, then secrets (no secret values shown)."""
    secrets = secrets or {}
    environ = os.environ if environ is None else environ
    return {
        "url": environ.get("REGISTER_URL") or secrets.get("register_url") or DEFAULT_URL,
        "lang": environ.get("REGISTER_LANG") or secrets.get("register_lang") or "zh",
        "endpoint": environ.get("SHEETS_API_ENDPOINT") or secrets.get("sheets_api_endpoint"),
        "credentials_file": environ.get("GOOGLE_APPLICATION_CREDENTIALS"),
        "credentials_info": dict(secrets["gcp_service_account"]) if "gcp_service_account" in secrets else None,
    }


def is_sheets_url(url: str) -> bool:
    return url.startswith("gsheets://") or "docs.google.com/spreadsheets" in url


def open_store(url: str, *, lang: str = "zh", endpoint: str | None = None,
               credentials_info: dict | None = None, credentials_file: str | None = None) -> Store:
    """Return the backend for a register URL: SQLite/PostgreSQL URL or a Google Sheets URL."""
    if is_sheets_url(url):
        from lib.store.sheets import SheetsStore, parse_sheet_url
        return SheetsStore(parse_sheet_url(url), endpoint=endpoint, credentials_info=credentials_info,
                           credentials_file=credentials_file, lang=lang)
    if url.startswith(("sqlite:", "postgresql")):
        from lib.store.sql import SqlStore
        return SqlStore(url, lang=lang)
    raise RegisterError(f"无法识别的客户档案地址：{url}。请使用 sqlite:///…、postgresql+psycopg://… 或 Google 表格链接。",
                        f"Unrecognised register address: {url}. Use sqlite:///…, postgresql+psycopg://… "
                        "or a Google Sheets link.")


def store_from_environment(secrets_path: str = ".streamlit/secrets.toml") -> Store:
    """Open the register for command-line use: environment first, then the secrets file if present."""
    import tomllib
    from pathlib import Path

    path = Path(secrets_path)
    secrets = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    config = register_config(secrets)
    return open_store(config["url"], lang=config["lang"], endpoint=config["endpoint"],
                      credentials_info=config["credentials_info"], credentials_file=config["credentials_file"])
