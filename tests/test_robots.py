"""The bundled robot files in robots/: metadata, limits, postures, and kinematics against peers.

Three kinds of expected values, none taken from robokin's own output:

* the raw YAML itself (every file names its source, has sane limits and named postures);
* reference poses and world-frame Jacobians recorded from a peer library
  (roboticstoolbox-python or Pinocchio) by ``tests/data/make_reference.py``, with provenance;
* values derived by hand from the published dimensions (Puma 560 at q = 0, ABB IRB 140
  calibration position, KR 5 arc HOME, UR5 zero pose, the planar 2R closed form, ...).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROBOTS_DIR = ROOT / "robots"
DATA_DIR = Path(__file__).resolve().parent / "data"
ROBOT_FILES = sorted(ROBOTS_DIR.glob("*.yaml"))
ROBOT_NAMES = [p.stem for p in ROBOT_FILES]
REFERENCE_FILES = sorted(DATA_DIR.glob("reference_*.json"))

# Agreement with a peer that evaluates exactly the same published numbers: a few ulps of the
# ~1 m lengths involved (the recorded differences are <= 9e-16, see make_reference.py).
PEER_ATOL = 1e-12
# Hand-derived values written to the digits the source publishes.
HAND_ATOL = 1e-9

# Expected structure of each bundled robot: (number of joint variables, joint types in q order).
R, P = "revolute", "prismatic"
EXPECTED = {
    "planar2r": [R, R],
    "planar3r": [R, R, R],
    "puma560": [R] * 6,
    "panda": [R] * 7,
    "stanford": [R, R, P, R, R, R],
    "cobra600": [R, R, P, R],
    "ur5": [R] * 6,
    "ur10": [R] * 6,
    "iiwa14": [R] * 7,
    "gen3": [R] * 7,
    "irb140": [R] * 6,
    "kr5_arc": [R] * 6,
    "ur3": [R] * 6,
    "panda_hand": [R] * 7 + [P],
    "baxter": [R] * 14,
}


def _raw(name: str) -> dict:
    return yaml.safe_load((ROBOTS_DIR / f"{name}.yaml").read_text())


@pytest.fixture(scope="module")
def rk():
    """The robokin package, once its YAML loader exists (skip cleanly before that)."""
    pytest.importorskip("robokin.format", reason="robokin's YAML loader (robokin/format.py) is not there yet")
    import robokin

    return robokin


@pytest.fixture(scope="module")
def robots(rk):
    return {name: rk.load(name) for name in ROBOT_NAMES}


# ------------------------------------------------------------------------------------------
# The files themselves (no loader needed)
# ------------------------------------------------------------------------------------------


def test_every_expected_robot_is_bundled():
    assert set(EXPECTED) <= set(ROBOT_NAMES), sorted(set(EXPECTED) - set(ROBOT_NAMES))


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_file_metadata(name):
    doc = _raw(name)
    assert doc["robokin"] in (1, 2)  # 2: a tree (parents, frames, mimic joints)
    assert doc["name"] == name, "the file name and the robot's name must agree"
    assert isinstance(doc.get("description"), str) and len(doc["description"]) > 20
    # A source that names a document: a datasheet/manual/spec, or a paper/book with its year.
    source = doc.get("source", "")
    assert isinstance(source, str) and len(source) > 60
    assert any(ch.isdigit() for ch in source), "cite a year, a document number or the numbers"
    configs = doc.get("configurations") or {}
    assert {"zero", "home"} & set(configs), "a 'zero' or 'home' posture is required"
    assert len(configs) >= 2, "at least one useful posture besides zero/home"


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_every_moving_joint_has_limits_or_is_continuous(name):
    doc = _raw(name)
    for joint in doc["joints"]:
        if joint["type"] == "prismatic":
            assert "limits" in joint, f"{name}: prismatic joint {joint['name']} needs its stroke"
        if joint["type"] == "fixed":
            assert "limits" not in joint and "velocity" not in joint


def test_the_files_use_every_part_of_the_format():
    docs = [_raw(n) for n in ROBOT_NAMES]
    forms = {form for d in docs for j in d["joints"] for form in ("dh", "mdh", "origin") if form in j}
    assert forms == {"dh", "mdh", "origin"}
    assert any(j["type"] == "fixed" for d in docs for j in d["joints"])
    assert any(j["type"] == "prismatic" for d in docs for j in d["joints"])
    assert any("base" in d for d in docs) and any("tool" in d for d in docs)
    units = {(d.get("units") or {}).get(k) for d in docs for k in ("length", "angle")}
    assert {"mm", "deg"} <= units
    assert any("pi" in str(v) for n in ROBOT_NAMES for v in [(ROBOTS_DIR / f"{n}.yaml").read_text()])
    # the brief: the UR10 and the iiwa are in URDF origin/axis form
    for name in ("ur10", "iiwa14"):
        assert all("origin" in j for j in _raw(name)["joints"] if j["type"] != "fixed")


# ------------------------------------------------------------------------------------------
# Through the loader
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_loads_with_expected_structure(robots, name):
    robot = robots[name]
    assert robot.name == name
    assert robot.source.strip() == _raw(name)["source"].strip()
    if name in EXPECTED:
        assert robot.n == len(EXPECTED[name])
        assert list(robot.joint_types) == EXPECTED[name]
    moving = [j["name"] for j in _raw(name)["joints"] if j["type"] != "fixed" and "mimic" not in j]
    assert list(robot.joint_names) == moving


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_limits_are_physical(robots, name):
    robot = robots[name]
    lim = np.asarray(robot.limits)
    assert lim.shape == (robot.n, 2)
    assert np.all(lim[:, 0] < lim[:, 1])
    for (lo, hi), kind in zip(lim, robot.joint_types):
        if kind == "revolute":
            # finite limits of real arms stay within +/- 1.5 turns (IRB 140 axis 6: +/-400 deg)
            assert (lo >= -3 * math.pi and hi <= 3 * math.pi) or (np.isinf(lo) and np.isinf(hi))
            assert np.isinf(lo) or hi - lo >= math.radians(90)
        else:
            # metres of stroke: a gripper finger's 40 mm up to a 2 m axis (a stroke in mm would read 1000x)
            assert np.isfinite(lo) and np.isfinite(hi) and 0.01 <= hi - lo <= 2.0
    vel = np.asarray(robot.velocity_limits)
    assert vel.shape == (robot.n,)
    assert np.all(vel > 0)
    finite = vel[np.isfinite(vel)]
    assert np.all(finite < 4 * 2 * math.pi), "a joint speed above 4 rev/s (or 8 m/s) is not a datasheet value"


@pytest.mark.parametrize("name", ROBOT_NAMES)
def test_configurations_within_limits(robots, name):
    robot = robots[name]
    raw = _raw(name)["configurations"]
    assert set(robot.configurations) == set(raw)
    lim = np.asarray(robot.limits)
    for key, q in robot.configurations.items():
        q = np.asarray(q)
        assert q.shape == (robot.n,)
        assert np.all(q >= lim[:, 0]) and np.all(q <= lim[:, 1]), f"{name}.{key} = {q} outside {lim}"


def test_units_are_converted_on_load(robots):
    # puma560 is written in degrees, cobra600 in mm and degrees, iiwa14 in mm and degrees
    assert robots["puma560"].limits[1] == pytest.approx(np.radians([-45, 225]), abs=1e-15)
    assert robots["cobra600"].limits[2] == pytest.approx([0.0, 0.210], abs=1e-15)
    assert robots["cobra600"].configurations["ready"] == pytest.approx(
        [math.radians(30), math.radians(60), 0.100, 0.0], abs=1e-15
    )
    assert robots["stanford"].limits[2] == pytest.approx([12 * 0.0254, 50 * 0.0254], abs=1e-15)
    assert robots["iiwa14"].velocity_limits == pytest.approx(np.radians([85, 85, 100, 75, 130, 135, 135]))
    assert robots["panda"].velocity_limits == pytest.approx([2.175] * 4 + [2.61] * 3)


# ------------------------------------------------------------------------------------------
# Against peer-library references (tests/data/reference_<robot>.json)
# ------------------------------------------------------------------------------------------


def _reference(path: Path) -> dict:
    return json.loads(path.read_text())


# The bundled trees are checked frame by frame against a whole-tree URDF that is itself checked against
# Pinocchio (tests/test_trees.py, tests/data/urdf/trees/reference.json).
TREES_CHECKED_BY_URDF = {"panda_hand", "baxter"}


def test_every_robot_with_a_peer_has_a_reference():
    have = {p.stem.removeprefix("reference_") for p in REFERENCE_FILES}
    assert set(EXPECTED) - TREES_CHECKED_BY_URDF <= have


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.stem.removeprefix("reference_"))
def test_reference_provenance(path):
    ref = _reference(path)
    peer = ref["peer"]
    assert peer["library"] in ("roboticstoolbox-python", "pinocchio")
    assert peer["version"] and peer["model"] and "transform" in peer
    assert len(ref["samples"]) >= 3
    assert ref["independent_check"]["max_abs_dT"] < PEER_ATOL
    assert ref["independent_check"]["max_abs_dJ"] < PEER_ATOL


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.stem.removeprefix("reference_"))
def test_fk_and_jacobian_match_peer(robots, path):
    ref = _reference(path)
    robot = robots[ref["robot"]]
    q = np.array([s["q"] for s in ref["samples"]])  # (k, n)
    T_ref = np.array([s["T_world_tool"] for s in ref["samples"]])  # (k, 4, 4)
    J_ref = np.array([s["J_world"] for s in ref["samples"]])  # (k, 6, n)
    assert q.shape == (len(T_ref), robot.n)

    T = robot.fk(q)
    J = robot.jacobian(q)
    assert T.shape == T_ref.shape and J.shape == J_ref.shape
    np.testing.assert_allclose(T, T_ref, rtol=0, atol=PEER_ATOL)
    np.testing.assert_allclose(J, J_ref, rtol=0, atol=PEER_ATOL)
    # unbatched calls give the same answer
    np.testing.assert_allclose(robot.fk(q[0]), T_ref[0], rtol=0, atol=PEER_ATOL)
    np.testing.assert_allclose(robot.jacobian(q[-1], frame="world"), J_ref[-1], rtol=0, atol=PEER_ATOL)


# ------------------------------------------------------------------------------------------
# Values derived by hand from the published numbers
# ------------------------------------------------------------------------------------------


def test_planar2r_closed_form(robots):
    robot = robots["planar2r"]
    l1 = l2 = 1.0
    rng = np.random.default_rng(7)
    q = rng.uniform(-math.pi, math.pi, (50, 2))
    q1, q2 = q[:, 0], q[:, 1]
    T = robot.fk(q)
    np.testing.assert_allclose(T[:, 0, 3], l1 * np.cos(q1) + l2 * np.cos(q1 + q2), atol=1e-14)
    np.testing.assert_allclose(T[:, 1, 3], l1 * np.sin(q1) + l2 * np.sin(q1 + q2), atol=1e-14)
    np.testing.assert_allclose(T[:, 2, 3], 0.0, atol=1e-15)
    J = robot.jacobian(q)
    expected = np.zeros((50, 6, 2))
    expected[:, 0, 0] = -l1 * np.sin(q1) - l2 * np.sin(q1 + q2)
    expected[:, 0, 1] = -l2 * np.sin(q1 + q2)
    expected[:, 1, 0] = l1 * np.cos(q1) + l2 * np.cos(q1 + q2)
    expected[:, 1, 1] = l2 * np.cos(q1 + q2)
    expected[:, 5, :] = 1.0
    np.testing.assert_allclose(J, expected, atol=1e-14)


def test_planar3r_closed_form(robots):
    robot = robots["planar3r"]
    lengths = (1.0, 0.8, 0.5)
    q = robot.configurations["ready"]
    angles = np.cumsum(q)
    x = sum(li * math.cos(a) for li, a in zip(lengths, angles))
    y = sum(li * math.sin(a) for li, a in zip(lengths, angles))
    T = robot.fk(q)
    np.testing.assert_allclose(T[:3, 3], [x, y, 0.0], atol=1e-14)
    assert math.atan2(T[1, 0], T[0, 0]) == pytest.approx(angles[-1], abs=1e-14)


def test_puma560_zero_pose(robots):
    # Standard DH at q = 0: p = (a2 + a3, -d3, d4) above the shoulder, which is 26.45 in up.
    T = robots["puma560"].fk(np.zeros(6))
    np.testing.assert_allclose(T[:3, 3], [0.4318 + 0.0203, -0.15005, 0.67183 + 0.4318], atol=HAND_ATOL)
    np.testing.assert_allclose(T[:3, :3], np.eye(3), atol=HAND_ATOL)


def test_irb140_calibration_position(robots):
    # ABB: at the calibration position tool0 is at (515, 0, 712) mm, quaternion (0.7071, 0, 0.7071, 0),
    # i.e. z pointing forward and x pointing down: 70 + 380 + 65 = 515, 352 + 360 = 712.
    T = robots["irb140"].fk(np.zeros(6))
    np.testing.assert_allclose(T[:3, 3], [0.515, 0.0, 0.712], atol=HAND_ATOL)
    np.testing.assert_allclose(T[:3, :3], [[0, 0, 1], [0, 1, 0], [-1, 0, 0]], atol=HAND_ATOL)


def test_kr5_arc_home_and_axis_directions(robots):
    robot = robots["kr5_arc"]
    # HOME {0, -90, 90, 0, 0, 0}: flange at x = 180 + 620 + 115, z = 400 + 600 + 120 mm.
    T = robot.fk(robot.configurations["home"])
    np.testing.assert_allclose(T[:3, 3], [0.915, 0.0, 1.120], atol=HAND_ATOL)
    # KUKA's A1 turns clockwise seen from above: a positive A1 moves the flange to -y.
    assert robot.fk(np.radians([10, -90, 90, 0, 0, 0]))[1, 3] < -0.1
    # A2 positive lowers the arm.
    assert robot.fk(np.radians([0, -80, 90, 0, 0, 0]))[2, 3] < T[2, 3]


def test_ur5_zero_pose(robots):
    # UR DH at q = 0: p = (a2 + a3, -(d4 + d6), d1 - d5), tool z along -y.
    T = robots["ur5"].fk(np.zeros(6))
    expected = [-0.425 - 0.39225, -(0.10915 + 0.0823), 0.089159 - 0.09465]
    np.testing.assert_allclose(T[:3, 3], expected, atol=HAND_ATOL)
    np.testing.assert_allclose(T[:3, 2], [0, -1, 0], atol=HAND_ATOL)


def test_ur10_urdf_form_equals_ur_dh_zero_pose(robots):
    T = robots["ur10"].fk(np.zeros(6))
    expected = [-0.612 - 0.5723, -(0.163941 + 0.0922), 0.1273 - 0.1157]
    np.testing.assert_allclose(T[:3, 3], expected, atol=HAND_ATOL)


def test_iiwa14_candle(robots):
    # 360 + 420 + 400 + 126 mm straight up.
    T = robots["iiwa14"].fk(np.zeros(7))
    np.testing.assert_allclose(T[:3, 3], [0, 0, 1.306], atol=HAND_ATOL)
    np.testing.assert_allclose(T[:3, :3], np.eye(3), atol=HAND_ATOL)


def test_gen3_candle(robots):
    # Kinova's table: height = 156.4 + 128.4 + 210.4 + 210.4 + 208.4 + 105.9 + 105.9 + 61.5 mm, the
    # lateral offsets d2 and d4 (5.4 + 6.4 and 6.4 + 6.4 mm) add up along -y.
    T = robots["gen3"].fk(np.zeros(7))
    np.testing.assert_allclose(T[:3, 3], [0.0, -0.0246, 1.1873], atol=HAND_ATOL)


def test_cobra600_scara_geometry(robots):
    robot = robots["cobra600"]
    q = np.array([0.3, -0.7, 0.15, 0.4])
    T = robot.fk(q)
    x = 0.325 * math.cos(q[0]) + 0.275 * math.cos(q[0] + q[1])
    y = 0.325 * math.sin(q[0]) + 0.275 * math.sin(q[0] + q[1])
    np.testing.assert_allclose(T[:3, 3], [x, y, 0.387 - q[2]], atol=1e-14)  # the quill moves down
    np.testing.assert_allclose(T[:3, 2], [0, 0, -1], atol=1e-14)  # tool z points down
    J = robot.jacobian(q)
    np.testing.assert_allclose(J[:, 2], [0, 0, -1, 0, 0, 0], atol=1e-14)  # prismatic column


def test_panda_flange_is_a_fixed_joint(robots):
    robot = robots["panda"]
    assert robot.n == 7 and "flange" not in robot.joint_names
    assert len(robot.joints) == 8
    # home posture: flange pointing straight down (libfranka's ready pose)
    T = robot.fk(robot.configurations["home"])
    np.testing.assert_allclose(T[:3, 2], [0, 0, -1], atol=1e-12)
