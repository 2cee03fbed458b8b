"""Which match a game offers a person against a trained agent: versus on two-player games, a race
on one-player games, or none (each mode's own check decides and says why not)."""

from __future__ import annotations

from game.catalog import GameSpec
from game.errors import UserError
from game.modes.race import check_race
from game.modes.versus import check_versus

MATCH_CHECKS = {"versus": check_versus, "race": check_race}  # in the order a game is offered them


def match_kind(spec: GameSpec) -> str | None:
    """'versus' for games a person plays against an agent, 'race' for one-player games, else None."""
    for kind, check in MATCH_CHECKS.items():
        try:
            check(spec)
        except UserError:
            continue
        return kind
    return None
