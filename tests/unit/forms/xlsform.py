"""Build small XLSForm workbooks for tests, row by row, as a form designer would type them."""
from __future__ import annotations

from pathlib import Path

import openpyxl


def write_xlsform(path: Path, survey: list[list], choices: list[list] | None = None, settings: list[list] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in survey:
        ws.append(row)
    if choices:
        c = wb.create_sheet("choices")
        for row in choices:
            c.append(row)
    if settings:
        s = wb.create_sheet("settings")
        for row in settings:
            s.append(row)
    wb.save(path)
    return path
