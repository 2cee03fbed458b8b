"""One class per screen: menu, play (and, later, arena, versus, race, kiosk)."""
