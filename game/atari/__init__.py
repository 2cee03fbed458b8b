"""Atari 2600 games through ale-py: the one-player environment with its training and display
frames (``env``), the C++ vector pool that trains on many at once (``pool``), and the two-player
duel played through PettingZoo (``duel``)."""
