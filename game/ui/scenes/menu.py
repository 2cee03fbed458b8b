"""The arcade's front page: every game in the catalog, a preview, ENTER to watch it learn, P to play,
V to play against a trained agent (versus, or a race in one-player games), D to pick its stage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame

from game.catalog import GameSpec, catalog, frame_of
from game.modes.matches import match_kind
from game.modes.runs import AGENTS_DIR
from game.ui import theme
from game.ui.controls import PAD_A, PAD_B, PAD_X, PAD_Y
from game.ui.widgets.frame import draw_frame
from game.ui.widgets.text import draw_panel, draw_text

PREVIEW_DELAY_S = 0.25  # the selection must rest this long before its preview env is made
SECTIONS = (
    ("arcade", "HOME-MADE"),
    ("atari-featured", "ATARI FAVOURITES"),
    ("classic", "CLASSIC CONTROL"),
    ("atari", "EVERY ATARI GAME"),
)
AGENT_NAMES = {"arena": "this game's own agent (continues learning)", "new": "a new agent, from scratch"}
PLAYERS = {1: "one player", 2: "two players: you against the computer"}


def _section(spec: GameSpec) -> str:
    if spec.kind == "atari" and spec.featured:
        return "atari-featured"
    return spec.kind


def agent_label(option: str) -> str:
    """How the menu names an agent to watch: its kind, a shipped stage, or a checkpoint's path."""
    if option in AGENT_NAMES:
        return AGENT_NAMES[option]
    path = Path(option)
    if AGENTS_DIR in path.parents:
        return f"shipped, trained: {path.stem}"
    return option


class MenuScene:
    """Choose a game with arrows, wheel, mouse or gamepad; ENTER (A) watches it learn, P (X) plays it."""

    def __init__(
        self,
        app,
        on_watch: Callable[[GameSpec], None] | None = None,
        on_play: Callable[[GameSpec], None] | None = None,
        find_agents: Callable[[GameSpec], list[Path]] | None = None,
        on_match: Callable[[GameSpec, str | None], None] | None = None,
        on_lab: Callable[[], None] | None = None,
    ):
        self.app = app
        self.on_watch = on_watch
        self.on_play = on_play
        self.find_agents = find_agents
        self.on_match = on_match  # (spec, stage) -> versus or race against a trained agent
        self.on_lab = on_lab  # () -> the Q-learning lab
        self.stages: dict[str, list[str]] = {}  # game id -> shipped stages, then runs' checkpoints
        self.stage_choice: dict[str, int] = {}  # game id -> index into its stages
        self.kinds: dict[str, str | None] = {}  # game id -> match_kind
        self.agents: dict[str, list[str]] = {}  # game id -> agents to watch: arena, new, checkpoint paths
        self.agent_choice: dict[str, int] = {}  # game id -> index into its list
        specs = list(catalog().values())
        self.rows: list[tuple[str, GameSpec | None]] = []  # (label, spec); spec None for headings
        for key, heading in SECTIONS:
            members = [s for s in specs if _section(s) == key]
            if members:
                self.rows.append((heading, None))
                self.rows += [(s.title, s) for s in members]
        self.selectable = [i for i, (_, spec) in enumerate(self.rows) if spec is not None]
        self.choice = 0  # index into self.selectable
        self.scroll = 0  # first row shown
        self.rested = 0.0
        self.previews: dict[str, np.ndarray] = {}
        self.row_rects: list[tuple[pygame.Rect, int]] = []

    @property
    def spec(self) -> GameSpec:
        spec = self.rows[self.selectable[self.choice]][1]
        assert spec is not None
        return spec

    def _move(self, delta: int) -> None:
        self.choice = max(0, min(len(self.selectable) - 1, self.choice + delta))
        self.rested = 0.0

    def _play(self) -> None:
        """A person plays the chosen game alone."""
        if self.on_play is not None:
            self.on_play(self.spec)
            return
        from game.ui.scenes.play import PlayScene  # one scene per module; the menu leads to it

        self.app.switch(PlayScene(self.app, self.spec, on_exit=lambda: self.app.switch(self)))

    def _watch(self) -> None:
        """Watch an agent learn the chosen game (plays it yourself where no arena is wired)."""
        if self.on_watch is None:
            self._play()
        else:
            self.on_watch(self.spec, self._agent())

    def _agent_options(self) -> list[str]:
        spec = self.spec
        if spec.id not in self.agents:
            found = self.find_agents(spec) if self.find_agents is not None else []
            self.agents[spec.id] = ["arena", "new", *(str(path) for path in found)]
        return self.agents[spec.id]

    def _agent(self) -> str:
        return self._agent_options()[self.agent_choice.get(self.spec.id, 0)]

    def _next_agent(self) -> None:
        options = self._agent_options()
        self.agent_choice[self.spec.id] = (self.agent_choice.get(self.spec.id, 0) + 1) % len(options)

    def _stage_options(self) -> list[str]:
        spec = self.spec
        if spec.id not in self.stages:
            from game.modes.players import stages

            shipped = [stage.name for stage in stages(spec)]
            found = self.find_agents(spec) if self.find_agents is not None else []
            trained = [str(path) for path in found if AGENTS_DIR not in Path(path).parents]
            self.stages[spec.id] = shipped + trained
        return self.stages[spec.id]

    def _stage(self) -> str | None:
        """The chosen stage of the trained opponent (the most trained unless changed), None if none."""
        options = self._stage_options()
        if not options:
            return None
        shipped = [option for option in options if not option.endswith(".pt")]
        default = len(shipped) - 1 if shipped else 0  # the most trained shipped stage
        return options[self.stage_choice.get(self.spec.id, default)]

    def _next_stage(self) -> None:
        options = self._stage_options()
        if options:
            current = options.index(self._stage() or options[0])
            self.stage_choice[self.spec.id] = (current + 1) % len(options)

    def _match_kind(self) -> str | None:
        if self.on_match is None:
            return None
        if self.spec.id not in self.kinds:
            self.kinds[self.spec.id] = match_kind(self.spec)
        return self.kinds[self.spec.id]

    def _match(self) -> None:
        """Versus (two-player games) or a race (one-player games) against the chosen stage."""
        if self.on_match is not None and self._match_kind() is not None:
            self.on_match(self.spec, self._stage())

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN:
            moves = {
                pygame.K_UP: -1,
                pygame.K_DOWN: 1,
                pygame.K_PAGEUP: -10,
                pygame.K_PAGEDOWN: 10,
                pygame.K_HOME: -10_000,
                pygame.K_END: 10_000,
                pygame.K_w: -1,
                pygame.K_s: 1,
            }
            if event.key in moves:
                self._move(moves[event.key])
            elif event.key in (pygame.K_RETURN, pygame.K_SPACE, pygame.K_KP_ENTER):
                self._watch()
            elif event.key == pygame.K_p:
                self._play()
            elif event.key == pygame.K_l and self.on_watch is not None:
                self._next_agent()
            elif event.key == pygame.K_v:
                self._match()
            elif event.key == pygame.K_d:
                self._next_stage()
            elif event.key == pygame.K_q and self.on_lab is not None:
                self.on_lab()
            elif event.key == pygame.K_ESCAPE:
                self.app.quit()
        elif event.type == pygame.MOUSEWHEEL:
            self._move(-event.y)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == pygame.BUTTON_LEFT:
            for rect, index in self.row_rects:
                if rect.collidepoint(event.pos):
                    if self.choice == index:
                        self._watch()
                    self.choice, self.rested = index, 0.0
        elif event.type == pygame.JOYDEVICEADDED:
            pygame.joystick.Joystick(event.device_index)
        elif event.type == pygame.JOYHATMOTION and event.value[1]:
            self._move(-event.value[1])
        elif event.type == pygame.JOYBUTTONDOWN:
            if event.button == PAD_A:
                self._watch()
            elif event.button == PAD_X:
                self._play()
            elif event.button == PAD_Y:
                self._match()
            elif event.button == PAD_B:
                self.app.quit()

    def update(self, dt: float) -> None:
        self.rested += dt
        spec = self.spec
        if self.rested >= PREVIEW_DELAY_S and spec.id not in self.previews:
            env = spec.make_env("show")
            try:
                env.reset(seed=0)
                env.action_space.seed(0)
                for _ in range(30):  # a moment into the game looks more like the game than frame one
                    _, _, terminated, truncated, _ = env.step(env.action_space.sample())
                    if terminated or truncated:
                        break
                self.previews[spec.id] = frame_of(env)
            except Exception:  # a preview is decoration: a game that cannot show one still plays
                self.previews[spec.id] = np.zeros((2, 2, 3), np.uint8)
            finally:
                env.close()

    def draw(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        surface.fill(theme.BACKGROUND)
        big, size, small = theme.text_size(h, 0.07), theme.text_size(h, 0.034), theme.text_size(h, 0.026)
        margin = size
        draw_text(surface, "Q-ARCADE", (margin, margin), big, theme.ACCENT, bold=True)
        draw_text(
            surface,
            "Watch a Deep Q-Network learn to play, then take the controls.",
            (margin, margin + big),
            size,
            theme.TEXT_DIM,
        )
        list_rect = pygame.Rect(margin, margin * 2 + big + size, int(w * 0.36), 0)
        list_rect.height = h - list_rect.y - margin * 2
        draw_panel(surface, list_rect)
        self._draw_list(surface, list_rect, size)
        detail = pygame.Rect(
            list_rect.right + margin, list_rect.y, w - list_rect.right - 2 * margin, list_rect.height
        )
        self._draw_detail(surface, detail, size, small)
        draw_text(
            surface,
            "UP/DOWN choose · ENTER watch · L agent · P play · V vs agent · D stage · Q the lab · ESC quit",
            (w // 2, h - margin),
            small,
            theme.TEXT_DIM,
            "midbottom",
        )

    def _draw_list(self, surface: pygame.Surface, rect: pygame.Rect, size: int) -> None:
        line = int(size * 1.35)
        visible = max(1, rect.height // line - 1)
        chosen_row = self.selectable[self.choice]
        if chosen_row < self.scroll + 1:
            self.scroll = max(0, chosen_row - 1)
        elif chosen_row >= self.scroll + visible:
            self.scroll = chosen_row - visible + 1
        self.row_rects = []
        clip = surface.get_clip()
        surface.set_clip(rect)
        for n, (label, spec) in enumerate(self.rows[self.scroll : self.scroll + visible + 1]):
            row = self.scroll + n
            y = rect.y + line // 2 + n * line
            row_rect = pygame.Rect(rect.x + 4, y, rect.width - 8, line)
            if spec is None:
                draw_text(
                    surface,
                    label,
                    (rect.x + size // 2, y + line // 2),
                    size * 4 // 5,
                    theme.INFO,
                    "midleft",
                    bold=True,
                )
                continue
            index = self.selectable.index(row)
            self.row_rects.append((row_rect, index))
            if row == chosen_row:
                pygame.draw.rect(surface, theme.PANEL_EDGE, row_rect, border_radius=6)
            color = theme.ACCENT if row == chosen_row else theme.TEXT
            draw_text(surface, label, (rect.x + size, y + line // 2), size, color, "midleft")
        surface.set_clip(clip)

    def _draw_detail(self, surface: pygame.Surface, rect: pygame.Rect, size: int, small: int) -> None:
        spec = self.spec
        draw_text(surface, spec.title, rect.topleft, size * 3 // 2, theme.TEXT, bold=True)
        y = rect.y + size * 3 // 2 + 4
        draw_text(surface, spec.blurb, (rect.x, y), size, theme.TEXT_DIM)
        y += size + 2
        draw_text(
            surface, f"{PLAYERS.get(spec.players, '')}  ·  id: {spec.id}", (rect.x, y), small, theme.TEXT_DIM
        )
        preview = self.previews.get(spec.id)
        area = pygame.Rect(rect.x, y + small * 4, rect.width, rect.bottom - y - small * 6)
        if preview is not None and preview.shape[0] > 2:
            framed = draw_frame(surface, preview, area, spec.pixel_aspect)
            pygame.draw.rect(surface, theme.PANEL_EDGE, framed.inflate(4, 4), width=2)
        else:
            waiting = "loading preview…" if preview is None else "no preview"
            draw_text(surface, waiting, area.center, small, theme.TEXT_DIM, "center")
        if self.on_watch is not None:
            agent = agent_label(self._agent())
            draw_text(surface, f"AGENT: {agent}   (L to change)", (rect.x, y + small + 4), small, theme.INFO)
        kind = self._match_kind()
        if kind is not None:
            stage = agent_label(self._stage() or "untrained")
            against = "play against it" if kind == "versus" else "race it"
            count = len(self._stage_options())
            change = "   (D to change)" if count > 1 else ""
            line = f"OPPONENT for V ({against}): {stage}{change}"
            draw_text(surface, line, (rect.x, y + 2 * small + 8), small, theme.INFO)
        hint = "ENTER watch it learn  ·  P play it yourself" if self.on_watch else "ENTER to play"
        if kind is not None:
            hint += "  ·  V " + ("versus" if kind == "versus" else "race")
        draw_text(surface, hint, (area.centerx, rect.bottom), size, theme.ACCENT, "midbottom", bold=True)
