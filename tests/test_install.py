"""A plain (non-editable) install carries everything the program loads: main.py, game/, agents/ and the
shipped agents of assets/ (inside game/assets, as pyproject.toml maps them)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "main.py",
    "game",
    "agents",
    "assets",
)  # what a build reads
INSTALLED_ASSETS = "game/assets"  # where the wheel keeps assets/ (pyproject.toml's package-dir)
SETUPTOOLS_WITH_WHEELS = (70, 1)  # the first setuptools that builds wheels without the wheel package
BUILD_TIMEOUT_S = 300  # copying 45 MB of agents and zipping them, on a busy two-core machine


def _settings() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_game_and_agents_is_listed_for_the_wheel():
    folders = {
        ".".join(folder.relative_to(ROOT).parts)
        for top in ("game", "agents")
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
    }
    listed = set(_settings()["packages"])
    assert folders - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert listed - folders == {"game.assets"}, "these listed packages have no folder: drop them"
    assert _settings()["package-dir"] == {"game.assets": "assets"}


def _local_setuptools() -> bool:
    """Whether this environment's setuptools can build the wheel offline."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    version = tuple(int(part) for part in metadata.version("setuptools").split(".")[:2])
    return version >= SETUPTOOLS_WITH_WHEELS


@pytest.mark.slow
def test_the_wheel_holds_the_code_and_every_shipped_agent(tmp_path):
    # A copy: a build in the checkout would leave build/ there, whose stale files the next wheel takes.
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    isolation = ["--no-build-isolation"] if _local_setuptools() else []  # else pip fetches setuptools
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", *isolation,
         "-w", str(tmp_path / "wheels")],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [wheel] = (tmp_path / "wheels").glob("q_arcade-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "main.py" in names
    for package in ("game", "agents"):
        expected = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / package).rglob("*.py")
            if "__pycache__" not in path.parts
        }
        assert expected - names == set(), f"the wheel lacks these files of {package}/"
    manifest = json.loads((ROOT / "assets" / "agents" / "agents.json").read_text())
    shipped = {entry["file"] for stages in manifest.values() for entry in stages.values()}
    assert shipped, "agents.json lists no agent"
    expected = {f"{INSTALLED_ASSETS}/agents/{name}" for name in ["agents.json", *shipped]}
    assert expected - names == set(), "the wheel lacks these shipped agents"
    assert not any(name.startswith(("assets/", "tests/")) for name in names), "a generic top-level folder"
