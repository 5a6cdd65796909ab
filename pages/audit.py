"""audit page (being built)."""
import streamlit as st

from lib import ui

reg, user = ui.page_start("audit")
st.title(ui.tr("nav.audit"))
