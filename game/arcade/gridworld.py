"""GridWorld: walk from the start to the flag without falling into a pit.

A small discrete world whose transition model is public (``env.P``, in FrozenLake's format), so
value iteration and a Q-table can be shown beside a DQN on the same game.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from game.arcade.common import KeyCombo, combo
from game.arcade.draw import Color, draw_text, fill_circle, fill_rect, text_width, vertical_gradient

DEFAULT_LAYOUT = (
    ".......",
    ".#####.",
    ".#PPP#.",
    "S.....G",
    ".#PPP#.",
    ".#####.",
    ".......",
)
"""A bridge between two rows of pits (6 steps) or a walk around the walls, over or under (12 steps)."""

TILES = "S.#PG"  # start, floor, wall, pit, goal
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (d_row, d_col) for UP, RIGHT, DOWN, LEFT
GOAL_REWARD = 1.0  # for the step that enters the goal
PIT_REWARD = -1.0  # for the step that falls into a pit
MAX_LAYOUT_SIDE = 40  # cells; larger layouts would not fit a 420-pixel frame

MAX_CELL = 32  # side of a cell in the frame, pixels (smaller for big layouts)
BORDER = 8  # stone frame around the grid, pixels
HUD_HEIGHT = 18  # text band above the grid, pixels
MIN_FRAME = 120  # smallest frame side, pixels

# Palette.
BACKGROUND_TOP: Color = (58, 66, 92)
BACKGROUND_BOTTOM: Color = (34, 38, 58)
FLOOR: tuple[Color, Color] = ((222, 206, 164), (210, 192, 150))  # checkerboard
GROUT: Color = (176, 158, 118)
START_MARK: Color = (150, 190, 120)
BRICK: Color = (164, 78, 56)
BRICK_LIGHT: Color = (196, 110, 82)
MORTAR: Color = (96, 54, 48)
PIT_RIM: Color = (70, 56, 62)
PIT_HOLE: Color = (16, 12, 24)
GOAL_TILE: Color = (250, 222, 120)
POLE: Color = (92, 64, 40)
FLAG: Color = (230, 60, 70)
AGENT: Color = (64, 132, 236)
AGENT_LIGHT: Color = (140, 190, 255)
AGENT_DARK: Color = (30, 64, 140)
EYE: Color = (255, 255, 255)
PUPIL: Color = (20, 24, 40)
TEXT: Color = (236, 236, 244)
GOOD: Color = (120, 230, 140)
BAD: Color = (255, 110, 100)


class GridWorldEnv(gym.Env[int, int]):
    """
    ## Description

    The agent walks on a grid of floor tiles from the start `S` to the goal `G`. Walls `#` (and
    the edge of the grid) block it; pits `P` swallow it. With probability `slip` a move goes to
    one side instead (half the time to the left of the intended direction, half to the right).
    The default 7x7 layout offers a short way across a bridge between two rows of pits (6 steps)
    and a safe walk around the walls, over or under (12 steps): with the default slip and step
    reward the walk is worth more (value iteration turns back from the first bridge cells and
    crosses from the middle one on); with `slip=0` the bridge is.

    ## Action Space

    `Discrete(4)`: 0 UP, 1 RIGHT, 2 DOWN, 3 LEFT. There is no NOOP, so the game is turn-based
    (`turn_based = True`): a person's game waits for their next key.

    ## Observation Space

    `Discrete(n_states)`: the agent's cell as `state = row * width + col` (row 0 is the top).
    `state_to_pos(state)` gives `(row, col)`, `cell_rect(state)` its square in the frame.

    ## Transition Model

    `env.P[s][a]` is a list of `(probability, next_state, reward, terminated)`, exactly as in
    gymnasium's FrozenLake; outcomes that coincide are merged into one entry. Goal, pit and wall
    cells are absorbing: `P[s][a] == [(1.0, s, 0.0, True)]` (walls cannot be entered; the entries
    only keep value iteration well-defined).

    ## Rewards

    +1 for the step that enters the goal, -1 for the step that falls into a pit, and
    `step_reward` (default -0.01) for every other step, bumping into a wall included.

    ## Episode End

    1. Termination: the agent reaches the goal or falls into a pit.
    2. Truncation: `max_episode_steps` steps have passed.

    ## Arguments

    | Parameter           | Default          | Description                                              |
    |---------------------|------------------|----------------------------------------------------------|
    | `layout`            | `DEFAULT_LAYOUT` | rows of `S . # P G`; one `S`, at least one `G`           |
    | `slip`              | `0.1`            | probability that a move goes sideways                    |
    | `step_reward`       | `-0.01`          | reward of a step that does not end the episode           |
    | `max_episode_steps` | `100`            | time limit in steps                                      |
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 8}
    players = 1
    turn_based = True  # no NOOP: the game waits for the player's next move

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        layout: Sequence[str] = DEFAULT_LAYOUT,
        slip: float = 0.1,
        step_reward: float = -0.01,
        max_episode_steps: int = 100,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None.")
        if not 0.0 <= slip <= 1.0:
            raise ValueError(f"slip is a probability: give a number in [0, 1], not {slip}.")
        if max_episode_steps < 1:
            raise ValueError("max_episode_steps must be at least 1.")
        self.render_mode = render_mode
        self.layout = _check_layout(layout)
        self.slip = float(slip)
        self.step_reward = float(step_reward)
        self.max_episode_steps = max_episode_steps

        self.height, self.width = len(self.layout), len(self.layout[0])
        self.n_states = self.height * self.width
        self.n_actions = len(MOVES)
        self.start_state = "".join(self.layout).index("S")
        self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(self.n_actions)
        self.P = self._transition_model()

        self.cell = int(np.clip(352 // max(self.height, self.width), 8, MAX_CELL))  # pixels
        grid_w, grid_h = self.width * self.cell, self.height * self.cell
        frame_h, frame_w = HUD_HEIGHT + grid_h + 2 * BORDER, grid_w + 2 * BORDER
        self.frame_size = (max(MIN_FRAME, frame_h), max(MIN_FRAME, frame_w))  # (height, width), pixels
        top = HUD_HEIGHT + (self.frame_size[0] - HUD_HEIGHT - grid_h) // 2
        self.grid_origin = ((self.frame_size[1] - grid_w) // 2, top)  # (x, y) of the grid's corner, pixels

        self.state = self.start_state
        self.steps = 0
        self.episode_return = 0.0
        self.facing = RIGHT

    # ---------------------------------------------------------------- geometry

    def state_to_pos(self, state: int) -> tuple[int, int]:
        """``(row, col)`` of ``state``; row 0 is the top row."""
        return divmod(int(state), self.width)

    def pos_to_state(self, row: int, col: int) -> int:
        """The state index of cell ``(row, col)``: ``row * width + col``."""
        return row * self.width + col

    def tile(self, state: int) -> str:
        """The layout character of ``state``: one of ``S . # P G``."""
        row, col = self.state_to_pos(state)
        return self.layout[row][col]

    def cell_rect(self, state: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of the cell of ``state`` in the frame that render() returns, pixels."""
        row, col = self.state_to_pos(state)
        x0, y0 = self.grid_origin
        return x0 + col * self.cell, y0 + row * self.cell, self.cell, self.cell

    # ---------------------------------------------------------------- rules

    def _move(self, state: int, direction: int) -> tuple[int, float, bool]:
        """Where one move in ``direction`` from ``state`` lands: ``(next_state, reward, terminated)``."""
        row, col = self.state_to_pos(state)
        d_row, d_col = MOVES[direction]
        row2, col2 = row + d_row, col + d_col
        if 0 <= row2 < self.height and 0 <= col2 < self.width and self.layout[row2][col2] != "#":
            row, col = row2, col2
        next_state = self.pos_to_state(row, col)
        tile = self.layout[row][col]
        if tile == "G":
            return next_state, GOAL_REWARD, True
        if tile == "P":
            return next_state, PIT_REWARD, True
        return next_state, self.step_reward, False

    def _outcomes(self, action: int) -> list[tuple[float, int]]:
        """``(probability, direction)`` of each way an ``action`` can go."""
        side = self.slip / 2
        outcomes = [(1.0 - self.slip, action), (side, (action + 3) % 4), (side, (action + 1) % 4)]
        return [(p, d) for p, d in outcomes if p > 0]

    def _transition_model(self) -> dict[int, dict[int, list[tuple[float, int, float, bool]]]]:
        model: dict[int, dict[int, list[tuple[float, int, float, bool]]]] = {}
        for s in range(self.n_states):
            model[s] = {}
            for a in range(self.n_actions):
                if self.tile(s) in "#PG":
                    model[s][a] = [(1.0, s, 0.0, True)]
                    continue
                merged: dict[tuple[int, float, bool], float] = {}
                for p, direction in self._outcomes(a):
                    outcome = self._move(s, direction)
                    merged[outcome] = merged.get(outcome, 0.0) + p
                model[s][a] = [(p, *outcome) for outcome, p in merged.items()]
        return model

    # ---------------------------------------------------------------- gymnasium API

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[int, dict]:
        super().reset(seed=seed)
        self.state = self.start_state
        self.steps = 0
        self.episode_return = 0.0
        self.facing = RIGHT
        return self.state, self._info(1.0)

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action!r}: expected 0 UP, 1 RIGHT, 2 DOWN or 3 LEFT.")
        action = int(action)
        self.facing = action
        if self.tile(self.state) in "PG":  # stepping on after the end: absorbing, as in P
            next_state, reward, terminated = self.state, 0.0, True
        else:
            u = float(self.np_random.random())
            direction = action
            if u < self.slip / 2:
                direction = (action + 3) % 4
            elif u < self.slip:
                direction = (action + 1) % 4
            next_state, reward, terminated = self._move(self.state, direction)
        prob = sum(p for p, s, _, _ in self.P[self.state][action] if s == next_state)
        self.state = next_state
        self.steps += 1
        self.episode_return += reward
        truncated = self.steps >= self.max_episode_steps and not terminated
        return self.state, reward, terminated, truncated, self._info(prob)

    def _info(self, prob: float) -> dict[str, Any]:
        return {"prob": prob, "steps": self.steps, "episode_return": self.episode_return}

    def get_action_meanings(self) -> list[str]:
        return ["UP", "RIGHT", "DOWN", "LEFT"]

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return {
            combo("up"): UP,
            combo("right"): RIGHT,
            combo("down"): DOWN,
            combo("left"): LEFT,
        }

    # ---------------------------------------------------------------- drawing

    def render(self) -> np.ndarray:
        """The frame: step count and return above the grid, tiles, walls, pits, flag and agent."""
        frame = np.zeros((*self.frame_size, 3), dtype=np.uint8)
        vertical_gradient(frame, BACKGROUND_TOP, BACKGROUND_BOTTOM)
        x0, y0 = self.grid_origin
        fill_rect(frame, x0 - 2, y0 - 2, self.width * self.cell + 4, self.height * self.cell + 4, MORTAR)
        for s in range(self.n_states):
            self._draw_tile(frame, s)
        self._draw_agent(frame)
        self._draw_hud(frame)
        return frame

    def _draw_tile(self, frame: np.ndarray, s: int) -> None:
        x, y, c, _ = self.cell_rect(s)
        row, col = self.state_to_pos(s)
        tile = self.tile(s)
        if tile == "#":
            _draw_bricks(frame, x, y, c)
            return
        fill_rect(frame, x, y, c, c, GOAL_TILE if tile == "G" else FLOOR[(row + col) % 2])
        fill_rect(frame, x, y + c - 1, c, 1, GROUT)
        fill_rect(frame, x + c - 1, y, 1, c, GROUT)
        if tile == "S":
            m = c // 5
            for dx, dy in ((m, m), (c - 2 * m, m), (m, c - 2 * m), (c - 2 * m, c - 2 * m)):
                fill_rect(frame, x + dx, y + dy, m, m, START_MARK)
        elif tile == "P":
            fill_circle(frame, x + c / 2, y + c / 2, c * 0.44, PIT_RIM)
            fill_circle(frame, x + c / 2, y + c / 2 + c * 0.06, c * 0.36, PIT_HOLE)
        elif tile == "G":
            pole_x, top, u = x + c * 0.3, y + c * 0.15, max(1, c // 16)
            fill_rect(frame, x + c * 0.18, y + c * 0.82, c * 0.3, 2 * u, POLE)
            fill_rect(frame, pole_x, top, 2 * u, c * 0.7, POLE)
            flag_h = round(c * 0.36)
            for i in range(flag_h):  # a pennant: rows shrink toward its tip
                length = round(c * 0.5 * (1 - abs(i - flag_h / 2) / (flag_h / 2)))
                fill_rect(frame, pole_x + 2 * u, top + i, length, 1, FLAG)

    def _draw_agent(self, frame: np.ndarray) -> None:
        x, y, c, _ = self.cell_rect(self.state)
        cx, cy = x + c / 2, y + c / 2
        tile = self.tile(self.state)
        if tile == "P":  # falling: small and dark at the bottom of the hole
            fill_circle(frame, cx, cy + c * 0.06, c * 0.16, AGENT_DARK)
            return
        r = c * 0.34
        if tile == "G":
            cx, cy = x + c * 0.66, y + c * 0.6
            r = c * 0.26
            dot = max(1, c // 16)
            for dx, dy in ((-0.4, -0.35), (0.35, -0.4), (0.42, 0.3)):  # sparkles
                fill_rect(frame, x + c / 2 + dx * c, y + c / 2 + dy * c, dot, dot, EYE)
        fill_circle(frame, cx, cy + r * 0.15, r, AGENT_DARK)
        fill_circle(frame, cx, cy, r, AGENT)
        fill_circle(frame, cx - r * 0.35, cy - r * 0.4, r * 0.3, AGENT_LIGHT)
        d_row, d_col = MOVES[self.facing]
        eye_w, eye_h = max(2, round(r * 0.4)), max(2, round(r * 0.55))
        pupil = max(1, eye_w // 2)
        for side in (-1, 1):
            ex = round(cx + side * r * 0.38 + d_col * r * 0.2 - eye_w / 2)
            ey = round(cy - r * 0.15 + d_row * r * 0.2 - eye_h / 2)
            fill_rect(frame, ex, ey, eye_w, eye_h, EYE)
            px = ex + (eye_w - pupil) // 2 + (d_col * (eye_w - pupil) + 1) // 2
            py = ey + (eye_h - pupil) // 2 + d_row * ((eye_h - pupil) // 2)
            fill_rect(frame, px, py, pupil, pupil, PUPIL)

    def _draw_hud(self, frame: np.ndarray) -> None:
        width = self.frame_size[1]
        left = f"STEP {self.steps}"
        right = f"RETURN {self.episode_return:+.2f}"
        scale = 2 if text_width(left + right, 2) + 24 <= width else 1
        y = (HUD_HEIGHT - 5 * scale) // 2 + 1
        draw_text(frame, left, BORDER, y, TEXT, scale)
        color = GOOD if self.tile(self.state) == "G" else BAD if self.tile(self.state) == "P" else TEXT
        draw_text(frame, right, width - BORDER - text_width(right, scale), y, color, scale)


def _draw_bricks(frame: np.ndarray, x: int, y: int, c: int) -> None:
    """A square of brick wall: rows of bricks with mortar, every other row shifted half a brick."""
    fill_rect(frame, x, y, c, c, MORTAR)
    course = max(2, c // 4)  # brick row height, pixels
    for i, top in enumerate(range(y, y + c, course)):
        h = min(course, y + c - top) - 1
        shift = (c // 4) if i % 2 else 0
        for left in range(x - shift, x + c, c // 2):
            bx0, bx1 = max(left, x), min(left + c // 2 - 1, x + c)
            if bx1 > bx0 and h > 0:
                fill_rect(frame, bx0, top, bx1 - bx0, h, BRICK)
                fill_rect(frame, bx0, top, bx1 - bx0, 1, BRICK_LIGHT)


def _check_layout(layout: Sequence[str]) -> tuple[str, ...]:
    rows = tuple(str(row) for row in layout)
    if not rows or any(len(row) != len(rows[0]) for row in rows) or not rows[0]:
        raise ValueError("layout must be a non-empty list of strings of equal length.")
    if max(len(rows), len(rows[0])) > MAX_LAYOUT_SIDE:
        raise ValueError(f"layout is too big: at most {MAX_LAYOUT_SIDE} rows and columns.")
    text = "".join(rows)
    unknown = sorted(set(text) - set(TILES))
    if unknown:
        raise ValueError(f"layout may only hold the characters {TILES!r}; found {unknown}.")
    if text.count("S") != 1 or "G" not in text:
        raise ValueError("layout needs exactly one start 'S' and at least one goal 'G'.")
    return rows
