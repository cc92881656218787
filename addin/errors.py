"""Errors that carry where the problem is, so a user can find and fix it."""

from __future__ import annotations


class CptAddinError(Exception):
    """Base of the errors cpt-addin reports to users (exit code 2, a message, no traceback)."""


class InputFileError(CptAddinError):
    """A file could not be read or was refused; names the file, the line/row and column."""

    def __init__(
        self,
        file: str,
        reason: str,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {reason}")


class UnknownCodeError(CptAddinError):
    """A code that is not in any loaded table."""
