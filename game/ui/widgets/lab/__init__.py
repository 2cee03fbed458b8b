"""The Q-learning lab's widgets: a method's grid, the error plot, the backup card, the settings strip."""
