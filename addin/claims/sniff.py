"""Text-file sniffing: which encoding and which delimiter Excel (or a person) used.

Encodings, in the order tried: a byte-order mark (UTF-8, UTF-16 LE/BE), UTF-16 without BOM
(NUL bytes in every other position), strict UTF-8, then Windows-1252 (what Excel's
"CSV (Comma delimited)" writes on US Windows). Files that mix the two (lines appended from
another export) are decoded line by line: a line that is valid UTF-8 is read as UTF-8, the
others as Windows-1252, and the lines that needed the fallback are named. A result full of
control characters is refused rather than read as garbage.

Delimiters: comma, semicolon, tab and pipe. The delimiter is chosen by trying each on the
first records and keeping the one whose header row names the most claim fields.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

#: Delimiters Excel and common billing exports write, in order of preference on a tie.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")

#: How much of a text file is looked at to sniff the delimiter and find the header.
SAMPLE_CHARS = 256 * 1024

#: Share of control or replacement characters above which decoded text is called garbage
#: (a few stray ones, pasted from other programs, are tolerated).
MAX_GARBAGE_SHARE = 0.01
_GARBAGE_ALLOWANCE = 8

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GARBAGE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_SEP_LINE_RE = re.compile(r"^sep=(.)\r?(\n|$)", re.IGNORECASE)


class NotTextError(ValueError):
    """The bytes are not text in any encoding Excel writes (or are a workbook, not a CSV)."""


#: ``DecodedText.encoding`` of a file whose lines are partly UTF-8, partly Windows-1252.
MIXED_ENCODING = "utf-8+windows-1252"

#: How many fallback lines :class:`DecodedText` lists (the count is always exact).
FALLBACK_LINES_LISTED = 20

_SURROGATES_RE = re.compile("[\udc80-\udcff]+")
_UTF8_NON_ASCII_RE = re.compile("[^\x00-\x7f\udc80-\udcff]")


@dataclass(frozen=True)
class DecodedText:
    """A decoded text file: ``text`` (BOM removed) and the ``encoding`` that decoded it.

    For :data:`MIXED_ENCODING`, ``fallback_lines`` holds the 0-based indexes (in ``text``) of
    the first lines read as Windows-1252 and ``fallback_count`` how many there were in all.
    """

    text: str
    encoding: str
    had_bom: bool
    fallback_lines: tuple[int, ...] = ()
    fallback_count: int = 0


def detect_binary(data: bytes) -> str | None:
    """Name the binary format of ``data`` when it is one users confuse with CSV, else None."""
    if data.startswith(b"PK\x03\x04"):
        return "an Excel .xlsx workbook (a zip file)"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an old-style Excel .xls workbook"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    return None


def decode_text(data: bytes) -> DecodedText:
    """Decode the bytes of a text file the way Excel would; raise :class:`NotTextError`."""
    binary = detect_binary(data)
    if binary:
        raise NotTextError(f"this is {binary}, not a text (CSV) file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                if encoding == "utf-8":
                    return _checked(_decode_by_line(data[len(bom) :], had_bom=True))
                raise NotTextError(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start + len(bom)})"
                ) from None
            return _checked(DecodedText(text, encoding, True))
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return _checked(DecodedText(data.decode(utf16), utf16, False))
        except UnicodeDecodeError:
            pass
    try:
        return _checked(DecodedText(data.decode("utf-8"), "utf-8", False))
    except UnicodeDecodeError:
        pass
    return _checked(_decode_by_line(data, had_bom=False))


def _decode_by_line(data: bytes, *, had_bom: bool) -> DecodedText:
    """Bytes that are not valid UTF-8 as a whole: UTF-8 line by line, Windows-1252 elsewhere.

    One pass decodes everything as UTF-8 with the invalid bytes kept as lone surrogates. When
    no line holds a valid non-ASCII UTF-8 character the file is plain Windows-1252 (decoded in
    one go); otherwise only the lines holding a surrogate are re-read as Windows-1252, so a
    valid UTF-8 value is never turned into mojibake. cp1252 leaves five bytes undefined; they
    become U+FFFD and count as garbage.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    if not _UTF8_NON_ASCII_RE.search(text):
        return DecodedText(data.decode("cp1252", errors="replace"), "windows-1252", had_bom)
    newline = "\n" if "\n" in text else "\r"
    parts: list[str] = []
    listed: list[int] = []
    count = 0
    done = 0  # text[:done] is in parts
    line_number = 0  # 0-based index of the line that starts at ``done``
    for match in _SURROGATES_RE.finditer(text):
        position = match.start()
        if position < done:
            continue  # another bad stretch of a line already re-read
        start = max(text.rfind("\n", done, position), text.rfind("\r", done, position)) + 1
        start = max(start, done)
        end = _line_end(text, match.end())
        line_number += text.count(newline, done, start)
        parts.append(text[done:start])
        line = text[start:end].encode("utf-8", errors="surrogateescape")
        parts.append(line.decode("cp1252", errors="replace"))
        if len(listed) < FALLBACK_LINES_LISTED:
            listed.append(line_number)
        count += 1
        done = end
    parts.append(text[done:])
    return DecodedText("".join(parts), MIXED_ENCODING, had_bom, tuple(listed), count)


def _line_end(text: str, position: int) -> int:
    """Offset of the line break ending the line at ``position`` (or the end of ``text``)."""
    ends = [e for e in (text.find("\n", position), text.find("\r", position)) if e >= 0]
    return min(ends) if ends else len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _checked(decoded: DecodedText) -> DecodedText:
    text = decoded.text
    if "\x00" in text:
        raise NotTextError(
            f"decodes as {decoded.encoding} to text with NUL characters (binary data?)"
        )
    sample = text[: SAMPLE_CHARS * 4]
    bad = len(_GARBAGE_RE.findall(sample))
    if bad > max(MAX_GARBAGE_SHARE * len(sample), _GARBAGE_ALLOWANCE):
        raise NotTextError(
            f"does not look like text: {bad} control or undecodable characters when read as "
            f"{decoded.encoding} (save it from Excel as CSV UTF-8)"
        )
    return decoded


def strip_sep_line(text: str) -> tuple[str, str | None]:
    """Remove Excel's ``sep=;`` hint line; return the rest and the delimiter it names."""
    match = _SEP_LINE_RE.match(text)
    if not match:
        return text, None
    return text[match.end() :], match.group(1)


def _lines(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


@dataclass
class SampleRecords:
    """The first records of a text under one delimiter.

    ``records[i]`` is the list of fields of record ``i`` and ``ends[i]`` the character offset
    just after it, so the body after any record can be handed to a fast parser.
    """

    delimiter: str
    records: list[list[str]]
    ends: list[int]


def sample_records(text: str, delimiter: str, limit: int) -> SampleRecords:
    """Parse up to ``limit`` records from the start of ``text`` (quotes and newlines honoured)."""
    consumed = 0

    def counting(lines: Iterator[str]) -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += len(line)
            yield line

    records: list[list[str]] = []
    ends: list[int] = []
    reader = csv.reader(counting(_lines(text[:SAMPLE_CHARS])), delimiter=delimiter, strict=False)
    try:
        for record in reader:
            records.append(record)
            ends.append(consumed)
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a broken sample under this delimiter simply scores low
    return SampleRecords(delimiter, records, ends)


def normalise_newlines(text: str) -> str:
    """Turn old Mac ``\\r``-only line ends into ``\\n`` (CRLF and LF are left alone)."""
    head = text[:SAMPLE_CHARS]
    if "\r" in head and "\n" not in head:
        return text.replace("\r", "\n")
    return text
