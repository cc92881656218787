"""Progress on stderr: a stage for reading, checking, the findings file and the workbook;
plain lines at a bounded rate when stderr is not a terminal; data import / verify too."""

from __future__ import annotations

import io

from cli_helpers import run_cli

from addin.checker.progress import PlainProgress, RichProgress, reporter

HEADER = "Claim ID,Patient ID,NPI,Date of Service,CPT,Modifiers,Units,DX\n"
ROWS = "C1,P1,1234567890,2024-05-01,43497,,1,K22.0\nC1,P1,1234567890,2024-05-01,43235,,1,K22.0\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_start_end_and_at_most_one_per_interval():
    stream, clock = io.StringIO(), Clock()
    progress = PlainProgress(stream, interval=2.0, clock=clock)
    progress("reading", 0, 1)
    clock.now = 0.5
    progress("reading", 1, 1)
    for done in range(0, 101, 10):  # 11 updates over 5 s: lines 2 s and 4 s after the start
        clock.now = 1 + done / 20
        progress("checking", done, 100)
    progress("findings", 1, 1)  # over before it began: not worth a line
    progress("done", 1, 1)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "cpt-addin: Reading claims…",
        "cpt-addin: Reading claims done (0.5 s)",
        "cpt-addin: Checking rules…",
        "cpt-addin: Checking rules 40/100 (40%)",
        "cpt-addin: Checking rules 80/100 (80%)",
        "cpt-addin: Checking rules done (5.0 s)",
    ]


def test_plain_lines_for_an_unknown_total_and_a_detail():
    stream, clock = io.StringIO(), Clock()
    progress = PlainProgress(stream, interval=2.0, clock=clock)
    for n in range(1, 6):
        clock.now = n * 1.0
        progress("import", n, 0, f"file{n}.zip")
    progress.close()
    progress.close()  # once only
    assert stream.getvalue().splitlines() == [
        "cpt-addin: Importing files…",
        "cpt-addin: Importing files 3 file3.zip",
        "cpt-addin: Importing files 5 file5.zip",
        "cpt-addin: Importing files done (4.0 s)",
    ]


def test_reporter_picks_a_bar_on_a_terminal_and_lines_otherwise():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(reporter(True, io.StringIO()), PlainProgress)
    assert isinstance(reporter(True, Tty()), RichProgress)
    assert isinstance(reporter(True, io.StringIO(), force_bar=True), RichProgress)
    quiet = reporter(False, Tty())
    quiet("checking", 1, 2)
    quiet.close()


def test_rich_bar_draws_every_stage_and_clears():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = reporter(True, stream)
    for stage in ("reading", "checking", "findings", "report"):
        bar(stage, 0, 4)
        bar(stage, 4, 4)
    bar("done", 1, 1)  # a step saying done does not end the shared display
    assert bar._started  # noqa: SLF001
    bar.close()
    assert not bar._started  # noqa: SLF001


def test_check_reports_each_stage_including_the_files(tmp_path, capsys):
    claims = tmp_path / "claims.csv"
    claims.write_text(HEADER + ROWS, encoding="utf-8")
    code, out, err = run_cli(
        capsys, "check", str(claims), "--findings", str(tmp_path / "f.csv"),
        "-o", str(tmp_path / "audit.xlsx"),
    )
    assert code == 1
    for stage in ("Reading claims", "Checking rules", "Writing findings", "Writing audit workbook"):
        assert f"cpt-addin: {stage}…" in err, stage
        assert f"cpt-addin: {stage} done (" in err, stage
    assert "P1" not in err and "C1" not in err  # stages and counts only
    _, _, err = run_cli(capsys, "check", str(claims), "--no-progress")
    assert err == ""


def test_write_report_calls_the_progress_callback(tmp_path):
    from addin.checker import check
    from addin.workbooks.report import write_report

    claims = tmp_path / "claims.csv"
    claims.write_text(HEADER + ROWS, encoding="utf-8")
    calls = []
    write_report(check(claims), tmp_path / "a.xlsx", progress=lambda *a: calls.append(a))
    assert calls[0] == ("report", 0, 9) and calls[-1] == ("report", 9, 9)
    assert [c[1] for c in calls] == list(range(10))


def test_data_import_and_verify_report_progress(tmp_path, capsys):
    table = tmp_path / "not_a_cms_table.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    _, out, err = run_cli(capsys, "data", "import", str(table))
    assert "cpt-addin: Importing files…" in err and "cpt-addin: Importing files done (" in err
    assert "not_a_cms_table.csv" in out  # the per-file line is still printed on stdout
    code, _, err = run_cli(capsys, "data", "verify")
    assert code == 0
    assert "cpt-addin: Verifying stored files…" in err
    assert "cpt-addin: Verifying stored files done (" in err
