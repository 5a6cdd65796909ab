"""Customer Register (客户档案): page config, sign-in and navigation — nothing else."""
import streamlit as st

from lib import navigation, ui

st.set_page_config(page_title="客户档案 · Customer Register", page_icon="📇", layout="wide")
ui.language_switch()
user = ui.current_user()
if user is None:  # signed out or refused: the sign-in page is the only page offered
    st.navigation([st.Page(ui.sign_in, title=ui.tr("common.sign_in"), url_path="sign-in")], position="hidden").run()
    st.stop()
pages = [st.Page(p.path, title=ui.tr(p.title), url_path=p.url_path, icon=p.icon, default=i == 0)
         for i, p in enumerate(navigation.pages_for(user))]
st.navigation(pages).run()
