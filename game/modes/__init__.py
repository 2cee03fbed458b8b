"""What a person does with a game, without pygame: one UI-free model per mode (the learning session
behind the arena, headless training, runs and players, versus, race and the kiosk). A scene in
``game.ui.scenes`` draws each one and turns input into its calls."""
