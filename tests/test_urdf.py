"""Tests of robokin.urdf: URDF → Robot, against three oracles.

1. An independent forward kinematics written here: the test URDFs read with ElementTree and the chain
   multiplied out from explicit Rz·Ry·Rx origins and Rodrigues axis-angle matrices.
2. Published tables: Universal Robots' DH parameters of the UR5, Franka Emika's modified-DH parameters of the
   Panda; the URDFs were written from them in another parametrisation (origins), so agreement is a check.
3. Poses recorded from Pinocchio (tests/data/urdf/*.json, made by tests/data/urdf/make_reference.py).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import best_cpu_time, urdf_comb

import robokin
from robokin.errors import RobotFormatError
from robokin.model import Robot
from robokin.urdf import describes_urdf, load_urdf, loads_urdf

DATA = Path(__file__).parent / "data" / "urdf"
UR5 = DATA / "ur5.urdf"
PANDA = DATA / "panda.urdf"
GANTRY = DATA / "gantry.urdf"

# FK agreement between two computations of the same chain in floating point [m, and unitless rotation].
FK_TOL = 1e-12


# ------------------------------------------------------------------------------------- independent FK
def _rx(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _homogeneous(R: np.ndarray | None = None, p=(0.0, 0.0, 0.0)) -> np.ndarray:
    T = np.eye(4)
    if R is not None:
        T[:3, :3] = R
    T[:3, 3] = p
    return T


def _rodrigues(axis: np.ndarray, angle: float) -> np.ndarray:
    """R = I + sin θ K + (1 − cos θ) K² for the unit axis (K its cross-product matrix)."""
    x, y, z = axis
    K = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + math.sin(angle) * K + (1.0 - math.cos(angle)) * (K @ K)


def _floats(text: str) -> list[float]:
    return [float(t) for t in text.split()]


def _reference_fk(path: Path, base: str, tip: str, q) -> np.ndarray:
    """T_base_tip (4, 4) of one q, read straight from the URDF with ElementTree (trusted test files)."""
    root = ET.parse(path).getroot()
    joint_above = {j.find("child").get("link"): j for j in root.iter("joint")}
    chain, link = [], tip
    while link != base:
        joint = joint_above[link]
        chain.append(joint)
        link = joint.find("parent").get("link")
    T = np.eye(4)
    k = 0
    for joint in reversed(chain):
        origin = joint.find("origin")
        xyz = _floats(origin.get("xyz", "0 0 0")) if origin is not None else [0.0] * 3
        roll, pitch, yaw = _floats(origin.get("rpy", "0 0 0")) if origin is not None else [0.0] * 3
        T = T @ _homogeneous(_rz(yaw) @ _ry(pitch) @ _rx(roll), xyz)
        kind = joint.get("type")
        if kind == "fixed":
            continue
        axis_el = joint.find("axis")
        axis = np.array(_floats(axis_el.get("xyz")) if axis_el is not None else [1.0, 0.0, 0.0])
        axis = axis / np.linalg.norm(axis)
        if kind in ("revolute", "continuous"):
            T = T @ _homogeneous(_rodrigues(axis, q[k]))
        else:
            T = T @ _homogeneous(p=axis * q[k])
        k += 1
    assert k == len(q)
    return T


def _product_of_joint_matrices(robot: Robot, q) -> np.ndarray:
    """FK as the plain product of ``Joint.matrix`` (the model's unbatched reference)."""
    T = np.eye(4)
    values = iter(q)
    for joint in robot.joints:
        T = T @ joint.matrix(next(values) if joint.moving else 0.0)
    return T


def _random_q(robot: Robot, rng: np.random.Generator, size: int) -> np.ndarray:
    lower, upper = np.clip(robot.limits[:, 0], -np.pi, None), np.clip(robot.limits[:, 1], None, np.pi)
    return rng.uniform(lower, upper, size=(size, robot.n))


CHAINS = [
    (UR5, "base_link", "tool0"),
    (UR5, "base_link_inertia", "wrist_3_link"),
    (PANDA, "panda_link0", "panda_hand_tcp"),
    (PANDA, "panda_link0", "panda_leftfinger"),
    (PANDA, "panda_link3", "panda_link8"),
    (GANTRY, "world", "tool"),
]


@pytest.mark.parametrize("path, base, tip", CHAINS, ids=lambda x: getattr(x, "name", x))
def test_fk_matches_an_independent_product_of_urdf_transforms(path, base, tip):
    robot = load_urdf(path, base=base, tip=tip)
    q = _random_q(robot, np.random.default_rng(7), 20)
    expected = np.stack([_reference_fk(path, base, tip, qi) for qi in q])
    T = robot.fk(q)
    assert T.shape == (20, 4, 4)
    np.testing.assert_allclose(T, expected, rtol=0, atol=FK_TOL)
    products = np.stack([_product_of_joint_matrices(robot, qi) for qi in q])
    np.testing.assert_allclose(products, expected, rtol=0, atol=FK_TOL)
    # Unbatched in, unbatched out.
    np.testing.assert_allclose(robot.fk(q[3]), expected[3], rtol=0, atol=FK_TOL)


@pytest.mark.parametrize("stem", ["ur5", "panda", "gantry"])
def test_fk_matches_poses_recorded_from_pinocchio(stem):
    record = json.loads((DATA / f"{stem}.json").read_text())
    assert record["library"] == "pinocchio" and record["version"]
    assert record["urdf"] == f"{stem}.urdf"
    for case in record["cases"]:
        robot = load_urdf(DATA / record["urdf"], base=case["base"], tip=case["tip"])
        assert list(robot.joint_names) == case["joints"]
        T = robot.fk(np.array(case["q"]))
        np.testing.assert_allclose(T, np.array(case["T_base_tip"]), rtol=0, atol=FK_TOL)


# ------------------------------------------------------------------------------------- published tables
def _dh(a: float, alpha: float, d: float, q: float) -> np.ndarray:
    """Standard DH: Rz(q) Tz(d) Tx(a) Rx(alpha)."""
    return _homogeneous(_rz(q)) @ _homogeneous(p=(a, 0.0, d)) @ _homogeneous(_rx(alpha))


def _mdh(a: float, alpha: float, d: float, q: float) -> np.ndarray:
    """Modified DH (Craig): Rx(alpha) Tx(a) Rz(q) Tz(d)."""
    return _homogeneous(_rx(alpha)) @ _homogeneous(p=(a, 0.0, 0.0)) @ _homogeneous(_rz(q)) @ _homogeneous(p=(0, 0, d))


# Universal Robots, "DH parameters for calculations of kinematics and dynamics", UR5: (a [m], alpha, d [m]).
UR5_DH = [
    (0.0, math.pi / 2, 0.089159),
    (-0.425, 0.0, 0.0),
    (-0.39225, 0.0, 0.0),
    (0.0, math.pi / 2, 0.10915),
    (0.0, -math.pi / 2, 0.09465),
    (0.0, 0.0, 0.0823),
]

# Franka Emika FCI documentation, Panda kinematics (modified DH, Craig): (a [m], alpha, d [m]); flange last.
PANDA_MDH = [
    (0.0, 0.0, 0.333),
    (0.0, -math.pi / 2, 0.0),
    (0.0, math.pi / 2, 0.316),
    (0.0825, math.pi / 2, 0.0),
    (-0.0825, -math.pi / 2, 0.384),
    (0.0, math.pi / 2, 0.0),
    (0.088, math.pi / 2, 0.0),
]
PANDA_FLANGE_D = 0.107


def test_ur5_urdf_matches_universal_robots_dh_table():
    robot = load_urdf(UR5, base="base_link_inertia", tip="tool0")
    q = _random_q(robot, np.random.default_rng(1), 25)
    expected = []
    for qi in q:
        T = np.eye(4)
        for (a, alpha, d), angle in zip(UR5_DH, qi):
            T = T @ _dh(a, alpha, d, angle)
        expected.append(T)
    np.testing.assert_allclose(robot.fk(q), np.stack(expected), rtol=0, atol=FK_TOL)
    # ROS's base_link is the DH base turned by pi about z.
    from_base_link = load_urdf(UR5, tip="tool0")
    np.testing.assert_allclose(
        from_base_link.fk(q), _homogeneous(_rz(math.pi)) @ np.stack(expected), rtol=0, atol=FK_TOL
    )


def test_panda_urdf_matches_franka_modified_dh_table():
    robot = load_urdf(PANDA, tip="panda_link8")
    q = _random_q(robot, np.random.default_rng(2), 25)
    expected = []
    for qi in q:
        T = np.eye(4)
        for (a, alpha, d), angle in zip(PANDA_MDH, qi):
            T = T @ _mdh(a, alpha, d, angle)
        expected.append(T @ _homogeneous(p=(0.0, 0.0, PANDA_FLANGE_D)))
    np.testing.assert_allclose(robot.fk(q), np.stack(expected), rtol=0, atol=FK_TOL)
    # The TCP: hand turned -pi/4 about z, then 0.1034 m along its z.
    tcp = load_urdf(PANDA, tip="panda_hand_tcp")
    offset = _homogeneous(_rz(-math.pi / 4)) @ _homogeneous(p=(0.0, 0.0, 0.1034))
    np.testing.assert_allclose(tcp.fk(q), np.stack(expected) @ offset, rtol=0, atol=FK_TOL)


# ------------------------------------------------------------------------------------- what is imported
def test_ur5_joints_limits_speeds_and_names():
    robot = load_urdf(UR5, tip="tool0")
    assert robot.name == "ur5"
    assert "ur5.urdf" in robot.source and "'tool0'" in robot.source and "'base_link'" in robot.source
    assert robot.joint_names == (
        "shoulder_pan_joint",
        "shoulder_lift_joint",
        "elbow_joint",
        "wrist_1_joint",
        "wrist_2_joint",
        "wrist_3_joint",
    )
    # Fixed joints on the chain are kept, names preserved, so the frames are the URDF's.
    fixed = [j.name for j in robot.joints if not j.moving]
    assert fixed == ["base_link-base_link_inertia", "wrist_3-flange", "flange-tool0"]
    assert all(j.form == "origin" for j in robot.joints)
    np.testing.assert_array_equal(robot.limits[2], [-math.pi, math.pi])
    np.testing.assert_array_equal(robot.limits[0], [-2 * math.pi, 2 * math.pi])
    np.testing.assert_array_equal(robot.velocity_limits, [math.pi] * 6)
    np.testing.assert_array_equal(robot.joints[0].origin.rpy, (0.0, 0.0, math.pi))
    np.testing.assert_array_equal(robot.joints[2].origin.rpy, (math.pi / 2, 0.0, 0.0))


def test_gantry_default_axis_normalised_axis_continuous_and_prismatic():
    robot = load_urdf(GANTRY)  # one leaf: the tip defaults to it
    assert robot.name == "gantry"
    assert robot.joint_types == ("prismatic", "prismatic", "revolute", "revolute")
    x, z, spin, tilt, mount = robot.joints
    assert x.axis == (1.0, 0.0, 0.0)  # no <axis>: URDF's default is x, not z
    assert z.axis == (0.0, 0.0, 1.0)  # "0 0 2" normalised
    np.testing.assert_allclose(spin.axis, [0.0, math.sqrt(0.5), math.sqrt(0.5)], rtol=0, atol=2e-16)
    assert tilt.axis == (1.0, 0.0, 0.0)
    assert mount.type == "fixed" and mount.origin.xyz == (0.01, -0.02, -0.12)
    np.testing.assert_array_equal(robot.limits, [[-0.5, 0.5], [-0.3, 0.0], [-np.inf, np.inf], [-1.5, 1.5]])
    np.testing.assert_array_equal(robot.velocity_limits, [0.8, 0.5, 6.0, 3.0])
    # A prismatic joint moves its child along the axis by exactly q metres.
    q = np.array([0.25, -0.2, 0.0, 0.0])
    dp = robot.fk(q)[:3, 3] - robot.fk(np.zeros(4))[:3, 3]
    np.testing.assert_allclose(dp, [0.25, 0.0, 0.0] + _rz(0.3) @ [0.0, 0.0, -0.2], rtol=0, atol=1e-15)


def test_panda_loads_as_a_tree_or_a_chosen_chain():
    tree = load_urdf(PANDA)  # the whole tree: three end effectors, the second finger follows the first
    assert tree.end_effectors == ("panda_hand_tcp", "panda_leftfinger", "panda_rightfinger")
    assert tree.n == 8 and tree.joint_names[-1] == "panda_finger_joint1"
    with pytest.raises(robokin.OptionError, match=r"3 end effectors; pass link= one of 'panda_hand_tcp'"):
        tree.fk(np.zeros(8))
    leaves = (
        r"3 leaf links; pass tip= \(or --tip\) to choose the end of the chain. Leaves, moving chains first: "
        r"'panda_leftfinger' \(8 moving joints\), 'panda_rightfinger' \(8 moving joints\), 'panda_hand_tcp' "
        r"\(7 moving joints\)"
    )
    with pytest.raises(RobotFormatError, match=leaves):
        load_urdf(PANDA, base="panda_link0")  # a chain without tip: which leaf?
    arm = load_urdf(PANDA, tip="panda_hand_tcp")
    assert arm.n == 7 and "panda_finger_joint1" not in [j.name for j in arm.joints]
    np.testing.assert_array_equal(arm.limits[3], [-3.0718, -0.0698])
    np.testing.assert_array_equal(arm.velocity_limits, [2.175] * 4 + [2.61] * 3)
    with_finger = load_urdf(PANDA, tip="panda_leftfinger")
    assert with_finger.n == 8 and with_finger.joint_types[-1] == "prismatic"
    assert with_finger.moving_joints[-1].axis == (0.0, 1.0, 0.0)
    np.testing.assert_array_equal(with_finger.limits[-1], [0.0, 0.04])
    with pytest.raises(
        RobotFormatError, match=r"joint 'panda_finger_joint2': mimics joint 'panda_finger_joint1'"
    ) as info:
        load_urdf(PANDA, tip="panda_rightfinger")
    assert (
        info.value.path == str(PANDA)
        and info.value.line
        == PANDA.read_text().splitlines().index('  <joint name="panda_finger_joint2" type="prismatic">') + 1
    )


def test_base_inside_the_tree():
    robot = load_urdf(PANDA, base="panda_link3", tip="panda_link7")
    assert robot.joint_names == ("panda_joint4", "panda_joint5", "panda_joint6", "panda_joint7")


def test_loads_urdf_accepts_text_and_bytes_and_names_the_path():
    text = GANTRY.read_text()
    a = loads_urdf(text, path="my/gantry.urdf")
    b = loads_urdf(text.encode("utf-8"))
    assert a.source.startswith("URDF my/gantry.urdf") and b.source.startswith("URDF <string>")
    q = np.array([0.1, -0.1, 0.5, 0.3])
    np.testing.assert_array_equal(a.fk(q), b.fk(q))
    latin = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<robot name="bra\xe7o">' + ARM.split('<robot name="arm">', 1)[1]
    )
    assert loads_urdf(latin.encode("latin-1")).name == "bra\xe7o"


# ------------------------------------------------------------------------------------- errors
ARM = """<?xml version="1.0"?>
<robot name="arm">
  <link name="base"/>
  <link name="upper"/>
  <link name="fore"/>
  <link name="tool"/>
  <joint name="shoulder" type="revolute">
    <parent link="base"/>
    <child link="upper"/>
    <origin xyz="0 0 0.3" rpy="0 0 0"/>
    <axis xyz="0 0 1"/>
    <limit lower="-3" upper="3" effort="10" velocity="2"/>
  </joint>
  <joint name="elbow" type="revolute">
    <parent link="upper"/>
    <child link="fore"/>
    <origin xyz="0.4 0 0" rpy="0 0 0"/>
    <axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="10" velocity="2"/>
  </joint>
  <joint name="flange" type="fixed">
    <parent link="fore"/>
    <child link="tool"/>
    <origin xyz="0.3 0 0"/>
  </joint>
</robot>
"""


def _line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


def test_the_template_arm_loads():
    robot = loads_urdf(ARM, path="arm.urdf")
    assert robot.joint_names == ("shoulder", "elbow") and [j.name for j in robot.joints][-1] == "flange"
    np.testing.assert_allclose(robot.fk([0.0, 0.0])[:3, 3], [0.7, 0.0, 0.3], rtol=0, atol=1e-15)


# (replace this, with that, the error must match, on the line of this marker in the edited text)
ERRORS = {
    "malformed": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1 0">',
        r"malformed XML: mismatched tag",
        '  </joint>\n  <joint name="flange"',
    ),
    "unknown parent link": (
        '<parent link="upper"/>',
        '<parent link="uper"/>',
        r"joint 'elbow': <parent> names link 'uper', which is not a <link>",
        '<parent link="uper"/>',
    ),
    "unknown child link": (
        '<child link="tool"/>',
        '<child link="tol"/>',
        r"joint 'flange': <child> names link 'tol'",
        '<child link="tol"/>',
    ),
    "self loop": (
        '<child link="tool"/>',
        '<child link="fore"/>',
        r"joint 'flange': connects link 'fore' to itself",
        '<joint name="flange"',
    ),
    "two parents": (
        '<parent link="base"/>\n    <child link="upper"/>',
        '<parent link="base"/>\n    <child link="fore"/>',
        r"joint 'elbow': link 'fore' is already the child of joint 'shoulder'",
        '<joint name="elbow"',
    ),
    "cycle": (
        '<parent link="base"/>',
        '<parent link="fore"/>',
        r"joint 'shoulder': is part of a cycle of joints 'shoulder' -> 'elbow' -> 'shoulder' \(a URDF is a tree\)",
        '<joint name="shoulder"',
    ),
    "two roots": (
        '<link name="tool"/>',
        '<link name="tool"/>\n  <link name="stray"/>',
        r"robot 'arm' has 2 root links \('base', 'stray'\), expected one",
        '<link name="stray"/>',
    ),
    "unknown type": (
        'type="revolute">\n    <parent link="upper"/>',
        'type="revolve">\n    <parent link="upper"/>',
        r"joint 'elbow': unknown joint type 'revolve' \(expected one of revolute, continuous, prismatic, fixed, floating, planar\)",
        '<joint name="elbow"',
    ),
    "xyz count": (
        'xyz="0.4 0 0"',
        'xyz="0.4 0"',
        r"joint 'elbow': <origin>: attribute xyz='0.4 0' has 2 numbers, expected 3",
        'xyz="0.4 0"',
    ),
    "rpy count": (
        'xyz="0.4 0 0" rpy="0 0 0"',
        'xyz="0.4 0 0" rpy="0 0 0 0"',
        r"<origin>: attribute rpy='0 0 0 0' has 4 numbers, expected 3",
        'rpy="0 0 0 0"',
    ),
    "non-numeric": (
        'xyz="0 0 0.3"',
        'xyz="0 0 O.3"',
        r"joint 'shoulder': <origin>: attribute xyz has 'O.3', which is not a number",
        'xyz="0 0 O.3"',
    ),
    "NaN": (
        'rpy="0 0 0"/>\n    <axis xyz="0 1 0"/>',
        'rpy="0 nan 0"/>\n    <axis xyz="0 1 0"/>',
        r"joint 'elbow': <origin>: attribute rpy has 'nan', which is not finite",
        'rpy="0 nan 0"',
    ),
    "infinite": (
        'xyz="0.3 0 0"',
        'xyz="inf 0 0"',
        r"joint 'flange': <origin>: attribute xyz has 'inf', which is not finite",
        'xyz="inf 0 0"',
    ),
    "overflow": (
        'xyz="0.3 0 0"',
        'xyz="1e999 0 0"',
        r"attribute xyz='1e999' overflows to infinity",
        'xyz="1e999 0 0"',
    ),
    "axis NaN": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 NaN 0"/>',
        r"joint 'elbow': <axis>: attribute xyz has 'NaN', which is not finite",
        '<axis xyz="0 NaN 0"/>',
    ),
    "axis without xyz": (
        '<axis xyz="0 1 0"/>',
        "<axis/>",
        r"joint 'elbow': <axis>: <axis> needs an xyz attribute \(an <axis> without it is not URDF's default 1 0 0: "
        r"urdfdom reads it as a zero axis\)",
        "<axis/>",
    ),
    "axis count": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1"/>',
        r"joint 'elbow': <axis>: attribute xyz='0 1' has 2 numbers",
        '<axis xyz="0 1"/>',
    ),
    "zero axis": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 0.0 -0"/>',
        r"joint 'elbow': <axis>: axis must not be zero \(expected a direction such as \[0, 0, 1\]\)$",
        '<axis xyz="0 0.0 -0"/>',
    ),
    "lower above upper": (
        'lower="-2" upper="2"',
        'lower="2" upper="-2"',
        r"joint 'elbow': <limit>: lower limit 2 rad is above upper limit -2 rad$",
        'lower="2"',
    ),
    "default upper below lower": (
        'lower="-2" upper="2"',
        'lower="0.5"',
        r"lower limit 0.5 rad is above upper limit 0 rad$",
        'lower="0.5"',
    ),
    "bad limit": (
        'lower="-3"',
        'lower="-three"',
        r"joint 'shoulder': <limit>: attribute lower has '-three', which is not a number",
        'lower="-three"',
    ),
    "negative velocity": (
        'upper="3" effort="10" velocity="2"',
        'upper="3" effort="10" velocity="-2"',
        r"joint 'shoulder': <limit>: velocity must be a finite speed > 0 \[rad/s\] \(0 or None: unspecified\), got -2$",
        'velocity="-2"',
    ),
    "revolute without limit": (
        '    <limit lower="-2" upper="2" effort="10" velocity="2"/>\n',
        "",
        r"joint 'elbow': is missing its <limit> element",
        '<joint name="elbow"',
    ),
    "two origins": (
        '<origin xyz="0.3 0 0"/>',
        '<origin xyz="0.3 0 0"/>\n    <origin xyz="0.2 0 0"/>',
        r"joint 'flange': has 2 <origin> elements, expected at most one",
        '<origin xyz="0.2 0 0"/>',
    ),
    "no child element": (
        '    <child link="tool"/>\n',
        "",
        r"joint 'flange': is missing its <child> element",
        '<joint name="flange"',
    ),
    "joint without name": (
        '<joint name="elbow"',
        "<joint",
        r"a <joint>: <joint> needs a non-empty name attribute",
        '<joint type="revolute">\n    <parent link="upper"/>',
    ),
    "joint twice": (
        '<joint name="flange"',
        '<joint name="elbow"',
        r"joint 'elbow': is defined twice \(first on line 14\)",
        '<joint name="elbow" type="fixed"',
    ),
    "link twice": (
        '<link name="tool"/>',
        '<link name="fore"/>',
        r"link 'fore': is defined twice \(first on line 5\)",
        '<link name="fore"/>\n  <joint',
    ),
    "floating in the tree": (
        'type="revolute">\n    <parent link="upper"/>',
        'type="floating">\n    <parent link="upper"/>',
        r"joint 'elbow': is a floating joint; robokin handles trees of revolute, continuous, prismatic, fixed",
        '<joint name="elbow"',
    ),
    "planar in the tree": (
        'type="revolute">\n    <parent link="base"/>',
        'type="planar">\n    <parent link="base"/>',
        r"joint 'shoulder': is a planar joint; robokin handles trees",
        '<joint name="shoulder"',
    ),
    "mimic of an unknown joint": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1 0"/>\n    <mimic joint="shoulderr" multiplier="2"/>',
        r"joint 'elbow': <mimic>: mimics joint 'shoulderr', which is not a <joint> of this robot",
        "<mimic joint=",
    ),
    "mimic of a fixed joint": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1 0"/>\n    <mimic joint="flange"/>',
        r"joint 'elbow': <mimic>: mimics joint 'flange', which is fixed",
        "<mimic joint=",
    ),
    "mimic of itself": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1 0"/>\n    <mimic joint="elbow"/>',
        r"joint 'elbow': <mimic>: mimics itself \(a joint can only follow another joint\)",
        "<mimic joint=",
    ),
    "mimic of a mimic joint": (
        '<limit lower="-2" upper="2" effort="10" velocity="2"/>\n  </joint>\n  <joint name="flange" type="fixed">',
        '<limit lower="-2" upper="2" effort="10" velocity="2"/>\n    <mimic joint="shoulder"/>\n  </joint>\n'
        '  <joint name="flange" type="revolute">\n    <mimic joint="elbow" multiplier="2"/>\n'
        '    <limit lower="-1" upper="1" effort="1" velocity="1"/>',
        r"joint 'flange': <mimic>: mimics joint 'elbow', which itself mimics 'shoulder' \(mimic chains",
        '<mimic joint="elbow"',
    ),
    "mimic without joint": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1 0"/>\n    <mimic multiplier="2"/>',
        r"joint 'elbow': <mimic>: <mimic> needs a non-empty joint attribute",
        "<mimic multiplier=",
    ),
    "mimic with a bad multiplier": (
        '<axis xyz="0 1 0"/>',
        '<axis xyz="0 1 0"/>\n    <mimic joint="shoulder" multiplier="two"/>',
        r"joint 'elbow': <mimic>: attribute multiplier has 'two', which is not a number",
        "<mimic joint=",
    ),
    "xacro element": (
        '<link name="tool"/>',
        '<xacro:property name="l" value="0.3"/>\n  <link name="tool"/>',
        r"<xacro:property> is a xacro element, not URDF: expand it to plain URDF first: `xacro arm.urdf.xacro > arm.urdf`",
        "<xacro:property",
    ),
    "xacro expression": (
        'xyz="0.3 0 0"',
        'xyz="${l} 0 0"',
        r"<origin> attribute xyz='\$\{l\} 0 0' holds a xacro substitution: this file looks like an unexpanded xacro",
        'xyz="${l} 0 0"',
    ),
    "root not robot": (
        '<robot name="arm">',
        '<robt name="arm">',
        r"malformed XML: mismatched tag",
        "</robot>",
    ),
    "robot without name": (
        '<robot name="arm">',
        "<robot>",
        r"<robot>: <robot> needs a non-empty name attribute",
        "<robot>",
    ),
    "entity without DTD": (
        'xyz="0.4 0 0"',
        'xyz="&len; 0 0"',
        r"malformed XML: undefined entity",
        'xyz="&len; 0 0"',
    ),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_each_bad_urdf_gets_a_located_error(case):
    old, new, match, marker = ERRORS[case]
    assert ARM.count(old) == 1, "the test's edit must be unambiguous"
    text = ARM.replace(old, new)
    with pytest.raises(RobotFormatError, match=match) as info:
        loads_urdf(text, path="bad/arm.urdf")
    err = info.value
    assert err.path == "bad/arm.urdf" and str(err).startswith(f"bad/arm.urdf:{_line_of(text, marker)}:")
    assert err.line == _line_of(text, marker) and err.column >= 1


def test_error_key_path_names_the_attribute():
    with pytest.raises(RobotFormatError, match="not a number") as info:
        loads_urdf(ARM.replace('xyz="0.4 0 0"', 'xyz="0.4 zero 0"'), path="a.urdf")
    assert info.value.key_path == "joint[@name='elbow']/origin/@xyz"
    assert info.value.column == 5  # the <origin> element starts in column 5


def test_root_element_must_be_robot():
    with pytest.raises(RobotFormatError, match=r"x.urdf:1:1: the root element is <sdf>, expected <robot>"):
        loads_urdf('<sdf version="1.6"><model name="m"/></sdf>', path="x.urdf")


def test_robot_without_links():
    with pytest.raises(RobotFormatError, match=r"robot 'empty' has no <link>"):
        loads_urdf('<robot name="empty"/>')


def test_chain_of_fixed_joints_only():
    with pytest.raises(
        RobotFormatError, match=r"the chain from 'fore' to 'tool' has no moving joint \(only fixed joints 'flange'\)"
    ):
        loads_urdf(ARM, base="fore")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE robot [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<robot name="&lol3;"><link name="a"/></robot>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE robot [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<robot name="&secret;"><link name="a"/></robot>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE robot SYSTEM "http://example.invalid/robot.dtd">
<robot name="r"><link name="a"/></robot>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "entity", "dtd"])
def test_dtds_and_entities_are_refused(text):
    with pytest.raises(
        RobotFormatError, match=r"evil.urdf:2:\d+: a document type declaration \(<!DOCTYPE ...>\) is not allowed"
    ):
        loads_urdf(text, path="evil.urdf")


def test_unknown_base_and_tip_links():
    with pytest.raises(
        RobotFormatError, match=r"unknown tip link 'toll' \(links of robot 'arm': 'base', 'upper', 'fore', 'tool'\)"
    ):
        loads_urdf(ARM, tip="toll")
    with pytest.raises(RobotFormatError, match=r"unknown base link 'world'"):
        loads_urdf(ARM, base="world")
    with pytest.raises(RobotFormatError, match=r"tip link 'upper' is not below base link 'fore'"):
        loads_urdf(ARM, base="fore", tip="upper")
    with pytest.raises(RobotFormatError, match=r"base and tip are the same link 'upper'"):
        loads_urdf(ARM, base="upper", tip="upper")
    with pytest.raises(RobotFormatError, match=r"base link 'tool' has no joint below it"):
        loads_urdf(ARM, base="tool")


def test_joints_off_the_chain_are_ignored_even_unsupported_ones():
    extra = (
        '  <link name="camera"/>\n  <link name="pendulum"/>\n'
        '  <joint name="cam_mount" type="floating"><parent link="upper"/><child link="camera"/></joint>\n'
        '  <joint name="swing" type="continuous"><parent link="fore"/><child link="pendulum"/>'
        '<mimic joint="elbow"/></joint>\n</robot>'
    )
    text = ARM.replace("</robot>", extra)
    with pytest.raises(RobotFormatError, match=r"joint 'cam_mount': is a floating joint; robokin handles trees"):
        loads_urdf(text)
    with pytest.raises(
        RobotFormatError,
        match=r"3 leaf links;.* 'pendulum' \(3 moving joints\), 'tool' \(2 moving "
        r"joints\), 'camera' \(2 moving joints\)",
    ):
        loads_urdf(text, base="base")  # a chain without tip: which leaf?
    robot = loads_urdf(text, tip="tool")
    assert robot.joint_names == ("shoulder", "elbow")
    floating = ARM.replace(
        'type="revolute">\n    <parent link="upper"/>', 'type="floating">\n    <parent link="upper"/>'
    )
    with pytest.raises(RobotFormatError, match=r"is a floating joint on the chain from 'base' to 'tool'"):
        loads_urdf(floating, tip="tool")
    mimic = ARM.replace('<axis xyz="0 1 0"/>', '<axis xyz="0 1 0"/>\n    <mimic joint="shoulder"/>')
    with pytest.raises(RobotFormatError, match=r"joint 'elbow': mimics joint 'shoulder' and lies on the chain"):
        loads_urdf(mimic, tip="tool")
    assert loads_urdf(mimic).n == 1  # in the whole tree the elbow follows the shoulder


def test_continuous_joint_is_unlimited_and_keeps_its_velocity():
    text = ARM.replace('type="revolute">\n    <parent link="upper"/>', 'type="continuous">\n    <parent link="upper"/>')
    robot = loads_urdf(text)
    np.testing.assert_array_equal(robot.limits[1], [-np.inf, np.inf])
    assert robot.velocity_limits[1] == 2.0
    text = text.replace('    <limit lower="-2" upper="2" effort="10" velocity="2"/>\n', "")
    assert loads_urdf(text).velocity_limits[1] == np.inf


def test_missing_file_and_xacro_file(tmp_path):
    with pytest.raises(RobotFormatError, match=r"nowhere.urdf: no such file"):
        load_urdf(tmp_path / "nowhere.urdf")
    xacro = tmp_path / "my_arm.urdf.xacro"
    xacro.write_text(ARM)
    hint = r"my_arm.urdf.xacro: this is a xacro file, not URDF: expand it to plain URDF first: `xacro my_arm"
    with pytest.raises(RobotFormatError, match=hint + r".urdf.xacro > my_arm.urdf`"):
        load_urdf(xacro)
    with pytest.raises(RobotFormatError, match=r": is a directory, not a robot file$"):
        load_urdf(tmp_path)


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "arm.urdf"
    path.write_text(ARM.replace('lower="-2" upper="2"', 'lower="2" upper="1"'))
    message = r"arm.urdf:19:5: joint 'elbow': <limit>: lower limit 2 rad is above upper limit 1 rad$"
    with pytest.raises(RobotFormatError, match=message) as info:
        load_urdf(path)
    assert info.value.path == str(path)


# ------------------------------------------------------------------------------------- YAML export and CLI
def test_dumps_of_an_imported_urdf_reads_back_bit_for_bit():
    from robokin.format import dumps, loads

    for path, tip in ((UR5, "tool0"), (PANDA, "panda_leftfinger"), (GANTRY, None)):
        robot = load_urdf(path, tip=tip)
        text = dumps(robot)
        assert f"robokin: {1 if tip else 2}" in text and f'source: "URDF {path}' in text  # no tip: the whole tree
        again = loads(text, path="converted.yaml")
        assert again.name == robot.name and again.source == robot.source
        assert [j.name for j in again.joints] == [j.name for j in robot.joints]
        q = _random_q(robot, np.random.default_rng(3), 50)
        np.testing.assert_array_equal(again.fk(q), robot.fk(q))  # bit for bit
        np.testing.assert_array_equal(again.limits, robot.limits)
        np.testing.assert_array_equal(again.velocity_limits, robot.velocity_limits)


def test_cli_convert_writes_a_yaml_that_loads_to_the_same_fk(tmp_path, capsys):
    import robokin
    from robokin.cli import main

    out = tmp_path / "ur5.yaml"
    assert main(["convert", str(UR5), "--tip", "tool0", "-o", str(out), "--digits", "17"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    converted = robokin.load(out)
    assert converted.source == f"URDF {UR5} (chain from link 'base_link' to link 'tool0')"
    urdf = load_urdf(UR5, tip="tool0")
    q = _random_q(urdf, np.random.default_rng(4), 50)
    np.testing.assert_array_equal(converted.fk(q), urdf.fk(q))
    # The FK of the converted file also matches the independent product of the URDF's transforms.
    expected = np.stack([_reference_fk(UR5, "base_link", "tool0", qi) for qi in q[:5]])
    np.testing.assert_allclose(converted.fk(q[:5]), expected, rtol=0, atol=FK_TOL)

    # Without -o the YAML goes to standard output; --base works too.
    assert main(["convert", str(PANDA), "--base", "panda_link2", "--tip", "panda_link8"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# robokin robot description") and "name: panda_joint3" in text
    assert "name: panda_joint2" not in text


def test_cli_convert_reports_errors(capsys):
    from robokin.cli import main

    assert main(["convert", str(PANDA)]) == 0  # the whole tree, in format 2
    out = capsys.readouterr().out
    assert "robokin: 2" in out and "mimic: {joint: panda_finger_joint1, multiplier: -1.0, offset: 0.0}" not in out
    assert "mimic: {joint: panda_finger_joint1, multiplier: 1.0, offset: 0.0}" in out
    assert main(["convert", str(PANDA), "--tip", "panda_rightfinger"]) == 1
    assert "mimics joint 'panda_finger_joint1'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- bundled robots
def test_bundled_ur5_yaml_and_the_ur5_urdf_give_the_same_fk():
    """robots/ur5.yaml is UR's DH table (dh form); ur5.urdf holds the same numbers as origins.

    The two parametrisations round differently (cos(pi/2) = 6e-17 enters in different places), so they
    agree to a few ulps, not bit for bit.
    """
    import robokin

    bundled = robokin.load("ur5")
    urdf = robokin.load(UR5, base="base_link_inertia", tip="tool0")
    assert bundled.n == urdf.n == 6
    np.testing.assert_array_equal(bundled.limits, urdf.limits)
    np.testing.assert_array_equal(bundled.velocity_limits, urdf.velocity_limits)
    q = _random_q(bundled, np.random.default_rng(5), 200)
    np.testing.assert_allclose(urdf.fk(q), bundled.fk(q), rtol=0, atol=FK_TOL)
    for name, qc in bundled.configurations.items():
        np.testing.assert_allclose(urdf.fk(qc), bundled.fk(qc), rtol=0, atol=FK_TOL, err_msg=name)


def test_bundled_panda_yaml_and_the_panda_urdf_give_the_same_flange_pose():
    import robokin

    bundled = robokin.load("panda")  # modified DH, tool = flange
    urdf = robokin.load(PANDA, tip="panda_link8")
    np.testing.assert_array_equal(bundled.limits, urdf.limits)
    np.testing.assert_array_equal(bundled.velocity_limits, urdf.velocity_limits)
    q = _random_q(bundled, np.random.default_rng(6), 200)
    np.testing.assert_allclose(urdf.fk(q), bundled.fk(q), rtol=0, atol=FK_TOL)


def test_a_robot_of_one_link_and_no_joint_says_so():
    # example-robot-data's hector quadrotor_base.urdf is one link; the message named an empty list of fixed joints
    text = '<robot name="hector"><link name="base_link"/></robot>'
    with pytest.raises(
        RobotFormatError, match=r"<string>: robot 'hector' has no joint \(its only link is 'base_link'\)"
    ):
        loads_urdf(text)


def test_a_fixed_joint_with_a_stray_mimic_is_no_obstacle_to_a_chain():
    # Talos' gripper joints 'gripper_left_inner_double_joint' (and others) are type="fixed" with a <mimic>: the
    # whole tree ignores it (a fixed joint does not move), and so must a chain through it (it was refused as a
    # mimic joint on the chain). Pose against Pinocchio's, recorded in trees/reference.json.
    path = DATA / "trees" / "talos_left_arm.urdf"
    tip = "gripper_left_fingertip_1_link"
    chain = load_urdf(path, tip=tip)
    reference = json.loads((DATA / "trees" / "reference.json").read_text())["files"]["talos_left_arm.urdf"]
    for sample in reference["samples"]:
        q = [sample["q"][name] for name in chain.joint_names]
        np.testing.assert_allclose(chain.fk(q), sample["frames"][tip]["T_world_link"], rtol=0, atol=1e-14)
        np.testing.assert_allclose(
            robokin.jacobian(chain, q), np.array(sample["frames"][tip]["J_world"])[:, :6], rtol=0, atol=1e-14
        )
    # a moving joint that mimics is still refused on a chain
    text = path.read_text().replace(
        'name="gripper_left_inner_double_joint" type="fixed"', 'name="gripper_left_inner_double_joint" type="revolute"'
    )
    with pytest.raises(
        RobotFormatError,
        match=r"joint 'gripper_left_inner_double_joint'.*mimics joint 'gripper_left_joint' and lies on the chain",
    ):
        loads_urdf(text, tip=tip)


def test_describing_a_comb_of_thousands_of_leaves_is_linear():
    # A spine with a fixed leaf on each link: counting the joints above each leaf by walking up from it is
    # quadratic (main: 9 s CPU at 8000 links on the review host); one pass down from the root is linear.
    small, large = urdf_comb(374), urdf_comb(2999)
    t_small = best_cpu_time(lambda: describes_urdf(small))
    t_large = best_cpu_time(lambda: describes_urdf(large))
    # 8x the links: linear is ~8x, quadratic 64x. Generous for a shared CI machine (a ratio, not a speed).
    assert t_large / t_small < 24, (t_small, t_large)
    description = describes_urdf(large)
    assert len(description.leaves) == 3000 - 1  # t1 … t2999 (every spine link has its leaf below it)
    first = description.leaves[0]  # most moving joints first
    assert (first.link, first.moving, first.joints) == ("t2999", 2999, 3000)
    assert {(leaf.moving, leaf.joints) for leaf in description.leaves if leaf.link == "t17"} == {(17, 18)}


@pytest.mark.parametrize(
    "attribute, where",
    [
        ('<link name="$(arg prefix)base"/>', (3, 3)),
        ('<link name="base"/><link name="${prefix}tip"/>', (3, 22)),
    ],
)
def test_an_unexpanded_xacro_substitution_is_refused_where_it_is(tmp_path, attribute, where):
    """review10: a URDF whose names still hold xacro's ``$(arg ...)`` / ``${...}`` loaded silently, with the
    substitution text as frame names; now the file's own FILE:LINE:COL error says it looks unexpanded."""
    text = (
        '<?xml version="1.0"?>\n<robot name="arm">\n  ' + attribute + "\n"
        '  <joint name="j" type="revolute"><parent link="base"/><child link="tip"/>\n'
        '    <limit lower="-1" upper="1" effort="1" velocity="1"/></joint>\n</robot>\n'
    )
    if "tip" not in attribute:
        text = text.replace('<link name="$(arg prefix)base"/>', '<link name="$(arg prefix)base"/><link name="tip"/>')
    path = tmp_path / "arm.urdf"
    path.write_text(text)
    line, column = where
    message = (
        rf"^{re.escape(str(path))}:{line}:{column}: <link> attribute name='.*' holds a xacro substitution: this file "
        r"looks like an unexpanded xacro; expand it to plain URDF first: `xacro "
    )
    for read in (load_urdf, robokin.load, robokin.describe_urdf):
        with pytest.raises(RobotFormatError, match=message):
            read(path)
    with pytest.raises(RobotFormatError, match="looks like an unexpanded xacro"):
        loads_urdf(text.replace("$(arg prefix)", "${prefix}"))


def _two_joint_urdf(offset: str = "0 0 0.34", limit: str = "-2.9 2.9", prismatic: str = "0 0.5") -> str:
    return f"""<robot name="units">
  <link name="a"/><link name="b"/><link name="c"/>
  <joint name="j1" type="revolute"><parent link="a"/><child link="b"/><origin xyz="{offset}"/>
    <axis xyz="0 0 1"/><limit lower="{limit.split()[0]}" upper="{limit.split()[1]}" effort="1" velocity="1"/></joint>
  <joint name="slide" type="prismatic"><parent link="b"/><child link="c"/><origin xyz="0.1 0 0"/>
    <axis xyz="1 0 0"/><limit lower="{prismatic.split()[0]}" upper="{prismatic.split()[1]}" effort="1" velocity="1"/>
  </joint>
</robot>"""


def test_urdf_numbers_that_look_like_millimetres_or_degrees_draw_the_yaml_readers_warning(tmp_path, capsys):
    """review12: URDF had no unit check at all: limits of ±170 (degrees) and 340 m links (millimetres) loaded
    silently, and `robokin check` said "ok", while the same numbers in YAML drew a PlausibilityWarning."""
    from robokin.cli import main
    from robokin.errors import PlausibilityWarning

    with pytest.warns(PlausibilityWarning, match=r"joint 'j1' has a limit of 170 rad \(more than two turns\): URDF "):
        loads_urdf(_two_joint_urdf(limit="-170 170"))
    with pytest.warns(PlausibilityWarning, match=r"joint 'j1' has a length of 340 m; .* divide them by 1000"):
        loads_urdf(_two_joint_urdf(offset="0 0 340"), base="a", tip="c")
    # Plausible numbers, and the markers of "unlimited" (±1e16 rad, a mobile base's ±999999 m), stay quiet,
    # in URDF and in YAML alike.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        loads_urdf(_two_joint_urdf())
        loads_urdf(_two_joint_urdf(limit="-1e16 1e16", prismatic="-999999 999999"))
        robokin.loads(
            "robokin: 1\nname: base\njoints:\n  - {name: x, type: prismatic, dh: {a: 0, alpha: 0, d: 0, theta: 0}, "
            "limits: [-999999, 999999]}\n"
        )
    path = tmp_path / "degrees.urdf"
    path.write_text(_two_joint_urdf(limit="-170 170"))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "warning: " in out and "has a limit of 170 rad" in out and f"{path}: implausible (URDF robot 'units'" in out
