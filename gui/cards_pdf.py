"""Household cards on A4 sheets, as a PDF, drawn with Qt's QPdfWriter.

Why Qt and not a PDF library: the app already ships Qt, which draws text in any script
with the system's fonts (Cyrillic on the cards needs a Unicode font embedded; Qt
embeds a subset), and the packaged build leaves out the image library that the small
pure-Python PDF writers depend on. QPdfWriter writes into a QBuffer: the PDF is built
in memory and reaches the disk once, as the owner-only file asked for, never as a
temporary file (the caller writes it; see ``write_owner_only``).

Ten cards a sheet (two columns of five), each the size of a bank card (85.6 x 54 mm)
with a thin cut line: the QR code (the card code only, drawn as vector squares so it
stays sharp at any printer resolution), the code in large letters for typing, the
round's name, and the fields the team chose.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

CARD_W, CARD_H = 85.6, 54.0  # mm: ID-1, the size of a bank card
COLUMNS, ROWS = 2, 5
GAP = 4.0  # mm between cards
DPI = 600
QUIET = 4  # modules of white around the QR code, as the standard asks


def _mm(v: float) -> float:
    return v / 25.4 * DPI


def render(cards: list[tuple[str, list[str]]], *, title: str, qr,
           progress: Callable[[int, int], None] | None = None) -> bytes:
    """The PDF of ``cards`` (code, lines under it), ``title`` on each card; ``qr(code)``
    gives the QR modules. Needs a QGuiApplication; may run on a worker thread (a PDF
    writer is not a widget). ``progress(done, total)`` is called after each card."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter))
    writer.setTitle(title)
    writer.setCreator("Fieldbook")
    painter = QPainter(writer)
    try:
        left = (210.0 - COLUMNS * CARD_W - (COLUMNS - 1) * GAP) / 2
        top = (297.0 - ROWS * CARD_H - (ROWS - 1) * GAP) / 2
        per_page = COLUMNS * ROWS
        for n, (code, lines) in enumerate(cards):
            if n and n % per_page == 0:
                writer.newPage()
            k = n % per_page
            x = left + (k % COLUMNS) * (CARD_W + GAP)
            y = top + (k // COLUMNS) * (CARD_H + GAP)
            _card(painter, x, y, code, lines, title, qr(code))
            if progress is not None:
                progress(n + 1, len(cards))
    finally:
        painter.end()
        buffer.close()
    return bytes(data)


def _font(size_pt: float, *, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    if mono:
        font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(size_pt)
    font.setBold(bold)
    return font


def _card(p: QPainter, x: float, y: float, code: str, lines: list[str], title: str, modules: list[list[bool]]) -> None:
    pen = QPen(QColor("#999999"))
    pen.setWidthF(_mm(0.2))
    pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(_mm(x), _mm(y), _mm(CARD_W), _mm(CARD_H)))
    # The QR code: 38 mm square with its quiet zone, on the left.
    size = 38.0
    n = len(modules)
    module = size / (n + 2 * QUIET)
    qx, qy = x + 3.0, y + (CARD_H - size) / 2
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("black"))
    for r, row in enumerate(modules):
        c = 0
        while c < n:  # one rectangle per run of dark modules: fewer shapes, no hairline gaps
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                p.drawRect(QRectF(_mm(qx + (QUIET + start) * module), _mm(qy + (QUIET + r) * module),
                                  _mm((c - start) * module), _mm(module)))
            else:
                c += 1
    # The text, on the right.
    tx, tw = x + 3.0 + size + 1.0, CARD_W - size - 7.0
    p.setPen(QColor("black"))
    p.setFont(_font(7))
    p.drawText(QRectF(_mm(tx), _mm(y + 4), _mm(tw), _mm(8)), Qt.TextFlag.TextWordWrap, title)
    p.setFont(_font(13, bold=True, mono=True))
    p.drawText(QRectF(_mm(tx), _mm(y + 14), _mm(tw), _mm(9)), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               code)
    p.setFont(_font(8))
    ly = y + 26
    for line in lines[:4]:
        p.drawText(QRectF(_mm(tx), _mm(ly), _mm(tw), _mm(5)), Qt.AlignmentFlag.AlignLeft, line)
        ly += 5.5


def write_owner_only(data: bytes, out: Path) -> None:
    """The PDF, readable by its owner only, written whole and moved into place."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
