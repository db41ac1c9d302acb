"""统一社会信用代码 (unified social credit code, GB 32100-2015): check, build, demo codes.

Every enterprise a bureau pairs with is identified by this 18-character code, and the same
code paired by two units is how 扎堆服务 / 重复走访 is detected — so a mistyped code must be
refused at the door, saying exactly what is wrong, rather than creating a second enterprise.

Layout (positions are 1-based, as people count them on paper):

====  =========================================================  =======================
pos   meaning                                                    checked here
====  =========================================================  =======================
1     登记管理部门代码 registration authority                      :data:`AUTHORITIES`
2     机构类别代码 organisation type, valid per authority           :data:`AUTHORITIES`
3–8   登记管理机关行政区划码 administrative division (GB/T 2260)    six digits
9–17  主体标识码 (组织机构代码, GB 11714)                            alphabet only
18    校验码 check character                                     mod 31, weights below
====  =========================================================  =======================

The division is checked for shape only: codes are redrawn as counties become districts, and
a code issued under an old division stays valid, so a list of current divisions would
refuse real enterprises. The GB 11714 check character inside positions 9–17 is not
enforced either: codes given to individual businesses (92…) and some re-registered bodies
carry subject identifiers that do not follow GB 11714; the GB 32100 check character (pos 18)
already catches any single mistyped character. :func:`org_code_check_char` is used to make
demo codes that look real in every respect.
"""
from __future__ import annotations

import random
import re
import unicodedata

from engine.errors import InvalidInput

#: The 31 characters a code may use: digits and upper-case letters except I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weight of positions 1–17: 3**(i-1) mod 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

#: GB 32100-2015 table 1: registration authority → (name, {organisation type → name}).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体",
                   "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所",
                   "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构",
                 "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
                 "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

#: Zhejiang divisions (GB/T 2260) the demo codes are registered in: the province, its
#: cities and some of Hangzhou's districts.
ZHEJIANG_DIVISIONS = (
    "330000", "330100", "330102", "330105", "330106", "330108", "330109", "330110",
    "330200", "330203", "330206", "330300", "330400", "330500", "330600", "330700",
    "330800", "330900", "331000", "331100",
)

_NAME = "统一社会信用代码"
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class CreditCodeError(InvalidInput):
    """A refused code. `kind` (length, character, authority, type, division, check) and
    `position` (1-based, or None) let callers and tests tell the cases apart without
    parsing the message."""

    def __init__(self, message: str, kind: str, position: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.position = position


def normalise(code: object) -> str:
    """What the user meant: full-width characters folded (an IME's "９１３３"), spaces of any
    kind removed (codes are often written in groups), letters upper-cased."""
    if code is None:
        return ""
    text = unicodedata.normalize("NFKC", str(code))
    return re.sub(r"\s+", "", text).upper()


def check_char(prefix17: str) -> str:
    """The GB 32100 check character for 17 valid characters: 31 - (Σ value×weight mod 31),
    with 31 meaning 0."""
    total = sum(_VALUE[ch] * w for ch, w in zip(prefix17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return the normalised code, or raise :class:`CreditCodeError` naming the first
    problem: length, character, authority, organisation type, division, check character.

    The order matters: a structural error (wrong authority) is more useful to the person
    fixing the spreadsheet than the check-character mismatch it also causes.
    """
    norm = normalise(code)
    if len(norm) != 18:
        raise CreditCodeError(f"{_NAME}应为 18 位，实际 {len(norm)} 位"
                              f"（must have 18 characters, got {len(norm)}）", "length")
    _check_characters(norm, 1)
    _check_structure(norm)
    expected = check_char(norm[:17])
    if norm[17] != expected:
        raise CreditCodeError(f"{_NAME}校验码应为 {expected}，实际为 {norm[17]}"
                              f"（check character should be {expected}, not {norm[17]}）",
                              "check", 18)
    return norm


def _check_characters(text: str, first_position: int) -> None:
    """Refuse the first character outside the 31-character alphabet, by position."""
    for i, ch in enumerate(text, start=first_position):
        if ch not in _VALUE:
            hint = "（I、O、Z、S、V 不用）" if ch in "IOZSV" else ""
            raise CreditCodeError(
                f"{_NAME}第 {i} 位字符“{ch}”无效：只能是数字或大写字母{hint}"
                f"（invalid character '{ch}' at position {i}; letters I, O, Z, S, V are not used）",
                "character", i)


def _check_structure(norm: str) -> None:
    """Authority, organisation type (per authority) and division shape, per GB 32100."""
    authority = AUTHORITIES.get(norm[0])
    if authority is None:
        allowed = "、".join(AUTHORITIES)
        raise CreditCodeError(
            f"{_NAME}第 1 位登记管理部门代码“{norm[0]}”无效，应为 {allowed} 之一"
            f"（invalid registration-authority code '{norm[0]}' at position 1）", "authority", 1)
    authority_name, types = authority
    if norm[1] not in types:
        allowed = "、".join(f"{k}（{v}）" for k, v in types.items())
        raise CreditCodeError(
            f"{_NAME}第 2 位机构类别代码“{norm[1]}”对登记管理部门 {norm[0]}（{authority_name}）无效，"
            f"应为 {allowed} 之一（invalid organisation-type code '{norm[1]}' at position 2 "
            f"for authority '{norm[0]}'）", "type", 2)
    division = norm[2:8]
    if not division.isdigit():
        position = 3 + next(i for i, ch in enumerate(division) if not ch.isdigit())
        raise CreditCodeError(
            f"{_NAME}第 3–8 位行政区划码应为 6 位数字，第 {position} 位为“{norm[position - 1]}”"
            f"（administrative division at positions 3–8 must be six digits; "
            f"'{norm[position - 1]}' at position {position}）", "division", position)


def make_credit_code(prefix17: str) -> str:
    """Append the check character to 17 characters (normalised and checked like a full code),
    so demo data and tests never hand-compute one."""
    norm = normalise(prefix17)
    if len(norm) != 17:
        raise CreditCodeError(f"{_NAME}前 17 位应为 17 位，实际 {len(norm)} 位"
                              f"（the prefix must have 17 characters, got {len(norm)}）", "length")
    _check_characters(norm, 1)
    _check_structure(norm)
    return norm + check_char(norm)


def org_code_check_char(body8: str) -> str:
    """GB 11714 organisation-code check character for 8 characters (digits = 0–9, letters
    A–Z = 10–35): 11 - (Σ value×weight mod 11), 10 → X, 11 → 0."""
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w
                for ch, w in zip(body8.upper(), _GB11714_WEIGHTS))
    rest = 11 - total % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


def demo_credit_codes(n: int, seed: int = 0, *, divisions: tuple[str, ...] | list[str] = (),
                      org_type: str = "1") -> list[str]:
    """`n` distinct valid codes of enterprises registered by market regulation (authority 9),
    deterministic for a seed, so demo data and tests are repeatable.

    Each looks real: a division from `divisions` (default: Zhejiang's), and a subject
    identifier that is either an old-style 8-digit organisation code or a post-2015 ``MA…``
    one, with its GB 11714 check character — which must then be a digit or X, as real ones are.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(seed)
    pool = tuple(divisions) or ZHEJIANG_DIVISIONS
    codes: dict[str, None] = {}
    while len(codes) < n:
        codes.setdefault(make_credit_code("9" + org_type + rng.choice(pool) + _demo_org_code(rng)))
    return list(codes)


def _demo_org_code(rng: random.Random) -> str:
    """Nine characters: an 8-character body plus its GB 11714 check character."""
    if rng.random() < 0.5:
        body = str(rng.randint(10_000_000, 79_999_999))
    else:
        body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    return body + org_code_check_char(body)
