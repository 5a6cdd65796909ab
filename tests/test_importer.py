"""Importing a hand-kept customer list: every row accounted for, nothing dropped, one save, undo in one click."""
from __future__ import annotations

import argparse
import io
from datetime import date

import pytest

from lib import importer
from lib.errors import PermissionDenied, ValidationError
from tests.data.fixtures import ADMIN, MANAGER, NOW, load, store  # noqa: F401 (fixture)
from tests.data.make_messy_customers import EXPECTED, FORMULA_NAME, LONG_NOTE, PATH

MESSY = PATH.read_bytes()


def _csv(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.encode(encoding)


def _plan(store, data: bytes = MESSY, filename: str = "messy_customers.xlsx", mapping=None, lang="en"):
    return importer.plan_import(load(store), importer.read_file(data, filename), mapping, lang)


def _run(store, data: bytes = MESSY, filename: str = "messy_customers.xlsx", *, decisions=None,
         on_duplicate="skip", dry_run=False, user=ADMIN, mapping=None):
    plan = _plan(store, data, filename, mapping)
    return importer.run_import(store, load(store), user, plan, decisions, on_duplicate, "en", NOW, dry_run=dry_run)


def _customer(store, name: str) -> dict:
    frame = load(store).frame("customers")
    return frame[frame["name"] == name].iloc[0].to_dict()


# ---- the messy list ------------------------------------------------------------------------------

def test_messy_list_accounts_for_every_row(store):
    result = _run(store)
    assert {k: getattr(result, k) for k in EXPECTED} == EXPECTED
    assert result.accounted


def test_messy_list_says_why_each_row_was_not_imported(store):
    outcomes = _run(store).outcomes.set_index("row")
    assert outcomes.loc[[4, 6, 10, 11, 12, 13], "outcome"].tolist() == ["skipped", "skipped", "rejected", "rejected",
                                                                       "skipped", "skipped"]
    assert outcomes.loc[4, "reason"] == "Blank row"
    assert outcomes.loc[6, "reason"] == "Repeated header row"
    assert outcomes.loc[10, "reason"] == "Customer name is missing"
    assert outcomes.loc[11, "reason"].startswith("采购预算: Not a readable amount") and "(as typed: 很多)" in outcomes.loc[11, "reason"]
    assert "Northwind Foods Co., Ltd. (C-000005)" in outcomes.loc[12, "reason"]
    assert "Same as row 3 of this file" in outcomes.loc[13, "reason"]


def test_formulas_are_stored_as_their_text(store):
    _run(store)
    raw = store.load().tabs["customers"]
    assert [FORMULA_NAME] == [row[raw.column("name")] for row in raw.rows if row[raw.column("name")].startswith("=")]


def test_mixed_money_and_date_formats_are_read(store):
    _run(store)
    read = {name: (_customer(store, name)["budget"], _customer(store, name)["next_follow_up"].date()) for name in (
        "杭州启明教育咨询有限公司", "ＡＢＣ贸易（深圳）有限公司", FORMULA_NAME, "Lumen Analytics Ltd", "成都天成食品有限公司")}
    assert read == {"杭州启明教育咨询有限公司": (120000.0, date(2023, 4, 18)),
                    "ＡＢＣ贸易（深圳）有限公司": (12000.0, date(2024, 3, 5)),
                    FORMULA_NAME: (35000.0, date(2024, 7, 27)),
                    "Lumen Analytics Ltd": (35000.0, date(2024, 5, 1)),
                    "成都天成食品有限公司": (35000.5, date(2024, 2, 29))}


def test_full_width_text_is_kept_as_typed_and_read(store):
    _run(store)
    customer = _customer(store, "ＡＢＣ贸易（深圳）有限公司")
    contacts = load(store).frame("contacts")
    person = contacts[contacts["customer_id"] == customer["customer_id"]].iloc[0]
    assert (person["phone"], person["email"], customer["tier"], customer["stage"]) == (
        "１３９ ０２３４ ５６７８", "liu.yang@abc.example", "B", "interested")


def test_a_12000_character_note_is_kept_whole(store):
    _run(store)
    assert _customer(store, "成都天成食品有限公司")["notes"].startswith(LONG_NOTE)


def test_unknown_columns_are_appended_to_the_notes(store):
    _run(store)
    assert _customer(store, "杭州启明教育咨询有限公司")["notes"] == "老客户，年度续约\n序号: 1\n微信群: 群A"


def test_contact_columns_fill_the_primary_contact(store):
    _run(store)
    customer_id = _customer(store, "Lumen Analytics Ltd")["customer_id"]
    contacts = load(store).frame("contacts")
    person = contacts[contacts["customer_id"] == customer_id].iloc[0]
    assert (person["name"], person["phone"], person["email"], person["is_primary"]) == (
        "Grace Wong", "+86 137 0000 1111", "grace@lumen.example", True)


def test_import_is_one_save_with_the_batch_in_every_audit_row(store):
    result = _run(store)
    audit = load(store).frame("audit")
    assert set(audit["action"]) == {"import"}
    assert audit["reason"].str.contains(result.batch_id, regex=False).all()
    assert len(audit) == 10 and result.batch_id == "IMP-20261120-100000"


def test_dry_run_saves_nothing_but_accounts_the_same(store):
    result = _run(store, dry_run=True)
    assert (result.imported, result.read, len(load(store).frame("customers"))) == (5, 11, 5)


@pytest.mark.parametrize("user", [MANAGER], ids=["manager"])
def test_only_admins_import(store, user):
    with pytest.raises(PermissionDenied):
        _run(store, user=user)


# ---- duplicates ----------------------------------------------------------------------------------

def test_probable_duplicates_can_update_the_existing_customer(store):
    result = _run(store, decisions={12: "update"})
    reg = load(store)
    northwind = reg.record("customers", "C-000005")
    assert (result.updated, northwind["name"], northwind["stage"], northwind["budget"]) == (
        1, "Northwind Foods Co., Ltd.", "customer", 90000.0)
    assert northwind["notes"] == "来自展会名单\n序号: 8"
    assert (reg.frame("contacts")["customer_id"] == "C-000005").sum() == 1


def test_probable_duplicates_can_be_created_anyway(store):
    result = _run(store, on_duplicate="create")
    assert (result.imported, result.skipped) == (7, 2)


def test_a_duplicate_of_an_earlier_row_cannot_update(store):
    result = _run(store, decisions={13: "update"})
    assert result.outcomes.set_index("row").loc[13, "outcome"] == "skipped"


def test_update_adds_a_new_person_as_a_contact(store):
    data = _csv("客户名称,联系人,电话\n上海华信科技有限公司,赵敏,13511110000\n")
    _run(store, data, "list.csv", on_duplicate="update")
    contacts = load(store).frame("contacts")
    mine = contacts[contacts["customer_id"] == "C-000001"]
    assert sorted(mine["name"]) == ["李娜", "王伟", "赵敏"]
    assert mine.loc[mine["name"] == "赵敏", "is_primary"].tolist() == [False]


# ---- reading files -------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"], ids=["utf8-bom", "utf8", "gb18030"])
def test_csv_is_read_in_the_encodings_people_save(store, encoding):
    result = _run(store, _csv("客户名称,所属行业\n杭州启明教育咨询有限公司,教育\n", encoding), "list.csv")
    assert (result.imported, _customer(store, "杭州启明教育咨询有限公司")["industry"]) == (1, "教育")


def test_csv_with_semicolons_is_read(store):
    assert _run(store, _csv("name;industry\nLumen Analytics;Software\n"), "list.csv").imported == 1


def test_the_header_row_is_found_below_a_title(store):
    source = importer.read_file(_csv("2024 客户名单,,\n客户名称,地区,负责人\nAcme,上海,a@x.com\n"), "list.csv")
    assert (source.headers, source.row_numbers) == (["客户名称", "地区", "负责人"], [3])


def test_a_chosen_sheet_is_read():
    assert importer.read_file(MESSY, "messy.xlsx", "说明").headers == ["这一页只是说明，不是客户名单"]


@pytest.mark.parametrize("filename, data", [("list.pdf", b"%PDF"), ("list.xlsx", b"not a workbook"), ("list.csv", b"")],
                         ids=["wrong-type", "broken-xlsx", "empty"])
def test_unreadable_files_are_refused_with_a_sentence(filename, data):
    with pytest.raises(ValidationError):
        importer.read_file(data, filename)


@pytest.mark.parametrize("headers, mapping", [
    (["客户名称", "联系人", "手机", "邮箱", "微信"],
     ["customers.name", "contacts.name", "contacts.phone", "contacts.email", "contacts.wechat"]),
    (["Company", "Contact name", "Phone", "Tier", "Notes"],
     ["customers.name", "contacts.name", "contacts.phone", "customers.tier", "customers.notes"]),
    (["公司名称", "Name", "电话", "手机"], ["customers.name", "contacts.name", "contacts.phone", "extra"]),
    (["客户 名称（全称）", "微信群", ""], ["extra", "extra", "extra"]),
    (["客户编号", "客户名称"], ["extra", "customers.name"]),
], ids=["chinese", "english", "second-phone-column", "unknown", "ids-are-not-imported"])
def test_auto_mapping_matches_headers_in_either_language(headers, mapping):
    assert importer.auto_mapping(headers) == mapping


def test_a_manual_mapping_overrides_the_automatic_one(store):
    data = _csv("客户名称,备用字段\nAcme,Manufacturing\n")
    _run(store, data, "list.csv", mapping=["customers.name", "customers.industry"])
    assert _customer(store, "Acme")["industry"] == "Manufacturing"


def test_a_contact_without_a_name_is_kept_and_says_so(store):
    result = _run(store, _csv("客户名称,电话\nAcme,13511110000\n"), "list.csv")
    contacts = load(store).frame("contacts")
    assert contacts["name"].iloc[-1] == "主要联系人"
    assert "saved as “Primary contact”" in result.outcomes["reason"].iloc[0]


def test_not_imported_rows_download_as_csv_with_reasons(store):
    lines = importer.not_imported_csv(_run(store), "en").decode("utf-8-sig").splitlines()
    assert lines[0] == "Row,Outcome,Customer ID,Customer name,Reason"
    assert lines[1] == "4,Skipped,,,Blank row"
    assert len(lines) == 7


def test_accounting_text_shows_the_sum(store):
    assert importer.accounting_text(_run(store), "zh") == "读取 11 行：导入 5，更新 0，跳过 4，拒绝 2。批次 IMP-20261120-100000。"


# ---- undo ----------------------------------------------------------------------------------------

def test_undo_archives_created_customers_and_puts_back_updated_fields(store):
    result = _run(store, decisions={12: "update"})
    undone = importer.undo_import(store, load(store), ADMIN, result.batch_id, "en", NOW)
    reg = load(store)
    created = reg.frame("customers").iloc[5:]
    assert (undone.archived, undone.reverted, created["archived"].all()) == (5, 2, True)
    assert (reg.record("customers", "C-000005")["budget"], reg.record("customers", "C-000005")["notes"]) == (80000.0, "")
    assert len(reg.frame("customers")) == 10


def test_undo_is_one_audited_save(store):
    result = _run(store)
    before = len(load(store).frame("audit"))
    importer.undo_import(store, load(store), ADMIN, result.batch_id, "en", NOW)
    audit = load(store).frame("audit").iloc[before:]
    assert set(audit["action"]) == {"undo_import"} and audit["reason"].str.contains(result.batch_id).all()


def test_an_import_cannot_be_undone_twice(store):
    result = _run(store)
    importer.undo_import(store, load(store), ADMIN, result.batch_id, "en", NOW)
    with pytest.raises(ValidationError):
        importer.undo_import(store, load(store), ADMIN, result.batch_id, "en", NOW)


def test_import_batches_list_what_each_import_did(store):
    result = _run(store, decisions={12: "update"})
    batches = importer.import_batches(load(store))
    assert batches[["batch_id", "created", "updated", "undone"]].values.tolist() == [[result.batch_id, 5, 1, False]]


def test_only_admins_undo(store):
    result = _run(store)
    with pytest.raises(PermissionDenied):
        importer.undo_import(store, load(store), MANAGER, result.batch_id, "en", NOW)


# ---- command line --------------------------------------------------------------------------------

def _cli(argv):
    parser = argparse.ArgumentParser()
    importer.add_cli(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_command_line_prints_the_same_accounting(store):
    out = io.StringIO()
    assert importer.run_cli(_cli(["import", str(PATH), "--lang", "en"]), store=store, out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "Read 11 rows: 5 imported, 0 updated, 4 skipped, 2 rejected. Batch IMP-" + lines[0].split("IMP-")[1]
    assert lines[1] == "  row 4: Skipped — Blank row"


def test_command_line_dry_run_saves_nothing(store):
    out = io.StringIO()
    importer.run_cli(_cli(["import", str(PATH), "--dry-run", "--on-duplicate", "create", "--lang", "zh"]), store=store, out=out)
    assert out.getvalue().startswith("（试运行，未保存）读取 11 行：导入 7，更新 0，跳过 2，拒绝 2。")
    assert len(load(store).frame("customers")) == 5


def test_command_line_uses_the_register_that_register_url_names(store, monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTER_URL", f"sqlite:///{tmp_path}/register.db")   # the store fixture's register
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    importer.run_cli(_cli(["import", str(PATH), "--lang", "en"]), out=out)
    assert len(load(store).frame("customers")) == 10


# ---- the preview ---------------------------------------------------------------------------------

def test_mapping_edited_by_label_reads_back_into_targets():
    source = importer.read_file(MESSY, "messy.xlsx")
    mapping = importer.auto_mapping(source.headers)
    assert importer.mapping_from(importer.mapping_frame(source, mapping, "zh"), "zh") == mapping


def test_plan_summary_counts_what_would_happen(store):
    assert importer.plan_summary(_plan(store), "en") == (
        "11 rows read: 5 new, 2 probable duplicates, 2 to skip, 2 rejected.")


def test_preview_lists_every_row_with_its_status(store):
    preview = importer.preview_frame(_plan(store), "en")
    assert preview["status"].tolist() == ["New", "Skip", "New", "Skip", "New", "New", "New", "Rejected", "Rejected",
                                          "Probable duplicate", "Probable duplicate"]


def test_duplicate_decisions_round_trip_through_the_table(store):
    frame = importer.decisions_frame(_plan(store), "en", "create")
    assert (frame["row"].tolist(), importer.decisions_from(frame)) == ([12, 13], {12: "create", 13: "create"})


def test_progress_is_reported_up_to_done(store):
    seen = []
    plan = importer.plan_import(load(store), importer.read_file(MESSY, "messy.xlsx"), lang="en", progress=seen.append)
    importer.run_import(store, load(store), ADMIN, plan, lang="en", now=NOW, progress=seen.append)
    assert (seen.count(1.0), seen[-1], all(0 <= share <= 1 for share in seen)) == (2, 1.0, True)


def test_batch_options_offer_imports_not_yet_undone(store):
    result = _run(store)
    assert list(importer.batch_options(load(store), "en")) == [result.batch_id]
    importer.undo_import(store, load(store), ADMIN, result.batch_id, "en", NOW)
    assert importer.batch_options(load(store), "en") == {}
