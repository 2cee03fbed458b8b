"""One class per screen: menu, arena, play, versus, race and the kiosk."""
