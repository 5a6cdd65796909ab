"""Tier review: proposed A/B/C tiers with their reasons; approve many, override one, try other weights."""
import streamlit as st

from lib import auth, tiers, ui
from lib.errors import ConflictError, RegisterError

PENDING, ALL, SHOWN, EDITION = "tiers.pending", "tiers.select_all", "tiers.shown_ids", "tiers.table_edition"
reg, user = ui.page_start()
st.title(ui.tr("nav.tiers"))
lang, settings, approver = ui.lang(), reg.settings, auth.can(user, "approve_tiers")


def save(write, reg, *args, success):
    """Run an approval write; on a conflict keep it so the user can choose whose values stay."""
    def attempt():
        try:
            return write(ui.store(), reg, user, *args, ui.lang(), now=ui.now())
        except ConflictError as e:
            st.session_state[PENDING] = (write, args, success, e.conflicts)
            raise
    if ui.run_write(attempt, success=success):
        st.session_state.pop(SHOWN, None)  # a fresh table, so nothing approved stays ticked


def approve(reg, table_key, shown_ids, proposals, method):
    """Approve the proposals of every ticked row in one save (the approve button's callback)."""
    ids = tiers.checked_ids(shown_ids, st.session_state.get(table_key), st.session_state.get(ALL, False))
    decisions, skipped = tiers.approval_decisions(proposals, ids, method)
    for problem in tiers.selection_problems(ids, skipped, ui.lang()):
        st.warning(problem)
    if decisions:
        save(tiers.approve_tiers, reg, decisions, success=ui.tr("tiers.approved", n=len(decisions)))


def override(reg):
    """Set one customer's tier by hand with the reason typed (the override button's callback)."""
    customer_id, tier, reason = (st.session_state.get(f"tiers.override_{k}") for k in ("customer", "tier", "reason"))
    save(tiers.override_tier, reg, customer_id, tier, reason, success=ui.tr("tiers.overridden"))


def resolve(overwrite: bool):
    """Settle a conflict: keep their values, or save again over the values there now."""
    write, args, success, _ = st.session_state.pop(PENDING)
    ui.refresh()
    if overwrite:
        save(write, ui.register(), *args, success=success)


method = st.segmented_control(ui.tr("tiers.method"), tiers.METHODS, default=settings.tier_method, key="tiers.method",
                              format_func=lambda m: tiers.method_label(m, lang)) or settings.tier_method
st.caption(ui.tr("tiers.method_settings", method=tiers.method_label(settings.tier_method, lang)))
try:
    proposals = tiers.proposals_of(reg, ui.now().date(), method)
except RegisterError as e:  # e.g. weights in the Settings tab that are all zero
    st.error(e.message(lang))
    st.stop()
st.info(ui.tr("tiers.due_count", n=int(proposals["review_due"].sum()), months=settings.tier_review_cycle_months))
if conflict := st.session_state.get(PENDING):
    st.warning(ui.tr("tiers.conflict"))
    st.dataframe(tiers.conflict_table(conflict[3], lang), hide_index=True, key="tiers.conflicts")
    st.button(ui.tr("tiers.keep_theirs"), key="tiers.keep_theirs", on_click=resolve, args=(False,))
    st.button(ui.tr("tiers.overwrite"), key="tiers.overwrite", on_click=resolve, args=(True,))

tabs = st.tabs([ui.tr("tiers.tab_review")] + ([ui.tr("tiers.tab_whatif")] if approver else []))
with tabs[0]:
    c1, c2, c3, c4 = st.columns(4)
    only_changes = c1.toggle(ui.tr("tiers.only_changes"), key="tiers.only_changes")
    only_due = c2.toggle(ui.tr("tiers.only_due"), key="tiers.only_due")
    owners, industries = (col.multiselect(ui.tr(f"tiers.{k}"), tiers.filter_options(proposals, k), key=f"tiers.{k}")
                          for col, k in ((c3, "owner"), (c4, "industry")))
    shown = tiers.filter_proposals(proposals, only_changes=only_changes, only_due=only_due, owners=owners,
                                   industries=industries)
    st.caption(ui.tr("tiers.shown", shown=len(shown), total=len(proposals)))
    if st.session_state.get(SHOWN) != (shown_ids := shown["customer_id"].tolist()):
        # Ticks are kept by row position, so other rows get a new, unticked table.
        st.session_state[SHOWN], st.session_state[EDITION] = shown_ids, st.session_state.get(EDITION, 0) + 1
    table_key = f"tiers.table.{st.session_state[EDITION]}"
    if not approver:
        st.info(ui.tr("tiers.read_only"))
    all_ticked = approver and st.checkbox(ui.tr("tiers.select_all"), key=ALL)
    table = tiers.review_table(shown, lang, select=all_ticked if approver else None)
    st.data_editor(table, hide_index=True, key=table_key, disabled=tiers.locked_columns(table),
                   column_config={tiers.SELECT: st.column_config.CheckboxColumn(ui.tr("tiers.col_select"))})
    if approver:
        st.button(ui.tr("tiers.approve"), type="primary", key="tiers.approve", on_click=approve,
                  args=(reg, table_key, shown_ids, proposals, method))
        st.subheader(ui.tr("tiers.override_header"))
        c1, c2, c3 = st.columns([3, 1, 4])
        c1.selectbox(ui.tr("tiers.override_customer"), proposals["customer_id"].tolist(), index=None,
                     format_func=tiers.customer_choices(proposals).get, key="tiers.override_customer")
        c2.selectbox(ui.tr("tiers.override_tier"), list(tiers.TIERS), index=None, key="tiers.override_tier")
        c3.text_input(ui.tr("tiers.override_reason"), key="tiers.override_reason")
        st.button(ui.tr("tiers.override"), key="tiers.override", on_click=override, args=(reg,))
    with st.expander(ui.tr("tiers.service")):
        st.dataframe(tiers.service_table(settings, lang), hide_index=True, key="tiers.service")

if approver:
    with tabs[1]:
        st.caption(ui.tr("tiers.whatif_intro", method=tiers.method_label(settings.tier_method, lang)))
        weights = {k: col.number_input(tiers.sub_score_label(k, lang), 0, 100, round(settings.tier_weights[k]),
                                       key=f"tiers.whatif.{k}") for col, k in zip(st.columns(5), tiers.SUB_SCORES)}
        thresholds = {k: col.number_input(ui.tr(f"tiers.threshold_{k}"), 0, 100, round(settings.tier_thresholds[k]),
                                          key=f"tiers.whatif.{k}") for col, k in zip(st.columns(5), ("A", "B"))}
        try:
            trial = tiers.what_if_of(reg, ui.now().date(), weights, thresholds,
                                     baseline=proposals if method == settings.tier_method else None)
        except RegisterError as e:  # every weight set to zero
            st.error(e.message(lang))
            st.stop()
        st.metric(ui.tr("tiers.whatif_moved"), trial["moved"])
        st.write(tiers.moves_text(trial["moves"], lang) or ui.tr("tiers.whatif_none"))
        st.dataframe(tiers.migration_table(trial["matrix"], lang), key="tiers.whatif.matrix")
        if auth.can(user, "settings"):
            st.button(ui.tr("tiers.whatif_save"), key="tiers.whatif.save", on_click=ui.run_write,
                      args=(tiers.save_settings_weights, ui.store(), reg, user, weights, thresholds, lang),
                      kwargs={"success": ui.tr("tiers.whatif_saved")})
        else:
            st.info(ui.tr("tiers.whatif_admin_only"))
