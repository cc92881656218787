"""Reading delimited text claims: encodings and delimiters Excel writes, messy layouts."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from addin.claims import LINE_COLUMNS, read_claims
from addin.errors import InputFileError


def write_text(
    path: Path, rows: list[list[str]], *, delimiter=",", encoding="utf-8", bom=b""
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(bom + buffer.getvalue().encode(encoding))
    return path


HEADER = ["Claim ID", "Patient ID", "Date of Service", "CPT", "Modifiers", "Units", "DX", "POS"]
ROW = ["C1", "P1", "01/05/2026", "99213", "25", "1", "E11.9", "11"]


def rows_of(result) -> tuple[list[int], list[int]]:
    return result.lines["row"].tolist(), result.rejected["row"].tolist()


def test_plain_comma_csv_reads_every_field(tmp_path):
    path = write_text(
        tmp_path / "claims.csv",
        [HEADER, ROW, ["C1", "P1", "2026-01-05", "47383", "59,XS", "2", "K83.1; I10", "2"]],
    )
    result = read_claims(path)
    result.verify()
    lines = result.lines
    assert list(lines.columns) == LINE_COLUMNS
    assert lines["row"].tolist() == [2, 3]
    assert lines["cpt"].tolist() == ["99213", "47383"]
    assert lines["modifiers"].tolist() == ["25", "59,XS"]
    assert lines["mod1"].tolist() == ["25", "59"] and lines["mod2"].tolist() == ["", "XS"]
    assert lines["units"].tolist() == [1, 2] and str(lines["units"].dtype) == "int64"
    assert lines["dx"].tolist() == ["E11.9", "K83.1,I10"]
    assert lines["pos"].tolist() == ["11", "02"]
    assert (lines["dos"] == pd.Timestamp("2026-01-05")).all()
    assert str(lines["dos"].dtype) == "datetime64[ns]"
    assert result.meta["delimiter"] == "," and result.meta["encoding"] == "utf-8"
    assert result.meta["header_row"] == 1 and result.meta["sheet"] is None
    assert len(result.meta["sha256"]) == 64


def test_semicolon_windows_1252_with_accented_name(tmp_path):
    header = HEADER + ["Nom du patient"]
    path = write_text(
        tmp_path / "export.csv",
        [header, ROW + ["José Müller"], ROW[:3] + ["100"] + ROW[4:] + ["Zoë"]],
        delimiter=";",
        encoding="cp1252",
    )
    result = read_claims(path)
    result.verify()
    assert result.meta["encoding"] == "windows-1252" and result.meta["delimiter"] == ";"
    assert result.lines["Nom du patient"].tolist() == ["José Müller", "Zoë"]
    assert result.lines["cpt"].tolist() == ["99213", "00100"]
    assert any("windows-1252" in n for n in result.meta["notes"])


def test_utf16_tab_text_as_excel_unicode_text(tmp_path):
    path = write_text(
        tmp_path / "unicode.txt",
        [HEADER, ROW, ROW],
        delimiter="\t",
        encoding="utf-16-le",
        bom=codecs.BOM_UTF16_LE,
    )
    result = read_claims(path)
    result.verify()
    assert result.meta["encoding"] == "utf-16-le" and result.meta["delimiter"] == "\t"
    assert result.lines["row"].tolist() == [2, 3]
    assert result.lines["claim_id"].tolist() == ["C1", "C1"]


def test_utf16_big_endian_tsv(tmp_path):
    path = write_text(
        tmp_path / "be.tsv",
        [HEADER, ROW],
        delimiter="\t",
        encoding="utf-16-be",
        bom=codecs.BOM_UTF16_BE,
    )
    result = read_claims(path)
    assert result.meta["encoding"] == "utf-16-be"
    assert result.lines["cpt"].tolist() == ["99213"]


def test_utf8_bom_does_not_leak_into_first_header(tmp_path):
    path = write_text(
        tmp_path / "bom.csv", [["CPT", "DOS"], ["99213", "1/5/2026"]], bom=codecs.BOM_UTF8
    )
    result = read_claims(path)
    assert result.meta["encoding"] == "utf-8-sig"
    assert result.meta["column_mapping"]["cpt"] == "CPT"
    assert list(result.raw.columns) == ["row", "CPT", "DOS"]


def test_pipe_delimiter(tmp_path):
    path = write_text(tmp_path / "pipe.txt", [HEADER, ROW], delimiter="|")
    result = read_claims(path)
    assert result.meta["delimiter"] == "|"
    assert result.lines["cpt"].tolist() == ["99213"]


def test_comma_file_whose_cells_hold_semicolons(tmp_path):
    path = write_text(
        tmp_path / "c.csv", [HEADER, ["C1", "P1", "1/5/2026", "99213", "59;XS", "1", "A;B", "11"]]
    )
    result = read_claims(path)
    assert result.meta["delimiter"] == ","
    assert result.lines["modifiers"].tolist() == ["59,XS"]


def test_title_rows_blank_rows_and_row_numbers_as_excel_shows_them(tmp_path):
    text = (
        "Claims export,,,,,,,\r\n"
        "Generated 2026-02-01,,,,,,,\r\n"
        ",,,,,,,\r\n" + ",".join(HEADER) + "\r\n" + ",".join(ROW) + "\r\n"
        ",,,,,,,\r\n"
        "\r\n"
        '"C2","P2","1/6/2026","99214","","","I10","11"\r\n'
        '"C3","P3","1/6/2026","99215","","1","I10","11"\r\n'
    )
    path = tmp_path / "titled.csv"
    path.write_text(text, encoding="utf-8", newline="")
    result = read_claims(path)
    result.verify()
    assert result.meta["header_row"] == 4
    assert result.lines["row"].tolist() == [5, 8, 9]
    assert result.meta["blank_rows"] == 2
    assert result.meta["rows_read"] == 3


def test_quoted_newline_counts_as_one_row(tmp_path):
    text = 'CPT,Note,DOS\n99213,"two\nlines",1/5/2026\n99214,x,1/5/2026\n'
    path = tmp_path / "nl.csv"
    path.write_text(text, newline="")
    result = read_claims(path)
    assert result.lines["row"].tolist() == [2, 3]
    assert result.lines["Note"].tolist() == ["two\nlines", "x"]


def test_ragged_rows_are_padded_and_extra_values_kept(tmp_path):
    text = "CPT,DOS,Units\n99213,1/5/2026\n99214,1/5/2026,1,surplus\n\n99215,1/5/2026,2\n"
    path = tmp_path / "ragged.csv"
    path.write_text(text, newline="")
    result = read_claims(path)
    result.verify()
    assert result.lines["row"].tolist() == [2, 3, 5]
    assert result.lines["units"].tolist() == [1, 1, 2]
    assert result.lines["Column D"].tolist() == ["", "surplus", ""]
    assert result.meta["blank_rows"] == 1


def test_excel_sep_hint_line_is_not_a_row(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\r\nCPT;DOS\r\n99213;1/5/2026\r\n", newline="")
    result = read_claims(path)
    assert result.meta["delimiter"] == ";"
    assert result.meta["header_row"] == 1 and result.lines["row"].tolist() == [2]


def test_text_is_never_type_guessed(tmp_path):
    path = write_text(
        tmp_path / "t.csv",
        [["CPT", "DOS", "Claim ID", "NPI"], ["00100", "1/5/2026", "007", "0123"]],
    )
    result = read_claims(path)
    assert result.lines["cpt"].tolist() == ["00100"]
    assert result.lines["claim_id"].tolist() == ["007"]
    assert result.raw["Claim ID"].tolist() == ["007"]


def test_formula_looking_text_stays_literal(tmp_path):
    rows = [
        ["CPT", "DOS", "Units", "Link", "Comment"],
        ["99213", "1/5/2026", "+1", '=HYPERLINK("http://example.test","open")', "@SUM(A1)"],
        ["@SUM(A1)", "1/5/2026", "", "-2", "=1+1"],
    ]
    result = read_claims(write_text(tmp_path / "f.csv", rows))
    result.verify()
    lines = result.lines
    assert lines["Link"].tolist() == ['=HYPERLINK("http://example.test","open")', "-2"]
    assert lines["Comment"].tolist() == ["@SUM(A1)", "=1+1"]
    assert lines["units"].tolist() == [1, 1]
    assert lines["cpt"].tolist() == ["99213", "@SUM(A1)"]  # kept as typed; the rules judge it
    assert result.raw["Units"].tolist() == ["+1", ""]


def test_garbage_bytes_are_refused_clearly(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 50)
    with pytest.raises(InputFileError, match="garbage.csv.*(not look like text|NUL)"):
        read_claims(path)


def test_workbook_saved_with_csv_name_is_named(tmp_path):
    path = tmp_path / "really.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputFileError, match="xlsx workbook"):
        read_claims(path)


def test_no_code_column_lists_headers_found(tmp_path):
    path = write_text(
        tmp_path / "nocode.csv", [["Claim ID", "Patient", "Amount"], ["C1", "P1", "10"]]
    )
    with pytest.raises(InputFileError) as info:
        read_claims(path)
    message = str(info.value)
    assert "code column" in message and '"Claim ID"' in message and '"Amount"' in message
    assert info.value.file.endswith("nocode.csv")


def test_header_only_file_reads_zero_rows(tmp_path):
    result = read_claims(write_text(tmp_path / "empty.csv", [HEADER]))
    result.verify()
    assert result.meta["rows_read"] == 0 and len(result.lines) == 0
    assert list(result.lines.columns) == LINE_COLUMNS


def test_old_mac_line_endings(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"CPT,DOS\r99213,1/5/2026\r99214,1/6/2026\r")
    result = read_claims(path)
    assert result.lines["row"].tolist() == [2, 3]


# -- mixed encodings: line by line ------------------------------------------------------

MIXED_HEADER = b"Claim ID,Patient ID,NPI,Date of Service,CPT,Units\r\n"


def _mixed_file(path: Path, lines: list[tuple[str, str]], prefix: bytes = b"") -> Path:
    """Each line ``(text, encoding)``: the file mixes UTF-8 and Windows-1252 lines."""
    path.write_bytes(prefix + MIXED_HEADER + b"".join(t.encode(e) + b"\r\n" for t, e in lines))
    return path


def test_mixed_utf8_and_windows_1252_lines_decode_line_by_line(tmp_path):
    path = _mixed_file(
        tmp_path / "mixed.csv",
        [
            ("C1,José Núñez,1234567890,2024-05-01,43497,1", "utf-8"),
            ("C1,José Núñez,1234567890,2024-05-01,43235,1", "cp1252"),
            ("C2,Zoë Œuvre,1234567890,2024-05-01,99213,1", "utf-8"),
            ("C3,Müller,1234567890,2024-05-01,99213,1", "cp1252"),
        ],
    )
    result = read_claims(path)
    result.verify()
    patients = result.lines["patient_id"].tolist()
    assert patients == ["José Núñez", "José Núñez", "Zoë Œuvre", "Müller"]
    assert result.meta["encoding"] == "utf-8+windows-1252"
    note = next(n for n in result.meta["notes"] if "Windows-1252" in n)
    assert "2 rows" in note and "rows 3, 5" in note


def test_mixed_encoding_does_not_split_a_patient_and_miss_a_ptp_pair(tmp_path):
    from addin.checker import check

    path = _mixed_file(
        tmp_path / "mixed.csv",
        [
            ("C1,José Núñez,1234567890,2024-05-01,43497,1", "utf-8"),
            ("C1,José Núñez,1234567890,2024-05-01,43235,1", "cp1252"),
        ],
    )
    result = check(path)
    assert "PTP001" in set(result.findings["rule_id"])
    assert result.exit_code == 1


def test_mixed_encoding_with_utf8_bom_and_sep_line(tmp_path):
    path = _mixed_file(
        tmp_path / "bom.csv",
        [
            ("C1,Zoë,1234567890,2024-05-01,99213,1", "utf-8"),
            ("C2,Müller,1234567890,2024-05-01,99213,1", "cp1252"),
        ],
        prefix=codecs.BOM_UTF8 + b"sep=,\r\n",
    )
    result = read_claims(path)
    assert result.lines["patient_id"].tolist() == ["Zoë", "Müller"]
    assert result.lines["row"].tolist() == [2, 3]
    assert any("1 row not valid UTF-8" in n and "row 3)" in n for n in result.meta["notes"])


def test_mixed_encoding_note_lists_the_first_rows_and_counts_all(tmp_path):
    lines = [("C0,Zoë,1,2024-05-01,99213,1", "utf-8")] + [
        (f"C{i},Müller,1,2024-05-01,99213,1", "cp1252") for i in range(1, 31)
    ]
    result = read_claims(_mixed_file(tmp_path / "many.csv", lines))
    assert result.lines["patient_id"].tolist() == ["Zoë"] + ["Müller"] * 30
    note = next(n for n in result.meta["notes"] if "Windows-1252" in n)
    assert note.startswith("30 rows") and "rows 3, 4," in note and "and 10 more" in note


def test_plain_windows_1252_file_is_not_listed_line_by_line(tmp_path):
    lines = [(f"C{i},Müller,1,2024-05-01,99213,1", "cp1252") for i in range(5)]
    result = read_claims(_mixed_file(tmp_path / "ansi.csv", lines))
    assert result.meta["encoding"] == "windows-1252"
    assert result.lines["patient_id"].tolist() == ["Müller"] * 5
    assert "read as windows-1252 text" in result.meta["notes"]


# -- hostile shapes: absurd widths, huge cells (generated here, never committed) ---------

CLAIM_HEAD = "CPT,Date of Service"


def test_header_wider_than_excel_is_refused_up_front(tmp_path):
    path = tmp_path / "wide.csv"
    extra = ",".join(f"h{i}" for i in range(30_000))
    path.write_text(f"{CLAIM_HEAD},{extra}\n99213,2024-05-01\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_claims(path)
    assert info.value.line == 1 and "30,002 columns" in info.value.reason
    assert "16,384" in info.value.reason


def test_row_of_a_million_cells_is_refused_with_its_row(tmp_path):
    path = tmp_path / "million.csv"
    path.write_text(
        f"{CLAIM_HEAD}\n99213,2024-05-01\n99213,2024-05-01," + ",".join(["x"] * 1_000_000) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as info:
        read_claims(path)
    assert info.value.line == 3 and "16,384" in info.value.reason
    assert "at least" in info.value.reason  # the sample stops inside that row


def test_too_wide_row_after_the_sample_is_refused_with_its_row(tmp_path):
    body = "99213,2024-05-01\n" * 20_000  # 340 KB: the wide row is past the sniffed sample
    path = tmp_path / "late.csv"
    path.write_text(
        f"{CLAIM_HEAD}\n{body}99213,2024-05-01," + ",".join(["x"] * 20_000) + "\n" + body,
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as info:
        read_claims(path)
    assert info.value.line == 20_002 and "20,002 columns" in info.value.reason


def test_one_wide_ragged_row_may_not_blow_up_a_small_file(tmp_path):
    """16,000 values on one row of a 60 KB file would pad 1,000 rows to 16,000 columns."""
    body = "99213,2024-05-01\n" * 1_000
    path = tmp_path / "ragged.csv"
    path.write_text(
        f"{CLAIM_HEAD}\n{body}99213,2024-05-01," + ",".join(["x"] * 16_000) + "\n", "utf-8"
    )
    with pytest.raises(InputFileError) as info:
        read_claims(path)
    assert info.value.line == 1_002


def test_ragged_rows_are_still_padded(tmp_path):
    body = "99213,2024-05-01\n" * 20_000
    path = tmp_path / "ragged.csv"
    path.write_text(f"{CLAIM_HEAD}\n{body}99214,2024-05-01,x,y\n", encoding="utf-8")
    result = read_claims(path)
    result.verify()
    assert result.meta["rows_read"] == 20_001
    assert result.lines.iloc[-1][["Column C", "Column D"]].tolist() == ["x", "y"]


def test_grid_wider_than_excel_is_refused():
    with pytest.raises(InputFileError) as info:
        read_claims([["CPT", "DOS"] + [f"h{i}" for i in range(16_383)], ["99213", "2024-05-01"]])
    assert info.value.line == 1 and "16,385 columns" in info.value.reason


@pytest.mark.parametrize("megabytes", [8, 20])
@pytest.mark.parametrize("quoted", [False, True])
def test_huge_cell_is_read_whole(tmp_path, megabytes, quoted):
    """A cell longer than pyarrow's block used to fail with "straddling object"."""
    rows = "".join(f"99213,2024-05-01,n{i}\n" for i in range(500))
    big = "a" * (megabytes << 20)
    cell = f'"{big}"' if quoted else big
    path = tmp_path / "big.csv"
    path.write_text(f"{CLAIM_HEAD},Notes\n{rows}99214,2024-05-01,{cell}\n{rows}", "utf-8")
    result = read_claims(path)
    result.verify()
    assert result.meta["rows_read"] == 1_001
    line = result.lines.iloc[500]
    assert line["cpt"] == "99214" and len(line["Notes"]) == len(big)
    assert result.lines.iloc[-1]["Notes"] == "n499"
