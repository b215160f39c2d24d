"""The README's Python examples run as written (in order, in a temporary folder) and print what they say."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own documentation
    plt.close("all")
    out = capsys.readouterr().out
    rate = float(re.search(r"^([01]\.\d+) \(1000, 7\)$", out, flags=re.M).group(1))
    assert rate >= 0.999  # the IK example's claim (the goal rate)
    assert "True" in out and "SINGULAR: wrist" in out
    assert (tmp_path / "arm.gif").stat().st_size > 0 and (tmp_path / "map.png").stat().st_size > 0
    assert namespace["followed"].success.all()


def test_readme_robot_file_example_loads():
    """The YAML example is a valid robot: a planar 2R arm whose tool is at (2, 0, 0) at home."""
    import numpy as np

    import robokin

    text = re.search(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S).group(1)
    robot = robokin.loads(text, path="README.md")
    np.testing.assert_allclose(robot.fk(robot.configurations["home"])[:3, 3], [2.0, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(np.degrees(robot.limits[1]), [-150, 150])
