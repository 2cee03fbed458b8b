"""The rate limiter: the replay ratio stays what the settings say, however many actors feed the learner.

The ratio is counted in updates per inserted transition (``1 / train_every``; with batches of B that is
B / train_every samples per insert, as in a local run). Before ``min_inserts`` transitions no update
is due. After that, the updates due are exactly ``floor((inserted - min_inserts) * ratio)`` minus
those made: a fast fleet cannot make the learner skip updates, and a fast learner cannot update more
often than the data allows. Fast actors are held back instead: ``inserts_allowed`` says how many more
transitions may come before the learner has caught up to within ``max_lead`` transitions.
"""

from __future__ import annotations

import math


class RateLimiter:
    """Counts inserts and updates, and says how many of each may happen now.

    Args:
        updates_per_insert: the replay ratio, in updates per transition (> 0).
        min_inserts: transitions before the first update (the settings' ``learning_starts``).
        max_lead: transitions the actors may be ahead of the updates the learner owes for them.
        inserted: transitions already inserted (a resumed run); the updates they owe count as made.
    """

    def __init__(self, updates_per_insert: float, min_inserts: int, max_lead: int, inserted: int = 0):
        if updates_per_insert <= 0:
            raise ValueError(f"updates_per_insert must be above 0, not {updates_per_insert}")
        if max_lead < 1:
            raise ValueError(f"max_lead must be at least 1, not {max_lead}")
        self.updates_per_insert = updates_per_insert
        self.min_inserts = min_inserts
        self.max_lead = max_lead
        self.inserted = inserted
        self.updates = self._owed(inserted)

    def _owed(self, inserted: int) -> int:
        """Updates owed for ``inserted`` transitions since the start."""
        if inserted < self.min_inserts:
            return 0
        return math.floor((inserted - self.min_inserts) * self.updates_per_insert + 1e-9)

    def record_inserts(self, count: int) -> None:
        self.inserted += count

    def record_updates(self, count: int = 1) -> None:
        self.updates += count

    def updates_allowed(self) -> int:
        """Updates that may be made now."""
        return max(0, self._owed(self.inserted) - self.updates)

    def inserts_allowed(self) -> int:
        """Transitions that may be inserted before the learner must catch up (can be 0)."""
        if self.inserted < self.min_inserts:
            return self.min_inserts - self.inserted + self.max_lead
        behind = (self._owed(self.inserted) - self.updates) / self.updates_per_insert  # in transitions
        return max(0, math.floor(self.max_lead - behind))

    @property
    def ratio(self) -> float:
        """Updates made per transition inserted since learning started (0 before)."""
        learned_from = self.inserted - self.min_inserts
        return self.updates / learned_from if learned_from > 0 else 0.0
