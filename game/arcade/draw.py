"""Drawing into numpy RGB canvases: the home-made games' whole graphics library.

Every function draws in place into an ``(H, W, 3)`` uint8 array and clips at the
edges, so a game can draw a sprite half off-screen without checking bounds.
"""

from __future__ import annotations

import numpy as np

Color = tuple[int, int, int]

# A 3x5 pixel font: one string of 15 bits per glyph, read row by row.
_GLYPHS: dict[str, str] = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001010010010",
    "8": "111101111101111",
    "9": "111101111001111",
    "A": "010101111101101",
    "B": "110101110101110",
    "C": "011100100100011",
    "D": "110101101101110",
    "E": "111100110100111",
    "F": "111100110100100",
    "G": "011100101101011",
    "H": "101101111101101",
    "I": "111010010010111",
    "J": "001001001101010",
    "K": "101101110101101",
    "L": "100100100100111",
    "M": "101111111101101",
    "N": "110101101101101",
    "O": "010101101101010",
    "P": "110101110100100",
    "Q": "010101101110011",
    "R": "110101110101101",
    "S": "011100010001110",
    "T": "111010010010010",
    "U": "101101101101111",
    "V": "101101101101010",
    "W": "101101111111101",
    "X": "101101010101101",
    "Y": "101101010010010",
    "Z": "111001010100111",
    " ": "000000000000000",
    "-": "000000111000000",
    ":": "000010000010000",
    ".": "000000000000010",
    "!": "010010010000010",
    "+": "000010111010000",
    "/": "001001010100100",
    "?": "111001010000010",
}
GLYPH_W, GLYPH_H = 3, 5  # pixels per glyph, before scaling


def fill_rect(canvas: np.ndarray, x: int, y: int, w: int, h: int, color: Color) -> None:
    """Fill the axis-aligned rectangle with top-left corner (x, y), clipped to the canvas."""
    height, width = canvas.shape[:2]
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(width, int(x + w)), min(height, int(y + h))
    if x0 < x1 and y0 < y1:
        canvas[y0:y1, x0:x1] = color


def fill_circle(canvas: np.ndarray, cx: float, cy: float, r: float, color: Color) -> None:
    """Fill a disc of radius ``r`` pixels centred on (cx, cy)."""
    height, width = canvas.shape[:2]
    x0, x1 = max(0, int(cx - r)), min(width, int(cx + r) + 1)
    y0, y1 = max(0, int(cy - r)), min(height, int(cy + r) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    ys, xs = np.ogrid[y0:y1, x0:x1]
    inside = (xs + 0.5 - cx) ** 2 + (ys + 0.5 - cy) ** 2 <= r * r
    canvas[y0:y1, x0:x1][inside] = color


def vertical_gradient(canvas: np.ndarray, top: Color, bottom: Color) -> None:
    """Paint the whole canvas with a top-to-bottom colour gradient."""
    height = canvas.shape[0]
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    rows = (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)
    canvas[:] = rows.astype(np.uint8)[:, None, :]


def text_width(text: str, scale: int = 1) -> int:
    """Width in pixels of ``text`` drawn by :func:`draw_text` at ``scale``."""
    return max(0, len(text) * (GLYPH_W + 1) - 1) * scale


def draw_text(canvas: np.ndarray, text: str, x: int, y: int, color: Color, scale: int = 1) -> None:
    """Draw ``text`` (digits, A-Z and a little punctuation) with its top-left at (x, y).

    Lower-case letters are drawn as capitals; unknown characters as '?'.
    """
    for i, char in enumerate(text.upper()):
        bits = _GLYPHS.get(char, _GLYPHS["?"])
        gx = x + i * (GLYPH_W + 1) * scale
        for row in range(GLYPH_H):
            for col in range(GLYPH_W):
                if bits[row * GLYPH_W + col] == "1":
                    fill_rect(canvas, gx + col * scale, y + row * scale, scale, scale, color)


def draw_text_centered(canvas: np.ndarray, text: str, cx: int, y: int, color: Color, scale: int = 1) -> None:
    """Draw ``text`` horizontally centred on ``cx``."""
    draw_text(canvas, text, cx - text_width(text, scale) // 2, y, color, scale)
