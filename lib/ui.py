"""Shared widgets, cached loaders and session keys — the only module of lib/ that imports streamlit."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from lib import audit, auth, customers, demo, kpis
from lib.errors import RegisterError, StoreUnavailable
from lib.i18n import browser_lang, t
from lib.register import Register, missing_id_changes, read_register
from lib.store import DEFAULT_URL, Store, open_store, register_config
from lib.store.base import ChangeSet

# Session keys live here, behind helpers.
LANG_KEY = "ui.lang"
LANG_SWITCH_KEY = "ui.lang_switch"
FLASH_KEY = "ui.flash"
LAST_VISIT_KEY = "ui.last_visit"
CACHE_TTL_S = 60
QUIET_AFTER_UNAVAILABLE_S = 10   # after a failed refresh, the last good copy is shown this long without asking again


def lang() -> str:
    """The interface language of this session: chosen, else the browser's."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = browser_lang(st.context.locale)
    return st.session_state[LANG_KEY]


def tr(key: str, **values) -> str:
    """Translate a text key into this session's language."""
    return t(key, lang(), **values)


def _switch_lang() -> None:
    choice = st.session_state.get(LANG_SWITCH_KEY)
    if choice:  # clicking the chosen option again clears the control; keep the language
        st.session_state[LANG_KEY] = choice


def language_switch() -> None:
    """The 中文 / English switch shown on every page."""
    st.session_state[LANG_SWITCH_KEY] = lang()
    st.sidebar.segmented_control("语言 / Language", ["zh", "en"], key=LANG_SWITCH_KEY, on_change=_switch_lang,
                                 format_func=lambda code: "中文" if code == "zh" else "English")


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except (FileNotFoundError, KeyError, Exception):  # no secrets file is a normal local set-up
        return {}


def auth_configured() -> bool:
    """True when `[auth]` is set, so people sign in with OIDC."""
    return "auth" in _secrets()


def current_user() -> auth.User | None:
    """The signed-in user with their role; the local admin without `[auth]`; None if refused or signed out."""
    if not auth_configured():
        return auth.LOCAL_USER
    if not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    secrets = _secrets()
    roles = dict(secrets.get("roles", {}))
    role = auth.role_for(email, roles)
    if role is None:
        return None
    return auth.User(email, str(st.user.get("name") or email), role)


@st.cache_resource(show_spinner=False)
def _open(url: str, endpoint: str | None, credentials_file: str | None, has_info: bool, lang: str) -> Store:
    config = register_config(_secrets())
    store = open_store(url, lang=lang, endpoint=endpoint, credentials_file=credentials_file,
                       credentials_info=config["credentials_info"] if has_info else None)
    if url == DEFAULT_URL and store.is_empty():
        store.restore(demo.generate(200, lang=lang, today=now().date()))
        store.set_demo(True)
    store.ensure_layout(lang)
    return store


def store() -> Store:
    """The register backend named by the configuration (opened once per process)."""
    config = register_config(_secrets())
    return _open(config["url"], config["endpoint"], config["credentials_file"], bool(config["credentials_info"]),
                 config["lang"])


def _cache_key(config: dict) -> str:
    return f"{config['url']}|{config['endpoint']}"


@st.cache_resource(ttl=CACHE_TTL_S, show_spinner=False)
def _load(_store: Store, key: str, _patient: bool = True) -> Register:
    """Read the register (`_patient`: retry quota and server errors; else one attempt), fill missing IDs
    and prepare the charts' aggregates."""
    reg = read_register(_store.load(patient=_patient))
    fill = missing_id_changes(reg, now())
    if fill:  # rows added by hand without an ID get one, audited, before anyone works on them
        try:
            _store.save(fill)
            reg = read_register(_store.load(patient=_patient))
        except RegisterError:
            pass  # someone is editing those rows right now; the next refresh tries again
    kpis.prepared(reg, now().date())   # the charts' aggregates, built with the register rather than on a page view
    return reg


@st.cache_resource(show_spinner=False)
def _last_good() -> dict[str, Register]:
    return {}


@dataclass(frozen=True)
class _Outage:
    """Why the register was last found unavailable, and until when it is not asked again."""
    error: StoreUnavailable
    quiet_until: float   # _clock() seconds


@st.cache_resource(show_spinner=False)
def _outages() -> dict[str, _Outage]:
    return {}


def _clock() -> float:
    """Seconds on a clock that never goes back (quiet periods are measured on it)."""
    return time.monotonic()


def _quiet_seconds(error: StoreUnavailable) -> float:
    """How long to leave the register alone after this error: what the server asked (at most one cache
    period), else a short pause."""
    if error.retry_after:
        return min(error.retry_after, CACHE_TTL_S)
    return QUIET_AFTER_UNAVAILABLE_S


def _stale(last: Register, error: StoreUnavailable) -> Register:
    """Show the last good copy with a warning saying from when it is and why nothing newer is shown."""
    st.warning(tr("common.stale", at=last.loaded_at.strftime("%H:%M:%S")) + " " + error.reason(lang()))
    return last


def register() -> Register:
    """The whole register, read once and shared by every session for a short while.

    If the register cannot be reached (e.g. Google's per-minute quota), the last good copy is shown
    with a warning instead of an error, so people can keep reading. With such a copy a refresh is a
    single attempt, and after a failed one nobody asks again until a short quiet period has passed
    (or someone presses refresh): retrying only spends more of a quota that is used up.
    """
    key = _cache_key(register_config(_secrets()))
    last = _last_good().get(key)
    outage = _outages().get(key)
    if last is not None and outage is not None and _clock() < outage.quiet_until:
        return _stale(last, outage.error)
    try:
        reg = _load(store(), key, _patient=last is None)
    except StoreUnavailable as e:
        if last is None:
            raise
        _outages()[key] = _Outage(e, _clock() + _quiet_seconds(e))
        return _stale(last, e)
    _outages().pop(key, None)
    _last_good()[key] = reg
    return reg


def refresh() -> None:
    """Drop the cached register so the next read sees the latest data (asking again at once after a failure)."""
    _load.clear()
    _outages().clear()


def run_write(action: Callable[..., ChangeSet | None], *args, success: str | None = None, **kwargs):
    """Run a lib write; on success clear the cache and say so, on a RegisterError show its message."""
    try:
        result = action(*args, **kwargs)
    except RegisterError as e:
        st.error(e.message(lang()))
        return None
    refresh()
    if success:
        st.session_state[FLASH_KEY] = success
    return result if result is not None else True


def flash() -> None:
    """Show the message a write left for the next rerun."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def banners(reg: Register, user: auth.User) -> None:
    """Local-mode and demo banners shown on every page."""
    if not auth_configured():
        st.warning(tr("common.local_mode"), icon="🔓")
    if reg.raw.demo:
        st.info(tr("common.demo_banner"), icon="🧪")


def require_page(user: auth.User | None, action: str) -> auth.User:
    """Stop the page unless the user's role allows it (pages opened by URL are refused too)."""
    if user is None or not auth.can(user, action):
        st.error(tr("common.page_refused"))
        st.stop()
    return user


def sidebar(reg: Register, user: auth.User) -> None:
    """Register source, last refresh, the refresh button and the signed-in user."""
    with st.sidebar:
        st.caption(tr("common.loaded_at", at=reg.loaded_at.strftime("%H:%M:%S")))
        if st.button(tr("common.refresh"), key="ui.refresh", icon="🔄"):
            refresh()
            st.rerun()
        st.caption(f"{user.label} · {auth.ROLE_LABELS[user.role][0 if lang() == 'zh' else 1]}")
        if auth_configured() and st.button(tr("common.sign_out"), key="ui.sign_out"):
            st.logout()


def last_visit(reg: Register, user: auth.User) -> datetime | None:
    """When this user last opened the app before this session; moves the stored visit to now (at most hourly).

    Read once per session, so the home page keeps showing the same news while the session lasts.
    Local single-user mode keeps no visits (there is nobody else whose changes to report).
    """
    if LAST_VISIT_KEY not in st.session_state:
        st.session_state[LAST_VISIT_KEY] = audit.last_seen(reg, user.email)
        if auth_configured():
            try:
                audit.mark_seen(store(), reg, user, now())
            except RegisterError:
                pass  # bookkeeping only: a failed write must not block the page; the next session retries
    return st.session_state[LAST_VISIT_KEY]


def now() -> datetime:
    """The current time, pinned by `REGISTER_NOW` in tests and demos."""
    pinned = os.environ.get("REGISTER_NOW")
    return datetime.fromisoformat(pinned) if pinned else datetime.now().replace(microsecond=0)


def sign_in() -> None:
    """The page people see before signing in, or when their account has no role."""
    st.title("客户档案 · Customer Register")
    if st.user.is_logged_in:
        st.error(tr("common.refused_user", email=st.user.get("email", "")))
        if st.button(tr("common.sign_out"), key="ui.sign_out_refused"):
            st.logout()
        return
    st.write(tr("common.sign_in_prompt"))
    providers = [k for k, v in dict(_secrets().get("auth", {})).items()
                 if hasattr(v, "keys") and ("client_id" in v or "server_metadata_url" in v)]  # not client_kwargs
    if st.button(tr("common.sign_in"), key="ui.sign_in", type="primary"):
        st.login(providers[0]) if providers else st.login()


def page_start(action: str = "view") -> tuple[Register, auth.User]:
    """Common top of every page: refuse if not allowed, load the register, banners, sidebar."""
    user = require_page(current_user(), action)
    try:
        reg = register()
    except StoreUnavailable as e:   # a read failed: nothing was being saved
        st.error(e.reason(lang()) + " " + tr("common.try_later"))
        st.stop()
    except RegisterError as e:
        st.error(e.message(lang()))
        st.stop()
    banners(reg, user)
    sidebar(reg, user)
    flash()
    return reg, user


def field_input(table: str, key: str, prefix: str, value=None):
    """The entry widget of one field (lib.customers.input_spec), keyed `prefix.key`, starting at `value`."""
    kind, label, options = customers.input_spec(table, key, lang())
    widget_key = f"{prefix}.{key}"
    if kind == "choice":
        return st.selectbox(label, list(options), format_func=options.get, key=widget_key,
                            index=list(options).index(value) if value in options else 0)
    if kind == "date":
        return st.date_input(label, value=value, min_value=date(1900, 1, 1), max_value=date(2100, 12, 31),
                             key=widget_key)
    if kind == "bool":
        return st.checkbox(label, value=bool(value), key=widget_key)
    text = customers.value_text(table, key, value, lang())
    return (st.text_area if kind == "long" else st.text_input)(label, text, key=widget_key)
