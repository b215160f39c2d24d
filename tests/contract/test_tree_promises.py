"""The README's promises, made executable for trees of frames (issue 10): several end effectors, named frames
and mimic joints.

For the bundled trees (``baxter``, ``panda_hand``) and generated ones (:func:`random_tree`: random serial
chains of :func:`generators.random_robot` grafted onto each other's frames, with named frames and mimic
couplings):

- ``fk_all`` and ``fk(link)`` are rigid transforms and agree frame for frame; ``fk`` of a list of links
  stacks the single-link poses;
- ``jacobian(link)`` is the central difference of ``fk(link)`` (tolerance relative to the robot's size);
- ``ik.solve(link=...)`` and ``ik.solve_tasks`` on reachable targets (fk of a random q) return, never NaN,
  stay within the limits, and a reported success holds when checked with ``robot.fk`` by formulas
  independent of the solver's;
- bad arguments to ``solve_tasks`` and to the singularity functions' ``link=`` raise only RobokinError
  kinds, with a message naming the argument.

Hypothesis draws ``random.Random`` objects (derandomized in the default profile, fresh ones with
``HYPOTHESIS_PROFILE=stress``); the examples are few so that the file runs in a few seconds.
"""

from __future__ import annotations

import math
import os
import random
import re

import numpy as np
import pytest
from generators import random_robot, rigidity_error, sample_q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import robokin
from robokin import ik, singularity
from robokin.errors import RobokinError
from robokin.model import Frame, Joint, Mimic, Origin, Robot

RNGS = st.randoms(use_true_random=False)
# Few examples in CI (the default profile, derandomized); HYPOTHESIS_PROFILE=stress draws the profile's many.
STRESS = os.environ.get("HYPOTHESIS_PROFILE") == "stress"
FEW = settings(
    max_examples=settings.default.max_examples if STRESS else 10, suppress_health_check=[HealthCheck.too_slow]
)
BUNDLED_TREES = ("baxter", "panda_hand")
FD_STEP = 1e-6  # relative to the robot's size: central differences, truncation ~1e-12, rounding ~1e-10


# ------------------------------------------------------------------------------------------------ robots
def random_tree(rng: random.Random) -> Robot:
    """A tree of 2-3 random serial chains (:func:`generators.random_robot`, each at its own scale), every
    chain after the first hanging from a random frame of the ones before, 0-2 named frames on random frames,
    and 0-2 mimic couplings of a moving joint to an earlier moving joint (not itself a mimic)."""
    joints: list[Joint] = []
    frames_so_far = ["base"]
    for b in range(rng.randint(2, 3)):
        chain = random_robot(rng, max_joints=3)
        parent = rng.choice(frames_so_far)
        for k, j in enumerate(chain.joints):
            name = f"b{b}_{j.name}"
            joints.append(
                Joint(
                    name,
                    j.type,
                    j.form,
                    dh=j.dh,
                    origin=j.origin,
                    axis=j.axis,
                    limits=j.limits,
                    velocity=j.velocity,
                    parent=parent if k == 0 else None,
                )
            )
            frames_so_far.append(name)
    leaders: list[str] = []
    for i, j in enumerate(joints):
        if j.moving and leaders and rng.random() < 0.25 and sum(m.mimic is not None for m in joints) < 2:
            lead = rng.choice(leaders)
            lead_type = next(x.type for x in joints if x.name == lead)
            if lead_type == j.type:  # a revolute follower of a revolute leader (or both prismatic)
                mimic = Mimic(lead, rng.choice((1.0, -1.0, 0.5)), rng.choice((0.0, 0.1)))
                joints[i] = Joint(
                    j.name, j.type, j.form, dh=j.dh, origin=j.origin, axis=j.axis, parent=j.parent, mimic=mimic
                )
                continue
        if j.moving:
            leaders.append(j.name)
    if not leaders:  # every moving joint became a follower: impossible (the first has no leader), kept safe
        raise AssertionError("a tree without a coordinate")
    frames = [
        Frame(f"f{i}", rng.choice(frames_so_far), Origin((rng.uniform(-0.1, 0.1), 0.0, 0.0), (0.0, 0.3, 0.0)))
        for i in range(rng.randrange(3))
    ]
    return Robot("tree", tuple(joints), frames=tuple(frames), base=Origin((0.0, 0.0, 0.1), (0.0, 0.0, 0.2)))


def a_robot(rng: random.Random) -> Robot:
    """A bundled tree one time in three, a generated one otherwise."""
    if rng.random() < 1 / 3:
        return robokin.load(rng.choice(BUNDLED_TREES))
    return random_tree(rng)


def size(robot: Robot, q: np.ndarray) -> float:
    """A length scale of the poses of ``q`` [m]: the robot's characteristic length or the farthest frame."""
    reach = float(np.abs(robot.fk_all(q)[..., :3, 3]).max())
    return max(robot.characteristic_length, reach, 1e-300)


def test_the_generator_makes_trees_with_frames_and_mimic_joints():
    robots = [random_tree(random.Random(s)) for s in range(12)]
    assert all(not r.serial for r in robots)
    assert any(len(r.end_effectors) > 1 for r in robots)
    assert any(r.frames for r in robots)
    assert any(any(j.mimic is not None for j in r.joints) for r in robots)


# ------------------------------------------------------------------------------------------------ fk
@FEW
@given(RNGS)
def test_fk_all_and_fk_of_every_link_are_the_same_rigid_transforms(rng):
    robot = a_robot(rng)
    q = sample_q(robot, rng, 4)
    T_all = robot.fk_all(q)  # (4, F, 4, 4)
    assert T_all.shape == (4, len(robot.frame_names), 4, 4)
    scale = size(robot, q)
    assert rigidity_error(T_all) < 1e-12  # RᵀR = I and the last row [0 0 0 1]; inf when anything is not finite
    links = list(robot.frame_names)
    picked = rng.sample(links, min(3, len(links)))
    stacked = robot.fk(q, link=picked)  # (4, k, 4, 4)
    for i, link in enumerate(picked):
        T = robot.fk(q, link=link)
        np.testing.assert_array_equal(stacked[:, i], T)
        want = T_all[:, robot.frame_names.index(link)]
        np.testing.assert_allclose(T[..., :3, :3], want[..., :3, :3], rtol=0, atol=1e-12)
        np.testing.assert_allclose(T[..., :3, 3], want[..., :3, 3], rtol=0, atol=1e-12 * scale)
        np.testing.assert_array_equal(T[..., 3, :], np.broadcast_to([0.0, 0.0, 0.0, 1.0], (4, 4)))


def test_fk_all_turns_about_an_axis_a_hair_off_a_coordinate_axis():
    """Found by this file's stress profile: an axis ``(0, 1.49e-8, 1)`` (norm 1 within ``AXIS_UNIT_TOL``, kept
    as written) was taken for exactly z by ``fk_all``'s plan, which dropped its tilt: ``fk_all`` and ``fk``
    differed by 3e-8. The reference is the joint's own ``T_before @ R(axis, q)``."""
    axis = (0.0, 2.0**-26, 1.0)
    joints = (
        Joint("a", "revolute", "origin", axis=(0.0, 0.0, 1.0)),
        Joint("b", "revolute", "origin", axis=axis, parent="base", mimic=Mimic("a")),
        Joint("c", "prismatic", "origin", axis=axis[::-1], parent="base"),
    )
    robot = Robot("tilted", joints)
    q = np.array([[math.pi, 0.5], [-math.pi, -0.5], [1.0, 2.0]])
    T_all = robot.fk_all(q)
    for k, qk in enumerate(q):
        want_b = joints[1].matrix(qk[0])
        want_c = joints[2].matrix(qk[1])
        np.testing.assert_allclose(T_all[k, robot.frame_names.index("b")], want_b, rtol=0, atol=1e-15)
        np.testing.assert_allclose(T_all[k, robot.frame_names.index("c")], want_c, rtol=0, atol=1e-15)
    assert abs(T_all[0, robot.frame_names.index("b"), 2, 1]) > 1e-8  # 2 a_y a_z at a half turn


def _fd_jacobian(robot: Robot, q: np.ndarray, link: str, h: float) -> np.ndarray:
    """World Jacobian ``(6, n)`` of ``link`` by central differences of ``robot.fk`` (step ``h`` per unit of
    each joint: rad for revolute, ``h · L`` m for prismatic)."""
    steps = np.where(np.array(robot.joint_types) == "prismatic", h * robot.characteristic_length, h)
    dq = np.diag(steps)
    Tp, Tm = robot.fk(q + dq, link=link), robot.fk(q - dq, link=link)  # (n, 4, 4) each
    dT = (Tp - Tm) / (2 * steps[:, None, None])
    W = dT[:, :3, :3] @ robot.fk(q, link=link)[:3, :3].T
    return np.concatenate([dT[:, :3, 3], np.stack([W[:, 2, 1], W[:, 0, 2], W[:, 1, 0]], axis=-1)], axis=-1).T


@FEW
@given(RNGS)
def test_jacobian_of_a_link_is_the_derivative_of_its_fk(rng):
    robot = a_robot(rng)
    q = sample_q(robot, rng, 1)[0]
    link = rng.choice(robot.frame_names)
    J = robot.jacobian(q, link=link)
    assert J.shape == (6, robot.n)
    L = size(robot, q[None])
    want = _fd_jacobian(robot, q, link, FD_STEP)
    # linear rows [m per rad or per m] against the scale of the robot, angular rows [rad per rad or per m]
    units = np.where(np.array(robot.joint_types) == "prismatic", 1.0 / robot.characteristic_length, 1.0)
    np.testing.assert_allclose(J[:3] / L / units, want[:3] / L / units, rtol=0, atol=1e-6, err_msg=link)
    np.testing.assert_allclose(J[3:] / units, want[3:] / units, rtol=0, atol=1e-6, err_msg=link)


# ------------------------------------------------------------------------------------------------ IK
def _errors(T_target: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position [m] and rotation [rad] error of poses ``T`` against ``T_target``, batched; the angle from the
    quaternion ``(w, v)`` of ``R* Rᵀ`` (``2 atan2(|v|, |w|)``), a code path independent of the solver's."""
    quat = robokin.spatial.matrix_to_quaternion(T_target[..., :3, :3] @ np.swapaxes(T[..., :3, :3], -1, -2))
    angle = 2.0 * np.arctan2(np.linalg.norm(quat[..., 1:], axis=-1), np.abs(quat[..., 0]))
    return np.linalg.norm(T_target[..., :3, 3] - T[..., :3, 3], axis=-1), angle


def _assert_sound(robot: Robot, q: np.ndarray, batch: tuple[int, ...], *fields: np.ndarray) -> None:
    """q of shape ``batch + (n,)``, finite and within the limits; no NaN in any other field."""
    assert q.shape == batch + (robot.n,)
    assert np.isfinite(q).all()
    lo, hi = robot.limits.T
    assert np.all((q >= lo) & (q <= hi)), "q outside the limits"
    for value in fields:
        assert not np.isnan(value).any()


def _random_options(rng: random.Random, robot: Robot) -> ik.IKOptions:
    """Valid options with few restarts; velocity limits now and then."""
    kwargs: dict = {
        "max_restarts": rng.randrange(4),
        "damping": rng.choice(ik.DAMPING_SCHEMES),
        "prefer": rng.choice(("q0", "any")),
        "rest": rng.choice((None, "q0", "middle")),
        "nullspace_gain": rng.choice((0.0, 0.5)),
    }
    if rng.random() < 0.3:
        kwargs["dt"] = rng.choice((0.01, 0.1, 1.0))
        kwargs["velocity_limits"] = [rng.choice((0.5, 2.0, math.inf)) for _ in range(robot.n)]
    return ik.IKOptions(**kwargs)


@FEW
@given(RNGS)
def test_solve_of_a_link_keeps_its_promises(rng):
    robot = a_robot(rng)
    link = rng.choice(robot.frame_names)
    batch = rng.choice(((), (3,)))
    q_true = sample_q(robot, rng, 3)
    T = robot.fk(q_true[0] if batch == () else q_true, link=link)
    q0 = None if rng.random() < 0.5 else sample_q(robot, rng, 1)[0]
    options = _random_options(rng, robot)
    res = ik.solve(robot, T, q0, link=link, options=options, seed=rng.randrange(100))
    _assert_sound(robot, res.q, batch, res.position_error, res.rotation_error, res.inverse_condition)
    assert res.success.shape == batch
    pe, re_ = _errors(T, robot.fk(res.q, link=link))
    tol_p = ik.position_tolerance(robot, options)
    verified = (pe <= tol_p * (1 + 1e-6)) & (re_ <= options.rotation_tolerance * (1 + 1e-6) + 1e-13)
    assert not np.any(res.success & ~verified), ("false success", link, pe, re_)


def _random_tasks(rng: random.Random, robot: Robot, q_true: np.ndarray) -> list:
    """1-3 frame tasks on distinct frames, reachable together (fk of the same ``q_true``), and a posture now and
    then."""
    links = rng.sample(list(robot.frame_names), min(len(robot.frame_names), rng.randint(1, 3)))
    tasks: list = []
    for link in links:
        T = robot.fk(q_true, link=link)
        kind = rng.randrange(3)
        if kind == 0:
            tasks.append(ik.PoseTask(link, T))
        elif kind == 1:
            tasks.append(ik.PoseTask(link, T, position_weight=rng.choice((0.5, 1.0)), orientation_weight=0.0))
        else:
            tasks.append(ik.PositionTask(link, T[..., :3, 3], weight=rng.choice((0.2, 1.0, 3.0))))
    if rng.random() < 0.3:
        tasks.append(ik.PostureTask(sample_q(robot, rng, 1)[0], 0.5))
    return tasks


@FEW
@given(RNGS)
def test_solve_tasks_keeps_its_promises(rng):
    robot = a_robot(rng)
    batch = rng.choice(((), (2,)))
    q_true = sample_q(robot, rng, 2)
    q_true = q_true[0] if batch == () else q_true
    tasks = _random_tasks(rng, robot, q_true)
    options = _random_options(rng, robot)
    q0 = None if rng.random() < 0.5 else sample_q(robot, rng, 1)[0]
    res = ik.solve_tasks(robot, tasks, q0, options=options, seed=rng.randrange(100))
    frame_tasks = [t for t in tasks if not isinstance(t, ik.PostureTask)]
    k = len(frame_tasks)
    _assert_sound(robot, res.q, batch, res.position_error, res.rotation_error)
    assert res.success.shape == batch and res.task_success.shape == batch + (k,)
    assert np.array_equal(res.success, res.success & res.task_success.all(axis=-1))
    tol_p = ik.position_tolerance(robot, options)
    for i, task in enumerate(frame_tasks):
        T_q = robot.fk(res.q, link=task.link)
        if isinstance(task, ik.PositionTask):
            pe = np.linalg.norm(np.asarray(task.p_target) - T_q[..., :3, 3], axis=-1)
            verified = pe <= tol_p * (1 + 1e-6)
        else:
            pe, re_ = _errors(np.asarray(task.T_target), T_q)
            verified = pe <= tol_p * (1 + 1e-6)
            if task.orientation_weight != 0.0:
                verified &= re_ <= options.rotation_tolerance * (1 + 1e-6) + 1e-13
        assert not np.any(res.task_success[..., i] & ~verified), ("false task success", task.link, pe)


# ------------------------------------------------------------------------------------------------ bad arguments
@pytest.fixture(scope="module")
def baxter() -> Robot:
    return robokin.load("baxter")


def _bad_tasks_calls(robot: Robot) -> dict:
    """``label -> (thunk, regex the message must match)``: solve_tasks / IKOptions with one bad argument."""
    n = robot.n
    T = robot.fk(np.zeros(n), link="left_gripper")
    T_nan = T.copy()
    T_nan[0, 3] = math.nan
    P, PT, PS, O = ik.PoseTask, ik.PositionTask, ik.PostureTask, ik.IKOptions

    def solve(*tasks, **kwargs):
        return lambda: ik.solve_tasks(robot, list(tasks), **kwargs)

    good = P("left_gripper", T)
    return {
        "a task, not a list": (lambda: ik.solve_tasks(robot, good), "tasks must be a list"),
        "a string": (lambda: ik.solve_tasks(robot, "left_gripper"), "tasks must be a list"),
        "no frame task": (solve(PS(np.zeros(n))), "at least one PoseTask"),
        "a matrix as a task": (solve(T), r"tasks\[0\] must be a PoseTask"),
        "two postures": (solve(good, PS(np.zeros(n)), PS(np.zeros(n))), r"tasks\[2\] is a second PostureTask"),
        "5 weights": (solve(P("left_gripper", T, weights=(1,) * 5)), r"tasks\[0\]\.weights"),
        "negative weight": (solve(P("left_gripper", T, weights=(1, 1, 1, 1, 1, -1))), r"tasks\[0\]\.weights"),
        "NaN weight": (solve(P("left_gripper", T, weights=(1, 1, 1, 1, 1, math.nan))), r"tasks\[0\]\.weights"),
        "zero weights": (solve(P("left_gripper", T, weights=(0,) * 6)), r"tasks\[0\]\.weights"),
        "text weights": (solve(P("left_gripper", T, weights="abcdef")), r"tasks\[0\]\.weights"),
        "weights and position_weight": (solve(P("left_gripper", T, weights=(1,) * 6, position_weight=1)), "not both"),
        "negative position_weight": (solve(P("left_gripper", T, position_weight=-1)), "position_weight"),
        "bool position_weight": (solve(P("left_gripper", T, position_weight=True)), "position_weight"),
        "inf orientation_weight": (solve(P("left_gripper", T, orientation_weight=math.inf)), "orientation_weight"),
        "both weights 0": (solve(P("left_gripper", T, position_weight=0, orientation_weight=0)), "both 0"),
        "PositionTask weight 0": (solve(PT("left_gripper", T[:3, 3], weight=0)), r"tasks\[0\]\.weight"),
        "weights_frame": (solve(P("left_gripper", T, weights_frame="tool")), "weights_frame"),
        "unknown link": (solve(P("nope", T)), "link must be a frame .*'nope'"),
        "None on two hands": (solve(P(None, T)), "pass link="),
        "a list as a task's link": (solve(PT(["left_gripper"], T[:3, 3])), "link must be a frame"),
        "T of shape (3, 4)": (solve(P("left_gripper", T[:3])), r"tasks\[0\]\.T_target"),
        "NaN in T": (solve(P("left_gripper", T_nan)), r"tasks\[0\]\.T_target"),
        "text T": (solve(P("left_gripper", "T")), r"tasks\[0\]\.T_target"),
        "T not rigid": (solve(P("left_gripper", 2 * T)), r"tasks\[0\]\.T_target"),
        "p of 2 values": (solve(PT("left_gripper", [1.0, 2.0])), r"tasks\[0\]\.p_target"),
        "NaN in p": (solve(PT("left_gripper", [1.0, 2.0, math.nan])), r"tasks\[0\]\.p_target"),
        "ragged p": (solve(PT("left_gripper", [[1.0, 2.0, 3.0], [1.0]])), r"tasks\[0\]\.p_target"),
        "batches that do not broadcast": (
            solve(PT("left_gripper", np.zeros((2, 3))), PT("right_gripper", np.zeros((3, 3)))),
            r"tasks\[1\]\.p_target",
        ),
        "q0 of n + 1": (solve(good, q0=np.zeros(n + 1)), "q0"),
        "q0 NaN": (solve(good, q0=np.full(n, math.nan)), "q0"),
        "q0 batch of no target batch": (solve(good, q0=np.zeros((3, n))), r"q0 of shape \(3, 14\)"),
        "q_rest of 3": (solve(good, PS(np.zeros(3))), r"tasks\[1\]\.q_rest"),
        "q_rest outside": (solve(good, PS(np.full(n, 100.0))), r"tasks\[1\]\.q_rest"),
        "gain 0": (solve(good, PS(np.zeros(n), 0)), r"tasks\[1\]\.gain"),
        "gain NaN": (solve(good, PS(np.zeros(n), math.nan)), r"tasks\[1\]\.gain"),
        "options a dict": (solve(good, options={"dt": 1}), "options"),
        "seed -1": (solve(good, seed=-1), "seed"),
        "dt -1": (lambda: O(dt=-1), "dt"),
        "dt 0": (lambda: O(dt=0), "dt"),
        "dt NaN": (lambda: O(dt=math.nan), "dt"),
        "dt text": (lambda: O(dt="1"), "dt"),
        "dt array": (lambda: O(dt=np.ones(2)), "dt"),
        "velocity_limits without dt": (lambda: O(velocity_limits=[1.0] * n), "velocity_limits needs dt"),
        "velocity_limits < 0": (lambda: O(dt=0.1, velocity_limits=[-1.0] * n), "velocity_limits"),
        "velocity_limits 0": (lambda: O(dt=0.1, velocity_limits=[0.0] * n), "velocity_limits"),
        "velocity_limits NaN": (lambda: O(dt=0.1, velocity_limits=[math.nan] * n), "velocity_limits"),
        "velocity_limits text": (lambda: O(dt=0.1, velocity_limits="abc"), "velocity_limits"),
        "velocity_limits 2-D": (lambda: O(dt=0.1, velocity_limits=np.ones((2, n))), "velocity_limits"),
        "velocity_limits for n - 1 joints": (
            solve(good, options=O(dt=0.1, velocity_limits=[1.0] * (n - 1))),
            "velocity_limits",
        ),
    }


BAD_TASK_LABELS = list(_bad_tasks_calls(robokin.load("baxter")))


@pytest.mark.parametrize("label", BAD_TASK_LABELS)
def test_bad_arguments_to_solve_tasks_raise_robokin_errors_naming_them(baxter, label):
    call, match = _bad_tasks_calls(baxter)[label]
    with pytest.raises(RobokinError, match=match):
        call()


BAD_LINKS = (
    ("nope", "'nope'"),
    (5, "link must be a frame.*5"),
    ([], "empty list"),
    (["left_gripper", "left_gripper"], "twice"),
    (["left_gripper", None], "lists None"),
    (None, "pass link="),  # two end effectors
    (np.array("left_gripper"), "link must be a frame name or a list"),  # 0-d: was a raw TypeError
    ({"left_gripper", "right_gripper"}, "link must be a frame name or a list"),  # a set has no order: was taken
    (np.array([["left_gripper"]]), "link must be a frame name or a list"),
    (b"left_gripper", "link must be a frame"),
    (1.5, r"link must be a frame.*1\.5"),
)
SINGULARITY_CALLS = {
    "inverse_condition": lambda r, q, link: singularity.inverse_condition(r, q, link=link),
    "manipulability": lambda r, q, link: singularity.manipulability(r, q, link=link),
    "is_singular": lambda r, q, link: singularity.is_singular(r, q, link=link),
    "scaled_jacobian": lambda r, q, link: singularity.scaled_jacobian(r, q, link=link),
    "det_gradient": lambda r, q, link: singularity.det_gradient(r, q, link=link),
    "analyze": lambda r, q, link: singularity.analyze(r, q, link=link),
    "find_singular": lambda r, q, link: singularity.find_singular(r, 2, link=link, max_iter=2),
    "singularity_map": lambda r, q, link: singularity.singularity_map(r, resolution=3, link=link),
    "task_links": lambda r, q, link: singularity.task_links(r, link),
    "task_joints": lambda r, q, link: singularity.task_joints(r, link),
}


@pytest.mark.parametrize("which", range(len(BAD_LINKS)), ids=lambda i: repr(BAD_LINKS[i][0]))
def test_a_bad_link_to_a_singularity_function_raises_an_option_error_naming_it(baxter, which):
    link, match = BAD_LINKS[which]
    for name, call in SINGULARITY_CALLS.items():
        with pytest.raises(RobokinError, match=re.escape(match) if "'" in match else match):
            call(baxter, np.zeros(baxter.n), link)
            pytest.fail(f"{name} took link={link!r}")


@pytest.mark.parametrize("link", [np.array("left_gripper"), {"left_gripper", "right_gripper"}, 3], ids=repr)
def test_fk_takes_a_link_list_only_in_order(baxter, link):
    """fk of a list of links: a sequence or a 1-D array (the rows come in its order); a set or a 0-d array is
    refused (a 0-d array was a raw TypeError, a set was taken in whatever order it iterates)."""
    with pytest.raises(RobokinError, match="link must be a frame name or a list"):
        baxter.fk(np.zeros(baxter.n), link=link)
    names = np.array(["right_gripper", "left_gripper"])
    T = baxter.fk(np.zeros(baxter.n), link=names)
    np.testing.assert_array_equal(T[1], baxter.fk(np.zeros(baxter.n), link="left_gripper"))
