"""Every top-level package and module of ``src/pingan`` is placed under an import contract.

A package is placed when its own imports are constrained: it is a source module, a container or
a layer of some contract in ``pyproject.toml``'s ``[tool.importlinter]`` (being merely forbidden
to others does not count). ``lint-imports`` checks the contracts themselves.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pingan"


def top_level_names(package: Path) -> set[str]:
    """``pingan.<name>`` for every package (a folder with ``__init__.py``) and module in
    ``package``, except ``pingan`` itself."""
    names = set()
    for entry in package.iterdir():
        if entry.is_dir() and (entry / "__init__.py").is_file():
            names.add(f"pingan.{entry.name}")
        elif entry.suffix == ".py" and entry.stem != "__init__":
            names.add(f"pingan.{entry.stem}")
    return names


def constrained_names(contracts: list[dict[str, Any]]) -> set[str]:
    """The top-level ``pingan.<name>`` whose imports some contract constrains."""
    found: set[str] = set()
    for contract in contracts:
        modules = list(contract.get("source_modules", []))
        modules += contract.get("containers", [])
        if not contract.get("containers"):
            for layer in contract.get("layers", []):
                modules += [m.strip(" ()") for m in layer.split("|")]
        for module in modules:
            match = re.match(r"pingan\.([A-Za-z_][A-Za-z0-9_]*)", module)
            if match:
                found.add(f"pingan.{match.group(1)}")
    return found


def unplaced(package: Path, contracts: list[dict[str, Any]]) -> list[str]:
    """Top-level packages and modules not under any contract, sorted."""
    return sorted(top_level_names(package) - constrained_names(contracts))


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_every_top_level_package_is_under_a_contract() -> None:
    missing = unplaced(PACKAGE, _contracts())
    assert missing == [], (
        f"{', '.join(missing)}: not under any import contract; add it to the contracts in "
        "pyproject.toml [tool.importlinter] (a domain goes in every list marked 'domains')"
    )


def test_a_new_package_without_a_contract_is_reported(tmp_path: Path) -> None:
    (tmp_path / "geo").mkdir()
    (tmp_path / "geo" / "__init__.py").write_text("")
    (tmp_path / "newdomain").mkdir()
    (tmp_path / "newdomain" / "__init__.py").write_text("")
    (tmp_path / "notes").mkdir()  # not a package: no __init__.py
    (tmp_path / "server.py").write_text("")
    assert unplaced(tmp_path, _contracts()) == ["pingan.newdomain"]


@pytest.mark.parametrize(
    "contract",
    [
        {"type": "layers", "containers": ["pingan.newdomain"], "layers": ["(views)", "(service)"]},
        {"type": "layers", "layers": ["pingan.newdomain.views", "pingan.newdomain.service"]},
        {"type": "forbidden", "source_modules": ["pingan.newdomain"], "forbidden_modules": []},
    ],
)
def test_a_package_is_placed_by_any_kind_of_contract(tmp_path: Path, contract: Any) -> None:
    (tmp_path / "newdomain").mkdir()
    (tmp_path / "newdomain" / "__init__.py").write_text("")
    assert unplaced(tmp_path, [contract]) == []
    assert unplaced(
        tmp_path, [{"type": "forbidden", "forbidden_modules": ["pingan.newdomain"]}]
    ) == ["pingan.newdomain"]
