"""Write a file atomically: a temporary file in the same folder, then ``os.replace``.

A crash or an error half-way leaves the previous file (or nothing) in place, never a torn
workbook, and a reader never sees a partly written file. The writer itself lives in
:mod:`addin.outputs` (one path for every file cpt-addin writes); this name is kept for the
workbook modules.
"""

from __future__ import annotations

from addin.outputs import atomic_write as atomic_path
from addin.outputs import check_output

__all__ = ["atomic_path", "check_output"]
