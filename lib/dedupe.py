"""Spot customers that are probably the same company: normalised names, fuzzy similarity, same phone or e-mail.

Names are compared after `normalise_name`: full-width folded to half-width (NFKC), case folded,
brackets and punctuation dropped, company suffixes removed (有限公司, 有限责任公司, 股份有限公司,
集团, 公司, Co., Ltd., Co Ltd, Inc., LLC, Ltd, GmbH, Corp …), and a leading or bracketed region
(上海, 上海市, (深圳), Beijing …) set aside when at least two characters are left. So
「上海华信科技有限公司」, 「华信科技（上海）有限公司」 and 「华信科技」 all read 华信科技. The region still
counts: names with different regions (上海华信科技 / 北京华信科技) are different companies, while a name
without a region matches one with a region. So do numbers: 华信1号店 and 华信2号店 are different shops.

Two names are a probable duplicate when their similarity reaches NAME_THRESHOLD (88): the higher of
rapidfuzz `ratio` on the names without spaces and `token_sort_ratio` on their words, so word order
("Lumen Foods" / "Foods Lumen") does not matter. 88 flags one typo in a name of nine or more
characters (华信科技贸易服务中心 / 华信科技贸易服务中兴 = 90) and word variants such as
Harbor / Harbour, but not two short names that share a stem (华信科技 / 华信贸易 = 50).
The same phone (compared as `lib.cells.phone_key`, the first number of the cell in E.164 form) or
the same e-mail (case-insensitive) marks a probable duplicate whatever the names say.

`duplicate_pairs` does not compare every customer with every other (10,000 customers would be
50 million pairs): names are compared within blocks that share the first character of the
normalised name (the first two when a block is large). A typo in the very first character is
therefore only caught by the phone or e-mail rule there; `find_duplicates` (one name against the
register, used on entry and import) compares against every name.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from lib import cells
from lib.register import per_register

NAME_THRESHOLD = 88
LARGE_BLOCK = 1500        # a block bigger than this is split by the first two characters
REASONS = ("name", "phone", "email")
KEYS_REMEMBERED = 1 << 18  # names and phone cells whose keys are kept between register reads (a 50,000-customer register has ~80,000 phones)
REASON_LABELS = {"name": ("名称相似", "similar name"), "phone": ("电话相同", "same phone"),
                 "email": ("邮箱相同", "same e-mail")}

_ZH_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "分公司", "总公司",
                "集团", "公司", "股份")
_EN_SUFFIX_WORDS = frozenset({"co", "ltd", "limited", "inc", "incorporated", "llc", "gmbh", "corp",
                              "corporation", "company", "plc", "pte", "group", "holdings", "sa", "ag", "bv"})
_ZH_REGIONS = tuple(sorted((
    "北京", "上海", "天津", "重庆", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "长沙",
    "郑州", "青岛", "宁波", "厦门", "福州", "济南", "合肥", "沈阳", "大连", "哈尔滨", "长春", "昆明",
    "南宁", "贵阳", "南昌", "太原", "石家庄", "兰州", "海口", "呼和浩特", "乌鲁木齐", "无锡", "佛山",
    "东莞", "珠海", "温州", "常州", "绍兴", "嘉兴", "台州", "烟台", "泉州", "香港", "澳门", "台湾",
    "广东", "浙江", "江苏", "山东", "河南", "河北", "湖南", "湖北", "四川", "福建", "安徽", "江西",
    "辽宁", "吉林", "黑龙江", "山西", "陕西", "甘肃", "青海", "云南", "贵州", "广西", "海南", "内蒙古",
    "宁夏", "新疆", "西藏"), key=len, reverse=True))
_ZH_REGION_ENDINGS = ("省", "市", "区", "县")
_EN_REGIONS = frozenset({"beijing", "shanghai", "tianjin", "chongqing", "guangzhou", "shenzhen", "hangzhou",
                         "nanjing", "suzhou", "chengdu", "wuhan", "xian", "changsha", "qingdao", "xiamen",
                         "hong kong", "hongkong", "singapore"})
_BRACKETED = re.compile(r"[(\[{<《〔]([^()\[\]{}<>《》〔〕]*)[)\]}>》〕]")
_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EXTRA_BRACKETS = str.maketrans({"【": "[", "】": "]", "〖": "[", "〗": "]", "「": " ", "」": " ", "『": " ", "』": " "})


class Match(NamedTuple):
    """A customer that is probably the one being entered: why, and how similar the names are (0–100)."""
    customer_id: str
    name: str
    score: int
    reasons: tuple[str, ...]
    archived: bool = False


def describe_reasons(reasons: Iterable[str], lang: str) -> str:
    """Say why a customer looks like a duplicate, in the user's language."""
    words = [REASON_LABELS[r][0 if lang == "zh" else 1] for r in reasons]
    return "、".join(words) if lang == "zh" else ", ".join(words)


# ---- names -----------------------------------------------------------------------------------------

def normalise_name(name, *, strip_region: bool = True) -> str:
    """Fold a company name for comparison: width, case, brackets, punctuation, suffixes (and region) removed."""
    return _parts(name, strip_region)[0]


def name_region(name) -> str:
    """The region a company name starts with or names in brackets (上海, shanghai), or ""."""
    return _parts(name, True)[1]


def name_key(name, *, strip_region: bool = True) -> str:
    """The normalised name without spaces: what exact-name comparison uses."""
    return normalise_name(name, strip_region=strip_region).replace(" ", "")


def similarity(a, b) -> int:
    """How alike two company names are after normalising (0–100); names in different regions score 0."""
    (na, ra), (nb, rb) = _parts(a, True), _parts(b, True)
    if not na or not nb or not same_region(ra, rb) or not _same_numbers(na, nb):
        return 0
    return int(round(max(fuzz.ratio(na.replace(" ", ""), nb.replace(" ", "")), fuzz.token_sort_ratio(na, nb))))


def same_region(a: str, b: str) -> bool:
    """True unless two names carry different regions (a name without one matches any)."""
    return not a or not b or a == b


@lru_cache(maxsize=KEYS_REMEMBERED)
def _parts(name, strip_region: bool) -> tuple[str, str]:
    """Return (normalised name, region) of a company name."""
    text = unicodedata.normalize("NFKC", str(name or "")).translate(_EXTRA_BRACKETS).casefold()
    regions: list[str] = []

    def bracketed(m: re.Match) -> str:
        kind, value = _bracket_kind(m[1], strip_region)
        if kind == "region":
            regions.append(value)
        return " " if kind else f" {m[1]} "

    text = _BRACKETED.sub(bracketed, text)
    text = " ".join(_NOT_WORD.sub(" ", text).split())
    changed = True
    while changed:
        before = text
        text = _strip_suffix(text)
        if strip_region:
            text, region = _strip_region(text)
            if region:
                regions.append(region)
        changed = text != before
    return text, (regions[0] if regions else "")


def _bare_region(words: str) -> str:
    """The region a text names (上海市 → 上海, shanghai), or ""."""
    bare = words.replace(" ", "")
    if bare[-1:] in _ZH_REGION_ENDINGS and len(bare) > 2:
        bare = bare[:-1]
    if bare in _ZH_REGIONS:
        return bare
    return words if words in _EN_REGIONS else ""


def _bracket_kind(inner: str, strip_region: bool) -> tuple[str, str]:
    """Say whether a bracketed part is a company suffix, a region, or neither ("")."""
    words = " ".join(_NOT_WORD.sub(" ", inner).split())
    if not words:
        return "empty", ""
    if words.replace(" ", "") in _ZH_SUFFIXES or all(w in _EN_SUFFIX_WORDS for w in words.split()):
        return "suffix", ""
    region = _bare_region(words) if strip_region else ""
    return ("region", region) if region else ("", "")


def _strip_suffix(text: str) -> str:
    words = text.split()
    while len(words) > 1 and words[-1] in _EN_SUFFIX_WORDS:
        words.pop()
    text = " ".join(words)
    for suffix in _ZH_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[:-len(suffix)].rstrip()
    return text


def _strip_region(text: str) -> tuple[str, str]:
    """Remove a leading region when at least two characters of name are left; return (rest, region)."""
    words = text.split()
    for n in (2, 1):
        if len(words) > n and " ".join(words[:n]) in _EN_REGIONS:
            return " ".join(words[n:]), " ".join(words[:n])
    for region in _ZH_REGIONS:
        if text.startswith(region):
            rest = text[len(region):]
            if rest[:1] in _ZH_REGION_ENDINGS and len(rest.strip()) > 2:
                rest = rest[1:]
            rest = rest.strip()
            if len(rest) >= 2 and _CJK.match(rest):
                return rest, region
            return text, ""
    return text, ""


# ---- finding duplicates ----------------------------------------------------------------------------

def phone_key(text) -> str:
    """The phone number a cell starts with in E.164 form, or "" when there is none."""
    text = str(text or "")
    return _phone_key(text) if text.strip() else ""


@lru_cache(maxsize=KEYS_REMEMBERED)
def _phone_key(text: str) -> str:
    """Parsing a number is slow, and a register keeps its phone cells from one read to the next."""
    return cells.phone_key(text) or ""


def email_key(text) -> str:
    """An e-mail address folded for comparison (width and case), or ""."""
    return unicodedata.normalize("NFKC", str(text or "")).strip().casefold()


class DuplicateFinder:
    """Every customer's normalised name, phones and e-mails, ready to compare a new entry against."""

    def __init__(self):
        self.ids: list[str] = []
        self.names: list[str] = []
        self.norms: list[str] = []
        self.keys: list[str] = []
        self.regions: list[str] = []
        self.archived: list[bool] = []
        self.phones: dict[str, set[str]] = {}
        self.emails: dict[str, set[str]] = {}

    @classmethod
    def of_register(cls, reg) -> "DuplicateFinder":
        finder = cls()
        customers = reg.frame("customers")
        customers = customers[customers["customer_id"] != ""]
        finder.ids = customers["customer_id"].tolist()
        finder.names = customers["name"].tolist()
        parts = [_parts(n, True) for n in finder.names]
        finder.norms = [norm for norm, _ in parts]
        finder.regions = [region for _, region in parts]
        finder.keys = [n.replace(" ", "") for n in finder.norms]
        finder.archived = customers["archived"].astype(bool).tolist()
        contacts = reg.frame("contacts")
        for cid, phone, email in zip(contacts["customer_id"].tolist(), contact_phone_keys(reg),
                                     contacts["email"].tolist()):
            finder._remember(cid, phone, email, phone_is_key=True)
        return finder

    def add(self, customer_id: str, name: str, phone: str = "", email: str = "", archived: bool = False) -> None:
        """Remember one more customer (an earlier row of the same import)."""
        norm, region = _parts(name, True)
        self.ids.append(customer_id)
        self.names.append(str(name))
        self.norms.append(norm)
        self.regions.append(region)
        self.keys.append(norm.replace(" ", ""))
        self.archived.append(archived)
        self._remember(customer_id, phone, email)

    def _remember(self, customer_id: str, phone, email, phone_is_key: bool = False) -> None:
        if not customer_id:
            return
        if p := (phone if phone_is_key else phone_key(phone)):
            self.phones.setdefault(p, set()).add(customer_id)
        if e := email_key(email):
            self.emails.setdefault(e, set()).add(customer_id)

    def matches(self, name: str = "", phone: str = "", email: str = "", *, exclude: Iterable[str] = (),
                limit: int | None = 10) -> list[Match]:
        """Customers that are probably this one, strongest first (most reasons, then most similar name)."""
        return self.matches_many([name], [phone], [email], exclude=exclude, limit=limit)[0]

    def matches_many(self, names: list[str], phones: list[str], emails: list[str], *, exclude: Iterable[str] = (),
                     limit: int | None = 10) -> list[list[Match]]:
        """`matches` for many entries at once (an import): names are compared in one matrix."""
        parts = [_parts(n, True) for n in names]
        scores = self._name_scores([norm for norm, _ in parts])
        position = {cid: i for i, cid in enumerate(self.ids) if cid}
        skip = set(exclude)
        out = []
        for r, (name, phone, email) in enumerate(zip(names, phones, emails)):
            norm, region = parts[r]
            found: dict[int, dict] = {}
            if scores is not None and len(norm.replace(" ", "")) >= 2:
                for i in np.flatnonzero(scores[r]).tolist():
                    if same_region(region, self.regions[i]) and _same_numbers(norm, self.norms[i]):
                        found[i] = {"score": int(scores[r, i]), "reasons": {"name"}}
            for reason, wanted, index in (("phone", phone_key(phone), self.phones),
                                          ("email", email_key(email), self.emails)):
                for cid in index.get(wanted, ()) if wanted else ():
                    if cid in position:
                        found.setdefault(position[cid], {"score": 0, "reasons": set()})["reasons"].add(reason)
            ranked = []
            for i, entry in found.items():
                if self.ids[i] in skip or not self.ids[i]:
                    continue
                score = entry["score"] or similarity(name, self.names[i])
                reasons = tuple(reason for reason in REASONS if reason in entry["reasons"])
                ranked.append(Match(self.ids[i], self.names[i], score, reasons, self.archived[i]))
            ranked.sort(key=lambda m: (-len(m.reasons), -m.score, m.customer_id))
            out.append(ranked[:limit] if limit is not None else ranked)
        return out

    def _name_scores(self, norms: list[str]) -> np.ndarray | None:
        """Similarity of each name to every known name (0 below the threshold), one row per name."""
        if not self.keys or not norms:
            return None
        keys = [n.replace(" ", "") for n in norms]
        scores = process.cdist(keys, self.keys, scorer=fuzz.ratio, score_cutoff=NAME_THRESHOLD, dtype=np.uint8,
                               workers=-1)
        if any(" " in n for n in norms):   # word order only matters for names of several words
            scores = np.maximum(scores, process.cdist(norms, self.norms, scorer=fuzz.token_sort_ratio,
                                                      score_cutoff=NAME_THRESHOLD, dtype=np.uint8, workers=-1))
        return scores


_NUMBERS = re.compile(r"\d+")


def _same_numbers(a: str, b: str) -> bool:
    """True unless two names carry different numbers (华信1号店 / 华信2号店 are different shops)."""
    return _NUMBERS.findall(a) == _NUMBERS.findall(b)


@per_register
def contact_phone_keys(reg) -> list[str]:
    """The phone key of every contact row, in frame order (computed once per register)."""
    return [phone_key(p) for p in reg.frame("contacts")["phone"].tolist()]


@per_register
def finder_for(reg) -> DuplicateFinder:
    """The duplicate finder of a loaded register (built once per register object)."""
    return DuplicateFinder.of_register(reg)


def find_duplicates(reg, name: str = "", phone: str = "", email: str = "", *, exclude: Iterable[str] = (),
                    limit: int = 10) -> list[Match]:
    """Return customers of the register that are probably this one (archived ones included, flagged)."""
    return finder_for(reg).matches(name, phone, email, exclude=exclude, limit=limit)


@per_register
def duplicate_pairs(reg) -> pd.DataFrame:
    """Return pairs of active customers that are probably the same (a_id < b_id), strongest first (once per register)."""
    finder = finder_for(reg)
    ids = finder.ids
    keep = [i for i, a in enumerate(finder.archived) if not a]
    pairs: dict[tuple[int, int], dict] = {}

    def note(i: int, j: int, reason: str, score: int = 0) -> None:
        if ids[i] == ids[j]:
            return
        entry = pairs.setdefault((i, j) if ids[i] < ids[j] else (j, i), {"score": 0, "reasons": set()})
        entry["reasons"].add(reason)
        entry["score"] = max(entry["score"], score)

    for block in _blocks(finder, keep):
        keys = [finder.keys[i] for i in block]
        scores = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=NAME_THRESHOLD, dtype=np.uint8, workers=-1)
        norms = [finder.norms[i] for i in block]
        if any(" " in n for n in norms):   # word order only matters for names of several words
            scores = np.maximum(scores, process.cdist(norms, norms, scorer=fuzz.token_sort_ratio,
                                                      score_cutoff=NAME_THRESHOLD, dtype=np.uint8, workers=-1))
        rows, cols = np.nonzero(np.triu(scores, k=1))
        for r, c, score in zip(rows.tolist(), cols.tolist(), scores[rows, cols].tolist()):
            i, j = block[r], block[c]
            if same_region(finder.regions[i], finder.regions[j]) and _same_numbers(finder.norms[i], finder.norms[j]):
                note(i, j, "name", score)
    positions = {finder.ids[i]: i for i in keep}
    for reason, index in (("phone", finder.phones), ("email", finder.emails)):
        for owners in index.values():
            members = sorted(positions[c] for c in owners if c in positions)
            for n, i in enumerate(members):
                for j in members[n + 1:]:
                    note(i, j, reason)
    rows = []
    for (a, b), entry in pairs.items():
        score = entry["score"] or similarity(finder.names[a], finder.names[b])
        rows.append({"a_id": finder.ids[a], "a_name": finder.names[a], "b_id": finder.ids[b],
                     "b_name": finder.names[b], "score": score,
                     "reasons": tuple(r for r in REASONS if r in entry["reasons"])})
    frame = pd.DataFrame(rows, columns=["a_id", "a_name", "b_id", "b_name", "score", "reasons"])
    if frame.empty:
        return frame.astype({"score": "int64"})
    frame["_n"] = frame["reasons"].map(len)
    frame = frame.sort_values(["_n", "score", "a_id", "b_id"], ascending=[False, False, True, True])
    return frame.drop(columns="_n").reset_index(drop=True)


def _blocks(finder: DuplicateFinder, keep: list[int]) -> list[list[int]]:
    """Group customers by the first character of their normalised name (two when a group is large)."""
    groups: dict[str, list[int]] = {}
    for i in keep:
        if len(finder.keys[i]) >= 2:
            groups.setdefault(finder.keys[i][:1], []).append(i)
    out = []
    for members in groups.values():
        if len(members) <= LARGE_BLOCK:
            out.append(members)
            continue
        split: dict[str, list[int]] = {}
        for i in members:
            split.setdefault(finder.keys[i][:2], []).append(i)
        out.extend(split.values())
    return [b for b in out if len(b) > 1]
