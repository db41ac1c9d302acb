"""统一社会信用代码: real codes pass, every kind of mistake is refused saying what is wrong."""
import pytest
from hypothesis import given, settings, strategies as st

from engine.errors import InvalidInput
from engine.org.creditcode import (
    ALPHABET,
    AUTHORITIES,
    CreditCodeError,
    check_char,
    demo_credit_codes,
    make_credit_code,
    org_code_check_char,
    validate_credit_code,
)

# Published codes of well-known enterprises (their business licences are public).
REAL = [
    "91330100799655058B",  # 阿里巴巴（中国）有限公司, 杭州
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("code", REAL)
def test_real_codes_carry_valid_gb11714_organisation_codes(code):
    assert org_code_check_char(code[8:16]) == code[16]


def test_input_is_normalised():
    assert validate_credit_code(" 9133 0100 7996 5505 8b ") == "91330100799655058B"
    assert validate_credit_code("９１３３０１００７９９６５５０５８Ｂ") == "91330100799655058B"
    assert validate_credit_code("\t91330100799655058B\u3000") == "91330100799655058B"


def _refusal(code):
    with pytest.raises(CreditCodeError) as err:
        validate_credit_code(code)
    message = str(err.value)
    assert "\n" not in message and message[0] == "统"  # Chinese first, one line
    return err.value


@pytest.mark.parametrize("code,actual", [("9133010079965505", 16), ("91330100799655058BB", 19),
                                         ("", 0), (None, 0)])
def test_wrong_length(code, actual):
    err = _refusal(code)
    assert err.kind == "length" and f"应为 18 位，实际 {actual} 位" in str(err)


@pytest.mark.parametrize("bad,position", [("O", 5), ("I", 12), ("Z", 1), ("S", 18), ("V", 9),
                                          ("-", 7), ("é", 3)])
def test_invalid_character_names_its_position(bad, position):
    code = list(REAL[0])
    code[position - 1] = bad
    err = _refusal("".join(code))
    assert err.kind == "character" and err.position == position
    assert f"第 {position} 位字符“{bad.upper()}”无效" in str(err)
    if bad in "OIZSV":
        assert "I、O、Z、S、V 不用" in str(err)


def test_invalid_authority():
    err = _refusal(make_code_without_check("B1330100799655058"))
    assert err.kind == "authority" and err.position == 1 and "登记管理部门代码“B”无效" in str(err)


@pytest.mark.parametrize("prefix,authority", [("95", "9"), ("Y2", "Y"), ("14", "1")])
def test_invalid_organisation_type_for_authority(prefix, authority):
    err = _refusal(make_code_without_check(prefix + "330100799655058"))
    assert err.kind == "type" and err.position == 2
    assert f"对登记管理部门 {authority}（{AUTHORITIES[authority][0]}）无效" in str(err)


def test_every_authority_and_type_in_the_table_is_accepted():
    for authority, (_, types) in AUTHORITIES.items():
        for org_type in types:
            code = make_credit_code(authority + org_type + "330100799655058")
            assert validate_credit_code(code) == code


def test_division_must_be_six_digits():
    err = _refusal(make_code_without_check("9133A100799655058"))
    assert err.kind == "division" and err.position == 5
    assert "第 3–8 位行政区划码应为 6 位数字，第 5 位为“A”" in str(err)


def test_wrong_check_character_says_which_it_should_be():
    err = _refusal("91330100799655058C")
    assert err.kind == "check" and err.position == 18
    assert "校验码应为 B，实际为 C" in str(err) and "check character should be B" in str(err)


def test_refusals_are_invalid_input():
    with pytest.raises(InvalidInput):
        validate_credit_code("123")


def test_make_credit_code_appends_the_check_character():
    assert make_credit_code("91330100799655058") == "91330100799655058B"
    assert make_credit_code("9144 0300 7152 6726 x") == "9144030071526726XG"


@pytest.mark.parametrize("prefix,kind", [("9133010079965505", "length"),
                                         ("91330100799655058B", "length"),
                                         ("913301007996550O8", "character"),
                                         ("X1330100799655058", "authority")])
def test_make_credit_code_refuses_bad_prefixes(prefix, kind):
    with pytest.raises(CreditCodeError) as err:
        make_credit_code(prefix)
    assert err.value.kind == kind


def test_check_char_value_zero_maps_to_0():
    # Find a prefix whose weighted sum is a multiple of 31: the check character is then "0".
    prefix = next(p for p in (f"9133010079965{i:04d}" for i in range(10000))
                  if sum(ALPHABET.index(c) * w for c, w in
                         zip(p, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)))
                  % 31 == 0)
    assert check_char(prefix) == "0" and validate_credit_code(prefix + "0")


def test_gb11714_check_character():
    assert org_code_check_char("D2143569") == "X"   # the standard's example
    assert org_code_check_char("79965505") == "8"


def test_demo_codes_are_distinct_valid_and_plausible():
    codes = demo_credit_codes(200, seed=7)
    assert len(set(codes)) == 200
    for code in codes:
        assert validate_credit_code(code) == code
        assert code.startswith("9133")
        assert org_code_check_char(code[8:16]) == code[16]
    assert any(c[8:10] == "MA" for c in codes) and any(c[8:16].isdigit() for c in codes)


def test_demo_codes_are_repeatable_and_take_divisions():
    assert demo_credit_codes(5, seed=1) == demo_credit_codes(5, seed=1)
    assert demo_credit_codes(5, seed=1) != demo_credit_codes(5, seed=2)
    assert all(c[2:8] == "330782" for c in demo_credit_codes(5, divisions=["330782"]))
    assert demo_credit_codes(0) == []


def make_code_without_check(prefix17):
    """A code with a structural error but the right check character, so the test shows the
    structural error is reported (not merely the check mismatch it would also cause)."""
    return prefix17 + check_char(prefix17)


prefixes = st.builds(
    lambda auth_type, division, body: auth_type + division + body,
    st.sampled_from([a + t for a, (_, types) in AUTHORITIES.items() for t in types]),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9))


@settings(max_examples=300)
@given(prefixes)
def test_make_then_validate_round_trips(prefix):
    code = make_credit_code(prefix)
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@settings(max_examples=500)
@given(prefixes, st.integers(0, 17), st.sampled_from(ALPHABET + "IOZSV-a "))
def test_any_single_character_change_is_detected(prefix, position, replacement):
    code = make_credit_code(prefix)
    if replacement.upper() == code[position] or replacement == " ":
        replacement = ALPHABET[(ALPHABET.index(code[position]) + 1) % 31]
    changed = code[:position] + replacement + code[position + 1:]
    with pytest.raises(CreditCodeError):
        validate_credit_code(changed)
