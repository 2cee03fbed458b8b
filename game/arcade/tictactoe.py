"""Tic-tac-toe against a minimax opponent, plus the pure functions others reuse.

``winner(board)``, ``minimax_move(board, player, rng)`` and ``perfect_policy`` work on boards
of nine numbers in reading order (0 top-left, 8 bottom-right): +1 for one player's marks, -1 for
the other's, 0 for empty cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from game.arcade.common import KeyCombo, Policy, combo
from game.arcade.draw import Color, draw_text, draw_text_centered, fill_rect, text_width, vertical_gradient

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
X_MARK, O_MARK = 1, -1  # board values; X moves first
PLAYERS = ("X", "O", "alternate")

WIDTH, HEIGHT = 204, 250  # frame size, pixels
CELL = 56  # side of a cell, pixels
LINE = 4  # grid line thickness, pixels
BOARD_X, BOARD_Y = 14, 44  # top-left corner of the board, pixels
BOARD_SIDE = 3 * CELL + 2 * LINE  # pixels
MARK_INSET = 12  # gap between a cell's edge and its mark, pixels
STROKE = 9  # thickness of the X's bars and the O's ring, pixels

# Palette.
BACKGROUND_TOP: Color = (34, 38, 72)
BACKGROUND_BOTTOM: Color = (16, 18, 38)
BOARD: Color = (40, 46, 86)
GRID: Color = (206, 214, 242)
LAST_MOVE: Color = (255, 226, 120)
WIN_CELL: Color = (92, 84, 48)
WIN_LINE: Color = (255, 214, 90)
MARK_COLORS: dict[int, Color] = {X_MARK: (255, 104, 96), O_MARK: (96, 204, 255)}
SHADOW: Color = (10, 10, 24)
TEXT: Color = (236, 236, 250)
DIM: Color = (140, 146, 184)
GOOD: Color = (130, 235, 150)
BAD: Color = (255, 110, 100)


# -------------------------------------------------------------------- pure game functions


def winner(board: Sequence[float] | np.ndarray) -> int | None:
    """+1 or -1 if that player has three in a row, 0 for a draw (full board), None while the game goes on."""
    cells = [round(float(v)) for v in np.asarray(board).reshape(9)]
    for a, b, c in LINES:
        if cells[a] != 0 and cells[a] == cells[b] == cells[c]:
            return cells[a]
    return 0 if all(cells) else None


def winning_line(board: Sequence[float] | np.ndarray) -> tuple[int, int, int] | None:
    """The three cells of a completed line, or None."""
    cells = np.asarray(board).reshape(9)
    for line in LINES:
        if cells[line[0]] != 0 and cells[line[0]] == cells[line[1]] == cells[line[2]]:
            return line
    return None


@cache
def _move_scores(board: tuple[int, ...], player: int) -> tuple[tuple[int, int], ...]:
    """``(move, score)`` for every empty cell, score from ``player``'s side under perfect play.

    A win scores 1 + the number of empty cells left (so faster wins score more), a draw 0, a loss
    the negative of the opponent's win.
    """
    scores = []
    for move in range(9):
        if board[move] != 0:
            continue
        after = (*board[:move], player, *board[move + 1 :])
        result = winner(after)
        if result == player:
            score = 1 + after.count(0)
        elif result == 0:
            score = 0
        else:
            score = -max(s for _, s in _move_scores(after, -player))
        scores.append((move, score))
    return tuple(scores)


def minimax_move(
    board: Sequence[float] | np.ndarray, player: int, rng: np.random.Generator | None = None
) -> int:
    """A perfect move for ``player`` (+1 or -1) on ``board``.

    Among equally good moves (same outcome, same speed) it takes the first in reading order,
    or a random one when ``rng`` is given.
    """
    cells = tuple(round(float(v)) for v in np.asarray(board).reshape(9))
    if player not in (X_MARK, O_MARK):
        raise ValueError(f"player must be +1 or -1, not {player!r}.")
    if winner(cells) is not None:
        raise ValueError("The game is over: there is no move to make.")
    scores = _move_scores(cells, player)
    best = max(s for _, s in scores)
    moves = [m for m, s in scores if s == best]
    return moves[0] if rng is None else int(moves[int(rng.integers(len(moves)))])


def perfect_policy(obs: np.ndarray, action_mask: np.ndarray | None = None) -> int:
    """A :data:`~game.arcade.common.Policy` that never loses: minimax on an observation (+1 = own marks)."""
    return minimax_move(obs, X_MARK)


# -------------------------------------------------------------------- the environment


class TicTacToeEnv(gym.Env[np.ndarray, int]):
    """
    ## Description

    Tic-tac-toe on a 3x3 board against an opponent policy. The environment's player moves, then,
    if the game is not over, the opponent replies inside the same `step()`, so every observation
    is a position where it is the player's turn (or the game is over). When the player is "O",
    the opponent's first move is made inside `reset()`.
    The built-in opponent plays the minimax move with probability `opponent_skill`, otherwise a
    random legal move.

    ## Action Space

    `Discrete(9)`: the cell to mark, in reading order (0 top-left, 2 top-right, 8 bottom-right).
    Occupied cells are illegal: `action_mask()` and `info["action_mask"]` (bool, shape (9,)) mark
    the legal ones; once the game is over no action is legal (the mask is all False).
    Keys "1" to "9" choose cells in the same reading order ("1" = top-left).

    ## Observation Space

    `Box(-1, 1, (9,))` float32, the board in reading order from the player's side:
    +1 own marks, -1 the opponent's marks, 0 empty. Which of X and O the player is does not
    appear (its pieces are always +1); count the marks to tell.

    ## Rewards

    +1 for a win, -1 for a loss, 0 for a draw and for every move of a game that goes on.
    An illegal move (an occupied cell) loses at once: reward -1, the board unchanged. An opponent
    policy that makes an illegal move forfeits likewise (reward +1).

    ## Episode End

    1. Termination: three in a row, a full board, or an illegal move.
    2. Truncation: never in practice (a game has at most 5 steps); `max_episode_steps` exists for
       the common contract.

    ## Arguments

    | Parameter           | Default       | Description                                               |
    |---------------------|---------------|-----------------------------------------------------------|
    | `opponent`          | `None`        | Policy for the other side; `None` = built-in minimax      |
    | `opponent_skill`    | `0.7`         | probability the built-in opponent plays its minimax move  |
    | `agent_player`      | `"alternate"` | `"X"` (moves first), `"O"`, or `"alternate"` (X, O, X,    |
    |                     |               | ... by episode; a seeded reset starts again with X)       |
    | `max_episode_steps` | `9`           | time limit in steps                                       |

    `reset(options={"agent_player": "O"})` overrides the side for one episode. The scoreboard in
    the frame counts wins, losses and draws since the last seeded reset.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}
    players = 2
    turn_based = True

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        opponent: Policy | None = None,
        opponent_skill: float = 0.7,
        agent_player: str = "alternate",
        max_episode_steps: int = 9,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None.")
        if agent_player not in PLAYERS:
            raise ValueError(f"agent_player must be one of {PLAYERS}, not {agent_player!r}.")
        if not 0.0 <= opponent_skill <= 1.0:
            raise ValueError(f"opponent_skill is a probability in [0, 1], not {opponent_skill}.")
        if max_episode_steps < 1:
            raise ValueError("max_episode_steps must be at least 1.")
        self.render_mode = render_mode
        self.opponent = opponent
        self.opponent_skill = float(opponent_skill)
        self.agent_player = agent_player
        self.max_episode_steps = max_episode_steps

        self.action_space = spaces.Discrete(9)
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(9,), dtype=np.float32)

        self.board = np.zeros(9, dtype=np.int8)  # X = +1, O = -1
        self.mark = X_MARK  # the env player's mark
        self.last_move: int | None = None
        self.result: str | None = None  # "win", "loss", "draw", "illegal", "forfeit"
        self.tally = {"win": 0, "loss": 0, "draw": 0}  # since the last seeded reset
        self.episodes = 0  # since the last seeded reset
        self.steps = 0

    def set_opponent(self, policy: Policy | None) -> None:
        """Play the other side with ``policy`` (None: the built-in minimax player)."""
        self.opponent = policy

    # ---------------------------------------------------------------- geometry

    def cell_rect(self, action: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of cell ``action`` in the frame that render() returns, pixels."""
        row, col = divmod(int(action), 3)
        return BOARD_X + col * (CELL + LINE), BOARD_Y + row * (CELL + LINE), CELL, CELL

    def cell_at(self, x: float, y: float) -> int | None:
        """The cell under frame pixel (x, y), or None on a grid line or outside the board."""
        for cell in range(9):
            cx, cy, w, h = self.cell_rect(cell)
            if cx <= x < cx + w and cy <= y < cy + h:
                return cell
        return None

    # ---------------------------------------------------------------- gymnasium API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self.episodes = 0
            self.tally = {"win": 0, "loss": 0, "draw": 0}
        side = (options or {}).get("agent_player", self.agent_player)
        if side not in PLAYERS:
            raise ValueError(f"agent_player must be one of {PLAYERS}, not {side!r}.")
        if side == "alternate":
            side = "X" if self.episodes % 2 == 0 else "O"
        self.episodes += 1
        self.mark = X_MARK if side == "X" else O_MARK
        self.board = np.zeros(9, dtype=np.int8)
        self.last_move = None
        self.result = None
        self.steps = 0
        if self.mark == O_MARK:
            self._opponent_turn()
        return self._obs(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action!r}: expected a cell 0..8.")
        if self.result is not None:
            raise RuntimeError("The game is over: call reset() before step().")
        self.steps += 1
        action = int(action)
        if self.board[action] != 0:
            self._finish("illegal")
        else:
            self._place(action, self.mark)
            if self.result is None:
                self._opponent_turn()
        reward = {"win": 1.0, "forfeit": 1.0, "loss": -1.0, "illegal": -1.0}.get(self.result or "", 0.0)
        terminated = self.result is not None
        truncated = self.steps >= self.max_episode_steps and not terminated
        return self._obs(), reward, terminated, truncated, self._info()

    def action_mask(self) -> np.ndarray:
        """Legal moves: True on empty cells while the game goes on; all False once it is over."""
        if self.result is not None:
            return np.zeros(9, dtype=bool)
        return self.board == 0

    def get_action_meanings(self) -> list[str]:
        rows, cols = ("TOP", "MIDDLE", "BOTTOM"), ("LEFT", "CENTER", "RIGHT")
        return [f"{rows[r]}_{cols[c]}".replace("MIDDLE_CENTER", "CENTER") for r in range(3) for c in range(3)]

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return {combo(str(cell + 1)): cell for cell in range(9)}

    # ---------------------------------------------------------------- rules

    def _obs(self) -> np.ndarray:
        obs = (self.board * self.mark).astype(np.float32)
        assert obs.shape == (9,) and obs.dtype == np.float32
        return obs

    def _info(self) -> dict[str, Any]:
        return {
            "action_mask": self.action_mask(),
            "agent_player": "X" if self.mark == X_MARK else "O",
            "result": self.result,
        }

    def _place(self, cell: int, mark: int) -> None:
        self.board[cell] = mark
        self.last_move = cell
        result = winner(self.board)
        if result is not None:
            self._finish("draw" if result == 0 else "win" if result == self.mark else "loss")

    def _finish(self, result: str) -> None:
        self.result = result
        self.tally[{"illegal": "loss", "forfeit": "win"}.get(result, result)] += 1

    def _opponent_turn(self) -> None:
        mark = -self.mark
        mask = self.board == 0
        if self.opponent is not None:
            move = int(self.opponent((self.board * mark).astype(np.float32), mask.copy()))
            if not (0 <= move < 9 and mask[move]):
                self._finish("forfeit")
                return
        elif self.np_random.random() < self.opponent_skill:
            move = minimax_move(self.board, mark, rng=self.np_random)
        else:
            move = int(self.np_random.choice(np.flatnonzero(mask)))
        self._place(move, mark)

    # ---------------------------------------------------------------- drawing

    def render(self) -> np.ndarray:
        """The frame: scoreboard, board with marks, last move and winning line, status line."""
        frame = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        vertical_gradient(frame, BACKGROUND_TOP, BACKGROUND_BOTTOM)
        self._draw_scoreboard(frame)

        fill_rect(frame, BOARD_X + 3, BOARD_Y + 3, BOARD_SIDE, BOARD_SIDE, SHADOW)
        fill_rect(frame, BOARD_X, BOARD_Y, BOARD_SIDE, BOARD_SIDE, GRID)
        line = winning_line(self.board)
        for cell in range(9):
            x, y, w, h = self.cell_rect(cell)
            fill_rect(frame, x, y, w, h, WIN_CELL if line and cell in line else BOARD)
            if cell == self.last_move:
                for edge in ((x, y, w, 2), (x, y + h - 2, w, 2), (x, y, 2, h), (x + w - 2, y, 2, h)):
                    fill_rect(frame, *edge, LAST_MOVE)
            if self.board[cell] != 0:
                _draw_mark(frame, x + 2, y + 3, int(self.board[cell]), SHADOW)
                _draw_mark(frame, x, y, int(self.board[cell]), MARK_COLORS[int(self.board[cell])])
        if line:
            (ax, ay, _, _), (bx, by, _, _) = self.cell_rect(line[0]), self.cell_rect(line[2])
            _fill_segment(frame, ax + CELL / 2, ay + CELL / 2, bx + CELL / 2, by + CELL / 2, 3, WIN_LINE)

        status, color = {
            None: ("YOUR MOVE", TEXT),
            "win": ("YOU WIN!", GOOD),
            "loss": ("YOU LOSE", BAD),
            "draw": ("DRAW", DIM),
            "illegal": ("ILLEGAL MOVE", BAD),
            "forfeit": ("OPPONENT FORFEITS", GOOD),
        }[self.result]
        draw_text_centered(frame, status, WIDTH // 2, HEIGHT - 20, color, scale=2)
        return frame

    def _draw_scoreboard(self, frame: np.ndarray) -> None:
        you, them = self.mark, -self.mark
        rival = "CPU" if self.opponent is None else "OPP"
        draw_text(frame, "YOU", BOARD_X, 8, MARK_COLORS[you], scale=2)
        _draw_small_mark(frame, BOARD_X + text_width("YOU", 2) + 5, 8, you)
        right = WIDTH - BOARD_X - text_width(rival, 2)
        draw_text(frame, rival, right, 8, MARK_COLORS[them], scale=2)
        _draw_small_mark(frame, right - 15, 8, them)
        score = f"{self.tally['win']}-{self.tally['loss']}"
        draw_text_centered(frame, score, WIDTH // 2, 6, TEXT, scale=3)
        draw_text_centered(frame, f"DRAWS {self.tally['draw']}", WIDTH // 2, 26, DIM)


# -------------------------------------------------------------------- drawing helpers


def _draw_mark(frame: np.ndarray, x: int, y: int, mark: int, color: Color) -> None:
    """An X (two thick diagonals) or an O (a ring) in the cell with top-left (x, y)."""
    lo, hi = x + MARK_INSET, x + CELL - MARK_INSET
    if mark == X_MARK:
        r = STROKE / 2
        _fill_segment(frame, lo + r, y + MARK_INSET + r, hi - r, y + CELL - MARK_INSET - r, r, color)
        _fill_segment(frame, hi - r, y + MARK_INSET + r, lo + r, y + CELL - MARK_INSET - r, r, color)
    else:
        outer = (CELL - 2 * MARK_INSET) / 2 + 1
        _fill_ring(frame, x + CELL / 2, y + CELL / 2, outer, outer - STROKE, color)


def _draw_small_mark(frame: np.ndarray, x: int, y: int, mark: int) -> None:
    """A 10x10 pixel X or O for the scoreboard."""
    color = MARK_COLORS[mark]
    if mark == X_MARK:
        _fill_segment(frame, x + 1.5, y + 1.5, x + 8.5, y + 8.5, 1.2, color)
        _fill_segment(frame, x + 8.5, y + 1.5, x + 1.5, y + 8.5, 1.2, color)
    else:
        _fill_ring(frame, x + 5, y + 5, 5, 2.6, color)


def _fill_segment(
    canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float, r: float, color: Color
) -> None:
    """Fill every pixel whose centre lies within ``r`` of the segment (x0, y0)-(x1, y1): a thick line."""
    height, width = canvas.shape[:2]
    left, right = max(0, int(min(x0, x1) - r)), min(width, int(max(x0, x1) + r) + 1)
    top, bottom = max(0, int(min(y0, y1) - r)), min(height, int(max(y0, y1) + r) + 1)
    if left >= right or top >= bottom:
        return
    ys, xs = np.ogrid[top:bottom, left:right]
    px, py = xs + 0.5 - x0, ys + 0.5 - y0
    dx, dy = x1 - x0, y1 - y0
    t = np.clip((px * dx + py * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    inside = (px - t * dx) ** 2 + (py - t * dy) ** 2 <= r * r
    canvas[top:bottom, left:right][inside] = color


def _fill_ring(canvas: np.ndarray, cx: float, cy: float, outer: float, inner: float, color: Color) -> None:
    """Fill the annulus between radii ``inner`` and ``outer`` centred on (cx, cy)."""
    height, width = canvas.shape[:2]
    left, right = max(0, int(cx - outer)), min(width, int(cx + outer) + 1)
    top, bottom = max(0, int(cy - outer)), min(height, int(cy + outer) + 1)
    if left >= right or top >= bottom:
        return
    ys, xs = np.ogrid[top:bottom, left:right]
    d2 = (xs + 0.5 - cx) ** 2 + (ys + 0.5 - cy) ** 2
    canvas[top:bottom, left:right][(d2 <= outer * outer) & (d2 >= inner * inner)] = color
