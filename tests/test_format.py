"""The YAML robot format (robokin/format.py, docs/format.md): geometry, units, pi, errors, round trip.

Expected values are independent of robokin's own output: forward kinematics closed forms derived by hand
for small arms (compared with the product of ``Joint.matrix`` and with ``robot.fk``), exact float
identities for the unit conversions and pi expressions, and line/column numbers counted by hand in the
documents below.
"""

from __future__ import annotations

import math
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from robokin.errors import PlausibilityWarning, RobotFormatError
from robokin.format import MAX_BYTES, MAX_DEPTH, dumps, load_yaml, loads, save
from robokin.model import Joint, Origin, Robot

DATA = Path(__file__).resolve().parent / "data"
ROBOTS = Path(__file__).resolve().parent.parent / "robots"
ATOL = 1e-12  # closed forms vs. a chain of 4x4 products of ~1 m lengths: a few ulps


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def fk_ref(robot: Robot, q) -> np.ndarray:
    """Reference pose base @ Π Joint.matrix(q_i) @ tool (unbatched), fixed joints included."""
    T = robot.base.matrix
    k = 0
    for joint in robot.joints:
        if joint.moving:
            T = T @ joint.matrix(float(q[k]))
            k += 1
        else:
            T = T @ joint.matrix()
    return T @ robot.tool.matrix


def rz(t: float) -> np.ndarray:
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def pose(R, p) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = p
    return T


Q_GRID = np.random.default_rng(7).uniform(-3.0, 3.0, size=(12, 2))


# ------------------------------------------------------------------------------------------- geometry
PLANAR_DH = doc("""
    robokin: 1
    name: planar
    joints:
      - {name: j1, type: revolute, dh: {a: 0.7}}
      - {name: j2, type: revolute, dh: {a: 0.4}}
""")
PLANAR_MDH = doc("""
    robokin: 1
    name: planar
    tool: {xyz: [0.4, 0, 0]}
    joints:
      - {name: j1, type: revolute, mdh: {}}
      - {name: j2, type: revolute, mdh: {a: 0.7}}
""")
PLANAR_ORIGIN = doc("""
    robokin: 1
    name: planar
    tool: {xyz: [0.4, 0, 0]}
    joints:
      - {name: j1, type: revolute, origin: {}}
      - {name: j2, type: revolute, origin: {xyz: [0.7, 0, 0]}, axis: [0, 0, 1]}
""")


@pytest.mark.parametrize("text", [PLANAR_DH, PLANAR_MDH, PLANAR_ORIGIN], ids=["dh", "mdh", "origin"])
def test_planar_2r_three_forms_match_closed_form(text):
    robot = loads(text)
    assert robot.n == 2 and robot.joint_names == ("j1", "j2")
    for q1, q2 in Q_GRID:
        # Hand derivation: T = Rz(q1) Tx(0.7) Rz(q2) Tx(0.4).
        p = [0.7 * math.cos(q1) + 0.4 * math.cos(q1 + q2), 0.7 * math.sin(q1) + 0.4 * math.sin(q1 + q2), 0.0]
        expected = pose(rz(q1 + q2), p)
        np.testing.assert_allclose(fk_ref(robot, [q1, q2]), expected, atol=ATOL)
        np.testing.assert_allclose(robot.fk([q1, q2]), expected, atol=ATOL)


def test_dh_and_mdh_twist_conventions_differ_as_the_formulas_say():
    # Standard DH: joint 1 = Rz(q1) Tz(0.3) Rx(pi/2), joint 2 = Rz(q2) Tx(0.5).
    # Modified DH: joint 1 = Rz(q1) Tz(0.3), joint 2 = Rx(pi/2) Rz(q2), tool Tx(0.5): the same arm.
    dh = loads(
        doc("""
        robokin: 1
        name: shoulder
        joints:
          - {name: j1, type: revolute, dh: {d: 0.3, alpha: pi/2}}
          - {name: j2, type: revolute, dh: {a: 0.5}}
    """)
    )
    mdh = loads(
        doc("""
        robokin: 1
        name: shoulder
        tool: {xyz: [0.5, 0, 0]}
        joints:
          - {name: j1, type: revolute, mdh: {d: 0.3}}
          - {name: j2, type: revolute, mdh: {alpha: pi/2}}
    """)
    )
    for q1, q2 in Q_GRID:
        c1, s1, c2, s2 = math.cos(q1), math.sin(q1), math.cos(q2), math.sin(q2)
        p = [0.5 * c2 * c1, 0.5 * c2 * s1, 0.3 + 0.5 * s2]  # derived by hand
        for robot in (dh, mdh):
            np.testing.assert_allclose(fk_ref(robot, [q1, q2])[:3, 3], p, atol=ATOL)
            np.testing.assert_allclose(robot.fk([q1, q2]), fk_ref(robot, [q1, q2]), atol=ATOL)


def test_origin_rpy_and_axis_closed_forms():
    L = 0.25
    robot = loads(
        doc(f"""
        robokin: 1
        name: r
        tool: {{xyz: [{L}, 0, 0]}}
        joints:
          - {{name: j, type: revolute, origin: {{rpy: [pi/2, 0, 0]}}}}
    """)
    )
    for q in Q_GRID[:, 0]:
        c, s = math.cos(q), math.sin(q)
        # Rx(pi/2) Rz(q) written out by hand.
        R = np.array([[c, -s, 0], [0, 0, -1.0], [s, c, 0]])
        np.testing.assert_allclose(fk_ref(robot, [q]), pose(R, [L * c, 0, L * s]), atol=ATOL)
    about_y = loads(
        doc("""
        robokin: 1
        name: r
        tool: {xyz: [1, 0, 0]}
        joints:
          - {name: j, type: revolute, origin: {xyz: [0, 0, 2]}, axis: [0, 3, 0]}
    """)
    )
    reversed_y = loads(
        doc("""
        robokin: 1
        name: r
        tool: {xyz: [1, 0, 0]}
        joints:
          - {name: j, type: revolute, origin: {xyz: [0, 0, 2]}, axis: [0, -1, 0]}
    """)
    )
    assert about_y.joints[0].axis == (0.0, 1.0, 0.0)  # normalised
    for written, unit in [
        ("[1e200, 0, 0]", (1.0, 0.0, 0.0)),
        ("[0, 0, -1e-200]", (0.0, 0.0, -1.0)),
        ("[3, 0, 4]", (0.6, 0.0, 0.8)),
    ]:
        r = loads(f"robokin: 1\nname: r\njoints:\n  - {{name: j, type: revolute, origin: {{}}, axis: {written}}}\n")
        assert r.joints[0].axis == unit
    for q in Q_GRID[:, 0]:
        np.testing.assert_allclose(fk_ref(about_y, [q])[:3, 3], [math.cos(q), 0, 2 - math.sin(q)], atol=ATOL)
        np.testing.assert_allclose(fk_ref(reversed_y, [q])[:3, 3], [math.cos(q), 0, 2 + math.sin(q)], atol=ATOL)


def test_prismatic_dh_and_origin_axis():
    robot = loads(
        doc("""
        robokin: 1
        name: slides
        joints:
          - {name: lift, type: prismatic, dh: {theta: pi/2, a: 0.1, d: 0.2}}
          - {name: push, type: prismatic, origin: {xyz: [0, 0, 0.5]}, axis: [1, 1, 0]}
    """)
    )
    assert robot.joint_types == ("prismatic", "prismatic")
    for q1, q2 in Q_GRID:
        # Rz(pi/2) Tz(0.2 + q1) Tx(0.1): origin at (0, 0.1, 0.2 + q1), x along world y, y along world -x.
        # Then +0.5 along the new z (= world z), then q2 / sqrt(2) along new x + new y = (-1, 1, 0) in world.
        p = [-q2 / math.sqrt(2), 0.1 + q2 / math.sqrt(2), 0.2 + q1 + 0.5]
        np.testing.assert_allclose(fk_ref(robot, [q1, q2])[:3, 3], p, atol=ATOL)
        np.testing.assert_allclose(robot.fk([q1, q2]), fk_ref(robot, [q1, q2]), atol=ATOL)


def test_fixed_joint_base_and_tool():
    robot = loads(
        doc("""
        robokin: 1
        name: with_fixed
        base: {xyz: [1, 2, 3], rpy: [0, 0, pi/2]}
        tool: {xyz: [0.1, 0, 0]}
        joints:
          - {name: j1, type: revolute, dh: {a: 0.5}}
          - {name: bracket, type: fixed, origin: {xyz: [0, 0, 0.2], rpy: [0, 0, pi/2]}}
          - {name: j2, type: revolute, dh: {a: 0.3}}
    """)
    )
    assert robot.n == 2 and robot.joint_names == ("j1", "j2") and len(robot.joints) == 3
    for q1, q2 in Q_GRID:
        # base Rz(pi/2) at (1,2,3); then planar: angle q1, 0.5 out, turn pi/2, up 0.2, angle q2, 0.3 + 0.1 out.
        t = math.pi / 2
        p_local = [
            0.5 * math.cos(q1) + 0.4 * math.cos(q1 + t + q2),
            0.5 * math.sin(q1) + 0.4 * math.sin(q1 + t + q2),
            0.2,
        ]
        expected = pose(rz(t), [1, 2, 3]) @ pose(rz(q1 + t + q2), p_local)
        np.testing.assert_allclose(fk_ref(robot, [q1, q2]), expected, atol=ATOL)
        np.testing.assert_allclose(robot.fk([q1, q2]), expected, atol=ATOL)


def test_defaults_missing_dh_keys_xyz_rpy_and_axis():
    robot = loads(
        doc("""
        robokin: 1
        name: d
        joints:
          - {name: a, type: revolute, dh: {alpha: 1}}
          - {name: b, type: revolute, mdh: {}}
          - {name: c, type: revolute, origin: {}}
          - {name: e, type: prismatic, origin: {xyz: [1, 2, 3]}}
    """)
    )
    a, b, c, e = robot.joints
    assert a.dh == (0.0, 1.0, 0.0, 0.0) and b.dh == (0.0, 0.0, 0.0, 0.0)
    assert c.origin.xyz == (0.0, 0.0, 0.0) and c.origin.rpy == (0.0, 0.0, 0.0) and c.axis == (0.0, 0.0, 1.0)
    assert e.origin.xyz == (1.0, 2.0, 3.0) and e.axis == (0.0, 0.0, 1.0)
    assert all(j.limits == (-math.inf, math.inf) and j.velocity is None for j in robot.joints)
    assert robot.base.xyz == (0.0, 0.0, 0.0) and robot.tool.rpy == (0.0, 0.0, 0.0)
    assert robot.configurations == {} and robot.description == "" and robot.source == ""


# ------------------------------------------------------------------------------------------- units and pi
SI = doc("""
    robokin: 1
    name: u
    base: {xyz: [0, 0, 0.5], rpy: [0, pi/2, 0]}
    tool: {xyz: [0.02, 0, 0]}
    joints:
      - name: waist
        type: revolute
        dh: {a: 0.3, alpha: pi/2, d: 0.4, theta: pi/4}
        limits: [-pi/2, pi]
        velocity: pi
      - name: slide
        type: prismatic
        mdh: {a: 0.1, alpha: -pi/2, d: 0.002, theta: pi}
        limits: [0, 0.25]
        velocity: 0.5
      - name: wrist
        type: revolute
        origin: {xyz: [0.001, 0, 0.07], rpy: [pi/4, -pi/2, pi/2]}
        axis: [0, 1, 0]
        limits: [-2*pi, 2*pi]
    configurations:
      home: [pi/4, 0.125, -pi]
""")
MM_DEG = doc("""
    robokin: 1
    name: u
    units: {length: mm, angle: deg}
    base: {xyz: [0, 0, 500], rpy: [0, 90, 0]}
    tool: {xyz: [20, 0, 0]}
    joints:
      - name: waist
        type: revolute
        dh: {a: 300, alpha: 90, d: 400, theta: 45}
        limits: [-90, 180]
        velocity: 180
      - name: slide
        type: prismatic
        mdh: {a: 100, alpha: -90, d: 2, theta: 180}
        limits: [0, 250]
        velocity: 500
      - name: wrist
        type: revolute
        origin: {xyz: [1, 0, 70], rpy: [45, -90, 90]}
        axis: [0, 1, 0]
        limits: [-360, 360]
    configurations:
      home: {wrist: -180, slide: 125, waist: 45}
""")
CM_RAD = MM_DEG.replace("{length: mm, angle: deg}", "{length: cm, angle: rad}")


def _joint_fields(j: Joint) -> tuple:
    return (
        j.name,
        j.type,
        j.form,
        j.dh,
        None if j.origin is None else (j.origin.xyz, j.origin.rpy),
        j.axis,
        j.limits,
        j.velocity,
    )


def test_mm_deg_file_is_exactly_the_si_file():
    # Integer mm / 1000 and k * 45 deg / 180 * pi are correctly rounded to the same doubles as the decimal
    # literals and the pi expressions of the SI file, so equality here is exact, not approximate.
    si, mm = loads(SI), loads(MM_DEG)
    assert [_joint_fields(j) for j in si.joints] == [_joint_fields(j) for j in mm.joints]
    assert (si.base.xyz, si.base.rpy, si.tool.xyz) == (mm.base.xyz, mm.base.rpy, mm.tool.xyz)
    assert np.array_equal(si.configurations["home"], mm.configurations["home"])
    assert np.array_equal(mm.configurations["home"], [math.pi / 4, 0.125, -math.pi])
    for q in np.random.default_rng(3).uniform(-1, 1, size=(5, 3)) * [1, 0.1, 3]:
        q[1] = abs(q[1])
        assert np.array_equal(fk_ref(si, q), fk_ref(mm, q))


def test_units_apply_to_the_right_quantities():
    with pytest.warns(PlausibilityWarning, match=r"joint 'wrist' has a limit of 360 rad .* looks like degrees"):
        cm = loads(CM_RAD)  # (raw numbers, chosen to show which quantities the units scale)
    waist, slide, wrist = cm.joints
    # Lengths divided by 100, angles taken as radians.
    assert waist.dh == (3.0, 90.0, 4.0, 45.0) and waist.limits == (-90.0, 180.0) and waist.velocity == 180.0
    assert slide.dh == (1.0, -90.0, 0.02, 180.0) and slide.limits == (0.0, 2.5) and slide.velocity == 5.0
    assert wrist.origin.xyz == (0.01, 0.0, 0.7) and wrist.origin.rpy == (45.0, -90.0, 90.0)
    assert cm.base.xyz == (0.0, 0.0, 5.0) and cm.tool.xyz == (0.2, 0.0, 0.0)
    assert np.array_equal(cm.configurations["home"], [45.0, 1.25, -180.0])
    # The axis is a direction: no unit applies to it.
    assert wrist.axis == (0.0, 1.0, 0.0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pi", math.pi),
        ("-pi", -math.pi),
        ("pi/2", math.pi / 2),
        ("-pi/2", -math.pi / 2),
        ("2*pi/3", 2 * math.pi / 3),
        ("-3*pi/4", -3 * math.pi / 4),
        ("0.5*pi", 0.5 * math.pi),
        ("pi/2 + 0.1", math.pi / 2 + 0.1),
        ("pi - 1", math.pi - 1),
        ("2 * (pi - 1) / 3", 2 * (math.pi - 1) / 3),
        ("+1.5", 1.5),
        ("1e-05", 1e-05),
        ("1.0e+300", 1e300),
        ("-0.0", -0.0),
        (".5", 0.5),
        ("7", 7.0),
    ],
)
def test_pi_expressions_are_exact(text, expected):
    robot = loads(f"robokin: 1\nname: p\njoints:\n  - {{name: j, type: revolute, dh: {{theta: {text}}}}}\n")
    theta = robot.joints[0].dh[3]
    assert theta == expected and math.copysign(1, theta) == math.copysign(1, expected)


@pytest.mark.parametrize(
    "text, why",
    [
        ("2pi", r"unexpected 'pi'"),
        ("pi**2", r"unexpected '\*'"),
        ("pi^2", r"unexpected character '\^'"),
        ("e", r"unknown name 'e' \(only pi is allowed\)"),
        ("__import__('os')", r"unknown name '__import__'"),
        ("pi/0", r"division by zero"),
        ("(pi", r"unexpected end"),
        ("pi/", r"unexpected end"),
        ("012", r"leading zero"),
        ("1_000", r"unknown name '_000'"),
        ("0x10", r"unknown name 'x10'"),
        ("1" + "0" * 120, r"longer than 100 characters"),
    ],
)
def test_bad_pi_expressions(text, why):
    src = f"robokin: 1\nname: p\njoints:\n  - name: j\n    type: revolute\n    dh: {{theta: {text}}}\n"
    # "    dh: {theta: " is 16 characters: the value starts in column 17 of line 6.
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:6:17: joint 'j': 'dh.theta' must be a number or an "
        rf"expression of pi such as pi/2, got .*{why}",
    ):
        loads(src)


def test_configurations_list_and_mapping_forms():
    robot = loads(
        doc("""
        robokin: 1
        name: c
        units: {angle: deg, length: mm}
        joints:
          - {name: a, type: revolute, dh: {}, limits: [-90, 90]}
          - {name: f, type: fixed, dh: {d: 10}}
          - {name: b, type: prismatic, dh: {}, limits: [0, 100]}
        configurations:
          as_list: [90, 100]
          as_map: {b: 50, a: -45}
          edge: [-90, 0]
    """)
    )
    assert list(robot.configurations) == ["as_list", "as_map", "edge"]
    assert np.array_equal(robot.configurations["as_list"], [math.pi / 2, 0.1])
    assert np.array_equal(robot.configurations["as_map"], [-math.pi / 4, 0.05])
    assert np.array_equal(robot.configurations["edge"], [-math.pi / 2, 0.0])


def test_one_sided_limits_with_null_and_text_fields():
    robot = loads(
        doc("""
        robokin: 1
        name: "arm 7"
        description: |
          two lines
          of text
        source:
        joints:
          - {name: a, type: revolute, dh: {}, limits: [null, 1]}
          - {name: b, type: prismatic, dh: {}, limits: [0, ~]}
    """)
    )
    assert robot.name == "arm 7" and robot.description == "two lines\nof text\n" and robot.source == ""
    assert robot.joints[0].limits == (-math.inf, 1.0) and robot.joints[1].limits == (0.0, math.inf)


def test_the_example_in_the_docs_loads():
    text = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    robot = loads(example, path="docs/format.md")
    assert robot.n == 4 and len(robot.joints) == 5
    assert robot.joint_names == ("waist", "shoulder", "reach", "wrist")
    assert np.array_equal(robot.configurations["home"], [0.0, math.pi / 2, 0.05, -math.pi / 4])
    assert np.array_equal(robot.configurations["tucked"], [0.0, -math.pi / 2, 0.0, 0.0])


def test_good_fixture_file_mixes_every_form():
    robot = load_yaml(DATA / "good" / "mixed_forms.yaml")
    assert [j.form for j in robot.joints] == ["dh", "mdh", "origin", "origin", "dh"]
    assert robot.joint_types == ("revolute", "revolute", "prismatic", "revolute")
    assert robot.n == 4 and robot.joints[3].type == "fixed"
    assert np.array_equal(robot.configurations["home"], [0.0, math.pi / 2, 0.05, -math.pi / 4])


# ------------------------------------------------------------------------------------------- errors
HEAD = doc("""
    robokin: 1
    name: arm
    joints:
      - name: shoulder
        type: revolute
        dh: {a: 1.0}
""")  # six lines; text appended starts on line 7


def _head_with(line6: str) -> str:
    """HEAD with its sixth line (the shoulder's geometry) replaced."""
    return HEAD.replace("    dh: {a: 1.0}\n", line6 + "\n")


ERROR_CASES = [
    # --- unknown keys, everywhere
    (
        "top-level key",
        HEAD + "joint_count: 3\n",
        r"^<string>:7:1: unknown key 'joint_count' \(expected robokin, name, description, source, units, base, "
        r"tool, joints, configurations\)$",
    ),
    (
        "units key",
        "robokin: 1\nname: arm\nunits: {length: mm, time: s}\n" + HEAD[21:],
        r"^<string>:3:21: 'units' has unknown key 'time' \(expected length, angle\)$",
    ),
    (
        "base key",
        "robokin: 1\nname: arm\nbase: {xyz: [0, 0, 1], pos: [1, 2, 3]}\n" + HEAD[21:],
        r"^<string>:3:24: 'base' has unknown key 'pos' \(expected xyz, rpy\)$",
    ),
    (
        "tool key",
        HEAD + "tool: {rot: [0, 0, 0]}\n",
        r"^<string>:7:8: 'tool' has unknown key 'rot' \(expected xyz, rpy\)$",
    ),
    (
        "joint key",
        HEAD + "    axes: [0, 0, 1]\n",
        r"^<string>:7:5: joint 'shoulder': unknown key 'axes' \(expected name, type, dh, mdh, origin, axis, "
        r"limits, velocity\); did you mean 'axis'\?$",
    ),
    (
        "dh key (the contract's example)",
        HEAD + "  - name: elbow\n    type: revolute\n    dh: {a: 0.5, alfa: 0}\n",
        r"^<string>:9:18: joint 'elbow': 'dh' has unknown key 'alfa' \(expected a, alpha, d, theta\)",
    ),
    (
        "mdh key",
        _head_with("    mdh: {a: 0, dd: 1}"),
        r"^<string>:6:17: joint 'shoulder': 'mdh' has unknown key 'dd' \(expected a, alpha, d, theta\)",
    ),
    (
        "origin key",
        _head_with("    origin: {xyz: [0, 0, 0], rot: [0, 0, 0]}"),
        r"^<string>:6:30: joint 'shoulder': 'origin' has unknown key 'rot' \(expected xyz, rpy\)",
    ),
    # --- geometry forms
    (
        "two forms",
        HEAD + "    mdh: {a: 1.0}\n",
        r"^<string>:7:5: joint 'shoulder': two geometry forms \(dh and mdh\): give exactly one of dh, mdh or origin$",
    ),
    (
        "no form",
        _head_with("    limits: [-1, 1]"),
        r"^<string>:4:5: joint 'shoulder': no geometry: give exactly one of dh, mdh or origin$",
    ),
    (
        "axis with dh",
        HEAD + "    axis: [0, 1, 0]\n",
        r"^<string>:7:5: joint 'shoulder': 'axis' is not allowed with dh \(the dh joint axis is always z\)",
    ),
    (
        "axis with mdh",
        _head_with("    mdh: {}\n    axis: [0, 1, 0]"),
        r"^<string>:7:5: joint 'shoulder': 'axis' is not allowed with mdh",
    ),
    (
        "zero axis",
        _head_with("    origin: {}\n    axis: [0, 0, 0]"),
        r"^<string>:7:11: joint 'shoulder': axis must not be zero \(expected a direction such as \[0, 0, 1\]\)$",
    ),
    (
        "axis of 2",
        _head_with("    origin: {}\n    axis: [0, 1]"),
        r"^<string>:7:11: joint 'shoulder': 'axis' must be a list of 3 numbers, got 2 values$",
    ),
    # --- names and types
    (
        "duplicate joint names",
        HEAD + "  - name: shoulder\n    type: revolute\n    dh: {}\n",
        r"^<string>:7:11: joint 'shoulder': duplicate joint name \(first used on line 4\)$",
    ),
    (
        "joint without name",
        HEAD + "  - type: revolute\n    dh: {}\n",
        r"^<string>:7:5: joints\[1\]: missing required key 'name'$",
    ),
    (
        "joint without type",
        HEAD + "  - name: elbow\n    dh: {}\n",
        r"^<string>:7:5: joint 'elbow': missing required key 'type' \(expected revolute, prismatic, fixed\)$",
    ),
    (
        "unknown joint type",
        HEAD.replace("type: revolute", "type: continuous"),
        r"^<string>:5:11: joint 'shoulder': unknown joint type 'continuous' \(expected revolute, prismatic, fixed\)"
        r"; a URDF 'continuous' joint is a revolute joint without limits$",
    ),
    (
        "joint not a mapping",
        HEAD + "  - elbow\n",
        r"^<string>:7:5: joints\[1\]: a joint must be a mapping, got the text 'elbow'$",
    ),
    (
        "empty joint name",
        HEAD.replace("name: shoulder", "name: ''"),
        r"^<string>:4:11: joints\[0\]: 'name' must not be empty$",
    ),
    # --- numbers
    (
        "non-numeric",
        _head_with("    dh: {a: one}"),
        r"^<string>:6:13: joint 'shoulder': 'dh.a' must be a number \[m\], got 'one'$",
    ),
    (
        "bool true",
        _head_with("    dh: {a: true}"),
        r"^<string>:6:13: joint 'shoulder': 'dh.a' must be a number, got the boolean 'true'$",
    ),
    (
        "bool yes",
        _head_with("    dh: {d: yes}"),
        r"^<string>:6:13: joint 'shoulder': 'dh.d' must be a number, got the boolean 'yes'$",
    ),
    (
        "null",
        _head_with("    dh: {a: }"),
        r"^<string>:6:1[23]: joint 'shoulder': 'dh.a' must be a number, got nothing \(null\)$",
    ),
    (
        "list for a number",
        _head_with("    dh: {a: [1]}"),
        r"^<string>:6:13: joint 'shoulder': 'dh.a' must be a number, got a list$",
    ),
    (
        "nan",
        _head_with("    dh: {alpha: .nan}"),
        r"^<string>:6:17: joint 'shoulder': 'dh.alpha' must be a finite number, got '.nan' \(NaN and infinity",
    ),
    (
        "inf",
        _head_with("    origin: {xyz: [0, -.inf, 0]}"),
        r"^<string>:6:23: joint 'shoulder': 'origin.xyz\[1\]' must be a finite number, got '-.inf'",
    ),
    (
        "overflow",
        _head_with("    dh: {d: 1e999}"),
        r"^<string>:6:13: joint 'shoulder': 'dh.d' must be a finite number, got '1e999' \(out of range\)$",
    ),
    (
        "quoted text",
        _head_with("    dh: {d: 'abc'}"),
        r"^<string>:6:13: joint 'shoulder': 'dh.d' must be a number \[m\], got 'abc'$",
    ),
    (
        "xyz of 2",
        _head_with("    origin: {xyz: [0, 1]}"),
        r"^<string>:6:19: joint 'shoulder': 'origin.xyz' must be a list of 3 numbers, got 2 values$",
    ),
    (
        "rpy not a list",
        HEAD + "base: {rpy: 0}\n",
        r"^<string>:7:13: 'base.rpy' must be a list of 3 numbers, got the number 0$",
    ),
    (
        "dh not a mapping",
        _head_with("    dh: [1, 0, 0, 0]"),
        r"^<string>:6:9: joint 'shoulder': 'dh' must be a mapping, got a list$",
    ),
    # --- limits and velocity
    (
        "lower above upper",
        HEAD + "    limits: [1, -1]\n",
        r"^<string>:7:13: joint 'shoulder': lower limit 1 rad is above upper limit -1 rad$",
    ),
    (
        "limits of 3",
        HEAD + "    limits: [-1, 0, 1]\n",
        r"^<string>:7:13: joint 'shoulder': 'limits' must be a list \[lower, upper\], got 3 values$",
    ),
    (
        "infinite limit",
        HEAD + "    limits: [-1, .inf]\n",
        r"^<string>:7:18: joint 'shoulder': upper limit must be a finite number, got '.inf'",
    ),
    (
        "limits on fixed",
        HEAD + "  - {name: flange, type: fixed, dh: {d: 0.1}, limits: [0, 1]}\n",
        r"^<string>:7:47: joint 'flange': a fixed joint has no variable: remove 'limits'$",
    ),
    (
        "velocity on fixed",
        HEAD + "  - {name: flange, type: fixed, dh: {d: 0.1}, velocity: 1}\n",
        r"^<string>:7:47: joint 'flange': a fixed joint has no variable: remove 'velocity'$",
    ),
    (
        "axis on fixed",
        HEAD + "  - {name: flange, type: fixed, origin: {}, axis: [1, 0, 0]}\n",
        r"^<string>:7:45: joint 'flange': a fixed joint does not move: remove 'axis'$",
    ),
    (
        "negative velocity",
        HEAD + "    velocity: -1\n",
        r"^<string>:7:15: joint 'shoulder': velocity must be a finite speed > 0 \[rad/s\] \(0 or None: unspecified\), "
        r"got -1$",
    ),
    # --- units
    (
        "unknown length unit",
        "robokin: 1\nname: arm\nunits: {length: inch}\n" + HEAD[21:],
        r"^<string>:3:17: unknown length unit 'inch' in 'units' \(expected m, cm, mm\)$",
    ),
    (
        "unknown angle unit",
        "robokin: 1\nname: arm\nunits: {angle: degrees}\n" + HEAD[21:],
        r"^<string>:3:16: unknown angle unit 'degrees' in 'units' \(expected rad, deg\)$",
    ),
    (
        "pi in degrees",
        "robokin: 1\nname: arm\nunits: {angle: deg}\n" + HEAD[21:].replace("{a: 1.0}", "{alpha: pi/2}"),
        r"^<string>:7:17: joint 'shoulder': 'dh.alpha' uses pi but units.angle is deg; write degrees",
    ),
    # --- configurations
    (
        "configuration length",
        HEAD + "configurations:\n  home: [0, 0]\n",
        r"^<string>:8:9: configuration 'home': has 2 values but the robot has 1 moving joint \(shoulder\)$",
    ),
    (
        "configuration outside limits",
        HEAD + "    limits: [-1, 1]\nconfigurations:\n  home: [1.5]\n",
        r"^<string>:9:10: configuration 'home': value 1.5 for joint 'shoulder' is outside its limits \[-1, 1\]$",
    ),
    (
        "configuration type",
        HEAD + "configurations:\n  home: 5\n",
        r"^<string>:8:9: configuration 'home': must be a list of 1 joint values or a mapping joint name -> value, "
        r"got the number 5$",
    ),
    (
        "configuration value type",
        HEAD + "configurations:\n  home: [up]\n",
        r"^<string>:8:10: configuration 'home': value for joint 'shoulder' must be a number \[rad\], got 'up'$",
    ),
    (
        "configuration mapping unknown joint",
        HEAD + "configurations:\n  home: {shoulder: 0, elbow: 1}\n",
        r"^<string>:8:23: configuration 'home': unknown joint 'elbow' \(expected the moving joints shoulder\)$",
    ),
    (
        "configuration mapping missing joint",
        HEAD + "  - {name: elbow, type: revolute, dh: {}}\nconfigurations:\n  home: {shoulder: 0}\n",
        r"^<string>:9:9: configuration 'home': gives no value for joint\(s\) elbow",
    ),
    (
        "configuration mapping fixed joint",
        HEAD + "  - {name: flange, type: fixed, dh: {}}\nconfigurations:\n  home: {shoulder: 0, flange: 0}\n",
        r"^<string>:9:23: configuration 'home': joint 'flange' is fixed and has no value$",
    ),
    ("configurations empty", HEAD + "configurations: {}\n", r"^<string>:7:17: 'configurations' is empty"),
    # --- document structure
    ("not a mapping", "- robokin: 1\n- name: arm\n", r"^<string>:1:1: the file must be a mapping, got a list$"),
    ("scalar document", "robot\n", r"^<string>:1:1: the file must be a mapping, got the text 'robot'$"),
    ("empty file", "", r"^<string>:1:1: empty file"),
    ("only comments", "# nothing here\n\n", r"^<string>:1:1: empty file"),
    (
        "syntax error",
        "robokin: 1\nname: [arm\njoints: []\n",
        r"^<string>:3:7: YAML syntax error: while parsing a flow sequence: .*expected ',' or ']'.*started on line 2",
    ),
    (
        "tab indentation",
        HEAD.replace("    type: revolute", "\ttype: revolute"),
        r"^<string>:5:1: joint 'shoulder': YAML syntax error: a tab character in the indentation; YAML is indented "
        r"with spaces only \(replace the tabs by spaces\)$",
    ),
    (
        "bad indentation",
        "robokin: 1\nname: arm\n  joints: []\n",
        r"^<string>:3:9: YAML indentation error: unexpected ':': either this line is indented deeper than the key "
        r"above it \(line 2 starts at column 1\), so YAML reads it as the continuation of that key's value",
    ),
    ("two documents", HEAD + "---\nrobokin: 1\n", r"^<string>:7:1: YAML syntax error: expected a single document"),
    (
        "control character",
        "robokin: 1\nname: a\x07b\n",
        r"^<string>:2:8: YAML syntax error: character '\\x07' \(U\+0007\) is not allowed$",
    ),
    (
        "duplicate top-level key",
        HEAD + "name: other\n",
        r"^<string>:7:1: the file has duplicate key 'name' \(first given on line 2\)$",
    ),
    (
        "duplicate dh key",
        _head_with("    dh: {a: 1, a: 2}"),
        r"^<string>:6:16: joint 'shoulder': 'dh' has duplicate key 'a' \(first given on line 6\)$",
    ),
    (
        "duplicate joint key",
        HEAD + "    type: prismatic\n",
        r"^<string>:7:5: joints\[0\]: a joint has duplicate key 'type' \(first given on line 5\)$",
    ),
    (
        "no moving joint",
        HEAD.replace("type: revolute", "type: fixed"),
        r"^<string>:4:3: 'joints' needs at least one moving \(revolute or prismatic\) joint$",
    ),
    ("empty joints", "robokin: 1\nname: arm\njoints: []\n", r"^<string>:3:9: 'joints' needs at least one moving"),
    (
        "joints not a list",
        "robokin: 1\nname: arm\njoints: {a: 1}\n",
        r"^<string>:3:9: 'joints' must be a list of joints, got a mapping$",
    ),
    ("missing joints", "robokin: 1\nname: arm\n", r"^<string>:1:1: missing required key 'joints'"),
    ("missing name", HEAD.replace("name: arm\n", ""), r"^<string>:1:1: missing required key 'name'"),
    ("missing version", HEAD[11:], r"^<string>:1:1: missing required key 'robokin' \(the format version"),
    (
        "version 3",
        HEAD.replace("robokin: 1", "robokin: 3"),
        r"^<string>:1:10: unsupported format version 3 \(this robokin reads versions 1 and 2\)$",
    ),
    (
        "version as text",
        HEAD.replace("robokin: 1", "robokin: '1'"),
        r"^<string>:1:10: 'robokin' must be the integer format version 1, got the text '1'$",
    ),
    (
        "version as float",
        HEAD.replace("robokin: 1", "robokin: 1.0"),
        r"^<string>:1:10: 'robokin' must be the integer format version 1, got the number 1.0$",
    ),
    (
        "version as list",
        HEAD.replace("robokin: 1", "robokin: [1]"),
        r"^<string>:1:10: 'robokin' must be the integer format version 1, got a list$",
    ),
    (
        "version too long",
        HEAD.replace("robokin: 1", "robokin: " + "1" * 5000),
        r"^<string>:1:10: 'robokin' must be the integer format version 1, got a long number$",
    ),
    ("name as list", HEAD.replace("name: arm", "name: [arm]"), r"^<string>:2:7: 'name' must be text, got a list$"),
    # --- unsafe YAML
    (
        "python tag",
        "robokin: 1\nname: !!python/object/apply:os.system ['true']\n",
        r"^<string>:2:7: YAML tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed",
    ),
    (
        "custom tag",
        HEAD.replace("dh: {a: 1.0}", "dh: !dh {a: 1.0}"),
        r"^<string>:6:9: YAML tags such as '!dh' are not allowed in robot files$".replace("$", "; write plain values$"),
    ),
    (
        "standard tag",
        HEAD.replace("robokin: 1", "robokin: !!int 1"),
        r"^<string>:1:10: YAML tags such as 'tag:yaml.org,2002:int' are not allowed",
    ),
    (
        "non-specific tag",
        HEAD.replace("name: arm", "name: ! arm"),
        r"^<string>:2:7: YAML tags such as '!' are not allowed",
    ),
    (
        "anchor",
        HEAD.replace("dh: {a: 1.0}", "dh: &g {a: 1.0}"),
        r"^<string>:6:9: anchors \(&g\) are not allowed in robot files; write the value out$",
    ),
    (
        "merge key",
        HEAD.replace("dh: {a: 1.0}", "dh: {<<: {a: 1.0}}"),
        r"^<string>:6:10: joint 'shoulder': 'dh' has unknown key '<<'",
    ),
    (
        "complex key",
        HEAD.replace("dh: {a: 1.0}", "dh: {[a]: 1.0}"),
        r"^<string>:6:10: joint 'shoulder': 'dh' has a key that is not a name$",
    ),
]


@pytest.mark.parametrize("text, pattern", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_error(text, pattern):
    with pytest.raises(RobotFormatError, match=pattern) as info:
        loads(text)
    err = info.value
    assert err.path == "<string>" and err.line is not None and err.column is not None


def test_error_examples_in_the_docs_are_real():
    """Every example message printed in docs/format.md is what the loader says for some document."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
    examples = text.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    H = HEAD
    documents = [
        H + "  - name: elbow\n    type: revolute\n    dh: {a: 0.5, alfa: 0}\n",
        H + "    mdh: {a: 1}\n",
        _head_with("    limits: [-1, 1]"),
        H + "  - name: shoulder\n    type: revolute\n    dh: {}\n",
        _head_with("    dh: {a: one}"),
        _head_with("    dh: {a: true}"),
        _head_with("    dh: {a: .nan}"),
        _head_with("    origin: {xyz: [0, 1]}"),
        H + "    limits: [90, -90]\n",
        H + "  - {name: flange, type: fixed, dh: {d: 0.1}, limits: [0, 1]}\n",
        H + "    axis: [0, 1, 0]\n",
        H + "    velocity: -1\n",
        H.replace("type: revolute", "type: continuous"),
        "robokin: 1\nname: arm\nunits: {length: inch}\n" + H[21:],
        "robokin: 1\nname: arm\nunits: {angle: deg}\njoints:\n  - {name: j, type: revolute, dh: {alpha: pi/2}}\n",
        H + "configurations:\n  home: [0, 0]\n",
        H + "    limits: [-1, 1]\nconfigurations:\n  home: [2]\n",
        H + "joint_count: 3\n",
        _head_with("    dh: {a: 1, a: 2}"),
        H.replace("robokin: 1", "robokin: 3"),
        "- a\n",
        "",
        "robokin: 1\nname: [arm\njoints: []\n",
        H.replace("    type", "\ttype"),
        H.replace("type: revolute", "type: fixed"),
    ]
    messages = set()
    for document in documents:
        with pytest.raises(RobotFormatError) as info:
            loads(document, path="robots/arm.yaml")
        messages.add(str(info.value))
    with pytest.raises(RobotFormatError) as info:
        load_yaml("robots/nope.yaml")
    messages.add(str(info.value))
    assert len(examples) >= 20
    assert [m for m in examples if m not in messages] == []


def test_error_attributes_and_file_name():
    with pytest.raises(RobotFormatError) as info:
        loads(HEAD + "  - name: elbow\n    type: revolute\n    dh: {a: 0.5, alfa: 0}\n", path="robots/arm.yaml")
    err = info.value
    assert str(err) == (
        "robots/arm.yaml:9:18: joint 'elbow': 'dh' has unknown key 'alfa' (expected a, alpha, d, theta); "
        "did you mean 'alpha'?"
    )
    assert (err.path, err.line, err.column, err.key_path) == ("robots/arm.yaml", 9, 18, "joints[1].dh.alfa")
    assert isinstance(err, ValueError)  # RobotFormatError is also a ValueError


def test_missing_file_directory_and_encoding(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RobotFormatError, match=r"nope\.yaml: no such file$"):
        load_yaml(missing)
    with pytest.raises(RobotFormatError, match=r": is a directory, not a robot file$"):
        load_yaml(tmp_path)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"robokin: 1\nname: caf\xe9\n")
    with pytest.raises(RobotFormatError, match=r"latin1\.yaml:2:10: file is not UTF-8 text$"):
        load_yaml(latin1)
    with pytest.raises(TypeError, match="expects the YAML text as str"):
        loads(b"robokin: 1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name, pattern",
    [
        (
            "tab_indented.yaml",
            r"tab_indented\.yaml:6:1: joint '\w+': YAML syntax error: a tab character in the "
            r"indentation",
        ),
        (
            "python_object.yaml",
            r"python_object\.yaml:4:7: YAML tags such as "
            r"'tag:yaml.org,2002:python/object/apply:os.system' are not allowed",
        ),
        ("billion_laughs.yaml", r"billion_laughs\.yaml:5:5: anchors \(&a\) are not allowed"),
        (
            "dh_typo.yaml",
            r"dh_typo\.yaml:14:18: joint 'elbow': 'dh' has unknown key 'alfa' "
            r"\(expected a, alpha, d, theta\)",
        ),
    ],
)
def test_bad_fixture_files(name, pattern, tmp_path):
    with pytest.raises(RobotFormatError, match=pattern):
        load_yaml(DATA / "bad" / name)


def test_python_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"robokin: 1\nname: !!python/object/apply:os.system ['touch {marker}']\njoints: []\n"
    with pytest.raises(RobotFormatError, match=r":2:7: YAML tags"):
        loads(text)
    assert not marker.exists()


# ------------------------------------------------------------------------------------------- degenerate docs
def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, pattern",
    [
        (_laughs(10), r"^<string>:1:5: anchors \(&a0\) are not allowed"),
        ("x: *unknown\n", r"^<string>:1:4: aliases \(\*unknown\) are not allowed"),
        # libyaml (when PyYAML has it) stops flow nesting itself, at 1000 levels, before robokin's cap does
        (
            "[" * 100_000 + "]" * 100_000,
            rf"^<string>:1:({MAX_DEPTH + 1}: document nested too deeply|1001: YAML syntax error: .*nesting depth)",
        ),
        ("{a: " * 100_000 + "}" * 100_000, r"^<string>:1:\d+: document nested too deeply"),
        ("- " * 100_000 + "x\n", r"^<string>:1:\d+: document nested too deeply"),
        ("x: " + "a" * MAX_BYTES + "\n", rf"^<string>:1:1: document too large: {MAX_BYTES + 4} characters"),
    ],
    ids=["billion-laughs", "alias", "nested-lists", "nested-maps", "nested-block", "huge"],
)
def test_degenerate_documents_fail_fast(text, pattern):
    # CPU time of this process, not wall time: a loaded CI machine must not fail it, a slow parser still does.
    start = time.process_time()
    with pytest.raises(RobotFormatError, match=pattern):
        loads(text)
    assert time.process_time() - start < 1.0


def test_node_cap_stops_composition_at_the_first_value_beyond_it(monkeypatch):
    # The real cap (MAX_NODES, ~422 000) takes seconds to reach; the mechanism is the same at 1000.
    monkeypatch.setattr("robokin.format.MAX_NODES", 1000)
    text = "x: [" + ", ".join(["1"] * 100_000) + "]\n"
    start = time.perf_counter()
    # the mapping, 'x' and the list are 3 values; value k of the list is at column 5 + 3 (k - 1)
    with pytest.raises(
        RobotFormatError,
        match=rf"^<string>:1:{5 + 3 * (1000 - 3)}: document too large: more than "
        r"1000 YAML values$",
    ):
        loads(text)
    assert time.perf_counter() - start < 1.0


def test_oversized_file_is_refused_without_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_BYTES + "\n")
    start = time.perf_counter()
    with pytest.raises(RobotFormatError, match=rf"big\.yaml:1:1: document too large: {MAX_BYTES + 3} bytes"):
        load_yaml(big)
    assert time.perf_counter() - start < 1.0


def test_mutated_files_fail_only_with_robot_format_errors():
    """Random edits of a valid file either load or raise RobotFormatError: never another exception."""
    import random

    base = (DATA / "good" / "mixed_forms.yaml").read_text(encoding="utf-8")
    pieces = list("[]{}:,-#&*!|>'\"\t\n 0123456789.eEpi/+~?%@`") + ["null", "true", ".nan", "\n  - ", ": ", "\x00"]
    rng = random.Random(11)
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(400):
        text = base
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text) + 1)
            j = min(len(text), i + rng.randint(0, 4))
            text = text[:i] + (rng.choice(pieces) if rng.random() < 0.6 else "") + text[j:]
        try:
            loads(text)
            outcomes["loaded"] += 1
        except RobotFormatError as e:
            assert e.line is not None or "empty" in e.reason or "too large" in e.reason
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100 and outcomes["loaded"] > 10


# ------------------------------------------------------------------------------------------- round trip
def _bits(x) -> bytes:
    return np.asarray(x, dtype=float).tobytes()


def assert_same_robot(a: Robot, b: Robot, rng: np.random.Generator) -> None:
    """Every field bit for bit (signed zeros included), then fk at random q with np.array_equal."""
    assert (a.name, a.description, a.source) == (b.name, b.description, b.source)
    assert _bits(a.base.xyz + a.base.rpy) == _bits(b.base.xyz + b.base.rpy)
    assert _bits(a.tool.xyz + a.tool.rpy) == _bits(b.tool.xyz + b.tool.rpy)
    assert len(a.joints) == len(b.joints)
    for ja, jb in zip(a.joints, b.joints):
        assert (ja.name, ja.type, ja.form) == (jb.name, jb.type, jb.form)
        assert (ja.dh is None) == (jb.dh is None) and (ja.dh is None or _bits(ja.dh) == _bits(jb.dh))
        assert (ja.origin is None) == (jb.origin is None)
        if ja.origin is not None:
            assert _bits(ja.origin.xyz + ja.origin.rpy) == _bits(jb.origin.xyz + jb.origin.rpy)
        assert _bits(ja.axis) == _bits(jb.axis) and _bits(ja.limits) == _bits(jb.limits)
        assert ja.velocity == jb.velocity
    assert list(a.configurations) == list(b.configurations)
    for key in a.configurations:
        assert _bits(a.configurations[key]) == _bits(b.configurations[key])
    assert [(j.parent, j.child) for j in a.joints] == [(j.parent, j.child) for j in b.joints]
    for ja, jb in zip(a.joints, b.joints):  # format 2: mimic couplings
        assert (ja.mimic is None) == (jb.mimic is None)
        if ja.mimic is not None:
            assert ja.mimic.joint == jb.mimic.joint
            assert _bits((ja.mimic.multiplier, ja.mimic.offset)) == _bits((jb.mimic.multiplier, jb.mimic.offset))
    assert [(f.name, f.parent, _bits(f.origin.xyz + f.origin.rpy)) for f in a.frames] == [
        (f.name, f.parent, _bits(f.origin.xyz + f.origin.rpy)) for f in b.frames
    ]
    q = rng.uniform(-2, 2, size=(8, a.n))
    if not a.serial:  # a tree: every frame
        assert np.array_equal(a.fk_all(q), b.fk_all(q))
        return
    for qi in q:
        assert np.array_equal(fk_ref(a, qi), fk_ref(b, qi))
    assert np.array_equal(a.fk(q), b.fk(q))


@pytest.mark.parametrize("path", sorted(ROBOTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_round_trip_bundled_robots(path, tmp_path):
    robot = load_yaml(path)
    out = tmp_path / path.name
    save(robot, out)
    again = load_yaml(out)
    assert_same_robot(robot, again, np.random.default_rng(1))
    text = out.read_text()
    assert not any(line.startswith("units:") for line in text.splitlines())  # SI: no units section
    assert dumps(again) == text


def test_round_trip_hand_written_mm_deg_file():
    robot = loads(MM_DEG)
    assert_same_robot(robot, loads(dumps(robot)), np.random.default_rng(2))


ODD_NAMES = ["joint 1", "yes", "null", "1.5", "a: b", "#hash", "'quoted'", "ü-ñ", "-dash", "x\ty", "日本"]


def _random_robot(rng: np.random.Generator, index: int) -> Robot:
    special = [0.0, -0.0, 1e-300, 5e-324, 1e300, -1e-05, 0.1, 1 / 3, math.pi, 123456789.123456789]

    def num() -> float:
        return float(rng.choice(special)) if rng.random() < 0.3 else float(rng.normal(scale=2.0))

    def unit_vector() -> tuple[float, float, float]:
        v = rng.normal(size=3)
        v = v / np.linalg.norm(v)
        return (float(v[0]), float(v[1]), float(v[2]))

    joints = []
    for k in range(int(rng.integers(1, 7))):
        jtype = ["revolute", "prismatic", "fixed"][int(rng.integers(0, 3))] if k else "revolute"
        form = ["dh", "mdh", "origin"][int(rng.integers(0, 3))]
        kwargs = {}
        if form == "origin":
            kwargs["origin"] = Origin(xyz=(num(), num(), num()), rpy=(num(), num(), num()))
            if jtype != "fixed":
                kwargs["axis"] = unit_vector()
        else:
            kwargs["dh"] = (num(), num(), num(), num())
        if jtype != "fixed":
            kind = int(rng.integers(0, 4))
            lo, hi = sorted(rng.normal(scale=3.0, size=2))
            kwargs["limits"] = [(-math.inf, math.inf), (lo, hi), (-math.inf, hi), (lo, math.inf)][kind]
            if rng.random() < 0.5:
                kwargs["velocity"] = float(rng.uniform(0.01, 10.0))
        name = ODD_NAMES[(index + k) % len(ODD_NAMES)] + f"_{k}" if rng.random() < 0.5 else f"j{k}"
        joints.append(Joint(name=name, type=jtype, form=form, **kwargs))
    moving = [j for j in joints if j.moving]
    configurations = {}
    for c in range(int(rng.integers(0, 3))):
        q = [
            float(np.clip(rng.normal(), *j.limits)) if rng.random() < 0.8 else float(np.clip(0.0, *j.limits))
            for j in moving
        ]
        configurations[["home", "yes", "pose 2"][c]] = q
    return Robot(
        name=["rand", "on", "robot: x"][index % 3] + str(index),
        joints=tuple(joints),
        base=Origin(xyz=(num(), num(), num()), rpy=(num(), num(), num())) if rng.random() < 0.5 else Origin(),
        tool=Origin(xyz=(num(), num(), num()), rpy=(-0.0, 0.0, num())) if rng.random() < 0.5 else Origin(),
        configurations=configurations,
        description=["", 'line one\nline "two"  \n', "ü ∑ \\ tab\tend", "- starts with dash"][index % 4],
        source=["", "Craig (2005), Table 3.1", "'single quoted'"][index % 3],
    )


# (random sizes: the plausibility warning is expected; its own tests are above)
@pytest.mark.filterwarnings("ignore::robokin.errors.PlausibilityWarning")
def test_round_trip_random_robots_bit_for_bit():
    rng = np.random.default_rng(20240611)
    for index in range(40):
        robot = _random_robot(rng, index)
        assert_same_robot(robot, loads(dumps(robot)), rng)


def test_dumps_writes_si_and_keeps_forms_and_order():
    text = dumps(loads(MM_DEG))
    lines = text.splitlines()
    assert "robokin: 1" in lines and not any(line.startswith("units") for line in lines)
    assert "    dh: {a: 0.3, alpha: 1.5707963267948966, d: 0.4, theta: 0.7853981633974483}" in lines
    assert "    mdh: {a: 0.1, alpha: -1.5707963267948966, d: 0.002, theta: 3.141592653589793}" in lines
    assert "    axis: [0.0, 1.0, 0.0]" in lines
    assert "    limits: [-1.5707963267948966, 3.141592653589793]" in lines
    assert "    velocity: 0.5" in lines
    assert "  home: [0.7853981633974483, 0.125, -3.141592653589793]" in lines
    assert [line for line in lines if line.startswith("  - name:")] == [
        "  - name: waist",
        "  - name: slide",
        "  - name: wrist",
    ]


def test_dumps_writes_yaml_1_1_floats_and_one_sided_limits():
    robot = Robot(
        name="tiny",
        joints=(Joint(name="j", type="revolute", form="dh", dh=(1e-05, 0.0, 2e20, -0.0), limits=(-math.inf, 1.0)),),
    )
    text = dumps(robot)
    assert "    dh: {a: 1.0e-05, alpha: 0.0, d: 2.0e+20, theta: -0.0}" in text
    assert "    limits: [null, 1.0]" in text
    import yaml  # any YAML 1.1 reader sees floats, not strings

    assert yaml.safe_load(text)["joints"][0]["dh"] == {"a": 1e-05, "alpha": 0.0, "d": 2e20, "theta": -0.0}


@pytest.mark.parametrize(
    "joint, pattern",
    [
        (
            Joint(name="j", type="revolute", form="dh", dh=(0.0, 0.0, 0.0, 0.0), axis=(1.0, 0.0, 0.0)),
            r"cannot be saved: joint 'j': a dh joint moves about z, but its axis is",
        ),
        # (NaN geometry, a non-unit axis and a negative speed cannot be built at all: see test_model.py.)
    ],
)
def test_dumps_refuses_robots_it_cannot_write_exactly(joint, pattern):
    with pytest.raises(RobotFormatError, match=r"^<robot 'r'>: " + pattern):
        dumps(Robot(name="r", joints=(joint,)))


def test_dumps_drops_the_meaningless_fields_of_fixed_joints():
    # A URDF-built fixed joint may carry an axis or limits; they do not move anything and are not written.
    flange = Joint(
        name="flange",
        type="fixed",
        form="origin",
        origin=Origin(xyz=(0.0, 0.0, 0.1)),
        axis=(1.0, 0.0, 0.0),
        limits=(0.0, 0.0),
    )
    robot = Robot(name="r", joints=(Joint(name="j", type="revolute", form="dh", dh=(1.0, 0.0, 0.0, 0.0)), flange))
    text = dumps(robot)
    assert "  - name: flange\n    type: fixed\n    origin: {xyz: [0.0, 0.0, 0.1], rpy: [0.0, 0.0, 0.0]}\n" in text
    again = loads(text).joints[1]
    assert again.axis == (0.0, 0.0, 1.0) and again.limits == (-math.inf, math.inf)
    assert np.array_equal(fk_ref(robot, [0.3]), fk_ref(loads(text), [0.3]))


def test_save_and_load_accept_paths(tmp_path):
    robot = loads(PLANAR_DH)
    save(robot, str(tmp_path / "a.yaml"))
    save(robot, tmp_path / "b.yaml")
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    assert load_yaml(str(tmp_path / "a.yaml")).joint_names == ("j1", "j2")
    with pytest.raises(TypeError, match="dumps expects a Robot"):
        dumps("planar")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- issue 11, items 5 and 6
ARM_MM = """robokin: 1
name: lrmate
joints:
  - {name: j1, type: revolute, dh: {d: 330, a: 50, alpha: -pi/2}, limits: [-170, 170]}
  - {name: j2, type: revolute, dh: {a: 330}, limits: [-100, 145]}
"""


def test_a_file_in_mm_without_units_loads_with_a_warning_and_fails_check(tmp_path, capsys):
    import warnings

    from robokin.cli import main

    with (
        pytest.warns(PlausibilityWarning, match=r"joint 'j1' has a limit of 170 rad .* looks like degrees"),
        pytest.warns(
            PlausibilityWarning,
            match=r"joint 'j1' has a length of 330 m; robot arms are below ~20 m: add units: \{length: mm\}",
        ),
    ):
        loads(ARM_MM)
    path = tmp_path / "lrmate.yaml"
    path.write_text(ARM_MM)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # check prints the warnings itself
        assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "add units: {length: mm}" in out and "implausible (lrmate" in out
    assert "degrees in a radian file" not in out or "looks like degrees" in out
    fixed = ARM_MM.replace("name: lrmate\n", "name: lrmate\nunits: {length: mm, angle: deg}\n").replace("-pi/2", "-90")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loads(fixed)  # plausible: no warning
    assert main(["check", str(robokin_bundled("puma560"))]) == 0


def robokin_bundled(name: str):
    from robokin.loading import bundled_path

    return bundled_path(name)


def test_angle_units_that_look_wrong():

    radians_in_deg_file = (
        ARM_MM.replace("name: lrmate\n", "name: a\nunits: {length: mm, angle: deg}\n")
        .replace("[-170, 170]", "[-2.96, 2.96]")
        .replace("[-100, 145]", "[-1.7, 2.5]")
        .replace("-pi/2", "-90")
    )
    with pytest.warns(
        PlausibilityWarning, match=r"every revolute limit lies within ±2.96 deg: these look like radians"
    ):
        loads(radians_in_deg_file)
    degrees_in_rad_file = ARM_MM.replace("name: lrmate\n", "name: a\nunits: {length: mm}\n")
    with pytest.warns(
        PlausibilityWarning,
        match=r"joint 'j1' has a limit of 170 rad \(more than two turns\): this "
        r"looks like degrees in a radian file; add units: \{angle: deg\}",
    ):
        loads(degrees_in_rad_file)
    alpha_in_degrees = "robokin: 1\nname: a\njoints:\n  - {name: j, type: revolute, dh: {a: 0.3, alpha: 90}}\n"
    with pytest.warns(PlausibilityWarning, match=r"joint 'j' has an alpha of 90 rad \(more than two turns\)"):
        loads(alpha_in_degrees)  # "an alpha" (review8: "has a alpha")


def test_a_huge_revolute_limit_is_a_stand_in_for_unlimited_not_degrees(tmp_path):
    # example-robot-data's iris.urdf (made by Gazebo) writes its rotor joints as revolute with limits ±1e16;
    # saving it writes them, and reading the file back must not advise `units: {angle: deg}`.
    urdf = """<robot name="iris"><link name="base"/><link name="rotor"/>
  <joint name="rotor_0_joint" type="revolute"><parent link="base"/><child link="rotor"/><axis xyz="0 0 1"/>
    <limit effort="0.0" lower="-1e+16" upper="1e+16" velocity="0.0"/></joint></robot>"""
    import warnings

    from robokin.urdf import loads_urdf

    path = tmp_path / "iris.yaml"
    save(loads_urdf(urdf), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_yaml(path)
    np.testing.assert_array_equal(again.limits, [[-1e16, 1e16]])

    with pytest.warns(PlausibilityWarning, match=r"joint 'rotor_0_joint' has a limit of 360 rad \(more than two turns"):
        loads(path.read_text().replace("1.0e+16", "360.0"))


JOINT_BLOCK = """robokin: 1
name: t
joints:
  - name: j1
    type: revolute
    dh:
      a: 0.5
      alpha: 0
{X}
  - name: j2
    type: revolute
    dh: {{a: 1}}
"""


@pytest.mark.parametrize(
    "line, pattern",
    [
        (
            "     d: 1",
            r"^<string>:9:6: joint 'j1': YAML indentation error: this line starts at column 6, which lines "
            r"up with no block above it \(the enclosing keys start at columns 7, 5, 1\)",
        ),
        (
            "    d: 1",
            r"^<string>:9:5: joint 'j1': unknown key 'd' \(expected .*\); 'd' is a parameter of 'dh:' "
            r"\(or 'mdh:'\): indent it under that key$",
        ),
        (
            "        d: 1",
            r"^<string>:9:10: joint 'j1': YAML indentation error: unexpected ':': either this line is "
            r"indented deeper than the key above it \(line 8 starts at column 7\)",
        ),
        ("      d 1\n      theta: 0", r"^<string>:9:7: joint 'j1': YAML syntax error: a key without ':'"),
    ],
    ids=["dedented-between", "dedented-to-joint", "over-indented", "missing-colon"],
)
def test_yaml_indentation_errors_in_plain_words(line, pattern):
    with pytest.raises(RobotFormatError, match=pattern) as info:
        loads(JOINT_BLOCK.format(X=line))
    assert "<block end>" not in str(info.value) and "did you mean 'dh'" not in str(info.value)


def test_joint_type_typo_and_a_word_for_a_number():
    bad_type = JOINT_BLOCK.format(X="").replace("type: revolute", "type: revolut", 1)
    with pytest.raises(
        RobotFormatError,
        match=r"^<string>:5:11: joint 'j1': unknown joint type 'revolut' \(expected "
        r"revolute, prismatic, fixed\); did you mean 'revolute'\?$",
    ):
        loads(bad_type)
    fast = JOINT_BLOCK.format(X="    velocity: fast")
    with pytest.raises(
        RobotFormatError,
        match=r"^<string>:9:15: joint 'j1': 'velocity' must be a number \[rad/s\], "  # a speed's unit
        r"got 'fast'$",
    ) as info:
        loads(fast)
    assert "pi" not in str(info.value)


def test_writing_degrees_of_an_unlimited_joint_raises_no_numpy_warning():
    # The read-back check compared limits with |x - y|: inf - inf warned "invalid value encountered in subtract"
    # on every robot with a continuous joint written in degrees, millimetres or rounded digits.
    import warnings

    robot = loads("robokin: 1\nname: t\njoints:\n  - {name: a, type: revolute, origin: {xyz: [0, 0, 0.3]}}\n")
    assert robot.limits.tolist() == [[-math.inf, math.inf]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in (dumps(robot, angle="deg"), dumps(robot, length="mm"), dumps(robot, digits=6)):
            assert loads(text).limits.tolist() == [[-math.inf, math.inf]]
