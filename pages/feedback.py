"""feedback page (being built)."""
import streamlit as st

from lib import ui

reg, user = ui.page_start()
st.title(ui.tr("nav.feedback"))
