"""Adding, editing (with a hand edit in between) and importing customers work the same on every backend."""
from __future__ import annotations

import pytest

from lib import customers, importer
from lib.errors import ConflictError
from lib.register import read_register
from lib.store.base import ChangeSet
from tests.data.fixtures import ADMIN, NOW, STAFF
from tests.data.make_messy_customers import EXPECTED, FORMULA_NAME, PATH
from tests.data.registers import small_register


@pytest.fixture
def store(make_store):
    return make_store("zh", raw=small_register("zh"))


def _load(store):
    return read_register(store.load())


def test_add_customer_saves_customer_contact_and_audit(store):
    customer_id = customers.add_customer(store, _load(store), STAFF, {"name": "杭州启明教育咨询有限公司", "budget": "1.2万"},
                                         {"name": "陈静", "phone": "13812345678"}, "zh", NOW)
    reg = _load(store)
    assert (customer_id, reg.record("customers", customer_id)["budget"]) == ("C-000006", 12000.0)
    assert reg.record("contacts", "P-000006")["is_primary"]
    assert reg.frame("audit")["record_id"].tolist() == ["C-000006", "P-000006"]


def test_an_edit_over_a_hand_edit_is_a_conflict_and_overwriting_saves_mine(store):
    started = customers.editable_values(_load(store), "C-000003")
    hand = ChangeSet("sheet@example.com", at=NOW)
    hand.update("customers", "C-000003", "stage", "prospect", "interested")
    store.save(hand)
    with pytest.raises(ConflictError) as conflict:
        customers.update_customer(store, _load(store), STAFF, "C-000003", {"stage": "customer"}, started, "签约", "zh", NOW)
    assert [(c.field, c.current) for c in conflict.value.conflicts] == [("stage", "interested")]
    customers.update_customer(store, _load(store), STAFF, "C-000003", {"stage": "customer"},
                              customers.rebased(started, conflict.value.conflicts), "签约", "zh", NOW)
    row = _load(store).record("customers", "C-000003")
    assert (row["stage"], row["updated_by"]) == ("customer", STAFF.email)


def test_import_accounts_for_every_row_and_keeps_formulas_as_text(store):
    reg = _load(store)
    plan = importer.plan_import(reg, importer.read_file(PATH.read_bytes(), PATH.name), lang="zh")
    result = importer.run_import(store, reg, ADMIN, plan, lang="zh", now=NOW)
    assert {k: getattr(result, k) for k in EXPECTED} == EXPECTED
    names = _load(store).frame("customers")["name"].tolist()
    assert FORMULA_NAME in names and len(names) == 10
