"""Home: which register is open, counts per tab, data health, and what needs attention."""
import streamlit as st

from lib import audit, home, ui

reg, user = ui.page_start()
st.title(ui.tr("home.title"))
store = ui.store()
st.caption(ui.tr("home.source", kind=store.kind, location=store.location))
if store.link:
    st.link_button(ui.tr("home.open_sheet"), store.link)

for warning in audit.home_warnings(reg, ui.lang()):
    st.warning(warning)

summary = home.attention(reg, user, ui.now())
cols = st.columns(len(summary))
for col, (key, value) in zip(cols, summary.items()):
    col.metric(ui.tr(f"home.{key}"), value)

st.subheader(ui.tr("home.counts"))
st.dataframe(home.counts_table(reg, ui.lang()), hide_index=True, key="home.counts")

st.subheader(ui.tr("home.health"))
health = home.health_table(reg, ui.lang())
if health.empty:
    st.success(ui.tr("home.healthy"))
else:
    st.warning(ui.tr("home.problems", n=len(health)))
    st.dataframe(health, hide_index=True, key="home.health")

changes = audit.home_changes(reg, user, ui.now(), since=ui.last_visit(reg, user), lang=ui.lang())
st.subheader(ui.tr("audit.changes_title"))
if changes.empty:
    st.caption(ui.tr("audit.changes_none"))
else:
    st.dataframe(changes, hide_index=True)
