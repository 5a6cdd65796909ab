"""admin page (being built)."""
import streamlit as st

from lib import ui

reg, user = ui.page_start("settings")
st.title(ui.tr("nav.admin"))
