"""Every test is headless: no window appears and no sound plays. Every test has a data folder of its own
(``game.places``): nothing a test runs writes runs/, datasets/, recordings/ or screenshots/ into the
checkout."""

import os

import pytest

from game.places import ENV_VAR

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as main.py sets it (see there)


@pytest.fixture(autouse=True, scope="session")
def session_data_folder(tmp_path_factory):
    """The data folder of module- and session-wide fixtures, which run before any test's own."""
    before = os.environ.get(ENV_VAR)
    folder = tmp_path_factory.mktemp("session-data")
    os.environ[ENV_VAR] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = before


@pytest.fixture(autouse=True)
def data_folder(session_data_folder, tmp_path_factory):
    """The test's own data folder, for the test and every process it starts (it is not made until
    something is written into it).

    Set by hand, not with ``monkeypatch``: an autouse fixture's monkeypatch would be the test's own,
    and its undoing would then come after the test's other fixtures are torn down."""
    folder = tmp_path_factory.mktemp("data") / "q-arcade"
    os.environ[ENV_VAR] = str(folder)
    yield folder
    os.environ[ENV_VAR] = str(session_data_folder)
