"""Everything a player sees, touches and plays: the catalog, the games and the Pygame front end."""
