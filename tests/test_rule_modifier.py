"""MOD001-MOD013: invalid modifiers and the fee-schedule indicators that decide them."""

from __future__ import annotations

import pytest
from test_rule_fixtures import findings_for, ids, line, tiny_reference


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path)


def mod(ref, *lines):
    return findings_for(ref, list(lines), family="modifier")


def test_invalid_modifier(ref):
    found = mod(ref, line("47383", "ZZ"), line("47383", "AA", claim="B", patient="P2"))
    assert ids(found) == [("MOD001", 2)]
    assert found.iloc[0]["modifier"] == "ZZ"
    assert "not a modifier the loaded data knows" in found.iloc[0]["message"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("77002", []), ("93000", ["MOD002"]), ("47383", ["MOD002"]), ("80502", [])],
)
def test_26_against_pctc(ref, code, expected):
    """PC/TC 1 and 6 take 26; 0 and 4 do not."""
    assert list(mod(ref, line(code, "26"))["rule_id"]) == expected


@pytest.mark.parametrize(
    ("code", "expected"), [("77002", []), ("93000", ["MOD003"]), ("80502", ["MOD003"])]
)
def test_tc_against_pctc(ref, code, expected):
    assert list(mod(ref, line(code, "TC"))["rule_id"]) == expected


def test_26_on_global_test_only_code_explains_indicator_4(ref):
    found = mod(ref, line("93000", "26"))
    assert "PC/TC indicator is 4" in found.iloc[0]["message"]
    assert "separate code" in found.iloc[0]["suggestion"]


@pytest.mark.parametrize(
    ("code", "expected"), [("64483", []), ("47383", ["MOD004"]), ("73562", ["MOD004"])]
)
def test_50_against_bilateral_indicator(ref, code, expected):
    found = mod(ref, line(code, "50"))
    assert list(found["rule_id"]) == expected


def test_50_on_indicator_3_suggests_rt_lt(ref):
    assert "RT and LT" in mod(ref, line("73562", "50")).iloc[0]["suggestion"]


def test_51_on_exempt_code(ref):
    assert list(mod(ref, line("99214", "51"))["rule_id"]) == ["MOD005"]
    assert mod(ref, line("47383", "51")).empty


def test_62_and_66(ref):
    assert list(mod(ref, line("47383", "62"))["rule_id"]) == ["MOD006"]
    assert list(mod(ref, line("47383", "66"))["rule_id"]) == ["MOD007"]
    assert list(mod(ref, line("43497", "62"))["rule_id"]) == ["MOD010"]
    assert mod(ref, line("43497", "66")).empty


@pytest.mark.parametrize(
    ("code", "modifier", "expected"),
    [
        ("47383", "80", ["MOD008"]),
        ("47383", "AS", ["MOD008"]),
        ("64483", "80", ["MOD009"]),
        ("43497", "82", []),
    ],
)
def test_assistant_at_surgery(ref, code, modifier, expected):
    assert list(mod(ref, line(code, modifier))["rule_id"]) == expected


def test_59_with_xs_on_one_line(ref):
    found = mod(ref, line("77002", "59,XS"))
    assert list(found["rule_id"]) == ["MOD011"]
    assert found.iloc[0]["modifier"] == "59+XS"
    assert list(mod(ref, line("77002", "59"))["rule_id"]) == ["MOD013"]
    assert mod(ref, line("77002", "XS")).empty


def test_25_only_on_em(ref):
    assert mod(ref, line("99214", "25")).empty
    found = mod(ref, line("47383", "25"))
    assert list(found["rule_id"]) == ["MOD012"]
    assert list(mod(ref, line("47383", "57"))["rule_id"]) == ["MOD012"]


def test_code_missing_from_fee_schedule_is_not_judged(ref):
    assert mod(ref, line("36556", "26")).empty
