"""Pong: two paddles, one ball, first to ``points_to_win``.

The player of this environment holds the right paddle (like Atari Pong); the left one is played by
an opponent policy: the built-in computer, a person's keys, or another agent.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from game.arcade.common import KeyCombo, Policy, combo
from game.arcade.draw import Color, draw_text_centered, fill_rect, vertical_gradient

WIDTH, HEIGHT = 256, 192  # frame size, pixels
HUD_HEIGHT = 30  # score band above the court, pixels
WALL_THICKNESS = 4  # top and bottom walls, pixels
COURT_TOP = HUD_HEIGHT + WALL_THICKNESS  # first row the ball may occupy, pixels
COURT_BOTTOM = HEIGHT - WALL_THICKNESS  # one past the last row the ball may occupy, pixels
COURT_HEIGHT = COURT_BOTTOM - COURT_TOP  # pixels

PADDLE_WIDTH = 4  # pixels
PADDLE_HEIGHT = 28  # pixels
PADDLE_MARGIN = 16  # gap between the frame edge and a paddle's back, pixels
PADDLE_SPEED = 3.0  # paddle moved by a policy (agent, person), pixels per step
COMPUTER_SPEED = 2.2  # the built-in computer's top speed, pixels per step (slower: it is beatable)
COMPUTER_AIM = 0.7  # the computer aims for a random spot within this fraction of its half paddle

BALL_RADIUS = 3.0  # pixels
SERVE_SPEED = 2.2  # horizontal ball speed after a serve, pixels per step
SPEEDUP_PER_HIT = 0.12  # horizontal speed gained on every paddle hit, pixels per step
MAX_BALL_SPEED = 4.8  # cap on horizontal speed; |vy| <= |vx| so it bounds both, pixels per step
MAX_BOUNCE_SLOPE = 1.0  # |vy / vx| after a hit on the very edge of a paddle
SERVE_SLOPE = 0.5  # |vy / vx| of a serve is uniform in [0, this]
SERVE_DELAY_STEPS = 30  # the ball waits at the centre this long before each serve, steps

NOOP, UP, DOWN = 0, 1, 2
SIDES = ("left", "right")

# Palette.
HUD_TOP: Color = (10, 34, 36)
HUD_BOTTOM: Color = (6, 22, 24)
COURT_TOP_COLOR: Color = (22, 92, 80)
COURT_BOTTOM_COLOR: Color = (12, 60, 56)
STRIPE_SHADE = 6  # the lighter grass stripes are this much brighter, per channel
WALL_COLOR: Color = (190, 232, 214)
NET_COLOR: Color = (150, 205, 188)
BALL_COLOR: Color = (255, 250, 222)
PADDLE_COLORS: dict[str, Color] = {"left": (255, 138, 92), "right": (116, 232, 168)}
PADDLE_LIGHT: dict[str, Color] = {"left": (255, 196, 160), "right": (196, 255, 220)}
SHADOW: Color = (2, 12, 12)
CAPTION_COLOR: Color = (120, 170, 160)


class PongEnv(gym.Env[np.ndarray, int]):
    """
    ## Description

    Two paddles return a ball across a court. The ball speeds up a little on every paddle hit,
    and the spot where it meets the paddle sets the bounce angle (centre: flat, edge: steep).
    The player of this environment is the RIGHT paddle by default; the other paddle is played by
    the `opponent` policy, or by a built-in computer that follows the ball at a limited speed
    (slower than a policy-driven paddle), so that steep, fast balls beat it.
    One step is one frame of a 60 Hz game.

    ## Action Space

    `Discrete(3)`: 0 NOOP, 1 UP, 2 DOWN (move the paddle 3 pixels).

    ## Observation Space

    `Box(6,)` float32, seen from the player's own side: the court is mirrored for a left-side
    player so that its own paddle is always on the right (see `observation_for`).

    | Num | Observation                                   | Min | Max |
    |-----|-----------------------------------------------|-----|-----|
    | 0   | ball x (0 = far side, 1 = own side)           | 0   | 1   |
    | 1   | ball y (0 = top of the court)                 | 0   | 1   |
    | 2   | ball x velocity / 4.8 px (> 0: coming at you) | -1  | 1   |
    | 3   | ball y velocity / 4.8 px (> 0: going down)    | -1  | 1   |
    | 4   | own paddle centre y                           | 0   | 1   |
    | 5   | opponent paddle centre y                      | 0   | 1   |

    While the ball waits at the centre before a serve its velocity reads 0.

    ## Rewards

    +1 when the opponent misses the ball, -1 when you miss it, 0 on every other step.

    ## Episode End

    1. Termination: one side reaches `points_to_win` points.
    2. Truncation: `max_episode_steps` steps have passed.

    ## Arguments

    | Parameter           | Default   | Description                                                   |
    |---------------------|-----------|---------------------------------------------------------------|
    | `opponent`          | `None`    | Policy for the other paddle; `None` = the built-in computer   |
    | `agent_side`        | `"right"` | `"right"` or `"left"`: which paddle this env's player holds   |
    | `points_to_win`     | `5`       | points that end the game. Short games: with a rally of 2-5 s  |
    |                     |           | an episode is ~1000 steps, so a DQN sees many finished        |
    |                     |           | episodes (and hundreds of points) in its first minutes        |
    | `max_episode_steps` | `6000`    | time limit in steps (100 s at 60 Hz)                          |

    The first serve goes in a random direction, every later one toward the side that lost the point.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 60}
    players = 2
    turn_based = False

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        opponent: Policy | None = None,
        agent_side: str = "right",
        points_to_win: int = 5,
        max_episode_steps: int = 6000,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None.")
        if agent_side not in SIDES:
            raise ValueError(f"agent_side must be 'left' or 'right', not {agent_side!r}.")
        if points_to_win < 1 or max_episode_steps < 1:
            raise ValueError("points_to_win and max_episode_steps must be at least 1.")
        self.render_mode = render_mode
        self.opponent = opponent
        self.agent_side = agent_side
        self.opponent_side = "left" if agent_side == "right" else "right"
        self.points_to_win = points_to_win
        self.max_episode_steps = max_episode_steps

        self.action_space = spaces.Discrete(3)
        low = np.array([0, 0, -1, -1, 0, 0], dtype=np.float32)
        self.observation_space = spaces.Box(low, np.ones(6, dtype=np.float32), dtype=np.float32)

        mid = COURT_TOP + COURT_HEIGHT / 2
        self.ball = np.array([WIDTH / 2, mid])  # centre, pixels
        self.ball_velocity = np.zeros(2)  # pixels per step
        self.trail: list[tuple[float, float]] = []  # the ball's last positions, oldest first
        self.paddle_y = {"left": mid, "right": mid}  # paddle centres, pixels
        self.points = {"left": 0, "right": 0}
        self.serve_timer = SERVE_DELAY_STEPS  # steps until the waiting ball is served
        self.serve_toward = "right"
        self.computer_aim = 0.0  # pixels from the computer's paddle centre
        self.steps = 0

    # ---------------------------------------------------------------- gymnasium API

    def set_opponent(self, policy: Policy | None) -> None:
        """Play the other paddle with ``policy`` (None: the built-in computer)."""
        self.opponent = policy

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        mid = COURT_TOP + COURT_HEIGHT / 2
        self.paddle_y = {"left": mid, "right": mid}
        self.points = {"left": 0, "right": 0}
        self.steps = 0
        self._new_serve(toward=SIDES[int(self.np_random.integers(2))])
        return self.observation_for(self.agent_side), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action!r}: expected 0 (NOOP), 1 (UP) or 2 (DOWN).")
        opponent_obs = self.observation_for(self.opponent_side)
        self._move_paddle(self.agent_side, int(action))
        if self.opponent is None:
            self._move_computer()
        else:
            self._move_paddle(self.opponent_side, int(self.opponent(opponent_obs, None)))

        scorer = self._move_ball()
        reward = 0.0
        if scorer is not None:
            self.points[scorer] += 1
            reward = 1.0 if scorer == self.agent_side else -1.0
            self._new_serve(toward="left" if scorer == "right" else "right")
        self.steps += 1
        terminated = max(self.points.values()) >= self.points_to_win
        truncated = self.steps >= self.max_episode_steps and not terminated
        return self.observation_for(self.agent_side), reward, terminated, truncated, self._info()

    def observation_for(self, side: str) -> np.ndarray:
        """The observation of the player holding the ``side`` paddle ("left" or "right").

        The court is mirrored left-right for the left player, so every player sees its own
        paddle on the right: the same network can play either side.
        """
        if side not in SIDES:
            raise ValueError(f"side must be 'left' or 'right', not {side!r}.")
        other = "left" if side == "right" else "right"
        x = self.ball[0] / WIDTH
        vx = self.ball_velocity[0] / MAX_BALL_SPEED
        if side == "left":
            x, vx = 1.0 - x, -vx
        obs = np.array(
            [
                x,
                (self.ball[1] - COURT_TOP) / COURT_HEIGHT,
                vx,
                self.ball_velocity[1] / MAX_BALL_SPEED,
                (self.paddle_y[side] - COURT_TOP) / COURT_HEIGHT,
                (self.paddle_y[other] - COURT_TOP) / COURT_HEIGHT,
            ],
            dtype=np.float32,
        )
        return np.clip(obs, self.observation_space.low, self.observation_space.high)

    def get_action_meanings(self) -> list[str]:
        return ["NOOP", "UP", "DOWN"]

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return {(): NOOP, combo("up"): UP, combo("down"): DOWN, combo("up", "down"): NOOP}

    # ---------------------------------------------------------------- rules

    def _info(self) -> dict[str, Any]:
        return {
            "score": self.points[self.agent_side],
            "opponent_score": self.points[self.opponent_side],
            "steps": self.steps,
        }

    def _new_serve(self, toward: str) -> None:
        self.ball = np.array([WIDTH / 2, COURT_TOP + COURT_HEIGHT / 2])
        self.ball_velocity = np.zeros(2)
        self.trail = []
        self.serve_timer = SERVE_DELAY_STEPS
        self.serve_toward = toward
        self._aim_computer()

    def _aim_computer(self) -> None:
        self.computer_aim = float(self.np_random.uniform(-COMPUTER_AIM, COMPUTER_AIM)) * PADDLE_HEIGHT / 2

    def _clamp_paddle(self, y: float) -> float:
        return float(np.clip(y, COURT_TOP + PADDLE_HEIGHT / 2, COURT_BOTTOM - PADDLE_HEIGHT / 2))

    def _move_paddle(self, side: str, action: int) -> None:
        delta = {NOOP: 0.0, UP: -PADDLE_SPEED, DOWN: PADDLE_SPEED}[action]
        self.paddle_y[side] = self._clamp_paddle(self.paddle_y[side] + delta)

    def _move_computer(self) -> None:
        """Follow the ball while it comes closer; drift back to the middle while it goes away."""
        side = self.opponent_side
        coming = self.ball_velocity[0] < 0 if side == "left" else self.ball_velocity[0] > 0
        if coming:
            target, speed = self.ball[1] + self.computer_aim, COMPUTER_SPEED
        else:
            target, speed = COURT_TOP + COURT_HEIGHT / 2, COMPUTER_SPEED / 2
        delta = float(np.clip(target - self.paddle_y[side], -speed, speed))
        self.paddle_y[side] = self._clamp_paddle(self.paddle_y[side] + delta)

    def _paddle_face(self, side: str) -> float:
        """x of the paddle face the ball bounces off, pixels."""
        return PADDLE_MARGIN + PADDLE_WIDTH if side == "left" else WIDTH - PADDLE_MARGIN - PADDLE_WIDTH

    def _move_ball(self) -> str | None:
        """Advance the ball one step; return the side that scored, if any."""
        if self.serve_timer > 0:
            self.serve_timer -= 1
            if self.serve_timer == 0:
                slope = float(self.np_random.uniform(-SERVE_SLOPE, SERVE_SLOPE))
                direction = 1.0 if self.serve_toward == "right" else -1.0
                self.ball_velocity = np.array([direction * SERVE_SPEED, slope * SERVE_SPEED])
            return None

        self.trail = [*self.trail[-2:], (float(self.ball[0]), float(self.ball[1]))]
        old_x, old_y = self.ball
        vx, vy = self.ball_velocity
        x, y = old_x + vx, old_y + vy
        top, bottom = COURT_TOP + BALL_RADIUS, COURT_BOTTOM - BALL_RADIUS
        if y < top:
            y, vy = 2 * top - y, -vy
        elif y > bottom:
            y, vy = 2 * bottom - y, -vy

        side = "right" if vx > 0 else "left"
        sign = 1.0 if vx > 0 else -1.0
        front = self._paddle_face(side) - sign * BALL_RADIUS  # ball centre x when touching the face
        if (old_x - front) * sign <= 0 <= (x - front) * sign:
            hit_y = old_y + vy * (front - old_x) / vx  # where the ball crosses the face line
            reach = PADDLE_HEIGHT / 2 + BALL_RADIUS
            offset = (hit_y - self.paddle_y[side]) / reach
            if abs(offset) <= 1.0:
                speed = min(abs(vx) + SPEEDUP_PER_HIT, MAX_BALL_SPEED)
                vx, vy = -sign * speed, offset * MAX_BOUNCE_SLOPE * speed
                x, y = front, float(np.clip(hit_y, top, bottom))
                if side == self.agent_side:
                    self._aim_computer()
        self.ball = np.array([x, y])
        self.ball_velocity = np.array([vx, vy])
        if x < 0:
            return "right"
        if x > WIDTH:
            return "left"
        return None

    # ---------------------------------------------------------------- drawing

    def render(self) -> np.ndarray:
        """The frame: score band, court with net and walls, paddles and ball. (192, 256, 3) uint8."""
        frame = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        vertical_gradient(frame[:HUD_HEIGHT], HUD_TOP, HUD_BOTTOM)
        court = frame[COURT_TOP:COURT_BOTTOM]
        vertical_gradient(court, COURT_TOP_COLOR, COURT_BOTTOM_COLOR)
        for x in range(0, WIDTH, 32):  # mown-grass stripes
            stripe = court[:, x : x + 16].astype(np.int16) + STRIPE_SHADE
            court[:, x : x + 16] = np.minimum(stripe, 255).astype(np.uint8)
        fill_rect(frame, 0, HUD_HEIGHT, WIDTH, WALL_THICKNESS, WALL_COLOR)
        fill_rect(frame, 0, COURT_BOTTOM, WIDTH, WALL_THICKNESS, WALL_COLOR)
        for y in range(COURT_TOP + 3, COURT_BOTTOM - 3, 10):
            fill_rect(frame, WIDTH // 2 - 1, y, 2, 5, NET_COLOR)

        for side, cx in (("left", WIDTH // 4), ("right", 3 * WIDTH // 4)):
            text = str(self.points[side])
            draw_text_centered(frame, text, cx + 2, 6, SHADOW, scale=4)
            draw_text_centered(frame, text, cx, 4, PADDLE_COLORS[side], scale=4)
        draw_text_centered(frame, f"FIRST TO {self.points_to_win}", WIDTH // 2, 12, CAPTION_COLOR)

        for side in SIDES:
            x = self._paddle_face(side) - (PADDLE_WIDTH if side == "left" else 0)
            y = round(self.paddle_y[side] - PADDLE_HEIGHT / 2)
            fill_rect(frame, x + 1, y + 2, PADDLE_WIDTH, PADDLE_HEIGHT, SHADOW)
            fill_rect(frame, x, y, PADDLE_WIDTH, PADDLE_HEIGHT, PADDLE_COLORS[side])
            fill_rect(frame, x, y, 1, PADDLE_HEIGHT, PADDLE_LIGHT[side])
            fill_rect(frame, x, y, PADDLE_WIDTH, 1, PADDLE_LIGHT[side])

        if self.serve_timer > 0 and (self.serve_timer // 6) % 2 == 1:
            return frame  # the waiting ball blinks
        bx, by = self.ball
        _draw_ball(frame, bx + 1, by + 2, SHADOW)
        for age, (tx, ty) in enumerate(self.trail):
            fade = (age + 1) / (len(self.trail) + 2)
            under = frame[int(np.clip(ty, 0, HEIGHT - 1)), int(np.clip(tx, 0, WIDTH - 1))].astype(float)
            color = tuple(int(c) for c in (1 - fade) * under + fade * np.array(BALL_COLOR))
            fill_rect(frame, round(tx) - 2, round(ty) - 2, 4, 4, color)
        _draw_ball(frame, bx, by, BALL_COLOR)
        fill_rect(frame, round(bx) - 2, round(by) - 2, 1, 1, (255, 255, 255))
        return frame


def _draw_ball(frame: np.ndarray, x: float, y: float, color: Color) -> None:
    """A 6x6 pixel ball with its corners cut, centred on (x, y) snapped to the pixel grid."""
    size = round(2 * BALL_RADIUS)
    left, top = round(x - BALL_RADIUS), round(y - BALL_RADIUS)
    fill_rect(frame, left + 1, top, size - 2, size, color)
    fill_rect(frame, left, top + 1, size, size - 2, color)
