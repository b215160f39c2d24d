"""Every demo in demos/ runs (with small frame counts), prints numbers with units and writes its file;
`robokin demo` writes its GIF and prints what it did. Headless (Agg)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import CHAIN_NAMES  # noqa: E402
from PIL import Image  # noqa: E402

import robokin  # noqa: E402
from robokin.cli import main as cli_main  # noqa: E402

DEMOS = Path(__file__).resolve().parent.parent / "demos"

pytestmark = [
    pytest.mark.filterwarnings("error::matplotlib.MatplotlibDeprecationWarning"),
]

# demo file → (extra arguments that keep it fast, the file it writes, units its output must show)
CASES = {
    "plot_robots.py": ([], "robots.png", ["[m]"]),
    "compare_jacobians.py": (["--samples", "4"], "jacobians.png", ["[m/s, rad/s per unit joint rate]", "µs"]),
    "solve_ik_targets.py": (["--targets", "3"], "ik_targets.png", ["[m]", "[rad]"]),
    "tour_singularities.py": (["--starts", "6", "--resolution", "21"], "singularities.png", ["[deg]", "σmin/σmax"]),
    "animate_pick_place.py": (["--frames", "3"], "pick_place.gif", [" m,", " m ", "deg"]),
    "load_custom_arm.py": ([], "my_arm.png", ["[m]", "deg", "RobotFormatError: OUT_DIR/my_arm_typo.yaml:19:5:"]),
    "plot_frames.py": ([], "frames.png", ["[m]", "last frame equals fk(q): True"]),
    "solve_ik_options.py": ([], "ik_options.png", ["[m]", "[rad]", "ms"]),
    "report_singularities.py": (["--starts", "6"], "singularity_kinds.png", ["[deg]", "SINGULAR: wrist"]),
    "compute_statics.py": (["--steps", "11"], "statics.png", ["[N·m]", " m/s "]),
    "solve_two_hand_task.py": (["--frames", "4", "--pairs", "10"], "two_hands.gif", [" m ", " rad", " ms "]),
    "map_workspace.py": (
        ["--samples", "2e4", "--voxel", "0.15"],
        "workspace.png",
        ["µs per sample", "m³", "equal bit for bit: True"],
    ),
}


def load_demo(name: str):
    spec = importlib.util.spec_from_file_location(name[:-3], DEMOS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_demo_is_covered():
    assert sorted(p.name for p in DEMOS.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_demo_runs_and_writes_its_file(name, tmp_path, capsys):
    extra, filename, units = CASES[name]
    module = load_demo(name)
    assert module.__doc__ and module.__doc__.strip()
    source = (DEMOS / name).read_text()
    assert 'if __name__ == "__main__":\n    main()' in source
    out = module.main([str(tmp_path), *extra])
    printed = capsys.readouterr().out
    assert out == tmp_path / filename and out.is_file() and out.stat().st_size > 1000
    assert f"wrote {out.resolve()}" in printed
    for unit in units:
        assert unit in printed, f"{name} should print {unit!r}"
    with Image.open(out) as im:
        im.load()
        assert im.size[0] > 100 and im.size[1] > 100


def test_pick_place_moves_are_straight(tmp_path, capsys):
    load_demo("animate_pick_place.py").main([str(tmp_path), "--frames", "4"])
    printed = capsys.readouterr().out
    distances = [float(d) for d in re.findall(r"distance from the line ≤ ([0-9.e+-]+) m", printed)]
    assert len(distances) == 4 and max(distances) < 1e-5
    assert "all reached = False" not in printed


def test_robokin_demo_writes_the_gif_and_says_where(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_main(["demo", "--frames", "9"]) == 0
    printed = capsys.readouterr().out
    gif = tmp_path / "robokin-demo.gif"
    # What the demo always printed first: the FK and the Jacobian of the arm.
    assert "T_world_tool =" in printed and "J (world frame; rows [v; ω]" in printed
    assert "Inverse kinematics: 3 targets" in printed and printed.count(" yes ") == 3
    assert "reached 3 of 3 targets" in printed
    assert "Singularities: smallest σmin/σmax" in printed
    assert f"wrote {gif.resolve()}" in printed
    with Image.open(gif) as im:
        assert im.n_frames == 9


def test_robokin_demo_out_option(tmp_path, capsys):
    out = tmp_path / "sub" / "demo.gif"
    out.parent.mkdir()
    assert cli_main(["demo", "--robot", "planar2r", "--frames", "2", "--out", str(out)]) == 0
    assert out.is_file()
    assert cli_main(["demo", "--frames", "2", "--out", str(tmp_path / "missing" / "x.gif")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_custom_arm_demo_reports_the_typo(tmp_path, capsys):
    """The deliberate mistake is caught and its message points at the misspelled key."""
    load_demo("load_custom_arm.py").main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert "unknown key 'axes'" in printed and "did you mean 'axis'?" in printed
    assert "limits [   0.000,    0.100] m" in printed  # the prismatic joint's 0..100 mm, in metres


def test_statics_demo_agrees_with_the_jacobian(tmp_path, capsys):
    load_demo("compute_statics.py").main([str(tmp_path), "--steps", "5"])
    printed = capsys.readouterr().out
    differences = [float(d) for d in re.findall(r"largest difference ([0-9.e+-]+)", printed)]
    assert len(differences) == 2 and max(differences) < 1e-12


def test_singularity_report_demo_names_each_kind(tmp_path, capsys):
    load_demo("report_singularities.py").main([str(tmp_path), "--starts", "6"])
    printed = capsys.readouterr().out
    for kind in ("wrist", "elbow", "shoulder"):
        assert f"--- {kind}: q = [" in printed and f"SINGULAR: {kind}" in printed


# ----------------------------------------------------------------------------------------- issue 11, item 1
@pytest.mark.parametrize("name", CHAIN_NAMES)  # the demo drives one serial chain; trees: solve_two_hand_task.py
def test_demo_ik_reaches_every_target_on_every_bundled_robot(name):
    """The demo's targets are poses of well-conditioned configurations inside the limits; IK reaches all."""
    from robokin import cli

    robot = robokin.load(name)
    _, q_start = cli.start_configuration(robot)
    goals = cli.demo_targets(robot, q_start)
    assert goals.shape == (cli.DEMO_TARGETS, robot.n)
    lo, hi = robot.limits.T
    assert np.all((goals >= lo) & (goals <= hi))
    ic = robokin.singularity.inverse_condition(robot, goals)
    assert np.all(ic >= cli.DEMO_MIN_INVERSE_CONDITION)
    T_targets, results = cli.demo_solutions(robot, q_start)
    for T_target, result in zip(T_targets, results):
        assert bool(result.success), name
        # Checked with fk, independently of the solver's own error report.
        T = robot.fk(result.q)
        assert np.linalg.norm(T[:3, 3] - T_target[:3, 3]) < 1e-5
        assert np.all((result.q >= lo - 1e-12) & (result.q <= hi + 1e-12))


def test_robokin_demo_on_a_users_own_file(tmp_path, capsys):
    """A hand-written 5R arm (no configurations, no speed limits, unlimited joints) gets a working demo."""
    arm = tmp_path / "my_arm.yaml"
    arm.write_text(
        "robokin: 1\nname: my_arm\nunits: {length: mm, angle: deg}\njoints:\n"
        "  - {name: j1, type: revolute, dh: {d: 300, alpha: 90}}\n"
        "  - {name: j2, type: revolute, dh: {a: 400}, limits: [-120, 120]}\n"
        "  - {name: j3, type: revolute, dh: {a: 350}, limits: [-150, 150]}\n"
        "  - {name: j4, type: revolute, dh: {alpha: 90}}\n"
        "  - {name: j5, type: revolute, dh: {d: 100}}\n"
    )
    out = tmp_path / "demo.gif"
    assert cli_main(["demo", "--robot", str(arm), "--frames", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "reached 3 of 3 targets" in printed and printed.count(" yes ") == 3
    with Image.open(out) as im:
        assert im.n_frames == 3


def test_robokin_demo_on_a_robot_with_two_end_effectors(tmp_path, capsys):
    """`robokin demo --robot baxter` drives the first end effector and says so (review8: it stopped with the
    library's "pass link=" message, an option the command did not have); --link chooses the other hand."""
    out = tmp_path / "baxter.gif"
    assert cli_main(["demo", "--robot", "baxter", "--frames", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "the demo drives left_gripper (--link FRAME to choose another)" in printed
    assert "T_world_left_gripper =" in printed and "reached 3 of 3 targets" in printed
    argv = ["demo", "--robot", "baxter", "--link", "right_gripper", "--frames", "2", "--out", str(out)]
    assert cli_main(argv) == 0
    printed = capsys.readouterr().out
    assert "T_world_right_gripper =" in printed and "the demo drives" not in printed
    robot = robokin.load("baxter")
    from robokin import cli

    q = cli.demo_start(robot, "right_gripper")[1]  # near 'neutral', where the arm is nearly singular
    xyz = [float(v) for v in printed.split("xyz [m]   =")[1].split("\n")[0].split()]
    np.testing.assert_allclose(xyz, robot.fk(q, link="right_gripper")[:3, 3], atol=1e-4)
    assert cli_main(["demo", "--robot", "baxter", "--link", "nose", "--frames", "2", "--out", str(out)]) == 1
    assert "link must be a frame of robot 'baxter'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, start",
    [("puma560", "nominal"), ("gen3", "home"), ("stanford", None), ("ur5", "ready"), ("baxter", None)],
)
def test_the_demo_starts_away_from_singularities(name, start):
    """review10: gen3 ('zero'), puma560 and stanford ('ready') started the demo at a singular configuration
    (frame 1 drawn red). The start is now the first named configuration that is well conditioned, else one
    sampled near the usual start; a well-conditioned usual start is kept."""
    from robokin import cli

    robot = robokin.load(name)
    link = robot.default_link or robot.end_effectors[0]
    usual_name, usual = cli.start_configuration(robot)
    got_name, q, why = cli.demo_start(robot, link)
    ic = float(robokin.singularity.inverse_condition(robot, q, link=link))
    assert ic >= cli.DEMO_MIN_INVERSE_CONDITION and robot.within_limits(q)
    assert got_name == start
    if start == usual_name:
        assert why == "" and np.array_equal(q, usual)
    else:
        assert why.startswith(f"configuration {usual_name!r} is near a singularity (σmin/σmax = ")
        if start is None:  # sampled near the usual start: within the sampling box
            lo, hi = robot.sampling_bounds.T
            assert np.all(np.abs(q - usual) <= cli.DEMO_SPREAD * (hi - lo) + 1e-12)
            assert why.endswith("the demo starts from a well-conditioned configuration near it")
        else:
            np.testing.assert_array_equal(q, robot.configurations[start])
