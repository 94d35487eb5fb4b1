"""Draw the app icon: resources/icons/fieldbook.png (256 px) and fieldbook.ico (16-256 px).

Plain Python (zlib and struct), so it runs anywhere without an imaging library:
``python packaging/make_icon.py``. The output is deterministic; commit both files.
A notebook page with three lines and a check mark on a rounded blue square.
"""
from __future__ import annotations

import struct
import sys
import tomllib
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Colour = tuple[int, int, int]
BLUE: Colour = (0x1F, 0x5F, 0x99)   # the app's navigation colour
WHITE: Colour = (0xFF, 0xFF, 0xFF)
GREY: Colour = (0x9F, 0xB3, 0xC8)
GREEN: Colour = (0x2E, 0x9E, 0x5B)
SUPERSAMPLE = 4  # samples per pixel side: smooth edges without an imaging library


def _in_rounded_rect(x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _near_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float], half_width: float) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= half_width * half_width


def _colour_at(x: float, y: float) -> Colour | None:
    """The colour of the icon at (x, y) in unit coordinates, or None where it is transparent."""
    colour: Colour | None = None
    if _in_rounded_rect(x, y, 0.03, 0.03, 0.97, 0.97, 0.18):
        colour = BLUE
        if _in_rounded_rect(x, y, 0.25, 0.16, 0.75, 0.86, 0.04):
            colour = WHITE
            for line_y in (0.30, 0.41, 0.52):
                if _in_rounded_rect(x, y, 0.33, line_y - 0.022, 0.67, line_y + 0.022, 0.02):
                    colour = GREY
        if _near_segment(x, y, (0.37, 0.67), (0.47, 0.77), 0.045) or \
                _near_segment(x, y, (0.47, 0.77), (0.69, 0.55), 0.045):
            colour = GREEN
    return colour


def render(size: int) -> bytes:
    """RGBA rows, top to bottom, each prefixed with PNG filter byte 0."""
    out = bytearray()
    n = SUPERSAMPLE
    for row in range(size):
        out.append(0)
        for col in range(size):
            r = g = b = a = 0
            for sy in range(n):
                for sx in range(n):
                    c = _colour_at((col + (sx + 0.5) / n) / size, (row + (sy + 0.5) / n) / size)
                    if c is not None:
                        r, g, b, a = r + c[0], g + c[1], b + c[2], a + 1
            if a:
                out += bytes((r // a, g // a, b // a, a * 255 // (n * n)))
            else:
                out += b"\0\0\0\0"
    return bytes(out)


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(render(size), 9)) \
        + chunk(b"IEND", b"")


def ico(images: dict[int, bytes]) -> bytes:
    """An .ico whose entries are PNGs (read by Windows Vista and later)."""
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    body = b""
    for size, data in sorted(images.items()):
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return out + body


def main() -> int:
    # The icon's name is set in pyproject.toml ([tool.fieldbook] icon), like the app's name and version.
    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["fieldbook"]["icon"]
    dest = ROOT / "resources" / "icons"
    dest.mkdir(parents=True, exist_ok=True)
    images = {size: png(size) for size in (16, 32, 48, 256)}
    (dest / f"{name}.png").write_bytes(images[256])
    (dest / f"{name}.ico").write_bytes(ico(images))
    print(dest / f"{name}.png")
    print(dest / f"{name}.ico")
    return 0


if __name__ == "__main__":
    sys.exit(main())
