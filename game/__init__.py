"""Everything a player sees, touches and plays, on three floors: the games (``catalog``, ``presets``,
``arcade``, ``atari``), what a person does with them (``modes``) and the Pygame front end (``ui``)."""
