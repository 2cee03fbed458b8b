"""The arena's "how it learns" layer: panels that draw the worker's views of learning
(``game.modes.insight``), each rendered once per new view and blitted every frame.

``layer`` lays them out and feeds them; ``panel`` holds what every panel shares.
"""
