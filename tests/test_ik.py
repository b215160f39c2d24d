"""Inverse kinematics: round trips on every bundled robot, tasks, limits, batches, failures, bad input.

Expected values never come from robokin's IK itself: a solution is checked by forward kinematics
(``robot.fk``, with the rotation error's angle from the quaternion of ``R* Rᵀ``, a different code path
from the solver's ``spatial.so3_log``), the damped step against its normal-equation form, and unreachable
targets against the reach computed from the link lengths.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import pose_errors as errors
from conftest import random_q, within_limits

import robokin
from robokin import cli, ik, spatial
from robokin.errors import ConventionError, OptionError, ShapeError
from robokin.ik import dls, seeds, solve_ik, solver

TOL_P = 1e-6  # [m], the documented default
TOL_R = 1e-6  # [rad]


# --------------------------------------------------------------------------------------------- round trips
def test_round_trip_every_robot(robot):
    rng = np.random.default_rng(3)
    q_true = random_q(robot, rng, (6,))
    T = robot.fk(q_true)
    q0 = random_q(robot, rng, (6,))
    res = ik.solve(robot, T, q0, seed=1)
    assert res.success.all(), (robot.name, res.position_error, res.rotation_error)
    pe, re = errors(robot, res.q, T)
    assert np.all(pe <= TOL_P) and np.all(re <= TOL_R)
    assert within_limits(robot, res.q).all()
    np.testing.assert_allclose(res.position_error, pe, atol=1e-12)
    assert np.all(np.isfinite(res.inverse_condition))
    assert np.all((res.inverse_condition >= 0) & (res.inverse_condition <= 1))


def test_robot_method_is_solve(panda):
    T = panda.fk(panda.configurations["reach"])
    a = panda.ik(T, panda.configurations["home"], seed=4)
    b = ik.solve(panda, T, panda.configurations["home"], seed=4)
    np.testing.assert_array_equal(a.q, b.q)
    assert a.success


def test_start_at_the_answer_returns_it(ur5):
    """From q0 = a solution the first evaluation has converged: q comes back unchanged."""
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    res = ur5.ik(ur5.fk(q_true), q_true, options=ik.IKOptions(starts=1))
    np.testing.assert_allclose(res.q, q_true, atol=1e-12)
    assert res.iterations == 0 and res.restarts == 0


def test_tracking_small_step_stays_on_branch(ur5):
    """A nearby start converges to the nearby solution (the non-redundant UR5 has isolated solutions)."""
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    res = ur5.ik(ur5.fk(q_true), q_true + 0.05, options=ik.IKOptions(starts=1))
    assert res.success
    np.testing.assert_allclose(res.q, q_true, atol=1e-5)


def test_revolute_joints_wrapped_nearest_q0(ur5):
    """UR5 joints allow ±2π: the same pose has solutions one turn apart; the one nearest q0 comes back."""
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    q0 = q_true + np.array([-2 * np.pi, 0, 0, 0, 0, -2 * np.pi]) + 0.01
    res = ur5.ik(ur5.fk(q_true), q0, options=ik.IKOptions(starts=1))
    assert res.success
    np.testing.assert_allclose(res.q, q_true + np.array([-2 * np.pi, 0, 0, 0, 0, -2 * np.pi]), atol=1e-5)


def test_several_starts_q0_is_the_first(ur5):
    """Side by side starts (the default for one target): q0 is one of them, so a q0 that already solves
    the target comes back unchanged after one evaluation, with the other starts counted as restarts; each
    of those (from the seed table, evaluated from the table) has taken its first step by then."""
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    res = ur5.ik(ur5.fk(q_true), q_true, method="dls")
    np.testing.assert_allclose(res.q, q_true, atol=1e-12)
    assert res.restarts == solver.AUTO_STARTS_MAX - 1
    assert res.iterations == solver.AUTO_STARTS_MAX - 1


def test_finish_all_returns_the_solution_nearest_q0(ur5):
    """finish="all" lets every start finish and keeps the solution nearest q0 (joints wrapped by whole turns).

    Solved one target at a time, the starts and restarts are the same draws as with finish="first" (same
    seed) up to its first solution, which "all" therefore sees too: "all" is never farther from q0, and on
    some targets strictly nearer (the UR5 has up to 8 solutions per pose).
    """
    rng = np.random.default_rng(21)
    q_true = random_q(ur5, rng, (8,))
    T = ur5.fk(q_true)
    q0 = random_q(ur5, rng, (8,))
    dist = {"first": [], "all": []}
    for i in range(8):
        for finish in ("first", "all"):
            res = ur5.ik(T[i], q0[i], options=ik.IKOptions(starts=8, finish=finish), seed=5, method="dls")
            assert res.success
            pe, re = errors(ur5, res.q, T[i])
            assert pe <= TOL_P and re <= TOL_R and within_limits(ur5, res.q)
            dist[finish].append(np.linalg.norm(res.q - q0[i]))
    assert np.all(np.array(dist["all"]) <= np.array(dist["first"]) + 1e-9)
    assert np.any(np.array(dist["all"]) < np.array(dist["first"]) - 1e-3)


def test_solution_with_a_joint_at_its_limit(panda):
    """Targets whose solution has joints exactly at a limit: the held-joint active set reaches them."""
    rng = np.random.default_rng(22)
    lo, hi = panda.limits.T
    q_true = random_q(panda, rng, (6,))
    q_true[:3, 3] = hi[3]  # elbow at its upper limit
    q_true[3:, 5] = lo[5]  # wrist at its lower limit
    T = panda.fk(q_true)
    res = panda.ik(T, random_q(panda, rng, (6,)), seed=3)
    assert res.success.all()
    pe, re = errors(panda, res.q, T)
    assert np.all(pe <= TOL_P) and np.all(re <= TOL_R) and within_limits(panda, res.q).all()


def test_singularity_report_is_at_the_answer(panda):
    """inverse_condition is σ_min/σ_max of singularity.scaled_jacobian at the returned q."""
    rng = np.random.default_rng(23)
    T = panda.fk(random_q(panda, rng, (5,)))
    res = panda.ik(T, seed=2)
    expected = robokin.singularity.inverse_condition(panda, res.q)
    np.testing.assert_allclose(res.inverse_condition, expected, rtol=1e-9)
    np.testing.assert_array_equal(res.near_singularity, expected < ik.IKOptions().singularity_threshold)


# --------------------------------------------------------------------------------------------- tasks
def test_position_only(panda):
    rng = np.random.default_rng(5)
    q_true = random_q(panda, rng, (4,))
    T = panda.fk(q_true)
    T[..., :3, :3] = spatial.rpy_to_matrix(rng.uniform(-3, 3, (4, 3)))  # any orientation: it is free
    res = panda.ik(T, options=ik.IKOptions(weights=ik.POSITION_ONLY))
    assert res.success.all()
    pe, re = errors(panda, res.q, T)
    assert np.all(pe <= TOL_P)
    # The orientation is free, and the reported rotation error is the actual one (issue 10, item 4).
    np.testing.assert_allclose(res.rotation_error, re, atol=1e-9)
    assert np.all(res.rotation_error > 0.1)
    assert within_limits(panda, res.q).all()


def test_free_rotation_about_target_z(ur5):
    """weights (1,1,1,1,1,0) in the target frame: tool z axis and position match, the spin about z is free."""
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    T = ur5.fk(q_true)
    T_spun = T.copy()
    T_spun[:3, :3] = T[:3, :3] @ spatial.rot_z(1.0)  # the same z axis, spun about it
    # Only the spun target with a free spin; a full-pose solve of T_spun would need another wrist angle.
    res = ur5.ik(
        T_spun, q_true + 0.05, options=ik.IKOptions(weights=(1, 1, 1, 1, 1, 0), weights_frame="target", starts=1)
    )
    assert res.success
    T_got = ur5.fk(res.q)
    np.testing.assert_allclose(T_got[:3, 3], T[:3, 3], atol=TOL_P)
    np.testing.assert_allclose(T_got[:3, 2], T[:3, 2], atol=TOL_R)
    # The spin about z was free: the full rotation error to T_spun is a pure rotation about the target's z.
    R_rel = T_spun[:3, :3].T @ T_got[:3, :3]
    assert abs(R_rel[2, 2] - 1.0) < 1e-9


def test_nullspace_preference_moves_towards_rest(panda):
    """Redundant Panda, position-only (4 spare DOF): with a rest posture the solutions end nearer to it."""
    rng = np.random.default_rng(8)
    home = panda.configurations["home"]
    lo, hi = panda.limits.T
    T = panda.fk(np.clip(home + rng.uniform(-0.5, 0.5, (8, 7)), lo, hi))
    rest = np.clip(home + np.array([0.6, 0.3, -0.6, 0.3, 0.6, -0.3, 0.6]), lo, hi)
    plain = panda.ik(T, home, options=ik.IKOptions(weights=ik.POSITION_ONLY, starts=1))
    pref = panda.ik(
        T, home, options=ik.IKOptions(weights=ik.POSITION_ONLY, starts=1, rest=tuple(rest), nullspace_gain=0.5)
    )
    assert plain.success.all() and pref.success.all()
    pe, _ = errors(panda, pref.q, T)
    assert np.all(pe <= TOL_P)
    assert np.all(np.linalg.norm(pref.q - rest, axis=-1) < np.linalg.norm(plain.q - rest, axis=-1) - 0.2)


# --------------------------------------------------------------------------------------------- batches
@pytest.mark.parametrize("shape", [(), (7,), (2, 3)])
def test_batch_shapes(panda, shape):
    rng = np.random.default_rng(11)
    q_true = random_q(panda, rng, shape)
    T = panda.fk(q_true)
    res = panda.ik(T)
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
    assert res.success.all()
    assert not res.q.flags.writeable


def test_batch_equals_targets_solved_alone_in_quality(panda):
    """Every target of a batch is checked by fk on its own; q0 broadcasts (n,) against the batch."""
    rng = np.random.default_rng(12)
    T = panda.fk(random_q(panda, rng, (5,)))
    res = panda.ik(T, panda.configurations["home"])
    pe, re = errors(panda, res.q, T)
    assert res.success.all() and np.all(pe <= TOL_P) and np.all(re <= TOL_R)


def test_same_seed_same_answer(ur5):
    rng = np.random.default_rng(13)
    T = ur5.fk(random_q(ur5, rng, (4,)))
    q0 = random_q(ur5, rng, (4,))
    a = ur5.ik(T, q0, seed=42)
    b = ur5.ik(T, q0, seed=42)
    c = ur5.ik(T, q0, seed=np.random.default_rng(42))
    np.testing.assert_array_equal(a.q, b.q)
    np.testing.assert_array_equal(a.iterations, b.iterations)
    np.testing.assert_array_equal(a.q, c.q)


@pytest.mark.parametrize("k", [3, 7, 12])  # repeated argmax (k <= _ARGMAX_RANKS) and argpartition
@pytest.mark.parametrize("weights", [(1, 1, 1, 1, 1, 1), ik.POSITION_ONLY])
def test_seed_table_starts_are_the_nearest_poses(panda, weights, k):
    """The side-by-side starts are the seed-table entries whose poses (by robot.fk, in double precision)
    are nearest the target: ‖Δp‖²/ℓ² + 3 − tr(R*ᵀR) (ℓ = ROW_LENGTH × L) (position only for POSITION_ONLY), nearest first."""
    T = panda.fk(random_q(panda, np.random.default_rng(21), (2,)))
    problem, facts, _ = solve_ik.pose_problem(panda, T, None, (2,), ik.IKOptions(weights=weights))
    table = problem.seeds
    near = table.nearest(problem.tasks[0].seed_query(), k)
    assert near.shape == (2, k)
    T_seed = panda.fk(table.q)  # (K, 4, 4), independent of the table's kernel and single precision
    L = solve_ik.ROW_LENGTH * panda.characteristic_length  # the length the seed distance divides by
    for m in range(2):
        d = np.sum((T_seed[:, :3, 3] - T[m, :3, 3]) ** 2, axis=1) / L**2
        if weights[3] > 0:
            d += 3.0 - np.einsum("kij,ij->k", T_seed[:, :3, :3], T[m, :3, :3])
        chosen = np.zeros(d.shape, dtype=bool)
        chosen[near[m]] = True
        assert chosen.sum() == k
        assert d[chosen].max() <= d[~chosen].min() + 1e-5  # float32 ranking
        assert np.all(np.diff(d[near[m]]) >= -1e-5)  # nearest first


def test_restarts_take_the_next_nearest_seeds(panda):
    """Restarts of a target take its queue of nearest seeds in order (a target restarting twice in one pass
    gets two different entries), then random starts (-1)."""
    T = panda.fk(random_q(panda, np.random.default_rng(23), (2,)))
    problem, _, _ = solve_ik.pose_problem(panda, T, None, (2,), ik.IKOptions())
    problem.queue = np.array([[10, 11, 12], [20, 21, 22]])
    np.testing.assert_array_equal(problem.next_seeds(np.array([1, 0, 1])), [20, 10, 21])
    np.testing.assert_array_equal(problem.next_seeds(np.array([0])), [11])
    np.testing.assert_array_equal(problem.next_seeds(np.array([0, 0, 1, 1])), [12, -1, 22, -1])
    np.testing.assert_array_equal(problem.next_seeds(np.array([1])), [-1])


def test_more_starts_than_the_seed_table(monkeypatch):
    """Starts beyond the seed table are random; the table's rows start evaluated (one step each by the
    first evaluation)."""
    monkeypatch.setattr(seeds, "SIZE", 3)
    ur5 = robokin.load("ur5")  # a new Robot: its seed table is built with 3 entries
    q_true = np.array([0.3, -1.2, 1.0, -0.9, 1.3, 0.2])
    T = ur5.fk(q_true)
    res = ur5.ik(T, q_true + 0.3, options=ik.IKOptions(starts=6), seed=2, method="dls")
    pe, re = errors(ur5, res.q, T)
    assert res.success and pe <= TOL_P and re <= TOL_R and within_limits(ur5, res.q)
    assert res.restarts >= 5
    assert [t.q.shape for t in seeds._TABLES[ur5].values()] == [(3, 6)]
    exact = ur5.ik(T, q_true, options=ik.IKOptions(starts=6), method="dls")  # q0 solves it at the first evaluation
    assert exact.restarts == 5 and exact.iterations == 3  # the 3 table rows took their first step


def test_seed_table_only_for_side_by_side_starts():
    """One start per target (starts=1) restarts from random configurations: the robot's seed table is not
    built; a batch with the default starts (q0 and the nearest seeds) builds it."""
    ur5 = robokin.load("ur5")
    T = ur5.fk(random_q(ur5, np.random.default_rng(8), (8,)))
    res = ur5.ik(T, random_q(ur5, np.random.default_rng(9), (8,)), options=ik.IKOptions(starts=1), seed=1, method="dls")
    pe, re = errors(ur5, res.q, T)
    assert res.success.all() and np.all(pe <= TOL_P) and np.all(re <= TOL_R)
    assert ur5 not in seeds._TABLES
    res = ur5.ik(T, random_q(ur5, np.random.default_rng(9), (8,)), seed=1, method="dls")
    assert ur5 in seeds._TABLES
    pe, re = errors(ur5, res.q, T)
    assert res.success.all() and np.all(pe <= TOL_P) and np.all(re <= TOL_R)
    assert np.all(res.restarts >= solver.BATCH_STARTS - 1)


def test_larger_mixed_batch_restarts_and_compaction(ur5):
    """40 targets, 8 unreachable: rows end at different passes (masking, compaction, top-up starts); the
    reachable ones are solved, the unreachable ones use exactly their restarts and report the closest pose."""
    rng = np.random.default_rng(14)
    T = ur5.fk(random_q(ur5, rng, (40,)))
    far = rng.choice(40, 8, replace=False)
    T[far, :3, 3] = rng.normal(size=(8, 3)) * 3.0 / np.sqrt(3.0) + np.array([0.0, 0.0, 3.0])  # far out of reach
    res = ur5.ik(T, random_q(ur5, rng, (40,)), options=ik.IKOptions(max_restarts=20), seed=6)
    reach = np.ones(40, dtype=bool)
    reach[far] = False
    assert res.success[reach].all() and not res.success[far].any()
    np.testing.assert_array_equal(res.restarts[far], 20)
    pe, re = errors(ur5, res.q, T)
    np.testing.assert_allclose(res.position_error, pe, atol=1e-12)
    assert np.all(pe[reach] <= TOL_P) and np.all(re[reach] <= TOL_R) and within_limits(ur5, res.q).all()


# --------------------------------------------------------------------------------------------- failures
def test_unreachable_target_is_a_result(ur5):
    """3 m away from a UR5 (reach ≈ 0.425 + 0.392 + wrist offsets < 1.1 m): no solution, closest pose."""
    T = spatial.transform(p=[3.0, 0.0, 0.0])
    res = ur5.ik(T, options=ik.IKOptions(max_restarts=5))
    assert not res.success
    assert np.all(np.isfinite(res.q)) and within_limits(ur5, res.q)
    reach_bound = 0.425 + 0.39225 + 0.10915 + 0.09465 + 0.0823 + 0.089159  # sum of all offsets [m]
    assert 3.0 - reach_bound < res.position_error < 3.0
    pe, re = errors(ur5, res.q, T)
    np.testing.assert_allclose(res.position_error, pe, rtol=1e-9)
    assert res.restarts == 5


def test_just_beyond_the_stretched_arm(ur5):
    """The UR5 zero pose is stretched (singular); 1 mm further out is unreachable: no blow-up, ~1 mm error."""
    q_zero = np.zeros(6)
    T = ur5.fk(q_zero)
    reach_dir = T[:3, 3] - np.array([0.0, 0.0, 0.089159])
    T_out = T.copy()
    T_out[:3, 3] += 1e-3 * reach_dir / np.linalg.norm(reach_dir)
    res = ur5.ik(np.stack([T, T_out]), q_zero + 0.01, options=ik.IKOptions(max_restarts=3))
    assert np.all(np.isfinite(res.q)) and np.all(np.isfinite(res.position_error))
    assert res.success[0]  # the stretched pose itself is reachable
    assert not res.success[1]
    assert res.position_error[1] < 2e-3
    assert res.near_singularity[0]  # it ends at the stretched, singular posture


def test_mixed_batch_reachable_and_not(panda):
    T = panda.fk(panda.configurations["reach"])
    far = spatial.transform(p=[5.0, 0.0, 0.0])
    res = panda.ik(np.stack([T, far, T]), options=ik.IKOptions(max_restarts=3))
    np.testing.assert_array_equal(res.success, [True, False, True])
    assert np.all(np.isfinite(res.q))


# --------------------------------------------------------------------------------------------- bad input
def test_bad_shape(panda):
    with pytest.raises(ShapeError, match=r"T_target must have shape \(\.\.\., 4, 4\)"):
        panda.ik(np.eye(3))


def test_nan_target(panda):
    T = np.eye(4)
    T[0, 3] = np.nan
    with pytest.raises(ShapeError, match="T_target must be finite"):
        panda.ik(T)


def test_not_rigid(panda):
    T = np.eye(4)
    T[0, 0] = 2.0
    with pytest.raises(ConventionError, match="not a rigid transform"):
        panda.ik(T)


def test_bad_q0(panda):
    with pytest.raises(ShapeError, match=r"q0 must have shape \(\.\.\., 7\)"):
        panda.ik(np.eye(4), np.zeros(6))
    with pytest.raises(ShapeError, match="does not broadcast"):
        panda.ik(np.broadcast_to(np.eye(4), (3, 4, 4)), np.zeros((2, 7)))


@pytest.mark.parametrize("method", ["auto", "dls"])
def test_a_q0_beyond_the_limits_by_whole_turns_is_the_same_start(ur5, method):
    """q0 outside a revolute joint's limits by whole turns (angles from an encoder read in [0, 4π), say) is the
    configuration the user means: the answer is the solution at q0, moved by whole turns into the limits. It was
    clipped onto the limit, and the damped least squares went from there to another branch (|Δq| up to 2.9 rad)."""
    q = np.array([0.3, -1.0, 1.2, 0.4, 0.9, -0.5])
    two_pi = 2.0 * np.pi
    # Joint 1 (±2π) past its upper limit by 0.3 rad, joints 4 and 6 a turn away but within; then all +2 turns.
    for turns, expected in [
        ([1, 0, 0, -1, 0, 1], q + two_pi * np.array([0, 0, 0, -1, 0, 1])),
        ([2, 2, 2, 2, 2, 2], q + two_pi * np.array([0, 1, 0, 0, 0, 1])),
    ]:
        q0 = q + two_pi * np.array(turns)
        assert not ur5.within_limits(q0)
        res = ik.solve(ur5, ur5.fk(q), q0, method=method)
        assert res.success
        np.testing.assert_allclose(res.q, expected, atol=1e-9)
        assert within_limits(ur5, res.q)


def test_a_target_far_along_a_prismatic_joint_without_limits_is_reached():
    """A rail without limits (YAML allows it) carrying a 2R arm, and a bare x-y gantry: the pose is affine in
    a prismatic value, so no step bound applies along it. With the bound max_step × L (L = 0.7 m, 1 m), targets
    further than ~17 L from q0 failed (success False after 100 restarts, 56 m short of the gantry's target)."""
    rail = robokin.loads(
        "robokin: 1\nname: rail2r\njoints:\n"
        "  - {name: rail, type: prismatic, origin: {xyz: [0, 0, 0]}, axis: [1, 0, 0]}\n"
        "  - {name: a, type: revolute, dh: {a: 0.4, alpha: 0, d: 0}, limits: [-3, 3]}\n"
        "  - {name: b, type: revolute, dh: {a: 0.3, alpha: 0, d: 0}, limits: [-3, 3]}\n"
    )
    gantry = robokin.loads(
        "robokin: 1\nname: xy\njoints:\n"
        "  - {name: x, type: prismatic, origin: {xyz: [0, 0, 0]}, axis: [1, 0, 0]}\n"
        "  - {name: y, type: prismatic, origin: {xyz: [0, 0, 0]}, axis: [0, 1, 0]}\n"
    )
    for robot, q in [(rail, np.array([[50.0, 0.4, -0.9], [-300.0, 1.0, 0.5]])), (gantry, np.array([[30.0, -70.0]]))]:
        T = robot.fk(q)
        res = ik.solve(robot, T)
        assert res.success.all(), res.position_error
        pe, _ = errors(robot, res.q, T)
        assert np.all(pe <= TOL_P)


def test_bad_options(panda):
    with pytest.raises(OptionError, match="options must be an IKOptions"):
        panda.ik(np.eye(4), options={"max_iterations": 3})
    with pytest.raises(OptionError, match="IKOptions.damping must be one of"):
        ik.IKOptions(damping="newton")
    with pytest.raises(OptionError, match="IKOptions.weights must be 6 finite numbers"):
        ik.IKOptions(weights=(0, 0, 0, 0, 0, 0))
    with pytest.raises(OptionError, match="IKOptions.position_tolerance must be a positive"):
        ik.IKOptions(position_tolerance=0.0)
    with pytest.raises(OptionError, match=r"IKOptions.max_restarts must be an integer in \[0, 10000\], got -1"):
        ik.IKOptions(max_restarts=-1)
    with pytest.raises(OptionError, match="IKOptions.rest must have 7 values"):
        panda.ik(np.eye(4), options=ik.IKOptions(rest=(0.0, 0.0), nullspace_gain=1.0))
    # ... whatever the gain: a wrong rest is refused also when the posture would not be used (gain 0).
    for method in ("auto", "dls"):
        with pytest.raises(OptionError, match="IKOptions.rest must have 7 values for robot 'panda', got 5"):
            panda.ik(panda.fk(panda.configurations["reach"]), options=ik.IKOptions(rest=(1.0,) * 5), method=method)
    with pytest.raises(OptionError, match="options must be an IKOptions, got int"):
        ik.position_tolerance(panda, 3)
    with pytest.raises(OptionError, match="robot must be a Robot, got str"):
        ik.position_tolerance("panda")


# --------------------------------------------------------------------------------------------- pieces
def test_dls_step_normal_equations():
    """Jᵀ(JJᵀ + λI)⁻¹(e − Jz) + z equals the normal-equation minimiser (JᵀJ + λI)⁻¹(Jᵀe + λz)."""
    rng = np.random.default_rng(0)
    J = rng.normal(size=(5, 6, 7))
    e = rng.normal(size=(5, 6))
    z = rng.normal(size=(5, 7))
    lam = rng.uniform(0.01, 1.0, 5)
    Jt = np.swapaxes(J, -1, -2)
    A = Jt @ J + lam[:, None, None] * np.eye(7)
    expected = np.linalg.solve(A, ((Jt @ e[..., None])[..., 0] + lam[:, None] * z)[..., None])[..., 0]
    np.testing.assert_allclose(ik.dls_step(J, e, lam, z), expected, atol=1e-10)
    expected0 = np.linalg.solve(A, Jt @ e[..., None])[..., 0]
    np.testing.assert_allclose(ik.dls_step(J, e, lam), expected0, atol=1e-10)


def test_held_joints_step():
    """_dls with held joints: the free joints take the DLS step of J without the held columns (normal
    equations of the reduced J), the held ones report Jᵀy, the motion the task asks of them."""
    rng = np.random.default_rng(2)
    J = rng.normal(size=(4, 6, 7))
    e = rng.normal(size=(4, 6))
    lam = rng.uniform(0.01, 1.0, 4)
    held = np.zeros((4, 7), dtype=bool)
    held[0, 2] = held[1, [0, 6]] = held[3, 4] = True
    got = dls.damped_step(J, e, lam, None, held)
    for k in range(4):
        free = ~held[k]
        Jf = J[k][:, free]
        step = np.linalg.solve(Jf.T @ Jf + lam[k] * np.eye(free.sum()), Jf.T @ e[k])
        np.testing.assert_allclose(got[k, free], step, atol=1e-10)
        y = np.linalg.solve(Jf @ Jf.T + lam[k] * np.eye(6), e[k])
        np.testing.assert_allclose(got[k, ~free], J[k][:, ~free].T @ y, atol=1e-10)
    np.testing.assert_allclose(
        dls.damped_step(J, e, lam, None, np.zeros_like(held)), ik.dls_step(J, e, lam), atol=1e-12
    )


# --------------------------------------------------------------------------------------------- CLI
def test_cli_ik_position_only(capsys):
    status = cli.main(["ik", "panda", "--xyz", "0.4", "0.1", "0.5"])
    out = capsys.readouterr().out
    assert status == 0
    assert "position only (orientation free)" in out and "solution:" in out
    q = np.array(
        [
            float(line.split()[1])
            for line in out.splitlines()
            if line.strip().startswith("joint") and not line.strip().startswith("joint ")
        ]
    )
    panda = robokin.load("panda")
    np.testing.assert_allclose(panda.fk(q)[:3, 3], [0.4, 0.1, 0.5], atol=1e-4)  # printed to 5 decimals


def test_cli_ik_pose_degrees(capsys):
    status = cli.main(["ik", "ur5", "--xyz", "0.3", "0.2", "0.4", "--rpy", "180", "0", "90", "--deg", "--q0", "ready"])
    out = capsys.readouterr().out
    assert status == 0 and "position and orientation" in out and "iterations =" in out


def test_cli_ik_unreachable_exit_1(capsys):
    status = cli.main(["ik", "ur5", "--xyz", "3", "0", "0", "--seed", "1"])
    out = capsys.readouterr().out
    assert status == 1 and "no solution; closest pose found" in out


def test_cli_ik_conflicting_flags(capsys):
    status = cli.main(["ik", "ur5", "--xyz", "0.3", "0.2", "0.4", "--rpy", "0", "0", "0", "--position-only"])
    assert status == 1
    assert "do not give --rpy" in capsys.readouterr().err
