"""Feedback: log it fast, work the complaint queue, and read what customers are saying."""
import streamlit as st

from lib import auth, feedback, ui
from lib.errors import ConflictError

reg, user = ui.page_start()
st.title(ui.tr("nav.feedback"))
lang, now, frame, people = ui.lang(), ui.now(), reg.frame("feedback"), feedback.people(reg)
customers = feedback.customer_choices(reg.frame("customers"))
label, choice = (lambda k: feedback.field_label(k, lang)), (lambda k: feedback.choice_label(k, lang))


def log(reg, user):
    """Save the logging form (its submit callback) and empty it for the next call."""
    values = {k: st.session_state.get(f"feedback.{k}") for k in feedback.LOGGED_FIELDS}
    changes = ui.run_write(feedback.log_feedback, ui.store(), reg, user, values, ui.lang(), now=ui.now())
    if changes:
        st.success(feedback.logged_message(changes, ui.lang()))
        for key, blank in {"customer_id": None, "csat": None, "nps": None, "description": "", "assignee": None,
                           "received_at": ui.now()}.items():
            st.session_state[f"feedback.{key}"] = blank


def act(reg, user, feedback_id, action):
    """Take one workflow action (a button callback); on a conflict keep what clashed to show both values."""
    inputs = {f"feedback.{action}_{arg}": (arg, kind) for arg, kind in feedback.ACTION_INPUTS[action].items()}

    def attempt():
        try:
            return feedback.take_action(ui.store(), reg, user, feedback_id, action, ui.lang(), now=ui.now(),
                                        **{arg: st.session_state.get(key) for key, (arg, _) in inputs.items()})
        except ConflictError as e:
            st.session_state["feedback.conflicts"] = e.conflicts
            raise
    if ui.run_write(attempt, success=ui.tr(f"feedback.done_{action}")):
        for key, (_, kind) in inputs.items():
            st.session_state[key] = "" if kind in ("text", "line") else None


INPUTS = {  # the widget each kind of action input gets (lib.feedback.ACTION_INPUTS); `item` is the chosen item
    "text": lambda text, key: st.text_area(text, key=key),
    "line": lambda text, key: st.text_input(text, key=key),
    "score": lambda text, key: st.number_input(text, value=None, step=1, key=key),
    "person": lambda text, key: st.selectbox(text, people, index=None, accept_new_options=True, key=key),
    "time": lambda text, key: st.datetime_input(text, value=item["due_at"], key=key),
    "customer": lambda text, key: st.selectbox(text, list(customers), index=None, format_func=customers.get, key=key),
}
# Keyed, so a message above the tabs does not send people back to the first tab; the insights run only when open.
log_tab, queue_tab, insights_tab = st.tabs([ui.tr(f"feedback.tab_{t}") for t in ("log", "queue", "insights")],
                                           key="feedback.tab", on_change="rerun")
with log_tab:
    if not auth.can(user, "edit"):
        st.info(ui.tr("feedback.viewer_note"))
    else:
        with st.form("feedback.log_form"):  # ?customer=C-… (from a customer's record) preselects the customer
            st.selectbox(ui.tr("feedback.customer"), list(customers), format_func=customers.get,
                         index=feedback.position(customers, st.query_params.get("customer")),
                         placeholder=ui.tr("feedback.customer_placeholder"), key="feedback.customer_id")
            cols = st.columns(6)
            for col, (key, default) in zip(cols, feedback.LOG_DEFAULTS.items()):
                col.selectbox(label(key), feedback.choices(key), index=feedback.choices(key).index(default),
                              format_func=choice(key), key=f"feedback.{key}")
            for col, key, name in zip(cols[3:], ("csat", "nps"), ("CSAT (1–5)", "NPS (0–10)")):
                col.number_input(name, value=None, step=1, placeholder=ui.tr("feedback.no_answer"),
                                 help=ui.tr(f"feedback.{key}_help"), key=f"feedback.{key}")
            cols[5].datetime_input(label("received_at"), value=now, key="feedback.received_at")
            st.text_area(label("description"), key="feedback.description")
            if auth.can(user, "assign_complaints"):
                st.selectbox(label("assignee"), people, index=None, accept_new_options=True,
                             placeholder=ui.tr("feedback.assignee_default"), key="feedback.assignee")
            st.form_submit_button(ui.tr("feedback.log"), type="primary", key="feedback.log", on_click=log,
                                  args=(reg, user))

with queue_tab:
    cols = st.columns(5)
    mine = user.email if cols[0].toggle(ui.tr("feedback.mine"), key="feedback.mine") else None
    chosen = {arg: col.multiselect(label(key), options, format_func=choice(key), placeholder=ui.tr("feedback.all"),
                                   key=f"feedback.filter_{key}") or None
              for col, (arg, key, options) in zip(cols[1:], feedback.queue_filters(reg))}
    q = feedback.queue(frame, now, mine=mine, settings=reg.settings, **chosen)
    st.caption(feedback.queue_caption(q, lang))
    st.dataframe(feedback.queue_table(q, reg.frame("customers"), lang), hide_index=True, key="feedback.queue")
    if conflicts := st.session_state.pop("feedback.conflicts", None):  # shown once, right after the refused save
        st.warning(ui.tr("feedback.conflict"))
        st.dataframe(feedback.conflict_table(conflicts, lang), hide_index=True, key="feedback.conflict_table")
        st.button(ui.tr("feedback.reload"), key="feedback.reload", on_click=ui.refresh, icon="🔄")
    if auth.can(user, "edit"):
        items = feedback.queue_choices(q, reg.frame("customers"), lang)
        fid = st.selectbox(ui.tr("feedback.item"), list(items), index=None, format_func=items.get,
                           placeholder=ui.tr("feedback.item_placeholder"), key="feedback.item")
        item, actions, refusal = feedback.item_state(reg, user, fid, lang) if fid else (None, [], "")
        if refusal:
            st.info(refusal)
        for action in actions:
            with st.container(border=True):
                for arg, kind in feedback.ACTION_INPUTS[action].items():
                    INPUTS[kind](ui.tr(f"feedback.{action}_{arg}"), f"feedback.{action}_{arg}")
                st.button(ui.tr(f"feedback.do_{action}"), key=f"feedback.do_{action}", on_click=act,
                          args=(reg, user, fid, action))

with insights_tab:
    if not insights_tab.open:
        st.stop()
    c1, c2 = st.columns(2)
    period = c1.segmented_control(ui.tr("feedback.period"), list(feedback.PERIODS), default="month",
                                  format_func=lambda p: ui.tr(f"feedback.period_{p}"), key="feedback.period") or "month"
    start = c2.selectbox(ui.tr("feedback.period_start"), feedback.period_starts(frame, period, now),
                         format_func=lambda s: feedback.period_label(s, period, lang), key=f"feedback.{period}_start")
    for col, metric in zip(st.columns(6), feedback.period_metrics(frame, period, start, reg.settings, now, lang)):
        col.metric(**metric)
    left, right = st.columns(2)
    left.subheader(ui.tr("feedback.topics"))
    left.dataframe(feedback.period_topics(frame, period, start, lang), hide_index=True, key="feedback.topics")
    right.subheader(ui.tr("feedback.breakdown"))
    right.dataframe(feedback.period_breakdown(frame, period, start, lang), key="feedback.breakdown")
    st.subheader(ui.tr("feedback.trend"))
    st.dataframe(feedback.period_trend(frame, period, reg.settings, now, lang), hide_index=True, key="feedback.trend")
