"""The arrows of the house run one way: main -> game.ui -> game.modes -> the games -> agents.

Every module of ``game`` and ``agents`` (and ``main.py``) is found by walking the folders, and every
import in it is read with ``ast``, those inside functions included, so that an import made only
when a function runs counts as much as one made at load time.
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agents", "game")

# Floors, lowest first: a module may import its own floor and any floor below it, never one above.
# "x.*" is the package x and everything in it; a plain name is that one module.
FLOORS = (
    ("agents", ("agents.*",)),
    ("games", ("game.errors", "game.arcade.*", "game.atari.*")),
    ("catalog", ("game", "game.catalog", "game.gym_games", "game.places", "game.presets")),
    ("modes", ("game.modes.*",)),
    ("ui", ("game.ui.*",)),
    ("main", ("main",)),
)
PYGAME_FLOORS = ("ui", "main")  # the only floors that may import pygame (main never does, but may)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported} ({self.why})"


def floor_of(module: str) -> str | None:
    """The floor ``module`` stands on, None when it is off the map."""
    for floor, names in FLOORS:
        for name in names:
            package = name.removesuffix(".*")
            if module == package or (name.endswith(".*") and module.startswith(package + ".")):
                return floor
    return None


def modules_under(root: Path) -> dict[str, Path]:
    """Every module of the project's packages, found by walking them, and main.py."""
    found = {"main": root / "main.py"}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports_of(path: Path, module: str, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth, relative ones resolved; a project
    name is judged by the module it lives in (``game.catalog.find_game`` -> ``game.catalog``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    found = set()
    for line, name in names:
        while name not in modules and "." in name and name.split(".")[0] in (*PACKAGES, "main"):
            name = name.rpartition(".")[0]  # a class or function imported from a module
        found.add((line, name))
    return sorted(found)


def violations(root: Path) -> list[Violation]:
    """Every import under ``root`` that runs up the house or loads pygame outside the UI, and every
    module that stands on no floor."""
    modules = modules_under(root)
    order = [floor for floor, _ in FLOORS]
    found = []
    for module, path in modules.items():
        floor = floor_of(module)
        where = str(path.relative_to(root))
        if floor is None:
            found.append(Violation(where, 1, module, "-", "a module off the map: give its folder a floor"))
            continue
        for line, imported in imports_of(path, module, modules):
            if imported.split(".")[0] == "pygame" and floor not in PYGAME_FLOORS:
                found.append(Violation(where, line, module, imported, f"pygame on the {floor} floor"))
            target = floor_of(imported) if imported in modules else None
            if target is not None and order.index(target) > order.index(floor):
                found.append(Violation(where, line, module, imported, f"the {floor} floor up to {target}"))
    return found


def test_every_module_stands_on_a_floor_and_every_arrow_runs_down():
    problems = violations(ROOT)
    assert not problems, "\n".join(map(str, problems))


def test_the_walk_finds_every_floor():
    floors = {floor_of(name) for name in modules_under(ROOT)}
    assert floors == {floor for floor, _ in FLOORS}
    assert {"game.modes.runs", "game.ui.scenes.kiosk.scene", "game.atari.duel", "agents.networks"} <= set(
        modules_under(ROOT)
    )


def plant(tmp_path: Path, relative: str, code: str) -> Path:
    """A copy of the project's packages with ``code`` appended to one file."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "main.py", tmp_path / "main.py")
    target = tmp_path / relative
    target.write_text(target.read_text() + code)
    return target


def test_an_import_up_the_house_inside_a_function_is_caught(tmp_path):
    target = plant(tmp_path, "game/modes/players.py", "\n\ndef _planted():\n    from game.ui import app\n")
    line = len(target.read_text().splitlines())
    problems = [str(v) for v in violations(tmp_path)]
    assert problems == [
        f"game/modes/players.py:{line}: game.modes.players imports game.ui.app (the modes floor up to ui)"
    ]


def test_pygame_and_games_in_agents_are_caught(tmp_path):
    plant(tmp_path, "agents/dqn.py", "\n\ndef _planted():\n    import pygame\n    import game.catalog\n")
    problems = [v.why for v in violations(tmp_path)]
    assert problems == ["pygame on the agents floor", "the agents floor up to catalog"]


def test_a_game_importing_the_catalog_and_a_module_off_the_map_are_caught(tmp_path):
    plant(tmp_path, "game/arcade/catch.py", "\nfrom game.catalog import find_game\n")
    (tmp_path / "game" / "extras").mkdir()
    (tmp_path / "game" / "extras" / "__init__.py").write_text("")
    problems = sorted(v.why for v in violations(tmp_path))
    assert problems == ["a module off the map: give its folder a floor", "the games floor up to catalog"]
