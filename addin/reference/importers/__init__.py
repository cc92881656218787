"""Importers for the official CMS layouts and plain CSV edit tables.

``parse_source`` / ``parse_file`` recognise a file by its content and return a
:class:`ParsedTable` (canonical columns of :mod:`addin.reference.schema` plus table, setting,
vintage, part and layout) or a :class:`SkippedFile`; malformed files raise
:class:`addin.errors.InputFileError`. One module per layout family.
"""

from addin.reference.importers.common import Hints, ParsedTable, SkippedFile, Source
from addin.reference.importers.detect import parse_file, parse_source
from addin.reference.importers.names import parse_vintage

__all__ = [
    "Hints",
    "ParsedTable",
    "SkippedFile",
    "Source",
    "parse_file",
    "parse_source",
    "parse_vintage",
]
