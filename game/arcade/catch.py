"""Catch: move a basket under a falling fruit — the classic smoke test for a DQN."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from game.arcade.common import KeyCombo, combo
from game.arcade.draw import Color, draw_text, fill_circle, fill_rect, text_width, vertical_gradient

NOOP, LEFT, RIGHT = 0, 1, 2  # action indices

DEFAULT_ROWS = 10  # grid rows; the fruit falls one row per step
DEFAULT_COLUMNS = 5  # grid columns; the basket moves one column per step
MAX_CELL_PX = 28  # pixels per grid cell on the default grid
MIN_FRAME_PX = 120  # narrowest frame the UI should get, pixels
HUD_PX = 20  # height of the leafy score bar at the top, pixels
GROUND_PX = 10  # height of the grass strip under the basket row, pixels

SKY_TOP: Color = (142, 202, 230)
SKY_BOTTOM: Color = (253, 240, 213)
CLOUD: Color = (250, 252, 255)
CANOPY: Color = (46, 110, 64)
CANOPY_LIGHT: Color = (72, 146, 84)
GRASS: Color = (106, 170, 72)
HILL: Color = (178, 214, 160)
GRASS_DARK: Color = (76, 132, 52)
HUD_TEXT: Color = (255, 244, 214)
BASKET: Color = (168, 104, 48)
BASKET_DARK: Color = (116, 68, 30)
BASKET_RIM: Color = (206, 146, 78)
LEAF: Color = (60, 156, 62)
STEM: Color = (92, 58, 30)
SPLAT: Color = (196, 60, 52)
SHINE: Color = (255, 255, 240)
STAR: Color = (255, 214, 64)
# (body, shade) per fruit kind: apple, orange, plum
FRUIT_COLORS: tuple[tuple[Color, Color], ...] = (
    ((214, 48, 49), (160, 30, 36)),
    ((243, 146, 36), (200, 104, 20)),
    ((142, 68, 173), (98, 44, 128)),
)


class CatchEnv(gym.Env[np.ndarray, np.int64]):
    """
    ## Description

    A fruit drops from the tree at the top of a small grid (default 10 rows x 5 columns), one row per
    step, starting in a random column. A basket on the bottom row moves left or right one column per
    step. Catch the fruit. This is the "Catch" game used to smoke-test DQN implementations: while
    ``columns <= rows`` (as by default) every fruit is reachable (the basket needs at most
    ``columns - 1`` moves and gets ``rows - 1`` steps), and a small MLP DQN catches every fruit after
    about 5,000 steps (a few seconds on a CPU).

    ## Action Space

    `Discrete(3)`: 0 NOOP (stay), 1 LEFT, 2 RIGHT. Moving into a wall leaves the basket where it is.

    ## Observation Space

    A `float32` vector of shape `(3,)`, every entry in `[0, 1]`:

    | Num | Observation                                 | Min | Max |
    |-----|---------------------------------------------|-----|-----|
    | 0   | fruit row, `row / (rows - 1)` (1 = bottom)  | 0   | 1   |
    | 1   | fruit column, `column / (columns - 1)`      | 0   | 1   |
    | 2   | basket column, `column / (columns - 1)`     | 0   | 1   |

    The three numbers are the whole state, so a tiny MLP (or a Q-table indexed by them) suffices;
    a flattened grid would only make the network learn to read positions first.

    ## Rewards

    +1 when the fruit reaches the bottom row in the basket's column, -1 when it reaches the bottom
    row anywhere else, 0 on every other step.

    ## Starting State

    The fruit in a random column of the top row; the basket in a random column of the bottom row.

    ## Episode End

    1. Termination: `fruits_per_episode` fruits have reached the bottom row (default 1, so an episode
       is one fruit: `rows - 1` steps).
    2. Truncation: `max_episode_steps` steps (only reachable with many fruits per episode).

    ## Arguments

    | Parameter            | Type  | Default | Description                                                  |
    |----------------------|-------|---------|--------------------------------------------------------------|
    | `rows`               | int   | 10      | grid rows (3-30)                                             |
    | `columns`            | int   | 5       | grid columns (2-20)                                          |
    | `fruits_per_episode` | int   | 1       | fruits that fall, one after another, before the episode ends |
    | `max_episode_steps`  | int   | 1000    | steps before truncation                                      |

    One fruit per episode keeps returns in `[-1, 1]` and credit assignment trivial, which is what
    makes Catch learn in seconds. For watching, the frame shows a running tally of catches and misses
    that survives unseeded resets. A seeded ``reset(seed=...)`` zeroes the tally, so everything drawn
    (tally included) is a function of the seed and the actions since that reset.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}
    players = 1
    turn_based = False

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        rows: int = DEFAULT_ROWS,
        columns: int = DEFAULT_COLUMNS,
        fruits_per_episode: int = 1,
        max_episode_steps: int = 1000,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None.")
        if not (3 <= rows <= 30 and 2 <= columns <= 20):
            raise ValueError("Catch needs 3-30 rows and 2-20 columns.")
        if fruits_per_episode < 1 or max_episode_steps < 1:
            raise ValueError("fruits_per_episode and max_episode_steps must be at least 1.")
        self.render_mode = render_mode
        self.rows, self.columns = rows, columns
        self.fruits_per_episode = fruits_per_episode
        self.max_episode_steps = max_episode_steps

        self.action_space = spaces.Discrete(3)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(3,), dtype=np.float32)

        self._cell = max(4, min(MAX_CELL_PX, 380 // rows, 400 // columns))
        self._width = max(MIN_FRAME_PX, columns * self._cell)
        self._board_x = (self._width - columns * self._cell) // 2
        sky_pad = max(0, MIN_FRAME_PX - (HUD_PX + rows * self._cell + GROUND_PX))  # extra sky on tiny grids
        self._board_y = HUD_PX + sky_pad  # top of the grid, px
        self._height = self._board_y + rows * self._cell + GROUND_PX
        self._background = self._paint_background()

        self._catches = 0  # tally since construction or the last seeded reset
        self._misses = 0
        self._fruit_row = self._fruit_col = self._fruit_kind = 0
        self._basket_col = 0
        self._fruits_done = 0
        self._steps = 0
        self._landed: tuple[int, bool, int] | None = None  # (column, caught, kind) of a fruit just landed
        self._over = True

    # ----------------------------------------------------------------------------------------- gym API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self._catches = self._misses = 0
        self._basket_col = int(self.np_random.integers(self.columns))
        self._spawn_fruit()
        self._fruits_done = 0
        self._steps = 0
        self._landed = None
        self._over = False
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action!r}; Catch takes 0 NOOP, 1 LEFT, 2 RIGHT.")
        if self._over:
            raise RuntimeError("Call reset() before step(): the episode is over.")
        move = {NOOP: 0, LEFT: -1, RIGHT: 1}[int(action)]
        self._basket_col = min(self.columns - 1, max(0, self._basket_col + move))
        self._fruit_row += 1
        self._steps += 1
        self._landed = None

        reward = 0.0
        terminated = False
        if self._fruit_row == self.rows - 1:
            caught = self._fruit_col == self._basket_col
            reward = 1.0 if caught else -1.0
            self._catches += caught
            self._misses += not caught
            self._fruits_done += 1
            self._landed = (self._fruit_col, caught, self._fruit_kind)
            terminated = self._fruits_done == self.fruits_per_episode
            if not terminated:
                self._spawn_fruit()
        truncated = not terminated and self._steps >= self.max_episode_steps
        self._over = terminated or truncated
        return self._observation(), reward, terminated, truncated, self._info()

    def render(self) -> np.ndarray:
        """The current frame, (H, W, 3) uint8: tree, falling fruit, basket and the catch/miss tally."""
        frame = self._background.copy()
        c = self._cell
        if self._landed is not None:
            col, caught, kind = self._landed
            x = self._board_x + col * c + c / 2
            if caught:
                self._draw_fruit(frame, x, self._board_y + (self.rows - 1) * c + c * 0.45, kind)
                self._draw_sparkles(frame, x, self._board_y + (self.rows - 1) * c + c * 0.3)
            else:
                self._draw_splat(frame, x, self._board_y + self.rows * c + 1, kind)
        self._draw_basket(frame)
        if self._fruits_done < self.fruits_per_episode:  # a fruit is still in the air
            x = self._board_x + self._fruit_col * c + c / 2
            self._draw_fruit(frame, x, self._board_y + self._fruit_row * c + c / 2, self._fruit_kind)
        self._draw_hud(frame)
        return frame

    def get_action_meanings(self) -> list[str]:
        return ["NOOP", "LEFT", "RIGHT"]

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return {
            combo(): NOOP,
            combo("left"): LEFT,
            combo("right"): RIGHT,
        }

    # ----------------------------------------------------------------------------------------- state

    def _spawn_fruit(self) -> None:
        self._fruit_row = 0
        self._fruit_col = int(self.np_random.integers(self.columns))
        self._fruit_kind = int(self.np_random.integers(len(FRUIT_COLORS)))

    def _observation(self) -> np.ndarray:
        obs = np.array(
            [
                self._fruit_row / (self.rows - 1),
                self._fruit_col / (self.columns - 1),
                self._basket_col / (self.columns - 1),
            ],
            dtype=np.float32,
        )
        assert obs.shape == (3,) and obs.dtype == np.float32
        return obs

    def _info(self) -> dict[str, int]:
        return {"catches": self._catches, "misses": self._misses}

    # ----------------------------------------------------------------------------------------- drawing

    def _paint_background(self) -> np.ndarray:
        """Sky, clouds, tree canopy and grass: everything that never moves, painted once."""
        frame = np.zeros((self._height, self._width, 3), np.uint8)
        vertical_gradient(frame, SKY_TOP, SKY_BOTTOM)
        w, h = self._width, self._height
        clouds = ((0.22, 0.28, 9), (0.34, 0.27, 11), (0.45, 0.29, 8), (0.7, 0.55, 8), (0.8, 0.54, 10))
        for cx, cy, r in clouds:  # (x, y) as fractions of the frame, radius in px
            fill_circle(frame, cx * w, cy * h, r, CLOUD)
            for dx in (-r, r):
                fill_circle(frame, cx * w + dx, cy * h + 3, r * 0.7, CLOUD)
        # Canopy: a dark band for the score, its lower edge a row of leafy bumps.
        fill_rect(frame, 0, 0, w, HUD_PX, CANOPY)
        for i, x in enumerate(range(-4, w + 8, 11)):
            fill_circle(frame, x, HUD_PX - 1, 7 if i % 2 else 6, CANOPY)
            fill_circle(frame, x - 2 + i % 3, HUD_PX - 3 - (i * 7) % 4, 2.5, CANOPY_LIGHT)
        # Soft hills on the horizon, then grass under the basket row, with tufts.
        top = self._board_y + self.rows * self._cell
        for i, x in enumerate(range(-10, w + 40, 38)):
            r = 26 + 8 * (i % 3)
            fill_circle(frame, x, top + r * 0.55, r, HILL)
        fill_rect(frame, 0, top, w, GROUND_PX, GRASS)
        fill_rect(frame, 0, top, w, 2, GRASS_DARK)
        for x in range(3, w, 7):
            fill_rect(frame, x, top - 2, 1, 2, GRASS_DARK)
            fill_rect(frame, x + 2, top - 1, 1, 1, GRASS_DARK)
        return frame

    def _draw_fruit(self, frame: np.ndarray, cx: float, cy: float, kind: int) -> None:
        body, shade = FRUIT_COLORS[kind]
        r = self._cell * 0.36
        fill_circle(frame, cx, cy, r, shade)
        fill_circle(frame, cx - r * 0.12, cy - r * 0.12, r * 0.86, body)
        fill_circle(frame, cx - r * 0.4, cy - r * 0.4, max(1.0, r * 0.2), SHINE)
        stem_h = max(2, round(r * 0.5))
        fill_rect(frame, round(cx - 0.5), round(cy - r - stem_h + 1), max(1, round(r * 0.18)), stem_h, STEM)
        # Leaf: two offset discs give a pointed almond shape.
        lx, ly, lr = cx + r * 0.45, cy - r * 1.0, max(1.5, r * 0.38)
        fill_circle(frame, lx, ly, lr, LEAF)
        fill_circle(frame, lx + lr * 0.6, ly - lr * 0.3, lr * 0.7, LEAF)

    def _draw_basket(self, frame: np.ndarray) -> None:
        c = self._cell
        x = self._board_x + self._basket_col * c + max(1, c // 14)
        w = c - 2 * max(1, c // 14)
        h = max(4, round(c * 0.5))
        y = self._board_y + self.rows * c - h
        # A woven body narrowing towards the bottom, and a lighter rim.
        for row in range(h):
            inset = row * max(1, c // 14) // max(1, h // 3)
            color = BASKET if (row // 2) % 2 == 0 else BASKET_DARK
            fill_rect(frame, x + inset, y + row, w - 2 * inset, 1, color)
            for col in range(x + 2 + (row // 2) % 2 * 2, x + w - inset - 1, 4):  # staggered weave
                if col > x + inset:
                    fill_rect(frame, col, y + row, 1, 1, BASKET_DARK if color == BASKET else BASKET)
        fill_rect(frame, x - 1, y - 2, w + 2, 3, BASKET_RIM)
        fill_rect(frame, x - 1, y, w + 2, 1, BASKET_DARK)

    def _draw_splat(self, frame: np.ndarray, cx: float, ground_y: float, kind: int) -> None:
        """A fruit squashed flat on the grass, with juice drops around it."""
        body, shade = FRUIT_COLORS[kind]
        r = self._cell * 0.36
        for dx in np.linspace(-r * 0.9, r * 0.9, 5):
            fill_circle(frame, cx + dx, ground_y - 1, r * 0.45, shade)
            fill_circle(frame, cx + dx, ground_y - 2, r * 0.3, body)
        fill_circle(frame, cx - r * 0.5, ground_y - r * 0.45, max(1.0, r * 0.15), SHINE)
        for dx, dy in ((-1.6, -0.8), (1.7, -0.6), (-1.1, -1.5), (1.2, -1.4), (0.1, -1.8)):
            fill_circle(frame, cx + dx * r, ground_y + dy * r * 0.7, max(1.0, r * 0.16), SPLAT)

    def _draw_sparkles(self, frame: np.ndarray, cx: float, cy: float) -> None:
        arm = max(2, self._cell // 6)
        for dx, dy in ((-0.55, -0.5), (0.6, -0.65), (0.0, -0.95)):
            sx, sy = round(cx + dx * self._cell), round(cy + dy * self._cell)
            fill_rect(frame, sx - arm, sy, 2 * arm + 1, 1, STAR)
            fill_rect(frame, sx, sy - arm, 1, 2 * arm + 1, STAR)

    def _draw_hud(self, frame: np.ndarray) -> None:
        y = (HUD_PX - 10) // 2 - 1
        # Left: a small apple and the catches; right: a red cross and the misses.
        fill_circle(frame, 7, y + 5, 4, FRUIT_COLORS[0][0])
        fill_rect(frame, 7, y, 1, 2, STEM)
        draw_text(frame, str(self._catches), 14, y, HUD_TEXT, scale=2)
        misses = str(self._misses)
        tx = self._width - 4 - text_width(misses, 2)
        for i in range(7):
            fill_rect(frame, tx - 11 + i, y + 2 + i, 2, 1, SPLAT)
            fill_rect(frame, tx - 11 + i, y + 8 - i, 2, 1, SPLAT)
        draw_text(frame, misses, tx, y, HUD_TEXT, scale=2)
