"""A tiny third-party package of gymnasium games, for the tests of bringing your own game."""
