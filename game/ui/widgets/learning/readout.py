"""The Bellman readout: one showcase transition's n-step target written out term by term, as the update
that learned from it computed it (:class:`game.modes.insight.BellmanReadout`), then how far that
update moved Q(s, a) toward it.

The terms line up on their "=" like a sum on paper; when the card is short, the middle reward terms
fold into one line and the notes give way first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from game.modes.insight import BellmanReadout
from game.ui import theme
from game.ui.widgets.draw import TRACK, elide
from game.ui.widgets.learning.panel import (
    ARROW,
    GHOST,
    TARGET_NET,
    CachedPanel,
    Segment,
    Sizes,
    blit_picture,
    draw_waiting,
    number,
    picture_surface,
    render_line,
    sign_color,
    signed,
)
from game.ui.widgets.qbars import HUMAN
from game.ui.widgets.text import draw_text

PICTURE_MAX_PX = 120  # the before / after pictures grow into the card's spare height up to this
PICTURE_SPARE_SHARE = 0.6  # ... taking this share of it (the rest spaces the lines out)
ROW_PITCH_MAX = 1.6  # lines spread out to at most this many line heights apart
LABEL_SHARE = 0.56  # the label column takes at most this share of the width
SUPERSCRIPTS = {1: "", 2: "²", 3: "³"}  # the bundled font has no superscript past ³: γ^4 from there
NOTE, RULE = "note", "rule"  # rows that are a remark across the card, and the line under the sum

DIM = theme.TEXT_DIM
TEXT = theme.TEXT


@dataclass(frozen=True)
class Row:
    """One line of the readout: a label right-aligned in its column, then its value."""

    label: str
    value: list[Segment]
    drop: int = 0
    """0: always shown; higher rows give way first when the card is short"""
    kind: str = ""
    """"": label and value; NOTE: a remark across the card; RULE: the line under the sum"""
    term: bool = False
    """a reward term between the first and the last (they fold into one line when short)"""
    extra: tuple[Segment, ...] = ()
    """words after the value, shown where the line has room for all of them"""

    @property
    def text(self) -> str:
        value = "".join(t for t, _ in [*self.value, *self.extra])
        return " ".join(s for s in [self.label, value] if s)


def gamma_power(k: int) -> str:
    """γ, γ², γ³, γ^4 ... (empty for k = 0)."""
    return "" if k <= 0 else "γ" + SUPERSCRIPTS.get(k, f"^{k}")


def readout_rows(r: BellmanReadout, labels: list[str]) -> list[Row]:
    """The readout as lines, top to bottom: the reward terms, the bootstrap, the target, the update."""

    def name(a: int) -> str:
        return labels[a] if 0 <= a < len(labels) else f"A{a}"

    k = r.steps
    rows = []
    for j, (discount, reward) in enumerate(zip(r.discounts, r.rewards, strict=True)):
        if j == 0:
            rows.append(Row("r_t", [("= ", DIM), (signed(reward), sign_color(reward))]))
            continue
        value = [("= ", DIM), (f"{discount:.3f}", TEXT), (" × ", DIM), (signed(reward), sign_color(reward))]
        rows.append(Row(f"{gamma_power(j)}·r_t+{j}", value, term=j < k - 1))
    if r.bootstrap_discount == 0 and r.ended == "terminated":
        rows.append(Row(f"+ {gamma_power(k)}·Q_target", [("game over: nothing to bootstrap", theme.ACCENT)]))
    else:
        q = [
            ("= ", DIM),
            (f"{r.bootstrap_discount:.3f}", TEXT),
            (" × ", DIM),
            (f"{r.next_q_target:.3f}", TARGET_NET),
        ]
        rows.append(Row(f"{gamma_power(k)}·Q_target(s', a'={name(r.next_action)})", q))
        who = (
            "Double DQN: online picks a', target values it" if r.double_dqn else "target picks and values a'"
        )
        rows.append(Row("", [(who, TARGET_NET)], drop=3, kind=NOTE))
        if r.ended == "truncated":
            rows.append(Row("", [("cut by the time limit: still bootstraps", theme.ACCENT)], 1, NOTE))
        elif r.ended == "cut":
            note = f"the stream moved on after {k} step{'s' if k != 1 else ''}: bootstraps from there"
            rows.append(Row("", [(note, DIM)], drop=1, kind=NOTE))
    rows.append(Row("", [], kind=RULE))
    marked = (("   marked on the Q-bars", DIM),)
    rows.append(Row("target y", [("= ", DIM), (number(r.target), GHOST)], extra=marked))
    moved = [(number(r.q_before) + " ", TEXT), (ARROW, DIM), (" " + number(r.q_after), TEXT)]
    rows.append(Row("Q_online(s,a)", moved, extra=((" after the update", DIM),)))
    delta = [("= ", DIM), (signed(r.td_error), sign_color(r.td_error))]
    rows.append(Row("TD error δ", delta, extra=(("   (y − Q)", DIM),)))
    kappa = f"{r.huber_delta:g}"
    if r.huber_delta <= 0:
        huber = [("squared loss: the full δ pulls", DIM)]
    elif r.clipped:
        huber = [(f"|δ| > κ={kappa}: the pull is clipped to ±{kappa}", theme.ACCENT)]
    else:
        huber = [(f"|δ| ≤ κ={kappa}: the full δ pulls", DIM)]
    rows.append(Row("", huber, drop=1, kind=NOTE))
    if r.weight != 1:
        rows.append(Row("", [(f"importance weight {r.weight:.2f} scales the pull", DIM)], drop=2, kind=NOTE))
    return rows


def fit_rows(rows: list[Row], room: int) -> list[Row]:
    """At most ``room`` rows: first the middle reward terms fold into one, then rows give way by ``drop``."""
    rows = list(rows)
    terms = [row for row in rows if row.term]
    if len(rows) > room and len(terms) > 1:
        at = rows.index(terms[0])
        rows = [row for row in rows if not row.term]
        rows.insert(at, Row("…", [(f"{len(terms)} more reward terms", DIM)]))
    while len(rows) > room:
        worst = max(row.drop for row in rows)
        if worst == 0:
            return rows[:room]
        last = max(i for i, row in enumerate(rows) if row.drop == worst)
        del rows[last]
    return rows


class ReadoutPanel(CachedPanel):
    """The Bellman target of the latest traced update, term by term, with the states it joined."""

    color = GHOST

    def __init__(self, labels: list[str]):
        super().__init__()
        self.labels = labels
        self.view: BellmanReadout | None = None
        self._pictures: tuple[pygame.Surface, pygame.Surface] | None = None

    def set(self, view: BellmanReadout | None) -> None:
        """A new readout (None: none yet); its pictures become surfaces now, once."""
        if view is not None:
            assert len(view.rewards) == len(view.discounts) >= 1, (view.rewards, view.discounts)
        self.view = view
        self._pictures = None
        if view is not None and view.before is not None and view.after is not None:
            self._pictures = (picture_surface(view.before), picture_surface(view.after))
        self.changed()

    def lines(self) -> list[str]:
        """The readout's lines as plain text (all of them, whether the card has room or not)."""
        return [] if self.view is None else [row.text for row in readout_rows(self.view, self.labels)]

    def header(self) -> tuple[str, str]:
        return "BELLMAN TARGET", "" if self.view is None else f"update #{self.view.update:,}"

    def badge(self) -> tuple[str, tuple[int, int, int]] | None:
        return ("DEMO", HUMAN) if self.view is not None and self.view.demo else None

    def render(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes) -> None:
        r = self.view
        if r is None:
            draw_waiting(image, body, "waiting for the first update…", sizes)
            return
        rule_h = sizes.line_h // 2
        states_h = self._states_height(sizes)
        rows = fit_rows(readout_rows(r, self.labels), (body.height - states_h + rule_h) // sizes.line_h)
        rows_h = len(rows) * sizes.line_h - (rule_h if any(row.kind == RULE for row in rows) else 0)
        spare = max(0, body.height - states_h - rows_h)
        grow = 0
        if self._pictures is not None:
            grow = min(PICTURE_MAX_PX - self._picture_height(sizes), int(spare * PICTURE_SPARE_SHARE))
            grow = max(0, grow)
        top = self._draw_states(image, body, sizes, grow)
        units = sum(0.5 if row.kind == RULE else 1.0 for row in rows)  # the rule takes half a line
        room = body.bottom - top
        pitch = min(sizes.line_h * ROW_PITCH_MAX, max(sizes.line_h, room / max(1.0, units)))
        top += max(0, int(room - pitch * units) // 4)  # what the lines leave, mostly below them
        self._draw_rows(image, pygame.Rect(body.x, top, body.width, body.bottom - top), rows, sizes, pitch)

    def _picture_height(self, sizes: Sizes) -> int:
        return 3 * sizes.line_h

    def _states_height(self, sizes: Sizes) -> int:
        """The least height the states take (pictures grow from there)."""
        if self._pictures is not None:
            return self._picture_height(sizes) + sizes.small_h + sizes.pad
        return 3 * sizes.line_h + sizes.pad

    def _action(self) -> str:
        a = self.view.action
        return self.labels[a] if 0 <= a < len(self.labels) else f"A{a}"

    def _draw_states(self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes, grow: int) -> int:
        """s_t, the action, and s' (pictures, or rows of numbers); returns the y below them."""
        r = self.view
        color = HUMAN if r.demo else theme.GOOD
        later = f"s' ({r.steps} step{'s' if r.steps != 1 else ''} on)"
        if self._pictures is None:
            return self._draw_numbers(image, body, sizes, color, later)
        pic_h = self._picture_height(sizes) + grow
        middle_w = max(
            theme.font(sizes.text_px, True).size(self._action())[0] + 2 * sizes.pad, 4 * sizes.line_h
        )
        box = pygame.Rect(body.x, body.y, min(pic_h * 4 // 3, (body.width - middle_w) // 2), pic_h)
        before = blit_picture(image, self._pictures[0], box, corner=True)
        box.x = before.right + middle_w
        after = blit_picture(image, self._pictures[1], box, corner=True)
        small = theme.font(sizes.small_px)
        for rect, text in ((before, "s_t"), (after, later)):
            pygame.draw.rect(image, TRACK, rect.inflate(2, 2), width=1)
            caption = elide(text, small, body.right - rect.x)
            draw_text(image, caption, (rect.x, rect.bottom + 2), sizes.small_px, theme.TEXT_DIM)
        mid = (before.right + after.left) // 2
        draw_text(
            image, self._action(), (mid, before.centery - 2), sizes.text_px, color, "midbottom", bold=True
        )
        arrow = render_line([(ARROW, theme.TEXT_DIM)], sizes.text_px, middle_w)
        image.blit(arrow, arrow.get_rect(midtop=(mid, before.centery + 2)))
        return before.bottom + sizes.small_h + sizes.pad

    def _draw_numbers(
        self, image: pygame.Surface, body: pygame.Rect, sizes: Sizes, color: tuple[int, int, int], later: str
    ) -> int:
        """A vector game's states as two rows of numbers in columns, the action between them."""
        r = self.view
        font = theme.font(sizes.text_px)
        states = [s for s in (r.state_before, r.state_after) if s is not None]
        texts = [[signed(v) for v in state] for state in states]
        column_w = max((font.size(t)[0] for row in texts for t in row), default=0) + font.size("  ")[0]
        label_w = font.size("s_t ")[0]
        more_w = theme.font(sizes.small_px).size(" … 99 more")[0]  # room kept for the "more" note
        y = body.y
        for name, row in zip(("s_t", "s'"), texts, strict=False):
            draw_text(image, name, (body.x, y), sizes.text_px, theme.TEXT_DIM)
            x = body.x + label_w
            for i, text in enumerate(row):
                last = i == len(row) - 1
                if x + column_w + (0 if last else more_w) > body.right:
                    draw_text(image, f"… {len(row) - i} more", (x, y), sizes.small_px, theme.TEXT_DIM)
                    break
                draw_text(image, text, (x + column_w, y), sizes.text_px, theme.TEXT, "topright")
                x += column_w
            y += sizes.line_h
            if name == "s_t":
                step = [
                    ("a_t = ", DIM),
                    (self._action(), color),
                    ("  ", DIM),
                    (ARROW, DIM),
                    ("  " + later, DIM),
                ]
                image.blit(render_line(step, sizes.text_px, body.width, bold=False), (body.x, y))
                y += sizes.line_h
        return y + sizes.pad

    def _draw_rows(
        self, image: pygame.Surface, area: pygame.Rect, rows: list[Row], sizes: Sizes, pitch: float
    ) -> None:
        font = theme.font(sizes.text_px)
        gap = font.size(" ")[0]
        widest = max((font.size(row.label)[0] for row in rows if row.kind == ""), default=0)
        label_w = min(widest, int(area.width * LABEL_SHARE))
        value_x = area.x + label_w + gap
        y = float(area.y)
        for row in rows:
            mid = round(y + pitch / 2)
            if row.kind == RULE:
                pygame.draw.line(
                    image,
                    theme.PANEL_EDGE,
                    (value_x, round(y + pitch / 4)),
                    (area.right, round(y + pitch / 4)),
                )
                y += pitch / 2
                continue
            if row.kind == NOTE:
                note = render_line(row.value, sizes.small_px, area.width)  # under the values, or as far
                left = max(area.x, min(value_x, area.right - note.get_width()))  # left as it needs
                image.blit(note, note.get_rect(midleft=(left, mid)))
            else:
                label = render_line([(row.label, DIM)], sizes.text_px, label_w)
                image.blit(label, label.get_rect(midright=(area.x + label_w, mid)))
                bold = row.label == "target y"
                room = area.right - value_x
                value = render_line([*row.value, *row.extra], sizes.text_px, room, bold=bold)
                if row.extra and value.get_width() >= room:  # the extra words only where they fit whole
                    value = render_line(row.value, sizes.text_px, room, bold=bold)
                image.blit(value, value.get_rect(midleft=(value_x, mid)))
            y += pitch
