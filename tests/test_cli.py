"""The ``robokin`` command through ``main(argv)``: foundation subcommands (list, info, fk, jacobian, check)."""

from __future__ import annotations

import os
import re

import numpy as np

import robokin
from robokin.cli import main


def numbers_after(label: str, text: str) -> np.ndarray:
    line = next(line for line in text.splitlines() if line.startswith(label))
    return np.array([float(x) for x in re.findall(r"-?\d+\.\d+", line.split("=", 1)[1])])


def test_list_names_every_bundled_robot(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in robokin.list_robots():
        robot = robokin.load(name)
        kinds = "".join("R" if t == "revolute" else "P" for t in robot.joint_types)
        assert re.search(rf"^  {name}\s+{robot.n}\s+{kinds}\s+\S", out, re.M)
    assert re.match(r"  name\s+n\s+joints\s+description", out)


def test_info_shows_joint_table_in_degrees(capsys):
    assert main(["info", "puma560"]) == 0
    out = capsys.readouterr().out
    robot = robokin.load("puma560")
    assert f"n = {robot.n} joint variables" in out
    assert robot.source[:40] in out
    lo, hi = np.degrees(robot.limits[1])
    assert re.search(rf"shoulder\s+revolute\s+dh\s+{lo:.1f}\s+{hi:.1f}\s+deg", out)
    # The geometry table, as RTB's print(robot): a, alpha, d, theta per joint in m and deg.
    a, alpha, d, theta = robot.joints[2].dh
    assert re.search(
        rf"elbow\s+R\s+dh\s+{a:.6f}\s+{np.degrees(alpha):.4f}\s+{d:.6f}\s+q \+ {np.degrees(theta):.4f}", out
    )


def test_fk_prints_the_pose(capsys):
    robot = robokin.load("ur5")
    q_deg = [10, -40, 60, -20, 30, 5]
    assert main(["fk", "ur5", *map(str, q_deg), "--deg"]) == 0
    out = capsys.readouterr().out
    T = robot.fk(np.radians(q_deg))
    np.testing.assert_allclose(numbers_after("xyz [m]", out), T[:3, 3], atol=1e-4)
    R = robokin.spatial.rpy_to_matrix(numbers_after("rpy [rad]", out))
    np.testing.assert_allclose(R, T[:3, :3], atol=1e-3)


def test_fk_accepts_a_configuration_name(capsys):
    robot = robokin.load("puma560")
    assert main(["fk", "puma560", "ready"]) == 0
    xyz = numbers_after("xyz [m]", capsys.readouterr().out)
    np.testing.assert_allclose(xyz, robot.fk(robot.configurations["ready"])[:3, 3], atol=1e-4)


def test_jacobian_tool_frame(capsys):
    robot = robokin.load("panda")
    q = robot.configurations["home"]
    assert main(["jacobian", "panda", "home", "--frame", "tool"]) == 0
    out = capsys.readouterr().out
    J = robot.jacobian(q, frame="tool")
    for label, row in zip(["vx", "vy", "vz", "wx", "wy", "wz"], J):
        printed = [float(x) for x in out.split(f"\n  {label}", 1)[1].splitlines()[0].split()]
        np.testing.assert_allclose(printed, row, atol=1e-4)


def test_wrong_number_of_values_is_a_clear_error(capsys):
    assert main(["fk", "ur5", "0", "0"]) == 1
    err = capsys.readouterr().err
    assert "needs 6 values for ur5" in err and "shoulder" in err.lower()


def test_unknown_robot(capsys):
    assert main(["info", "no_such_robot"]) == 1
    assert "no bundled robot named 'no_such_robot'" in capsys.readouterr().err


def test_check_good_and_bad_files(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    robokin.save(robokin.load("planar2r"), good)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("type: revolute", "type: rotary", 1))
    assert main(["check", str(good)]) == 0
    assert "ok (planar2r, n = 2" in capsys.readouterr().out
    assert main(["check", str(good), str(bad), str(tmp_path / "missing.yaml")]) == 1
    out = capsys.readouterr().out
    assert re.search(rf"{re.escape(str(bad))}:\d+:\d+: .*rotary", out)
    assert "missing.yaml" in out and "Traceback" not in out


# ----------------------------------------------------------------------------------------- issue 11
import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from robokin import cli  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PANDA_URDF = ROOT / "tests" / "data" / "urdf" / "panda.urdf"  # leaves: the hand TCP and two fingers


def _many_leaves_urdf(k: int) -> str:
    """A 3-joint arm with ``k`` fixed sensor frames on its base, a camera on its flange and a tool0."""
    links = ["base", "l1", "l2", "flange", "tool0", "wrist_camera_optical_frame"] + [f"marker_{i}" for i in range(k)]
    joints = [
        ("j1", "revolute", "base", "l1"),
        ("j2", "revolute", "l1", "l2"),
        ("j3", "revolute", "l2", "flange"),
        ("flange_tool0", "fixed", "flange", "tool0"),
        ("cam", "fixed", "flange", "wrist_camera_optical_frame"),
    ]
    joints += [(f"m{i}", "fixed", "base", f"marker_{i}") for i in range(k)]
    text = '<robot name="many">' + "".join(f'<link name="{n}"/>' for n in links)
    for name, kind, parent, child in joints:
        limit = '<limit lower="-1" upper="1" effort="1" velocity="1"/>' if kind == "revolute" else ""
        text += (
            f'<joint name="{name}" type="{kind}"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>{limit}</joint>'
        )
    return text + "</robot>"


@pytest.mark.parametrize("command", ["info", "fk", "jacobian", "singular", "ik", "animate", "convert", "teach", "demo"])
def test_every_command_taking_a_robot_has_base_and_tip(command, tmp_path, capsys):
    """Item 2: a multi-leaf URDF works with every command once --tip chooses the chain."""
    robot = robokin.load(PANDA_URDF, tip="panda_hand_tcp")
    q = [str(v) for v in np.round(robot.limits.mean(axis=1), 6)]  # inside the limits
    target = [str(v) for v in np.round(robot.fk(robot.limits.mean(axis=1) + 0.1)[:3, 3], 6)]
    argv = {
        "info": ["info", str(PANDA_URDF)],
        "fk": ["fk", str(PANDA_URDF), *q],
        "jacobian": ["jacobian", str(PANDA_URDF), *q],
        "singular": ["singular", str(PANDA_URDF), *q],
        "ik": ["ik", str(PANDA_URDF), "--xyz", *target],
        "animate": ["animate", str(PANDA_URDF), "--to", *q, "--frames", "2", "--out", str(tmp_path / "a.gif")],
        "convert": ["convert", str(PANDA_URDF)],
        "teach": ["teach", str(PANDA_URDF)],
        "demo": ["demo", "--robot", str(PANDA_URDF), "--frames", "2", "--out", str(tmp_path / "d.gif")],
    }[command]
    status = main(argv + ["--base", "panda_link0", "--tip", "panda_hand_tcp"])
    captured = capsys.readouterr()
    assert "unrecognized arguments" not in captured.err and "Traceback" not in captured.err
    if command == "teach":  # loads the chain, then needs a display
        assert status == 1 and "interactive window" in captured.err
    else:
        assert status == 0, captured.err
    if command == "info":
        assert "joint7" in captured.out and "panda_finger_joint1" not in captured.out


def test_check_validates_a_multi_leaf_urdf_and_lists_its_leaves(tmp_path, capsys):
    assert main(["check", str(PANDA_URDF)]) == 0
    out = capsys.readouterr().out
    assert "ok (URDF robot 'panda'" in out and "panda_hand_tcp" in out and "panda_leftfinger" in out
    broken = tmp_path / "broken.urdf"
    broken.write_text(PANDA_URDF.read_text().replace('<child link="panda_leftfinger"/>', '<child link="nowhere"/>'))
    assert main(["check", str(broken)]) == 1  # a joint off any chosen chain is still validated
    assert re.search(r"broken\.urdf:\d+:\d+: .*names link 'nowhere'", capsys.readouterr().out)


def test_multi_leaf_error_lists_every_leaf_moving_chains_first_sensors_last(tmp_path, capsys):
    text = _many_leaves_urdf(25)
    with pytest.raises(robokin.RobotFormatError) as info:
        robokin.loads_urdf(text, base="base")  # a chain without tip (no base/tip loads the whole tree)
    assert robokin.loads_urdf(text).end_effectors[:2] == ("tool0", "wrist_camera_optical_frame")
    message = str(info.value)
    assert "27 leaf links" in message and "..." not in message
    order = re.findall(r"'(\w+)' \(", message.split("Leaves, moving chains first: ")[1])
    assert order[0] == "tool0" and order[-1] == "wrist_camera_optical_frame"
    assert order[1:-1] == [f"marker_{i}" for i in range(25)]  # fixed to the base, in file order
    assert "'wrist_camera_optical_frame' (sensor frame, 3 moving joints)" in message
    described = robokin.urdf.describes_urdf(text)
    assert [leaf.link for leaf in described.leaves] == order
    assert described.leaves[0].moving == 3 and described.leaves[1].moving == 0
    assert len(described.links) == 31 and described.root == "base"
    path = tmp_path / "many.urdf"
    path.write_text(text)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "27 leaf links (possible --tip), moving chains first:" in out and "'tool0' (3 moving joints)" in out


def test_joint_values_outside_the_limits_warn_with_a_deg_hint(tmp_path, capsys):
    """Item 4: forgetting --deg is caught."""
    assert main(["fk", "ur5", "0", "-90", "90", "-90", "0", "0"]) == 0
    err = capsys.readouterr().err
    assert (
        "robokin: warning: Q is outside the joint limits: shoulder_lift = -5157 deg (limits [-360, 360] deg); "
        "elbow = 5157 deg (limits [-180, 180] deg); wrist_1 = -5157 deg (limits [-360, 360] deg). "
        "These look like degrees: add --deg"
    ) in err
    assert main(["fk", "ur5", "0", "-90", "90", "-90", "0", "0", "--deg"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["singular", "puma560", "0", "45", "-90", "0", "0", "0"]) == 0
    assert "These look like degrees: add --deg" in capsys.readouterr().err
    # A motion would drive the arm there: refused.
    assert main(["animate", "ur5", "--to", "0", "-90", "90", "-90", "0", "0", "--out", str(tmp_path / "a.gif")]) == 1
    err = capsys.readouterr().err
    assert "robokin animate: error: --to is outside the joint limits" in err and "add --deg" in err
    assert not (tmp_path / "a.gif").exists()


def test_version_and_python_dash_m(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"robokin {robokin.__version__}\n"
    done = subprocess.run(
        [sys.executable, "-m", "robokin", "fk", "planar2r", "0", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "xyz [m]   =    2.0000    0.0000    0.0000" in done.stdout


def test_a_closed_pipe_ends_quietly():
    done = subprocess.run(
        f"'{sys.executable}' -m robokin list | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.startswith("  name") and done.stderr == ""


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_and_every_command_a_description():
    for name, sub in _subcommands().items():
        assert sub.description and len(sub.description) > 40, name
        for action in sub._actions:
            assert action.help, (name, action.dest)


def test_headers_are_never_cut_and_fk_deg_prints_degrees(capsys):
    assert main(["jacobian", "ur5", "home"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[2]
    assert header.split() == list(robokin.load("ur5").joint_names)
    assert main(["fk", "ur5", "10", "-90", "45", "0", "30", "5", "--deg"]) == 0
    assert "ur5, q = [10.00°, -90.00°, 45.00°, 0.00°, 30.00°, 5.00°]" in capsys.readouterr().out


def test_progress_is_one_line_off_a_terminal(capsys):
    assert main(["singular", "planar2r", "--find", "--starts", "4"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and err.count("\n") == 1 and err.startswith("searching: iteration")


def test_ik_says_starts_not_restarts(capsys):
    assert main(["ik", "planar2r", "--xyz", "1.2", "0.5", "0"]) == 0
    out = capsys.readouterr().out
    assert "restarts =" not in out and re.search(r"starts tried = \d+ \(q0, then", out)


def test_robot_paths_that_are_not_files(tmp_path, capsys):
    """Issue 10, item 12: a directory or a device is named as what it is, not "file not found"."""
    assert main(["info", str(tmp_path)]) == 1
    assert "is a directory, not a robot file" in capsys.readouterr().err
    assert main(["info", "/dev/null"]) == 1
    assert "/dev/null: is a character device, not a robot file" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "nope.yaml")]) == 1
    assert "nope.yaml: no such file" in capsys.readouterr().err
    for bad in (tmp_path / "x.png", tmp_path / "x", tmp_path):
        assert main(["animate", "planar2r", "--to", "zero", "--out", str(bad)]) == 1
        err = capsys.readouterr().err
        assert "cannot write" in err and "Traceback" not in err


def test_convert_rounds_and_writes_degrees_and_millimetres(tmp_path, capsys):
    """Item 13: no float noise; --deg/--mm output that loads back to the same robot."""
    ur5 = ROOT / "tests" / "data" / "urdf" / "ur5.urdf"
    assert main(["convert", str(ur5), "--tip", "tool0", "--deg", "--mm"]) == 0
    text = capsys.readouterr().out
    assert "units: {length: mm, angle: deg}" in text
    numbers = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text.split("joints:")[1])
    assert numbers and all(len(n.lstrip("-").replace(".", "").lstrip("0")) <= 13 for n in numbers)
    assert "90.0" in text  # rpy of pi/2 written in degrees
    again = robokin.loads(text)
    original = robokin.load(ur5, tip="tool0")
    q = np.random.default_rng(0).uniform(-1, 1, (20, original.n))
    np.testing.assert_allclose(again.fk(q), original.fk(q), atol=1e-9)


def test_info_prints_the_frame_tree_and_mimic_joints(capsys):
    assert main(["info", "panda_hand"]) == 0
    out = capsys.readouterr().out
    assert "n = 8 joint variables" in out
    assert re.search(r"finger_right\s+prismatic\s+origin\s+mimic: 1 x finger_left \+ 0", out)
    assert "frame tree (13 frames, end effectors marked *; link = tool unless --link says otherwise):" in out
    assert re.search(r"^ {4}joint1  \(revolute, q\[0\]\)$", out, re.M)
    assert re.search(r"^ {22}finger_left  \(prismatic, q\[7\]\) \*$", out, re.M)
    assert re.search(r"^ {22}finger_right  \(prismatic, mimics finger_left\) \*$", out, re.M)
    assert re.search(r"^ {22}tool  \(frame\) \*$", out, re.M)


def test_fk_and_jacobian_of_a_link(capsys):
    robot = robokin.load("baxter")
    q = robot.configurations["neutral"]
    assert main(["fk", "baxter", "neutral", "--link", "right_gripper"]) == 0
    out = capsys.readouterr().out
    xyz = numbers_after("xyz", out)
    np.testing.assert_allclose(xyz, robot.fk(q, link="right_gripper")[:3, 3], atol=1e-4)
    assert main(["fk", "baxter", "neutral"]) == 1
    assert "2 end effectors (left_gripper, right_gripper): choose one with --link FRAME" in capsys.readouterr().err
    assert main(["jacobian", "baxter", "neutral", "--link", "left_gripper", "--frame", "local"]) == 0
    assert "link = left_gripper" in capsys.readouterr().out


def test_info_of_a_dual_arm_robot_says_there_is_no_default_link(capsys):
    assert main(["info", "baxter"]) == 0
    out = capsys.readouterr().out
    assert "frame tree (23 frames, end effectors marked *; no default link: pass --link FRAME" in out
    assert re.search(r"^ {24}left_gripper  \(frame\) \*$", out, re.M)
    assert re.search(r"^ {6}right_s0  \(revolute, q\[7\]\)$", out, re.M)


def test_fk_and_jacobian_of_several_links(capsys):
    robot = robokin.load("baxter")
    q = robot.configurations["neutral"]
    assert main(["fk", "baxter", "neutral", "--link", "left_gripper", "--link", "right_gripper"]) == 0
    left, right = capsys.readouterr().out.split("\n\n")
    for text, link in ((left, "left_gripper"), (right, "right_gripper")):
        assert f"link = {link}" in text and f"T_world_{link} =" in text
        np.testing.assert_allclose(numbers_after("xyz", text), robot.fk(q, link=link)[:3, 3], atol=1e-4)
    assert main(["jacobian", "baxter", "neutral", "--link", "right_gripper", "--link", "left_gripper"]) == 0
    out = capsys.readouterr().out
    assert out.index("link = right_gripper") < out.index("link = left_gripper")
    assert main(["fk", "baxter", "neutral", "--link", "left_gripper", "--link", "left_grpper"]) == 1
    assert re.search(r"link must be a frame of robot 'baxter' \('base', .*got 'left_grpper'", capsys.readouterr().err)


def test_singular_of_a_stacked_task(capsys):
    from robokin import singularity

    robot = robokin.load("baxter")
    q = np.array(singularity.find_singular(robot, starts=4, seed=1, link="left_gripper").q[0])
    q[7:] = robot.configurations["neutral"][7:]  # the left arm singular, the right arm not
    argv = ["singular", "baxter", *(repr(float(v)) for v in q), "--link", "left_gripper", "--link", "right_gripper"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "link = left_gripper + right_gripper" in out and "of 2 links stacked" in out and "SINGULAR: " in out
    assert main(argv[:-2]) == 0  # the left hand alone: singular too
    out = capsys.readouterr().out
    assert "link = left_gripper\n" in out and "SINGULAR: " in out
    assert main(["singular", "baxter", "neutral", "--link", "right_gripper"]) == 0
    out = capsys.readouterr().out
    ic = float(singularity.inverse_condition(robot, robot.configurations["neutral"], link="right_gripper"))
    assert f"σ_min/σ_max = {ic:.3e}" in out and "NOT SINGULAR" in out
    assert main(["singular", "baxter", "neutral"]) == 1
    assert "2 end effectors (left_gripper, right_gripper): choose one with --link FRAME" in capsys.readouterr().err


def test_singular_find_and_map_of_a_link(tmp_path, capsys):
    argv = ["singular", "baxter", "--find", "--starts", "3", "--link", "left_gripper", "--link", "right_gripper"]
    assert main(argv) == 0
    assert re.search(r"baxter: \d+ singular configurations of left_gripper \+ right_gripper", capsys.readouterr().out)
    out = tmp_path / "map.png"
    argv = ["singular", "baxter", "neutral", "--map", "1", "3", "--link", "left_gripper", "--resolution", "9"]
    assert main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "link = left_gripper, other joints at q = [0.00°, -31.51°" in text and out.stat().st_size > 1000
    assert main(["singular", "baxter", "neutral", "--map", "1", "3", "--out", str(out)]) == 1
    assert "2 end effectors (left_gripper, right_gripper): choose one with --link FRAME" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["fk", "jacobian", "singular"])
def test_non_finite_values_and_overflowing_poses_are_refused(command, tmp_path, capsys):
    assert main([command, "planar2r", "nan", "0"]) == 1
    assert re.search(r"error: Q must be finite numbers, got \['nan', '0'\]", capsys.readouterr().err)
    slides = tmp_path / "slides.yaml"  # two slides along z: 1e308 + 1e308 m overflows, outside the limits
    slides.write_text(
        "robokin: 1\nname: slides\njoints:\n  - {name: a, type: prismatic, dh: {}, limits: [-1, 1]}\n"
        "  - {name: b, type: prismatic, dh: {}, limits: [-1, 1]}\n"
    )
    assert main([command, str(slides), "1e308", "1e308"]) == 1
    captured = capsys.readouterr()
    assert re.search(r"error: Q = \['1e308', '1e308'\] puts frames of slides beyond the largest float", captured.err)
    assert "nan" not in captured.out.lower() and "Traceback" not in captured.err
    assert main(["ik", str(slides), "--xyz", "0", "0", "0", "--q0", "1e308", "1e308"]) == 1
    assert re.search(r"error: --q0 = \['1e308', '1e308'\] puts frames of slides beyond", capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["animate", "ur5", "--to", "home", "--fps", "0"], r"argument --fps: expected a finite number > 0, got '0'"),
        (["animate", "ur5", "--to", "home", "--fps", "-5"], r"argument --fps: expected a finite number > 0, got '-5'"),
        (["animate", "ur5", "--to", "home", "--fps", "nan"], r"argument --fps: expected a finite number > 0"),
        (["animate", "ur5", "--to", "home", "--frames", "0"], r"argument --frames: expected an integer from 2"),
        (["demo", "--frames", "-1"], r"argument --frames: expected an integer from 2 .*got '-1'"),
        # 10⁷ frames: NumPy's MemoryError traceback; a --line of 10⁶: IK at every frame, silent for minutes.
        (["animate", "ur5", "--to", "home", "--frames", "10000000"], r"--frames: .* to 100000, got '10000000'"),
        (["animate", "ur5", "--line", "0.4", "0", "0.4", "--frames", "1000000"], r"to 100000, got '1000000'"),
        (["demo", "--fps", "0"], r"argument --fps: expected a finite number > 0, got '0'"),
        # review12: a NaN coordinate or angle was refused late, in the library's words ("T_goal must be finite"),
        # or after the first lines of output (--view).
        (["animate", "ur5", "--line", "nan", "0", "0.4"], r"argument --line: expected a finite number, got 'nan'"),
        (["animate", "ur5", "--to", "home", "--view", "nan", "0"], r"argument --view: expected a finite number"),
        (["demo", "--view", "30", "inf"], r"argument --view: expected a finite number, got 'inf'"),
        (["ik", "ur5", "--xyz", "0.4", "inf", "0.3"], r"argument --xyz: expected a finite number, got 'inf'"),
        (["ik", "ur5", "--xyz", "0.4", "0", "0.3", "--rpy", "0", "NaN", "0"], r"argument --rpy: expected a finite"),
        (["workspace", "ur5", "--place", "0.4", "0", "0.3", "0", "0", "nan"], r"argument --place: expected a finite"),
        (["ik", "ur5", "--xyz", "0.4", "zero", "0.3"], r"argument --xyz: expected a number, got 'zero'"),
        (["demo", "--seed", "-1"], r"argument --seed: expected an integer >= 0, got '-1'"),  # was a traceback
        (["ik", "ur5", "--xyz", "0.4", "0", "0.3", "--seed", "-2"], r"argument --seed: expected an integer >= 0"),
        (["singular", "ur5", "--find", "--seed", "1.5"], r"argument --seed: expected an integer >= 0, got '1.5'"),
        (["workspace", "ur5", "--seed", "-3"], r"argument --seed: expected an integer >= 0, got '-3'"),
    ],
)
def test_rates_and_frame_counts_are_checked_by_the_parser(argv, message, capsys, tmp_path):
    """--fps 0 was a ZeroDivisionError traceback, --fps -5 a GIF at "64 fps", --frames 0 or -1 two frames."""
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path / "a.gif")])
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "a.gif").exists()


def test_workspace_refuses_unwritable_names_before_the_work(capsys, tmp_path):
    """A plot name matplotlib cannot write was a traceback after the map was built; a map name without .npz was
    saved as NAME.npz while the command printed "wrote NAME"."""
    args = ["workspace", "planar2r", "--voxel", "0.5", "--samples", "100"]
    assert main([*args, "--plot", str(tmp_path / "m.txt")]) == 1
    err = capsys.readouterr()
    assert re.search(r"cannot write .*m\.txt: --plot must be a file name ending in \.png, .* \(got '\.txt'\)", err.err)
    assert "samples" not in err.out  # refused before any work
    assert main([*args, "--out", str(tmp_path / "m.txt")]) == 1
    assert re.search(
        r"path must end in \.npz \(one archive\) or \.zarr \(a chunked store\) to save a map, got '.*m\.txt'",
        capsys.readouterr().err,
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, a folder no one can create files in")
def test_outputs_in_a_folder_that_takes_no_files_are_refused_before_the_work(capsys):
    """review13: `workspace panda --samples 1e8 --out /proc/m.npz` (an existing folder this user cannot write)
    built the whole map, then failed to save it; the folder's existence was checked, not that it takes a file."""
    args = ["workspace", "planar2r", "--voxel", "0.5", "--samples", "100"]
    for option, name in (("--out", "m.npz"), ("--out", "m.zarr"), ("--plot", "m.png")):
        assert main([*args, option, "/proc/" + name]) == 1
        captured = capsys.readouterr()
        assert re.search(
            rf"robokin workspace: error: cannot write /proc/{name}: the folder /proc takes no new file", captured.err
        )
        assert captured.out == ""  # refused before any work
    assert main(["animate", "planar2r", "--to", "0", "1", "--out", "/proc/a.gif"]) == 1
    assert "cannot write /proc/a.gif: the folder /proc takes no new file" in capsys.readouterr().err


def test_singular_search_of_too_many_starts_is_our_error(capsys):
    assert main(["singular", "planar2r", "--find", "--starts", "1000000000"]) == 1
    assert "robokin singular: error: starts must be a positive integer, at most 4096, got 1000000000" in (
        capsys.readouterr().err
    )


def test_singular_refuses_options_its_mode_would_ignore(tmp_path, capsys, monkeypatch):
    """review12: `singular ur5 home --out m.png` printed the report and wrote no picture (rc 0); `--map I J
    --find` ran the search and dropped the map; `home --find` dropped Q; a bad --tol came after the report's
    first line. Each is now refused before any output, and nothing is written."""
    monkeypatch.chdir(tmp_path)
    cases = [
        (["planar2r", "0", "1", "--out", "m.png"], "--out applies to --map I J only; without it they would be ignored"),
        (
            ["planar2r", "0", "1", "--resolution", "5", "--out", "m.png"],
            "--resolution and --out apply to --map I J only",
        ),
        (["planar2r", "--find", "--resolution", "5"], "--resolution applies to --map I J only"),
        (["planar2r", "0", "1", "--seed", "3"], "--seed applies to --find only"),
        (["planar2r", "--map", "0", "1", "--starts", "3"], "--starts applies to --find only"),
        (["planar2r", "--map", "0", "1", "--find"], "give either --find or --map I J, not both"),
        (["planar2r", "0", "1", "--find"], r"--find searches from random starts and takes no Q \(got 0 1\)"),
        (["planar2r", "0", "1", "--tol", "2"], r"tol must be a number in \(0, 1\)"),
    ]
    for argv, message in cases:
        assert main(["singular", *argv]) == 1, argv
        captured = capsys.readouterr()
        assert re.search("robokin singular: error: " + message, captured.err), (argv, captured.err)
        assert captured.out == "", (argv, captured.out)
    assert list(tmp_path.iterdir()) == []
    assert main(["singular", "planar2r", "--map", "0", "1", "--resolution", "5", "--out", "m.png"]) == 0
    assert (tmp_path / "m.png").is_file()


def test_workspace_takes_the_chain_options_and_names_the_link_option(capsys):
    """Like every command that takes ROBOT, workspace takes --base/--tip (review8: it had neither), and a
    robot with several end effectors gets an error naming --link, not the library's link=."""
    assert main(["workspace", "panda", "--tip", "flange", "--samples", "100"]) == 1
    assert "base= and tip= apply to URDF files only" in capsys.readouterr().err
    assert main(["workspace", "baxter", "--samples", "100"]) == 1
    err = capsys.readouterr().err
    assert "2 end effectors (left_gripper, right_gripper): choose one with --link FRAME" in err
    assert "link=" not in err


def test_list_shows_each_robots_whole_first_sentence(capsys):
    """The description column ends at the end of the first sentence, not at the "i.e. " inside it (review8:
    the KR 5 arc's row ended "(A1 clockwise seen from above, i.e")."""
    assert cli.first_sentence("An arm (a, i.e. b; c). More.") == "An arm (a, i.e. b; c)"
    assert cli.first_sentence("Two joints, e.g. a wrist. Then") == "Two joints, e.g. a wrist"
    assert cli.first_sentence("No period at all") == "No period at all"
    assert cli.first_sentence("Ends here.") == "Ends here"
    assert main(["list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.split()[0] == "kr5_arc")
    assert row.endswith("(A1 clockwise seen from above, i.e. about -z; A4, A6 about -x)")


def test_an_mp4_without_ffmpeg_is_refused_before_the_work(tmp_path, monkeypatch, capsys):
    """`robokin demo --out x.mp4` on a machine without ffmpeg says so at once (review8: after the IK, the motion
    and the animation were computed, followed by matplotlib's "Animation was deleted" warning)."""
    import matplotlib

    monkeypatch.setitem(matplotlib.rcParams, "animation.ffmpeg_path", str(tmp_path / "no-such-ffmpeg"))
    for argv in (["demo", "--robot", "planar2r"], ["animate", "planar2r", "--to", "ready"]):
        assert main([*argv, "--out", str(tmp_path / "arm.mp4")]) == 1
        captured = capsys.readouterr()
        assert "needs the ffmpeg program" in captured.err and "Animation was deleted" not in captured.err
        assert captured.out == ""  # nothing computed, nothing printed


def test_an_all_singular_map_says_why(tmp_path, capsys):
    """Shoulder × elbow of the PUMA at 'ready' (wrist joint 5 at 0) is singular in every cell; the command says
    that the held joints cause it (review8: an all-red picture and "3721 singular cells" only)."""
    out = tmp_path / "map.png"
    argv = ["singular", "puma560", "ready", "--resolution", "7", "--out", str(out)]
    assert main([*argv, "--map", "1", "2"]) == 0
    text = capsys.readouterr().out
    assert "red: the 49 singular cells" in text
    assert "note: every cell is singular: with the other joints held at q the task is singular whatever" in text
    assert main([*argv, "--map", "2", "4"]) == 0  # elbow × wrist: a singular set, not everything
    text = capsys.readouterr().out
    assert "singular cells" in text and "every cell is singular" not in text


def test_a_slowed_animation_reports_one_frame_rate(tmp_path, capsys):
    """A motion slower than the asked frames: the rate it plays at is printed alike on both lines (review8:
    "play at 7.22 fps" then "8 frames at 7.21955 fps")."""
    out = tmp_path / "arm.gif"
    assert main(["animate", "panda", "--to", "reach", "--frames", "8", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    plays = re.search(r"its 8 frames play at (\S+) fps \(real time\)", text).group(1)
    wrote = re.search(r"\(8 frames at (\S+) fps,", text).group(1)
    assert plays == wrote and float(wrote) < 20


def test_angles_take_deg_in_every_command_that_takes_them(monkeypatch, capsys):
    """review10: ``robokin workspace --place`` read roll-pitch-yaw in radians only (fk/ik/animate/singular take
    --deg); now --place takes --deg too, --deg without --place is refused, and angles beyond a whole turn
    without --deg (--rpy, --place) get a hint that they look like degrees."""
    from robokin import workspace

    seen = []

    class Stop(Exception):
        pass

    def placement(robot, T_world_targets, **kwargs):
        seen.append(np.array(T_world_targets))
        raise Stop

    monkeypatch.setattr(workspace, "base_placement", placement)
    common = ["workspace", "planar3r", "--voxel", "0.5", "--samples", "100"]
    with pytest.raises(Stop):
        main([*common, "--place", "0.5", "0", "0", "0", "0", "90", "--deg"])
    with pytest.raises(Stop):
        main([*common, "--place", "0.5", "0", "0", "0", "0", repr(np.pi / 2)])
    np.testing.assert_allclose(seen[0], seen[1], atol=1e-15)
    np.testing.assert_allclose(seen[0][0, :3, :3], robokin.spatial.rpy_to_matrix([0, 0, np.pi / 2]), atol=1e-15)
    assert capsys.readouterr().err == ""
    with pytest.raises(Stop):
        main([*common, "--place", "0.5", "0", "0", "180", "0", "90"])
    assert "--place 180 0 90 has angles beyond a whole turn (2 pi rad); they look like degrees: add --deg" in (
        capsys.readouterr().err
    )
    assert main([*common, "--deg"]) == 1
    assert "--deg gives the angles of --place in degrees; a map takes no angles" in capsys.readouterr().err
    assert main(["ik", "planar3r", "--xyz", "1", "0.5", "0", "--rpy", "0", "0", "45"]) in (0, 1)
    assert "--rpy 0 0 45 has angles beyond a whole turn (2 pi rad); they look like degrees: add --deg" in (
        capsys.readouterr().err
    )
    assert main(["ik", "planar3r", "--xyz", "1", "0.5", "0", "--rpy", "0", "0", "45", "--deg"]) in (0, 1)
    assert "look like degrees" not in capsys.readouterr().err


def test_ik_all_with_a_q0_outside_the_parameter_joints_limits_says_so(capsys):
    """review12: --all held iiwa's a3 at --q0's 5 rad (286°, beyond its ±170°) and listed no solution, rc 1, with
    only a warning about --q0; now the error names the joint, its limits and --deg."""
    argv = ["ik", "iiwa14", "--xyz", "0.4", "0.1", "0.5", "--rpy", "3.14", "0", "0", "--all", "--q0"]
    assert main([*argv, "0", "0", "5", "0", "0", "0", "0"]) == 1
    assert re.search(
        r"robokin ik: error: --all holds the parameter joint a3 at its --q0 value, 286\.5 deg, outside its limits "
        r"\[-170, 170\] deg.*--deg reads --q0 in degrees",
        capsys.readouterr().err,
    )
    assert main([*argv, "0", "0", "100", "0", "0", "0", "0", "--deg"]) == 0
    assert "solutions within the joint limits" in capsys.readouterr().out


def test_ik_all_without_a_solution_says_why_it_may_be(capsys):
    """review13: a target 6.5 m from the UR5 (reach 1 m) printed an empty table and "0 solutions within the joint
    limits", as if the limits were the reason; it may be out of reach."""
    argv = ["ik", "ur5", "--xyz", "4", "1", "5", "--rpy", "180", "0", "0", "--deg", "--all"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "no solution: the target is out of reach, or every solution is outside the joint limits" in out
    assert "joint values [deg" not in out  # (no empty table)


def test_huge_values_print_in_exponent_form_without_numpy_warnings(capsys):
    """review12: a prismatic joint at 1e300 m printed the pose with 300 digits, and 1e308 rad was NumPy's
    "overflow encountered in degrees" warning before ours."""
    assert main(["fk", "stanford", "0", "0", "1e300", "0", "0", "0"]) == 0
    captured = capsys.readouterr()
    assert re.search(r"xyz \[m\]   = +0\.0000 +0\.1337 1\.0000e\+300\n", captured.out)
    assert max(len(line) for line in captured.out.splitlines()) < 100
    assert main(["fk", "ur5", "0", "0", "0", "0", "0", "1e308"]) == 0
    err = capsys.readouterr().err
    assert "wrist_3 = inf deg (limits [-360, 360] deg)" in err and "overflow" not in err
