"""Audit log (变更日志): every change with time, user, tab, record, field, old → new, reason; filters; export."""
import streamlit as st

from lib import audit, auth, exports, ui

reg, user = ui.page_start("audit")
st.title(ui.tr("nav.audit"))
st.caption(ui.tr("audit.intro"))
for warning in audit.home_warnings(reg, ui.lang()):
    st.warning(warning, icon="⚠️")

choices = audit.filter_choices(reg, ui.lang())
left, middle, right = st.columns(3)
users = left.multiselect(ui.tr("audit.filter_user"), list(choices["users"]), key="audit.users")
customer = middle.selectbox(ui.tr("audit.filter_customer"), ["", *choices["customers"]], key="audit.customer",
                            format_func=lambda c: choices["customers"].get(c, ui.tr("audit.all")))
tables = right.multiselect(ui.tr("audit.filter_table"), list(choices["tables"]), key="audit.tables",
                           format_func=choices["tables"].get)
left, middle, right = st.columns(3)
actions = left.multiselect(ui.tr("audit.filter_action"), list(choices["actions"]), key="audit.actions",
                           format_func=choices["actions"].get)
start = middle.date_input(ui.tr("audit.filter_from"), value=None, key="audit.from")
end = right.date_input(ui.tr("audit.filter_to"), value=None, key="audit.to")

wanted = audit.AuditFilter(tuple(users), customer, tuple(tables), tuple(actions), start, end)
view = audit.audit_view(reg, wanted, ui.lang())
st.caption(ui.tr("audit.count", n=len(view), total=len(reg.frame("audit"))))
if view.empty:
    st.info(ui.tr("audit.empty"))
else:
    st.dataframe(view, hide_index=True, key="audit.table")

if auth.can(user, "export") and not view.empty:
    stamp, sheet = f"{ui.now():%Y%m%d-%H%M}", ui.tr("nav.audit")
    left, right = st.columns(2)
    left.download_button(ui.tr("audit.export_csv"), data=lambda: exports.to_csv_bytes(view),
                         file_name=f"audit-{stamp}.csv", mime=exports.CSV_MIME, key="audit.export_csv")
    right.download_button(ui.tr("audit.export_xlsx"), data=lambda: exports.to_xlsx_bytes({sheet: view}),
                          file_name=f"audit-{stamp}.xlsx", mime=exports.XLSX_MIME, key="audit.export_xlsx")
