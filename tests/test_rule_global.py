"""GLB001-GLB004: visits and procedures inside a surgery's global period (RVU GLOB DAYS)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import SHARED_CMS, require_shared
from test_rule_fixtures import RVU_ROWS, findings_for, ids, line, tiny_reference

from addin.reference import ReferenceData

EXTRA_RVU = [
    ("59400", "", "", "A", "9", "MMM", "0", "0", "2", "0", "0", ""),  # maternity
    ("0353T", "", "", "C", "9", "YYY", "9", "9", "9", "9", "9", ""),  # carrier decides
]


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path, rvu=RVU_ROWS + EXTRA_RVU)


def day(offset: int, start: str = "2024-05-10") -> str:
    return (dt.date.fromisoformat(start) + dt.timedelta(days=offset)).isoformat()


def glb(ref, *lines):
    return findings_for(ref, list(lines), family="global")


# 43497: 090 days; 47383, 11750: 010; 47000, 20610: 000; 77002: ZZZ; 99214: E/M (XXX)


def test_em_in_090_postop_window_edges_either_row_order(ref):
    for offset, expected in ((1, True), (45, True), (90, True), (91, False), (-5, False)):
        surgery = line("43497", dos=day(0))
        visit = line("99214", dos=day(offset), claim="C2")
        for lines in ((surgery, visit), (visit, surgery)):
            found = glb(ref, *lines)
            em_row = 2 + lines.index(visit)
            got = [i for i in ids(found) if i[0] == "GLB001"]
            assert got == ([("GLB001", em_row)] if expected else []), (offset, lines)
    found = glb(ref, line("43497", dos=day(0)), line("99214", dos=day(90)))
    message = found.iloc[0]["message"]
    assert "43497 (090 global days) on 2024-05-10 (row 2)" in message
    assert "post-operative days 2024-05-11 to 2024-08-08" in message
    assert found.iloc[0]["related_code"] == "43497" and found.iloc[0]["severity"] == "error"
    assert "RVU GLOB DAYS" in found.iloc[0]["source"]


def test_em_in_010_window(ref):
    assert ids(glb(ref, line("47383", dos=day(0)), line("99214", dos=day(10)))) == [("GLB001", 3)]
    assert glb(ref, line("47383", dos=day(0)), line("99214", dos=day(11))).empty
    # 000: no post-operative days
    assert glb(ref, line("47000", dos=day(0)), line("99214", dos=day(1))).empty


@pytest.mark.parametrize("modifier", ["24", "25"])
def test_em_in_window_bypassed_by_24_or_25(ref, modifier):
    assert glb(ref, line("43497", dos=day(0)), line("99214", modifier, dos=day(30))).empty


def test_other_provider_or_patient_not_flagged(ref):
    assert glb(ref, line("43497", dos=day(0)), line("99214", dos=day(30), provider="2")).empty
    assert glb(ref, line("43497", dos=day(0)), line("99214", dos=day(30), patient="P2")).empty
    assert glb(ref, line("43497", dos=day(0)), line("43497", dos=day(30), patient="P2")).empty
    # the same patient across claims is one history
    found = glb(ref, line("43497", dos=day(0), claim="A"), line("99214", dos=day(30), claim="B"))
    assert ids(found) == [("GLB001", 3)]


def test_em_day_before_and_day_of_major(ref):
    for offset, expected in ((-1, True), (0, True), (-2, False), (1, False)):
        found = glb(ref, line("99214", dos=day(offset)), line("43497", dos=day(0)))
        got = [i for i in ids(found) if i[0] == "GLB002"]
        assert got == ([("GLB002", 2)] if expected else []), offset
    found = glb(ref, line("43497", dos=day(0)), line("99214", dos=day(-1)))
    assert "the day before 43497" in found.iloc[0]["message"]
    assert "2024-05-09 to 2024-08-08" in found.iloc[0]["message"]
    assert glb(ref, line("99214", "57", dos=day(-1)), line("43497", dos=day(0))).empty
    assert glb(ref, line("99214", "57", dos=day(0)), line("43497", dos=day(0))).empty
    with_25 = glb(ref, line("99214", "25", dos=day(0)), line("43497", dos=day(0)))
    assert ids(with_25) == [("GLB002", 2)]
    assert "25 does not apply" in with_25.iloc[0]["message"]
    # a minor procedure the next day opens no pre-operative day
    assert glb(ref, line("99214", dos=day(-1)), line("47383", dos=day(0))).empty


def test_em_same_day_as_minor_procedure(ref):
    for code in ("47000", "47383"):
        for lines in (
            (line(code, dos=day(0)), line("99214", dos=day(0))),
            (line("99214", dos=day(0)), line(code, dos=day(0))),
        ):
            found = glb(ref, *lines)
            assert [i[0] for i in ids(found)] == ["GLB003"]
            assert "without 25" in found.iloc[0]["message"]
        assert glb(ref, line(code, dos=day(0)), line("99214", "25", dos=day(0))).empty
    # a 090 the same day: GLB002 (57) decides, not GLB003
    found = glb(
        ref, line("47000", dos=day(0)), line("43497", dos=day(0)), line("99214", dos=day(0))
    )
    assert [i[0] for i in ids(found)] == ["GLB002"]
    assert glb(ref, line("77002", dos=day(0)), line("99214", dos=day(0))).empty  # ZZZ


def test_procedure_in_postop_window(ref):
    for offset, expected in ((1, True), (90, True), (91, False), (0, False), (-3, False)):
        surgery = line("43497", dos=day(0))
        other = line("47000", dos=day(offset))
        for lines in ((surgery, other), (other, surgery)):
            found = glb(ref, *lines)
            row = 2 + lines.index(other)
            got = [i for i in ids(found) if i[0] == "GLB004"]
            assert got == ([("GLB004", row)] if expected else []), (offset, lines)
    found = glb(ref, line("11750", dos=day(0)), line("11750", dos=day(10)))
    assert ids(found) == [("GLB004", 3)]
    assert "post-operative days 2024-05-11 to 2024-05-20" in found.iloc[0]["message"]
    assert glb(ref, line("11750", dos=day(0)), line("11750", dos=day(11))).empty


@pytest.mark.parametrize("modifier", ["58", "78", "79"])
def test_procedure_in_window_bypassed(ref, modifier):
    assert glb(ref, line("43497", dos=day(0)), line("47000", modifier, dos=day(20))).empty


def test_add_on_and_non_surgical_codes_not_flagged(ref):
    # ZZZ add-on, XXX imaging in the window
    assert glb(ref, line("43497", dos=day(0)), line("77002", dos=day(5))).empty
    assert glb(ref, line("43497", dos=day(0)), line("73562", dos=day(5))).empty
    # MMM and YYY open no window and are not judged in one
    assert glb(ref, line("59400", dos=day(0)), line("99214", dos=day(5))).empty
    assert glb(ref, line("0353T", dos=day(0)), line("99214", dos=day(5))).empty
    assert glb(ref, line("43497", dos=day(0)), line("59400", dos=day(5))).empty


def test_78_continues_the_original_window(ref):
    lines = (
        line("47383", dos=day(0)),
        line("47383", "78", dos=day(5)),
        line("99214", dos=day(14)),  # after the 010 of day 0; a 78 opens no window
    )
    assert glb(ref, *lines).empty


def test_overlapping_windows_latest_end_wins(ref):
    lines = (
        line("43497", dos=day(0)),
        line("11750", "79", dos=day(10)),  # a 010 inside the 090, ends day 20
        line("99214", dos=day(40)),  # outside the 010, still inside the 090
    )
    found = glb(ref, *lines)
    assert ids(found) == [("GLB001", 4)]
    assert "43497" in found.iloc[0]["message"]


def test_registered_documented_configurable():
    from addin.rules import get_rule, load_config
    from addin.rules.base import FAMILIES

    assert "global" in FAMILIES
    config = load_config({"rules": {"global": "off", "GLB003": "warning"}})
    for rule_id in ("GLB001", "GLB002", "GLB003", "GLB004"):
        rule = get_rule(rule_id)
        assert rule.family == "global" and rule.severity == "error"
        for part in ("What it checks", "Why CMS denies it", "Example", "Fix"):
            assert part in rule.doc()
    assert config.severity_for(get_rule("GLB001")) is None
    assert config.severity_for(get_rule("GLB003")) == "warning"


# ---------------------------------------------------------------- real GLOB DAYS (RVU25D)


@pytest.fixture(scope="module")
def cms_rvu(tmp_path_factory) -> ReferenceData:
    """A store with only the October 2025 RVU file of ../shared/cms imported."""
    folder = require_shared(SHARED_CMS / "pfs" / "rvu25d")
    from addin.reference.store import Store

    root = tmp_path_factory.mktemp("rvu-home") / "store"
    result = Store(root).import_paths([folder / "PPRRVU2025_Oct.csv"])
    assert result.ok, [o.message for o in result.refused]
    return ReferenceData(store=root)


def test_real_glob_days(cms_rvu):
    start = "2025-11-03"
    codes = ["27447", "10060", "11042", "22614", "59400"]
    status = cms_rvu.code_status_frame(codes, [dt.date.fromisoformat(start)] * len(codes))
    assert list(status["global_days"]) == ["090", "010", "000", "ZZZ", "MMM"]

    def run(*lines):
        return findings_for(cms_rvu, list(lines), family="global")

    knee = line("27447", dos=start)
    assert ids(run(knee, line("99213", dos=day(90, start)))) == [("GLB001", 3)]
    assert run(knee, line("99213", dos=day(91, start))).empty
    assert ids(run(line("99204", dos=day(-1, start)), knee)) == [("GLB002", 2)]
    assert run(line("99204", "57", dos=day(-1, start)), knee).empty
    drain = line("10060", dos=start)
    assert ids(run(drain, line("99213", dos=day(10, start)))) == [("GLB001", 3)]
    assert run(drain, line("99213", dos=day(11, start))).empty
    assert ids(run(line("11042", dos=start), line("99213", dos=start))) == [("GLB003", 3)]
    assert ids(run(knee, line("27447", dos=day(20, start)))) == [("GLB004", 3)]
    assert run(knee, line("27447", "78", dos=day(20, start))).empty
    assert run(knee, line("22614", dos=day(20, start))).empty  # ZZZ add-on
    assert run(line("59400", dos=start), line("99213", dos=day(20, start))).empty  # MMM
    found = run(knee, line("99213", dos=day(30, start)))
    assert "RVU" in found.iloc[0]["source"]
