"""Follow-ups by owner (overdue, this week, tier cadence) and care events (birthdays, key dates)."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from lib import followups
from lib.auth import User
from lib.register import read_register
from lib.settings import Settings
from tests.data.registers import CONTACTS, CUSTOMERS, INTERACTIONS, TODAY, small_register

BASE = {"industry": "", "stage": "customer", "owner": "a@example.com", "created_at": datetime(2026, 1, 1, 9),
        "archived": False}


def _reg(customers=None, interactions=None, contacts=None):
    return read_register(small_register("zh", customers=customers if customers is not None else CUSTOMERS,
                                        interactions=interactions if interactions is not None else INTERACTIONS,
                                        contacts=contacts if contacts is not None else CONTACTS))


def _one(customer: dict, interactions=(), today=TODAY, settings=None):
    reg = _reg([{**BASE, "customer_id": "C-000001", "name": "Acme", **customer}], list(interactions), [])
    return followups.my_follow_ups(reg, None, today, settings).iloc[0]


def _talk(day: date, next_date: date | None = None, number: int = 1) -> dict:
    return {"interaction_id": f"I-{number:06d}", "customer_id": "C-000001", "date": day, "channel": "phone",
            "summary": "call", "next_date": next_date}


@pytest.mark.parametrize("tier, due", [("A", date(2026, 10, 31)), ("B", date(2026, 11, 30)), ("C", date(2026, 12, 30)),
                                       (None, date(2026, 12, 30))], ids=["A-30", "B-60", "C-90", "untiered-as-C"])
def test_cadence_counts_the_tiers_days_from_the_last_contact(tier, due):
    row = _one({"tier": tier}, [_talk(date(2026, 10, 1))])
    assert (row["due"].date(), row["rule"]) == (due, "cadence")


def test_cadence_follows_the_settings():
    settings = Settings(follow_up_days={"A": 7, "B": 60, "C": 90})
    assert _one({"tier": "A"}, [_talk(date(2026, 11, 1))], settings=settings)["due"].date() == date(2026, 11, 8)


def test_a_never_contacted_customer_counts_from_its_creation():
    row = _one({"tier": "A", "created_at": datetime(2026, 11, 1, 9)})
    assert (row["due"].date(), row["rule"]) == (date(2026, 12, 1), "cadence")


def test_an_agreed_next_follow_up_wins_over_the_cadence():
    row = _one({"tier": "C", "next_follow_up": date(2026, 11, 25)}, [_talk(date(2026, 11, 1))])
    assert (row["due"].date(), row["rule"], row["bucket"]) == (date(2026, 11, 25), "next_follow_up", "this_week")


def test_the_next_date_of_the_last_contact_counts_when_no_follow_up_is_agreed():
    row = _one({"tier": "C"}, [_talk(date(2026, 9, 1), date(2026, 11, 2), 1), _talk(date(2026, 10, 1), date(2026, 11, 5), 2)])
    assert (row["due"].date(), row["rule"], row["bucket"], row["days_overdue"]) == (date(2026, 11, 5), "next_date", "overdue", 15)


def test_of_two_contacts_on_the_same_day_the_higher_interaction_id_is_the_latest():
    row = _one({"tier": "C"}, [_talk(date(2026, 10, 1), date(2026, 11, 9), 7), _talk(date(2026, 10, 1), date(2026, 11, 5), 3),
                               _talk(None, date(2026, 12, 1), 9)])
    assert (row["last_interaction"].date(), row["due"].date(), row["rule"]) == (date(2026, 10, 1), date(2026, 11, 9),
                                                                                 "next_date")


def test_undated_contacts_alone_give_the_next_date_of_the_highest_interaction_id():
    row = _one({"tier": "C"}, [_talk(None, date(2026, 11, 9), 2), _talk(None, date(2026, 11, 5), 1)])
    assert (pd.isna(row["last_interaction"]), row["due"].date(), row["rule"]) == (True, date(2026, 11, 9), "next_date")


def test_follow_ups_are_computed_once_per_register_owner_and_day():
    reg = _reg()
    everyone = followups.my_follow_ups(reg, None, TODAY)
    assert followups.my_follow_ups(reg, None, TODAY) is everyone
    assert followups.my_follow_ups(reg, " ZHANG.WEI@example.com", TODAY) is followups.my_follow_ups(
        reg, "zhang.wei@example.com", TODAY)
    assert len(followups.my_follow_ups(reg, "zhang.wei@example.com", TODAY)) == 3
    assert followups.my_follow_ups(reg, None, date(2026, 11, 21)) is not everyone
    assert followups.care_events(reg, TODAY) is followups.care_events(reg, TODAY)


def test_other_settings_than_the_registers_are_not_remembered():
    reg = _reg()
    followups.my_follow_ups(reg, None, TODAY)
    quick = followups.my_follow_ups(reg, None, TODAY, Settings(follow_up_days={"A": 1, "B": 1, "C": 1}))
    assert set(quick["cadence_days"]) == {1}
    assert set(followups.my_follow_ups(reg, None, TODAY)["cadence_days"]) != {1}


def test_a_follow_up_date_already_dealt_with_falls_back_to_the_cadence():
    row = _one({"tier": "A", "next_follow_up": date(2026, 11, 1)}, [_talk(date(2026, 11, 3))])
    assert (row["due"].date(), row["rule"]) == (date(2026, 12, 3), "cadence")


@pytest.mark.parametrize("due, bucket", [(date(2026, 11, 19), "overdue"), (date(2026, 11, 20), "this_week"),
                                         (date(2026, 11, 26), "this_week"), (date(2026, 11, 27), "later")],
                         ids=["yesterday", "today", "in-six-days", "in-seven-days"])
def test_buckets_are_relative_to_today(due, bucket):
    assert _one({"next_follow_up": due})["bucket"] == bucket


def test_lost_and_archived_customers_need_no_follow_up():
    ids = followups.my_follow_ups(_reg(), None, TODAY)["customer_id"].tolist()
    assert "C-000004" not in ids and len(ids) == 4


def test_my_follow_ups_keeps_one_owners_customers_soonest_first():
    table = followups.my_follow_ups(_reg(), "Zhang.Wei@example.com", TODAY)
    assert table["customer_id"].tolist() == ["C-000005", "C-000001", "C-000003"]
    assert table.iloc[1][["rule", "bucket", "days_overdue"]].tolist() == ["next_follow_up", "overdue", 10]


def test_overdue_count_is_the_users_own_when_they_own_customers():
    user = User("zhang.wei@example.com", role="staff")
    assert followups.overdue_follow_ups(_reg(), user, datetime(2026, 11, 20, 10)) == 2


def test_overdue_count_is_everyones_for_someone_who_owns_none():
    assert followups.overdue_follow_ups(_reg(), User("local", role="admin"), datetime(2026, 11, 20, 10)) == 3


@pytest.mark.parametrize("month, day, today, upcoming", [
    (11, 25, date(2026, 11, 20), date(2026, 11, 25)),
    (11, 20, date(2026, 11, 20), date(2026, 11, 20)),
    (1, 3, date(2026, 12, 30), date(2027, 1, 3)),
    (2, 29, date(2026, 2, 1), date(2026, 2, 28)),
    (2, 29, date(2027, 12, 1), date(2028, 2, 29)),
], ids=["later-this-year", "today", "next-year", "leap-day-in-common-year", "leap-day-in-leap-year"])
def test_next_occurrence_is_year_agnostic(month, day, today, upcoming):
    assert followups.next_occurrence(month, day, today) == upcoming


def test_care_events_list_birthdays_and_key_dates_within_the_lookahead():
    events = followups.care_events(_reg(), TODAY)
    assert events[["kind", "date", "days_until", "customer_id", "contact"]].values.tolist() == [
        ["birthday", date(2026, 11, 25), 5, "C-000001", "王伟"], ["key_date", date(2026, 11, 28), 8, "C-000001", ""]]


def test_care_events_follow_the_lookahead_setting():
    events = followups.care_events(_reg(), TODAY, Settings(care_lookahead_days=5))
    assert events["kind"].tolist() == ["birthday"]


def test_a_leap_day_birthday_is_celebrated_on_28_february():
    events = followups.care_events(_reg(), date(2027, 2, 20))
    assert events[["contact", "date"]].values.tolist() == [["Emily Tan", date(2027, 2, 28)]]


def test_care_events_can_be_one_owners():
    assert followups.care_events(_reg(), TODAY, owner="li.na@example.com").empty


def test_display_names_the_rule_in_the_users_language():
    shown = followups.follow_up_display(followups.my_follow_ups(_reg(), None, TODAY), "overdue", "en")
    assert shown.iloc[1][["Customer ID", "Because of", "Days overdue"]].tolist() == [
        "customer?id=C-000001", "agreed follow-up date", 10]
