"""Charts of the report's Summary sheet (openpyxl.chart), built on live formula cells.

The charts point at the Summary's COUNTIFS cells, so they redraw when a user edits the
Findings sheet.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties

# Chart colours per severity (darker than the cell fills so bars read on white).
SEVERITY_CHART_COLOURS = {"error": "C00000", "warning": "ED7D31", "info": "5B9BD5"}


def _colour_series(series, colour: str) -> None:
    series.graphicalProperties = GraphicalProperties(solidFill=colour)
    series.graphicalProperties.line.solidFill = colour


def findings_by_family_bar(
    ws,
    first_row: int,
    last_row: int,
    label_column: int,
    first_value_column: int,
    severities: list[str],
) -> BarChart:
    """Stacked horizontal bars: findings per rule family, one series per severity.

    ``ws`` rows ``first_row - 1`` (header) to ``last_row`` hold the family names in
    ``label_column`` and one column of counts per severity from ``first_value_column``.
    """
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Findings by rule family"
    chart.y_axis.title = "Findings"
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # first family at the top, as in the table
    chart.x_axis.tickLblSkip = 1
    chart.legend.position = "b"
    chart.height = 11
    chart.width = 16
    for offset, severity in enumerate(severities):
        column = first_value_column + offset
        data = Reference(ws, min_col=column, min_row=first_row - 1, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
        _colour_series(chart.series[-1], SEVERITY_CHART_COLOURS.get(severity, "808080"))
    categories = Reference(ws, min_col=label_column, min_row=first_row, max_row=last_row)
    chart.set_categories(categories)
    return chart


def findings_by_severity_pie(
    ws, first_row: int, last_row: int, label_column: int, value_column: int, severities: list[str]
) -> PieChart:
    """A pie of findings by severity (rows ``first_row``..``last_row``)."""
    chart = PieChart()
    chart.title = "Findings by severity"
    data = Reference(ws, min_col=value_column, min_row=first_row, max_row=last_row)
    labels = Reference(ws, min_col=label_column, min_row=first_row, max_row=last_row)
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(labels)
    series = chart.series[0]
    series.tx = SeriesLabel(v="Findings")
    for index, severity in enumerate(severities):
        point = DataPoint(idx=index)
        point.graphicalProperties = GraphicalProperties(
            solidFill=SEVERITY_CHART_COLOURS.get(severity, "808080")
        )
        series.dPt.append(point)
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.showPercent = False
    chart.dataLabels.showCatName = False
    chart.dataLabels.showSerName = False
    chart.dataLabels.showLegendKey = False
    chart.dataLabels.position = "outEnd"
    chart.legend.position = "r"
    chart.height = 7.5
    chart.width = 12
    return chart

