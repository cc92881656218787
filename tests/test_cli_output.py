"""``cpt-addin check`` console output: ruff-style lines, cap, --quiet, --fail-on, --select /
--ignore, --format text|json|csv|github; ``--version``; ``rules --list``; exit codes in help."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from cli_helpers import run_cli

from addin.cli import COMMANDS, build_parser, package_version
from addin.cli.check_output import PLAIN_WIDTH
from addin.findings import FINDING_COLUMNS
from addin.rules import all_rules

HEADER = "Claim ID,Patient ID,NPI,Date of Service,CPT,Modifiers,Units,DX\n"
#: 43497 + 43235 (PTP001, indicator 0) and 99214 with both (PTP002 twice).
ROWS = [
    "C1,P1,1234567890,2024-05-01,43497,,1,K22.0",
    "C1,P1,1234567890,2024-05-01,43235,,1,K22.0",
    "C1,P1,1234567890,2024-05-01,99214,,1,I10",
]
LINE = re.compile(r"^claims\.csv:(\d+): ([A-Z]+\d{3}) (error|warning|info) (\S+) (.+)$")


@pytest.fixture
def claims(tmp_path, monkeypatch):
    """``claims.csv`` in the working directory (the lines show the path as given)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "claims.csv").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return "claims.csv"


def _finding_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("claims.csv:")]


def test_one_line_per_finding_like_ruff(claims, capsys):
    code, out, _ = run_cli(capsys, "check", claims, "--select", "PTP", "--no-progress")
    assert code == 1
    lines = _finding_lines(out)
    assert len(lines) == 3
    assert lines[0].startswith(
        "claims.csv:3: PTP001 error 43235 CONFLICT, not bypassable: 43235 (Column 2) is denied "
        "when billed with 43497 (Column 1, row 2)"
    )
    assert [LINE.match(line).group(1, 2, 3, 4) for line in lines] == [
        ("3", "PTP001", "error", "43235"),
        ("4", "PTP002", "error", "99214"),
        ("4", "PTP002", "error", "99214"),
    ]
    assert all(len(line) <= PLAIN_WIDTH for line in lines)
    assert lines[0].endswith("…")  # the long message is trimmed, not wrapped
    assert out.index("claims.csv:3:") < out.index("Checked claims.csv")  # findings, then summary
    assert "P1" not in out and "C1" not in out and "1234567890" not in out  # no claim contents


def test_lines_are_capped_with_a_count_and_where_the_rest_is(claims, capsys):
    code, out, _ = run_cli(capsys, "check", claims, "--select", "PTP", "--max-findings", "2")
    assert code == 1
    assert len(_finding_lines(out)) == 2
    assert "… and 1 more finding (write them all with --findings FILE or -o AUDIT.xlsx)" in out
    code, out, _ = run_cli(
        capsys, "check", claims, "--select", "PTP", "--max-findings", "1", "--findings", "f.csv"
    )
    assert len(_finding_lines(out)) == 1
    assert "… and 2 more findings (see f.csv)" in out


def test_quiet_prints_the_summary_only(claims, capsys):
    code, out, err = run_cli(capsys, "check", claims, "--quiet")
    assert code == 1
    assert _finding_lines(out) == []
    assert "Checked claims.csv: 3 rows read" in out and "Errors found (exit 1)." in out
    assert err == ""  # and no progress


@pytest.mark.parametrize(
    ("levels", "fail_on", "expected"),
    [
        ("", "error", 1),
        ("", "never", 0),
        ("", "warning", 1),
        ('ptp = "warning"\n', "error", 0),
        ('ptp = "warning"\n', "warning", 1),
        ('ptp = "info"\n', "warning", 0),
        ('ptp = "info"\n', "info", 1),
        ('ptp = "info"\n', "never", 0),
    ],
)
def test_fail_on_sets_the_exit_code(claims, capsys, tmp_path, levels, fail_on, expected):
    config = tmp_path / "rules.toml"
    config.write_text("[rules]\n" + levels, encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "check", claims, "--select", "ptp", "--config", str(config), "--fail-on", fail_on
    )
    assert code == expected
    assert len(_finding_lines(out)) == 3  # the findings are the same; only the exit code moves
    assert f"(exit {expected}" in out or expected == 0


def test_select_and_ignore_decide_the_findings_file(claims, capsys, tmp_path):
    def rule_ids(*options: str) -> list[str]:
        path = tmp_path / "f.csv"
        run_cli(capsys, "check", claims, "--findings", str(path), "--quiet", *options)
        return list(pd.read_csv(path, dtype=str, keep_default_na=False)["rule_id"])

    everything = rule_ids()
    assert {"PTP001", "PTP002"} <= set(everything)
    assert rule_ids("--select", "PTP001") == ["PTP001"]
    assert rule_ids("--select", "ptp", "--ignore", "PTP002") == ["PTP001"]
    assert rule_ids("--select", "PTP00,DUP001") == ["PTP001", "PTP002", "PTP002"]
    assert "PTP002" not in rule_ids("--ignore", "PTP002")
    assert not [r for r in rule_ids("--ignore", "ptp") if r.startswith("PTP")]
    # repeatable, and the console says the same
    code, out, _ = run_cli(capsys, "check", claims, "--select", "PTP001", "--select", "PTP002")
    assert code == 1 and "by rule: PTP001 1, PTP002 2" in out


def test_unknown_rule_selector_is_exit_2_with_the_valid_ids(claims, capsys):
    code, out, err = run_cli(capsys, "check", claims, "--select", "PTP,NOPE01", "--ignore", "xyz")
    assert code == 2
    assert "NOPE01" in err and "PTP001" in err and "MUE001" in err and "modifier" in err
    assert out == ""


def test_selection_switches_rules_off_so_they_do_not_run():
    from addin.checker.run import enabled_rules
    from addin.rules.config import RuleConfig, resolve_rules, with_selection

    assert resolve_rules(["ptp"]) == ["PTP001", "PTP002", "PTP003"]
    assert resolve_rules(["mod01, dup001"]) == ["MOD010", "MOD011", "MOD012", "MOD013", "DUP001"]
    config = with_selection(RuleConfig(levels={"PTP002": "warning", "PTP003": "off"}), ["PTP"])
    assert [(r.rule_id, s) for r, s in enabled_rules(config)] == [("PTP001", "error"), ("PTP002", "warning")]
    config = with_selection(None, None, ["modifier", "COD"])
    ids = {r.rule_id for r, _ in enabled_rules(config)}
    assert not any(i.startswith(("MOD", "COD")) for i in ids) and "PTP001" in ids


def test_format_github_is_workflow_commands(claims, capsys):
    code, out, _ = run_cli(capsys, "check", claims, "--select", "PTP", "--format", "github")
    assert code == 1
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert len(commands) == 3
    pattern = re.compile(r"^::(error|warning|notice) file=claims\.csv,line=(\d+),title=(PTP00\d) (\w+)::(.+)$")
    parsed = [pattern.match(line).groups() for line in commands]
    assert [(p[0], p[1], p[2]) for p in parsed] == [
        ("error", "3", "PTP001"), ("error", "4", "PTP002"), ("error", "4", "PTP002")
    ]
    assert parsed[0][4].startswith("PTP001 43235 CONFLICT, not bypassable")
    assert all("\n" not in p[4] for p in parsed)


def test_github_escapes_and_levels():
    from addin.cli.check_output import github_lines

    findings = pd.DataFrame(
        {"row": [5, 0], "rule_id": ["MUE001", "INP001"], "severity": ["warning", "info"],
         "code": ["97110", ""], "message": ["50% over\nlimit", "a, b: c"]}
    )
    assert github_lines(findings, "in,put:1.csv") == [
        "::warning file=in%2Cput%3A1.csv,line=5,title=MUE001 warning::MUE001 97110 50%25 over%0Alimit",
        "::notice file=in%2Cput%3A1.csv,title=INP001 info::INP001 a, b: c",
    ]


def test_format_json_is_one_document(claims, capsys, tmp_path):
    code, out, err = run_cli(
        capsys, "check", claims, "--format", "json", "--findings", str(tmp_path / "f.json")
    )
    document = json.loads(out)
    assert code == document["exit_code"] == 1
    summary = document["summary"]
    assert summary["rows_read"] == 3 and summary["findings"] == len(document["findings"])
    assert summary["by_severity"]["error"] == sum(f["severity"] == "error" for f in document["findings"])
    assert set(document["findings"][0]) == set(FINDING_COLUMNS)
    on_disk = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert [f["rule_id"] for f in on_disk] == [f["rule_id"] for f in document["findings"]]
    assert "Checked claims.csv" not in out  # the human summary is not mixed into the JSON
    code, out, _ = run_cli(capsys, "check", claims, "--format", "json", "--quiet")
    assert "findings" not in json.loads(out)


def test_format_csv_goes_to_stdout_and_the_summary_to_stderr(claims, capsys):
    code, out, err = run_cli(capsys, "check", claims, "--select", "PTP", "--format", "csv")
    assert code == 1
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(table.columns) == FINDING_COLUMNS
    assert list(table["rule_id"]) == ["PTP001", "PTP002", "PTP002"]
    assert "Checked claims.csv" in err and "Checked" not in out


def test_version_comes_from_package_metadata(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as stopped:
        run_cli(capsys, "--version")
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"cpt-addin {metadata.version('cpt-addin')}"
    assert package_version() == metadata.version("cpt-addin")


def test_rules_list_is_one_line_per_rule(capsys):
    code, out, _ = run_cli(capsys, "rules", "--list")
    assert code == 0
    lines = out.splitlines()
    rules = all_rules()
    assert len(lines) == len(rules)
    for line, rule in zip(lines, rules, strict=True):
        rule_id, family, severity, summary = line.split(None, 3)
        assert (rule_id, family, severity, summary) == (
            rule.rule_id, rule.family, rule.severity, rule.summary()
        )
    code, out, _ = run_cli(capsys, "rules", "--list", "ptp")
    assert [line.split()[0] for line in out.splitlines()] == ["PTP001", "PTP002", "PTP003"]


def test_rules_shows_one_rule_as_markdown(capsys):
    code, out, _ = run_cli(capsys, "rules", "PTP001")
    assert code == 0
    assert out.startswith("## PTP001 `ptp.not_bypassable`\n")
    assert "**What it checks.**" in out and "## PTP002" not in out
    code, out, err = run_cli(capsys, "rules", "PTP999")
    assert code == 2 and "PTP001" in err


def test_rules_are_rendered_with_rich_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    code, out, _ = run_cli(capsys, "rules", "PTP001")
    assert code == 0
    assert "PTP001" in out and "**What it checks.**" not in out  # bold rendered, not literal


def test_every_command_help_says_what_the_exit_codes_mean(capsys):
    helps = {}
    for name in COMMANDS:
        with pytest.raises(SystemExit):
            run_cli(capsys, name, "--help")
        helps[name] = capsys.readouterr().out
        assert "exit codes:" in helps[name], name
        assert "\n  0 " in helps[name] and "\n  2 " in helps[name], name
    assert "1 conflict" in helps["conflicts"]
    assert "--fail-on" in helps["check"] and "\n  1 " in helps["check"]
    with pytest.raises(SystemExit):
        run_cli(capsys, "--help")
    top = capsys.readouterr().out
    assert "exit codes:" in top and all(name in top for name in COMMANDS)
    for sub in (["data", "import"], ["data", "verify"], ["excel", "install"]):
        with pytest.raises(SystemExit):
            run_cli(capsys, *sub, "--help")
        assert "exit codes:" in capsys.readouterr().out, sub


def test_the_listed_help_is_each_modules_own():
    """``--help`` lists commands from COMMANDS without importing them: keep both in step."""
    parser = build_parser()  # every module loaded
    sub = next(a for a in parser._actions if a.dest == "command")  # noqa: SLF001
    registered = {a.dest: a.help for a in sub._choices_actions}  # noqa: SLF001
    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}
