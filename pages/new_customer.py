"""new_customer page (being built)."""
import streamlit as st

from lib import ui

reg, user = ui.page_start("edit")
st.title(ui.tr("nav.new_customer"))
