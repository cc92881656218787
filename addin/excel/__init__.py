"""Everything the Excel door needs besides the functions themselves.

- :mod:`addin.excel.cells`: what Excel sends (floats for codes, ``None`` for empty cells,
  ranges where one value is expected, date serials) turned into canonical values, and any
  failure turned into a one-line message for the cell.
- :mod:`addin.excel.answers`: the cached answers the functions in :mod:`addin.udfs` format.
- :mod:`addin.excel.install`: writing the xlwings configuration that registers ``addin.udfs``.
"""
