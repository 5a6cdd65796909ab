"""New customer: the entry form with its primary contact and a duplicate check; admins import whole lists."""

import streamlit as st

from lib import auth, customers, dedupe, exports, importer, ui
from lib.errors import RegisterError

reg, user = ui.page_start("edit")
lang, store = ui.lang(), ui.store()
st.title(ui.tr("nav.new_customer"))


if saved := st.session_state.pop("new_customer.saved", None):
    st.success(ui.tr("customers.created", id=saved))
    st.page_link("views/customer.py", label=ui.tr("customers.open_record", id=saved), query_params={"id": saved}, icon="🗂️")
tabs = st.tabs([ui.tr("customers.one"), ui.tr("import.title")], key="new_customer.tabs") if auth.can(user, "import") else [st.container()]
with tabs[0]:
    business, person = st.columns([3, 2])
    with business:
        st.subheader(ui.tr("customers.business"))
        values = {k: ui.field_input("customers", k, "new_customer", user.email if k == "owner" else None)
                  for k in customers.ENTRY_FIELDS}
    with person:
        st.subheader(ui.tr("customers.primary_contact"))
        contact = {k: ui.field_input("contacts", k, "new_customer.contact") for k in customers.NEW_CONTACT_FIELDS}
    matches = dedupe.find_duplicates(reg, values["name"], contact["phone"], contact["email"])
    if matches:
        st.warning(ui.tr("customers.probable_duplicates"))
        for m in matches:
            st.page_link("views/customer.py", label=customers.match_text(m, lang), query_params={"id": m.customer_id}, icon="🔗")
    confirmed = bool(matches) and st.checkbox(ui.tr("customers.save_anyway"), key="new_customer.save_anyway")
    if st.button(ui.tr("customers.save"), type="primary", key="new_customer.save"):
        new_id = ui.run_write(customers.add_customer, store, reg, user, values, contact, lang, ui.now(),
                              duplicates_confirmed=confirmed, success=ui.tr("common.saved"))
        if new_id:
            for key in [k for k in st.session_state if k.startswith("new_customer.")]:
                del st.session_state[key]
            st.session_state["new_customer.saved"] = new_id
            st.rerun()

if len(tabs) > 1:
    with tabs[1]:
        st.caption(ui.tr("import.help"))
        upload = st.file_uploader(ui.tr("import.file"), type=["csv", "xlsx"], key="new_customer.import_file")
        if upload:
            try:
                source = importer.read_file(upload.getvalue(), upload.name, st.session_state.get("new_customer.import_sheet"))
            except RegisterError as e:
                st.error(e.message(lang))
                st.stop()
            if len(source.sheets) > 1:
                st.selectbox(ui.tr("import.sheet"), source.sheets, key="new_customer.import_sheet")
            targets = importer.target_options(lang)
            edited = st.data_editor(importer.mapping_frame(source, importer.auto_mapping(source.headers), lang),
                                    hide_index=True, disabled=["column", "sample"], key=f"new_customer.import_mapping.{upload.name}",
                                    column_config={"target": st.column_config.SelectboxColumn(
                                        ui.tr("import.target"), options=list(targets.values()), required=True),
                                        "column": ui.tr("import.column"), "sample": ui.tr("import.sample")})
            plan = importer.plan_import(reg, source, importer.mapping_from(edited, lang), lang)
            st.caption(importer.plan_summary(plan, lang))
            st.dataframe(importer.preview_frame(plan, lang), hide_index=True, key="new_customer.import_preview")
            default = st.radio(ui.tr("import.on_duplicate"), importer.DECISIONS, horizontal=True,
                               format_func=lambda d: ui.tr(f"import.decision_{d}"), key="new_customer.import_default")
            decisions = {}
            if plan.count("duplicate"):
                decisions = importer.decisions_from(st.data_editor(
                    importer.decisions_frame(plan, lang, default), hide_index=True, disabled=["row", "name", "match", "why"],
                    key=f"new_customer.import_decisions.{default}", column_config={"decision": st.column_config.SelectboxColumn(
                        ui.tr("import.decision"), options=list(importer.DECISIONS), required=True)}))
            if st.button(ui.tr("import.run"), type="primary", key="new_customer.import_run"):
                bar = st.progress(0.0)
                result = ui.run_write(importer.run_import, store, reg, user, plan, decisions, default, lang, ui.now(), bar.progress)
                if result:
                    st.session_state["new_customer.import_result"] = result
                    st.rerun()
        if result := st.session_state.get("new_customer.import_result"):
            st.success(importer.accounting_text(result, lang))
            st.dataframe(importer.outcome_display(result.outcomes, lang), hide_index=True, key="new_customer.import_outcomes")
            st.download_button(ui.tr("import.download_not_imported"), importer.not_imported_csv(result, lang),
                               file_name=f"{result.batch_id}-not-imported.csv", mime=exports.CSV_MIME,
                               key="new_customer.import_not_imported", icon="⬇️")
        if batches := importer.batch_options(reg, lang):
            st.subheader(ui.tr("import.undo_title"))
            batch = st.selectbox(ui.tr("import.undo_batch"), list(batches), format_func=batches.get, index=None,
                                 key="new_customer.undo_batch")
            if batch and st.button(ui.tr("import.undo"), key="new_customer.undo") and ui.run_write(
                    importer.undo_import, store, reg, user, batch, lang, ui.now(), success=ui.tr("import.undone", batch=batch)):
                st.rerun()
