"""Admin (管理): back up and restore the register, clear the demo data, edit the Settings tab."""
import streamlit as st

from lib import backup, exports, ui
from lib.errors import RegisterError

reg, user = ui.page_start("settings")
st.title(ui.tr("nav.admin"))
store = ui.store()

st.header(ui.tr("admin.backup"))
st.caption(ui.tr("admin.backup_hint"))
st.download_button(ui.tr("admin.download_backup"), data=lambda: backup.backup_for(store, user),
                   file_name=backup.backup_filename(ui.now()), mime=exports.XLSX_MIME, icon="💾",
                   key="admin.download_backup")

st.header(ui.tr("admin.restore"))
st.caption(ui.tr("admin.restore_hint"))
upload = st.file_uploader(ui.tr("admin.restore_file"), type=["xlsx"], key="admin.restore_file")
if upload is not None:
    try:
        preview = backup.inspect_backup(upload.getvalue())
    except RegisterError as e:
        st.error(e.message(ui.lang()))
    else:
        st.write(ui.tr("admin.restore_preview", rows=preview.rows))
        st.dataframe(preview.counts(ui.lang()), hide_index=True, key="admin.restore_counts")
        if preview.ignored:
            st.warning(ui.tr("admin.restore_ignored", titles="、".join(preview.ignored)))
        if not store.is_empty():
            st.warning(ui.tr("admin.restore_not_empty"))
        else:
            confirmed = st.checkbox(ui.tr("admin.restore_confirm"), key="admin.restore_confirm")
            if st.button(ui.tr("admin.restore_button"), disabled=not confirmed, key="admin.restore"):
                bar = st.progress(0.0, text=ui.tr("admin.restore_progress"))
                if ui.run_write(backup.restore, store, preview.raw, user,
                                progress=lambda done: bar.progress(done, text=ui.tr("admin.restore_progress")),
                                success=ui.tr("admin.restored", rows=preview.rows)):
                    st.rerun()

if reg.raw.demo:
    st.header(ui.tr("admin.demo"))
    st.info(ui.tr("admin.demo_hint"))
    confirmed = st.checkbox(ui.tr("admin.demo_confirm"), key="admin.demo_confirm")
    if st.button(ui.tr("admin.demo_clear"), disabled=not confirmed, type="primary", key="admin.demo_clear"):
        if ui.run_write(backup.clear_demo, store, reg, user, ui.lang(), ui.now(), success=ui.tr("admin.demo_cleared")):
            st.rerun()

st.header(ui.tr("admin.settings"))
st.caption(ui.tr("admin.settings_hint"))
rows = backup.settings_rows(reg)
st.dataframe(rows[["key", "value", "description"]].rename(columns={
    "key": ui.tr("admin.setting_key"), "value": ui.tr("admin.setting_value"),
    "description": ui.tr("admin.setting_description")}), hide_index=True, key="admin.settings_table")
chosen = st.selectbox(ui.tr("admin.setting_key"), rows["key"].tolist(), key="admin.setting_key")
current = rows[rows["key"] == chosen].iloc[0]
if not current["stored"]:
    st.caption(ui.tr("admin.setting_default"))
with st.form("admin.setting_form"):
    value = st.text_area(ui.tr("admin.setting_value"), value=current["value"], key=f"admin.setting_value.{chosen}")
    description = st.text_input(ui.tr("admin.setting_description"), value=current["description"],
                                key=f"admin.setting_description.{chosen}")
    reason = st.text_input(ui.tr("admin.setting_reason"), key="admin.setting_reason")
    submitted = st.form_submit_button(ui.tr("admin.setting_save"), key="admin.setting_save")
if submitted and ui.run_write(backup.save_setting, store, reg, user, chosen, value, description, reason,
                              ui.lang(), ui.now(), success=ui.tr("common.saved")):
    st.rerun()
