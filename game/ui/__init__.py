"""The Pygame front end: the only package that imports pygame."""
