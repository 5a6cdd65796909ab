"""Customers: search, filter, sort and page through the register; export the view; merge probable duplicates."""
import streamlit as st

from lib import auth, customers, dedupe, exports, ui

PAGE_SIZE = 50
reg, user = ui.page_start()
lang, store = ui.lang(), ui.store()
st.title(ui.tr("nav.customers"))

options = customers.filter_options(reg)
query = st.text_input(ui.tr("customers.search"), key="customers.search", placeholder=ui.tr("customers.search_hint"))
filters = {}
for col, key in zip(st.columns(5), ("tier", "stage", "industry", "region", "owner")):
    filters[key] = col.multiselect(customers.field_label("customers", key, lang), options[key], key=f"customers.{key}",
                                   format_func=lambda v, key=key: customers.value_text("customers", key, v, lang))
left, right = st.columns(2)
shown = left.segmented_control(ui.tr("customers.show"), list(customers.ARCHIVED_FILTERS), default="active",
                               format_func=lambda v: ui.tr(f"customers.show_{v}"), key="customers.archived") or "active"
sort = right.selectbox(ui.tr("customers.sort"), list(customers.SORTS), format_func=lambda v: ui.tr(f"customers.sort_{v}"),
                       key="customers.sort")
found = customers.search_customers(reg, query, archived=customers.ARCHIVED_FILTERS[shown], sort=sort, **filters)

pages = customers.page_count(len(found), PAGE_SIZE)
page = st.number_input(ui.tr("customers.page", pages=pages), min_value=1, max_value=pages, value=1, step=1,
                       key="customers.page")
rows, _ = customers.page_of(found, page, PAGE_SIZE)
st.caption(ui.tr("customers.found", n=len(found), first=min(len(found), (page - 1) * PAGE_SIZE + 1),
                 last=min(len(found), page * PAGE_SIZE)))
table = customers.list_display(rows, user, lang, link_ids=True)
id_column = customers.field_label("customers", "customer_id", lang)
st.dataframe(table, hide_index=True, key="customers.table",
             column_config={id_column: st.column_config.LinkColumn(id_column, display_text=r"customer\?id=(.*)")})

if auth.can(user, "export"):
    csv_col, xlsx_col = st.columns(2)
    csv_col.download_button(ui.tr("customers.export_csv"), lambda: customers.export_customers(found, user, lang, "csv"),
                            file_name="customers.csv", mime=exports.CSV_MIME, key="customers.export_csv", icon="⬇️")
    xlsx_col.download_button(ui.tr("customers.export_xlsx"), lambda: customers.export_customers(found, user, lang, "xlsx"),
                             file_name="customers.xlsx", mime=exports.XLSX_MIME, key="customers.export_xlsx", icon="⬇️")

if auth.can(user, "merge") and st.toggle(ui.tr("customers.duplicates"), key="customers.show_duplicates"):
    with st.container(border=True):
        pairs = customers.pair_options(reg, lang)
        if not pairs:
            st.success(ui.tr("customers.no_duplicates"))
        pair = st.selectbox(ui.tr("customers.pair"), list(pairs), format_func=pairs.get, index=None, key="customers.pair")
        if pair:
            names = customers.customer_options(reg)
            survivor = st.radio(ui.tr("customers.survivor"), pair.split("|"), format_func=names.get, key="customers.survivor")
            duplicate = next(i for i in pair.split("|") if i != survivor)
            st.caption(ui.tr("customers.merge_help", survivor=survivor, duplicate=duplicate))
            picks = st.data_editor(customers.merge_choices(reg, survivor, duplicate, lang), hide_index=True,
                                   key=f"customers.merge_picks.{survivor}.{duplicate}",
                                   column_order=["field", "survivor", "duplicate", "keep"],
                                   disabled=["field", "survivor", "duplicate"],
                                   column_config={"keep": st.column_config.SelectboxColumn(
                                       ui.tr("customers.keep"), options=[survivor, duplicate], required=True),
                                       "survivor": survivor, "duplicate": duplicate, "field": ui.tr("customers.field")})
            chosen = customers.chosen_values(reg, survivor, duplicate, dict(zip(picks["field_key"], picks["keep"])))
            reason = st.text_input(ui.tr("customers.reason"), key="customers.merge_reason")
            if st.button(ui.tr("customers.merge_now", duplicate=duplicate, survivor=survivor), type="primary",
                         key="customers.merge_now") and ui.run_write(
                    customers.merge_customers, store, reg, user, survivor, duplicate, chosen, lang, ui.now(), reason,
                    success=ui.tr("customers.merged", duplicate=duplicate, survivor=survivor)):
                st.rerun()
        st.caption(ui.tr("customers.duplicates_help", threshold=dedupe.NAME_THRESHOLD))
