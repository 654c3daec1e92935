"""Make a workbook safe to open: every text cell is stored as text, never as a formula.

openpyxl (and so ``DataFrame.to_excel``) stores any text starting with ``=`` as a formula, so a
country name, source title or scenario assumption such as ``=HYPERLINK("http://…")`` or
``=cmd|' /C calc'!A0`` would run when the brief is opened. reeplan's brief holds data only and
writes no formula on purpose, so :func:`cells_as_text` turns every formula cell back into the
text it came from. The text is kept exactly (no ``'`` prefix); Excel shows it as text.

Call it on the open workbook just before it is saved (``cells_as_text(writer.book)``), whatever
builds the sheets.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cells_as_text"]


def cells_as_text(book: Any) -> int:
    """Store every formula cell of an openpyxl workbook as a text cell; return how many.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> wb = Workbook()
    >>> wb.active["A1"] = '=HYPERLINK("http://example.com")'
    >>> wb.active["A1"].data_type
    'f'
    >>> cells_as_text(wb), wb.active["A1"].data_type, wb.active["A1"].value
    (1, 's', '=HYPERLINK("http://example.com")')
    """
    changed = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed
