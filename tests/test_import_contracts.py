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


NOT_DOMAINS = frozenset({"pingan.api", "pingan.web"})
"""Packages with a ``views.py`` that are the HTTP layer, not a domain."""


def domain_packages(package: Path) -> set[str]:
    """``pingan.<name>`` of every domain or service package: a package with its own
    ``models.py``, ``service.py`` or ``views.py`` (the HTTP layer aside)."""
    return {
        f"pingan.{entry.name}"
        for entry in package.iterdir()
        if (entry / "__init__.py").is_file()
        and any((entry / f"{f}.py").is_file() for f in ("models", "service", "views"))
    } - NOT_DOMAINS


def domains_missing_a_rule(package: Path, contracts: list[dict[str, Any]]) -> list[str]:
    """Each domain must be in all three "domains" lists: a source of the contract that keeps
    domains off the pages and the CLI, a container of a layers contract (views → flows → …),
    and forbidden to the kernels (unless a kernel lives inside it: ``evaluation.scoring``)."""
    by_name = {c["name"]: c for c in contracts}
    apart = by_name["Domains and the store never import the pages, the CLI, the server or the demo"]
    kernels = by_name["Pure kernels import no database, web, CLI or domain module"]
    containers = {m for c in contracts for m in c.get("containers", [])}
    hosts = {".".join(m.split(".")[:2]) for m in kernels["source_modules"] if m.count(".") > 1}
    out = []
    for name in sorted(domain_packages(package)):
        if name not in apart["source_modules"]:
            out.append(f"{name}: not a source of {apart['name']!r}")
        if name not in containers:
            out.append(f"{name}: not a container of a layers contract")
        if name not in kernels["forbidden_modules"] and name not in hosts:
            out.append(f"{name}: not forbidden to the kernels")
    return out


def test_every_domain_is_in_every_domains_list() -> None:
    missing = domains_missing_a_rule(PACKAGE, _contracts())
    assert missing == [], "add it to every list marked 'domains' in pyproject.toml: " + "; ".join(
        missing
    )
    assert {"pingan.incidents", "pingan.dispatch", "pingan.ratings"} <= domain_packages(PACKAGE)


def test_a_new_domain_in_one_list_only_is_reported(tmp_path: Path) -> None:
    (tmp_path / "newdomain").mkdir()
    (tmp_path / "newdomain" / "__init__.py").write_text("")
    (tmp_path / "newdomain" / "views.py").write_text("")
    contracts = _contracts()
    for c in contracts:  # placed as a source of the domains-apart contract only
        if c["name"].startswith("Domains and the store"):
            c["source_modules"] = [*c["source_modules"], "pingan.newdomain"]
    assert unplaced(tmp_path, contracts) == []
    assert domains_missing_a_rule(tmp_path, contracts) == [
        "pingan.newdomain: not a container of a layers contract",
        "pingan.newdomain: not forbidden to the kernels",
    ]
