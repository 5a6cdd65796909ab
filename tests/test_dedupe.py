"""Probable duplicates: names compared after normalising, fuzzy similarity, same phone or e-mail."""
from __future__ import annotations

import pytest

from lib import dedupe
from lib.register import read_register
from tests.data.registers import CONTACTS, CUSTOMERS, small_register


@pytest.fixture
def reg():
    return read_register(small_register("zh"))


@pytest.mark.parametrize("name, normalised", [
    ("上海华信科技有限公司", "华信科技"),
    ("华信科技（上海）有限公司", "华信科技"),
    ("华信科技(有限公司)", "华信科技"),
    ("北京市华信科技股份有限公司", "华信科技"),
    ("华信科技有限责任公司", "华信科技"),
    ("华信集团", "华信"),
    ("华信科技【深圳市】", "华信科技"),
    ("Harbor Logistics Co., Ltd.", "harbor logistics"),
    ("HARBOR  LOGISTICS CO LTD", "harbor logistics"),
    ("Ｈａｒｂｏｒ　Ｌｏｇｉｓｔｉｃｓ Inc.", "harbor logistics"),
    ("Lumen Foods GmbH", "lumen foods"),
    ("Acme Corp.", "acme"),
    ("Shanghai Electric Group", "electric"),
    ("上海市", "上海市"),
    ("公司", "公司"),
], ids=["region-prefix", "region-in-brackets", "suffix-in-brackets", "city-with-shi", "llc-zh", "group",
        "square-brackets", "co-ltd", "upper-case-spaces", "full-width", "gmbh", "corp", "english-region",
        "region-only-kept", "suffix-only-kept"])
def test_normalise_name_folds_width_case_brackets_suffixes_and_region(name, normalised):
    assert dedupe.normalise_name(name) == normalised


def test_normalise_name_keeps_the_region_when_asked():
    assert dedupe.normalise_name("上海华信科技有限公司", strip_region=False) == "上海华信科技"


@pytest.mark.parametrize("a, b, similar", [
    ("上海华信科技有限公司", "华信科技（上海）有限公司", True),
    ("上海华信科技有限公司", "华信科技", True),
    ("Harbor Logistics Co., Ltd.", "Harbour Logistics", True),
    ("Lumen Foods", "Foods Lumen Ltd", True),
    ("华信科技贸易服务中心", "华信科技贸易服务中兴", True),
    ("华信科技", "华信贸易", False),
    ("上海华信科技", "北京华信科技", False),
    ("Harbor Logistics", "Harbor Robotics", False),
    ("华信科技1号门店有限公司", "华信科技2号门店有限公司", False),
], ids=["region-moved", "region-missing", "spelling-variant", "word-order", "one-typo-long-name",
        "shared-stem", "different-regions", "different-trade", "different-numbers"])
def test_similarity_reaches_the_threshold_only_for_the_same_company(a, b, similar):
    assert (dedupe.similarity(a, b) >= dedupe.NAME_THRESHOLD) is similar


def test_find_duplicates_matches_a_variant_of_a_name(reg):
    matches = dedupe.find_duplicates(reg, "华信科技（上海）有限公司")
    assert [(m.customer_id, m.reasons) for m in matches] == [("C-000001", ("name",))]
    assert matches[0].score == 100


def test_find_duplicates_matches_the_same_phone_whatever_its_format(reg):
    matches = dedupe.find_duplicates(reg, "完全不同的名字", phone="+86 138-0013-8000")
    assert [(m.customer_id, m.reasons) for m in matches] == [("C-000001", ("phone",))]


def test_find_duplicates_matches_the_same_email_in_any_case(reg):
    matches = dedupe.find_duplicates(reg, "", email="EMILY@Harbor.Example")
    assert [(m.customer_id, m.reasons) for m in matches] == [("C-000002", ("email",))]


def test_find_duplicates_puts_matches_with_more_reasons_first(reg):
    matches = dedupe.find_duplicates(reg, "Harbor Logistics", phone="13800138000")
    assert [m.customer_id for m in matches] == ["C-000002", "C-000001"]


def test_find_duplicates_flags_archived_customers(reg):
    matches = dedupe.find_duplicates(reg, "深圳锦程物流")
    assert [(m.customer_id, m.archived) for m in matches] == [("C-000004", True)]


def test_find_duplicates_leaves_out_excluded_ids(reg):
    assert dedupe.find_duplicates(reg, "上海华信科技有限公司", exclude=["C-000001"]) == []


def test_find_duplicates_finds_nothing_for_a_new_company(reg):
    assert dedupe.find_duplicates(reg, "杭州启明教育咨询有限公司", phone="13812345678") == []


def test_duplicate_pairs_finds_same_name_and_same_phone_pairs():
    customers = [*CUSTOMERS, {**CUSTOMERS[0], "customer_id": "C-000006", "name": "华信科技(上海)有限公司"},
                 {**CUSTOMERS[2], "customer_id": "C-000007", "name": "众诚信息"}]
    contacts = [*CONTACTS, {"contact_id": "P-000009", "customer_id": "C-000007", "name": "张敏", "phone": "136 2222 3333"}]
    reg = read_register(small_register("zh", customers=customers, contacts=contacts))
    pairs = dedupe.duplicate_pairs(reg)
    assert pairs[["a_id", "b_id", "reasons"]].values.tolist() == [
        ["C-000001", "C-000006", ("name",)], ["C-000003", "C-000007", ("phone",)]]


def test_duplicate_pairs_leaves_out_archived_customers():
    customers = [*CUSTOMERS, {**CUSTOMERS[3], "customer_id": "C-000006", "archived": False}]
    reg = read_register(small_register("zh", customers=customers))
    assert dedupe.duplicate_pairs(reg).empty


def test_finder_is_built_once_per_register(reg):
    assert dedupe.finder_for(reg) is dedupe.finder_for(reg)


@pytest.mark.parametrize("reasons, lang, text", [
    (("name", "phone"), "zh", "名称相似、电话相同"),
    (("email",), "en", "same e-mail"),
], ids=["zh", "en"])
def test_describe_reasons_speaks_the_users_language(reasons, lang, text):
    assert dedupe.describe_reasons(reasons, lang) == text


def test_matches_many_compares_a_whole_list_at_once(reg):
    found = dedupe.finder_for(reg).matches_many(["华信科技", "杭州启明", "x"], ["", "", "13711112222"], ["", "", ""])
    assert [[m.customer_id for m in matches] for matches in found] == [["C-000001"], [], ["C-000002"]]
