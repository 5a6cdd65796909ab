"""Customer record (360°): everything about one customer, entry forms, edits with reasons, conflicts, lost and archived."""

import streamlit as st

from lib import auth, customers, ui
from lib.errors import ConflictError, RegisterError

reg, user = ui.page_start()
lang, store, now = ui.lang(), ui.store(), ui.now()


options = customers.customer_options(reg)
if st.query_params.get("id") in options and "customer.pick" not in st.session_state:
    st.session_state["customer.pick"] = st.query_params["id"]
cid = st.selectbox(ui.tr("customers.pick"), list(options), format_func=options.get, index=None, key="customer.pick",
                   on_change=lambda: st.query_params.update(id=st.session_state["customer.pick"]),
                   placeholder=ui.tr("customers.pick_hint"))
if not cid:
    st.stop()
try:
    view = customers.customer_360(reg, cid, lang)
except RegisterError as e:   # the ID was edited or duplicated by hand in the sheet
    st.error(e.message(lang))
    st.stop()
c = view["customer"]
st.title(c["name"])
st.caption(customers.headline(c, lang))
for col, (label, value) in zip(st.columns(5), customers.totals_display(view["totals"], lang)):
    col.metric(label, value)
st.info(customers.service_text(c, reg.settings, lang))
st.dataframe(customers.basic_info(c, lang), hide_index=True, key="customer.basic")

shown = [t for t in customers.RECORD_TABS if t != "audit" or auth.can(user, "audit")]
for table, tab in zip(shown, st.tabs([ui.tr(f"customers.tab_{t}") for t in shown], key="customer.tabs")):
    with tab:
        st.dataframe(customers.for_display(view[table], table, lang, user, customers.SHOWN.get(table)),
                     hide_index=True, key=f"customer.table_{table}")
        if table == "feedback":
            st.page_link("views/feedback.py", label=ui.tr("customers.log_feedback"), icon="💬", query_params={"customer": cid})
        if table in customers.ADD_FORMS and auth.can(user, "edit"):
            write, fields = customers.ADD_FORMS[table]
            with st.form(f"customer.add_{table}", clear_on_submit=True):
                values = {k: ui.field_input(table, k, f"customer.add_{table}") for k in fields}
                if st.form_submit_button(ui.tr(f"customers.add_{table}"), key=f"customer.add_{table}.submit") \
                        and ui.run_write(write, store, reg, user, cid, values, lang, now, success=ui.tr("common.saved")):
                    st.rerun()


def forget_edit():
    for key in [k for k in st.session_state if k.startswith(("customer.edit", "customer.started", "customer.conflict"))]:
        del st.session_state[key]


def save_edit(started_from):
    try:
        customers.update_customer(store, reg, user, cid, changes, started_from, reason, lang, now)
    except ConflictError as e:
        st.session_state["customer.conflict"] = e.conflicts
    except RegisterError as e:
        return st.error(e.message(lang))
    else:
        forget_edit()
        ui.refresh()
        st.session_state[ui.FLASH_KEY] = ui.tr("common.saved")
    st.rerun()


if auth.can(user, "edit"):
    conflict = st.session_state.get("customer.conflict")
    with st.expander(ui.tr("customers.edit"), expanded=bool(conflict), key="customer.edit_section"):
        if f"customer.edit.{cid}.name" not in st.session_state:   # the form is new: remember what it starts from
            st.session_state[f"customer.started.{cid}"] = customers.editable_values(reg, cid, lang)
        started = st.session_state[f"customer.started.{cid}"]
        editable = [k for k in customers.EDIT_FIELDS if k != "tier" or auth.can(user, "approve_tiers")]
        changes = customers.changed_fields(started, {k: ui.field_input("customers", k, f"customer.edit.{cid}", started[k])
                                                     for k in editable})
        if changes:
            st.dataframe(customers.change_preview(started, changes, lang), hide_index=True, key="customer.edit_preview")
        needed = customers.reason_needed_for(changes)
        reason = st.text_input(ui.tr("customers.reason_required" if needed else "customers.reason"), key="customer.edit_reason")
        if conflict:
            st.error(ui.tr("customers.conflict"))
            st.dataframe(customers.conflict_display(conflict, lang), hide_index=True, key="customer.conflicts")
            theirs, mine = st.columns(2)
            if theirs.button(ui.tr("customers.keep_theirs"), key="customer.keep_theirs"):
                forget_edit()
                ui.refresh()
                st.rerun()
            if mine.button(ui.tr("customers.overwrite"), key="customer.overwrite", type="primary"):
                save_edit(customers.rebased(started, conflict))
        elif st.button(ui.tr("customers.save_changes"), key="customer.save_edit", disabled=not changes, type="primary"):
            save_edit(started)

if actions := customers.status_actions(c, user):
    with st.expander(ui.tr("customers.status_section"), key="customer.status_section"):
        status_reason = st.text_input(ui.tr("customers.reason"), key="customer.status_reason")
        for col, (action, write) in zip(st.columns(len(actions)), actions.items()):
            if col.button(ui.tr(f"customers.{action}"), key=f"customer.{action}") and ui.run_write(
                    write, store, reg, user, cid, status_reason, lang, now, success=ui.tr(f"customers.{action}_done")):
                st.rerun()
