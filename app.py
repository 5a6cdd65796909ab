"""Customer Register (客户档案): page config, sign-in and navigation — nothing else."""
import streamlit as st

from lib import navigation, ui

st.set_page_config(page_title="客户档案 · Customer Register", page_icon="📇", layout="wide")
ui.language_switch()
user = ui.current_user()
if user is None:
    ui.sign_in()
    st.stop()
pages = [st.Page(p.path, title=ui.tr(p.title), url_path=p.url_path, icon=p.icon, default=i == 0)
         for i, p in enumerate(navigation.pages_for(user))]
st.navigation(pages).run()
