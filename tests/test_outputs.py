"""Output paths (issue 10, points 4, 5 and 10): every bad output ends in exit 2 and a clear
message naming the file, before the check runs; only regular files are ever replaced; a
full disk or SIGTERM leaves no temporary file behind."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from addin import outputs
from addin.cli import main
from addin.outputs import OutputFileError, atomic_write, check_output

HEADER = "Claim ID,Patient ID,NPI,Date of Service,CPT,Modifiers,Units,DX\n"
CONFLICT = (
    "C1,P1,1234567890,2024-05-01,43497,,1,K22.0\n"
    "C1,P1,1234567890,2024-05-01,43235,,1,K22.0\n"
)


@pytest.fixture
def claims(tmp_path) -> Path:
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + CONFLICT, encoding="utf-8")
    return path


@pytest.fixture
def no_check(monkeypatch):
    """Make the check itself fail loudly: the output paths must be refused before it runs."""
    import addin.checker

    def check(*args, **kwargs):
        raise AssertionError("the check ran before the output paths were checked")

    monkeypatch.setattr(addin.checker, "check", check)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".probe", ".splice")))


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


# ------------------------------------------------------------------ point 4: output problems
def test_missing_folder_is_refused_before_the_check_and_not_created(tmp_path, claims, capsys, no_check):
    missing = tmp_path / "no" / "such"
    for option, name in (("-o", "audit.xlsx"), ("--findings", "f.csv")):
        code, err = run(["check", str(claims), option, str(missing / name)], capsys)
        assert code == 2
        assert str(missing / name) in err and "does not exist" in err
        assert not (tmp_path / "no").exists()  # never created silently


def test_output_that_is_a_folder(tmp_path, claims, capsys, no_check):
    folder = tmp_path / "audit.xlsx"
    folder.mkdir()
    code, err = run(["check", str(claims), "-o", str(folder)], capsys)
    assert code == 2 and str(folder) in err and "is a folder" in err
    code, err = run(["check", str(claims), "--findings", str(tmp_path)], capsys)
    assert code == 2 and f"is a folder; give a file name, e.g. {tmp_path / 'findings.csv'}" in err
    code, err = run(["check", str(claims), "--findings", str(tmp_path / "f.txt")], capsys)
    assert code == 2 and "must end in .csv or .json" in err
    (tmp_path / "f.csv").mkdir()
    code, err = run(["check", str(claims), "--findings", str(tmp_path / "f.csv")], capsys)
    assert code == 2 and "is a folder" in err


def test_findings_under_a_file_that_is_not_a_folder(tmp_path, claims, capsys, no_check):
    code, err = run(["check", str(claims), "--findings", str(claims / "f.csv")], capsys)
    assert code == 2
    assert str(claims / "f.csv") in err and f"{claims} is a file, not a folder" in err
    code, err = run(["check", str(claims), "-o", str(claims / "deeper" / "audit.xlsx")], capsys)
    assert code == 2 and f"{claims} is a file, not a folder" in err


def test_folder_where_nothing_can_be_created_even_as_root(capsys, claims, no_check):
    """``/sys`` refuses new files even to root (chmod would not stop root)."""
    try:
        handle, name = tempfile.mkstemp(dir="/sys")
    except OSError:
        pass
    else:  # pragma: no cover - not Linux
        os.close(handle)
        os.unlink(name)
        pytest.skip("/sys accepts files here")
    if not Path("/sys").is_dir():  # pragma: no cover
        pytest.skip("no /sys")
    code, err = run(["check", str(claims), "--findings", "/sys/findings.csv"], capsys)
    assert code == 2
    assert "/sys/findings.csv" in err and "no file can be created in the folder /sys" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_as_a_user(tmp_path, claims, capsys, no_check):  # pragma: no cover - CI is root
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, err = run(["check", str(claims), "-o", str(folder / "audit.xlsx")], capsys)
    finally:
        folder.chmod(0o755)
    assert code == 2 and "Permission denied" in err


def test_read_only_file_system_is_reported(tmp_path, claims, capsys, monkeypatch, no_check):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(outputs.tempfile, "mkstemp", read_only)
    code, err = run(["check", str(claims), "-o", str(tmp_path / "audit.xlsx")], capsys)
    assert code == 2 and "audit.xlsx" in err and os.strerror(errno.EROFS) in err


def test_read_only_file_is_not_replaced(tmp_path, claims, capsys, no_check):
    target = tmp_path / "f.csv"
    target.write_text("keep", encoding="utf-8")
    target.chmod(0o444)
    code, err = run(["check", str(claims), "--findings", str(target)], capsys)
    assert code == 2 and "read-only" in err
    assert target.read_text(encoding="utf-8") == "keep"


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_while_writing_findings(tmp_path, claims, capsys, monkeypatch):
    from addin.checker import writers

    target = tmp_path / "f.csv"
    target.write_text("previous", encoding="utf-8")

    def half_then_full(sink, findings):
        sink._handle.write(b"claim_id,row\n")
        _disk_full()

    monkeypatch.setattr(writers.FindingsSink, "write", half_then_full)
    code, err = run(["check", str(claims), "--findings", str(target)], capsys)
    assert code == 2
    assert str(target) in err and "disk is full" in err
    assert target.read_text(encoding="utf-8") == "previous"
    assert leftovers(tmp_path) == []


def test_full_disk_while_writing_the_report(tmp_path, claims, capsys, monkeypatch):
    from addin.workbooks import report

    monkeypatch.setattr(report, "splice", _disk_full)
    target = tmp_path / "audit.xlsx"
    code, err = run(["check", str(claims), "-o", str(target)], capsys)
    assert code == 2 and str(target) in err and "No space left on device" in err
    assert not target.exists() and leftovers(tmp_path) == []


def test_template_and_workbook_copy_use_the_same_checks(tmp_path, capsys):
    code, err = run(["template", "code-lookup", "-o", str(tmp_path / "missing" / "x.xlsx")], capsys)
    assert code == 2 and "does not exist" in err
    (tmp_path / "dir.xlsx").mkdir()
    code, err = run(["template", "code-lookup", "-o", str(tmp_path / "dir.xlsx")], capsys)
    assert code == 2 and "is a folder" in err
    import openpyxl

    book = tmp_path / "Book.xlsx"
    openpyxl.Workbook().save(book)
    link = tmp_path / "Link.xlsx"
    os.link(book, link)
    code, err = run(["excel", "install", "--workbook", str(book), "--output", str(link)], capsys)
    assert code == 2 and "input" in err


# ------------------------------------------------------------------ point 5: what may be replaced
def test_fifo_is_never_replaced(tmp_path, claims, capsys, no_check):
    if not hasattr(os, "mkfifo"):  # pragma: no cover - Windows
        pytest.skip("no FIFOs")
    for option, name in (("--findings", "f.csv"), ("-o", "audit.xlsx")):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        code, err = run(["check", str(claims), option, str(fifo)], capsys)
        assert code == 2 and str(fifo) in err and "FIFO" in err
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_device_node_is_never_replaced(tmp_path, claims, capsys, no_check):
    """A real character device (the one ``/dev/full`` is), made in a temp folder as root."""
    device = tmp_path / "full.csv"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (AttributeError, OSError, PermissionError):
        pytest.skip("cannot make a device node here")
    code, err = run(["check", str(claims), "--findings", str(device)], capsys)
    assert code == 2 and "is a device" in err
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_dev_full_is_refused_without_touching_it(claims, capsys, no_check):
    if not Path("/dev/full").exists():  # pragma: no cover
        pytest.skip("no /dev/full")
    with pytest.raises(OutputFileError, match="is a device"):
        check_output("/dev/full")
    code, err = run(["check", str(claims), "-o", "/dev/full"], capsys)
    assert code == 2 and "/dev/full" in err  # refused (its extension first); never opened
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_hard_link_and_symlink_of_the_input_are_refused(tmp_path, claims, capsys, no_check):
    before = claims.read_bytes()
    hard = tmp_path / "audit.xlsx"
    os.link(claims, hard)
    code, err = run(["check", str(claims), "-o", str(hard)], capsys)
    assert code == 2 and "input" in err
    assert os.path.samefile(hard, claims) and claims.read_bytes() == before
    soft = tmp_path / "findings.csv"
    soft.symlink_to(claims)
    code, err = run(["check", str(claims), "--findings", str(soft)], capsys)
    assert code == 2 and "overwrite the input" in err
    assert soft.is_symlink() and claims.read_bytes() == before


def test_findings_and_report_must_be_different_files(tmp_path, claims, capsys, no_check):
    findings = tmp_path / "f.csv"
    findings.write_text("x", encoding="utf-8")
    report = tmp_path / "audit.xlsx"
    os.link(findings, report)
    code, err = run(["check", str(claims), "--findings", str(findings), "-o", str(report)], capsys)
    assert code == 2 and "give each output its own name" in err


def test_atomic_write_checks_again_before_replacing(tmp_path):
    """Something that became a FIFO after the check is still not replaced."""
    if not hasattr(os, "mkfifo"):  # pragma: no cover
        pytest.skip("no FIFOs")
    target = tmp_path / "out.csv"
    with pytest.raises(OutputFileError, match="FIFO"), atomic_write(target) as temp:
        temp.write_text("data", encoding="utf-8")
        os.mkfifo(target)
    assert stat.S_ISFIFO(os.stat(target).st_mode) and leftovers(tmp_path) == []


def test_symlink_to_a_regular_file_keeps_the_link(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    check_output(link)
    with atomic_write(link) as temp:
        temp.write_text("new", encoding="utf-8")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640  # permissions of the replaced file kept


# ------------------------------------------------------------------ point 10: SIGTERM
SLOW_REPORT = textwrap.dedent(
    """
    import sys, time
    from addin.workbooks import report
    original = report.write_about

    def slow_about(*args, **kwargs):
        original(*args, **kwargs)
        print("ready", flush=True)
        time.sleep(120)

    report.write_about = slow_about
    from addin.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_sigterm_during_the_report_leaves_no_temporary_file(tmp_path, claims):
    out = tmp_path / "out"
    out.mkdir()
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(private_tmp), PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_REPORT, "check", str(claims), "-o", str(out / "audit.xlsx"), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")], "the report is being written"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:  # pragma: no cover
            process.kill()
            process.wait()
    assert process.returncode == outputs.TERMINATED_EXIT, process.stderr.read()
    assert list(out.iterdir()) == []
    assert list(private_tmp.iterdir()) == []  # the streamed sheet rows are gone too
