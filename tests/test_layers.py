"""The import-linter layers contract of pyproject.toml holds (one-way imports, no circle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_layers_contract_is_kept(monkeypatch, capsys):
    cli = pytest.importorskip("importlinter.cli")
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))
    code = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 kept, 0 broken" in out


def test_no_module_imports_another_modules_private_names():
    """``from .x import _name`` and ``x._name`` across modules are what the layers do not catch."""
    offences = []
    for path in sorted((ROOT / "robokin").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        here = path.relative_to(ROOT).with_suffix("")
        package = here.parent.name if path.name != "__init__.py" else here.name
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                target = node.module.split(".")[-1]
                same_package = node.level == 1 and package == "autodiff" and target.startswith("_")
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__") and not same_package:
                        offences.append(f"{here}: from {node.module} import {alias.name}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (
                    node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and node.value.id
                    in {
                        "kinematics",
                        "singularity",
                        "model",
                        "validation",
                        "measures",
                        "ik",
                        "spatial",
                        "format",
                        "urdf",
                        "loading",
                        "trajectory",
                        "viz",
                        "cli",
                        "autodiff",
                    }
                ):
                    offences.append(f"{here}: {node.value.id}.{node.attr}")
    assert not offences, "\n".join(offences)
