"""Tests of robokin.autodiff: every rule against central differences and the other mode, closed forms,
hypothesis properties over random compositions, batching semantics and the error paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robokin import autodiff as ad
from robokin.errors import ShapeError

FD_EPS = 1e-6  # central-difference step: truncation O(ε²) ~ 1e-12, rounding O(1e-16/ε) ~ 1e-10
FD_TOL = 1e-6  # agreement of AD with central differences (absolute, values of order 1)
AD_TOL = 1e-12  # agreement of forward and reverse mode (both exact up to rounding)


def numeric_jacobian(f, x, eps=FD_EPS):
    """Central differences: J with shape f(x).shape + x.shape (an oracle independent of the AD code)."""
    x = np.asarray(x, dtype=float)
    y0 = np.asarray(f(x))
    J = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        dx = np.zeros_like(x)
        dx[idx] = eps
        J[(Ellipsis,) + idx] = (np.asarray(f(x + dx)) - np.asarray(f(x - dx))) / (2 * eps)
    return J


def check_jacobians(f, x, fd_tol=FD_TOL):
    """jacfwd, jacrev and central differences agree; returns the forward-mode Jacobian."""
    x = np.asarray(x, dtype=float)
    Jf = ad.jacfwd(f)(x)
    Jr = ad.jacrev(f)(x)
    Jn = numeric_jacobian(f, x)
    assert Jf.shape == Jr.shape == Jn.shape == np.shape(f(x)) + x.shape
    np.testing.assert_allclose(Jf, Jr, rtol=0, atol=AD_TOL * max(1.0, np.abs(Jf).max(initial=0)))
    np.testing.assert_allclose(Jf, Jn, rtol=0, atol=fd_tol * max(1.0, np.abs(Jn).max(initial=0)))
    return Jf


RNG = np.random.default_rng(20240611)
A34 = RNG.normal(size=(3, 4))
A4 = RNG.normal(size=(4, 4))
A23 = RNG.normal(size=(2, 3))
B234 = RNG.normal(size=(2, 3, 4))
V3 = RNG.normal(size=3)
SPD3 = A34 @ A34.T + 3 * np.eye(3)

# (name, function, input) — each exercises one rule, with constants on either side and broadcasting
CASES = [
    ("add", lambda x: x + A34, RNG.normal(size=(3, 4))),
    ("radd-broadcast", lambda x: A34 + x, RNG.normal(size=(4,))),
    ("sub", lambda x: x - A34[0], RNG.normal(size=(3, 4))),
    ("rsub", lambda x: 2.0 - x, RNG.normal(size=(3,))),
    ("mul-self", lambda x: x * x[::-1], RNG.normal(size=(5,))),
    ("mul-broadcast", lambda x: x[:, None] * x[None, :], RNG.normal(size=(3,))),
    ("rmul", lambda x: 3.0 * x, RNG.normal(size=(2,))),
    ("div", lambda x: x / (2.0 + x[::-1] ** 2), RNG.normal(size=(4,))),
    ("rdiv", lambda x: 1.5 / (2.0 + x), RNG.normal(size=(4,))),
    ("neg", lambda x: -x, RNG.normal(size=(2, 2))),
    ("pos", lambda x: +x * 1.0, RNG.normal(size=(2,))),
    ("pow-int", lambda x: x**3, RNG.normal(size=(4,))),
    ("pow-zero", lambda x: x**0 + x, RNG.normal(size=(3,))),
    ("pow-frac", lambda x: (1.0 + x * x) ** 0.7, RNG.normal(size=(4,))),
    ("pow-var-exp", lambda x: 2.0**x, RNG.normal(size=(3,))),
    ("pow-both", lambda x: (1.5 + x[0] ** 2) ** x, RNG.normal(size=(3,))),
    ("sin", np.sin, RNG.normal(size=(3, 2))),
    ("cos", np.cos, RNG.normal(size=(3, 2))),
    ("tan", np.tan, RNG.uniform(-1, 1, size=(4,))),
    ("arctan2", lambda x: np.arctan2(x[:3], x[3:]), RNG.normal(size=(6,))),
    ("arctan2-const", lambda x: np.arctan2(0.7, x) + np.arctan2(x, -0.3), RNG.normal(size=(3,))),
    ("exp", np.exp, RNG.normal(size=(4,))),
    ("log", lambda x: np.log(1.0 + x * x), RNG.normal(size=(4,))),
    ("sqrt", lambda x: np.sqrt(1.0 + x * x), RNG.normal(size=(4,))),
    ("abs", np.abs, RNG.normal(size=(5,))),
    ("abs-dunder", lambda x: abs(x), RNG.normal(size=(3,))),
    ("arcsin-arccos-arctan", lambda x: np.arcsin(x) + 2 * np.arccos(x) + np.arctan(x), RNG.uniform(-0.9, 0.9, (4,))),
    ("hyperbolic", lambda x: np.sinh(x) * np.cosh(x) + np.tanh(x), RNG.normal(size=(3,))),
    ("logs", lambda x: np.log1p(x * x) + np.log2(2 + x) + np.log10(3 + x) + np.expm1(x), RNG.uniform(-1, 1, (3,))),
    ("square-reciprocal", lambda x: np.square(x) + np.reciprocal(2.0 + x), RNG.uniform(-1, 1, (3,))),
    ("hypot", lambda x: np.hypot(x[:2], x[2:]), RNG.normal(size=(4,))),
    ("maximum", lambda x: np.maximum(x, x[::-1] * 0.5), RNG.normal(size=(5,))),
    ("minimum-const", lambda x: np.minimum(x, 0.1), RNG.normal(size=(5,))),
    ("clip", lambda x: np.clip(x, -0.5, 0.5), np.array([-1.2, -0.3, 0.2, 0.9])),
    ("clip-method", lambda x: x.clip(-0.5, None), np.array([-1.2, -0.3, 0.2])),
    ("matmul-dual-const", lambda x: x @ A4, RNG.normal(size=(3, 4))),
    ("matmul-const-dual", lambda x: A23 @ x, RNG.normal(size=(3, 4))),
    ("matmul-both", lambda x: x @ x.T, RNG.normal(size=(3, 2))),
    ("matmul-vec-left", lambda x: x @ A34, RNG.normal(size=(3,))),
    ("matmul-vec-right", lambda x: A34 @ x, RNG.normal(size=(4,))),
    ("matmul-vec-vec", lambda x: x @ x, RNG.normal(size=(3,))),
    ("matmul-batch-const", lambda x: x @ A4, RNG.normal(size=(2, 3, 4))),
    ("matmul-const-batch", lambda x: B234 @ x, RNG.normal(size=(4, 2))),
    ("matmul-batch-broadcast", lambda x: x[:, None] @ x[None, :].swapaxes(-1, -2), RNG.normal(size=(2, 2, 3))),
    ("rmatmul", lambda x: A34.T.__matmul__(x), RNG.normal(size=(3, 2))),
    ("einsum-matvec", lambda x: np.einsum("ij,j->i", A34, x), RNG.normal(size=(4,))),
    ("einsum-bilinear", lambda x: np.einsum("i,ij,j", x[:3], A34, x), RNG.normal(size=(4,))),
    ("einsum-ellipsis", lambda x: np.einsum("...ij,jk->...ik", x, A4), RNG.normal(size=(2, 3, 4))),
    ("einsum-implicit", lambda x: np.einsum("ij,jk", x, x.T), RNG.normal(size=(2, 3))),
    ("einsum-summed-alone", lambda x: np.einsum("ij,k->ik", x, V3), RNG.normal(size=(2, 3))),
    ("einsum-outer-broadcast", lambda x: np.einsum("...i,...j->...ij", x, x), RNG.normal(size=(2, 3))),
    ("sum-all", lambda x: np.sum(x * x), RNG.normal(size=(2, 3))),
    ("sum-axis", lambda x: np.sum(x, axis=1), RNG.normal(size=(2, 3, 2))),
    ("sum-axes-keepdims", lambda x: x.sum(axis=(0, -1), keepdims=True), RNG.normal(size=(2, 3, 2))),
    ("mean", lambda x: np.mean(x**2, axis=0), RNG.normal(size=(3, 2))),
    ("transpose", lambda x: np.transpose(x, (2, 0, 1)) * 1.0, RNG.normal(size=(2, 3, 2))),
    ("T", lambda x: x.T @ A23.T, RNG.normal(size=(3, 2))),
    ("swapaxes", lambda x: np.swapaxes(x, 0, -1), RNG.normal(size=(2, 3))),
    ("method-swapaxes-transpose", lambda x: x.swapaxes(0, 1).transpose(1, 0), RNG.normal(size=(2, 3))),
    ("moveaxis", lambda x: np.moveaxis(x, 0, -1), RNG.normal(size=(2, 3, 2))),
    ("reshape", lambda x: np.reshape(x, (3, -1)) @ A23.T[:2], RNG.normal(size=(2, 3))),
    ("reshape-method", lambda x: x.reshape(-1, 2).reshape((3, 2)), RNG.normal(size=(6,))),
    ("ravel", lambda x: np.ravel(x), RNG.normal(size=(2, 3))),
    ("index-basic", lambda x: x[1, ::2], RNG.normal(size=(3, 4))),
    ("index-ellipsis-none", lambda x: x[..., None, 1:3] * x[0, None, :2], RNG.normal(size=(2, 4))),
    ("index-int-array", lambda x: x[np.array([2, 0, 2])], RNG.normal(size=(3, 2))),
    ("index-int-arrays-split", lambda x: x[0, :, [1, 0, 1]], RNG.normal(size=(2, 3, 2))),
    ("index-bool-mask", lambda x: x[x > 0], RNG.normal(size=(6,))),
    ("index-negative-step", lambda x: x[::-1, -1], RNG.normal(size=(3, 2))),
    ("iter-len", lambda x: np.stack([row * (i + 1) for i, row in enumerate(x)]) * len(x), RNG.normal(size=(3, 2))),
    ("stack", lambda x: np.stack([x, x * x, np.ones(3)], axis=1), RNG.normal(size=(3,))),
    ("stack-neg-axis", lambda x: np.stack([np.sin(x), x], axis=-1), RNG.normal(size=(2, 2))),
    ("concatenate", lambda x: np.concatenate([x, np.zeros((1, 2)), x**2], axis=0), RNG.normal(size=(2, 2))),
    ("concatenate-last", lambda x: np.concatenate([x[:, :1], x[:, 1:] * 2], axis=-1), RNG.normal(size=(2, 3))),
    ("concatenate-none", lambda x: np.concatenate([x, x], axis=None), RNG.normal(size=(2, 2))),
    ("hstack-vstack", lambda x: np.vstack([np.hstack([x, x]), np.hstack([x, 2 * x])]), RNG.normal(size=(3,))),
    ("where", lambda x: np.where(x > 0, x**2, np.sin(x)), RNG.normal(size=(5,))),
    ("where-const", lambda x: np.where(x > 0, 1.0, x), RNG.normal(size=(5,))),
    ("cross", lambda x: np.cross(x[:3], x[3:]), RNG.normal(size=(6,))),
    ("cross-broadcast", lambda x: np.cross(V3, x), RNG.normal(size=(2, 3))),
    ("cross-axis", lambda x: np.cross(x, A34[:, :2], axis=0), RNG.normal(size=(3, 2))),
    ("broadcast_to", lambda x: np.broadcast_to(x, (2, 3)) * A23, RNG.normal(size=(3,))),
    ("expand_dims-squeeze", lambda x: np.squeeze(np.expand_dims(x, 1) * 2, axis=1), RNG.normal(size=(3,))),
    ("squeeze-method", lambda x: x[None].squeeze(), RNG.normal(size=(3,))),
    ("det", lambda x: np.linalg.det(x), RNG.normal(size=(3, 3))),
    ("det-batch", lambda x: np.linalg.det(x), RNG.normal(size=(2, 3, 3))),
    ("inv", lambda x: np.linalg.inv(x + 3 * np.eye(3)), RNG.normal(size=(3, 3))),
    ("solve-matrix-A", lambda x: np.linalg.solve(x + 3 * np.eye(3), A34), RNG.normal(size=(3, 3))),
    ("solve-matrix-B", lambda x: np.linalg.solve(SPD3, x), RNG.normal(size=(3, 2))),
    (
        "solve-vector-both",
        lambda x: np.linalg.solve(np.reshape(x[:9], (3, 3)) + 3 * np.eye(3), x[9:]),
        RNG.normal(size=(12,)),
    ),
    ("solve-batch", lambda x: np.linalg.solve(x + 3 * np.eye(2), x), RNG.normal(size=(2, 2, 2))),
    ("norm", lambda x: np.linalg.norm(x), RNG.normal(size=(2, 3))),
    ("norm-axis", lambda x: np.linalg.norm(x, axis=-1), RNG.normal(size=(2, 3))),
    ("norm-axis-keepdims", lambda x: x / np.linalg.norm(x, axis=0, keepdims=True), RNG.normal(size=(3, 2))),
    ("norm-fro", lambda x: np.linalg.norm(x, "fro", axis=(0, 1)), RNG.normal(size=(2, 3))),
    ("trace", lambda x: np.trace(x @ x), RNG.normal(size=(3, 3))),
    ("trace-axes", lambda x: np.trace(x, axis1=1, axis2=2), RNG.normal(size=(2, 3, 3))),
    ("diagonal", lambda x: np.diagonal(x, 1), RNG.normal(size=(3, 4))),
    ("diagonal-neg-offset", lambda x: x.diagonal(-1, 0, 2), RNG.normal(size=(4, 2, 3))),
    ("dot", lambda x: np.dot(x, A34) + x.dot(A34), RNG.normal(size=(3,))),
    ("outer", lambda x: np.outer(x, V3), RNG.normal(size=(2,))),
]


@pytest.mark.parametrize("name,f,x", CASES, ids=[c[0] for c in CASES])
def test_op_forward_reverse_and_differences_agree(name, f, x):
    check_jacobians(f, x)


# ---------------------------------------------------------------------------------------------------------
# closed forms
# ---------------------------------------------------------------------------------------------------------


def test_det_2x2_closed_form():
    a, b, c, d = 1.3, -0.4, 0.7, 2.1
    A = np.array([[a, b], [c, d]])
    # det = ad - bc  ⇒  ∂det/∂A = [[d, -c], [-b, a]]
    expected = np.array([[d, -c], [-b, a]])
    np.testing.assert_allclose(ad.grad(np.linalg.det)(A), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ad.jacfwd(np.linalg.det)(A), expected, rtol=0, atol=1e-15)


def test_det_gradient_exact_at_a_singular_matrix():
    A = np.array([[1.0, 2.0], [2.0, 4.0]])  # det = 0; gradient = adj(A)ᵀ = [[4, -2], [-2, 1]]
    expected = np.array([[4.0, -2.0], [-2.0, 1.0]])
    np.testing.assert_allclose(ad.grad(np.linalg.det)(A), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(np.linalg.det)(A), expected, rtol=0, atol=1e-12)


def test_inv_2x2_closed_form():
    a, b, c, d = 1.3, -0.4, 0.7, 2.1
    D = a * d - b * c
    dD = np.array([d, -c, -b, a])  # ∂D/∂(a, b, c, d)
    numer = np.array([[d, -b], [-c, a]])
    dnumer = np.array(
        [[[0, 0, 0, 1], [0, -1, 0, 0]], [[0, 0, -1, 0], [1, 0, 0, 0]]], dtype=float
    )  # ∂ numer_ij / ∂(a, b, c, d)
    # inv = numer / D  ⇒  ∂inv = ∂numer / D - numer ∂D / D²
    expected = (dnumer / D - numer[..., None] * dD / D**2).reshape(2, 2, 2, 2)
    A = np.array([[a, b], [c, d]])
    np.testing.assert_allclose(ad.jacfwd(np.linalg.inv)(A), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ad.jacrev(np.linalg.inv)(A), expected, rtol=0, atol=1e-14)


def test_solve_2x2_closed_form_cramer():
    a, b, c, d = 1.3, -0.4, 0.7, 2.1
    r = np.array([0.5, -1.1])
    D = a * d - b * c
    x0, x1 = (d * r[0] - b * r[1]) / D, (a * r[1] - c * r[0]) / D  # Cramer's rule
    # ∂x/∂r = A⁻¹ = [[d, -b], [-c, a]] / D ; ∂x/∂A_ij = -A⁻¹[:, i] x_j
    inv = np.array([[d, -b], [-c, a]]) / D
    xs = np.array([x0, x1])
    dx_dA = -inv[:, :, None] * xs[None, None, :]
    np.testing.assert_allclose(
        ad.jacfwd(lambda rr: np.linalg.solve(np.array([[a, b], [c, d]]), rr))(r), inv, atol=1e-14
    )
    A = np.array([[a, b], [c, d]])
    np.testing.assert_allclose(ad.jacrev(lambda AA: np.linalg.solve(AA, r))(A), dx_dA, atol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(lambda AA: np.linalg.solve(AA, r))(A), dx_dA, atol=1e-14)


def test_hessian_closed_form_and_both_nestings():
    # f = x0² x1 + sin(x2) x0  ⇒  H = [[2 x1, 2 x0, cos x2], [2 x0, 0, 0], [cos x2, 0, -sin(x2) x0]]
    def f(x):
        return x[0] ** 2 * x[1] + np.sin(x[2]) * x[0]

    x = np.array([0.3, -1.2, 0.8])
    expected = np.array(
        [
            [2 * x[1], 2 * x[0], np.cos(x[2])],
            [2 * x[0], 0.0, 0.0],
            [np.cos(x[2]), 0.0, -np.sin(x[2]) * x[0]],
        ]
    )
    np.testing.assert_allclose(ad.hessian(f)(x), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ad.jacrev(ad.jacfwd(f))(x), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(ad.jacfwd(f))(x), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ad.jacrev(ad.jacrev(f))(x), expected, rtol=0, atol=1e-14)


def test_hessian_of_log_det_matches_closed_form():
    # ∂²/∂X∂X log det X = -X⁻ᵀ ⊗ X⁻¹ in the index form H[i,j,k,l] = -X⁻¹[l,i] X⁻¹[j,k]
    X = SPD3
    Xi = np.linalg.inv(X)
    expected = -np.einsum("li,jk->ijkl", Xi, Xi)
    H = ad.hessian(lambda A: np.log(np.linalg.det(A)))(X)
    np.testing.assert_allclose(H, expected, rtol=0, atol=1e-12)


def test_perturbations_of_nested_transforms_stay_apart():
    # d/dx [x · d/dy (x + y)] = d/dx [x] = 1 (a shared perturbation would give 2)
    def outer(x):
        return x * ad.jacfwd(lambda y: x + y)(np.array(1.0))

    assert ad.jacfwd(outer)(np.array(2.0)) == pytest.approx(1.0, abs=0)
    assert ad.jacrev(outer)(np.array(2.0)) == pytest.approx(1.0, abs=0)


# ---------------------------------------------------------------------------------------------------------
# conventions at nonsmooth points
# ---------------------------------------------------------------------------------------------------------


def test_abs_norm_clip_maximum_conventions():
    zero = np.zeros(3)
    np.testing.assert_array_equal(ad.jacfwd(np.abs)(zero), np.zeros((3, 3)))  # sign(0) = 0
    np.testing.assert_array_equal(ad.grad(np.linalg.norm)(zero), zero)  # norm at 0: 0
    np.testing.assert_array_equal(ad.jacfwd(np.linalg.norm)(zero), zero)
    x = np.array([-0.5, 0.5])
    np.testing.assert_array_equal(ad.jacrev(lambda v: np.clip(v, -0.5, 0.5))(x), np.eye(2))  # bounds: 1
    tie = np.array([1.0, 1.0])
    # maximum(a, b) at a tie follows a
    np.testing.assert_array_equal(ad.jacfwd(lambda v: np.maximum(v[0], v[1]))(tie), [1.0, 0.0])
    np.testing.assert_array_equal(ad.jacrev(lambda v: np.minimum(v[1], v[0]))(tie), [0.0, 1.0])
    with np.errstate(divide="ignore"):
        assert np.isinf(ad.grad(np.sqrt)(np.array(0.0)))  # sqrt'(0) = +inf (IEEE 0.5 / 0)


# ---------------------------------------------------------------------------------------------------------
# the synthetic chain in the style of robokin's fk kernel, and batching
# ---------------------------------------------------------------------------------------------------------


def _chain_constants(n, rng):
    Cs = []
    for _ in range(n):
        a, d, alpha = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-np.pi, np.pi)
        ca, sa = np.cos(alpha), np.sin(alpha)
        # right-multiplied on the (3, 4) top rows: T ← T · C (C the transposed DH-like link transform)
        Cs.append(np.array([[1, 0, 0, 0], [0, ca, sa, 0], [0, -sa, ca, 0], [a, 0, d, 1.0]]).T)
    return Cs


CHAIN_C = _chain_constants(7, np.random.default_rng(7))


def chain(q):
    """(N, 7) → (N, 3, 4): the top rows of a 7-joint chain's tool pose, written like the fk kernel."""
    N = q.shape[0]
    T = np.broadcast_to(np.eye(4)[:3], (N, 3, 4))
    for i, C in enumerate(CHAIN_C):
        c = np.cos(q[:, i])[:, None, None]
        s = np.sin(q[:, i])[:, None, None]
        x = T[:, :, 0:1]
        y = T[:, :, 1:2]
        T = np.concatenate([c * x + s * y, c * y - s * x, T[:, :, 2:]], axis=-1)
        T = (T.reshape(-1, 4) @ C).reshape(N, 3, 4)
    return T


def test_chain_batched_jacobians_match_differences_per_configuration():
    q = np.random.default_rng(1).uniform(-np.pi, np.pi, (4, 7))
    Jf = ad.jacfwd(chain, batch_ndim=1)(q)
    Jr = ad.jacrev(chain, batch_ndim=1)(q)
    assert Jf.shape == Jr.shape == (4, 3, 4, 7)
    for b in range(4):
        Jn = numeric_jacobian(lambda qq: chain(qq[None])[0], q[b])
        np.testing.assert_allclose(Jf[b], Jn, rtol=0, atol=FD_TOL)
    np.testing.assert_allclose(Jf, Jr, rtol=0, atol=AD_TOL)


def test_chain_hessian_is_symmetric_and_matches_differences_of_the_jacobian():
    q = np.random.default_rng(2).uniform(-np.pi, np.pi, (3, 7))

    def px(qq):
        return chain(qq)[:, 0, 3]  # x of the tool position, one scalar per configuration

    H = ad.hessian(px, batch_ndim=1)(q)
    assert H.shape == (3, 7, 7)
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), rtol=0, atol=1e-13)
    for b in range(3):
        Hn = numeric_jacobian(lambda qq: ad.grad(lambda z: px(z[None])[0])(qq), q[b])
        np.testing.assert_allclose(H[b], Hn, rtol=0, atol=FD_TOL)


@pytest.mark.parametrize("batch_ndim", [0, 1, 2])
def test_batch_ndim_picks_the_diagonal_blocks_of_the_full_jacobian(batch_ndim):
    x = np.random.default_rng(3).normal(size=(2, 3, 2))

    def f(z):  # maps each (batch) element independently, event (2,) → (3,)
        return np.stack([np.sin(z[..., 0]) * z[..., 1], z[..., 0] ** 2, np.exp(z[..., 1])], axis=-1)

    full = ad.jacfwd(f)(x)  # (2, 3, 3, 2, 3, 2)
    for jac in (ad.jacfwd, ad.jacrev):
        J = jac(f, batch_ndim=batch_ndim)(x)
        if batch_ndim == 0:
            np.testing.assert_allclose(J, full, atol=AD_TOL)
        elif batch_ndim == 1:  # batch (2,), event (3, 2) → (3, 3)
            assert J.shape == (2, 3, 3, 3, 2)
            for b in range(2):
                np.testing.assert_allclose(J[b], full[b, :, :, b], atol=AD_TOL)
        else:  # batch (2, 3), event (2,) → (3,)
            assert J.shape == (2, 3, 3, 2)
            for b in np.ndindex(2, 3):
                np.testing.assert_allclose(J[b], full[b + (slice(None),) + b], atol=AD_TOL)


def test_batched_fk_style_4x4_output_jacobian_shape():
    q = np.random.default_rng(4).uniform(-1, 1, (5, 7))

    def fk44(qq):  # (N, 7) → (N, 4, 4)
        top = chain(qq)
        last = np.broadcast_to(np.array([0.0, 0.0, 0.0, 1.0]), (qq.shape[0], 1, 4))
        return np.concatenate([top, last], axis=-2)

    J = ad.jacfwd(fk44, batch_ndim=1)(q)
    assert J.shape == (5, 4, 4, 7)
    np.testing.assert_array_equal(J[:, 3], 0.0)
    np.testing.assert_allclose(J[:, :3], ad.jacrev(chain, batch_ndim=1)(q), atol=AD_TOL)


def test_batch_ndim_errors():
    x = np.zeros((2, 3))
    with pytest.raises(ShapeError, match=r"batch_ndim must be an int in \[0, x.ndim\] = \[0, 2\], got 3"):
        ad.jacfwd(np.sin, batch_ndim=3)(x)
    with pytest.raises(ShapeError, match="batch_ndim must be an int"):
        ad.jacrev(np.sin, batch_ndim=-1)(x)
    with pytest.raises(ShapeError, match=r"must start with the batch axes \(2,\) of x, got shape \(\)"):
        ad.jacfwd(np.sum, batch_ndim=1)(x)
    with pytest.raises(ShapeError, match=r"must start with the batch axes \(2,\)"):
        ad.jacrev(np.sum, batch_ndim=1)(x)
    with pytest.raises(ShapeError, match="grad needs f to return a scalar"):
        ad.grad(np.sin)(x)


# ---------------------------------------------------------------------------------------------------------
# jvp, vjp, grad
# ---------------------------------------------------------------------------------------------------------


def test_jvp_vjp_single_and_many_directions():
    x = np.random.default_rng(5).normal(size=(2, 3))

    def f(z):
        return np.sin(z) @ np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]]) * z[:, :1]

    J = numeric_jacobian(f, x)  # (2, 2, 2, 3)
    v = np.random.default_rng(6).normal(size=(4, 2, 3))
    y, Jv = ad.jvp(f, x, v[0])
    np.testing.assert_allclose(y, f(x), atol=0)
    np.testing.assert_allclose(Jv, np.einsum("abij,ij->ab", J, v[0]), atol=FD_TOL)
    _, Jvs = ad.jvp(f, x, v)
    np.testing.assert_allclose(Jvs, np.einsum("abij,kij->kab", J, v), atol=FD_TOL)

    y2, pullback = ad.vjp(f, x)
    np.testing.assert_allclose(y2, f(x), atol=0)
    u = np.random.default_rng(7).normal(size=(3, 2, 2))
    np.testing.assert_allclose(pullback(u[0]), np.einsum("ab,abij->ij", u[0], J), atol=FD_TOL)
    np.testing.assert_allclose(pullback(u), np.einsum("kab,abij->kij", u, J), atol=FD_TOL)
    np.testing.assert_allclose(pullback(u[1]), pullback(u)[1], atol=AD_TOL)  # the tape is reusable


def test_vjp_pulls_back_all_twelve_cotangents_of_a_batched_pose_at_once():
    q = np.random.default_rng(8).uniform(-1, 1, (6, 7))
    T, pullback = ad.vjp(chain, q)
    eye = np.eye(12).reshape(12, 1, 3, 4)
    U = np.broadcast_to(eye, (12,) + T.shape)  # U[r, n] selects output entry r of configuration n
    G = pullback(U)  # (12, 6, 7): G[r, n, j] = ∂T[n].flat[r] / ∂q[n, j]
    J = ad.jacfwd(chain, batch_ndim=1)(q)  # (6, 3, 4, 7)
    np.testing.assert_allclose(np.moveaxis(G, 0, 1).reshape(6, 3, 4, 7), J, atol=AD_TOL)


def test_jvp_vjp_errors():
    with pytest.raises(ShapeError, match=r"v must have the shape of x \(3,\) or \(k, \*x.shape\), got \(2,\)"):
        ad.jvp(np.sin, np.zeros(3), np.zeros(2))
    _, pullback = ad.vjp(np.sin, np.zeros(3))
    with pytest.raises(ShapeError, match=r"u must have the shape of f\(x\) \(3,\)"):
        pullback(np.zeros((2, 2)))
    with pytest.raises(ShapeError, match="x must be an array of numbers"):
        ad.jacfwd(np.sin)(["a", "b"])


def test_constant_functions_have_zero_derivatives():
    x = np.ones(3)
    np.testing.assert_array_equal(ad.jacfwd(lambda z: np.ones(2))(x), np.zeros((2, 3)))
    np.testing.assert_array_equal(ad.jacrev(lambda z: np.ones(2))(x), np.zeros((2, 3)))
    _, pb = ad.vjp(lambda z: np.ones(2), x)
    np.testing.assert_array_equal(pb(np.ones(2)), np.zeros(3))


# ---------------------------------------------------------------------------------------------------------
# array protocol: attributes, dunders, comparisons; and what must fail loudly
# ---------------------------------------------------------------------------------------------------------


def _both_kinds(x):
    """A Dual and a Var holding the value x."""
    return [ad.Dual(x, np.ones((1,) + x.shape)), ad.Tape().variable(x)]


@pytest.mark.parametrize("kind", [0, 1], ids=["Dual", "Var"])
def test_array_attributes_and_comparisons(kind):
    x = np.arange(6.0).reshape(2, 3)
    z = _both_kinds(x)[kind]
    assert z.shape == (2, 3) and z.ndim == 2 and z.size == 6 and len(z) == 2 and z.dtype == np.float64
    assert z.T.shape == (3, 2) and z.reshape(3, 2).shape == (3, 2) and z.sum(axis=0).shape == (3,)
    assert z.swapaxes(0, 1).shape == (3, 2) and z.transpose().shape == (3, 2)
    lt = z < 2.5
    assert type(lt) is np.ndarray and lt.dtype == bool
    np.testing.assert_array_equal(lt, x < 2.5)
    np.testing.assert_array_equal(z >= z, np.ones((2, 3), bool))
    np.testing.assert_array_equal(z == 1.0, x == 1.0)
    np.testing.assert_array_equal(np.isfinite(z), np.ones((2, 3), bool))
    assert np.shape(z) == (2, 3) and np.zeros_like(z).shape == (2, 3)
    np.testing.assert_array_equal(ad.primal((2.0 - z) / 2.0**z), (2.0 - x) / 2.0**x)


UNSUPPORTED = [
    (lambda z: np.fft.fft(z), "numpy.fft.fft is not supported for {} values"),
    (lambda z: np.linalg.svd(z), "numpy.linalg.svd is not supported for {} values"),
    (lambda z: np.sort(z), "numpy.sort is not supported for {} values"),
    (lambda z: np.floor(z), "numpy.floor is not supported for {} values"),
    (lambda z: np.add.reduce(z), r"numpy.add.reduce is not supported for {} values"),
    (lambda z: np.sin(z, out=np.empty((2, 2))), r"numpy.sin with out= writes into an array in place"),
    (lambda z: np.sum(z, out=np.empty(())), r"numpy.sum with out= writes in place"),
    (lambda z: np.linalg.norm(z, ord=1), r"numpy.linalg.norm with ord=1 over 2 axes is not supported"),
    (lambda z: z[z], r"indexing with an AD value as the index is not supported"),
    (lambda z: np.asarray(z), r"converting a {} to a plain NumPy array"),
    (lambda z: float(z[0, 0]), r"float\(\) of a {} would drop its derivative"),
    (lambda z: bool(z[0, 0]), r"the truth value of a {} is ambiguous"),
]


@pytest.mark.parametrize("kind", [0, 1], ids=["Dual", "Var"])
@pytest.mark.parametrize("op,message", UNSUPPORTED, ids=[m.split(" ")[0] for _, m in UNSUPPORTED])
def test_unsupported_operations_raise_type_error_naming_them(kind, op, message):
    z = _both_kinds(np.eye(2))[kind]
    name = type(z).__name__
    with pytest.raises(TypeError, match=message.format(name)):
        op(z)


@pytest.mark.parametrize("kind", [0, 1], ids=["Dual", "Var"])
def test_in_place_assignment_raises(kind):
    z = _both_kinds(np.zeros(3))[kind]
    with pytest.raises(TypeError, match=r"in-place assignment \(x\[...\] = ...\) into a (Dual|Var) value"):
        z[0] = 1.0
    plain = np.zeros(3)
    with pytest.raises(TypeError, match="would drop its derivative"):
        plain[1:] = z[1:]  # NumPy would otherwise store the value and lose the derivative
    with pytest.raises(ValueError, match="setting an array element with a sequence"):
        plain[0] = z[0]  # NumPy turns our TypeError from float() into this ValueError; still no silent store


def test_unsupported_inside_transforms_names_the_op():
    with pytest.raises(TypeError, match="robokin.autodiff: numpy.fft.fft is not supported for Dual values"):
        ad.jacfwd(lambda x: np.fft.fft(x).real)(np.ones(4))
    with pytest.raises(TypeError, match="robokin.autodiff: numpy.fft.fft is not supported for Var values"):
        ad.jacrev(lambda x: np.fft.fft(x).real)(np.ones(4))


def test_dual_constructor_checks_the_tangent_shape():
    with pytest.raises(ShapeError, match=r"Dual tangent must have shape \(k, \*value.shape\) = \(k, 3\), got \(2, 2\)"):
        ad.Dual(np.zeros(3), np.zeros((2, 2)))


# ---------------------------------------------------------------------------------------------------------
# properties over random compositions
# ---------------------------------------------------------------------------------------------------------

# each step maps an array to an array; all are smooth on the values they see (no domain trouble)
STEPS = {
    "sin": lambda z, c: np.sin(z),
    "cos*z": lambda z, c: np.cos(z) * z,
    "tanh": lambda z, c: np.tanh(z),
    "exp-scaled": lambda z, c: np.exp(0.3 * z),
    "log1+sq": lambda z, c: np.log(1.0 + z * z),
    "sqrt1+sq": lambda z, c: np.sqrt(1.0 + z * z),
    "square-sub": lambda z, c: z * z - c.reshape(-1)[0],
    "div": lambda z, c: z / (1.5 + np.sin(z)),
    "pow": lambda z, c: (1.0 + z * z) ** 1.5,
    "arctan2": lambda z, c: np.arctan2(z, 2.0 + z * z),
    "add-const": lambda z, c: z + np.resize(c, z.shape[-1:]) if z.ndim else z + c.reshape(-1)[0],
    "matmul-right": lambda z, c: z @ np.resize(c, (z.shape[-1], 2)) if z.ndim else z * 2.0,
    "matmul-left": lambda z, c: np.resize(c, (2, z.shape[-2])) @ z if z.ndim >= 2 else z * 3.0,
    "sum-last": lambda z, c: np.sum(z, axis=-1) if z.ndim else z,
    "transpose": lambda z, c: z.T,
    "flatten": lambda z, c: z.reshape(-1),
    "slice": lambda z, c: z[..., ::2] if z.ndim else z,
    "gather": lambda z, c: z[..., np.array([0, 0])] if z.ndim else z,
    "concat-self": lambda z, c: np.concatenate([z, z * z], axis=-1) if z.ndim else z,
    "stack-self": lambda z, c: np.stack([z, np.sin(z)], axis=0),
    "where": lambda z, c: np.where(z > 0.1, z * z, np.sin(z)),
    "einsum-outer": lambda z, c: np.einsum("...i,...j->...ij", z, z)[..., 0] if z.ndim else z,
    "norm-last": lambda z, c: np.sqrt(1e-3 + np.linalg.norm(z, axis=-1) ** 2) if z.ndim else z,
    "mul-broadcast": lambda z, c: z * np.resize(c, z.shape[-1:]) if z.ndim else z,
}


@st.composite
def programs(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)))
    names = draw(st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2**16))
    return shape, names, seed


def _program(names, c):
    def f(z):
        for name in names:
            z = STEPS[name](z, c)
        return z

    return f


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_compositions_forward_reverse_differences_agree(prog):
    shape, names, seed = prog
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, shape)
    c = rng.uniform(-1.0, 1.0, 8)
    f = _program(names, c)
    check_jacobians(f, x, fd_tol=1e-5)


@settings(max_examples=25, deadline=None)
@given(programs())
def test_random_compositions_hessian_symmetric_and_jvp_vjp_consistent(prog):
    shape, names, seed = prog
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, shape)
    c = rng.uniform(-1.0, 1.0, 8)
    f = _program(names, c)

    def scalar(z):
        return np.sum(np.sin(f(z)))

    H = ad.hessian(scalar)(x)
    n = x.size
    Hm = H.reshape(n, n)
    np.testing.assert_allclose(Hm, Hm.T, rtol=0, atol=1e-10 * max(1.0, np.abs(Hm).max()))
    np.testing.assert_allclose(
        Hm, numeric_jacobian(ad.grad(scalar), x).reshape(n, n), rtol=0, atol=1e-5 * max(1.0, np.abs(Hm).max())
    )

    y, Jv = ad.jvp(f, x, v := rng.normal(size=shape))
    _, pullback = ad.vjp(f, x)
    u = rng.normal(size=np.shape(y))
    # uᵀ (J v) = (uᵀ J) v
    lhs, rhs = np.sum(u * Jv), np.sum(pullback(u) * v)
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)
