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


def _same_sets(a: np.ndarray, b: np.ndarray) -> bool:
    if len(a) != len(b):
        return False
    d = np.abs(np.angle(np.exp(1j * (a[:, None] - b[None])))).max(-1)
    return bool((d < 1e-7).any(1).all() and (d < 1e-7).any(0).all())


@pytest.mark.parametrize("name", LEAN)
def test_lean_kernel_equals_the_subproblem_composition(name):
    """Same exact slots and the same solution sets as analytic's SP1-SP6 chain (an independent code path)."""
    robot = robokin.load(name)
    family, g, _ = analytic._family_of(robot)
    assert family.name in closed_form.LEAN_FAMILIES
    q = np.random.default_rng(5).uniform(-np.pi, np.pi, (300, 6))
    T = robot.fk(q)
    # Also targets out of reach (no exact slot) and on the boundary of the workspace.
    T[:20, :3, 3] *= 10.0
    R, p = T[:, :3, :3], T[:, :3, 3]
    K = closed_form.constants(family.name, g.H, g.P, g.R0, g.p0)
    cos, sin, exact, _ = closed_form.solve_cs(family.name, K, *closed_form.target_frames(R, p, g.R0))
    ours = np.stack([np.broadcast_to(np.arctan2(s, c), exact.shape) for c, s in zip(cos, sin)], -1)  # (2, 2, 2, N, 6)
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
