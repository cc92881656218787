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


class DataUnavailableError(CptAddinError):
    """The reference data cannot answer as asked (exit 2; the server answers 503)."""


class StoreDamagedError(DataUnavailableError):
    """The store of imported tables is damaged: says what is wrong and the command that mends it.

    Raised instead of answering from other data: Parquet files without a manifest, a damaged
    or empty manifest, a missing or unreadable Parquet file, a file whose checksum or size no
    longer matches the manifest.
    """

    def __init__(self, problem: str, mend: str = "cpt-addin data repair") -> None:
        self.problem = problem
        self.mend = mend
        super().__init__(f"the store of imported tables is damaged: {problem}. To mend it run: {mend}")
