"""Follow-ups and care: whom to call (overdue, due this week, later by tier cadence) and whose birthday or key date is near."""
import streamlit as st

from lib import followups, ui

reg, user = ui.page_start()
lang, today = ui.lang(), ui.now().date()
st.title(ui.tr("nav.follow_ups"))

owners = ["", *followups.owners(reg)]
mine = next((o for o in owners if o and o.casefold() == user.email.casefold()), "")
owner = st.selectbox(ui.tr("followups.owner"), owners, index=owners.index(mine), key="follow_ups.owner",
                     format_func=lambda o: o or ui.tr("followups.everyone"))
table = followups.my_follow_ups(reg, owner or None, today)
id_column = ui.tr("followups.id_column")
link = {id_column: st.column_config.LinkColumn(id_column, display_text=r"customer\?id=(.*)")}
for col, (bucket, count) in zip(st.columns(3), followups.bucket_counts(table).items()):
    col.metric(ui.tr(f"followups.{bucket}"), count)
for bucket in followups.BUCKETS:
    st.subheader(ui.tr(f"followups.{bucket}"))
    part = followups.follow_up_display(table, bucket, lang)
    if part.empty:
        st.caption(ui.tr("followups.nothing"))
    else:
        st.dataframe(part, hide_index=True, column_config=link, key=f"follow_ups.{bucket}")
st.caption(ui.tr("followups.rules", days=", ".join(f"{t} {d}" for t, d in reg.settings.follow_up_days.items())))

st.subheader(ui.tr("followups.care", days=reg.settings.care_lookahead_days))
care = followups.care_display(followups.care_events(reg, today, owner=owner or None), lang)
if care.empty:
    st.caption(ui.tr("followups.no_care"))
else:
    st.dataframe(care, hide_index=True, column_config=link, key="follow_ups.care")
