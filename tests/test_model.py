"""robokin.model: the joint rules every constructor enforces, and the robot-level facts and methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

import robokin
from robokin import singularity, spatial
from robokin.errors import ConventionError, RobotFormatError, ShapeError
from robokin.format import dumps, loads
from robokin.model import Joint, JointFrames, Origin, Robot, first_cycle, unit_axis
from robokin.urdf import loads_urdf

SQRT3 = 1.0 / math.sqrt(3.0)


def _rev(name="j", **kw):
    kw.setdefault("form", "origin")
    return Joint(name=name, type="revolute", **kw)


def _urdf(axis="0 0 1", limit='lower="-1" upper="1" effort="1" velocity="1"', xyz="1 0 0"):
    return f"""<robot name="r">
  <link name="a"/><link name="b"/>
  <joint name="j" type="revolute">
    <parent link="a"/><child link="b"/>
    <origin xyz="{xyz}"/>
    <axis xyz="{axis}"/>
    <limit {limit}/>
  </joint>
</robot>
"""


def _yaml(joint_fields: str) -> str:
    return f"robokin: 1\nname: r\njoints:\n  - {{name: j, type: revolute, {joint_fields}}}\n"


# -------------------------------------------------------------------------------------------- axes
@pytest.mark.parametrize(
    "axis, unit",
    [
        ([5e-324] * 3, (SQRT3, SQRT3, SQRT3)),  # subnormal: hypot alone gives (0.5, 0.5, 0.5)
        ([1e-170, 0.0, 0.0], (1.0, 0.0, 0.0)),  # squares underflow
        ([1.3e154, 1.3e154, 0.0], (math.sqrt(0.5), math.sqrt(0.5), 0.0)),  # squares overflow
        ([1e308, -1e308, 1e308], (SQRT3, -SQRT3, SQRT3)),  # even the norm overflows
        ([3.0, 0.0, 4.0], (0.6, 0.0, 0.8)),
        ([0.0, -2.0, 0.0], (0.0, -1.0, 0.0)),
    ],
)
def test_axes_become_unit_vectors_at_every_scale(axis, unit):
    got = unit_axis(axis)
    np.testing.assert_allclose(got, unit, rtol=0, atol=2e-16)
    assert math.hypot(*got) == pytest.approx(1.0, abs=4e-16)
    assert _rev(axis=axis).axis == got
    assert loads(_yaml(f"origin: {{}}, axis: [{', '.join(repr(float(v)) for v in axis)}]")).joints[0].axis == got
    assert loads_urdf(_urdf(axis=" ".join(repr(float(v)) for v in axis))).joints[0].axis == got


def test_an_axis_of_norm_one_is_kept_bit_for_bit():
    axis = (0.6, 0.0, 0.8)  # not exactly of norm 1 in binary, but within AXIS_UNIT_TOL
    assert unit_axis(axis) == axis


@pytest.mark.parametrize(
    "axis, reason",
    [
        ((0.0, 0.0, 0.0), r"axis must not be zero \(expected a direction such as \[0, 0, 1\]\)"),
        ((0.0, math.nan, 1.0), r"axis must be finite \(no NaN or infinity\), got \[0, nan, 1\]"),
        ((0.0, math.inf, 1.0), r"axis must be finite \(no NaN or infinity\), got \[0, inf, 1\]"),
        ((0.0, 1.0), r"axis must be 3 real numbers, got \(0\.0, 1\.0\)"),
        ((True, 0.0, 0.0), r"axis must be 3 real numbers, got \(True, 0\.0, 0\.0\)"),
        ((1j, 0.0, 0.0), r"axis must be 3 real numbers"),
    ],
)
def test_bad_axes(axis, reason):
    with pytest.raises(RobotFormatError, match=rf"^<joint 'j'>: {reason}") as info:
        _rev(axis=axis)
    assert info.value.joint == "j" and info.value.key_path == "axis"


def test_urdf_and_yaml_locate_the_models_axis_error():
    with pytest.raises(RobotFormatError, match=r"^a\.urdf:6:5: joint 'j': <axis>: axis must not be zero"):
        loads_urdf(_urdf(axis="0 0 0"), path="a.urdf")
    with pytest.raises(RobotFormatError, match=r"^<string>:4:49: joint 'j': axis must not be zero") as info:
        loads(_yaml("origin: {}, axis: [0, 0, 0.0]"))
    assert info.value.key_path == "joints[0].axis"


# ------------------------------------------------------------------------------------ geometry, limits
@pytest.mark.parametrize(
    "kw, key, reason",
    [
        (
            {"form": "dh", "dh": (math.nan, 0.0, 0.0, 0.0)},
            "dh",
            r"dh must be finite \(no NaN or infinity\), got \[nan, 0, 0, 0\]",
        ),
        ({"form": "mdh", "dh": (0.0, 0.0, math.inf, 0.0)}, "dh", r"dh must be finite"),
        ({"form": "dh", "dh": (1.0, 2.0)}, "dh", r"dh must be 4 real numbers, got \(1\.0, 2\.0\)"),
        ({"limits": (1.0, -1.0)}, "limits", r"lower limit 1 rad is above upper limit -1 rad"),
        ({"limits": (math.nan, 1.0)}, "limits", r"limits must be \[lower, upper\] with each finite or open"),
        (
            {"limits": (math.inf, math.inf)},
            "limits",
            r"limits must be \[lower, upper\] with each finite or open "
            r"\(lower -inf, upper \+inf\), got \[inf, inf\]",
        ),
        ({"limits": (-math.inf, -math.inf)}, "limits", r"limits must be \[lower, upper\] with each finite or open"),
        (
            {"velocity": -2.0},
            "velocity",
            r"velocity must be a finite speed > 0 \[rad/s\] \(0 or None: unspecified\), got -2",
        ),
        ({"velocity": math.nan}, "velocity", r"velocity must be a finite speed > 0"),
        ({"velocity": math.inf}, "velocity", r"velocity must be a finite speed > 0 \[rad/s\] .*got inf"),
        ({"velocity": "fast"}, "velocity", r"velocity must be 1 real numbers, got \('fast',\)"),
        ({"form": "planar"}, "form", r"unknown geometry form 'planar' \(expected dh, mdh, origin\)"),
        ({"origin": (0.0, 0.0, 0.0)}, "origin", r"origin must be an Origin, got tuple"),
    ],
)
def test_python_construction_enforces_the_joint_rules(kw, key, reason):
    with pytest.raises(RobotFormatError, match=rf"^<joint 'j'>: {reason}") as info:
        _rev(**kw)
    assert info.value.key_path == key and info.value.joint == "j"


def test_prismatic_speeds_are_in_metres_and_types_are_checked():
    with pytest.raises(RobotFormatError, match=r"^<joint 'p'>: lower limit 0\.5 m is above upper limit 0 m$"):
        Joint("p", "prismatic", "origin", limits=(0.5, 0.0))
    with pytest.raises(
        RobotFormatError,
        match=r"^<joint 'p'>: unknown joint type 'continuous' \(expected revolute, "
        r"prismatic, fixed\)$",
    ):
        Joint("p", "continuous", "origin")
    with pytest.raises(RobotFormatError, match=r"^<joint>: a joint's name must be non-empty text, got ''$"):
        Joint("", "revolute", "origin")


def test_limits_may_be_open_on_one_side_or_locked():
    assert _rev(limits=(0.0, math.inf)).limits == (0.0, math.inf)
    assert _rev(limits=(-math.inf, 0.0)).limits == (-math.inf, 0.0)
    assert _rev(limits=(0.3, 0.3)).limits == (0.3, 0.3)
    assert _rev(limits=np.array([-1, 1])).limits == (-1.0, 1.0)


def test_origin_must_be_finite():
    with pytest.raises(
        RobotFormatError, match=r"^<origin>: xyz must be finite \(no NaN or infinity\), got \[0, nan, 0\]$"
    ):
        Origin(xyz=(0.0, math.nan, 0.0))
    with pytest.raises(RobotFormatError, match=r"^<origin>: rpy must be 3 real numbers, got \(0\.0, 0\.0\)$"):
        Origin(rpy=(0.0, 0.0))
    assert Origin(xyz=np.array([1, 2, 3])).xyz == (1.0, 2.0, 3.0)


def test_yaml_in_degrees_or_millimetres_shows_the_written_values_beside_the_si_ones():
    deg = "robokin: 1\nname: r\nunits: {angle: deg, length: mm}\njoints:\n  - {name: j, type: revolute, dh: {a: 1}, "
    with pytest.raises(
        RobotFormatError,
        match=r"^<string>:5:51: joint 'j': lower limit 1\.5707963267948966 rad is above "
        r"upper limit -1\.5707963267948966 rad \(written \[90, -90\] in deg\)$",
    ):
        loads(deg + "limits: [90, -90]}\n")
    with pytest.raises(
        RobotFormatError,
        match=r"^<string>:5:54: joint 'j': velocity must be a finite speed > 0 \[m/s\] "
        r"\(0 or None: unspecified\), got -0\.5 \(written -500 in mm\)$",
    ):
        loads(deg.replace("revolute", "prismatic") + "velocity: -500}\n")


# ------------------------------------------------------------------------------------------ velocity 0
def test_velocity_zero_is_unspecified_in_python_yaml_and_urdf_and_round_trips():
    assert _rev(velocity=0.0).velocity is None and _rev(velocity=0).velocity is None
    assert loads(_yaml("dh: {a: 1}, velocity: 0")).joints[0].velocity is None
    robot = loads_urdf(_urdf(limit='lower="-1" upper="1" effort="0" velocity="0"'))
    assert robot.joints[0].velocity is None and robot.velocity_limits[0] == math.inf
    again = loads(dumps(robot))  # what `robokin convert` does: it must not fail on velocity="0"
    assert again.joints[0].velocity is None and again.joints[0].limits == (-1.0, 1.0)


# ------------------------------------------------------------------------------------- finite poses
def test_offsets_that_add_up_to_infinity_are_refused_everywhere():
    big = Joint("a", "revolute", "dh", dh=(1e308, 0.0, 0.0, 0.0))
    with pytest.raises(
        RobotFormatError,
        match=r"^<robot 'r'>: the link offsets up to joint 'b' add up to more than "
        r"the largest float \[m\]",
    ) as info:
        Robot("r", (big, Joint("b", "revolute", "dh", dh=(1e308, 0.0, 0.0, 0.0))))
    assert info.value.joint == "b" and info.value.key_path == "joints"
    text = (
        "robokin: 1\nname: r\njoints:\n  - {name: a, type: revolute, dh: {a: 1e308}}\n"
        "  - {name: b, type: revolute, dh: {a: 1e308}}\n"
    )
    with pytest.raises(RobotFormatError, match=r"^<string>:5:12: joint 'b': the link offsets up to joint 'b' add up"):
        loads(text)
    with pytest.raises(RobotFormatError, match=r"^<robot 'r'>: the link offsets and the tool offset add up"):
        Robot("r", (big,), tool=Origin(xyz=(1e308, 0.0, 0.0)))
    Robot("r", (big,))  # one such offset is finite


def test_unlimited_prismatic_strokes_count_in_the_finite_reach():
    # sampling_bounds gives the unlimited slide ±L (L ≈ 1e308 here): offset plus stroke overflow
    big = Joint("a", "revolute", "dh", dh=(1e308, 0.0, 0.0, 0.0))
    slide = Joint("s", "prismatic", "dh", dh=(0.0, 0.0, 0.0, 0.0))
    with pytest.raises(
        RobotFormatError,
        match=r"^<robot 'r'>: the link offsets up to joint 's' add up to more than the largest float \[m\] "
        r"\(prismatic strokes included\)",
    ) as info:
        Robot("r", (big, slide))
    assert info.value.joint == "s"
    limited = Joint("s", "prismatic", "dh", dh=(0.0, 0.0, 0.0, 0.0), limits=(-1.0, 1.0))
    robot = Robot("r", (big, limited))
    assert np.isfinite(robot.fk(robot.sampling_bounds.T)).all()
    far = Robot("r", (Joint("a", "revolute", "dh", dh=(1e300, 0.0, 0.0, 0.0)), slide))  # 1e300² overflows
    assert far.characteristic_length == pytest.approx(1e300, rel=1e-15)
    assert np.isfinite(far.fk(far.sampling_bounds.T)).all()


def test_robot_rules_on_python_construction():
    with pytest.raises(ShapeError, match=r"^configuration 'home' must be an array of numbers of shape \(1,\) "):
        Robot("r", (_rev(),), configurations={"home": ["up"]})
    with pytest.raises(ShapeError, match=r"^configuration 'home' must be finite; found nan at index \(0,\)$"):
        Robot("r", (_rev(),), configurations={"home": [math.nan]})
    with pytest.raises(RobotFormatError, match=r"^<robot 'r'>: base must be an Origin, got ndarray$"):
        Robot("r", (_rev(),), base=np.eye(4))
    with pytest.raises(RobotFormatError, match=r"^<robot 'r'>: joints must be Joint objects$"):
        Robot("r", ({"name": "j"},))


# -------------------------------------------------------------------------------- robot-level facts
def test_characteristic_length_is_defined_once():
    robot = robokin.load("planar2r")
    l1, l2 = (float(np.linalg.norm(robot.chain.C[i + 1, :3, 3])) for i in range(2))
    assert robot.characteristic_length == pytest.approx(l1 + l2, rel=1e-15)
    assert singularity.characteristic_length(robot) == robot.characteristic_length
    lonely = Robot("p", (Joint("s", "revolute", "dh"),))
    assert lonely.characteristic_length == 1.0  # no length at all


def test_sampling_bounds():
    robot = Robot(
        "r",
        (
            Joint("a", "revolute", "dh", dh=(0.5, 0.0, 0.0, 0.0), limits=(-1.0, 2.0)),
            Joint("b", "revolute", "dh", dh=(0.5, 0.0, 0.0, 0.0)),
            Joint("c", "prismatic", "dh", limits=(-math.inf, 0.25)),
            Joint("d", "prismatic", "dh"),
            Joint("e", "revolute", "dh", limits=(0.0, math.inf)),
        ),
    )
    L = 0.5 + 0.5 + 0.25
    assert robot.characteristic_length == pytest.approx(L)
    np.testing.assert_array_equal(
        robot.sampling_bounds,
        [
            [-1.0, 2.0],
            [-math.pi, math.pi],
            [-robot.characteristic_length, 0.25],
            [-robot.characteristic_length, robot.characteristic_length],
            [0.0, math.pi],
        ],
    )
    assert not robot.sampling_bounds.flags.writeable
    # a finite side past the default span: one span beyond it, never lo > hi
    beyond = Robot(
        "r",
        (
            Joint("a", "revolute", "dh", dh=(0.5, 0.0, 0.0, 0.0), limits=(4.0, math.inf)),
            Joint("b", "prismatic", "dh", limits=(-math.inf, -2.0)),
        ),
    )
    L = 0.5 + 2.0  # the offset and the finite stroke
    np.testing.assert_array_equal(beyond.sampling_bounds, [[4.0, 4.0 + math.pi], [-2.0 - L, -2.0]])


def test_within_limits():
    robot = robokin.load("puma560")
    lo, hi = robot.limits.T
    q = np.stack([lo, hi, 0.5 * (lo + hi), np.where(np.arange(6) == 2, hi + 1e-9, lo)])
    np.testing.assert_array_equal(robot.within_limits(q), [True, True, True, False])
    assert robot.within_limits(q.reshape(2, 2, 6)).shape == (2, 2)
    assert robot.within_limits(lo).shape == ()
    free = Robot("free", (Joint("a", "revolute", "dh", dh=(1.0, 0.0, 0.0, 0.0)), Joint("b", "prismatic", "dh")))
    assert free.within_limits([1e6, -1e6])
    with pytest.raises(ShapeError, match=r"^q must have shape \(\.\.\., 6\) for robot 'puma560'"):
        robot.within_limits(np.zeros(5))


def test_with_tool_and_with_base_return_new_robots():
    robot = robokin.load("ur5")
    q = np.random.default_rng(0).uniform(-2, 2, (4, 6))
    T_flange_tool = spatial.transform(spatial.rpy_to_matrix([0.1, -0.2, 0.3]), [0.0, 0.01, 0.12])
    tooled = robot.with_tool(T_flange_tool)
    assert tooled is not robot and robot.tool.is_identity
    np.testing.assert_allclose(tooled.fk(q), robot.fk(q) @ T_flange_tool, atol=1e-14)
    # twice: the second tool is mounted on the first
    np.testing.assert_allclose(
        tooled.with_tool(T_flange_tool).fk(q), robot.fk(q) @ T_flange_tool @ T_flange_tool, atol=1e-14
    )
    T_world_base = spatial.transform(spatial.rot_z(0.7), [1.0, 2.0, 0.5])
    based = robot.with_base(T_world_base)
    np.testing.assert_allclose(based.fk(q), T_world_base @ spatial.inverse(robot.base.matrix) @ robot.fk(q), atol=1e-13)
    assert based.joint_names == robot.joint_names and based.configurations.keys() == robot.configurations.keys()
    np.testing.assert_allclose(robot.fk(q), robokin.load("ur5").fk(q), atol=0)  # the original is unchanged
    with pytest.raises(
        ShapeError,
        match=r"^T_flange_tool must be one transform of shape \(4, 4\), got shape "
        r"\(2, 4, 4\)$",
    ):
        robot.with_tool(np.stack([np.eye(4)] * 2))
    with pytest.raises(ConventionError, match=r"^T_world_base is not a rigid transform"):
        robot.with_base(2 * np.eye(4))


def test_convenience_methods_reach_the_algorithms():
    robot = robokin.load("panda")
    q = np.full(7, 0.2)
    np.testing.assert_array_equal(robot.fk(q), robokin.kinematics.fk(robot, q))
    np.testing.assert_array_equal(robot.jacobian(q, frame="tool"), robokin.kinematics.jacobian(robot, q, frame="tool"))
    np.testing.assert_array_equal(robot.hessian(q), robokin.kinematics.hessian(robot, q))


# ----------------------------------------------------------------------------------------- compiling fast
def test_joint_frames_equal_the_per_joint_properties_bit_for_bit():
    rng = np.random.default_rng(3)
    joints = []
    for i in range(60):
        form = ("dh", "mdh", "origin")[i % 3]
        kind = ("revolute", "prismatic", "fixed")[(i // 3) % 3]
        axis = tuple(rng.normal(size=3)) if form == "origin" and i % 2 else (0.0, 0.0, 1.0)
        joints.append(
            Joint(
                f"j{i}",
                kind,
                form,
                dh=tuple(rng.normal(size=4)) if form != "origin" else None,
                origin=Origin(tuple(rng.normal(size=3)), tuple(rng.normal(size=3) * 3)) if form == "origin" else None,
                axis=axis,
            )
        )
    frames = JointFrames.of(joints)
    for k, joint in enumerate(joints):
        assert frames.T_before[k].tobytes() == joint.T_before.tobytes()
        assert frames.T_after[k].tobytes() == joint.T_after.tobytes()
        # pre @ Mz(q) @ post is the joint's transform (Mz about / along z), at a few q
        for q in (0.0, 0.7, -2.0):
            if joint.type == "revolute":
                Mz = spatial.transform(spatial.rot_z(q))
            elif joint.type == "prismatic":
                Mz = spatial.transform(p=[0.0, 0.0, q])
            else:
                Mz = np.eye(4)
            np.testing.assert_allclose(frames.pre[k] @ Mz @ frames.post[k], joint.matrix(q), atol=1e-12)


def test_first_cycle_is_linear_and_reports_the_loop_in_walking_order():
    assert first_cycle({"a": "base", "b": "a"}) is None
    assert first_cycle({"a": "a"}) == ["a"]
    assert first_cycle({"x": "a", "a": "b", "b": "a"}) == ["a", "b"]  # x hangs from the loop, not in it
    assert first_cycle({"a": "b", "b": "c", "c": "a"}) == ["a", "b", "c"]
    n = 200_000  # a walk per frame with a list test would take hours; each frame is passed once
    chain = {f"f{i}": f"f{i - 1}" for i in range(1, n)}
    assert first_cycle(chain) is None
    chain["f0"] = f"f{n - 1}"
    assert len(first_cycle(chain)) == n


def test_loaders_pause_the_cycle_collector_and_restore_it():
    import gc

    from robokin.files import without_cycle_collection

    assert gc.isenabled()
    with pytest.raises(RobotFormatError):
        loads("robokin: 1\nname: r\njoints: 5\n")
    assert gc.isenabled()  # restored after an error too
    with without_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with without_cycle_collection():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_long_chain_compiles_without_a_square_fold_matrix():
    joints = tuple(Joint(f"j{i}", "revolute", "dh", dh=(0.01, 0.0, 0.0, 0.0)) for i in range(3000))
    robot = Robot("long", joints)
    path = robot.link_path()
    assert path.identity and "fold" not in vars(path)  # formed on first use only (3000² floats = 72 MB)
    np.testing.assert_array_equal(path.fold, np.eye(3000))
    T = robot.fk(np.zeros(3000))
    np.testing.assert_allclose(T[:3, 3], [30.0, 0.0, 0.0], rtol=1e-12)


def test_a_missing_configuration_name_lists_the_names_there_are():
    """``panda.configurations["ready"]`` (the PUMA's name, not the Panda's) says which names exist (review8:
    a bare KeyError 'ready'); it stays a dict, survives pickling (Dask) and ``replace``."""
    import pickle

    panda = robokin.load("panda")
    with pytest.raises(
        KeyError, match=r"robot 'panda' has no configuration 'ready' \(its configurations: 'home', 'reach'\)"
    ):
        panda.configurations["ready"]
    assert panda.configurations.get("ready") is None and isinstance(panda.configurations, dict)
    assert dict(panda.configurations) == panda.configurations
    again = pickle.loads(pickle.dumps(panda))
    np.testing.assert_array_equal(again.configurations["home"], panda.configurations["home"])
    with pytest.raises(KeyError, match="robot 'panda' has no configuration 'Home'"):
        again.configurations["Home"]
    with pytest.raises(
        KeyError, match=r"robot 'planar2r' has no configuration 'x' \(its configurations: 'zero', 'ready'\)"
    ):
        robokin.load("planar2r").with_tool(np.eye(4)).configurations["x"]


def _chain_by_the_definition(pre, post, moving, revolute, T_world_base, T_last_tool):
    """Chain's constants joint by joint, as the Chain docstring defines them (the reference for the batched
    compile): C folds the fixed joints between moving ones, M_i = u K_cos + v K_sin + K_one = Mz_i C[i + 1]."""
    C, acc = [], T_world_base
    for pre_j, post_j, is_moving in zip(pre, post, moving):
        if is_moving:
            C.append(acc @ pre_j)
            acc = post_j
        else:
            acc = acc @ pre_j
    C.append(acc @ T_last_tool)
    P_cos, P_one, P_sin, E_z = (
        np.diag([1.0, 1.0, 0.0, 0.0]),
        np.diag([0.0, 0.0, 1.0, 1.0]),
        np.zeros((4, 4)),
        np.zeros((4, 4)),
    )
    P_sin[1, 0], P_sin[0, 1], E_z[2, 3] = 1.0, -1.0, 1.0
    K = {"K_cos": [], "K_sin": [], "K_one": []}
    for i, (is_rev, C_next) in enumerate(zip(revolute, C[1:])):
        front = C[0] if i == 0 else np.eye(4)
        K["K_cos"].append(front @ P_cos @ C_next if is_rev else np.zeros((4, 4)))
        K["K_sin"].append(front @ (P_sin if is_rev else E_z) @ C_next)
        K["K_one"].append(front @ P_one @ C_next if is_rev else front @ C_next)
    return {"C": np.array(C), **{k: np.array(v) for k, v in K.items()}}


def test_chain_constants_equal_the_joint_by_joint_definition_bit_for_bit():
    from robokin.model import Chain

    rng = np.random.default_rng(11)
    for trial in range(40):  # runs of fixed joints before, between and after moving ones; prismatic joints
        m = int(rng.integers(1, 14))
        kinds = rng.choice(["revolute", "prismatic", "fixed"], m, p=[0.45, 0.2, 0.35])
        kinds[rng.integers(m)] = "revolute" if trial % 2 else "prismatic"
        joints = [
            Joint(f"j{k}", "fixed", "origin", origin=Origin(tuple(rng.normal(size=3)), tuple(rng.normal(size=3) * 3)))
            if kind == "fixed"
            else Joint(
                f"j{k}",
                kind,
                "origin",
                origin=Origin(tuple(rng.normal(size=3)), tuple(rng.normal(size=3) * 3)),
                axis=tuple(rng.normal(size=3)),
            )
            for k, kind in enumerate(kinds)
        ]
        base, tool = Origin((0.1, -0.2, 0.3), (0.4, 0.0, -1.0)), Origin((0.0, 0.0, 0.1), (0.0, 0.5, 0.0))
        chain = Chain.compile(tuple(joints), base, tool)
        frames = JointFrames.of(joints)
        moving = np.array([j.moving for j in joints])
        revolute = np.array([j.type == "revolute" for j in joints if j.moving])
        expected = _chain_by_the_definition(frames.pre, frames.post, moving, revolute, base.matrix, tool.matrix)
        for key, value in expected.items():
            got = getattr(chain, key)
            assert got.shape == value.shape and got.tobytes() == value.tobytes(), (trial, key)


def test_every_link_path_of_a_deep_chain_is_the_tool_chain_to_the_bit():
    # fk(q, link=<every frame>) compiles one path per frame: Σ depth joint steps (80 000 here), each step a
    # batched NumPy row (review7: 3.0 s → 0.55 s CPU; its time is a row of benchmarks/loading.py). The last
    # frame's path is the tool chain: the same bits.
    joints = tuple(
        Joint(
            f"j{k}",
            "revolute",
            "origin",
            origin=Origin((0.0, 0.0, 0.01), (0.1, 0.2, 0.3)),
            axis=(0.0, float(k % 2), float(1 - k % 2)),
            limits=(-1.0, 1.0),
        )
        for k in range(400)
    )
    robot = Robot("long", joints)
    T = robot.fk(np.full(400, 0.1), link=list(robot.frame_names))  # (its speed: benchmarks/loading.py)
    np.testing.assert_array_equal(T[-1], robot.fk(np.full(400, 0.1)))


def test_a_chain_with_a_joint_named_tool_still_means_its_tool_by_default():
    # The tool frame of such a chain is "tool_frame"; link=None must be it, not the joint's frame "tool".
    robot = loads(
        "robokin: 1\nname: t\ntool: {xyz: [0, 0, 0.1]}\njoints:\n"
        "  - {name: tool, type: revolute, origin: {xyz: [0, 0, 0.3]}, axis: [0, 1, 0]}\n"
        "  - {name: j2, type: revolute, origin: {xyz: [0.5, 0, 0]}, axis: [0, 1, 0]}\n"
    )
    assert robot.frame_names == ("base", "tool", "j2", "tool_frame") and robot.default_link == "tool_frame"
    q = np.array([0.3, 0.2])
    # by hand: Ry(0.3) at 0.3 m up, 0.5 m along x, Ry(0.2), 0.1 m along the tool's z
    a = 0.3
    p = [0.5 * math.cos(a) + 0.1 * math.sin(a + 0.2), 0.0, 0.3 - 0.5 * math.sin(a) + 0.1 * math.cos(a + 0.2)]
    np.testing.assert_allclose(robot.fk(q)[:3, 3], p, rtol=0, atol=1e-15)
    np.testing.assert_allclose(robot.fk(q), robot.fk_frames(q)[-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(robot.jacobian(q), robot.jacobian(q, method="numeric"), rtol=0, atol=1e-8)
    assert abs(robot.jacobian(q)[0, 1] - 0.1 * math.cos(a + 0.2)) < 1e-15  # joint 2 moves the tool
    assert robot.ik(robot.fk(q)).success


def test_a_chain_joint_named_as_the_root_frame_is_named_in_the_error():
    # A URDF chain's frames are its joints' names: a joint called "base" collides with the chain's root.
    urdf = _urdf().replace('name="j"', 'name="base"')
    assert loads_urdf(urdf).frame_names == ("a", "b")  # the whole tree names frames by links: no clash
    with pytest.raises(
        RobotFormatError, match=r"frame name 'base' is used twice .*: joint 'base' is named as the root"
    ):
        loads_urdf(urdf, tip="b")
    with pytest.raises(RobotFormatError, match=r"joint 'base' is named as the root frame \(the base\); rename"):
        Robot("t", (_rev("base", origin=Origin()),))


def test_named_configurations_are_read_only_and_copy_out_as_a_dict():
    """review10: ``robot.configurations`` was a plain mutable dict (``robot.configurations["home"] = q`` changed
    what every later call of the robot's named configurations saw); now assignment, deletion and every
    mutating method raise TypeError saying how to get another robot or a mutable copy."""
    import copy
    import dataclasses
    import pickle

    panda = robokin.load("panda")
    configs = panda.configurations
    home = configs["home"].copy()
    attempts = {
        "assign": lambda: configs.__setitem__("home", np.zeros(7)),
        "delete": lambda: configs.__delitem__("home"),
        "update": lambda: configs.update(home=np.zeros(7)),
        "pop": lambda: configs.pop("home"),
        "popitem": lambda: configs.popitem(),
        "setdefault": lambda: configs.setdefault("x", np.zeros(7)),
        "clear": lambda: configs.clear(),
    }
    for what, attempt in attempts.items():
        with pytest.raises(TypeError, match=r"the configurations of robot 'panda' are read-only"):
            attempt()
        assert list(configs) == ["home", "reach"], what
    with pytest.raises(TypeError, match="read-only"):
        configs |= {"x": np.zeros(7)}
    with pytest.raises(ValueError, match="read-only"):
        configs["home"][0] = 1.0  # the arrays are read-only too
    np.testing.assert_array_equal(panda.configurations["home"], home)
    # What users did with the dict keeps working: a mutable copy, a union, a new robot, pickling and copying.
    mutable = dict(configs)
    mutable["x"] = np.zeros(7)
    assert list(configs | {"x": np.zeros(7)}) == ["home", "reach", "x"] and list(configs) == ["home", "reach"]
    other = dataclasses.replace(panda, configurations={**configs, "x": home})
    assert list(other.configurations) == ["home", "reach", "x"] and list(panda.configurations) == ["home", "reach"]
    for again in (pickle.loads(pickle.dumps(configs)), copy.copy(configs), copy.deepcopy(configs)):
        assert isinstance(again, type(configs)) and again.robot == "panda" and list(again) == ["home", "reach"]
        with pytest.raises(TypeError, match="read-only"):
            again["x"] = home


def test_with_tool_on_a_tree_is_an_option_error_naming_its_end_effectors():
    """review10: a tree has no single flange; with_tool raised RobotFormatError (a file's error kind)."""
    from robokin.errors import OptionError, RobotFormatError

    T = robokin.spatial.transform(p=[0, 0, 0.1])
    with pytest.raises(OptionError, match=r"robot 'baxter' is a tree .*'left_gripper', 'right_gripper'.*link="):
        robokin.load("baxter").with_tool(T)
    with pytest.raises(OptionError, match="robot 'panda_hand' is a tree") as info:
        robokin.load("panda_hand").with_tool(T)
    assert not isinstance(info.value, RobotFormatError)
    panda = robokin.load("panda")  # a serial chain still takes a tool
    np.testing.assert_allclose(
        panda.with_tool(T).fk(panda.configurations["home"]), panda.fk(panda.configurations["home"]) @ T, atol=1e-15
    )


@pytest.mark.parametrize(
    "axis", [(0.0, 8.301185561607005e305, 1.7976739686187182e308), (1.7976931348623157e308,) * 3, (-1e308, 1e308, 0)]
)
def test_an_axis_near_the_largest_float_is_a_direction_not_an_overflow(axis):
    """review10 (found by the loader contract's hypothesis run): ``unit_axis`` compared ``ldexp(norm, exponent)``
    with 1 for every axis, and for components near 1.8e308 that product overflowed: a raw OverflowError from
    ``robokin.loads`` of a file with such an axis."""
    from robokin.model import unit_axis

    unit = np.array(unit_axis(axis))
    expected = np.array(axis) * 2.0**-1000  # scaled exactly (a power of two) into range first
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(unit, expected, atol=1e-15)
    text = (
        "robokin: 1\nname: big\njoints:\n  - name: j\n    type: revolute\n    origin: {xyz: [0, 0, 0]}\n"
        f"    axis: [{axis[0]!r}, {axis[1]!r}, {axis[2]!r}]\n"
    )
    np.testing.assert_allclose(loads(text).joints[0].axis, expected, atol=1e-15)
