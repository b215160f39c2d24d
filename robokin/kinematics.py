"""Forward kinematics, Jacobians by four methods and the kinematic Hessian, batched over leading axes.

Conventions (see the README's notation table):

- ``q`` is ``(..., n)`` [rad for revolute, m for prismatic joints]; outputs keep the batch shape ``...``.
- ``fk`` gives ``T_world_tool`` ``(..., 4, 4)``, base transform and tool included.
- Jacobian rows are ``[v; ω]``: the linear velocity of the tool origin, then the angular velocity, so that
  ``[v; ω] = J q̇``. Executable definition: ``J[..., :3, i] = ∂p/∂q_i`` and
  ``J[..., 3:, i] = vee(∂R/∂q_i Rᵀ)``. ``frame="tool"`` expresses the same twist in the tool frame:
  ``J_tool = blockdiag(Rᵀ, Rᵀ) J_world``. "analytic" means the closed form from the joint axes (the
  geometric Jacobian), not the Euler-angle-rate "analytical Jacobian" of some textbooks.
- The Hessian is ``H[..., i, :, j] = ∂J[..., :, j] / ∂q_i``, shape ``(..., n, 6, n)``.

The kernels (:func:`poses`, :func:`pose_and_jacobian`, :func:`jacobian_analytic` and the private ones) take ``q`` as ``(N, n)`` and are written in plain NumPy operations
only (``@``, ``sin``, ``cos``, ``+``, ``*``, indexing, ``stack``, ``concatenate``, ``transpose``), so the
very same code runs on floats and on :mod:`robokin.autodiff` values: that is how the ``"forward"`` and
``"reverse"`` Jacobians and the AD Hessians are computed.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import validation
from .errors import ShapeError
from .spatial import vee

if TYPE_CHECKING:  # pragma: no cover
    from .model import Chain, LinkPath, Robot, Tree

__all__ = [
    "poses",
    "pose_and_jacobian",
    "jacobian_analytic",
    "fk",
    "fk_frames",
    "fk_all",
    "jacobian",
    "hessian",
    "jacobian_dot",
    "manipulability_gradient",
    "tool_twist",
    "joint_torques",
    "JACOBIAN_METHODS",
    "HESSIAN_METHODS",
    "FRAMES",
]

Frame = Literal["world", "local", "tool"]
JacobianMethod = Literal["analytic", "forward", "reverse", "numeric"]
HessianMethod = Literal["analytic", "forward", "reverse"]
FRAMES: tuple[str, ...] = ("world", "tool", "local")  # "tool" is the serial-chain name of "local"
JACOBIAN_METHODS: tuple[str, ...] = ("analytic", "forward", "reverse", "numeric")
HESSIAN_METHODS: tuple[str, ...] = ("analytic", "forward", "reverse")

# Below this many configurations the product-of-joint-matrices kernel has less per-call overhead; above it
# the column kernel (one small BLAS product per joint over the whole batch) is faster. Both give the same
# numbers to rounding; tests hold them to each other. Measured crossover on the Panda: about 128
# configurations for the pose alone, about 80 for pose and axes (the Jacobian).
SMALL_BATCH = 64

# Configurations per block in the public functions: every temporary of a block stays in cache and below the
# allocator's mmap threshold, so it is reused instead of page-faulted in afresh. Measured on the Panda,
# N = 10⁵: FK 1.36 → 0.36 µs and the Jacobian 1.37 → 0.63 µs per configuration (1024: 0.44 / 0.72,
# 4096: 0.41 / 0.68, 16384: 0.44 / 0.75).
BLOCK = 2048

# fk_all evaluates blocks of TREE_BLOCK configurations: a frame's block (256 kB) and its parent's stay in
# cache, and each (4 TREE_BLOCK, 4) @ (4, 4) product stays below OpenBLAS's threading threshold (m n k <
# 262144; threads on a busy 2-core machine cost 10-30x). Measured on Talos (60 frames, shared machine):
# 2048 about 1.1x faster than 1024 and 512.
TREE_BLOCK = 2048
# From TREE_ENTRY_MIN configurations on, fk_all runs the entry-major kernel (each pose entry of a frame a
# contiguous run over the batch, fewer bytes written, no product for translated origins) on equal blocks of at
# most TREE_ENTRY_BLOCK configurations (each (4, 4) @ (4, B) product below OpenBLAS's threading threshold).
# It costs a few more NumPy calls per frame, so small batches keep the frame-major kernel. Measured on a
# shared machine, CPU time per configuration, entry-major ÷ frame-major: N = 10⁴ Baxter URDF 0.73-0.81,
# Talos 0.76-0.80, UR5 0.74; N = 4096: 0.6-1.06; N = 2000: 0.66 (UR5) to 1.25 (Baxter). Blocks of 4096-16384
# within noise of each other, 2048 1.1x and 1024 1.3x slower.
TREE_ENTRY_MIN = 4096
TREE_ENTRY_BLOCK = 8192

# The entry-major kernel's sines and cosines come from a polynomial (:func:`_cos_sin`) in chunks of
# COS_SIN_CHUNK angles (its temporaries stay in cache). Measured on a shared 2-core EPYC: 22 ns per (cos, sin)
# pair beside libm's 30 ns (chunks of 4096: 28 ns, of 65536: 23-64 ns).
COS_SIN_CHUNK = 16384

# Pose results of at least this many entries skip the overflow check's pass when a bound on q says they are
# finite (:func:`_poses_surely_finite`, O(N) but ~10 µs of calls); smaller ones are checked directly (a few µs).
POSE_BOUND_MIN = 1 << 16

# Central-difference step [rad or m] for method="numeric": about cbrt(machine eps), which balances the
# O(h²) truncation error against the O(eps/h) rounding error.
NUMERIC_STEP = 6e-6
# The largest |q| [rad or m] method="numeric" takes: q ± NUMERIC_STEP keeps about 1e-5 relative accuracy of the
# difference up to here (rounding of q is |q|·eps ≈ 2e-10 of a step of 6e-6); beyond, q ± step rounds to q
# and the columns would silently come out zero.
NUMERIC_Q_LIMIT = 1e6

_BOTTOM_ROW = np.array([[0.0, 0.0, 0.0, 1.0]])
_EYE4 = np.eye(4)
_NEXT, _PREV = np.array([1, 2, 0]), np.array([2, 0, 1])  # (i + 1) % 3 and (i + 2) % 3


# --------------------------------------------------------------------------------------------- kernels
def _poses_by_columns(chain: Chain, q: Any, with_axes: bool = False) -> Any:
    """Column kernel: the tool pose, and optionally every joint's motion axis and origin; for large batches.

    The pose is carried column-first, ``T[j, r, k] = T_k[r, j]`` with shape ``(4, 3, N)``, so that a joint's
    rotation mixes two contiguous ``(3, N)`` blocks and the constant ``C[i + 1]`` is one ``(4, 4) @ (4, 3N)``
    product for the whole batch.

    Args:
        chain: The compiled chain.
        q: ``(N, n)`` joint values.
        with_axes: Also return the world z axes and origins of the motion frames.

    Returns:
        The top rows ``[R p]`` of ``T_world_tool``, ``(N, 3, 4)``, and if ``with_axes``: ``Z`` ``(n, 3, N)`` and
        ``P`` ``(n, 3, N)``.
    """
    N = q.shape[0]
    q_t = np.transpose(q)  # (n, N)
    cos_q, sin_q = np.cos(q_t), np.sin(q_t)
    T = np.broadcast_to(chain.C[0][:3].T[:, :, None], (4, 3, N))
    axes, origins = [], []
    for i, is_revolute in enumerate(chain.revolute):
        x, y, z, p = T[0], T[1], T[2], T[3]  # (3, N) each
        if with_axes:
            axes.append(z)
            origins.append(p)
        if is_revolute:  # T @ Rz(q): x' = c x + s y, y' = c y − s x
            c, s = cos_q[i], sin_q[i]
            T = np.stack([c * x + s * y, c * y - s * x, z, p])
        else:  # T @ Tz(q): p' = p + q z
            T = np.stack([x, y, z, p + q_t[i] * z])
        T = (chain.C[i + 1].T @ T.reshape(4, -1)).reshape(4, 3, N)
    T = np.transpose(T, (2, 1, 0))  # (N, 3, 4)
    if not with_axes:
        return T
    return T, np.stack(axes), np.stack(origins)


def _joint_matrices(chain: Chain, q: Any) -> Any:
    """``M_i = C[0]^[i=0] Mz_i(q_i) C[i + 1]`` for every joint, ``(N, n, 4, 4)``, so ``T = Π_i M_i``."""
    u = np.cos(q)[..., None, None]  # (N, n, 1, 1)
    v = np.where(chain.revolute, np.sin(q), q)[..., None, None]
    return u * chain.K_cos + v * chain.K_sin + chain.K_one


def _product(M: Any) -> Any:
    """``M[:, 0] @ M[:, 1] @ ... @ M[:, -1]`` ``(N, 4, 4)`` of ``M`` ``(N, n, 4, 4)`` as a balanced tree of
    batched matmuls (⌈log2 n⌉ calls instead of n)."""
    while M.shape[1] > 1:
        even = M.shape[1] - M.shape[1] % 2
        pairs = M[:, 0:even:2] @ M[:, 1:even:2]
        M = pairs if even == M.shape[1] else np.concatenate([pairs, M[:, even:]], axis=1)
    return M[:, 0]


def _poses_by_products(chain: Chain, q: Any, with_axes: bool = False) -> Any:
    """Product kernel: ``T = Π_i M_i`` over the joint matrices (:func:`_joint_matrices`); for small batches.

    Without axes the product is taken as a balanced tree, with axes as a prefix scan (⌈log2 n⌉ batched
    matmuls either way instead of n).

    Args:
        chain: The compiled chain.
        q: ``(N, n)`` joint values.
        with_axes: Also return the world z axes and origins of the motion frames.

    Returns:
        The top rows ``[R p]`` of ``T_world_tool``, ``(N, 3, 4)``, and if ``with_axes``: ``Z`` ``(n, 3, N)`` and
        ``P`` ``(n, 3, N)``.
    """
    M = _joint_matrices(chain, q)
    if not with_axes:
        return _product(M)[:, :3]
    # Inclusive prefix products P[:, i] = M_0 ... M_i by a Hillis–Steele scan: ⌈log2 n⌉ batched matmuls.
    P, step = M, 1
    while step < M.shape[1]:
        P = np.concatenate([P[:, :step], P[:, :-step] @ P[:, step:]], axis=1)
        step *= 2
    # The motion frame of joint i is C[0] for i = 0, else the product of the matrices before it.
    F = np.concatenate([np.broadcast_to(chain.C[0], (q.shape[0], 1, 4, 4)), P[:, :-1]], axis=1)  # (N, n, 4, 4)
    return P[:, -1, :3], np.transpose(F[:, :, :3, 2], (1, 2, 0)), np.transpose(F[:, :, :3, 3], (1, 2, 0))


def poses(chain: Chain, q: Any, with_axes: bool = False) -> Any:
    """The kernel for this batch size (see ``SMALL_BATCH``); both return the same numbers to rounding."""
    if q.shape[0] < SMALL_BATCH:
        return _poses_by_products(chain, q, with_axes)
    return _poses_by_columns(chain, q, with_axes)


def _fk_top(chain: Chain, q: Any) -> Any:
    """The top rows ``[R p]`` ``(N, 3, 4)`` of ``T_world_tool`` for ``q`` ``(N, n)``: what AD differentiates."""
    return poses(chain, q)


def _fk(chain: Chain, q: np.ndarray) -> np.ndarray:
    """``T_world_tool`` ``(N, 4, 4)`` of ``q`` ``(N, n)`` (floats only; the public functions pass blocks of at
    most ``BLOCK`` configurations)."""
    if q.shape[0] < SMALL_BATCH:  # the product kernel's matrices keep their exact last row [0, 0, 0, 1]
        return _product(_joint_matrices(chain, q))
    return _chain_fk(chain, q)


def _chain_fk(chain: Chain, q: np.ndarray) -> np.ndarray:
    """Float kernel of :func:`_fk` for large batches: ``T_world_tool`` ``(N, 4, 4)``, carried as ``(N, 4, 4)``.

    ``T ← T Mz(q_i)`` turns columns (0, 1) of the three top rows, viewed as complex numbers, by
    ``cos q − i sin q`` (a slide adds ``q`` times column 2 to column 3), then ``T ← T C[i + 1]`` is one
    ``(4N, 4) @ (4, 4)`` product; the bottom row stays exactly ``[0, 0, 0, 1]``. Same numbers as
    :func:`_fk_top` (which the AD Jacobians differentiate) to rounding; tests hold them together. The
    public functions pass at most ``BLOCK`` rows, which keeps each product single-threaded.
    """
    N, n = q.shape
    q_t = np.transpose(q)  # (n, N)
    turn = np.empty((n, N), dtype=np.complex128)
    np.cos(q_t, out=turn.real)
    np.sin(q_t, out=turn.imag)
    np.negative(turn.imag, out=turn.imag)
    ping, pong, out = np.empty((N, 4, 4)), np.empty((N, 4, 4)), np.empty((N, 4, 4))
    slots = [pong if i % 2 else ping for i in range(n)] + [out]
    slots[0][...] = chain.C[0]
    for i in range(n):
        T = slots[i]
        if chain.revolute[i]:
            columns = T.view(np.complex128)[..., 0]  # (N, 4): x + i y of each row
            for row in range(3):  # one long strided loop per row
                columns[:, row] *= turn[i]
        else:
            T[:, :3, 3] += q_t[i, :, None] * T[:, :3, 2]
        np.matmul(T.reshape(-1, 4), chain.C[i + 1], out=slots[i + 1].reshape(-1, 4))
    return out


def _cross(a: Any, b: Any) -> Any:
    """Cross product along axis -2 of ``(..., 3, N)`` arrays: ``a[1]b[2] − a[2]b[1]``, ... by index cycles.

    Written with indexing and arithmetic only, so AD values pass through it.
    """
    return a[..., _NEXT, :] * b[..., _PREV, :] - a[..., _PREV, :] * b[..., _NEXT, :]


def _to_tool_frame(J: Any, R: Any) -> Any:
    """``blockdiag(Rᵀ, Rᵀ) @ J`` for ``J`` ``(N, 6, n)`` and ``R`` ``(N, 3, 3)`` (world rotation of the tool)."""
    Rt = np.swapaxes(R, -1, -2)
    return np.concatenate([Rt @ J[:, :3], Rt @ J[:, 3:]], axis=1)


def pose_and_jacobian(chain: Chain, q: Any, frame: str = "world") -> Any:
    """Tool pose and closed-form geometric Jacobian from one kernel pass, for ``q`` ``(N, n)``.

    Revolute joint i (world axis ``z_i`` through ``p_i``): ``[z_i × (p_tool − p_i); z_i]``;
    prismatic joint i: ``[z_i; 0]``.

    Returns:
        ``T`` ``(N, 3, 4)``: the top rows ``[R p]`` of ``T_world_tool``; ``J`` ``(N, 6, n)`` in ``frame``.
    """
    T, Z, P = poses(chain, q, with_axes=True)  # (N, 3, 4), (n, 3, N), (n, 3, N)
    J_v = _cross(Z, np.transpose(T[:, :, 3]) - P)  # (n, 3, N)
    J_w = Z
    if not chain.all_revolute:
        revolute = chain.revolute[:, None, None]
        J_v, J_w = np.where(revolute, J_v, Z), Z * revolute
    J = np.transpose(np.concatenate([J_v, J_w], axis=1), (2, 1, 0))  # (N, 6, n)
    if frame != "world":
        J = _to_tool_frame(J, T[:, :, :3])
    return T, J


def pose_and_jacobian_into(
    chain: Chain, q: np.ndarray, p_world_tool: np.ndarray, z_world_tool: np.ndarray, J_world: np.ndarray
) -> None:
    """:func:`pose_and_jacobian` of ``q`` ``(N, n)``, ``N >= SMALL_BATCH`` (the column kernel), written in place
    with the batch last: the same numbers, bit for bit, without its stacks, transposes and temporaries.

    Every entry comes from the very floating-point operations of :func:`_poses_by_columns` and
    :func:`pose_and_jacobian` (the same elementwise products, sums and differences in the same order, the
    same ``(4, 4) @ (4, 3N)`` BLAS product per joint on C-contiguous operands); only where they are stored
    differs. For the capability maps, whose every sample needs the tool position, its z axis and the Jacobian.

    Args:
        chain: The compiled chain.
        q: ``(N, n)`` joint values [rad or m].
        p_world_tool: ``(3, N)`` out: the tool origin [m].
        z_world_tool: ``(3, N)`` out: the tool z axis.
        J_world: ``(6, n, N)`` out: the world Jacobian (rows ``v`` [m/rad or 1], then ``ω`` [1 or 0]); each
            ``J_world[r, i]`` must be contiguous.
    """
    N, n = q.shape
    q_t = np.ascontiguousarray(np.transpose(q))  # (n, N), each joint's row contiguous: so are c, s below
    cos_q, sin_q = np.cos(q_t), np.sin(q_t)
    # T column-first, T[j, r] = T_world_frame[r, j] (3, N): ping-pong between two buffers, each joint's motion
    # applied in place (x, y turned, or p moved: z and p stay where the product reads them); the world origins
    # of the motion frames kept for the Jacobian (their z axes go straight into its ω rows)
    T, T_next = np.empty((4, 3, N)), np.empty((4, 3, N))
    T[...] = chain.C[0][:3].T[:, :, None]
    origins = np.empty((n, 3, N))
    product, turned = np.empty((3, N)), np.empty((3, N))
    for i in range(n):
        x, y, z, p = T
        origins[i] = p
        if chain.revolute[i]:  # T @ Rz(q): x' = c x + s y, y' = c y − s x
            J_world[3:, i] = z
            c, s = cos_q[i], sin_q[i]
            np.multiply(s, x, out=turned)
            np.multiply(c, x, out=x)
            np.multiply(s, y, out=product)
            x += product
            np.multiply(c, y, out=y)
            y -= turned
        else:  # T @ Tz(q): p' = p + q z; J = [z; z · 0] (pose_and_jacobian's Z * revolute: signed zeros)
            J_world[:3, i] = z
            np.multiply(z, 0.0, out=J_world[3:, i])
            np.multiply(q_t[i], z, out=product)
            p += product
        np.matmul(chain.C[i + 1].T, T.reshape(4, -1), out=T_next.reshape(4, -1))
        T, T_next = T_next, T
    z_world_tool[...] = T[2]
    p_world_tool[...] = T[3]
    d, tmp = product, np.empty(N)
    for i in range(n):
        if not chain.revolute[i]:
            continue
        np.subtract(T[3], origins[i], out=d)  # p_tool − p_i
        a = J_world[3:, i]  # z_i
        for r in range(3):  # z_i × (p_tool − p_i), as _cross: a[r+1] d[r+2] − a[r+2] d[r+1]
            np.multiply(a[(r + 1) % 3], d[(r + 2) % 3], out=J_world[r, i])
            np.multiply(a[(r + 2) % 3], d[(r + 1) % 3], out=tmp)
            J_world[r, i] -= tmp


def jacobian_analytic(chain: Chain, q: Any, frame: str = "world") -> Any:
    """Closed-form geometric Jacobian ``(N, 6, n)`` of ``q`` ``(N, n)`` (see :func:`pose_and_jacobian`)."""
    return pose_and_jacobian(chain, q, frame)[1]


def _twist_jacobian(T: Any, dT: Any) -> Any:
    """Geometric Jacobian ``(N, 6, n)`` from poses ``T`` and their derivatives ``dT``.

    ``T`` is ``(N, 3+, 4)`` and ``dT`` ``(N, 3+, 4, n)`` with ``dT[..., i] = ∂T/∂q_i`` (the bottom row, if
    present, is ignored); then ``J[:, :3, i] = ∂p/∂q_i`` and ``J[:, 3:, i] = vee(∂R/∂q_i Rᵀ)``. Only the three
    entries ``(∂R Rᵀ)[2, 1], [0, 2], [1, 0]`` of the skew matrix are formed: ``ω_a = Σ_k ∂R[a+2, k] R[a+1, k]``
    (indices mod 3).
    """
    dR = dT[:, :3, :3]  # (N, 3, 3, n)
    J_w = (dR[:, _PREV] * T[:, _NEXT, :3, None]).sum(axis=2)  # (N, 3, n)
    return np.concatenate([dT[:, :3, 3], J_w], axis=1)


def _jacobian_numeric(chain: Chain, q: Any) -> Any:
    """World Jacobian ``(N, 6, n)`` by central differences of :func:`_fk` (all 2n evaluations in one batch)."""
    N, n = q.shape
    step = NUMERIC_STEP * np.eye(n)  # (n, n)
    shifted = np.concatenate([q[:, None, :] + step, q[:, None, :] - step], axis=1)  # (N, 2n, n)
    T_shift = _fk_top(chain, shifted.reshape(-1, n)).reshape(N, 2, n, 3, 4)
    dT = (T_shift[:, 0] - T_shift[:, 1]) / (2.0 * NUMERIC_STEP)  # (N, n, 3, 4)
    return _twist_jacobian(_fk_top(chain, q), np.moveaxis(dT, 1, -1))


def _jacobian_ad(chain: Chain, q: Any, mode: str) -> Any:
    """World Jacobian ``(N, 6, n)`` by forward- or reverse-mode AD of :func:`_fk`."""
    from . import autodiff

    jac = autodiff.jacfwd if mode == "forward" else autodiff.jacrev
    dT = jac(lambda x: _fk_top(chain, x), batch_ndim=1)(q)  # (N, 3, 4, n)
    return _twist_jacobian(_fk_top(chain, q), dT)


def _hessian_analytic(chain: Chain, q: Any) -> Any:
    """Closed-form world Hessian ``(N, n, 6, n)``, ``H[:, i, :, j] = ∂J[:, :, j]/∂q_i``.

    Derived from the geometric Jacobian by differentiating each joint axis and origin (Haviland & Corke,
    "Manipulator Differential Kinematics, Part I", IEEE RAM 2023, eqs. for the first-order kinematic
    Hessian), extended to prismatic joints. With ``D_i`` the motion of a point attached after joint i
    (``z_i × (x − p_i)`` revolute, ``z_i`` prismatic), for i < j: ``∂z_j/∂q_i = z_i × z_j`` (revolute i),
    ``∂p_j/∂q_i = D_i(p_j)``; for i >= j both are 0; and always ``∂p_tool/∂q_i = J_v[:, i]``.
    """
    T, Z, P = poses(chain, q, with_axes=True)
    Z = np.transpose(Z, (2, 0, 1))  # (N, n, 3)
    P = np.transpose(P, (2, 0, 1))
    p_tool = T[:, None, :3, 3]  # (N, 1, 3)
    rev = chain.revolute
    n = rev.shape[0]
    J_v = np.where(rev[:, None], np.cross(Z, p_tool - P), Z)  # (N, n, 3), column i as a vector
    before = np.arange(n)[:, None] < np.arange(n)[None, :]  # [i, j]: joint i comes before joint j
    zi, zj = Z[:, :, None, :], Z[:, None, :, :]
    pi, pj = P[:, :, None, :], P[:, None, :, :]
    rev_i = rev[:, None, None]
    dz = np.where(before[..., None] & rev_i, np.cross(zi, zj), 0.0)  # (N, n, n, 3)
    dp = np.where(before[..., None], np.where(rev_i, np.cross(zi, pj - pi), zi), 0.0)
    H_v_rev = np.cross(dz, p_tool[:, None] - pj) + np.cross(zj, J_v[:, :, None, :] - dp)
    rev_j = rev[None, :, None]
    H_v = np.where(rev_j, H_v_rev, dz)
    H_w = np.where(rev_j, dz, 0.0)
    return np.swapaxes(np.concatenate([H_v, H_w], axis=-1), -1, -2)  # (N, n, 6, n)


def _hessian_to_tool(H: Any, J: Any, R: Any) -> Any:
    """Tool-frame Hessian from the world one: ``∂(Rᵀ J_j)/∂q_i = Rᵀ (∂J_j/∂q_i − ω_i × J_j)`` per 3-block.

    Uses ``∂Rᵀ/∂q_i = −Rᵀ [ω_i]×`` with ``ω_i = J[:, 3:, i]``. ``H`` ``(N, n, 6, n)``, ``J`` ``(N, 6, n)``,
    ``R`` ``(N, 3, 3)``.
    """
    w = np.swapaxes(J[:, 3:], -1, -2)[:, :, None, :]  # (N, n_i, 1, 3)
    Jt = np.swapaxes(J, -1, -2)  # (N, n_j, 6)
    corr = np.concatenate([np.cross(w, Jt[:, None, :, :3]), np.cross(w, Jt[:, None, :, 3:])], axis=-1)
    Hc = H - np.swapaxes(corr, -1, -2)  # (N, n, 6, n)
    Rt = np.swapaxes(R, -1, -2)[:, None]
    return np.concatenate([Rt @ Hc[:, :, :3], Rt @ Hc[:, :, 3:]], axis=2)


# --------------------------------------------------------------------------------------------- tree kernels
def path_top(path: LinkPath, q: Any) -> Any:
    """The top rows ``[R p]`` ``(N, 3, 4)`` of ``T_world_link`` for the full ``q`` ``(N, n)``: what AD differentiates.

    ``q_path = q[:, index] * multiplier + offset`` is plain NumPy indexing and arithmetic, so the AD
    Jacobians of a tree differentiate this very function (the chain rule through the mimic couplings
    included).
    """
    if path.chain is None:
        return np.broadcast_to(path.constant_pose[:3], (q.shape[0], 3, 4))
    return _fk_top(path.chain, path.q_path(q))


def path_fk(path: LinkPath, q: Any) -> Any:
    """``T_world_link`` ``(N, 4, 4)`` for the full ``q`` ``(N, n)``."""
    if path.chain is None:
        return np.broadcast_to(path.constant_pose, (q.shape[0], 4, 4))
    return _fk(path.chain, path.q_path(q))


def path_fold(path: LinkPath, J_path: Any) -> Any:
    """The robot's Jacobian ``(N, 6, n)`` from the path's ``(N, 6, p)``: ``J_path @ fold`` (chain rule).

    On floats, when no two path joints read the same coordinate, the product is a scatter of the scaled
    columns into zeros (``fold`` has one entry per row): N small matrix products cost ~10x more.
    """
    if path.identity:
        return J_path
    index = path.index
    if type(J_path) is np.ndarray and len(np.unique(index)) == len(index):
        J = np.zeros(J_path.shape[:-1] + path.fold.shape[1:])
        J[..., index] = J_path if np.all(path.multiplier == 1.0) else J_path * path.multiplier
        return J
    return J_path @ path.fold


def path_pose_and_jacobian(path: LinkPath, q: Any, frame: str = "world") -> tuple[Any, Any]:
    """Link pose top rows ``(N, 3, 4)`` and closed-form Jacobian ``(N, 6, n)`` for the full ``q`` ``(N, n)``."""
    if path.chain is None:
        return path_top(path, q), np.zeros((q.shape[0], 6, path.fold.shape[1]))
    T, J = pose_and_jacobian(path.chain, path.q_path(q), frame)
    return T, path_fold(path, J)


def path_jacobian(path: LinkPath, q: Any, frame: str = "world") -> Any:
    """Closed-form Jacobian ``(N, 6, n)`` of the link for the full ``q`` ``(N, n)``."""
    return path_pose_and_jacobian(path, q, frame)[1]


def _jacobian_ad_path(path: LinkPath, q: Any, mode: str) -> Any:
    """World Jacobian ``(N, 6, n)`` by forward- or reverse-mode AD of :func:`path_top` over the full q."""
    from . import autodiff

    jac = autodiff.jacfwd if mode == "forward" else autodiff.jacrev
    dT = jac(lambda x: path_top(path, x), batch_ndim=1)(q)  # (N, 3, 4, n)
    return _twist_jacobian(path_top(path, q), dT)


# Step kinds of the float tree kernel (:func:`_tree_frames`).
_COPY, _FIXED, _TURN, _SLIDE = 0, 1, 2, 3
# (frame, parent, kind, A, pair or column, motion, post): see _TreePlan.
_Step = tuple[int, int, int, np.ndarray, int, int, "np.ndarray | None"]


@dataclass(frozen=True, eq=False)
class _PlanMotions:
    """The joint motions of a tree kernel's plan (:class:`_TreePlan`, :class:`_EntryPlan`), in the order its
    steps index them: turn ``k`` by ``v = q[..., angle_coordinate[k]] * angle_scale[k] + angle_offset[k]``
    [rad] ``(m_r,)`` each, slide ``k`` by ``q[..., shift_coordinate[k]] * shift_scale[k] + shift_offset[k]``
    [m] ``(m_p,)`` each (mimic coupling and axis sign folded in)."""

    angle_coordinate: np.ndarray
    angle_scale: np.ndarray
    angle_offset: np.ndarray
    shift_coordinate: np.ndarray
    shift_scale: np.ndarray
    shift_offset: np.ndarray


@dataclass(frozen=True, eq=False)
class _TreePlan(_PlanMotions):
    """The frame tree as a list of per-frame steps for the float kernel of :func:`fk_all`, built once per tree.

    Every frame ``f`` is ``T_f = T_parent @ A @ M(v) @ post`` where ``A`` and ``post`` are constant
    ``(4, 4)``; ``M`` is the identity (a fixed frame), a rotation by ``v`` of the column pair ``(pair,
    pair + 1)`` (``(0, 1)``: about z, ``(1, 2)``: about x), or a translation by ``v`` along column
    ``column``. A joint about ``±z`` or ``±x`` with nothing after its motion needs no ``post``: ``A`` is its
    ``T_before`` and the sign goes into ``v``. Any other axis uses the tree's ``pre`` (which turns the axis
    into z) and ``post``.

    Attributes:
        steps: ``(frame, parent, kind, A, pair_or_column, motion, post)`` per frame but the root, parents
            first; ``motion`` indexes ``angle_*`` (turns) or ``shift_*`` (slides); ``post`` is None for the
            identity.
        angle_*, shift_*: see :class:`_PlanMotions`; ``v`` is minus the turn, so a turn's column pair is
            multiplied by ``cos v + i sin v``.
        offsets: The sum of the lengths of every constant translation of the tree (the base, each frame's
            ``pre`` and ``post``) [m]: with the slides, a bound of every frame's distance from the world
            origin (see :func:`_poses_surely_finite`); inf if the sum overflows.
    """

    steps: tuple[_Step, ...]
    offsets: float


_TREE_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tree_plan(tree: Tree) -> _TreePlan:
    """The :class:`_TreePlan` of ``tree``, built on first use and cached for the tree's lifetime."""
    return _cached_plan(_TREE_PLANS, tree, _build_tree_plan)


def _cached_plan(cache: weakref.WeakKeyDictionary, tree: Tree, build: Any) -> Any:
    """``cache[tree]``, set to ``build(tree)`` on first use."""
    plan = cache.get(tree)
    if plan is None:
        plan = cache[tree] = build(tree)
    return plan


def _axis_slot(joint: Any) -> tuple[int, float] | None:
    """``(axis index, sign)`` for a joint moving along/about ``±x``, ``±y`` or ``±z`` with an identity
    ``T_after`` (its motion then acts on its ``T_before`` frame directly), else None.

    Exactly a coordinate axis: the other two components 0 too (an axis such as ``(0, 1.5e-8, 1)`` is stored as
    written, its norm being 1 within ``AXIS_UNIT_TOL``, and is not z)."""
    axis = np.asarray(joint.axis, dtype=float)
    big = int(np.argmax(np.abs(axis)))
    if abs(axis[big]) != 1.0 or np.count_nonzero(axis) != 1 or not np.array_equal(joint.T_after, _EYE4):
        return None
    return big, float(axis[big])


def _build_tree_plan(tree: Tree) -> _TreePlan:
    steps: list[_Step] = []
    angles: list[tuple[int, float, float]] = []
    shifts: list[tuple[int, float, float]] = []
    for f in tree.order:
        f, p, k = int(f), int(tree.parent[f]), int(tree.variable[f])
        pre, post = np.ascontiguousarray(tree.pre[f]), np.ascontiguousarray(tree.post[f])
        post_or_none = None if np.array_equal(post, _EYE4) else post
        if k < 0:
            kind = _COPY if np.array_equal(pre, _EYE4) else _FIXED
            steps.append((f, p, kind, pre, 0, -1, None))
            continue
        mult, off = float(tree.multiplier[f]), float(tree.offset[f])
        joint = tree.elements[f]
        slot = _axis_slot(joint)
        if tree.revolute[f]:
            # Rz turns columns (0, 1) and Rx columns (1, 2): (a + i b)(cos v − i sin v) for a turn by v.
            if slot is not None and slot[0] != 1:
                pair, sign, A, after = (0 if slot[0] == 2 else 1), slot[1], joint.T_before, None
            else:
                pair, sign, A, after = 0, 1.0, pre, post_or_none
            angles.append((k, -sign * mult, -sign * off))
            steps.append((f, p, _TURN, np.ascontiguousarray(A), pair, len(angles) - 1, after))
        else:
            if slot is not None:
                column, sign, A, after = slot[0], slot[1], joint.T_before, None
            else:
                column, sign, A, after = 2, 1.0, pre, post_or_none
            shifts.append((k, sign * mult, sign * off))
            steps.append((f, p, _SLIDE, np.ascontiguousarray(A), column, len(shifts) - 1, after))

    with np.errstate(over="ignore"):  # hypot: no overflow in the squares; a sum beyond the largest float is inf
        lengths = np.hypot.reduce(tree.pre[:, :3, 3], axis=-1) + np.hypot.reduce(tree.post[:, :3, 3], axis=-1)
        offsets = float(np.sum(lengths))
    return _TreePlan(*_motion_columns(angles), *_motion_columns(shifts), steps=tuple(steps), offsets=offsets)


def _tree_frames(tree: Tree, q: np.ndarray, S: np.ndarray | None = None) -> np.ndarray:
    """Every frame of ``q`` ``(N, n)`` (floats only), frame-major: ``S[f, k] = T_world_f`` of configuration k,
    ``(F, N, 4, 4)``, into ``S`` when given (C-contiguous, every entry overwritten), else a fresh array.

    Per block of ``TREE_BLOCK`` configurations, a frame is one ``(4B, 4) @ (4, 4)`` product with its
    parent's block (contiguous, so one BLAS call), and a joint's motion one in-place operation on two
    columns: a turn by v multiplies the column pair viewed as complex numbers by ``cos v − i sin v``, a slide
    adds ``v`` times an axis column to the translation. The sines and cosines of a block come from one call
    each. The bottom rows stay exactly ``[0, 0, 0, 1]`` (every constant has that bottom row). The AD
    Jacobians differentiate the path kernels (:func:`path_top`), not this one; tests hold the two together.
    """
    plan = _tree_plan(tree)
    N = q.shape[0]
    F = len(tree.names)
    if S is None:
        S = np.empty((F, N, 4, 4))
    S[0] = tree.pre[0]
    pairs = (S.view(np.complex128)[..., 0], S[..., 1:3].view(np.complex128)[..., 0])  # (F, N, 4) each
    B = max(1, min(TREE_BLOCK, N))  # 1 for an empty batch (no block runs)
    scratch = np.empty((B, 4, 4))
    scratch_pair = scratch.view(np.complex128)[..., 0]  # (B, 4)
    q_t = np.transpose(q)  # (n, N)
    for start in range(0, N, B):
        stop = min(start + B, N)
        b = stop - start
        flat = S[:, start:stop].reshape(F, 4 * b, 4)
        tmp = scratch[:b]
        angle = q_t[plan.angle_coordinate, start:stop] * plan.angle_scale[:, None] + plan.angle_offset[:, None]
        turn = np.empty(angle.shape, dtype=np.complex128)  # cos v − i sin v of each turn v = −angle
        np.cos(angle, out=turn.real)
        np.sin(angle, out=turn.imag)
        shift = q_t[plan.shift_coordinate, start:stop] * plan.shift_scale[:, None] + plan.shift_offset[:, None]
        for f, p, kind, A, slot, motion, post in plan.steps:
            if kind == _COPY:
                np.copyto(flat[f], flat[p])
                continue
            if kind == _FIXED:
                np.matmul(flat[p], A, out=flat[f])
                continue
            G = flat[f] if post is None else tmp.reshape(4 * b, 4)
            np.matmul(flat[p], A, out=G)
            G3 = G.reshape(b, 4, 4)
            if kind == _TURN:  # with a post, the plan always turns columns (0, 1) (slot 0)
                columns = pairs[slot][f, start:stop] if post is None else scratch_pair[:b]
                for row in range(3):  # one long strided loop per row (a (b, 3) view runs b loops of 3)
                    columns[:, row] *= turn[motion]
            else:
                G3[:, :3, 3] += shift[motion, :, None] * G3[:, :3, slot]
            if post is not None:
                np.matmul(G, post, out=flat[f])
    return S


def _motion_columns(rows: list[tuple[int, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(coordinate, scale, offset)`` rows of a plan's motions as three arrays."""
    c, m, o = zip(*rows) if rows else ((), (), ())
    return np.array(c, dtype=int), np.array(m, dtype=float), np.array(o, dtype=float)


# (frame, parent, kind, A_T, axis, motion, post_T, offset): see _EntryPlan; kind is _FIXED, _TURN or _SLIDE.
_EntryStep = tuple[int, int, int, "np.ndarray | None", int, int, "np.ndarray | None", "np.ndarray | None"]


@dataclass(frozen=True, eq=False)
class _EntryPlan(_PlanMotions):
    """The frame tree as per-frame steps for the entry-major kernel :func:`_tree_entries`, built once per tree.

    Every frame ``f`` is ``T_f = T_parent @ A @ M(v) @ post`` where ``A`` and ``post`` are constant
    ``(4, 4)``; ``M`` is the identity (a fixed frame), a turn by ``v`` about the coordinate axis ``axis``
    (0, 1, 2: x, y, z), or a translation by ``v`` along it. A joint moving along or about ``±x``, ``±y`` or
    ``±z`` with nothing after its motion needs no ``post``: ``A`` is its ``T_before`` and the sign goes into
    ``v``. Any other axis uses the tree's ``pre`` (which turns the axis into z) and ``post``.

    Attributes:
        steps: ``(frame, parent, kind, A_T, axis, motion, post_T, offset)`` per frame but the root, parents
            first. ``A_T`` is ``A.T`` (the kernel multiplies columns of poses from the left), or None when
            ``A`` only translates and no ``post`` follows (most URDF origins: then no product is needed);
            ``offset`` is ``[t_0, t_1, t_2, 1]`` of ``A``'s translation ``t`` ``(4,)``, None for none. ``motion``
            indexes the turns or the slides of :class:`_PlanMotions` (``v`` is the turn itself); ``post_T`` is
            ``post.T``, None for the identity.
        has_post: True when some step has a ``post``.
        root_top: ``(3, 4, 1)`` the top rows of the root frame (the base pose).
    """

    steps: tuple[_EntryStep, ...]
    has_post: bool
    root_top: np.ndarray


_ENTRY_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _entry_plan(tree: Tree) -> _EntryPlan:
    """The :class:`_EntryPlan` of ``tree``, built on first use and cached for the tree's lifetime."""
    plan: _EntryPlan = _cached_plan(_ENTRY_PLANS, tree, _build_entry_plan)
    return plan


def _build_entry_plan(tree: Tree) -> _EntryPlan:
    steps: list[_EntryStep] = []
    angles: list[tuple[int, float, float]] = []
    shifts: list[tuple[int, float, float]] = []
    for f in tree.order:
        f, p, k = int(f), int(tree.parent[f]), int(tree.variable[f])
        pre, post = tree.pre[f], tree.post[f]
        axis, motion, after = 0, -1, None
        if k < 0:
            kind, A = _FIXED, pre
        else:
            kind = _TURN if tree.revolute[f] else _SLIDE
            slot = _axis_slot(tree.elements[f])
            if slot is not None:
                axis, sign, A = slot[0], slot[1], tree.elements[f].T_before
            else:  # pre turns the axis into z; post turns it back
                axis, sign, A = 2, 1.0, pre
                after = None if np.array_equal(post, _EYE4) else np.ascontiguousarray(post.T)
            motions = angles if kind == _TURN else shifts
            motions.append((k, sign * float(tree.multiplier[f]), sign * float(tree.offset[f])))
            motion = len(motions) - 1
        translates = after is None and np.array_equal(A[:3, :3], _EYE4[:3, :3])
        A_T = None if translates else np.ascontiguousarray(A.T)
        offset = None if not A[:3, 3].any() else np.append(A[:3, 3], 1.0)
        steps.append((f, p, kind, A_T, axis, motion, after, offset))

    has_post = any(step[6] is not None for step in steps)
    root_top = np.ascontiguousarray(tree.pre[0][:3, :, None])
    columns = (*_motion_columns(angles), *_motion_columns(shifts))
    return _EntryPlan(*columns, steps=tuple(steps), has_post=has_post, root_top=root_top)


def _tree_entries(tree: Tree, q: np.ndarray, S: np.ndarray | None = None) -> np.ndarray:
    """Every frame of ``q`` ``(N, n)`` (floats only), row-major and batch innermost: ``S[i, f, j, k] =
    T_world_f[i, j]`` of configuration k, ``(4, F, 4, N)``; ``np.transpose(S, (3, 1, 0, 2))`` is ``(N, F, 4,
    4)``. Into ``S`` when given (C-contiguous ``(4, F, 4, N)``, every entry overwritten), else a fresh array.

    Per block of ``TREE_ENTRY_BLOCK`` configurations, each entry of a frame's top rows is a contiguous run of the
    block. A frame whose constant ``A`` only translates (most URDF origins) takes its parent's rotation
    columns as they are and its translation as ``p + Σ t_k·column_k`` (one BLAS product per row); any other
    ``A`` is three BLAS products ``A.T @ row_i`` (one NumPy call). A joint's motion is a few elementwise
    operations on two columns: a turn by v about axis a is ``u' = cos v·u + sin v·w``, ``w' = cos v·w − sin
    v·u`` of the column pair ``(u, w) = (a + 1, a + 2) mod 3``, a slide adds ``v`` times column ``a`` to the
    translation. The bottom rows of a fresh array are the zeros of ``np.zeros`` (never written: those pages
    stay unallocated) and one write of the ones; of a given ``S``, one write. The AD Jacobians differentiate
    the path kernels (:func:`path_top`), not this one; tests hold the two together.
    """
    plan = _entry_plan(tree)
    N = q.shape[0]
    F = len(tree.names)
    if S is None:
        S = np.zeros((4, F, 4, N))  # rows, frames, columns, configurations
        S[3, :, 3] = 1.0
    else:
        np.copyto(S[3], _BOTTOM_ROW.T)  # (4, 1): [0, 0, 0, 1] down the columns, over frames and configurations
    B = _entry_block_size(N)
    work = np.empty((2, 3, B))
    scratch = np.empty((3, 4, B)) if plan.has_post else None  # a pose before its post
    q_t = np.transpose(q)  # (n, N)
    with np.errstate(over="ignore", invalid="ignore"):  # a slide past the largest float: fk_all's check refuses it
        for start in range(0, N, B):
            _entry_block(plan, S, q_t, start, min(start + B, N), work, scratch)
    return S


def _entry_block_size(N: int) -> int:
    """Configurations per block of :func:`_tree_entries` for a batch of ``N``: equal blocks of at most
    ``TREE_ENTRY_BLOCK`` (1 for an empty batch: no block runs)."""
    return -(-N // -(-N // TREE_ENTRY_BLOCK)) if N else 1


def _entry_block(
    plan: _EntryPlan,
    S: np.ndarray,
    q_t: np.ndarray,
    start: int,
    stop: int,
    work: np.ndarray,
    scratch: np.ndarray | None,
) -> None:
    """Configurations ``start:stop`` of :func:`_tree_entries`' ``S`` ``(4, F, 4, N)`` (the root's top rows and
    every other frame's), from ``q_t`` ``(n, N)``; ``work`` ``(2, 3, B)`` and ``scratch`` ``(3, 4, B)`` (None
    without a post) are temporaries."""
    b = stop - start
    frames = S[:3, :, :, start:stop]  # (3, F, 4, b): top rows i, frames, columns j, configurations
    tmp, tmp2 = work[0, :, :b], work[1, :, :b]  # (3, b) each
    angle = q_t[plan.angle_coordinate, start:stop] * plan.angle_scale[:, None] + plan.angle_offset[:, None]
    cos, sin = np.empty_like(angle), np.empty_like(angle)  # (m_r, b) each
    _cos_sin(angle.reshape(-1), cos.reshape(-1), sin.reshape(-1))
    shift = q_t[plan.shift_coordinate, start:stop] * plan.shift_scale[:, None] + plan.shift_offset[:, None]
    frames[:, 0] = plan.root_top
    for f, p, kind, A_T, axis, motion, post_T, offset in plan.steps:
        P, G = frames[:, p], frames[:, f]  # (3, 4, b) each; row i of a pose is P[i] (4, b)
        u, w = (axis + 1) % 3, (axis + 2) % 3  # a turn's column pair
        # (in-place operators on named column views: no write-back through __setitem__)
        if A_T is None:  # the parent's rotation columns, and its translation moved by the offset
            G_t = G[:, 3]
            _translate(G_t, P, offset)
            if kind != _TURN:
                np.copyto(G[:, :3], P[:, :3])
                if kind == _SLIDE:
                    G_t += np.multiply(P[:, axis], shift[motion], out=tmp)
                continue
            c, s = cos[motion], sin[motion]
            G_u, G_w, P_u, P_w = G[:, u], G[:, w], P[:, u], P[:, w]
            np.copyto(G[:, axis], P[:, axis])
            np.multiply(P_u, c, out=G_u)  # u' = c u + s w
            G_u += np.multiply(P_w, s, out=tmp)
            np.multiply(P_w, c, out=G_w)  # w' = c w − s u
            G_w -= np.multiply(P_u, s, out=tmp)
            continue
        if post_T is not None:
            G = scratch[:, :, :b]  # type: ignore[index]
        np.matmul(A_T, P, out=G)
        if kind == _TURN:  # in place
            c, s = cos[motion], sin[motion]
            G_u, G_w = G[:, u], G[:, w]
            np.multiply(G_u, s, out=tmp)
            G_u *= c
            G_u += np.multiply(G_w, s, out=tmp2)
            G_w *= c
            G_w -= tmp
        elif kind == _SLIDE:
            G_t = G[:, 3]
            G_t += np.multiply(G[:, axis], shift[motion], out=tmp)
        if post_T is not None:
            np.matmul(post_T, G, out=frames[:, f])


def _translate(out: np.ndarray, P: np.ndarray, offset: np.ndarray | None) -> None:
    """``out = P[:, 3] + Σ t_k P[:, k]`` with ``offset`` = ``[t_0, t_1, t_2, 1]`` (None: no move): the
    translation column ``(rows, batch)`` of a pose ``P`` ``(rows, 4, batch)`` moved by ``t`` in its own frame.
    One BLAS product ``offset @ P[i]`` per row (one pass over the output; about 3x faster than three scaled
    additions of columns)."""
    if offset is None:
        np.copyto(out, P[:, 3])
    else:
        np.matmul(offset, P, out=out)


# fdlibm's argument reduction and kernels (FreeBSD msun e_rem_pio2.c, k_sin.c, k_cos.c; Sun Microsystems 1993):
# π/2 = _PIO2_HI + _PIO2_LO with _PIO2_HI's 33 leading bits, so k·_PIO2_HI is exact for |k| < 2^20; sin and cos
# of r in [-π/4, π/4] as odd / even minimax polynomials, errors below 1 ulp.
_PIO2_HI, _PIO2_LO = 1.57079632673412561417e00, 6.07710050650619224932e-11
_SIN_POLY = (
    -1.66666666666666324348e-01,
    8.33333333332248946124e-03,
    -1.98412698298579493134e-04,
    2.75573137070700676789e-06,
    -2.50507602534068634195e-08,
    1.58969099521155010221e-10,
)
_COS_POLY = (
    4.16666666666666019037e-02,
    -1.38888888888741095749e-03,
    2.48015872894767294178e-05,
    -2.75573143513906633035e-07,
    2.08757232129817482790e-09,
    -1.13596475577881948265e-11,
)
_QUARTER_COS, _QUARTER_SIN = np.array([1.0, 0.0, -1.0, 0.0]), np.array([0.0, 1.0, 0.0, -1.0])  # of k·π/2
# |v| up to which the two-term reduction is exact enough (k < 2^17; beyond, libm does the reduction).
_COS_SIN_REDUCED = 1e5


def _cos_sin(v: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> None:
    """``cos v`` and ``sin v`` of ``v`` ``(m,)`` [rad] into ``cos`` and ``sin`` ``(m,)`` (strided views allowed),
    each within 1 ulp of 1 like libm's, at about 3/4 of libm's cost for large arrays: ``v = k·π/2 + r`` with
    ``|r| <= π/4``, the polynomials of ``r``, then the quarter turn ``k mod 4`` (multiplications by 0 and ±1,
    exact). Chunks with a ``|v|`` beyond ``_COS_SIN_REDUCED`` use libm."""
    size = min(COS_SIN_CHUNK, v.size)
    k, r, z, p, t = np.empty((5, size))
    quarter = np.empty(size, dtype=np.intp)
    for start in range(0, v.size, COS_SIN_CHUNK):
        x, c, s = (a[start : start + COS_SIN_CHUNK] for a in (v, cos, sin))
        if np.abs(x).max() > _COS_SIN_REDUCED:
            np.cos(x, out=c)
            np.sin(x, out=s)
            continue
        m = x.size
        k_, r_, z_, p_, t_, quarter_ = k[:m], r[:m], z[:m], p[:m], t[:m], quarter[:m]
        np.rint(np.multiply(x, 2.0 / np.pi, out=k_), out=k_)
        np.subtract(x, np.multiply(k_, _PIO2_HI, out=r_), out=r_)
        r_ -= np.multiply(k_, _PIO2_LO, out=t_)
        np.multiply(r_, r_, out=z_)
        np.multiply(z_, _SIN_POLY[-1], out=p_)  # sin r = r + r z (S1 + z (S2 + ...)) into p
        for coefficient in _SIN_POLY[-2::-1]:
            p_ += coefficient
            p_ *= z_
        p_ *= r_
        p_ += r_
        np.multiply(z_, _COS_POLY[-1], out=t_)  # cos r = w + ((1 − w) − z/2 + z² (C1 + ...)), w = 1 − z/2
        for coefficient in _COS_POLY[-2::-1]:
            t_ += coefficient
            t_ *= z_
        t_ *= z_
        z_ *= 0.5
        np.subtract(1.0, z_, out=r_)
        np.subtract(1.0, r_, out=c)
        c -= z_
        c += t_
        c += r_
        np.copyto(quarter_, k_, casting="unsafe")
        quarter_ &= 3
        np.take(_QUARTER_COS, quarter_, out=k_)
        np.take(_QUARTER_SIN, quarter_, out=z_)
        np.multiply(p_, z_, out=r_)  # sin r · sin(kπ/2)
        np.multiply(c, z_, out=t_)  # cos r · sin(kπ/2)
        np.multiply(p_, k_, out=s)  # sin v = sin r cos(kπ/2) + cos r sin(kπ/2)
        s += t_
        c *= k_  # cos v = cos r cos(kπ/2) − sin r sin(kπ/2)
        c -= r_


def _poses_surely_finite(robot: Robot, q2: np.ndarray) -> bool:
    """True when every pose of ``q2`` ``(N, n)`` is finite without looking at it (an O(N) test instead of the
    overflow check's pass over the output).

    A frame's rotation entries are at most 1 (products of rotations); its position is a sum of rotated
    constant offsets and slides along unit axes, so ``‖p‖`` is at most the sum of every constant translation of
    the tree plus the largest ``|v|`` of every slide. Below ``1e300`` m nothing can overflow.
    """
    if robot.bounded_kinematics:
        return True
    plan = _tree_plan(robot.tree)
    reach = plan.offsets
    if plan.shift_coordinate.size and q2.shape[0]:
        with np.errstate(over="ignore"):
            largest = np.abs(q2[:, plan.shift_coordinate]).max(axis=0)  # (m_p,)
            reach += float(np.sum(largest * np.abs(plan.shift_scale) + np.abs(plan.shift_offset)))
    return reach < 1e300


# --------------------------------------------------------------------------------------------- public API
def _finite_of_q(
    robot: Robot,
    result: np.ndarray,
    what: str,
    q2: np.ndarray,
    batch: tuple[int, ...],
    bounded: bool = True,
    poses: bool = False,
) -> np.ndarray:
    """``result`` ``(N, ...)`` of ``q2`` ``(N, n)`` reshaped to ``(*batch, ...)`` when finite; else a ShapeError
    naming ``q`` at its batch index (huge prismatic values overflow: :func:`robokin.validation.finite_result`).

    ``bounded=True`` says that ``result`` is a pose, Jacobian or Hessian: finite without a check on a robot
    with :attr:`~robokin.model.Robot.bounded_kinematics` (the check would cost a pass over the whole output).
    ``poses=True`` says that ``result`` holds poses only: finite without a check when the slides of ``q2``
    keep every frame within reach (:func:`_poses_surely_finite`; for results of ``POSE_BOUND_MIN`` entries
    or more, where the check's pass costs more than the bound).
    """
    result = result.reshape(batch + result.shape[1:])
    if bounded and robot.bounded_kinematics:
        return result
    if poses and result.size >= POSE_BOUND_MIN and _poses_surely_finite(robot, q2):
        return result
    return validation.finite_result(result, what, ("q", q2.reshape(batch + q2.shape[1:]), 1), batch_ndim=len(batch))


def _blocked(kernel: Any, q: Any, tail: tuple[int, ...]) -> np.ndarray:
    """``kernel(q)`` ``(N, *tail)`` for ``q`` ``(N, n)``, evaluated ``BLOCK`` configurations at a time."""
    N = q.shape[0]
    if N <= BLOCK:
        return kernel(q)
    out = np.empty((N,) + tail)
    for start in range(0, N, BLOCK):
        out[start : start + BLOCK] = kernel(q[start : start + BLOCK])
    return out


def fk(robot: Robot, q: npt.ArrayLike, link: str | Sequence[str] | None = None) -> np.ndarray:
    """Forward kinematics: the pose of a frame (by default the tool) in the world.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        link: A frame name (see ``robot.frame_names``), a list of k names, or None for the robot's one end
            effector (``robot.default_link``: the frame ``"tool"``, or the only leaf frame).

    Returns:
        ``T_world_link`` ``(..., 4, 4)`` for one frame, ``(..., k, 4, 4)`` for a list of k frames.

    Raises:
        ShapeError: ``q`` does not end in n or is not finite, or gives poses beyond the largest float (huge
            prismatic values; the one overflow rule, :func:`robokin.validation.finite_result`).
        OptionError: an unknown frame, or ``link=None`` on a robot with several end effectors.
    """
    q2, batch = validation.joint_batch(robot, q)
    if link is None or isinstance(link, str):
        path = robot.link_path(link)
        T = _blocked(lambda x: path_fk(path, x), q2, (4, 4))
    else:
        paths = [robot.link_path(name) for name in robot.resolve_links(link)]

        def kernel(x: Any) -> Any:
            return np.stack([path_fk(path, x) for path in paths], axis=1)

        T = _blocked(kernel, q2, (len(paths), 4, 4))
    return _finite_of_q(robot, T, "pose", q2, batch, poses=True)


def fk_frames(robot: Robot, q: npt.ArrayLike) -> np.ndarray:
    """Every frame of the chain in the world: the base, each joint's frame (fixed joints too), the tool.

    Frame ``k + 1`` is the frame of ``robot.joints[k]`` after its motion, i.e. the product of the base and
    of every joint transform up to and including joint k; the last is the tool, ``fk(q)``.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].

    Returns:
        ``(..., m, 4, 4)`` with ``m = len(robot.joints) + 2``. For a tree this is :func:`fk_all`.

    Raises:
        ShapeError: bad ``q``, or poses beyond the largest float (as :func:`fk`).
    """
    if not robot.serial or robot.chain is None:
        return fk_all(robot, q)
    q2, batch = validation.joint_batch(robot, q)
    chain = robot.chain
    N = q2.shape[0]
    frames = [np.broadcast_to(chain.T_world_base, (N, 4, 4))]
    for pre, post, k in zip(chain.pre, chain.post, chain.variable):
        F = frames[-1] @ pre
        if k >= 0:
            u, v = np.cos(q2[:, k]), np.sin(q2[:, k])
            if chain.revolute[k]:  # F @ Rz(q)
                x, y = F[..., 0], F[..., 1]
                F = np.stack(
                    [u[:, None] * x + v[:, None] * y, u[:, None] * y - v[:, None] * x, F[..., 2], F[..., 3]], axis=-1
                )
            else:  # F @ Tz(q)
                F = np.concatenate([F[..., :3], F[..., 3:] + q2[:, k, None, None] * F[..., 2:3]], axis=-1)
        frames.append(F @ post)
    frames.append(frames[-1] @ chain.T_last_tool)
    return _finite_of_q(robot, np.stack(frames, axis=1), "frame pose", q2, batch, poses=True)


def _tree_poses(tree: Tree, q: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Every frame of ``q`` ``(N, n)``: ``T[k, f] = T_world_f`` of configuration k ``(N, F, 4, 4)``, into ``out``
    ``(N, F, 4, 4)`` when given (then returned), else into fresh memory (returned as a view).

    The batch size picks the kernel: :func:`_tree_entries` from ``TREE_ENTRY_MIN`` configurations on (memory
    ``(4, F, 4, N)``), :func:`_tree_frames` below (memory ``(F, N, 4, 4)``). An ``out`` laid out as that
    memory is written directly; in any other layout, the kernel runs on the same blocks into one scratch
    buffer and each block is copied over (the same numbers, bit for bit).
    """
    N = q.shape[0]
    entry = N >= TREE_ENTRY_MIN
    kernel, to_poses, to_memory = (
        (_tree_entries, (3, 1, 0, 2), (2, 1, 3, 0)) if entry else (_tree_frames, (1, 0, 2, 3), (1, 0, 2, 3))
    )
    if out is None:
        return np.transpose(kernel(tree, q), to_poses)
    memory = np.transpose(out, to_memory)
    if memory.flags.c_contiguous:
        kernel(tree, q, memory)
        return out
    if not entry:  # below TREE_ENTRY_MIN configurations: one fresh result, copied
        np.copyto(out, np.transpose(kernel(tree, q), to_poses))
        return out
    F = len(tree.names)
    B = _entry_block_size(N)
    buffer = np.empty(16 * F * B)
    for start in range(0, N, B):
        stop = min(start + B, N)
        S = _tree_entries(tree, q[start:stop], buffer[: 16 * F * (stop - start)].reshape(4, F, 4, stop - start))
        np.copyto(out[start:stop], np.transpose(S, to_poses))
    return out


def fk_all(robot: Robot, q: npt.ArrayLike, *, out: np.ndarray | None = None) -> np.ndarray:
    """Every frame of the robot's tree in the world, in one pass over the tree.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        out: Optional preallocated float64 array ``(..., F, 4, 4)`` (the batch shape of ``q``), filled in place
            and returned: repeated calls then reuse its memory instead of writing fresh pages. Fast only in the
            layout ``fk_all`` returns for that batch size, so pass back a previous result (``out =
            fk_all(robot, q0)`` once; entry-major from ``TREE_ENTRY_MIN`` configurations on, frame-major
            below). Any other layout (e.g. C order from ``np.empty``) is filled correctly but slowly, block by
            block through a scratch buffer and a transposing copy (or, when its batch axes do not merge into
            one, from a fresh result): about 2x the time of a call without ``out`` (Talos, N = 10⁴). The
            numbers are the same, bit for bit, as without ``out``. After an error its contents are unspecified.

    Returns:
        ``(..., F, 4, 4)``: ``T_world_f`` for every ``f`` of ``robot.frame_names`` (root, each joint's frame,
        the named fixed frames), mimic joints following their leaders; ``out`` itself when given. Without
        ``out``, the array is a view of the kernel's memory: frame-major below ``TREE_ENTRY_MIN``
        configurations (each frame's poses of the batch contiguous), entry-major from there on (each entry of
        each frame's pose contiguous over the batch); ``np.ascontiguousarray`` gives C order.

    Raises:
        ShapeError: bad ``q``, or poses beyond the largest float (as :func:`fk`); ``out`` not a writeable
            float64 array of shape ``(..., F, 4, 4)`` with one place per entry, or sharing memory with ``q``.
    """
    q2, batch = validation.joint_batch(robot, q)
    if out is None:
        T = _tree_poses(robot.tree, q2)
    else:
        F = len(robot.tree.names)
        validation.output_array(out, "out", batch + (F, 4, 4), q2)
        view = _merged_batch(out, q2.shape[0])
        if view is None:  # batch axes that do not merge: a fresh result, copied over
            T = _tree_poses(robot.tree, q2)
            np.copyto(out, T.reshape(out.shape))
        else:
            T = _tree_poses(robot.tree, q2, view)
    T = _finite_of_q(robot, T, "frame pose", q2, batch, poses=True)
    return T if out is None else out


def _merged_batch(out: np.ndarray, N: int) -> np.ndarray | None:
    """``out`` ``(..., F, 4, 4)`` as a view ``(N, F, 4, 4)``, or None when its batch axes do not merge into one
    without a copy (e.g. a Fortran-ordered array with two batch axes)."""
    view = out.reshape((N,) + out.shape[out.ndim - 3 :])
    return view if not view.size or np.may_share_memory(view, out) else None  # no shared memory: reshape copied


def jacobian(
    robot: Robot,
    q: npt.ArrayLike,
    frame: Frame = "world",
    method: JacobianMethod = "analytic",
    link: str | None = None,
) -> np.ndarray:
    """Geometric Jacobian ``J`` with ``[v; ω] = J q̇``.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        frame: ``"world"`` (default) or ``"local"`` (alias ``"tool"``): the frame the twist is expressed in.
        method: ``"analytic"`` (closed form from the joint axes), ``"forward"`` / ``"reverse"``
            (forward- / reverse-mode AD through ``fk``), or ``"numeric"`` (central differences).
        link: The frame whose twist is meant (default: the robot's one end effector, see :func:`fk`).

    Returns:
        ``(..., 6, n)``: rows ``[v; ω]`` (linear velocity of the link origin [m/s per unit q̇], then angular
        velocity [rad/s per unit q̇]), one column per coordinate of q: zero for joints off the root → link
        path, and a mimic joint's column added to its leader's times the multiplier (chain rule).

    Raises:
        ShapeError: bad ``q``, a Jacobian beyond the largest float (huge prismatic values), or
            ``method="numeric"`` with a ``|q|`` above :data:`NUMERIC_Q_LIMIT` (no digits left for a central
            difference).
        OptionError: unknown ``frame``, ``method`` or ``link``.
    """
    validation.choice(frame, "frame", FRAMES)
    validation.choice(method, "method", JACOBIAN_METHODS)
    q2, batch = validation.joint_batch(robot, q)
    path = robot.link_path(link)
    local = frame != "world"
    if method == "numeric" and q2.size and np.abs(q2).max() > NUMERIC_Q_LIMIT:
        j = int(np.argmax(np.abs(q2).max(axis=0)))
        raise ShapeError(
            f"q[..., {j}] = {q2[np.argmax(np.abs(q2[:, j])), j]:g} is too large for method='numeric': central "
            f"differences with a step of {NUMERIC_STEP:g} lose every digit beyond |q| = {NUMERIC_Q_LIMIT:g} "
            "(expected |q| <= that; method='analytic', 'forward' or 'reverse' take any finite q)"
        )

    def kernel(x: Any) -> Any:
        if path.chain is None:
            return np.zeros((x.shape[0], 6, robot.n))
        if method == "analytic":
            return path_jacobian(path, x, frame)
        if method == "numeric":
            J = path_fold(path, _jacobian_numeric(path.chain, path.q_path(x)))
        else:
            J = _jacobian_ad_path(path, x, method)
        return _to_tool_frame(J, path_top(path, x)[:, :, :3]) if local else J

    return _finite_of_q(robot, _blocked(kernel, q2, (6, robot.n)), "Jacobian", q2, batch)


def hessian(
    robot: Robot,
    q: npt.ArrayLike,
    frame: Frame = "world",
    method: HessianMethod = "analytic",
    link: str | None = None,
) -> np.ndarray:
    """Kinematic Hessian: ``H[..., i, :, j] = ∂J[..., :, j] / ∂q_i``.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        frame: ``"world"`` or ``"tool"`` (the Jacobian that is differentiated).
        method: ``"analytic"`` (closed form from the joint axes), or ``"forward"`` / ``"reverse"``: AD of
            the analytic Jacobian's code.
        link: The frame (default: the robot's one end effector). Mimic joints fold into their leaders on
            both indices: ``H = foldᵀ H_path fold``.

    Returns:
        ``(..., n, 6, n)``.

    Raises:
        ShapeError: bad ``q``, or a Hessian beyond the largest float (huge prismatic values).
        OptionError: unknown ``frame``, ``method`` or ``link``.
    """
    validation.choice(frame, "frame", FRAMES)
    validation.choice(method, "method", HESSIAN_METHODS)
    q2, batch = validation.joint_batch(robot, q)
    path = robot.link_path(link)
    chain = path.chain
    n = robot.n
    from . import autodiff

    def kernel(x: Any) -> Any:
        if chain is None:
            return np.zeros((x.shape[0], n, 6, n))
        if method == "analytic":
            x_path = path.q_path(x)
            H = _hessian_analytic(chain, x_path)
            if frame != "world":
                T, J = pose_and_jacobian(chain, x_path)
                H = _hessian_to_tool(H, J, T[:, :, :3])
            if path.identity:
                return H
            return np.einsum("ki,Nkal,lj->Niaj", path.fold, H, path.fold)
        jac = autodiff.jacfwd if method == "forward" else autodiff.jacrev
        dJ = jac(lambda y: path_jacobian(path, y, frame), batch_ndim=1)(x)  # (N, 6, n_j, n_i)
        return np.transpose(dJ, (0, 3, 1, 2))

    return _finite_of_q(robot, _blocked(kernel, q2, (n, 6, n)), "Hessian", q2, batch)


def jacobian_dot(
    robot: Robot, q: npt.ArrayLike, qd: npt.ArrayLike, frame: Frame = "world", link: str | None = None
) -> np.ndarray:
    """Time derivative of the Jacobian along a joint velocity: ``J̇ = Σ_i H[i] q̇_i``.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        qd: ``(..., n)`` joint velocities [rad/s, m/s], broadcast against ``q``.
        frame: ``"world"`` or ``"local"`` (alias ``"tool"``).
        link: The frame (default: the robot's one end effector).

    Returns:
        ``(..., 6, n)``; ``J̇ q̇ + J q̈`` is the link's spatial acceleration ``[a; α]``.

    Raises:
        ShapeError: bad ``q`` or ``qd``, batch shapes that do not broadcast, or a ``J̇`` beyond the largest
            float (huge speeds or prismatic values). OptionError: bad ``frame``.
    """
    validation.choice(frame, "frame", FRAMES)
    q, qd = _joint_pair(robot, q, qd, "qd")
    H = hessian(robot, q, frame=frame, link=link)
    Jd = np.einsum("...ikj,...i->...kj", H, qd)
    return validation.finite_result(Jd, "Jacobian derivative", ("q", q, 1), ("qd", qd, 1), batch_ndim=qd.ndim - 1)


def _joint_pair(robot: Robot, q: npt.ArrayLike, qd: npt.ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``q`` and ``qd`` ``(..., n)`` checked and broadcast to their common batch shape (ShapeError naming both)."""
    q = validation.joint_vector(robot, q, "q")
    qd = validation.joint_vector(robot, qd, name)
    batch = validation.broadcast_batch(("q", q, 1), (name, qd, 1))
    return np.broadcast_to(q, batch + (robot.n,)), np.broadcast_to(qd, batch + (robot.n,))


def manipulability_gradient(
    robot: Robot, q: npt.ArrayLike, rows: str | Sequence[int] = "all", link: str | None = None
) -> np.ndarray:
    """Gradient of Yoshikawa's manipulability ``w(q)`` by reverse-mode AD.

    ``w`` is the product of the singular values of ``J_r``, the world Jacobian restricted to ``rows``:
    ``√det(J_r J_rᵀ)`` when ``J_r`` has no more rows than columns, ``√det(J_rᵀ J_r)`` otherwise (a 4-joint
    SCARA's 6 rows). The derivative flows through the analytic Jacobian's code and the determinant
    (Jacobi's formula). At a singular configuration ``w`` has a kink (``√`` of a zero) and a minimum
    (``w >= 0``); there the gradient is 0, a subgradient, wherever ``det`` is ``<= 0`` as computed.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        rows: ``"all"``, ``"translation"``, ``"rotation"`` or row indices of J.
        link: The frame (default: the robot's one end effector).

    Returns:
        ``(..., n)`` ``∂w/∂q``.

    Raises:
        ShapeError: bad ``q``, or a ``q`` whose ``det(J Jᵀ)`` or gradient overflows (huge prismatic values).
    """
    from . import autodiff

    idx = validation.row_indices(rows)
    q2, batch = validation.joint_batch(robot, q)
    path = robot.link_path(link)
    if path.chain is None:
        return np.zeros(batch + (robot.n,))

    wide = len(idx) <= robot.n

    def gram_det(x: Any) -> Any:
        J = path_jacobian(path, x)[:, idx, :]
        Jt = np.swapaxes(J, -1, -2)
        return np.linalg.det(J @ Jt if wide else Jt @ J)

    def w(x: Any) -> Any:
        return np.sqrt(gram_det(x))

    with np.errstate(over="ignore", invalid="ignore"):
        gram = gram_det(q2)
    # The AD rule of √ divides by √det: an overflowing det(J Jᵀ) would turn the gradient into NaN.
    gram = _finite_of_q(robot, gram, "Gram determinant det(J Jᵀ)", q2, batch, bounded=False).reshape(-1)
    singular = gram <= 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # 1 / √0 at the singular ones, replaced below
        grad = autodiff.jacrev(w, batch_ndim=1)(q2)
    grad = np.where(singular[:, None], 0.0, grad)
    return _finite_of_q(robot, grad, "manipulability gradient", q2, batch, bounded=False)


def tool_twist(robot: Robot, q: npt.ArrayLike, qd: npt.ArrayLike, link: str | None = None) -> np.ndarray:
    """The tool's twist ``[v; ω]`` (world frame) for joint velocities ``qd``, by one forward-mode JVP of ``fk``.

    This is ``J q̇`` without forming ``J``: the JVP pushes ``q̇`` through the pose, giving ``Ṫ``, and
    ``v = ṗ``, ``ω = vee(Ṙ Rᵀ)``.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        qd: ``(..., n)`` joint velocities [rad/s, m/s], broadcast against ``q``.
        link: The frame (default: the robot's one end effector).

    Returns:
        ``(..., 6)`` ``[v; ω]`` [m/s, rad/s], ``...`` the broadcast batch shape of ``q`` and ``qd``.

    Raises:
        ShapeError: bad ``q`` or ``qd``, batch shapes that do not broadcast, or a twist beyond the largest
            float (huge speeds or prismatic values).
    """
    from . import autodiff

    q, qd = _joint_pair(robot, q, qd, "qd")
    batch = q.shape[:-1]
    q2, qd2 = q.reshape(-1, robot.n), qd.reshape(-1, robot.n)
    path = robot.link_path(link)
    if path.chain is None:
        return np.zeros(batch + (6,))
    T, T_dot = autodiff.jvp(lambda x: path_top(path, x), q2, qd2)  # (N, 3, 4) each
    w = vee(T_dot[:, :3, :3] @ np.swapaxes(T[:, :3, :3], -1, -2))
    twist = np.concatenate([T_dot[:, :3, 3], w], axis=-1).reshape(batch + (6,))
    return validation.finite_result(twist, "tool twist", ("q", q, 1), ("qd", qd, 1), batch_ndim=len(batch))


def joint_torques(robot: Robot, q: npt.ArrayLike, wrench: npt.ArrayLike, link: str | None = None) -> np.ndarray:
    """Joint torques/forces ``τ = Jᵀ F`` with which the arm exerts the wrench F at the tool, by one VJP of ``fk``.

    The wrench ``F = [f; m]`` (force at the tool origin and moment, world frame) is the cotangent of the pose:
    power ``fᵀ v + mᵀ ω`` equals ``⟨T̄, Ṫ⟩`` with ``T̄[:3, 3] = f`` and ``T̄[:3, :3] = ½ [m]× R`` (because
    ``mᵀ vee(Ṙ Rᵀ) = ½ ⟨[m]× R, Ṙ⟩``), so pulling ``T̄`` back through ``fk`` gives ``Jᵀ F`` without forming J.

    Args:
        robot: The robot.
        q: ``(..., n)`` joint values [rad, m].
        wrench: ``(..., 6)`` ``[f; m]`` [N, N·m], world frame: the force the tool exerts at its origin and
            the moment (to hold a load of mass m, ``f = [0, 0, m g]``).
        link: The frame where the wrench acts (default: the robot's one end effector).

    Returns:
        ``(..., n)`` joint torques [N·m] (revolute) and forces [N] (prismatic); ``...`` the broadcast batch
        shape of ``q`` and ``wrench``.

    Raises:
        ShapeError: bad ``q`` or ``wrench``, batch shapes that do not broadcast, or torques beyond the
            largest float (a huge wrench or prismatic values).
    """
    from . import autodiff
    from .spatial import skew

    q = validation.joint_vector(robot, q)
    F = validation.vectors(wrench, "wrench", 6, " [f; m]")
    batch = validation.broadcast_batch(("q", q, 1), ("wrench", F, 1))
    q2 = np.broadcast_to(q, batch + (robot.n,)).reshape(-1, robot.n)
    wrench_batch = F
    F = np.broadcast_to(F, batch + (6,)).reshape(-1, 6)
    path = robot.link_path(link)
    if path.chain is None:
        return np.zeros(batch + (robot.n,))
    T, pullback = autodiff.vjp(lambda x: path_top(path, x), q2)
    T_bar = np.zeros_like(T)
    T_bar[:, :3, 3] = F[:, :3]
    T_bar[:, :3, :3] = 0.5 * skew(F[:, 3:]) @ T[:, :3, :3]
    tau = np.asarray(pullback(T_bar)).reshape(batch + (robot.n,))
    return validation.finite_result(
        tau, "joint torque", ("q", q, 1), ("wrench", wrench_batch, 1), batch_ndim=len(batch)
    )
