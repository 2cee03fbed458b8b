"""What every home-made game shares: the opponent-policy type and key-name conventions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Policy = Callable[[np.ndarray, "np.ndarray | None"], int]
"""An opponent: ``policy(observation_from_its_side, action_mask_or_None) -> action``."""

KeyCombo = tuple[str, ...]
"""A set of held keys, as sorted pygame key names ("up", "space", "a", "1", ...)."""


def combo(*names: str) -> KeyCombo:
    """The canonical (sorted) form of a key combination."""
    return tuple(sorted(names))
