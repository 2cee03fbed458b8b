"""A many-machine job's fleet at a glance: whether it runs, the learner's rates, one row per actor.

Fed from ``game.modes.attach`` (the job's ``fleet.json``); a NaN or missing rate shows as a dash.
Rows that do not fit end in one line that sums up the rest.
"""

from __future__ import annotations

import math

import pygame

from game.modes.attach import FleetStatus, Headline
from game.ui import theme
from game.ui.widgets.draw import blend, draw_card, elide, font_px

TITLE_SHARE = 0.065  # title glyph height as a share of the panel's height
TITLE_CAP_PX = 17  # ... up to this
TEXT_SHARE = 0.8  # table text relative to the title
LINE_GAP = 1.45  # line pitch as a multiple of the text's glyph height
LAGGING = theme.ACCENT  # requests lost to an actor, or by the learner
TONES = {"good": theme.GOOD, "dim": theme.TEXT_DIM, "bad": theme.BAD}
COLUMNS = (  # (heading, share of the table's width where the column's right edge is)
    ("actor", 0.16),
    ("epsilon", 0.38),
    ("steps/s", 0.62),
    ("weights", 0.82),
    ("lost", 1.0),
)


def rate(value: float, digits: int = 0) -> str:
    """A rate for the table: 1,234 or 7.9, a dash where it is not a number."""
    return "–" if not math.isfinite(value) else f"{value:,.{digits}f}"


class FleetPanel:
    """The job's state, its learner and its actors, drawn into a card."""

    def __init__(self) -> None:
        self.rows_drawn = 0
        """actor rows the last draw showed (the summary line of the rest not counted)"""

    def draw(
        self, surface: pygame.Surface, rect: pygame.Rect, fleet: FleetStatus | None, headline: Headline
    ) -> None:
        pad = draw_card(surface, rect)
        inner = rect.inflate(-2 * pad, -2 * pad)
        title_px = font_px(min(TITLE_CAP_PX, rect.height * TITLE_SHARE))
        text_px = font_px(min(TITLE_CAP_PX, rect.height * TITLE_SHARE) * TEXT_SHARE)
        title_font, font = theme.font(title_px, True), theme.font(text_px)
        line_h = max(font.get_linesize(), round(font.get_height() * LINE_GAP / 1.2))
        y = inner.y
        title = title_font.render("THE JOB", True, theme.TEXT)
        surface.blit(title, title.get_rect(topleft=(inner.x, y)))
        state = elide(headline.text.upper(), title_font, inner.width - title.get_width() - pad)
        image = title_font.render(state, True, TONES.get(headline.tone, theme.TEXT))
        surface.blit(image, image.get_rect(topright=(inner.right, y)))
        y += title.get_height() + line_h // 3
        self.rows_drawn = 0
        if headline.detail:
            color = theme.BAD if headline.tone == "bad" else theme.TEXT_DIM
            self._line(surface, elide(headline.detail, font, inner.width), (inner.x, y), font, color)
            y += line_h
        if fleet is None:
            return
        lost = fleet.lost_requests
        for text, right, right_color in (
            (
                f"learner  {rate(fleet.steps_per_s)} steps/s  ·  {rate(fleet.updates_per_s, 1)} updates/s",
                "",
                None,
            ),
            (f"replay ratio {rate(fleet.replay_ratio, 1)}  ·  weights v{fleet.weights_version}", "", None),
            (
                f"step {fleet.steps:,}  ·  {len(fleet.actors)} actors",
                f"lost requests {lost:,}",
                LAGGING if lost else theme.TEXT_DIM,
            ),
        ):
            right_w = font.size(right)[0] + pad if right else 0
            self._line(surface, elide(text, font, inner.width - right_w), (inner.x, y), font, theme.TEXT)
            if right:
                image = font.render(right, True, right_color)
                surface.blit(image, image.get_rect(topright=(inner.right, y)))
            y += line_h
        y += line_h // 3
        self._table(surface, pygame.Rect(inner.x, y, inner.width, inner.bottom - y), fleet, font, line_h)

    def _table(
        self,
        surface: pygame.Surface,
        area: pygame.Rect,
        fleet: FleetStatus,
        font: pygame.font.Font,
        line_h: int,
    ) -> None:
        if area.height < 2 * line_h or not fleet.actors:
            return
        dim = blend(theme.PANEL, theme.TEXT_DIM, 0.85)
        self._row(surface, area, area.y, [h for h, _ in COLUMNS], font, [dim] * len(COLUMNS))
        pygame.draw.line(
            surface, theme.PANEL_EDGE, (area.x, area.y + line_h - 2), (area.right, area.y + line_h - 2)
        )
        room = (area.height - line_h) // line_h
        actors = fleet.actors
        shown = actors if len(actors) <= room else actors[: max(0, room - 1)]
        y = area.y + line_h
        for actor in shown:
            behind = fleet.weights_version - actor.version
            cells = [
                f"{actor.index}",
                f"{actor.epsilon:.3g}",
                rate(actor.steps_per_s),
                f"v{actor.version}" + (f" (-{behind})" if behind > 0 else ""),
                f"{actor.lost:,}",
            ]
            # A few versions behind is an actor's normal round trip; lost requests are worth a colour.
            colors = [
                theme.TEXT_DIM,
                theme.TEXT,
                theme.TEXT,
                theme.TEXT,
                LAGGING if actor.lost else theme.TEXT,
            ]
            self._row(surface, area, y, cells, font, colors)
            y += line_h
            self.rows_drawn += 1
        rest = actors[len(shown) :]
        if rest:
            total = sum(a.steps_per_s for a in rest if math.isfinite(a.steps_per_s))
            text = f"… {len(rest)} more actors, {rate(total)} steps/s together"
            self._line(surface, elide(text, font, area.width), (area.x, y), font, theme.TEXT_DIM)

    def _row(
        self,
        surface: pygame.Surface,
        area: pygame.Rect,
        y: int,
        cells: list[str],
        font: pygame.font.Font,
        colors: list[tuple[int, int, int]],
    ) -> None:
        left = area.x
        for (_, share), text, color in zip(COLUMNS, cells, colors, strict=True):
            right = area.x + round(area.width * share)
            image = font.render(elide(text, font, right - left - 4), True, color)
            surface.blit(image, image.get_rect(topright=(right, y)))
            left = right

    @staticmethod
    def _line(
        surface: pygame.Surface, text: str, pos: tuple[int, int], font: pygame.font.Font, color
    ) -> None:
        surface.blit(font.render(text, True, color), pos)
