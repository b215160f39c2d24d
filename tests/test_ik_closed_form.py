"""The lean closed-form kernels (robokin.ik.closed_form): their fk equals robot.fk, their solutions equal the
subproblem composition of robokin.ik.analytic, and SP4 in (cos, sin) form meets its equation."""

from __future__ import annotations

import numpy as np
import pytest

import robokin
from robokin.ik import analytic, closed_form

LEAN = ["ur5", "ur3", "puma560", "irb140", "kr5_arc"]


def _cs(q: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return [np.cos(x) for x in q.T], [np.sin(x) for x in q.T]


@pytest.mark.parametrize("name", ["ur5", "puma560", "irb140", "kr5_arc", "panda", "iiwa14", "gen3", "planar3r"])
def test_poses_cs_equals_robot_fk(name):
    robot = robokin.load(name)
    q = np.random.default_rng(3).uniform(-4.0, 4.0, (200, robot.n))
    program = closed_form.fk_program(robot.serial_chain.C, robot.characteristic_length)
    x, y, z, p = np.broadcast_arrays(*closed_form.poses_cs(program, *_cs(q)))  # a column may stay constant
    T = robot.fk(q)
    assert np.abs(np.stack([x, y, z], -1) - T[:, :3, :3].transpose(1, 0, 2)).max() <= 1e-13
    assert np.abs(p - T[:, :3, 3].T).max() <= 1e-13 * robot.characteristic_length


def test_poses_cs_broadcasts_branch_axes():
    robot = robokin.load("ur5")
    rng = np.random.default_rng(4)
    q = [rng.uniform(-3, 3, shape) for shape in [(2, 1, 5), (2, 2, 5), (1, 1, 5), (2, 2, 5), (1, 2, 5), (2, 1, 5)]]
    program = closed_form.fk_program(robot.serial_chain.C, robot.characteristic_length)
    x, _, _, p = closed_form.poses_cs(program, [np.cos(a) for a in q], [np.sin(a) for a in q])
    full = np.stack(np.broadcast_arrays(*q), -1)  # (2, 2, 5, 6)
    T = robot.fk(full)
    assert x.shape == p.shape == (3, 2, 2, 5)
    assert np.abs(np.moveaxis(p, 0, -1) - T[..., :3, 3]).max() <= 1e-13
    assert np.abs(np.moveaxis(x, 0, -1) - T[..., :3, 0]).max() <= 1e-13


@pytest.mark.parametrize("name", ["ur5", "puma560", "kr5_arc", "gen3"])
def test_pose_jacobian_cs_equals_robot_fk_and_the_analytic_jacobian(name):
    robot = robokin.load(name)
    q = np.random.default_rng(5).uniform(-4.0, 4.0, (100, robot.n))
    program = closed_form.fk_program(robot.serial_chain.C, robot.characteristic_length)
    (x, y, z, p), J = closed_form.pose_jacobian_cs(program, *_cs(q))
    T = robot.fk(q)
    assert np.abs(np.stack([x, y, z], -1) - T[:, :3, :3].transpose(1, 0, 2)).max() <= 1e-13
    assert np.abs(p - T[:, :3, 3].T).max() <= 1e-13 * robot.characteristic_length
    assert J.shape == (100, 6, robot.n)
    # Against robokin's Jacobian and against central differences of fk (an independent oracle).
    assert np.abs(J - robokin.jacobian(robot, q)).max() <= 1e-13 * robot.characteristic_length
    h = 1e-6
    for i in range(robot.n):
        dq = np.zeros(robot.n)
        dq[i] = h
        dT = (robot.fk(q + dq) - robot.fk(q - dq)) / (2 * h)
        assert np.abs(J[:, :3, i] - dT[:, :3, 3]).max() <= 1e-8
        w = dT[:, :3, :3] @ np.swapaxes(T[:, :3, :3], -1, -2)  # [ω]× = dR/dq Rᵀ
        assert np.abs(J[:, 3:, i] - np.stack([w[:, 2, 1], w[:, 0, 2], w[:, 1, 0]], -1)).max() <= 1e-8


def _same_sets(a: np.ndarray, b: np.ndarray) -> bool:
    if len(a) != len(b):
        return False
    d = np.abs(np.angle(np.exp(1j * (a[:, None] - b[None])))).max(-1)
    return bool((d < 1e-7).any(1).all() and (d < 1e-7).any(0).all())


@pytest.mark.parametrize(
    "name, flip, fused",
    [(name, True, True) for name in LEAN]
    + [("puma560", False, True), ("irb140", False, True), ("kr5_arc", False, True)]
    + [("puma560", True, False), ("kr5_arc", False, False), ("ur5", True, False)],
)
def test_lean_kernel_equals_the_subproblem_composition(name, flip, fused, monkeypatch):
    """Same exact slots and the same solution sets as analytic's SP1-SP6 chain (an independent code path);
    spherical wrists also solved without their half-turn flip (both branches of the wrist computed), and
    without the shortcuts of special axes (``fused`` False): the rotations of the parallel axes 2 and 3 not
    fused into one (``par23`` set to 0), every rotation by Rodrigues (no axis taken as a coordinate axis)."""
    robot = robokin.load(name)
    family, g, _ = analytic._family_of(robot)
    assert family.name in closed_form.LEAN_FAMILIES
    if not flip:
        monkeypatch.setattr(closed_form, "WRIST_FLIP_TOL", -1.0)
    q = np.random.default_rng(5).uniform(-np.pi, np.pi, (300, 6))
    T = robot.fk(q)
    # Also targets out of reach (no exact slot) and on the boundary of the workspace.
    T[:20, :3, 3] *= 10.0
    R, p = T[:, :3, :3], T[:, :3, 3]
    if not fused:
        monkeypatch.setattr(closed_form, "AXIS_TOL", -1.0)
    K = closed_form.constants(family.name, g.H, g.P, g.R0, g.p0)
    assert bool(K["wrist_flip"].all()) == flip if "wrist_flip" in K else family.name.startswith("three")
    assert (K["axes"] != 0).all() == fused  # every bundled arm's axes lie along coordinate axes at q = 0
    if "par23" in K:  # every bundled spherical arm has axes 2 ∥ 3
        assert K["par23"].size == 1 and abs(float(K["par23"].flat[0])) == 1.0
        if not fused:
            K["par23"] = np.zeros_like(K["par23"])
    cos, sin, exact, angles = closed_form.solve_cs(family.name, K, *closed_form.target_frames(R, p, g.R0))
    ours = np.stack([np.broadcast_to(np.arctan2(s, c), exact.shape) for c, s in zip(cos, sin)], -1)  # (2, 2, 2, N, 6)
    # The kernel's own angles (fewer arctan2 calls) are those of its pairs, within (−π, π].
    mine = np.stack([np.broadcast_to(a, exact.shape) for a in angles], -1)
    assert (mine > -np.pi).all() and (mine <= np.pi).all()
    assert np.abs(np.angle(np.exp(1j * (mine - ours)))).max() <= 1e-12
    ours, exact = ours.reshape(8, -1, 6).transpose(1, 0, 2), exact.reshape(8, -1).T
    theirs, theirs_exact = analytic._solve6(family.name, g, R, p)
    assert (exact == theirs_exact).all()
    assert not exact[:20].any()
    for i in range(T.shape[0]):
        assert _same_sets(ours[i][exact[i]], theirs[i][theirs_exact[i]])
    # Every exact slot solves the target (robot.fk of the angles).
    Tq = robot.fk(ours)
    assert np.abs(Tq[..., :3, 3] - p[:, None])[exact].max() <= 1e-10


def test_per_target_constants_of_a_held_middle_joint():
    """iiwa with joint 3 held per target: the constants broadcast over the targets, same solutions."""
    robot = robokin.load("iiwa14")
    family, g, _ = analytic._family_of(robot)
    j = family.parameter_joint
    rng = np.random.default_rng(6)
    q = rng.uniform(-2.0, 2.0, (50, 7))
    T = robot.fk(q)
    geo = g.fixed(j, q[:, j])
    K = closed_form.constants(family.name, geo.H, geo.P, geo.R0, geo.p0)
    assert K["tip"].shape == (3, 1, 1, 1, 50) and K["M1"].shape == (9, 3, 1, 1, 1, 50)
    cos, sin, exact, _ = closed_form.solve_cs(
        family.name, K, *closed_form.target_frames(T[:, :3, :3], T[:, :3, 3], geo.R0)
    )
    ours = np.stack([np.broadcast_to(np.arctan2(s, c), exact.shape) for c, s in zip(cos, sin)], -1).reshape(8, -1, 6)
    full = np.insert(ours.transpose(1, 0, 2), j, q[:, j, None], axis=-1)  # (50, 8, 7)
    found = (np.abs(np.angle(np.exp(1j * (full - q[:, None])))).max(-1) < 1e-7) & exact.reshape(8, -1).T
    assert found.any(-1).all()


def test_sp4_cos_sin_meets_its_equation():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(2, 1000))
    rhs = rng.uniform(-2.0, 2.0, 1000) * np.hypot(a, b)
    c, s, exact = closed_form._sp4(a, b, rhs, np.array([[1.0], [-1.0]]))
    assert c.shape == (2, 1000)
    assert np.abs(c * c + s * s - 1.0).max() <= 1e-14
    reach = np.abs(rhs) <= np.hypot(a, b)
    assert (exact == reach).all()
    assert np.abs((a * c + b * s - rhs)[:, reach]).max() <= 1e-12
    # No exact root: the least-squares θ, a·cos + b·sin = ±r, nearest rhs.
    r = np.hypot(a, b)
    assert np.abs((a * c + b * s)[:, ~reach] - np.sign(rhs[~reach]) * r[~reach]).max() <= 1e-12


@pytest.mark.parametrize("name", ["ur5", "irb140", "puma560", "panda"])
def test_targets_beyond_float_range_give_no_solution_and_no_nan(name):
    robot = robokin.load(name)
    family = robokin.ik.analytic_family(robot)
    T = np.broadcast_to(np.eye(4), (4, 4, 4)).copy()
    T[:, :3, 3] = np.array([1e300, 1e200, 1e155, 1e100])[:, None] * np.array([1.0, -1.0, 1.0])
    kw = {} if family.parameter_joint is None else {"q_param": 0.3}
    with np.errstate(all="raise"):  # no floating-point warning escapes either
        sols = robokin.ik.solve_all(robot, T, **kw)
    assert not sols.valid.any()
    assert np.isfinite(sols.q).all()
    assert not np.isnan(sols.position_error).any() and not np.isnan(sols.rotation_error).any()


@pytest.mark.parametrize("name", ["iiwa14", "gen3"])
def test_held_middle_joint_constants_interpolated_equal_the_direct_ones(name):
    """The constants of an arm with a middle joint held, from their trigonometric polynomials in the held
    angle, equal closed_form.constants of the arm held at that angle (g.fixed), at angles off the samples."""
    robot = robokin.load(name)
    family, g, L = analytic._family_of(robot)
    j = family.parameter_joint
    assert 0 < j < robot.n - 1 and not family.reversed
    held = analytic._lean_constants(robot, family, g, L)[-1]
    assert held is not None
    fixed, coef, layout = held
    t = np.random.default_rng(8).uniform(-3.0, 3.0, 40)
    geo = g.fixed(j, t)
    a = closed_form.perpendicular_axis(family.name)
    # The interpolation turns the perpendicular with its axis; any perpendicular is valid, so compare with the
    # direct constants given the same one (the one-arm perpendicular turned by the held joint).
    v0 = closed_form.perpendicular(g.fixed(j, np.zeros(1)).H[0, a])
    if np.abs(geo.H[:, a] - geo.H[0, a]).max() <= 1e-12:  # an axis along h_j stays: so does v
        V = np.broadcast_to(v0, (t.size, 3))
    else:  # it turns with the held joint
        V = analytic._rotation_matrix(g.H[j], t) @ v0
    assert np.abs((V * geo.H[:, a]).sum(-1)).max() <= 1e-12  # perpendicular to its axis at every t
    direct = closed_form.constants(family.name, geo.H, geo.P, geo.R0, geo.p0, perpendicular=V)
    basis = analytic._trig_basis(t, coef.shape[1])
    flat = coef @ basis
    ours = dict(fixed)
    ours.update((key, flat[rows].reshape(shape + (t.size,))) for key, shape, rows in layout)
    R0 = ours.pop("R0")
    assert np.abs((R0 if R0.ndim == 2 else R0.transpose(2, 0, 1)) - geo.R0).max() <= 1e-12
    assert set(ours) == set(direct)
    for key, value in direct.items():
        mine = ours[key]
        if mine.ndim == 2 and value.ndim > 2:  # a matrix that does not depend on t
            mine = mine.reshape(mine.shape + (1,) * (value.ndim - 2))
        assert np.abs(mine - value).max() <= 1e-12 * max(1.0, L), key


def test_held_middle_joint_same_solutions_without_the_interpolation(monkeypatch):
    """iiwa with joint 3 given: the same solutions with the interpolated constants and with per-target ones."""
    robot = robokin.load("iiwa14")
    family = robokin.ik.analytic_family(robot)
    q = np.random.default_rng(9).uniform(-2.0, 2.0, (300, 7))
    T = robot.fk(q)
    ours = robokin.ik.solve_all(robot, T, q_param=q[:, family.parameter_joint])
    monkeypatch.setattr(analytic, "_LEAN_CACHE", type(analytic._LEAN_CACHE)())
    monkeypatch.setattr(analytic, "_held_constants", lambda *args: None)
    direct = robokin.ik.solve_all(robot, T, q_param=q[:, family.parameter_joint])
    assert (ours.valid == direct.valid).all()
    assert ours.valid.any(-1).all()
    assert np.abs(ours.q - direct.q)[ours.valid].max() <= 1e-9


def test_held_constants_refused_when_not_a_low_degree_polynomial(monkeypatch):
    """A constant that is not a trigonometric polynomial of the sampled degree fails the probe check: None."""
    robot = robokin.load("iiwa14")
    family, g, _ = analytic._family_of(robot)
    monkeypatch.setattr(analytic, "HELD_SAMPLES", 3)  # degree 1: the Rodrigues matrices of turned axes are degree 2
    assert analytic._held_constants(family, g, family.parameter_joint) is None


@pytest.mark.parametrize("name", ["ur5", "puma560", "iiwa14"])
def test_pose_errors_cs_equal_the_errors_of_robot_fk(name):
    robot = robokin.load(name)
    rng = np.random.default_rng(10)
    q = rng.uniform(-3.0, 3.0, (2, 2, 50, robot.n))
    T_target = robot.fk(q[0, 0] + rng.normal(scale=1e-3, size=(50, robot.n)))  # near, not at, the poses
    program = closed_form.fk_program(robot.serial_chain.C, robot.characteristic_length)
    cos, sin = [np.cos(x) for x in np.moveaxis(q, -1, 0)], [np.sin(x) for x in np.moveaxis(q, -1, 0)]
    pe2, dist2 = closed_form.pose_errors_cs(program, cos, sin, T_target[:, :3, :3], T_target[:, :3, 3])
    T = robot.fk(q)
    assert pe2.shape == dist2.shape == (2, 2, 50)
    expect_p = ((T[..., :3, 3] - T_target[:, :3, 3]) ** 2).sum(-1)
    expect_R = ((T[..., :3, :3] - T_target[:, :3, :3]) ** 2).sum((-1, -2))
    assert np.abs(pe2 - expect_p).max() <= 1e-12 * robot.characteristic_length**2
    assert np.abs(dist2 - expect_R).max() <= 1e-12


def test_sp4_angle_is_the_angle_of_its_pair():
    """φ ± δ with constant (a, b) and per-target rhs: the angle of the (cos, sin) pair, in (−π, π]."""
    rng = np.random.default_rng(11)
    for a, b in rng.normal(size=(20, 2)):
        rhs = rng.uniform(-1.5, 1.5, (1, 500)) * np.hypot(a, b)
        c, s, exact, theta = closed_form._sp4_angle(np.array(a), np.array(b), rhs, np.array([[1.0], [-1.0]]))
        assert theta.shape == c.shape == (2, 500)
        assert (theta > -np.pi).all() and (theta <= np.pi).all()
        assert np.abs(np.angle(np.exp(1j * (theta - np.arctan2(s, c))))).max() <= 1e-13
        assert np.abs((a * np.cos(theta) + b * np.sin(theta) - rhs)[:, exact[0]]).max() <= 1e-12 * np.hypot(a, b)


@pytest.mark.parametrize("name", ["ur5", "iiwa14"])
def test_blocks_of_the_lean_path_give_the_one_block_answer(name, monkeypatch):
    """A batch split into blocks (the last one short) is solved exactly as in one block, each target with its
    own parameter value."""
    robot = robokin.load(name)
    family = robokin.ik.analytic_family(robot)
    q = np.random.default_rng(12).uniform(-2.0, 2.0, (300, robot.n))
    T = robot.fk(q)
    kw = {} if family.parameter_joint is None else {"q_param": q[:, family.parameter_joint]}
    monkeypatch.setattr(analytic, "LEAN_BLOCK", 1000)
    whole = robokin.ik.solve_all(robot, T, **kw)
    monkeypatch.setattr(analytic, "LEAN_BLOCK", 64)
    parts = robokin.ik.solve_all(robot, T, **kw)
    assert whole.valid.any(-1).all()
    assert (whole.valid == parts.valid).all()
    assert np.array_equal(whole.q, parts.q)
    assert np.array_equal(whole.position_error, parts.position_error)


@pytest.mark.parametrize("code", [1.0, -1.0, 2.0, -2.0, 3.0, -3.0])
def test_rotation_about_a_coordinate_axis_equals_rodrigues(code):
    """The plane rotation of an axis ±e_k (``K["axes"]``) equals R(k, θ) v = cos v + sin k × v + (1 − cos)(k·v) k,
    with the branch axes and a leading axis of stacked vectors broadcast as in the wrist."""
    k = np.zeros(3)
    k[int(abs(code)) - 1] = np.sign(code)
    rng = np.random.default_rng(8)
    theta = rng.uniform(-np.pi, np.pi, (2, 2, 1, 7))
    v = rng.normal(size=(3, 2, 1, 1, 1, 7))  # (components, two vectors, a, b, c, N)
    K = {"axes": np.array([code, 0.0]), "M2": closed_form._rodrigues(k)}
    plane = closed_form._rot(K, 1, np.cos(theta), np.sin(theta), v)
    rodrigues = closed_form._rot(K, 2, np.cos(theta), np.sin(theta), v)
    kv = np.einsum("i,i...->...", k, v)
    expected = (
        np.cos(theta) * v
        + np.sin(theta) * np.cross(k, v, axis=0)
        + (1.0 - np.cos(theta)) * kv * k.reshape((3,) + (1,) * (v.ndim - 1))
    )
    assert plane.shape == rodrigues.shape == (3, 2, 2, 2, 1, 7)
    assert np.abs(plane - expected).max() <= 1e-15 * 8
    assert np.abs(rodrigues - expected).max() <= 1e-15 * 8
    # inverse=True turns by −θ: the same values as passing the negated sine, to the bit on both paths.
    for i in (1, 2):
        back = closed_form._rot(K, i, np.cos(theta), np.sin(theta), v, inverse=True)
        assert np.array_equal(back, closed_form._rot(K, i, np.cos(theta), -np.sin(theta), v))
        assert np.abs(closed_form._rot(K, i, np.cos(theta), np.sin(theta), back) - v).max() <= 1e-15 * 8


def test_slot_dedupe_equals_the_generic_dedupe():
    """The 8-slot dedupe of the lean path (component first) marks exactly the slots that the generic
    ``_dedupe`` marks: repeats of an earlier valid slot within DUPLICATE_TOL in every joint, not repeats of an
    invalid one, nor slots whose screening keys agree while two joints differ."""
    rng = np.random.default_rng(5)
    n, M = 6, 600
    Q = rng.uniform(-np.pi, np.pi, (n, 8, M))
    valid = rng.random((8, M)) < 0.8
    tol = analytic.DUPLICATE_TOL
    t = np.arange(M)
    a, i = rng.integers(0, 4, M), rng.integers(4, 8, M)  # slot i a copy of an earlier slot a, give or take
    kind = t % 4
    Q[:, i, t] = Q[:, a, t] + rng.uniform(-0.3, 0.3, (n, M)) * tol  # kind 0: a repeat
    Q[0, i[kind == 1], t[kind == 1]] += 3.0 * tol  # kind 1: one joint beyond the tolerance
    Q[0, i[kind == 2], t[kind == 2]] += 2.0e-5  # kind 2: the same weighted key, two joints apart
    Q[1, i[kind == 2], t[kind == 2]] -= 1.0e-5
    Q[:, 7, kind == 3] = Q[:, 6, kind == 3] = Q[:, 5, kind == 3]  # kind 3: a chain of three
    got = analytic._dedupe_slots(Q, valid)
    want = analytic._dedupe(Q.transpose(2, 1, 0), valid.T, 8).T
    assert np.array_equal(got, want)
    removed = valid & ~got
    assert removed[i[kind == 0], t[kind == 0]].sum() > 50  # both valid in about 2/3 of them
    assert not removed[:, kind == 1].any() and not removed[:, kind == 2].any()
    assert not (removed & ~valid).any()


@pytest.mark.parametrize("name", ["ur5", "puma560"])
def test_a_wrong_kernel_answer_is_reported_invalid(name, monkeypatch):
    """The lean path's fk check is independent of the kernel: kernel answers turned by 0.3 rad in joint 4
    (its angle and its (cos, sin) pair alike, on the slots of one branch) are reported invalid with their true
    pose errors, and the other slots keep their solutions."""
    robot = robokin.load(name)
    lo, hi = robot.limits.T
    q = np.random.default_rng(21).uniform(np.maximum(lo, -3.0), np.minimum(hi, 3.0), (400, robot.n))
    T = robot.fk(q)
    good = robokin.ik.solve_all(robot, T)
    solve_cs = closed_form.solve_cs

    def wrong(name_, K, Rt, p):
        cos, sin, exact, angles = solve_cs(name_, K, Rt, p)
        shape = (2, 2, 2, p.shape[-1])
        c, s, a = (np.broadcast_to(x, shape).copy() for x in (cos[3], sin[3], angles[3]))
        d = 0.3
        c[:, :, 0], s[:, :, 0] = (
            c[:, :, 0] * np.cos(d) - s[:, :, 0] * np.sin(d),
            s[:, :, 0] * np.cos(d) + c[:, :, 0] * np.sin(d),
        )
        a[:, :, 0] += d
        cos[3], sin[3], angles[3] = c, s, a
        return cos, sin, exact, angles

    monkeypatch.setattr(closed_form, "solve_cs", wrong)
    bad = robokin.ik.solve_all(robot, T)
    slots = np.arange(8).reshape(2, 2, 2)
    wrong_slots, kept = slots[:, :, 0].ravel(), slots[:, :, 1].ravel()
    assert good.valid[:, wrong_slots].sum() > 100  # there were solutions on the corrupted branch
    assert not bad.valid[:, wrong_slots].any()
    checked = np.isfinite(bad.position_error[:, wrong_slots])
    T_bad = robot.fk(bad.q[:, wrong_slots][checked])
    T_want = np.broadcast_to(T[:, None], (400, 4, 4, 4))[checked]
    assert np.allclose(
        bad.position_error[:, wrong_slots][checked], np.linalg.norm(T_bad[:, :3, 3] - T_want[:, :3, 3], axis=-1)
    )
    assert (bad.rotation_error[:, wrong_slots][checked] > 0.05).all()
    assert np.array_equal(bad.valid[:, kept], good.valid[:, kept])
