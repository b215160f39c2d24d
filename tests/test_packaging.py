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


def test_every_public_module_has_an_api_page():
    """review10: robokin.ik's and robokin.workspace's submodules (solver, tasks, maps, sampling, ...) had no
    page; every module whose dotted name has no part starting with ``_`` is documented in docs/api/."""
    documented = set()
    for page in (ROOT / "docs" / "api").glob("*.rst"):
        documented |= set(re.findall(r"^\.\. automodule:: (\S+)$", page.read_text(encoding="utf-8"), flags=re.M))
    public = {
        ".".join(path.with_suffix("").relative_to(ROOT).parts).removesuffix(".__init__")
        for path in (ROOT / "robokin").rglob("*.py")
    }
    public = {name for name in public if not any(part.startswith("_") for part in name.split("."))}
    public.discard("robokin")  # the namespace: api/index.rst's table, generated from robokin.__all__
    assert "robokin.ik.solver" in public and "robokin.workspace.maps" in public
    missing = public - documented
    assert not missing, f"public modules without an automodule in docs/api/: {sorted(missing)}"


def test_no_file_of_the_repository_points_to_a_folder_beside_it():
    """review13: a clone's `python benchmarks/kinematics.py` without peers said "install
    ../shared/peers-requirements.txt to compare", a file beside the repository on the machine it was written on,
    which a clone does not have."""
    names = [*ROOT.glob("*.md"), *ROOT.glob("*.toml")]
    for folder in ("robokin", "benchmarks", "demos", "docs", "tests"):
        names += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md", ".rst", ".toml", ".yaml")]
    outside = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in names
        if path.resolve() != Path(__file__).resolve()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\.\./shared/", line)
    ]
    assert not outside, f"paths beside the repository: {outside}"
