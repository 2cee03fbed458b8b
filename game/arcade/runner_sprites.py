"""Runner's pixel art: the runner's poses and the flapping bird, as text, and how to draw them."""

from __future__ import annotations

import numpy as np

from game.arcade.draw import Color

BIRD_W = 18  # pixels

# The runner, pixel by pixel: '.' is transparent, other letters index RUNNER_PALETTE.
RUNNER_PALETTE: dict[str, Color] = {
    "H": (214, 52, 52),  # cap
    "S": (246, 196, 150),  # skin
    "E": (40, 30, 40),  # eye
    "T": (52, 120, 210),  # shirt
    "P": (50, 50, 90),  # trousers
    "K": (250, 250, 250),  # shoes
}
_HEAD = [
    ".....HHHH.....",
    "....HHHHHHH...",
    "....HHHHHHHHH.",
    "....SSSSSS....",
    "....SSSSES....",
    "....SSSSSS....",
    ".....SSSS.....",
    "......SS......",
]
RUN_A = [
    *_HEAD,
    ".....TTTTT....",
    "....TTTTTTTS..",
    "...STTTTTT.SS.",
    "..SS.TTTTT....",
    "..S..TTTTT....",
    ".....TTTTT....",
    ".....PPPPP....",
    ".....PPPPPP...",
    "....PPP..PPP..",
    "....PP....PP..",
    "...PP......PP.",
    "..PP.......PP.",
    ".KKK........KK",
    ".KK.........KK",
    "..............",
    "..............",
]
RUN_B = [
    *_HEAD,
    ".....TTTTT....",
    "....TTTTTTT...",
    "....TTTTTTT...",
    "....STTTTTS...",
    "....STTTTT.S..",
    ".....TTTTT....",
    ".....PPPPP....",
    ".....PPPPP....",
    "......PPP.....",
    "......PPP.....",
    ".....PPPP.....",
    ".....PP.PP....",
    ".....PP.PP....",
    "....PP..PP....",
    "....KKK.KKK...",
    "..............",
]
JUMPING = [
    *_HEAD,
    ".S...TTTTT..S.",
    "..S.TTTTTTTS..",
    "...STTTTTTT...",
    ".....TTTTT....",
    ".....TTTTT....",
    ".....TTTTT....",
    ".....PPPPPP...",
    "....PPPPPPPP..",
    "...PPP....PP..",
    "...PP....PP...",
    "..PP.....PP...",
    "..KKK...KKK...",
    "..............",
    "..............",
    "..............",
    "..............",
]
DUCKING = [
    "..............HHHH....",
    ".............HHHHHHH..",
    ".............HHHHHHHHH",
    "....TTTTTTTT.SSSSSS...",
    "..TTTTTTTTTTTSSSSES...",
    "..TTTTTTTTTTTSSSSSS...",
    "PPPPTTTTTTTT.SSSS.....",
    "PPPPPPPPPTTSSS........",
    "PPPPPPPPPP............",
    "..PP...PP.............",
    ".PP.....PP............",
    "KKK....KKK............",
]

# The bird, flapping: its sprite fills the bird's hitbox, BIRD_W wide and BIRD_TOP - BIRD_BOTTOM high.
BIRD_PALETTE: dict[str, Color] = {
    "B": (214, 84, 96),  # body
    "W": (156, 46, 72),  # wing
    "L": (250, 200, 184),  # belly
    "E": (30, 20, 30),  # eye
    "Y": (250, 190, 60),  # beak
}
_BIRD_BODY = [
    "...BBB............",
    "..BBBBB...........",
    ".BBEBBBB..........",
    "YYYBBBBBBBBBBBBB..",
    "...BBBBBBBBBBBBBBB",
]
BIRD_UP = [
    ".........W........",
    ".........WW.......",
    "..........WW......",
    "..........WWW.....",
    "..........WWWW....",
    "..........WWWWW...",
    "...BBB....WWWWW...",
    "..BBBBB...WWWWW...",
    ".BBEBBBB.WWWWW....",
    *_BIRD_BODY[3:],
    ".....LLLLLLLBBBB.B",
    "......LLLLLL......",
    *["." * BIRD_W] * 6,
]
BIRD_DOWN = [
    *["." * BIRD_W] * 6,
    *_BIRD_BODY,
    ".....LLLWWWWWBBB.B",
    "......LLWWWWW.....",
    "........WWWWW.....",
    "........WWWW......",
    "........WWW.......",
    ".........WW.......",
    ".........W........",
    "." * BIRD_W,
]


def sprite(rows: list[str], palette: dict[str, Color]) -> tuple[np.ndarray, np.ndarray]:
    """Turn ASCII art into an (h, w, 3) colour array and an (h, w) opacity mask."""
    h, w = len(rows), len(rows[0])
    assert all(len(row) == w for row in rows), "sprite rows must have equal length"
    colors = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), bool)
    for y, row in enumerate(rows):
        for x, char in enumerate(row):
            if char != ".":
                colors[y, x] = palette[char]
                mask[y, x] = True
    return colors, mask


def blit(frame: np.ndarray, sprite: tuple[np.ndarray, np.ndarray], x: int, y: int) -> None:
    """Draw a sprite with its top-left corner at (x, y), clipped to the frame."""
    colors, mask = sprite
    h, w = mask.shape
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(frame.shape[1], x + w), min(frame.shape[0], y + h)
    if x0 < x1 and y0 < y1:
        sub_mask = mask[y0 - y : y1 - y, x0 - x : x1 - x]
        frame[y0:y1, x0:x1][sub_mask] = colors[y0 - y : y1 - y, x0 - x : x1 - x][sub_mask]
