"""Snake: steer a growing snake to the food without hitting a wall or its own body."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from game.arcade.common import KeyCombo, combo
from game.arcade.draw import Color, draw_text, draw_text_centered, fill_circle, fill_rect, text_width

NOOP, UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3, 4  # action indices
DIRECTIONS: dict[int, tuple[int, int]] = {UP: (-1, 0), RIGHT: (0, 1), DOWN: (1, 0), LEFT: (0, -1)}

DEFAULT_SIZE = 10  # grid cells per side
START_LENGTH = 3  # cells
BOARD_PX = 240  # the board's side on the default grid, pixels (cell size = BOARD_PX // size, at least 8)
HUD_PX = 22  # height of the score bar, pixels
BORDER_PX = 6  # hedge around the board, pixels

GRASS_LIGHT: Color = (170, 215, 81)
GRASS_DARK: Color = (162, 209, 73)
GRASS_SHADOW: Color = (128, 178, 62)
HEDGE: Color = (74, 117, 44)
HEDGE_LIGHT: Color = (96, 145, 58)
HUD_BG: Color = (74, 117, 44)
HUD_TEXT: Color = (255, 248, 220)
SNAKE_HEAD: Color = (66, 110, 236)
SNAKE_TAIL: Color = (128, 170, 252)
SNAKE_BELLY: Color = (40, 78, 190)
EYE_WHITE: Color = (255, 255, 255)
PUPIL: Color = (20, 24, 40)
TONGUE: Color = (220, 40, 70)
APPLE: Color = (231, 71, 29)
APPLE_SHADE: Color = (176, 44, 20)
STEM: Color = (92, 58, 30)
LEAF: Color = (60, 156, 62)
SHINE: Color = (255, 240, 220)
SHADOW: Color = (40, 40, 40)


class SnakeEnv(gym.Env[np.ndarray, np.int64]):
    """
    ## Description

    The classic: a snake moves one cell per step on a small square grid (default 10 x 10). Eating the
    food makes it one cell longer and puts new food on a random free cell. Running into a wall or
    into its own body ends the game. The snake starts 3 cells long in the centre, heading in a random
    direction.

    ## Action Space

    `Discrete(5)`: 0 NOOP (keep going), 1 UP, 2 RIGHT, 3 DOWN, 4 LEFT. Asking to reverse straight into
    the neck is ignored (the snake keeps going), as in every arcade Snake.

    ## Observation Space

    A `float32` image of shape `(3, size, size)` (channels first, for a small CNN), every value in
    `[0, 1]`, row 0 at the top:

    | Channel | Content                                                                          |
    |---------|----------------------------------------------------------------------------------|
    | 0       | body (head excluded), graded from 1.0 at the neck down to `1/(length-1)` at the tail |
    | 1       | head: 1.0 on the head's cell                                                     |
    | 2       | food: 1.0 on the food's cell                                                     |

    The grading of the body tells a single frame which end is the tail (the cell that frees up next)
    and which way the snake is going (the neck is behind the head), so no frame stacking is needed.

    ## Rewards

    +1 for each food eaten, -1 for dying, otherwise `-step_penalty` (default 0.0) per step; a small
    penalty such as 0.001 discourages endless circling but is not needed for learning.

    ## Episode End

    1. Termination: the head hits a wall or the body (the cell the tail is just leaving is free);
       also when the snake fills the whole board (won: no cell left for food).
    2. Truncation: `max_episode_steps` steps, or `max_steps_without_food` steps since the last food
       (a snake that circles forever is cut off; default `2 * size * size`, twice what a snake
       sweeping the board row by row needs to reach any cell).

    ## Arguments

    | Parameter                | Type        | Default | Description                                 |
    |--------------------------|-------------|---------|---------------------------------------------|
    | `size`                   | int         | 10      | cells per side of the square board (5-24)   |
    | `max_episode_steps`      | int         | 3000    | steps before truncation                     |
    | `max_steps_without_food` | int or None | None    | hunger limit; None means `2 * size * size`  |
    | `step_penalty`           | float       | 0.0     | subtracted from the reward of ordinary steps |
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}
    players = 1
    turn_based = False

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        size: int = DEFAULT_SIZE,
        max_episode_steps: int = 3000,
        max_steps_without_food: int | None = None,
        step_penalty: float = 0.0,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None.")
        if not 5 <= size <= 24:
            raise ValueError("Snake needs a board of 5 to 24 cells per side.")
        if max_episode_steps < 1 or (max_steps_without_food is not None and max_steps_without_food < 1):
            raise ValueError("max_episode_steps and max_steps_without_food must be at least 1.")
        self.render_mode = render_mode
        self.size = size
        self.max_episode_steps = max_episode_steps
        self.max_steps_without_food = max_steps_without_food or 2 * size * size
        self.step_penalty = float(step_penalty)

        self.action_space = spaces.Discrete(5)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(3, size, size), dtype=np.float32)

        self._cell = max(8, BOARD_PX // size)  # pixels per grid cell
        board = size * self._cell
        self._board_x, self._board_y = BORDER_PX, HUD_PX + BORDER_PX
        self._frame_shape = (HUD_PX + board + 2 * BORDER_PX, board + 2 * BORDER_PX, 3)
        self._background = self._paint_background()

        self._snake: deque[tuple[int, int]] = deque()  # (row, col) cells, head first
        self._direction = DIRECTIONS[RIGHT]
        self._food = (0, 0)
        self._score = 0
        self._steps = 0
        self._hunger = 0  # steps since the last food
        self._dead = False
        self._won = False

    # ----------------------------------------------------------------------------------------- gym API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._direction = DIRECTIONS[int(self.np_random.integers(1, 5))]
        dr, dc = self._direction
        head = (self.size // 2, self.size // 2)
        self._snake = deque((head[0] - k * dr, head[1] - k * dc) for k in range(START_LENGTH))
        self._place_food()
        self._score = self._steps = self._hunger = 0
        self._dead = self._won = False
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action!r}; Snake takes 0 NOOP, 1 UP, 2 RIGHT, 3 DOWN, 4 LEFT.")
        if self._dead or self._won:
            raise RuntimeError("Call reset() before step(): the snake's game is over.")
        if action != NOOP:
            turn = DIRECTIONS[int(action)]
            if turn != (-self._direction[0], -self._direction[1]):
                self._direction = turn
        self._steps += 1
        self._hunger += 1
        head_r, head_c = self._snake[0]
        new_head = (head_r + self._direction[0], head_c + self._direction[1])
        eats = new_head == self._food

        reward = -self.step_penalty
        # The tail moves out of its cell in the same step, unless the snake grows.
        body = list(self._snake) if eats else list(self._snake)[:-1]
        if not (0 <= new_head[0] < self.size and 0 <= new_head[1] < self.size) or new_head in body:
            self._dead = True
            reward = -1.0
        else:
            self._snake.appendleft(new_head)
            if eats:
                reward = 1.0
                self._score += 1
                self._hunger = 0
                self._won = len(self._snake) == self.size * self.size
                if not self._won:
                    self._place_food()
            else:
                self._snake.pop()

        terminated = self._dead or self._won
        truncated = not terminated and (
            self._steps >= self.max_episode_steps or self._hunger >= self.max_steps_without_food
        )
        return self._observation(), reward, terminated, truncated, self._info()

    def render(self) -> np.ndarray:
        """The current frame, (H, W, 3) uint8: grass board, snake, food and the score bar."""
        frame = self._background.copy()
        if not self._won:
            self._draw_food(frame)
        self._draw_snake(frame)
        self._draw_hud(frame)
        if self._dead or self._won:
            self._draw_banner(frame, "YOU WIN!" if self._won else "GAME OVER")
        return frame

    def get_action_meanings(self) -> list[str]:
        return ["NOOP", "UP", "RIGHT", "DOWN", "LEFT"]

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return {
            combo(): NOOP,
            combo("up"): UP,
            combo("right"): RIGHT,
            combo("down"): DOWN,
            combo("left"): LEFT,
        }

    # ----------------------------------------------------------------------------------------- state

    def _place_food(self) -> None:
        free = np.ones((self.size, self.size), dtype=bool)
        for r, c in self._snake:
            free[r, c] = False
        cells = np.argwhere(free)
        r, c = cells[int(self.np_random.integers(len(cells)))]
        self._food = (int(r), int(c))

    def _observation(self) -> np.ndarray:
        obs = np.zeros((3, self.size, self.size), dtype=np.float32)
        body = list(self._snake)[1:]
        for k, (r, c) in enumerate(body):
            obs[0, r, c] = 1.0 - k / len(body)  # 1.0 at the neck, 1/(length-1) at the tail
        obs[1][self._snake[0]] = 1.0
        if not self._won:
            obs[2][self._food] = 1.0
        assert obs.shape == (3, self.size, self.size) and obs.dtype == np.float32
        return obs

    def _info(self) -> dict[str, int]:
        return {"score": self._score, "length": len(self._snake)}

    # ----------------------------------------------------------------------------------------- drawing

    def _center(self, cell: tuple[int, int]) -> tuple[float, float]:
        """Pixel centre (x, y) of a grid cell."""
        return (
            self._board_x + (cell[1] + 0.5) * self._cell,
            self._board_y + (cell[0] + 0.5) * self._cell,
        )

    def _paint_background(self) -> np.ndarray:
        """Score bar, hedge border and checkerboard grass, painted once."""
        frame = np.zeros(self._frame_shape, np.uint8)
        frame[:] = HEDGE
        fill_rect(frame, 0, 0, frame.shape[1], HUD_PX, HUD_BG)
        for x in range(0, frame.shape[1], 8):  # leafy texture on the hedge
            for y in range(HUD_PX, frame.shape[0], 8):
                fill_rect(frame, x + (y // 8) % 2 * 4, y + 1, 2, 2, HEDGE_LIGHT)
        fill_rect(frame, 0, HUD_PX - 1, frame.shape[1], 1, SHADOW)
        c = self._cell
        for r in range(self.size):
            for col in range(self.size):
                color = GRASS_LIGHT if (r + col) % 2 == 0 else GRASS_DARK
                fill_rect(frame, self._board_x + col * c, self._board_y + r * c, c, c, color)
        return frame

    def _draw_food(self, frame: np.ndarray) -> None:
        cx, cy = self._center(self._food)
        r = self._cell * 0.38
        fill_circle(frame, cx, cy + 1, r, APPLE_SHADE)
        fill_circle(frame, cx - 0.5, cy + 0.5, r * 0.88, APPLE)
        fill_circle(frame, cx - r * 0.4, cy - r * 0.25, max(1.0, r * 0.2), SHINE)
        fill_rect(frame, round(cx - 1), round(cy - r - 2), 2, max(2, round(r * 0.5)), STEM)
        fill_circle(frame, cx + r * 0.45, cy - r * 0.95, max(1.5, r * 0.35), LEAF)

    def _draw_snake(self, frame: np.ndarray) -> None:
        cells = list(self._snake)
        self._draw_tube(frame, cells, [GRASS_SHADOW] * len(cells), offset=2)
        head, tail = np.array(SNAKE_HEAD, float), np.array(SNAKE_TAIL, float)
        fade = np.linspace(0.0, 1.0, len(cells))[:, None]  # 0 at the head, 1 at the tail
        colors = [tuple(int(v) for v in rgb) for rgb in head + (tail - head) * fade]
        self._draw_tube(frame, cells, colors)
        self._draw_head(frame, cells[0])

    def _draw_tube(self, frame: np.ndarray, cells: list, colors: list[Color], offset: int = 0) -> None:
        """Discs on the cells joined by bars: a tube with round ends and corners, drawn tail first."""
        half = self._cell * 0.4  # half the snake's thickness, px
        for i in range(len(cells) - 1, -1, -1):
            x, y = self._center(cells[i])
            fill_circle(frame, x + offset, y + offset, half, colors[i])
            if i > 0:  # a bar to the segment in front
                fx, fy = self._center(cells[i - 1])
                thick = round(2 * half)
                if fy == y:  # horizontal neighbour
                    left, top, w, h = min(x, fx), y - half, abs(fx - x), thick
                else:
                    left, top, w, h = x - half, min(y, fy), thick, abs(fy - y)
                fill_rect(frame, round(left + offset), round(top + offset), round(w), round(h), colors[i])

    def _draw_head(self, frame: np.ndarray, head: tuple[int, int]) -> None:
        c = self._cell
        x, y = self._center(head)
        dr, dc = self._direction
        fill_circle(frame, x, y, c * 0.46, SNAKE_HEAD)
        if not self._dead and self._steps % 2 == 0:  # a flicking tongue, pointing forward
            tx, ty = x + dc * c * 0.5, y + dr * c * 0.5
            fill_rect(frame, round(tx - 1), round(ty - 1), 2 + abs(dc) * 2, 2 + abs(dr) * 2, TONGUE)
        fill_circle(frame, x - dc * c * 0.1, y - dr * c * 0.1, c * 0.3, SNAKE_BELLY)
        fill_circle(frame, x - dc * c * 0.05, y - dr * c * 0.05, c * 0.3, SNAKE_HEAD)
        eye_r = max(1.5, c * 0.14)
        for side in (-1, 1):
            # Eyes sit forward of the centre, spread across the direction of travel.
            ex = x + dc * c * 0.12 + side * dr * c * 0.22
            ey = y + dr * c * 0.12 + side * dc * c * 0.22
            fill_circle(frame, ex, ey, eye_r, EYE_WHITE)
            if self._dead:  # crossed-out eyes
                for k in (-1, 0, 1):
                    fill_rect(frame, round(ex + k), round(ey + k), 1, 1, PUPIL)
                    fill_rect(frame, round(ex + k), round(ey - k), 1, 1, PUPIL)
            else:
                fill_circle(frame, ex + dc * eye_r * 0.4, ey + dr * eye_r * 0.4, eye_r * 0.55, PUPIL)

    def _draw_hud(self, frame: np.ndarray) -> None:
        y = (HUD_PX - 10) // 2
        fill_circle(frame, 12, y + 5, 5, APPLE)
        fill_rect(frame, 11, y - 1, 2, 3, STEM)
        fill_circle(frame, 10, y + 3, 1.2, SHINE)
        draw_text(frame, str(self._score), 22, y, HUD_TEXT, scale=2)
        length = f"LENGTH {len(self._snake)}"
        draw_text(frame, length, frame.shape[1] - 6 - text_width(length, 1), y + 3, HUD_TEXT, scale=1)

    def _draw_banner(self, frame: np.ndarray, text: str) -> None:
        cx = self._board_x + self.size * self._cell // 2
        cy = self._board_y + self.size * self._cell // 2
        w = text_width(text, 2) + 12
        fill_rect(frame, cx - w // 2, cy - 10, w, 20, SHADOW)
        draw_text_centered(frame, text, cx + 1, cy - 4, PUPIL, scale=2)
        draw_text_centered(frame, text, cx, cy - 5, HUD_TEXT, scale=2)
