"""The ``robokin`` command through ``main(argv)``: foundation subcommands (list, info, fk, jacobian, check)."""

from __future__ import annotations

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
        assert re.search(rf"^{name}\s+n=\d", out, re.M)


def test_info_shows_joint_table_in_degrees(capsys):
    assert main(["info", "puma560"]) == 0
    out = capsys.readouterr().out
    robot = robokin.load("puma560")
    assert f"n = {robot.n} joint variables" in out
    assert robot.source[:40] in out
    lo, hi = np.degrees(robot.limits[1])
    assert re.search(rf"shoulder\s+revolute\s+dh\s+{lo:.1f}\s+{hi:.1f}\s+deg", out)


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


def test_info_prints_the_frame_tree_and_mimic_joints(capsys):
    assert main(["info", "panda_hand"]) == 0
    out = capsys.readouterr().out
    assert "n = 8 joint variables" in out
    assert re.search(r"finger_right\s+prismatic\s+origin\s+mimic: 1 x finger_left \+ 0", out)
    assert "frame tree (13 frames, end effectors marked *):" in out
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
    assert "2 end effectors; pass link= one of 'left_gripper', 'right_gripper'" in capsys.readouterr().err
    assert main(["jacobian", "baxter", "neutral", "--link", "left_gripper", "--frame", "local"]) == 0
    assert "link = left_gripper" in capsys.readouterr().out
