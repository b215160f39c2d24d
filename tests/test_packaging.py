"""The wheel ships every subpackage: a regular ``pip install .`` must not lose a folder of robokin/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r"^packages = (\[.*?\])$", text, flags=re.M)
    assert match, "pyproject.toml has no [tool.setuptools] packages list"
    listed = set(ast.literal_eval(match.group(1)))
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "robokin").rglob("__init__.py")}
    missing = on_disk - listed
    assert not missing, f"subpackages missing from pyproject's packages list: {sorted(missing)}"
    assert "robokin.robots" in listed  # the bundled robot files, mapped from robots/
