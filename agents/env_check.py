"""Gymnasium's env checker run once on a spare copy of an env, its complaints turned into one phrase.

An env from elsewhere may break gymnasium's rules (a reset that ignores its seed, no render mode,
observations outside their space) and still be worth training on: the trainer goes on, and the
person is told once what the env breaks, instead of a stream of warnings from every step.
"""

from __future__ import annotations

import contextlib
import re
import warnings

import gymnasium as gym
from gymnasium.utils.env_checker import check_env

MAX_PHRASE_CHARS = 160  # a complaint longer than this is cut, so the warning stays one line
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _phrase(text: str) -> str:
    line = _ANSI.sub("", text).strip().splitlines()[0] if text.strip() else ""
    line = line.removeprefix("WARN: ").strip().split(". ")[0].rstrip(".")
    return line if len(line) <= MAX_PHRASE_CHARS else line[: MAX_PHRASE_CHARS - 3] + "..."


def env_check_problems(env: gym.Env) -> list[str]:
    """What gymnasium's ``check_env`` finds wrong with ``env`` (empty when nothing), one phrase each.

    ``env`` is a spare copy: the checker resets and steps it. Its exceptions and warnings are caught,
    never raised; the env is closed afterwards.
    """
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check_env(env.unwrapped, skip_render_check=env.render_mode is None)
        except Exception as error:  # the checker asserts; any failure is a finding, not a crash
            problems.append(_phrase(str(error)) or type(error).__name__)
        finally:
            with contextlib.suppress(Exception):  # a close that fails says no more than the checker did
                env.close()
    problems += [_phrase(str(w.message)) for w in caught if _phrase(str(w.message))]
    if env.render_mode is None:
        problems.append("it has no render mode")
    return list(dict.fromkeys(problems))


def summary(problems: list[str]) -> str:
    """The problems as one phrase: as many as fit in MAX_PHRASE_CHARS, and how many more."""
    shown = [problems[0]]
    for problem in problems[1:]:
        if len("; ".join([*shown, problem])) > MAX_PHRASE_CHARS:
            break
        shown.append(problem)
    more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
    return "; ".join(shown) + more
