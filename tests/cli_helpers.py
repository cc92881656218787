"""Running the ``cpt-addin`` command in-process from tests."""

from __future__ import annotations

from addin.cli import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """``cpt-addin ARGV...`` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
