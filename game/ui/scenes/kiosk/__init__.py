"""The kiosk's scene (``scene``), the learners and visitor games it runs (``games``), which input
lets a visitor in (``inputs``) and the name-entry screen (``name_entry``)."""
