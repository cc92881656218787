"""Helpers shared by the importer tests: parse bytes or text, or expect a refusal."""

from __future__ import annotations

import pytest

from addin.errors import InputFileError
from addin.reference.importers import Hints, ParsedTable, Source, parse_source


def _bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


def parse(name: str, data: str | bytes, **hints) -> ParsedTable:
    """Parse an in-memory file named ``name``; it must give a table."""
    result = parse_source(Source(name, _bytes(data)), Hints(**hints))
    assert isinstance(result, ParsedTable)
    return result


def refused(name: str, data: str | bytes, **hints) -> InputFileError:
    """Parse an in-memory file that must be refused; return the error."""
    with pytest.raises(InputFileError) as info:
        parse_source(Source(name, _bytes(data)), Hints(**hints))
    return info.value
