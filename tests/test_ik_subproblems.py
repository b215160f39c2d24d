"""The six subproblems against their defining equations, on seeded random instances, exact and least squares."""

from __future__ import annotations

import numpy as np
import pytest

from robokin.ik import subproblems as sp

N = 400
GRID = np.linspace(-np.pi, np.pi, 2001)  # for brute-force least-squares minima


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _unit(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    v = rng.normal(size=shape + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _angle_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(np.exp(1j * (a - b))))


def _rot_matrix(k: np.ndarray, t: float) -> np.ndarray:
    """``R(k, t)`` by the matrix exponential of ``t [k]×`` (an independent formula from ``rotate``)."""
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K


def test_rotate_matches_the_matrix_exponential():
    rng = _rng(0)
    k, p, t = _unit(rng, ()), rng.normal(size=3), 0.7
    np.testing.assert_allclose(sp.rotate(k, t, p), _rot_matrix(k, t) @ p, atol=1e-15)


# --------------------------------------------------------------------------------------------- SP1
def test_sp1_exact_recovers_the_angle():
    rng = _rng(1)
    k, p1, t = _unit(rng, (N,)), rng.normal(size=(N, 3)), rng.uniform(-np.pi, np.pi, N)
    s = sp.sp1(p1, sp.rotate(k, t, p1), k)
    assert s.theta.shape == (N, 1, 1) and s.valid.all() and not s.least_squares.any()
    assert _angle_diff(s.theta[:, 0, 0], t).max() < 1e-12


def test_sp1_least_squares_is_the_minimum():
    rng = _rng(2)
    k, p1, p2 = _unit(rng, (50,)), rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    s = sp.sp1(p1, p2, k)
    assert s.least_squares.all()
    r = np.linalg.norm(sp.rotate(k, s.theta[:, 0, 0], p1) - p2, axis=-1)
    brute = np.linalg.norm(sp.rotate(k[:, None], GRID, p1[:, None]) - p2[:, None], axis=-1).min(-1)
    assert (r <= brute + 1e-12).all()


# --------------------------------------------------------------------------------------------- SP4, SP3
def test_sp4_exact_solutions_satisfy_the_equation_and_include_the_source():
    rng = _rng(3)
    h, k, p, t = rng.normal(size=(N, 3)), _unit(rng, (N,)), rng.normal(size=(N, 3)), rng.uniform(-np.pi, np.pi, N)
    d = sp.dot(h, sp.rotate(k, t, p))
    s = sp.sp4(h, p, k, d)
    assert s.theta.shape == (N, 2, 1) and s.valid.all() and not s.least_squares.any()
    res = sp.dot(h[:, None], sp.rotate(k[:, None], s.theta[..., 0], p[:, None])) - d[:, None]
    assert np.abs(res).max() < 1e-12
    assert _angle_diff(s.theta[..., 0], t[:, None]).min(-1).max() < 1e-9


def test_sp4_least_squares_when_d_is_out_of_range():
    rng = _rng(4)
    h, k, p = rng.normal(size=(50, 3)), _unit(rng, (50,)), rng.normal(size=(50, 3))
    d = 10.0 * np.linalg.norm(h, axis=-1) * np.linalg.norm(p, axis=-1) * rng.choice([-1, 1], 50)
    s = sp.sp4(h, p, k, d)
    assert s.least_squares.all() and s.valid[:, 0].all() and not s.valid[:, 1].any()
    r = np.abs(sp.dot(h, sp.rotate(k, s.theta[:, 0, 0], p)) - d)
    brute = np.abs(sp.dot(h[:, None], sp.rotate(k[:, None], GRID, p[:, None])) - d[:, None]).min(-1)
    assert (r <= brute + 1e-12).all()


def test_sp3_exact_and_least_squares():
    rng = _rng(5)
    k, p1, p2, t = _unit(rng, (N,)), rng.normal(size=(N, 3)), rng.normal(size=(N, 3)), rng.uniform(-np.pi, np.pi, N)
    d = np.linalg.norm(sp.rotate(k, t, p1) - p2, axis=-1)
    s = sp.sp3(p1, p2, k, d)
    assert s.valid.all() and not s.least_squares.any()
    res = np.linalg.norm(sp.rotate(k[:, None], s.theta[..., 0], p1[:, None]) - p2[:, None], axis=-1) - d[:, None]
    assert np.abs(res).max() < 1e-10
    far = d + 100.0
    s = sp.sp3(p1, p2, k, far)
    assert s.least_squares.all()
    r = np.abs(np.linalg.norm(sp.rotate(k, s.theta[:, 0, 0], p1) - p2, axis=-1) - far)
    brute = np.abs(np.linalg.norm(sp.rotate(k[:, None], GRID, p1[:, None]) - p2[:, None], axis=-1) - far[:, None]).min(
        -1
    )
    assert (r <= brute + 1e-12).all()


def test_sp4_tangency_is_a_double_root_not_least_squares():
    # hᵀR(z, θ)x with h = x: cos θ = 1 only at θ = 0.
    s = sp.sp4([1.0, 0, 0], [1.0, 0, 0], [0, 0, 1.0], 1.0)
    assert not s.least_squares and s.valid.all()
    np.testing.assert_allclose(s.theta[..., 0], [0.0, 0.0], atol=1e-7)


# --------------------------------------------------------------------------------------------- SP2
def test_sp2_exact_solutions_and_the_source_pair():
    rng = _rng(6)
    k1, k2, x = _unit(rng, (N,)), _unit(rng, (N,)), rng.normal(size=(N, 3))
    t1, t2 = rng.uniform(-np.pi, np.pi, (2, N))
    p1, p2 = sp.rotate(k1, -t1, x), sp.rotate(k2, -t2, x)
    s = sp.sp2(p1, p2, k1, k2)
    assert s.theta.shape == (N, 2, 2) and s.valid.all() and not s.least_squares.any()
    res = sp.rotate(k1[:, None], s.theta[..., 0], p1[:, None]) - sp.rotate(k2[:, None], s.theta[..., 1], p2[:, None])
    assert np.abs(res).max() < 1e-10
    match = (_angle_diff(s.theta[..., 0], t1[:, None]) < 1e-8) & (_angle_diff(s.theta[..., 1], t2[:, None]) < 1e-8)
    assert match.any(-1).all()


def test_sp2_least_squares_is_the_minimum_for_unit_vectors():
    rng = _rng(7)
    k1, k2, p1, p2 = (_unit(rng, (300,)) for _ in range(4))
    s = sp.sp2(p1, p2, k1, k2)
    m = s.least_squares
    assert 0 < m.sum() < 300 and not s.valid[m, 1].any()
    r = np.linalg.norm(sp.rotate(k1, s.theta[:, 0, 0], p1) - sp.rotate(k2, s.theta[:, 0, 1], p2), axis=-1)
    # Brute force over θ1; for each, the nearest point of the second circle by SP1's least squares
    # (checked against a grid in test_sp1_least_squares_is_the_minimum).
    A = sp.rotate(k1[m, None], GRID, p1[m, None])  # (M, G, 3)
    t2 = sp.sp1(np.broadcast_to(p2[m, None], A.shape), A, k2[m, None]).theta[..., 0, 0]
    brute = np.linalg.norm(A - sp.rotate(k2[m, None], t2, p2[m, None]), axis=-1).min(-1)
    assert (r[m] <= brute + 1e-9).all()


# --------------------------------------------------------------------------------------------- SP5, SP6
def test_sp5_solutions_satisfy_the_equation_and_include_the_source():
    rng = _rng(8)
    p1, p2, p3 = rng.normal(size=(3, N, 3))
    k1, k2, k3 = _unit(rng, (N,)), _unit(rng, (N,)), _unit(rng, (N,))
    t1, t2, t3 = rng.uniform(-np.pi, np.pi, (3, N))
    p0 = sp.rotate(k2, t2, p2 + sp.rotate(k3, t3, p3)) - sp.rotate(k1, t1, p1)
    s = sp.sp5(p0, p1, p2, p3, k1, k2, k3)
    assert s.theta.shape == (N, 4, 3) and not s.least_squares.any()
    T = s.theta
    lhs = p0[:, None] + sp.rotate(k1[:, None], T[..., 0], p1[:, None])
    rhs = sp.rotate(k2[:, None], T[..., 1], p2[:, None] + sp.rotate(k3[:, None], T[..., 2], p3[:, None]))
    err = np.where(s.valid, np.linalg.norm(lhs - rhs, axis=-1), 0.0)
    assert err.max() < 1e-9
    assert set(np.unique(s.valid.sum(-1))) <= {2, 4}  # real roots of a real quartic come in even numbers
    source = (_angle_diff(T[..., 0], t1[:, None]) < 1e-7) & (_angle_diff(T[..., 2], t3[:, None]) < 1e-7) & s.valid
    assert source.any(-1).all()


def test_sp5_whose_third_angle_enters_by_its_sine_only():
    """Axes 2 ⟂ 3 meeting, p2 along axis 3 (up to a component along axis 2) and p3's part off axis 3 along
    k2 × k3 (an elbow offset, as TIAGo's arm with its joint 4 held): θ3 enters both equations by sin θ3 only,
    its cosine terms are rounding noise in a rotated frame. Every source is still found, exactly."""
    rng = _rng(12)
    k2, k3 = np.array([-1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    p2 = np.column_stack([rng.uniform(-0.05, 0.05, N), rng.uniform(-0.3, 0.3, N), np.zeros(N)])
    p3 = np.column_stack([np.zeros(N), rng.uniform(-0.5, 0.5, N), rng.uniform(-0.3, 0.3, N)])
    k1, p1 = _unit(rng, (N,)), rng.normal(size=(N, 3))
    t1, t2, t3 = rng.uniform(-np.pi, np.pi, (3, N))
    # One random rotation of the whole instance per row: the equation is the same, its floats are not.
    Rr = np.stack([_rot_matrix(_unit(rng, ()), a) for a in rng.uniform(-np.pi, np.pi, N)])
    k1, k2, k3, p1, p2, p3 = (np.einsum("nij,nj->ni", Rr, np.broadcast_to(v, (N, 3))) for v in (k1, k2, k3, p1, p2, p3))
    p0 = sp.rotate(k2, t2, p2 + sp.rotate(k3, t3, p3)) - sp.rotate(k1, t1, p1)
    s = sp.sp5(p0, p1, p2, p3, k1, k2, k3)
    assert not s.least_squares.any()
    T = s.theta
    lhs = p0[:, None] + sp.rotate(k1[:, None], T[..., 0], p1[:, None])
    rhs = sp.rotate(k2[:, None], T[..., 1], p2[:, None] + sp.rotate(k3[:, None], T[..., 2], p3[:, None]))
    assert np.where(s.valid, np.linalg.norm(lhs - rhs, axis=-1), 0.0).max() < 1e-9
    source = (_angle_diff(T, np.stack([t1, t2, t3], -1)[:, None]) < 1e-7).all(-1) & s.valid
    assert source.any(-1).all()


def test_sp6_solutions_satisfy_both_equations():
    rng = _rng(9)
    h = rng.normal(size=(N, 4, 3))
    k = _unit(rng, (N, 4))
    p = rng.normal(size=(N, 4, 3))
    t1, t2 = rng.uniform(-np.pi, np.pi, (2, N))
    ang = np.stack([t1, t2, t1, t2], -1)
    terms = sp.dot(h, sp.rotate(k, ang, p))
    d = np.stack([terms[:, 0] + terms[:, 1], terms[:, 2] + terms[:, 3]], -1)
    s = sp.sp6(h, k, p, d)
    assert s.theta.shape == (N, 4, 2) and not s.least_squares.any()
    a = np.stack([s.theta[..., 0], s.theta[..., 1]] * 2, -1)  # (N, 4 slots, 4 terms)
    val = sp.dot(h[:, None], sp.rotate(k[:, None], a, p[:, None]))
    res = np.stack([val[..., 0] + val[..., 1], val[..., 2] + val[..., 3]], -1) - d[:, None]
    assert np.where(s.valid[..., None], np.abs(res), 0.0).max() < 1e-9
    source = (_angle_diff(s.theta[..., 0], t1[:, None]) < 1e-7) & (_angle_diff(s.theta[..., 1], t2[:, None]) < 1e-7)
    assert (source & s.valid).any(-1).all()


def test_sp6_without_solution_is_least_squares():
    rng = _rng(10)
    h, k, p = rng.normal(size=(20, 4, 3)), _unit(rng, (20, 4)), rng.normal(size=(20, 4, 3))
    bound = (np.linalg.norm(h, axis=-1) * np.linalg.norm(p, axis=-1)).sum(-1)
    s = sp.sp6(h, k, p, np.stack([10 * bound, np.zeros(20)], -1))
    assert s.least_squares.all() and (s.valid.sum(-1) == 1).all() and np.isfinite(s.theta).all()


@pytest.mark.parametrize("shape", [(), (3,), (2, 4)])
def test_batch_shapes_broadcast(shape):
    rng = _rng(11)
    k = _unit(rng, shape)
    p1 = rng.normal(size=shape + (3,))
    assert sp.sp1(p1, p1, k).theta.shape == shape + (1, 1)
    assert sp.sp4(p1, p1, [0.0, 0.0, 1.0], np.zeros(shape)).valid.shape == shape + (2,)
    assert sp.sp2(p1, p1, k, [0.0, 0.0, 1.0]).theta.shape == shape + (2, 2)
    s = sp.sp5(p1, p1, p1, p1, k, [0.0, 0.0, 1.0], [1.0, 0.0, 0.0])
    assert s.theta.shape == shape + (4, 3) and s.least_squares.shape == shape


def test_results_are_read_only():
    s = sp.sp1([1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0])
    with pytest.raises(ValueError, match="read-only"):
        s.theta[...] = 0.0


def _decoupled_sp6(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """SP6 instances whose 2×2 blocks are both singular but with different column spaces: θ2's term in the
    first equation is constant (p2 ∥ k2) and θ1's terms are proportional (h3 = 2 h1, k3 = k1, p3 = p1). This is
    the two_parallel search's SP6 on an offset wrist whose 4-5 and 5-6 meeting points lie on axis 5 (HC10)."""
    h = rng.normal(size=(n, 4, 3))
    k = _unit(rng, (n, 4))
    p = rng.normal(size=(n, 4, 3))
    p[:, 1] = 0.7 * k[:, 1]
    h[:, 2], k[:, 2], p[:, 2] = 2.0 * h[:, 0], k[:, 0], p[:, 0]
    return h, k, p


def _sp6_residual(h, k, p, d, theta):
    a = np.stack([theta[..., 0], theta[..., 1]] * 2, -1)
    val = sp.dot(h[:, None], sp.rotate(k[:, None], a, p[:, None]))
    return np.stack([val[..., 0] + val[..., 1], val[..., 2] + val[..., 3]], -1) - d[:, None]


def test_sp6_that_decouples_gives_its_four_solutions():
    rng = _rng(21)
    h, k, p = _decoupled_sp6(rng, N)
    t1, t2 = rng.uniform(-np.pi, np.pi, (2, N))
    ang = np.stack([t1, t2, t1, t2], -1)
    terms = sp.dot(h, sp.rotate(k, ang, p))
    d = np.stack([terms[:, 0] + terms[:, 1], terms[:, 2] + terms[:, 3]], -1)
    s = sp.sp6(h, k, p, d)
    assert not s.least_squares.any() and s.valid.all()  # a generic instance: two angles each, four pairs
    assert np.abs(_sp6_residual(h, k, p, d, s.theta)).max() < 1e-9
    source = (_angle_diff(s.theta[..., 0], t1[:, None]) < 1e-7) & (_angle_diff(s.theta[..., 1], t2[:, None]) < 1e-7)
    assert source.any(-1).all()


def test_sp6_that_decouples_without_solution_is_least_squares():
    rng = _rng(22)
    h, k, p = _decoupled_sp6(rng, 20)
    s = sp.sp6(h, k, p, np.stack([np.full(20, 1e3), np.zeros(20)], -1))
    assert s.least_squares.all() and (s.valid.sum(-1) == 1).all() and np.isfinite(s.theta).all()


def test_sp6_with_one_equation_twice_has_no_solution_slot():
    """Both blocks singular and the second equation twice the first: one equation in two angles (a continuum of
    solutions), so no slot is claimed."""
    rng = _rng(23)
    h, k, p = _decoupled_sp6(rng, 20)
    h[:, 3], k[:, 3], p[:, 3] = 2.0 * h[:, 1], k[:, 1], p[:, 1]  # the second equation twice the first
    t1, t2 = rng.uniform(-np.pi, np.pi, (2, 20))
    terms = sp.dot(h, sp.rotate(k, np.stack([t1, t2, t1, t2], -1), p))
    s = sp.sp6(h, k, p, np.stack([terms[:, 0] + terms[:, 1], terms[:, 2] + terms[:, 3]], -1))
    assert not s.valid.any() and not s.least_squares.any()
