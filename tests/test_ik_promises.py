"""IK promises at the edges (issue 10): valid input never raises, errors are never NaN, options are validated at
construction, success is verified with ``robot.fk``, the solver is scale-free and honours q0; and the task /
limit / solver pieces of :mod:`robokin.ik` on their own.

Expected values come from ``robot.fk`` (rotation angle from the quaternion of ``R* Rᵀ``, not the solver's
``so3_log``), from a scaled robot's geometry, or from the normal equations of the step.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import pose_errors as errors
from conftest import random_q, within_limits

import robokin
from robokin import ik, spatial
from robokin.errors import OptionError, ShapeError
from robokin.ik import dls, solve_ik, solver


# ------------------------------------------------------------------------------- item 3: never raises
def test_huge_weights_solve(planar2r):
    """weights (1e6,)*6 once raised LinAlgError (an absolute damping floor lost in rounding): weights are
    normalised and the damping floor is relative, so the target is solved."""
    T = planar2r.fk([-1.5, -1.5])
    res = ik.solve(planar2r, T, options=ik.IKOptions(weights=(1e6,) * 6))
    pe, re = errors(planar2r, res.q, T)
    assert res.success and pe <= 1e-6 and re <= 1e-6
    # In a batch, that target neither raises nor spoils the others.
    T_batch = planar2r.fk(np.array([[0.3, 0.4], [-1.5, -1.5], [1.0, -0.5]]))
    res = ik.solve(planar2r, T_batch, options=ik.IKOptions(weights=(1e6,) * 6))
    pe, re = errors(planar2r, res.q, T_batch)
    assert res.success.all() and np.all(pe <= 1e-6) and np.all(re <= 1e-6)


def test_weights_scale_does_not_matter(ur5):
    """Weights are normalised to a largest weight of 1: uniform tiny weights are the default weights."""
    T = ur5.fk(random_q(ur5, np.random.default_rng(1), (6,)))
    tiny = ur5.ik(T, options=ik.IKOptions(weights=(1e-6,) * 6), seed=3)
    plain = ur5.ik(T, seed=3)
    assert ik.IKOptions(weights=(1e-6,) * 6).weights == (1.0,) * 6
    assert ik.IKOptions(weights=(2, 2, 2, 1, 1, 1)).weights == (1.0, 1.0, 1.0, 0.5, 0.5, 0.5)
    np.testing.assert_array_equal(tiny.q, plain.q)
    assert tiny.success.all()


def test_very_unequal_weights_do_not_raise(ur5):
    """A damping relative to JJᵀ keeps the system solvable whatever the spread of the weights."""
    T = ur5.fk(random_q(ur5, np.random.default_rng(2), (4,)))
    res = ur5.ik(T, options=ik.IKOptions(weights=(1.0, 1e-12, 1.0, 1e-15, 1.0, 1e-300), max_restarts=3))
    assert np.all(np.isfinite(res.q)) and within_limits(ur5, res.q).all()


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3)])
def test_empty_batch(panda, shape):
    res = ik.solve(panda, np.zeros(shape + (4, 4)))
    assert res.q.shape == shape + (7,)
    for name in (
        "success",
        "position_error",
        "rotation_error",
        "iterations",
        "restarts",
        "inverse_condition",
        "near_singularity",
    ):
        assert getattr(res, name).shape == shape, name


# ------------------------------------------------------------------------------- item 4: never NaN
def test_far_target_position_only_no_nan(ur5):
    """A target 1e155 m away: errors finite or inf, never NaN; the free orientation reports its actual error."""
    T = spatial.transform(spatial.rpy_to_matrix([0.3, 0.2, 0.1]), [1e155, 0.0, 0.0])
    res = ur5.ik(T, options=ik.IKOptions(weights=ik.POSITION_ONLY, max_restarts=2))
    assert not res.success
    assert not np.isnan(res.position_error) and not np.isnan(res.rotation_error)
    assert res.position_error >= 1e154
    with np.errstate(over="ignore"):  # this check's own position norm overflows; only its angle is used
        _, re = errors(ur5, res.q, T)
    np.testing.assert_allclose(res.rotation_error, re, atol=1e-9)
    assert np.all(np.isfinite(res.q)) and within_limits(ur5, res.q)


def test_free_rotation_reports_actual_error(panda):
    T = panda.fk(panda.configurations["reach"]) @ spatial.transform(spatial.rot_x(2.0))
    res = panda.ik(T, options=ik.IKOptions(weights=ik.POSITION_ONLY))
    pe, re = errors(panda, res.q, T)
    assert res.success and pe <= 1e-6
    np.testing.assert_allclose(res.rotation_error, re, atol=1e-9)


# ------------------------------------------------------------------------------- item 8: options validated
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"position_tolerance": 1e200}, r"IKOptions.position_tolerance must be a positive finite number <= 1e\+12"),
        ({"position_tolerance": float("nan")}, "IKOptions.position_tolerance must be a positive finite number"),
        ({"position_tolerance": "1e-6"}, "IKOptions.position_tolerance must be a positive finite number"),
        ({"rotation_tolerance": 4.0}, r"IKOptions.rotation_tolerance must be a finite number >= 1e-13 <= 3.14159"),
        ({"rotation_tolerance": 1e-15}, r"IKOptions.rotation_tolerance must be a finite number >= 1e-13"),
        ({"rest": (np.nan,) * 7}, "IKOptions.rest must be 'q0', 'middle', None or a finite joint vector"),
        ({"rest": "home"}, "IKOptions.rest must be one of"),
        ({"weights": (1e-6,) * 5}, "IKOptions.weights must be 6 finite numbers"),
        ({"weights": (1, 1, 1, 1, 1, np.inf)}, "IKOptions.weights must be 6 finite numbers"),
        ({"starts": 10**9}, r"IKOptions.starts must be an integer in \[1, 1024\]"),
        ({"max_iterations": 2.5}, r"IKOptions.max_iterations must be an integer in \[1, 10000\]"),
        # Finite caps: an unreachable target fails every restart, and 10**12 of them would never end.
        ({"max_iterations": 10**12}, r"IKOptions.max_iterations must be an integer in \[1, 10000\], got 10+$"),
        ({"max_restarts": 10**6}, r"IKOptions.max_restarts must be an integer in \[0, 10000\], got 1000000$"),
        ({"singularity_threshold": 2.0}, r"IKOptions.singularity_threshold must be a finite number >= 0 <= 1, got 2.0"),
        ({"max_step": True}, "IKOptions.max_step must be a positive finite number"),
        ({"prefer": "nearest"}, "IKOptions.prefer must be one of 'q0', 'any'"),
        ({"prefer": np.array(["q0"])}, "IKOptions.prefer must be one of 'q0', 'any'"),
        ({"damping": np.eye(3)}, "IKOptions.damping must be one of"),
    ],
)
def test_options_refused_at_construction(kwargs, match):
    with pytest.raises(OptionError, match=match):
        ik.IKOptions(**kwargs)


def test_rest_outside_the_limits_refused(panda):
    rest = np.array(panda.configurations["home"], dtype=float)
    rest[3] = 1.0  # the Panda's elbow (joint 4) is limited to [-3.07, -0.07] rad
    with pytest.raises(OptionError, match="IKOptions.rest must be within the joint limits.*joint 'joint4'"):
        panda.ik(np.eye(4), options=ik.IKOptions(rest=tuple(rest), nullspace_gain=0.5))


def test_bad_seed_refused_before_any_restart(ur5):
    """The seed is checked whether or not a random restart happens (this q0 solves the target at once)."""
    q = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    for seed in (-1, 1.5, "1", True):
        with pytest.raises(OptionError, match="seed must be None, an integer >= 0 or a numpy.random.Generator"):
            ur5.ik(ur5.fk(q), q, seed=seed)


# ------------------------------------------------------------------------------- item 9: verified success
def test_tolerance_below_the_float64_floor_refused(ur5):
    L = ur5.characteristic_length
    with pytest.raises(OptionError, match=r"below what float64 can verify.*floor is 1e-13 × L = 1.19e-13 m"):
        ur5.ik(np.eye(4), options=ik.IKOptions(position_tolerance=1e-15))
    assert ik.position_tolerance(ur5, ik.IKOptions(position_tolerance=2e-13 * L)) == 2e-13 * L


def test_tight_tolerances_every_success_verified(ur5):
    """At tolerances just above the floor every reported success holds when checked with robot.fk."""
    L = ur5.characteristic_length
    T = ur5.fk(random_q(ur5, np.random.default_rng(4), (12,)))
    options = ik.IKOptions(position_tolerance=1e-12 * L, rotation_tolerance=1e-12, max_restarts=4)
    res = ur5.ik(T, options=options)
    pe, re = errors(ur5, res.q, T)
    assert np.all(pe[res.success] <= 1e-12 * L) and np.all(re[res.success] <= 1e-12 * (1 + 1e-3))
    assert res.success.mean() >= 0.5  # reachable at that precision, not only refused
    np.testing.assert_allclose(res.position_error, pe, rtol=1e-6, atol=1e-15)


def test_default_position_tolerance_is_relative_below_a_metre(ur5):
    """1e-6 × min(L, 1 m): one micrometre for the UR5 (L ≈ 1.19 m), a millionth of L for a small copy."""
    assert ik.position_tolerance(ur5) == 1e-6
    small = ur5.scaled(1e-3)
    np.testing.assert_allclose(ik.position_tolerance(small), 1e-6 * small.characteristic_length, rtol=1e-12)


# ------------------------------------------------------------------------------- scale-free
def test_scaled_robot_geometry(ur5):
    """Robot.scaled multiplies every length: translations scale, rotations do not."""
    q = random_q(ur5, np.random.default_rng(5), (3,))
    big = ur5.scaled(1e3)
    np.testing.assert_allclose(big.fk(q)[..., :3, 3], 1e3 * ur5.fk(q)[..., :3, 3], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(big.fk(q)[..., :3, :3], ur5.fk(q)[..., :3, :3], atol=1e-12)
    stanford = robokin.load("stanford")  # a prismatic joint: its value and limits scale too
    small = stanford.scaled(1e-2)
    qs = random_q(stanford, np.random.default_rng(6), (3,))
    col = np.where(np.array(stanford.joint_types) == "prismatic", 1e-2, 1.0)
    np.testing.assert_allclose(small.fk(qs * col)[..., :3, 3], 1e-2 * stanford.fk(qs)[..., :3, 3], atol=1e-14)
    np.testing.assert_allclose(small.limits, stanford.limits * col[:, None])
    with pytest.raises(ShapeError, match="factor must be a finite number > 0"):
        ur5.scaled(0.0)


@pytest.mark.parametrize("name", ["ur5", "stanford"])
@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_scale_free(name, scale):
    """The same arm at 1 mm and at 1 km solves reachable targets (verified at 1e-6 × min(L, 1 m))."""
    robot = robokin.load(name).scaled(scale)
    rng = np.random.default_rng(7)
    T = robot.fk(random_q(robot, rng, (24,)))
    res = robot.ik(T, random_q(robot, rng, (24,)), seed=1)
    pe, re = errors(robot, res.q, T)
    tol_p = 1e-6 * min(robot.characteristic_length, 1.0)
    assert res.success.all()
    assert np.all(pe <= tol_p) and np.all(re <= 1e-6) and within_limits(robot, res.q).all()


# ------------------------------------------------------------------------------- q0 honoured
def test_issue_reproducer_returns_the_branch_near_q0(ur5):
    """robokin ik ur5 --xyz -0.5306 -0.4324 0.2408 --rpy 180 0 100 --deg --q0 33 -63 83 -107 -93 23."""
    T = spatial.transform(spatial.rpy_to_matrix(np.radians([180, 0, 100])), [-0.5306, -0.4324, 0.2408])
    q0 = np.radians([33, -63, 83, -107, -93, 23])
    res = ur5.ik(T, q0)
    pe, re = errors(ur5, res.q, T)
    assert res.success and pe <= 1e-6 and re <= 1e-6
    assert np.linalg.norm(res.q - q0) < 0.2


@pytest.mark.parametrize("name", ["ur5", "puma560", "panda"])
def test_start_near_a_solution_ends_near_it(name):
    """q0 0.1 rad from a solution: the solution reached from q0 comes back (single and batched)."""
    robot = robokin.load(name)
    rng = np.random.default_rng(8)
    q_true = random_q(robot, rng, (16,))
    step = rng.normal(size=q_true.shape)
    lo, hi = robot.limits.T
    q0 = np.clip(q_true + 0.1 * step / np.linalg.norm(step, axis=1, keepdims=True), lo, hi)
    T = robot.fk(q_true)
    single = np.array([robot.ik(T[i], q0[i], seed=i).q for i in range(4)])
    assert np.all(np.linalg.norm(single - q_true[:4], axis=1) <= 0.2)
    batch = robot.ik(T, q0)
    assert batch.success.all()
    assert np.all(np.linalg.norm(batch.q - q_true, axis=1) <= 0.2)


def test_prefer_q0_waits_for_q0_while_it_converges(ur5):
    """A q0 that solves the target after a few steps wins over a seed-table start that converged earlier;
    prefer="any" returns whatever converged first (here, on this target, farther from q0)."""
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    T = ur5.fk(q_true)
    q0 = q_true + np.array([0.08, -0.05, 0.06, 0.05, -0.07, 0.04])
    near = ur5.ik(T, q0)
    assert near.success and np.linalg.norm(near.q - q_true) < 1e-5
    local = ur5.ik(T, q0, options=ik.IKOptions(max_restarts=0))  # q0's attempt alone: the same solution
    np.testing.assert_allclose(near.q, local.q, atol=1e-9)


# ------------------------------------------------------------------------------- the pieces
def test_dls_step_batched_and_broadcast():
    rng = np.random.default_rng(9)
    J = rng.normal(size=(2, 3, 6, 7))
    e = rng.normal(size=(6,))
    lam = 0.1
    got = ik.dls_step(J, e, lam)
    assert got.shape == (2, 3, 7)
    for idx in np.ndindex(2, 3):
        Jk = J[idx]
        np.testing.assert_allclose(got[idx], Jk.T @ np.linalg.solve(Jk @ Jk.T + lam * np.eye(6), e), atol=1e-10)


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros((6,)), np.zeros(6), 0.1), r"J must have shape \(\.\.\., m, n\)"),
        ((np.zeros((2, 6, 7)), np.zeros((2, 5)), 0.1), r"e must have shape \(\.\.\., 6\)"),
        ((np.zeros((2, 6, 7)), np.zeros((3, 6)), 0.1), "do not broadcast"),
        ((np.zeros((2, 6, 7)), np.zeros((2, 6)), 0.0), "lam must be > 0"),
        ((np.zeros((2, 6, 7)), np.zeros((2, 6)), np.nan), "lam must be finite"),
        ((np.zeros((2, 6, 7)), np.zeros((2, 6)), 0.1, np.zeros((2, 6))), r"z must have shape \(\.\.\., 7\)"),
        ((np.zeros((2, 6, 7), dtype=complex), np.zeros((2, 6)), 0.1), "J must be an array of real numbers"),
        (("J", np.zeros((2, 6)), 0.1), "J must be an array of real numbers"),
    ],
)
def test_dls_step_bad_arguments(args, match):
    with pytest.raises(ShapeError, match=match):
        ik.dls_step(*args)


def test_zero_jacobian_gives_a_zero_step():
    """A Jacobian that is all zero (no joint moves the task) gets a finite zero step, not a LinAlgError."""
    step = dls.damped_step(np.zeros((3, 6, 4)), np.ones((3, 6)), np.zeros(3), None, None)
    np.testing.assert_array_equal(step, 0.0)


def test_step_limit_per_joint_bound():
    """A step too long for some joint is scaled down as a whole until every joint is within its bound."""
    limit = ik.StepLimit(np.array([1.0, 0.5, 2.0]))
    dq = limit.apply(np.array([[0.5, 1.0, 0.0], [0.1, 0.1, 0.1]]))
    np.testing.assert_allclose(dq, [[0.25, 0.5, 0.0], [0.1, 0.1, 0.1]])


def test_position_task_rows_are_the_pose_rows_with_free_orientation(ur5):
    facts = solve_ik._facts(ur5)
    rng = np.random.default_rng(10)
    T = ur5.fk(random_q(ur5, rng, (3,)))
    q = random_q(ur5, rng, (3,))
    kin = facts.tool(q)
    pos = ik.position_task(facts.tool, T[:, :3, 3], facts.length, 1e-6)
    pose = ik.FramePoseTask(facts.tool, T[:, :3, 3], T[:, :3, :3], np.array(ik.POSITION_ONLY), facts.length, 1e-6, 1e-6)
    t = np.arange(3)
    e1, J1, E1, err1 = pos.rows(pos.gather(t), *kin)
    e2, J2, E2, err2 = pose.rows(pose.gather(t), *kin)
    np.testing.assert_allclose(E1, 0.5 * np.sum(e1**2, axis=1))
    np.testing.assert_allclose(e1, e2)
    np.testing.assert_allclose(J1, J2)
    np.testing.assert_allclose(err1[:, 0], err2[:, 0])
    np.testing.assert_allclose(e1[:, :3], (T[:, :3, 3] - ur5.fk(q)[:, :3, 3]) / facts.length, atol=1e-14)


def test_solver_stacks_several_tasks(ur5):
    """The solver takes any number of tasks: a position task and an orientation-only task on the tool, stacked,
    solve the full pose (the design for several frames of a tree robot)."""
    rng = np.random.default_rng(11)
    T = ur5.fk(random_q(ur5, rng, (5,)))
    problem, facts, _ = solve_ik.pose_problem(ur5, T, None, (5,), ik.IKOptions())
    tasks = [
        ik.position_task(facts.tool, T[:, :3, 3], facts.length, 1e-6),
        ik.FramePoseTask(
            facts.tool, T[:, :3, 3], T[:, :3, :3], np.array([0.0] * 3 + [1.0] * 3), facts.length, np.inf, 1e-6
        ),
    ]
    # Seed-table starts serve one task; several tasks start from q0 and random configurations.
    problem = dataclasses.replace(problem, tasks=tasks, seeds=None)
    found = solver.solve_dls(problem)
    pe, re = errors(ur5, found.q, T)
    assert found.converged.all() and np.all(pe <= 1e-6) and np.all(re <= 1e-6)
