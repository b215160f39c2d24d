"""One target on Python floats (robokin.ik.closed_form_single, and ik.solve's one-target path): the same solutions
as the batched kernels of robokin.ik.closed_form on thousands of random targets per family, the same answers as
ik.solve with a batch of one, and the checks it leans on (nearest_turns, one transform's rigidity)."""

from __future__ import annotations

import numpy as np
import pytest
from test_ik_analytic import _robot_from_screws

import robokin
from robokin import ik, validation
from robokin.errors import ConventionError, ShapeError
from robokin.ik import analytic, closed_form, closed_form_single, solve_ik

# One arm per lean family, two whose family holds only for the chain read from the tool to the base, and two
# whose joints 2 and 3 turn about opposite directions of one axis.
ARMS = ["ur5", "puma560", "irb140", "kr5_arc"]
REVERSED = ["ur5", "puma560"]
FLIPPED = ["puma560", "irb140"]


def _reversed_arm(name: str) -> robokin.Robot:
    """The arm ``name`` read from its tool to its base: its family holds for the reversed chain."""
    _, g, _ = analytic._family_of(robokin.load(name))
    r = g.reversed()
    return _robot_from_screws(f"{name}_reversed", r.H, r.P, r.R0, r.p0, limits=(-3.0, 3.0))


def _flipped_arm(name: str) -> robokin.Robot:
    """The arm ``name`` with joint 3's axis negated (to the last bit: ``h3 = −h2``), the same family."""
    _, g, _ = analytic._family_of(robokin.load(name))
    H = np.array(g.H)
    H[2] = -H[1]
    return _robot_from_screws(f"{name}_flipped", H, g.P, g.R0, g.p0, limits=(-3.0, 3.0))


def _targets(robot: robokin.Robot, count: int, seed: int) -> np.ndarray:
    """Random reachable targets, some out of reach, some at singular configurations (joint 5 at 0, arm
    stretched), ``(count, 4, 4)``."""
    rng = np.random.default_rng(seed)
    lo, hi = robot.limits.T
    q = rng.uniform(np.maximum(lo, -4.0), np.minimum(hi, 4.0), (count, robot.n))
    q[: count // 20, 4] = 0.0  # wrist singularities
    q[count // 20 : count // 10, 2] = 0.0  # elbow stretched
    T = robot.fk(q)
    T[-count // 20 :, :3, 3] *= 3.0  # beyond the reach
    return T


@pytest.mark.parametrize(
    "name,variant",
    [(n, "as built") for n in ARMS] + [(n, "reversed") for n in REVERSED] + [(n, "flipped") for n in FLIPPED],
)
def test_single_target_equals_the_batched_kernels(name, variant):
    """1000 targets per arm, 2000 per family: the same valid slots, candidates and solutions (to 1e-10) one at a
    time on floats as in one batch."""
    robot = {"as built": robokin.load, "reversed": _reversed_arm, "flipped": _flipped_arm}[variant](name)
    family = ik.analytic_family(robot)
    assert family.reversed == (variant == "reversed") and family.name in closed_form.LEAN_FAMILIES
    T = _targets(robot, 1000, seed=11)
    batch = ik.solve_all(robot, T)
    arm = analytic._scalar_arm(robot, *analytic._family_of(robot))
    if family.name != "three_parallel_intersecting_wrist" and not family.reversed:  # joints 2, 3 on one axis
        assert arm.sign23 == (-1.0 if variant == "flipped" else 1.0)
    declined = 0
    for i in range(T.shape[0]):
        one = arm.solve(T[i])
        if one is None:  # declined: solve_all runs the batched path for this one target
            declined += 1
            sols = ik.solve_all(robot, T[i])
            # (its polishing steps at a singular configuration depend on the rounding of a batch's J)
            np.testing.assert_array_equal(sols.q, ik.solve_all(robot, T[i : i + 1]).q[0])
            continue
        q, valid, pe, re = one
        assert q.shape == (8, 6) and valid.shape == pe.shape == re.shape == (8,)
        if i < T.shape[0] // 10:  # singular: a continuum (wrist) or double roots (elbow) that rounding splits
            Tq = robot.fk(q[valid])  # any point of it, verified
            assert np.abs(Tq - T[i]).max(initial=0.0) <= 1e-9, i
            continue
        assert (valid == batch.valid[i]).all(), i
        assert (np.isfinite(pe) == np.isfinite(batch.position_error[i])).all(), i
        assert (np.abs(q[valid] - batch.q[i][valid]) <= 1e-10).all(), i  # the same turn of each joint too
        assert (pe[valid] <= analytic.POSITION_TOLERANCE).all() and (re[valid] <= analytic.ROTATION_TOLERANCE).all()
    # And the public call takes this path: one target's IKSolutions.
    sols = ik.solve_all(robot, T[-200])
    assert sols.q.shape == (8, 6) and sols.family is family and not sols.q.flags.writeable
    np.testing.assert_array_equal(sols.q, arm.solve(T[-200])[0])
    assert batch.valid.sum() > T.shape[0]  # the test is about solutions: most targets have several
    # The float path is the one that ran: it declines only answers to polish, here at the wrist singularities.
    assert declined <= T.shape[0] // 20


@pytest.mark.parametrize("name", ARMS)
def test_every_valid_single_solution_is_verified_by_robot_fk(name):
    robot = robokin.load(name)
    T = _targets(robot, 200, seed=12)
    for i in range(T.shape[0]):
        sols = ik.solve_all(robot, T[i])
        Tq = robot.fk(sols.q[sols.valid])
        assert np.abs(Tq - T[i]).max(initial=0.0) <= 1e-10 * max(1.0, robot.characteristic_length)
        lo, hi = robot.limits.T
        assert ((sols.q[sols.valid] >= lo) & (sols.q[sols.valid] <= hi)).all()


@pytest.mark.parametrize("name", ["ur5", "irb140", "puma560"])
def test_a_target_beyond_its_range_goes_to_the_batched_path(name):
    robot = robokin.load(name)
    arm = analytic._scalar_arm(robot, *analytic._family_of(robot))
    T = np.eye(4)
    T[:3, 3] = [2.0 * closed_form_single.HUGE, 1.0, 0.0]
    assert arm.solve(T) is None
    with np.errstate(all="raise", under="ignore"):  # no warning escapes (NumPy ignores underflow by default)
        sols = ik.solve_all(robot, T)
    assert sols.q.shape == (8, 6) and not sols.valid.any() and np.isfinite(sols.q).all()


def test_an_answer_to_polish_goes_to_the_batched_path():
    """A UR5 target at a shoulder singularity loses digits in the closed form: the float path declines, and
    the answer (polished by the batched path) is the batched one."""
    robot = robokin.load("ur5")
    arm = analytic._scalar_arm(robot, *analytic._family_of(robot))
    rng = np.random.default_rng(13)
    seen = 0
    for _ in range(100):
        q = rng.uniform(-np.pi, np.pi, 6)
        q[4] = rng.choice([0.0, 1e-9, np.pi])  # wrist in line (q5 = 0 or π): a continuum of q4, q6
        T = robot.fk(q)
        if arm.solve(T) is None:
            seen += 1
            one, batch = ik.solve_all(robot, T), ik.solve_all(robot, T[None])
            assert (one.valid == batch.valid[0]).all()
            np.testing.assert_array_equal(one.q, batch.q[0])
    assert seen > 0


def test_single_target_with_wraps_lists_the_same_turns_as_a_batch():
    robot = robokin.load("irb140")  # joint 6 has a range of 4π
    T = _targets(robot, 40, seed=14)
    batch = ik.solve_all(robot, T, wraps=True)
    for i in range(T.shape[0] // 10, T.shape[0]):  # (not the singular ones, whose continuum rounding splits)
        one = ik.solve_all(robot, T[i], wraps=True)
        assert one.q.shape == batch.q.shape[1:]
        assert (one.valid == batch.valid[i]).all()
        assert np.abs(one.q[one.valid] - batch.q[i][one.valid]).max(initial=0.0) <= 1e-10


def test_single_target_keeps_the_argument_checks():
    robot = robokin.load("ur5")
    with pytest.raises(ShapeError, match="T_world_tool must have shape"):
        ik.solve_all(robot, np.eye(3))
    with pytest.raises(ShapeError, match="T_world_tool must be finite"):
        ik.solve_all(robot, np.full((4, 4), np.nan))
    bad = np.eye(4)
    bad[0, 0] = -1.0  # det −1
    with pytest.raises(ConventionError, match="T_world_tool is not a rigid transform"):
        ik.solve_all(robot, bad)
    with pytest.raises(robokin.OptionError, match="q_param is only for 7-joint arms"):
        ik.solve_all(robot, np.eye(4), q_param=0.1)


# --------------------------------------------------------------------------------------------- ik.solve
def _same_result(one: ik.IKResult, batch: ik.IKResult) -> None:
    """``one`` (a single target) and the first of ``batch`` are the same answer."""
    np.testing.assert_allclose(one.q, batch.q[0], rtol=0, atol=1e-12)
    assert one.success == batch.success[0] and one.near_singularity == batch.near_singularity[0]
    assert one.iterations == batch.iterations[0] and one.restarts == batch.restarts[0]
    np.testing.assert_allclose(one.position_error, batch.position_error[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(one.rotation_error, batch.rotation_error[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(one.inverse_condition, batch.inverse_condition[0], rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("name", ARMS)
def test_solve_one_target_equals_a_batch_of_one(name):
    """ik.solve(T (4, 4)) takes the one-target path; ik.solve(T (1, 4, 4)) the general one: the same answers,
    with and without q0, for reachable, singular and unreachable targets."""
    robot = robokin.load(name)
    T = _targets(robot, 30, seed=15)
    rng = np.random.default_rng(16)
    lo, hi = robot.limits.T
    q0 = rng.uniform(np.maximum(lo, -3.0), np.minimum(hi, 3.0), (T.shape[0], robot.n))
    for i in range(T.shape[0]):
        for start in (q0[i], None) if i < T.shape[0] - 1 else (q0[i],):  # (the last is out of reach: DLS)
            one = ik.solve(robot, T[i], start)
            batch = ik.solve(robot, T[i][None], None if start is None else start[None])
            assert one.q.shape == (robot.n,) and one.success.shape == ()
            _same_result(one, batch)
            for field in ("q", "success", "position_error", "iterations", "inverse_condition", "near_singularity"):
                value = getattr(one, field)
                assert value.dtype == getattr(batch, field).dtype and not value.flags.writeable, field


def test_solve_one_target_declines_where_the_general_path_does_more():
    puma = robokin.load("puma560")
    facts = solve_ik._facts(puma)
    options = ik.IKOptions()
    tol = solve_ik.position_tolerance(puma)
    q0 = np.array([0.3, 0.5, -0.4, 0.7, 0.0, -0.2])  # q5 = 0: axes 4 and 6 in line, a continuum
    T = puma.fk(q0)
    assert solve_ik.closed_form_one(puma, facts, T, q0 + 0.1, True, options, tol) is None  # q0 may lead elsewhere
    assert solve_ik.closed_form_one(puma, facts, T, q0 + 0.1, False, options, tol) is not None
    polish = puma.fk(np.array([0.3, -0.5, 0.4, 0.7, 0.0, -0.2]))  # an answer the general path polishes
    assert analytic.scalar_arm(puma).solve(polish) is None
    assert solve_ik.closed_form_one(puma, facts, polish, q0, False, options, tol) is None
    far = np.eye(4)
    far[:3, 3] = [50.0, 0.0, 0.0]
    assert solve_ik.closed_form_one(puma, facts, far, q0, True, options, tol) is None
    partial = ik.IKOptions(weights=ik.POSITION_ONLY)
    assert solve_ik.closed_form_one(puma, facts, T, q0, True, partial, tol) is None
    tight = ik.IKOptions(position_tolerance=1e-11)
    assert solve_ik.closed_form_one(puma, facts, T, q0, True, tight, 1e-11) is None
    panda = robokin.load("panda")
    assert (
        solve_ik.closed_form_one(panda, solve_ik._facts(panda), panda.fk(np.zeros(7)), np.zeros(7), True, options, tol)
        is None
    )
    # And the public answer at the singularity is the general path's: q0 itself comes back.
    res = ik.solve(puma, T, q0)
    assert res.success and res.near_singularity
    np.testing.assert_allclose(res.q, q0, atol=1e-9)


# --------------------------------------------------------------------------------------------- helpers
def _nearest_turns_sequential(q, ref, revolute, lower, upper):
    """The definition: from q, try q + 2π s for s = m, m − 1, m + 1 (m the turns nearest ref) in turn, each
    taken when within the limits and nearer ref, or when the value so far is outside them."""
    m = np.round((ref - q) / (2.0 * np.pi))
    out = q
    for shift in (m, m - 1.0, m + 1.0):
        cand = q + 2.0 * np.pi * shift
        inside = (cand >= lower) & (cand <= upper)
        closer = np.abs(cand - ref) < np.abs(out - ref)
        out_inside = (out >= lower) & (out <= upper)
        out = np.where(revolute & inside & (closer | ~out_inside), cand, out)
    return out


def test_nearest_turns_equals_its_sequential_definition():
    rng = np.random.default_rng(17)
    n = 6
    revolute = np.array([True, True, False, True, True, True])
    lower = np.array([-np.inf, -2.0, -0.5, -7.0, -np.pi, 0.5])
    upper = np.array([np.inf, 3.5, 0.5, 7.0, np.pi, 2.0])
    q = rng.uniform(-12.0, 12.0, (500, 8, n))
    q[:, :, 4] = np.pi  # on the edge of the limits
    ref = rng.uniform(-4.0, 4.0, (500, 1, n))
    ref[:50, :, 4] = 0.0  # ties: candidates a half turn either side
    got = solve_ik.nearest_turns(q, ref, revolute, lower, upper)
    np.testing.assert_array_equal(got, _nearest_turns_sequential(q, ref, revolute, lower, upper))
    # q broadcast against a batch of refs, and a q with no turn within the limits (kept as it is).
    got = solve_ik.nearest_turns(q[0, 0], ref[:, 0], revolute, lower, upper)
    np.testing.assert_array_equal(got, _nearest_turns_sequential(q[0, 0], ref[:, 0], revolute, lower, upper))
    assert got.shape == (500, n) and (got[:, 2] == q[0, 0, 2]).all()


def test_one_transform_is_checked_like_a_batch():
    """validation.transforms checks a single (4, 4) on floats: the same deviation as the batched check."""
    rng = np.random.default_rng(18)
    for _ in range(300):
        T = np.eye(4)
        T[:3, :3] = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        T[:3, 3] = rng.normal(size=3)
        T += rng.normal(size=(4, 4)) * 10.0 ** rng.uniform(-9, -3)
        one, batch = validation._rigid_deviation(T), validation._rigid_deviation(T[None])
        assert abs(one - batch) <= 1e-12 * max(1.0, batch)
        if batch > validation.RIGID_TOL:
            with pytest.raises(ConventionError, match="T is not a rigid transform"):
                validation.transforms(T)
        else:
            assert validation.transforms(T) is T


def test_pose_error_one_equals_verify():
    """The one-target path's errors on floats are verify's (so3_log's angle), at small, large and half-turn angles."""
    rng = np.random.default_rng(19)
    options = ik.IKOptions()
    for angle in [0.0, 1e-12, 1e-7, 0.3, 2.0, np.pi - 1e-9, np.pi]:
        for _ in range(20):
            T = np.eye(4)
            T[:3, :3] = robokin.spatial.so3_exp(rng.normal(size=3))
            T[:3, 3] = rng.normal(size=3)
            axis = rng.normal(size=3)
            Tq = T.copy()
            Tq[:3, :3] = robokin.spatial.so3_exp(angle * axis / np.linalg.norm(axis)).T @ T[:3, :3]
            Tq[:3, 3] += rng.normal(size=3) * 1e-6
            pe, re = solve_ik.pose_error_one(T, Tq.tolist())
            p_ref, r_ref, _ = solve_ik.verify(
                T[None, :3, 3], T[None, :3, :3], Tq[None], options.weights, False, 1e-6, options
            )
            assert abs(pe - p_ref[0]) <= 1e-15 and abs(re - r_ref[0]) <= 1e-14, (angle, re, r_ref)
            assert abs(re - angle) <= 1e-8


@pytest.mark.parametrize("name", ARMS)
def test_float_pose_and_jacobian_equal_the_kernels(name):
    robot = robokin.load(name)
    arm = analytic.scalar_arm(robot)
    q = np.random.default_rng(20).uniform(-4.0, 4.0, (100, 6))
    T, J = robokin.kinematics.path_pose_and_jacobian(robot.link_path(None), q)
    for k in range(q.shape[0]):
        T_one, J_one = arm.pose_and_jacobian(q[k].tolist())
        assert np.abs(np.array(T_one) - T[k]).max() <= 1e-13 * max(1.0, robot.characteristic_length)
        assert np.abs(np.array(J_one) - J[k]).max() <= 1e-13 * max(1.0, robot.characteristic_length)
    assert analytic.scalar_arm(robokin.load("panda")) is None  # a 7-joint arm: no float kernel


def test_one_result_has_the_constructors_fields_and_no_writeable_array():
    """IKResult.one (the one-target path's result, without copies) equals the constructor's result field by
    field: the same values, shapes and dtypes, every array read-only and none can be made writeable again."""
    q = [0.1, -0.2, 0.3, 4.0, -5.0, 0.25]
    for success, near in ((True, False), (False, True)):
        got = ik.IKResult.one(q, success, 1e-9, 2e-9, 0.125, near)
        want = ik.IKResult(q, success, 1e-9, 2e-9, 0, 0, 0.125, near)
        for field in want.__dataclass_fields__:
            a, b = getattr(got, field), getattr(want, field)
            assert a.shape == b.shape and a.dtype == b.dtype, field
            np.testing.assert_array_equal(a, b)
            assert not a.flags.writeable, field
            with pytest.raises(ValueError, match="cannot set WRITEABLE flag"):
                a.setflags(write=True)
    assert ik.IKResult.one(q, True, 0.0, 0.0, 1.0, False).success  # the shared flags keep their values
    assert not ik.IKResult.one(q, False, 0.0, 0.0, 1.0, False).success


def test_one_solutions_have_the_constructors_fields():
    """IKSolutions.one (solve_all's one-target result, without the constructor's per-field loop) equals the
    constructor's result field by field: the same values, shapes and dtypes, every array read-only."""
    family = analytic.analytic_family(robokin.load("ur5"))
    q = np.arange(48.0).reshape(8, 6) / 7.0
    valid = [True, False, True, True, False, False, True, False]
    pe, re = [1e-12, np.inf, 0.0, 3e-10, np.inf, 2.0, 5e-16, np.inf], [0.0, np.inf, 1e-11, 2e-12, 1.0, np.inf, 0.0, 4.0]
    got = analytic.IKSolutions.one(q.copy(), valid, pe, re, family)
    want = analytic.IKSolutions(q, valid, pe, re, family)
    for field in ("q", "valid", "position_error", "rotation_error"):
        a, b = getattr(got, field), getattr(want, field)
        assert a.shape == b.shape and a.dtype == b.dtype, field
        np.testing.assert_array_equal(a, b)
        assert not a.flags.writeable, field
    assert got.family is family and got.count == 4


def _within_limits(robot: robokin.Robot, rng: np.random.Generator, count: int) -> np.ndarray:
    """``(count, n)`` random configurations within the limits (and within two turns) [rad]."""
    lo, hi = robot.limits.T
    return rng.uniform(np.maximum(lo, -2 * np.pi), np.minimum(hi, 2 * np.pi), (count, robot.n))


def test_nearest_turns_one_equals_nearest_turns():
    """The one-target path's float version, for configurations within the limits (its candidates)."""
    rng = np.random.default_rng(21)
    for name in ARMS:
        robot = robokin.load(name)
        facts = solve_ik._facts(robot)
        lo, hi = robot.limits.T
        q = _within_limits(robot, rng, 300)
        ref = rng.uniform(-8.0, 8.0, (300, 6))
        ref[:20] = q[:20] + np.pi  # ties half a turn away
        want = solve_ik.nearest_turns(q, ref, facts.revolute, lo, hi)
        for k in range(q.shape[0]):
            got = solve_ik.nearest_turns_one(q[k].tolist(), ref[k].tolist(), facts.turning)
            np.testing.assert_array_equal(got, want[k])


@pytest.mark.parametrize("name", ARMS)
def test_float_kernel_fk_equals_path_fk(name):
    """The verification's fk of up to 8 candidates is robot.fk's product kernel (to rounding)."""
    robot = robokin.load(name)
    arm = analytic.scalar_arm(robot)
    assert arm.K is not None  # (the fast product, not the path_fk fallback)
    rng = np.random.default_rng(22)
    for k in range(1, 9):
        q = rng.uniform(-7.0, 7.0, (k, 6))
        want = robokin.kinematics.path_fk(robot.link_path(None), q)
        got = arm.fk(q.tolist())
        assert got.shape == (k, 4, 4)
        assert np.abs(got - want).max() <= 1e-15 * max(1.0, robot.characteristic_length)
        np.testing.assert_allclose(got, robot.fk(q), rtol=0, atol=1e-14 * max(1.0, robot.characteristic_length))


def _nearest_sequential(rows, ref, turning):
    """The definition: every row moved by nearest_turns_one, the first least Σ|q − ref| (summed in joint order)."""
    best, best_dist = None, np.inf
    for q in rows:
        moved = solve_ik.nearest_turns_one(list(q), list(ref), turning)
        dist = 0.0
        for a, b in zip(moved, ref):
            dist += abs(a - b)
        if dist < best_dist:
            best, best_dist = moved, dist
    return best


def test_nearest_one_is_the_first_nearest_after_the_turns():
    rng = np.random.default_rng(23)
    for name in ARMS:
        robot = robokin.load(name)
        turning = solve_ik._facts(robot).turning
        for trial in range(300):
            rows = _within_limits(robot, rng, int(rng.integers(1, 9)))
            ref = _within_limits(robot, rng, 1)[0] * 1.3
            if trial % 5 == 0:  # ties: the same row twice, and two rows equally far from ref
                rows = np.concatenate([rows, rows[:1]])
            if trial % 7 == 0:
                ref = rows[0].copy()
            got = solve_ik.nearest_one(rows.tolist(), ref.tolist(), turning)
            assert got == _nearest_sequential(rows.tolist(), ref.tolist(), turning), (name, trial)


def test_nearest_one_beyond_the_shortcuts_range():
    """Joints with unlimited ranges or limits beyond ±1e6, and refs beyond ±1e6, take _nearest_turn's own
    checks: still the first nearest of the sequential definition."""
    rng = np.random.default_rng(26)
    lower = [-np.inf, -3e6, -7.0, -20.0, -np.inf, -2e6]
    upper = [np.inf, 3e6, 7.0, 20.0, np.inf, 1e5]
    turning = tuple((i, lower[i], upper[i]) for i in range(6))
    for trial in range(300):
        rows = rng.uniform(-7.0, 7.0, (int(rng.integers(1, 9)), 6))
        rows[:, 1] += rng.choice([0.0, 2.5e6], rows.shape[0])  # within its limits, beyond the shortcut's range
        ref = rng.uniform(-9.0, 9.0, 6) + rng.choice([0.0, 1.0], 6) * rng.uniform(-5e6, 5e6, 6)
        ref[[0, 4]] *= rng.choice([1.0, 1e10], 2)  # unlimited joints: refs up to 1e17, where a turn rounds
        if trial % 5 == 0:
            rows = np.concatenate([rows, rows[:1]])
        got = solve_ik.nearest_one(rows.tolist(), ref.tolist(), turning)
        assert got == _nearest_sequential(rows.tolist(), ref.tolist(), turning), trial


def test_nearest_turn_shortcut_equals_the_loop_at_its_edges():
    """nearest_turns_one takes the turn nearest ref at once when it is within π − 0.1 and the numbers are below
    1e6; at that edge, at half turns and beyond that range it equals the vectorized nearest_turns (the loop)."""
    rng = np.random.default_rng(24)
    revolute = np.ones(6, dtype=bool)
    lower = np.array([-np.inf, -7.0, -20.0, -3e6, -np.inf, 0.5])
    upper = np.array([np.inf, 7.0, 20.0, 3e6, np.inf, 12.0])
    turning = tuple((i, float(lower[i]), float(upper[i])) for i in range(6))
    q = rng.uniform(-np.pi, np.pi, (2000, 6))
    q[:, 5] = rng.uniform(0.5, 12.0, 2000)
    edge = np.pi - 0.1 + rng.uniform(-1e-9, 1e-9, (2000, 6)) * rng.choice([0.0, 1.0], (2000, 6))
    ref = q + edge * rng.choice([-1.0, 1.0], (2000, 6)) + 2 * np.pi * rng.integers(-3, 4, (2000, 6))
    ref[:200] = q[:200] + np.pi  # half turns
    ref[200:300, 3] = rng.uniform(-2.9e6, 2.9e6, 100)  # beyond the shortcut's range
    ref[300:400, 4] = rng.uniform(-1e12, 1e12, 100)  # unlimited joint, huge ref
    want = solve_ik.nearest_turns(q, ref, revolute, lower, upper)
    for k in range(q.shape[0]):
        got = solve_ik.nearest_turns_one(q[k].tolist(), ref[k].tolist(), turning)
        np.testing.assert_array_equal(got, want[k])


def test_one_transform_names_its_first_non_finite_entry():
    T = np.eye(4)
    T[2, 3] = np.inf
    with pytest.raises(ShapeError, match=r"T_target must be finite; found inf at index \(2, 3\)"):
        ik.solve(robokin.load("ur5"), T)
    T[2, 3], T[1, 0] = 0.0, np.nan
    with pytest.raises(ShapeError, match=r"T must be finite; found nan at index \(1, 0\)"):
        validation.transforms(T)
