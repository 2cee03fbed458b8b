"""Everything that learns. Knows gymnasium, torch and numpy; nothing of games or windows."""
