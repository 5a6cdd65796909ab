"""Write messy_customers.xlsx: a customer list as a sales team keeps it by hand.

Run `python -m tests.data.make_messy_customers` to rebuild the committed file. What it holds, by
sheet row (the expected outcome of importing it into tests.data.registers.small_register):
  1  a title row above the header
  2  the header (序号 and 微信群 are columns the register does not know)
  3  imported: ¥120,000, 2023年4月18日, A级, 成交客户
  4  skipped: blank row
  5  imported: full-width name, phone and ＠, 1.2万, 2024/3/5
  6  skipped: the header repeated
  7  imported: a formula as the name, budget and date typed as numbers (a date serial)
  8  imported: English labels, 3万5千, a real date cell, "+86 137 0000 1111"
  9  imported: 35,000.50元, 2024.2.29, a 12,000-character note
  10 rejected: no customer name
  11 rejected: budget "很多" cannot be read
  12 skipped by default: probably Northwind Foods (same phone as its contact) in the register
  13 skipped by default: the same company as row 3 (region in brackets)
  then empty formatted rows, which are not rows of the list.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATH = HERE / "messy_customers.xlsx"
HEADER = ["序号", "客户名称", "联系人", "手机", "邮箱", "所属行业", "地区", "客户级别", "合作阶段", "采购预算",
          "下次回访", "备注", "微信群", "负责人"]
FORMULA_NAME = '=HYPERLINK("https://example.com/hongtu","宏图物流")'
LONG_NOTE = ("客户历史沟通记录：" + "每季度回访一次，关注交付质量与付款进度。" * 600)[:12000]
ROWS = [
    [1, "杭州启明教育咨询有限公司", "陈静", "13812345678", "chen.jing@qiming.example", "教育", "杭州", "A级", "成交客户",
     "¥120,000", "2023年4月18日", "老客户，年度续约", "群A", "zhang.wei@example.com"],
    [None] * len(HEADER),
    [2, "ＡＢＣ贸易（深圳）有限公司", "刘洋", "１３９ ０２３４ ５６７８", "liu.yang＠abc.example", "贸易", "深圳", "B类", "意向",
     "1.2万", "2024/3/5", None, None, "li.na@example.com"],
    HEADER,
    [3, FORMULA_NAME, "赵磊", 13698765432, None, "物流", "武汉", "C", "潜在", 35000, 45500, "公式作为名称", "群B", None],
    [4, "Lumen Analytics Ltd", "Grace Wong", "+86 137 0000 1111", "grace@lumen.example", "Software", "Singapore", "b",
     "Interested", "3万5千", datetime(2024, 5, 1), None, None, None],
    [5, "成都天成食品有限公司", "周杰", "13566667777", None, "餐饮", "成都", "C级", "成交", "35,000.50元", "2024.2.29",
     LONG_NOTE, None, None],
    [6, None, "无名氏", "13500000000", None, "零售", "南京", None, None, None, None, "忘了填公司", None, None],
    [7, "苏州远航电子有限公司", "孙芳", "13511112222", None, "电子", "苏州", "A", "成交", "很多", None, None, None, None],
    [8, "Northwind Foods", "James Lee", "135 3333 4444", None, "Food service", "Singapore", "B", "成交", "90000", None,
     "来自展会名单", None, None],
    [9, "启明教育咨询（杭州）有限公司", "陈静", None, None, "教育", "杭州", None, None, None, None, None, None, None],
]
EXPECTED = {"read": 11, "imported": 5, "updated": 0, "skipped": 4, "rejected": 2}


def write(path: Path = PATH) -> Path:
    """Write the messy list to `path`."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "客户名单"
    sheet.append(["2024年客户名单（销售部手工维护）"])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    sheet.cell(row=9, column=11).number_format = "yyyy-mm-dd"   # the datetime cell of row 8
    for r in range(16, 21):                                      # formatted but empty rows below the list
        sheet.cell(row=r, column=2).fill = PatternFill("solid", fgColor="FFFF00")
    book.create_sheet("说明").append(["这一页只是说明，不是客户名单"])
    book.save(path)
    return path


if __name__ == "__main__":
    print(write())
