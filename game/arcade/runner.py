"""Runner: an endless runner — jump over cacti, duck under birds, as the world speeds up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from game.arcade.common import KeyCombo, combo
from game.arcade.draw import Color, draw_text, draw_text_centered, fill_circle, fill_rect, text_width
from game.arcade.runner_sprites import (
    BIRD_DOWN,
    BIRD_PALETTE,
    BIRD_UP,
    BIRD_W,
    DUCKING,
    JUMPING,
    RUN_A,
    RUN_B,
    RUNNER_PALETTE,
    blit,
    sprite,
)

NOOP, JUMP, DUCK = 0, 1, 2  # action indices

# Geometry. Heights are measured upwards from the ground line, in pixels.
FRAME_W, FRAME_H = 288, 144  # pixels
GROUND_Y = 118  # frame row of the ground line (the runner's feet), pixels
RUNNER_X = 36  # left edge of the runner's sprite, pixels
STAND_W, STAND_H = 14, 24  # standing / running / jumping sprite, pixels
DUCK_W, DUCK_H = 22, 12  # ducking sprite, pixels
STAND_HITBOX = (3, 11, 22)  # (left, right) offsets from RUNNER_X and height, pixels; inside the sprite
DUCK_HITBOX = (1, 21, 12)  # the same while ducking

# Physics, in pixels and steps (30 steps a second).
GRAVITY = 0.45  # pixels/step^2
FAST_FALL = 3.0  # gravity multiplier while DUCK is held in the air
JUMP_SPEED = 5.4  # pixels/step upwards at take-off: apex 29.7 px, 23 steps in the air
START_SPEED = 4.0  # pixels/step the world scrolls at the start
MAX_SPEED = 9.0  # pixels/step
ACCELERATION = 0.002  # pixels/step added to the speed every step (max speed after 2500 steps)
JUMP_APEX = 29.7  # highest the feet get, pixels (the discrete sum of the jump above)

# Obstacles: (width, height) of the four cactus clumps; birds fly in a band at head height.
CACTI: tuple[tuple[int, int], ...] = ((8, 14), (10, 20), (18, 14), (20, 20))  # pixels
BIRD_BOTTOM, BIRD_TOP = 15, 34  # pixels: above a ducking runner (12), below a standing one's head (22),
#                                 and higher than the jump apex (29.7), so a jump cannot clear a bird
BIRD_CHANCE = 0.3  # probability that an obstacle is a bird
AIR_STEPS = 23  # steps a jump lasts
GAP_STEPS = (AIR_STEPS + 9, AIR_STEPS + 45)  # free run between obstacles, in steps at the current speed
VIEW_PX = FRAME_W - (RUNNER_X + STAND_W)  # how far ahead the runner can see, pixels
MAX_OBSTACLE_W = 20  # pixels
MAX_OBSTACLE_TOP = 40  # pixels (normaliser for obstacle tops)

SKY_TOP: Color = (110, 170, 226)
SKY_BOTTOM: Color = (252, 222, 186)
SUN: Color = (255, 238, 160)
SUN_GLOW: Color = (255, 226, 170)
CLOUD: Color = (255, 250, 245)
HILL_FAR: Color = (196, 178, 200)
HILL_NEAR: Color = (170, 190, 150)
GROUND_LINE: Color = (96, 72, 52)
DIRT: Color = (226, 196, 146)
DIRT_DARK: Color = (196, 162, 112)
PEBBLE: Color = (150, 118, 86)
CACTUS: Color = (60, 150, 70)
CACTUS_DARK: Color = (36, 108, 52)
CACTUS_LIGHT: Color = (120, 196, 110)
TEXT: Color = (70, 60, 80)
TEXT_LIGHT: Color = (255, 250, 240)
FLASH: Color = (255, 220, 80)


@dataclass
class _Obstacle:
    x: float  # left edge, pixels from the frame's left
    width: int  # pixels
    bottom: int  # pixels above the ground
    top: int  # pixels above the ground
    bird: bool
    passed: bool = False


class RunnerEnv(gym.Env[np.ndarray, np.int64]):
    """
    ## Description

    An endless runner in the spirit of the Chrome dinosaur game. The runner stays in place while the
    world scrolls towards it; cacti stand on the ground and must be jumped over, birds fly at head
    height and must be ducked under. A jump cannot clear a bird (its top is above the jump's apex)
    and ducking does not help against a cactus, so both actions matter and the Q-values for JUMP and
    DUCK separate visibly as an obstacle approaches. Obstacles come at random gaps (always long enough
    to land and react) and the world slowly speeds up from 4 to 9 pixels per step.

    ## Action Space

    `Discrete(3)`: 0 NOOP (run), 1 JUMP (only from the ground), 2 DUCK (hold to stay down; in the air
    it pulls the runner down faster).

    ## Observation Space

    A `float32` vector of shape `(12,)`:

    | Num  | Observation                                                            | Min   | Max |
    |------|------------------------------------------------------------------------|-------|-----|
    | 0    | next obstacle: distance ahead of the runner's front / visible range    | -0.25 | 1   |
    | 1    | next obstacle: width / 20 px                                           | 0     | 1   |
    | 2    | next obstacle: top above the ground / 40 px                            | 0     | 1   |
    | 3    | next obstacle: 1 for a bird, 0 for a cactus                            | 0     | 1   |
    | 4-7  | the obstacle after it, same four numbers                               |       |     |
    | 8    | runner's feet above the ground / jump apex                             | 0     | 1   |
    | 9    | runner's vertical speed / take-off speed (up is positive)              | -2    | 1   |
    | 10   | 1 while ducking                                                        | 0     | 1   |
    | 11   | game speed, 0 at the start and 1 at the maximum                        | 0     | 1   |

    "Next" is the nearest obstacle the runner has not yet passed; the distance goes negative while
    the runner is over or under it. Obstacles beyond the right edge of the frame read as distance 1
    (their size and kind are given all the same; they come into view well before they matter).

    ## Rewards

    +1 for each obstacle passed (its right edge behind the runner), -1 for crashing into one, 0 otherwise.

    Hitboxes are rectangles: the runner's body (22 px tall standing, 12 px ducking), a cactus clump's
    outline less a pixel of spines on each side, and the whole band a bird flaps through (15 to 34 px
    above the ground).

    ## Episode End

    1. Termination: the runner touches an obstacle.
    2. Truncation: `max_episode_steps` steps (default 3000, 100 seconds).

    ## Arguments

    | Parameter           | Type | Default | Description            |
    |---------------------|------|---------|------------------------|
    | `max_episode_steps` | int  | 3000    | steps before truncation |

    The frame shows the score and the best score since construction or the last seeded reset (a
    seeded ``reset(seed=...)`` zeroes it, so frames are a function of the seed and the actions).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 30}
    players = 1
    turn_based = False

    def __init__(self, render_mode: str | None = None, *, max_episode_steps: int = 3000) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None.")
        if max_episode_steps < 1:
            raise ValueError("max_episode_steps must be at least 1.")
        self.render_mode = render_mode
        self.max_episode_steps = max_episode_steps

        self.action_space = spaces.Discrete(3)
        low = np.array([-0.25, 0, 0, 0] * 2 + [0, -2, 0, 0], dtype=np.float32)
        high = np.ones(12, dtype=np.float32)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)

        self._sprites = {
            name: sprite(rows, RUNNER_PALETTE)
            for name, rows in (("run_a", RUN_A), ("run_b", RUN_B), ("jump", JUMPING), ("duck", DUCKING))
        }
        self._sprites["bird_up"] = sprite(BIRD_UP, BIRD_PALETTE)
        self._sprites["bird_down"] = sprite(BIRD_DOWN, BIRD_PALETTE)
        assert self._sprites["bird_up"][1].shape == (BIRD_TOP - BIRD_BOTTOM, BIRD_W)
        assert self._sprites["run_a"][1].shape == (STAND_H, STAND_W)
        assert self._sprites["duck"][1].shape == (DUCK_H, DUCK_W)
        self._sky = self._paint_sky()
        self._hills = self._paint_hills()
        self._ground = self._paint_ground()

        self._best = 0  # best score since construction or the last seeded reset
        self._obstacles: list[_Obstacle] = []
        self._height = 0.0  # feet above the ground, pixels
        self._vy = 0.0  # pixels/step, up is positive
        self._ducking = False
        self._speed = START_SPEED
        self._distance = 0.0  # pixels scrolled since reset (drives the scenery)
        self._score = 0
        self._steps = 0
        self._crashed = False

    # ----------------------------------------------------------------------------------------- gym API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self._best = 0
        self._height = self._vy = 0.0
        self._ducking = False
        self._speed = START_SPEED
        self._distance = 0.0
        self._score = self._steps = 0
        self._crashed = False
        self._obstacles = []
        self._spawn_obstacles(first_x=FRAME_W + float(self.np_random.uniform(0, 60)))
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action!r}; Runner takes 0 NOOP, 1 JUMP, 2 DUCK.")
        if self._crashed:
            raise RuntimeError("Call reset() before step(): the runner has crashed.")
        self._steps += 1
        self._move_runner(int(action))
        for obstacle in self._obstacles:
            obstacle.x -= self._speed
        self._distance += self._speed
        self._speed = min(MAX_SPEED, self._speed + ACCELERATION)

        reward = 0.0
        if any(self._hits(obstacle) for obstacle in self._obstacles):
            self._crashed = True
            reward = -1.0
        else:
            for obstacle in self._obstacles:
                if not obstacle.passed and obstacle.x + obstacle.width < RUNNER_X:
                    obstacle.passed = True
                    reward += 1.0
                    self._score += 1
            self._best = max(self._best, self._score)
            self._obstacles = [o for o in self._obstacles if o.x + o.width > -8]
            self._spawn_obstacles()
        terminated = self._crashed
        truncated = not terminated and self._steps >= self.max_episode_steps
        return self._observation(), reward, terminated, truncated, self._info()

    def render(self) -> np.ndarray:
        """The current frame, (H, W, 3) uint8: sky, scrolling hills and ground, obstacles, runner, score."""
        frame = self._sky.copy()
        self._blit_scrolling(frame, self._hills, self._distance * 0.25)
        self._blit_scrolling(frame, self._ground, self._distance)
        self._draw_clouds(frame)
        for obstacle in self._obstacles:
            if obstacle.bird:
                self._draw_bird(frame, obstacle)
            else:
                self._draw_cactus(frame, obstacle)
        self._draw_runner(frame)
        self._draw_hud(frame)
        return frame

    def get_action_meanings(self) -> list[str]:
        return ["NOOP", "JUMP", "DUCK"]

    def get_keys_to_action(self) -> dict[KeyCombo, int]:
        return {
            combo(): NOOP,
            combo("up"): JUMP,
            combo("space"): JUMP,
            combo("down"): DUCK,
        }

    # ----------------------------------------------------------------------------------------- rules

    def _move_runner(self, action: int) -> None:
        on_ground = self._height == 0.0
        if on_ground:
            self._ducking = action == DUCK
            if action == JUMP:
                self._vy = JUMP_SPEED
        else:
            self._ducking = False
        if self._vy != 0.0 or self._height > 0.0:
            fast = not on_ground and action == DUCK
            self._vy -= GRAVITY * (FAST_FALL if fast else 1.0)
            self._height += self._vy
            if self._height <= 0.0:
                self._height = self._vy = 0.0

    def _runner_box(self) -> tuple[float, float, float, float]:
        """The runner's hitbox (left, right, bottom, top): pixels, heights above the ground."""
        left, right, height = DUCK_HITBOX if self._ducking else STAND_HITBOX
        return RUNNER_X + left, RUNNER_X + right, self._height, self._height + height

    def _hits(self, obstacle: _Obstacle) -> bool:
        left, right, bottom, top = self._runner_box()
        inset = 0 if obstacle.bird else 1  # a cactus's spines are drawn a pixel outside its hitbox
        return (
            left < obstacle.x + obstacle.width - inset
            and obstacle.x + inset < right
            and bottom < obstacle.top
            and obstacle.bottom < top
        )

    def _spawn_obstacles(self, first_x: float | None = None) -> None:
        """Keep at least two unpassed obstacles queued, each a random gap after the previous one."""
        while sum(not o.passed for o in self._obstacles) < 2:
            if self._obstacles:
                last = self._obstacles[-1]
                gap_steps = self.np_random.uniform(*GAP_STEPS)
                x = max(FRAME_W, last.x + last.width + gap_steps * self._speed)
            else:
                x = first_x if first_x is not None else FRAME_W
            if self.np_random.random() < BIRD_CHANCE:
                self._obstacles.append(_Obstacle(x, BIRD_W, BIRD_BOTTOM, BIRD_TOP, bird=True))
            else:
                width, height = CACTI[int(self.np_random.integers(len(CACTI)))]
                self._obstacles.append(_Obstacle(x, width, 0, height, bird=False))

    def _observation(self) -> np.ndarray:
        ahead = [o for o in self._obstacles if not o.passed][:2]
        features: list[float] = []
        for o in ahead:
            features += [
                np.clip((o.x - (RUNNER_X + STAND_W)) / VIEW_PX, -0.25, 1.0),
                o.width / MAX_OBSTACLE_W,
                o.top / MAX_OBSTACLE_TOP,
                float(o.bird),
            ]
        features += [
            min(1.0, self._height / JUMP_APEX),
            np.clip(self._vy / JUMP_SPEED, -2.0, 1.0),
            float(self._ducking),
            (self._speed - START_SPEED) / (MAX_SPEED - START_SPEED),
        ]
        obs = np.array(features, dtype=np.float32)
        assert obs.shape == (12,), "two obstacles are always queued"
        return obs

    def _info(self) -> dict[str, Any]:
        return {"score": self._score, "best": self._best, "speed": self._speed}

    # ----------------------------------------------------------------------------------------- drawing

    def _paint_sky(self) -> np.ndarray:
        frame = np.zeros((FRAME_H, FRAME_W, 3), np.uint8)
        t = np.linspace(0.0, 1.0, GROUND_Y, dtype=np.float32)[:, None] ** 1.5
        rows = (1 - t) * np.asarray(SKY_TOP, np.float32) + t * np.asarray(SKY_BOTTOM, np.float32)
        frame[:GROUND_Y] = rows.astype(np.uint8)[:, None, :]
        fill_circle(frame, 228, 40, 17, SUN_GLOW)
        fill_circle(frame, 228, 40, 13, SUN)
        return frame

    def _paint_hills(self) -> tuple[np.ndarray, np.ndarray]:
        """A strip of far and near hills, twice the frame wide, that tiles seamlessly when scrolled."""
        width = 2 * FRAME_W
        colors = np.zeros((FRAME_H, width, 3), np.uint8)
        mask = np.zeros((FRAME_H, width), bool)
        xs = np.arange(width)
        for color, base, amp, waves in ((HILL_FAR, 78, 14, (2, 5)), (HILL_NEAR, 92, 9, (3, 7))):
            phase = 2 * np.pi * xs / width
            crest = base - amp * (0.6 * np.sin(waves[0] * phase) + 0.4 * np.sin(waves[1] * phase + 1.0))
            rows = np.arange(FRAME_H)[:, None]
            inside = (rows >= crest[None, :]) & (rows < GROUND_Y)
            colors[inside] = color
            mask |= inside
        return colors, mask

    def _paint_ground(self) -> tuple[np.ndarray, np.ndarray]:
        """The ground line and the dirt under it, with pebbles and ridges; tiles seamlessly."""
        width = 2 * FRAME_W
        colors = np.zeros((FRAME_H, width, 3), np.uint8)
        colors[GROUND_Y:] = DIRT
        fill_rect(colors, 0, GROUND_Y, width, 2, GROUND_LINE)
        rng = np.random.default_rng(2024)  # a fixed pattern: scenery, not game randomness
        for _ in range(140):
            x, y = int(rng.integers(width)), int(rng.integers(GROUND_Y + 4, FRAME_H - 1))
            fill_rect(colors, x, y, int(rng.integers(1, 4)), 1, PEBBLE if rng.random() < 0.5 else DIRT_DARK)
        for _ in range(30):  # little bumps on the ground line
            x = int(rng.integers(width))
            fill_rect(colors, x, GROUND_Y - 1, int(rng.integers(2, 5)), 1, GROUND_LINE)
        mask = np.zeros((FRAME_H, width), bool)
        mask[GROUND_Y - 1 :] = True
        mask[GROUND_Y - 1] = np.all(colors[GROUND_Y - 1] == GROUND_LINE, axis=-1)
        return colors, mask

    @staticmethod
    def _blit_scrolling(frame: np.ndarray, strip: tuple[np.ndarray, np.ndarray], offset: float) -> None:
        """Draw a periodic scenery strip scrolled left by ``offset`` pixels."""
        colors, mask = strip
        rows = np.flatnonzero(mask.any(axis=1))
        top, bottom = rows[0], rows[-1] + 1  # only the rows the strip paints
        period = colors.shape[1]
        x = int(offset) % period
        # Two contiguous pieces instead of a fancy-indexed wrap: this runs 30 times a second.
        first = min(FRAME_W, period - x)
        for dst, src, width in ((0, x, first), (first, 0, FRAME_W - first)):
            if width > 0:
                np.copyto(
                    frame[top:bottom, dst : dst + width],
                    colors[top:bottom, src : src + width],
                    where=mask[top:bottom, src : src + width, None],
                )

    def _draw_clouds(self, frame: np.ndarray) -> None:
        span = FRAME_W + 80
        for base_x, y, r in ((40, 26, 7), (150, 18, 9), (250, 60, 6), (320, 34, 8)):
            x = (base_x - self._distance * 0.1) % span - 40
            fill_circle(frame, x, y, r, CLOUD)
            fill_circle(frame, x - r, y + 3, r * 0.7, CLOUD)
            fill_circle(frame, x + r, y + 3, r * 0.75, CLOUD)
            fill_rect(frame, x - r, y + 3, 2 * r, r * 0.7, CLOUD)

    def _draw_cactus(self, frame: np.ndarray, o: _Obstacle) -> None:
        x, w, h = round(o.x), o.width, o.top
        # Clumps wider than 12 px are two cacti side by side.
        if w <= 10:
            parts = [(x, w, h)]
        elif h > 14:
            parts = [(x, 8, 14), (x + 8, w - 8, h)]
        else:
            parts = [(x, 9, h), (x + 9, 9, h - 3)]
        for px, pw, ph in parts:
            self._draw_one_cactus(frame, px, pw, ph)

    @staticmethod
    def _draw_one_cactus(frame: np.ndarray, x: int, w: int, h: int) -> None:
        trunk = max(4, w // 2)
        tx = x + (w - trunk) // 2
        top = GROUND_Y - h
        fill_rect(frame, tx, top + trunk // 2, trunk, h - trunk // 2, CACTUS)
        fill_circle(frame, tx + trunk / 2, top + trunk / 2, trunk / 2, CACTUS)
        # Arms: an elbow out and up on each side, at different heights.
        arm_y = top + h // 3
        fill_rect(frame, x, arm_y + 3, tx - x, 2, CACTUS)
        fill_rect(frame, x, arm_y - 1, 2, 5, CACTUS)
        fill_rect(frame, tx + trunk, arm_y + 6, x + w - tx - trunk, 2, CACTUS)
        fill_rect(frame, x + w - 2, arm_y + 2, 2, 6, CACTUS)
        fill_rect(frame, tx + trunk - 1, top + 2, 1, h - 2, CACTUS_DARK)
        fill_rect(frame, tx + 1, top + 2, 1, h - 3, CACTUS_LIGHT)
        for sy in range(top + 4, GROUND_Y - 2, 4):  # spines
            fill_rect(frame, tx - 1, sy, 1, 1, CACTUS_DARK)
            fill_rect(frame, tx + trunk, sy + 2, 1, 1, CACTUS_DARK)

    def _draw_bird(self, frame: np.ndarray, o: _Obstacle) -> None:
        sprite = self._sprites["bird_up" if (self._steps // 6) % 2 == 0 else "bird_down"]
        blit(frame, sprite, round(o.x), GROUND_Y - o.top)

    def _draw_runner(self, frame: np.ndarray) -> None:
        feet = GROUND_Y - round(self._height)
        if self._ducking:
            name = "duck"
        elif self._height > 0.0:
            name = "jump"
        else:
            name = "run_a" if (self._steps // 4) % 2 == 0 else "run_b"
        sprite = self._sprites[name]
        # Feet on the ground line: the last non-empty sprite row sits on row `feet - 1`.
        rows = np.flatnonzero(sprite[1].any(axis=1))
        blit(frame, sprite, RUNNER_X, feet - 1 - rows[-1])
        if self._crashed:
            cx, cy = RUNNER_X + STAND_W, feet - STAND_H // 2
            for i in range(-5, 6):
                fill_rect(frame, cx + i, cy, 1, 1, FLASH)
                fill_rect(frame, cx, cy + i, 1, 1, FLASH)
                fill_rect(frame, cx + i // 2 * 1, cy + i // 2, 1, 1, FLASH)
                fill_rect(frame, cx + i // 2, cy - i // 2, 1, 1, FLASH)

    def _draw_hud(self, frame: np.ndarray) -> None:
        score = f"{self._score:05d}"
        x = FRAME_W - 6 - text_width(score, 2)
        draw_text(frame, score, x, 6, TEXT, scale=2)
        best = f"HI {self._best:05d}"
        draw_text(frame, best, x - 8 - text_width(best, 1), 11, TEXT, scale=1)
        if self._crashed:
            draw_text_centered(frame, "GAME OVER", FRAME_W // 2 + 1, 41, TEXT_LIGHT, scale=2)
            draw_text_centered(frame, "GAME OVER", FRAME_W // 2, 40, TEXT, scale=2)
