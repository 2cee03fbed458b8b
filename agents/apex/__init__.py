"""Ape-X (Horgan et al. 2018): actors that play with their own epsilons, one learner that holds the replay.

The logic lives here in plain classes that know nothing of Ray, so it is tested exactly in one process:

- :mod:`agents.apex.chunks`: what an actor sends: one environment's consecutive steps, each frame
  once and compressed; the learner turns a chunk back into the transitions its replay memory takes.
- :mod:`agents.apex.actor`: an actor: its environments, a network for acting, its epsilon.
- :mod:`agents.apex.limiter`: the rate limiter that holds the replay ratio whatever the actors' pace.
- :mod:`agents.apex.learner`: the learner (a :class:`agents.trainer.Trainer` fed by a fleet of
  actors instead of stepping games), and :class:`agents.apex.learner.InlineFleet`, a fleet that
  runs its actors in the learner's own process.

The Ray layer (``game.modes.apex_ray``) only moves requests and chunks between processes.
"""
