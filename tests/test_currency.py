"""Data currency: an answer from a table that does not cover the date of service says so in
every door (CLI, Excel functions, server, batch check, report); ``[data] stale = "error"``
refuses it.

The bundled PTP table is 2024Q3 (data/versions.csv): 2026-05-04 is a stale date, 1999-01-05
is before every table, 2024-08-01 is current.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from cli_helpers import run_cli as run

from addin import udfs
from addin.excel import answers
from addin.reference import currency, schema
from addin.reference.versions import Version, VersionSet

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_claims.xlsx"
STALE = "2026-05-04"
BEFORE = "1999-01-05"
CURRENT = "2024-08-01"





pytestmark = pytest.mark.usefixtures("fresh_reference")


@pytest.fixture
def strict(isolated_home):
    """``[data] stale = "error"`` in the user's config.toml."""
    (isolated_home / "config.toml").write_text('[data]\nstale = "error"\n')
    answers.clear()
    yield isolated_home
    answers.clear()


def _versions(table: str, *vintages: str, kind: str = "") -> VersionSet:
    return VersionSet(
        [
            Version(table, "all", dt.date.fromisoformat(v), "imported", [], 0, lambda: None, period_kind=kind)
            for v in vintages
        ]
    )


# ---------------------------------------------------------------------- the policy itself


def test_quarterly_table_covers_its_quarter_only():
    ptp = _versions(schema.PTP, "2024-07-01")
    assert currency.assess(ptp, "ptp", "all", dt.date(2024, 9, 30)).status == "current"
    stale = currency.assess(ptp, "ptp", "all", dt.date(2026, 5, 4))
    assert (stale.status, stale.version_period, stale.date_period) == ("stale", "2024Q3", "2026Q2")
    assert stale.suffix == "[PTP table 2024Q3 older than 2026Q2]"
    before = currency.assess(ptp, "ptp", "all", dt.date(1999, 1, 5))
    assert before.status == "uncovered" and before.suffix == "[no PTP table covers 1999Q1; oldest is 2024Q3]"


def test_a_date_between_two_versions_is_stale_for_the_older_one():
    ptp = _versions(schema.PTP, "2024-07-01", "2026-04-01")
    assert currency.assess(ptp, "ptp", "all", dt.date(2025, 2, 1)).suffix == "[PTP table 2024Q3 older than 2025Q1]"
    assert currency.assess(ptp, "ptp", "all", dt.date(2026, 5, 1)).status == "current"


def test_rvu_release_answers_until_the_next_release_and_hcpcs_year():
    rvu = _versions(schema.RVU, "2025-10-01", "2026-04-01")
    assert currency.assess(rvu, "rvu", "all", dt.date(2026, 2, 1)).status == "current"
    assert currency.assess(rvu, "rvu", "all", dt.date(2026, 7, 1)).status == "stale"
    hcpcs = _versions(schema.HCPCS, "2024-01-01", kind="year")
    assert currency.assess(hcpcs, "hcpcs", "all", dt.date(2024, 11, 1)).status == "current"
    assert currency.assess(hcpcs, "hcpcs", "all", dt.date(2025, 1, 2)).suffix == "[HCPCS table 2024 older than 2025]"


def test_vector_form_agrees_with_the_scalar_form():
    ptp = _versions(schema.PTP, "2024-07-01", "2026-04-01")
    days = [dt.date(1999, 1, 5), dt.date(2024, 8, 1), dt.date(2025, 3, 1), dt.date(2026, 6, 30), dt.date(2026, 7, 1)]
    _, codes = currency.assess_days(ptp, [(d - dt.date(1970, 1, 1)).days for d in days])
    assert [currency.STATUS_NAMES[int(c)] for c in codes] == [
        currency.assess(ptp, "ptp", "all", d).status for d in days
    ]


# ---------------------------------------------------------------------- CLI


def test_conflicts_on_a_stale_date_never_says_still_active(capsys):
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", STALE)
    assert code == 1
    assert "[PTP table 2024Q3 older than 2026Q2]" in out.splitlines()[0]
    assert "still active" not in out and "not deleted in the 2024Q3 table" in out
    assert "Data currency: The PTP practitioner table answering (2024Q3, bundled) is older" in out


def test_no_edit_on_a_stale_date_is_not_may_be_reported_together(capsys):
    code, out, _ = run(capsys, "conflicts", "47383", "43235", "--date", STALE)
    assert code == 0
    assert "may be reported together" not in out
    assert out.startswith("NO EDIT in the 2024Q3 PTP table") and "a newer edit may exist" in out


def test_date_before_every_table_says_no_table_covers_it(capsys):
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", BEFORE, "--json")
    payload = json.loads(out)
    assert payload["currency"]["status"] == "uncovered"
    assert "[no PTP table covers 1999Q1; oldest is 2024Q3]" in payload["headline"]


def test_current_date_keeps_the_plain_words(capsys):
    _, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", CURRENT)
    assert "still active (in force)" in out and "Data currency" not in out and "[PTP" not in out


def test_suggest_says_which_table_is_stale(capsys):
    code, out, _ = run(capsys, "suggest", "47383", "77002", "--date", STALE)
    assert code == 0 and "Data currency: The PTP practitioner table answering (2024Q3, bundled)" in out


def test_lookup_card_names_the_stale_table(capsys):
    code, out, _ = run(capsys, "lookup", "47383", "--date", STALE)
    assert code == 0
    assert "[RVU table 2025Q4 older than 2026Q2]" in out.splitlines()[0]
    assert "Status on that date: active in the RVU table 2025Q4 (older than 2026Q2)" in out
    assert "Data currency: The RVU table answering (2025Q4, bundled)" in out
    _, out, _ = run(capsys, "lookup", "47383", "--date", STALE, "--json")
    statuses = {c["table"]: c["status"] for c in json.loads(out)["currency"]}
    assert statuses == {"rvu": "stale", "mue": "current", "aoc": "current"}


def test_error_policy_makes_conflicts_and_lookup_exit_2(capsys, strict):
    code, _, err = run(capsys, "conflicts", "47383", "77002", "--date", STALE)
    assert code == 2 and "older than the date of service" in err and 'stale = "error"' in err
    code, _, err = run(capsys, "lookup", "47383", "--date", BEFORE)
    assert code == 2 and "No loaded RVU table covers" in err
    code, _, _ = run(capsys, "conflicts", "47383", "77002", "--date", CURRENT)
    assert code == 1  # a covered date still answers


def test_error_policy_from_the_environment(capsys, isolated_home, monkeypatch):
    monkeypatch.setenv(currency.POLICY_ENV, "error")
    code, _, err = run(capsys, "conflicts", "47383", "77002", "--date", STALE)
    assert code == 2 and "refused" in err


def test_bad_policy_value_names_the_file(capsys, isolated_home):
    (isolated_home / "config.toml").write_text('[data]\nstale = "maybe"\n')
    code, _, err = run(capsys, "check", str(SAMPLE), "--config", str(isolated_home / "config.toml"))
    assert code == 2 and "config.toml" in err and "warn" in err


def test_data_status_lists_bundled_tables_and_periods_without_a_table(capsys, monkeypatch):
    from addin.reference import bundled

    monkeypatch.setattr(bundled, "today", lambda: dt.date(2026, 5, 4))
    code, out, _ = run(capsys, "data", "status")
    assert code == 0
    ptp = next(line for line in out.splitlines() if line.split()[:2] == ["PTP", "practitioner"])
    assert "2024Q3" in ptp and "bundled" in ptp and "answers today [PTP table 2024Q3 older than 2026Q2]" in ptp
    assert "PTP practitioner: 2024Q4–2026Q2 (answered from 2024Q3, older)" in out
    assert "PTP practitioner: before 2024Q3" in out
    assert "No tables imported yet: the bundled sample tables answer" in out


# ---------------------------------------------------------------------- Excel functions


def test_udfs_carry_the_short_suffix(bundled):
    date = dt.datetime(2026, 5, 4)
    assert "77002 is denied when billed with 47383. [PTP table 2024Q3 older than 2026Q2]" in udfs.CPT_CONFLICTS(
        "47383", "77002", date=date
    )
    assert "still active" not in udfs.CPT_CONFLICTS("47383", "77002", date=date)
    assert udfs.CPT_DESC("47383", date).endswith("[RVU table 2025Q4 older than 2026Q2]")
    assert udfs.CPT_DESC_TABLE([["47383"]], date) == [[udfs.CPT_DESC("47383", date)]]
    later = dt.datetime(2026, 8, 3)
    assert udfs.CPT_MUE("47383", date=later).endswith("[MUE table 2026Q2 older than 2026Q3]")
    assert udfs.CPT_ADDON("0397T", later).endswith("[AOC table 2026Q2 older than 2026Q3]")
    assert "[PTP table 2024Q3 older than 2026Q2]" in udfs.SUGGEST_MODIFIERS("47383", "77002", date)
    assert "[PTP" not in udfs.CPT_CONFLICTS("47383", "77002", date=dt.datetime(2024, 8, 1))
    assert "[no PTP table covers 1999Q1; oldest is 2024Q3]" in udfs.CPT_CONFLICTS(
        "47383", "77002", date=dt.datetime(1999, 1, 5)
    )


def test_spill_and_validity_functions_name_the_stale_table(bundled):
    date = dt.datetime(2026, 5, 4)
    table = udfs.CPT_CONFLICTS_TABLE([["47383"], ["77002"]], date)
    assert table[0] == udfs.CONFLICT_HEADER
    assert all(row[3].endswith(" [PTP table 2024Q3 older than 2026Q2]") for row in table[1:])
    assert udfs.CPT_CONFLICTS_TABLE([["47383"], ["43235"]], date)[0][0].endswith("[PTP table 2024Q3 older than 2026Q2]")
    assert "[PTP" not in udfs.CPT_CONFLICTS_TABLE([["47383"], ["77002"]], dt.datetime(2024, 8, 1))[1][3]
    assert udfs.CPT_VALID("47383", date, True).endswith("[RVU table 2025Q4 older than 2026Q2]")
    assert udfs.CPT_VALID("47383", date) is True


def test_udfs_show_the_refusal_under_the_error_policy(bundled):
    bundled.stale_policy = "error"
    text = udfs.CPT_CONFLICTS("47383", "77002", date=dt.datetime(2026, 5, 4))
    assert "older than the date of service" in text and "refused" in text
    assert "refused" in udfs.CPT_DESC("47383", dt.datetime(1999, 1, 5))


# ---------------------------------------------------------------------- server


@pytest.fixture
def api(bundled):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app
        from addin.server.config import ServerSettings

        yield TestClient(create_app(ServerSettings(api_key="k")), headers={"X-API-Key": "k"})


def test_server_answers_carry_the_currency(api, bundled):
    answer = api.get("/api/conflicts", params={"code1": "47383", "code2": "77002", "date": STALE})
    assert answer.status_code == 200
    body = answer.json()
    assert body["currency"]["status"] == "stale" and body["currency"]["version_period"] == "2024Q3"
    assert any(line.startswith("Data currency:") for line in body["lines"])
    code = api.get("/api/code/47383", params={"date": STALE}).json()
    assert code["description"].endswith("[RVU table 2025Q4 older than 2026Q2]")
    bundled.stale_policy = "error"
    refused = api.get("/api/conflicts", params={"code1": "47383", "code2": "77002", "date": STALE})
    assert refused.status_code == 503 and "older than the date of service" in refused.json()["detail"]


# ---------------------------------------------------------------------- batch check and report


def test_check_marks_sources_summary_and_report_banner(capsys, tmp_path, isolated_home):
    findings, report = tmp_path / "f.csv", tmp_path / "audit.xlsx"
    code, out, _ = run(capsys, "check", str(SAMPLE), "--findings", str(findings), "-o", str(report))
    assert code == 1
    assert "Data currency: 92 line(s) were checked against the PTP practitioner table 2024Q3 (bundled)" in out
    import pandas as pd

    rows = pd.read_csv(findings, dtype=str, keep_default_na=False)
    ptp = rows[rows["rule"] == "ptp"]
    assert len(ptp) and ptp["source"].str.contains(r"\[PTP table 2024Q3 older than 2026Q[23]\]").all()
    assert not ptp["message"].str.contains("still active").any()
    dx = rows[rows["rule"] == "diagnosis"]
    assert not dx["source"].str.contains("older than").any()
    summary = openpyxl.load_workbook(report, read_only=True)["Summary"]
    texts = [row[0] if row else None for row in summary.iter_rows(min_row=1, max_row=12, values_only=True)]
    assert texts[3].startswith("Data currency: some lines were checked against tables")
    assert any(str(t).startswith("92 line(s) were checked against the PTP practitioner table 2024Q3") for t in texts)


def test_check_with_stale_error_exits_2(capsys, tmp_path, isolated_home):
    config = tmp_path / "rules.toml"
    config.write_text('[data]\nstale = "error"\n')
    code, _, err = run(capsys, "check", str(SAMPLE), "--config", str(config))
    assert code == 2 and "have no PTP table of their own (answered from 2024Q3)" in err
    assert 'stale = "error"' in err


def test_check_on_covered_dates_has_no_banner(tmp_path, bundled):
    from addin.checker import check

    frame = [["claim_id", "patient_id", "provider_npi", "dos", "cpt", "units"],
             ["C1", "P1", "1234567893", "2024-08-01", "47383", "1"],
             ["C1", "P1", "1234567893", "2024-08-01", "77002", "1"]]
    result = check(frame, reference=bundled)
    ptp = next(v for v in result.versions if v.table == "ptp")
    assert (ptp.period, ptp.lines_stale, ptp.lines_uncovered) == ("2024Q3", 0, 0)
    assert not result.findings["source"].str.contains(r"\[PTP").any()
