"""docs/images: one small PNG per workbook, rebuilt by tools/render_screenshots.py.

The renderer's formula handling (finding the add-in's calls, qualifying references, literals)
is tested here without LibreOffice; the PNGs themselves are checked for presence, size and a
reference from the docs.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
IMAGES = PROJECT / "docs" / "images"
MAX_BYTES = 150 * 1024


def _renderer():
    spec = importlib.util.spec_from_file_location("render_screenshots", PROJECT / "tools" / "render_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


render = _renderer()


@pytest.mark.parametrize("shot", render.SHOTS, ids=lambda s: s.name)
def test_each_screenshot_is_a_small_png_the_docs_show(shot):
    path = IMAGES / f"{shot.name}.png"
    assert path.exists(), f"{path} missing: run python tools/render_screenshots.py"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < MAX_BYTES
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 600 and height >= 100  # readable, not a thumbnail
    docs = " ".join(p.read_text(encoding="utf-8") for p in [PROJECT / "README.md", *PROJECT.glob("docs/*.md")])
    assert f"images/{shot.name}.png" in docs


def test_calls_finds_innermost_add_in_calls():
    names = {"CPT_DESC": None, "CPT_CONFLICTS": None, "SUGGEST_MODIFIERS": None}
    text = '=IF($E4="","",SUGGEST_MODIFIERS($E4,INDEX($E:$E,CX4),$D4,""))'
    ((start, end, args),) = render.calls(text, names)
    assert text[start:end] == 'SUGGEST_MODIFIERS($E4,INDEX($E:$E,CX4),$D4,"")'
    assert args == ["$E4", "INDEX($E:$E,CX4)", "$D4", '""']
    nested = "=CPT_DESC(CPT_CONFLICTS(A1,B1))"
    assert [text for _, _, text in render.calls(nested, names)] == [["A1", "B1"]]
    assert render.calls("=CPT_DATA_VERSION()", {"CPT_DATA_VERSION": None})[0][2] == []


def test_qualify_and_literal():
    assert render.qualify("INDEX('Claim lines'!$E:$E,B5)", "Line pairs") == (
        "INDEX('Claim lines'!$E:$E,'Line pairs'!B5)"
    )
    assert render.literal('say "hi"') == '"say ""hi"""'
    assert render.literal(None) == '""' and render.literal(True) == "TRUE" and render.literal(3) == "3"


def test_references_and_taint():
    refs = render.references("=INDEX('Claim lines'!$E:$E,B5)+C7", "Line pairs")
    assert ("Claim lines", 5, 1, 5, 1048576) in refs and ("Line pairs", 2, 5, 2, 5) in refs
    tainted = {("Line pairs", 52): {5}}
    assert render.touches(tainted, ("Line pairs", 52, 1, 101, 5))
    assert not render.touches(tainted, ("Claim lines", 52, 1, 101, 5))
