"""Batched SE(3)/SO(3) functions on plain arrays: builders, rpy, skew/vee, exp/log, inverse, adjoint, pose error.

Every function takes leading batch axes and broadcasts like NumPy. Rotations are ``(..., 3, 3)``, rigid
transforms ``(..., 4, 4)`` with last row ``[0, 0, 0, 1]``, translations ``(..., 3)`` in metres, angles in
radians. Twists and errors use robokin's row order ``[v; ω]`` (linear first, then angular).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import OptionError

__all__ = [
    "rot_x",
    "rot_y",
    "rot_z",
    "rot_axis",
    "trans",
    "transform",
    "rpy_to_matrix",
    "matrix_to_rpy",
    "skew",
    "vee",
    "so3_exp",
    "so3_log",
    "matrix_to_quaternion",
    "quaternion_to_matrix",
    "inverse",
    "adjoint",
    "pose_error",
]

# Below this rotation angle [rad] the Taylor branches of exp/log are used; keeps derivatives finite.
SMALL_ANGLE = 1e-8
# so3_exp of a rotation vector with a component of this size [rad] or more goes through its unit axis: θ² and
# [w]×² of the direct formula would overflow (1e154² > 1.8e308).
HUGE_ANGLE = 2.0**500
# Gimbal-lock threshold on cos(pitch) for matrix_to_rpy.
GIMBAL_COS = 1e-12
# so3_log reads the rotation axis from the symmetric part of R when |vee(R − Rᵀ)|·2 = 2 sin θ is below this
# (θ within about 0.005 rad of π): the skew part's axis has a relative error of about 1e-16 / (2 sin θ), under
# 1e-13 above it (see so3_log).
HALF_TURN_SKEW = 1e-2
# The same bound on the trace: 2 sin θ < HALF_TURN_SKEW with cos θ < 0 ⇔ tr R = 1 + 2 cos θ below this.
_HALF_TURN_TRACE = 1.0 - 2.0 * np.sqrt(1.0 - (HALF_TURN_SKEW / 2.0) ** 2)
# Flat indices (row-major 3x3) of the pairs in vee(R − Rᵀ)·2 = [R21 − R12, R02 − R20, R10 − R01].
_SKEW_PAIRS = np.array([7, 2, 3, 5, 6, 1])
_TINY = np.finfo(float).tiny


def _c_s(angle: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(angle, dtype=float)
    return np.cos(a), np.sin(a)


def rot_x(angle: npt.ArrayLike) -> np.ndarray:
    """Rotation about x by ``angle`` [rad], shape ``(..., 3, 3)``."""
    c, s = _c_s(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([o, z, z, z, c, -s, z, s, c], axis=-1).reshape(c.shape + (3, 3))


def rot_y(angle: npt.ArrayLike) -> np.ndarray:
    """Rotation about y by ``angle`` [rad], shape ``(..., 3, 3)``."""
    c, s = _c_s(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([c, z, s, z, o, z, -s, z, c], axis=-1).reshape(c.shape + (3, 3))


def rot_z(angle: npt.ArrayLike) -> np.ndarray:
    """Rotation about z by ``angle`` [rad], shape ``(..., 3, 3)``."""
    c, s = _c_s(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([c, -s, z, s, c, z, z, z, o], axis=-1).reshape(c.shape + (3, 3))


def rot_axis(axis: npt.ArrayLike, angle: npt.ArrayLike) -> np.ndarray:
    """Rotation by ``angle`` [rad] about the unit ``axis`` (..., 3) (Rodrigues' formula), ``(..., 3, 3)``."""
    return so3_exp(np.asarray(axis, dtype=float) * np.asarray(angle, dtype=float)[..., None])


def transform(
    R: npt.ArrayLike | None = None, p: npt.ArrayLike | None = None, *, rpy: npt.ArrayLike | None = None
) -> np.ndarray:
    """Rigid transform ``(..., 4, 4)`` from a rotation and a translation ``p`` ``(..., 3)`` [m].

    The rotation is ``R`` ``(..., 3, 3)``, or fixed-axis roll-pitch-yaw ``rpy`` ``(..., 3)`` [rad]
    (``R = Rz(yaw) Ry(pitch) Rx(roll)``, as URDF's ``<origin rpy>``); identity when neither is given.
    ``transform(p=[0, 0, 0.1], rpy=[0, 0, np.pi / 2])`` is a tool 10 cm along z turned a quarter about it.

    Raises:
        OptionError: both ``R`` and ``rpy`` given.
    """
    if rpy is not None:
        if R is not None:
            raise OptionError("transform takes the rotation as R or as rpy, not both")
        R = rpy_to_matrix(rpy)
    R = np.eye(3) if R is None else np.asarray(R, dtype=float)
    p = np.zeros(3) if p is None else np.asarray(p, dtype=float)
    batch = np.broadcast_shapes(R.shape[:-2], p.shape[:-1])
    T = np.zeros(batch + (4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = p
    T[..., 3, 3] = 1.0
    return T


def trans(x: float = 0.0, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    """Pure translation by ``(x, y, z)`` [m] as a ``(4, 4)`` transform."""
    return transform(p=[x, y, z])


def rpy_to_matrix(rpy: npt.ArrayLike) -> np.ndarray:
    """Rotation from URDF roll-pitch-yaw (fixed axes): ``R = Rz(yaw) Ry(pitch) Rx(roll)``.

    Args:
        rpy: ``(..., 3)`` roll, pitch, yaw [rad].

    Returns:
        ``(..., 3, 3)`` rotation.
    """
    rpy = np.asarray(rpy, dtype=float)
    return rot_z(rpy[..., 2]) @ rot_y(rpy[..., 1]) @ rot_x(rpy[..., 0])


def matrix_to_rpy(R: npt.ArrayLike) -> np.ndarray:
    """Roll, pitch, yaw ``(..., 3)`` [rad] with ``R = Rz(yaw) Ry(pitch) Rx(roll)``; pitch in [-π/2, π/2].

    At gimbal lock (``|cos pitch| < GIMBAL_COS``) roll is set to 0 and the whole turn is given to yaw.
    """
    R = np.asarray(R, dtype=float)
    cos_p = np.hypot(R[..., 0, 0], R[..., 1, 0])
    pitch = np.arctan2(-R[..., 2, 0], cos_p)
    locked = cos_p < GIMBAL_COS
    roll = np.where(locked, 0.0, np.arctan2(R[..., 2, 1], R[..., 2, 2]))
    yaw = np.where(locked, np.arctan2(-R[..., 0, 1], R[..., 1, 1]), np.arctan2(R[..., 1, 0], R[..., 0, 0]))
    return np.stack([roll, pitch, yaw], axis=-1)


def skew(w: npt.ArrayLike) -> np.ndarray:
    """The matrix ``[w]×`` ``(..., 3, 3)`` with ``[w]× v = w × v`` for ``w`` of shape ``(..., 3)``."""
    w = np.asarray(w)
    z = np.zeros_like(w[..., 0])
    x, y, zz = w[..., 0], w[..., 1], w[..., 2]
    return np.stack([z, -zz, y, zz, z, -x, -y, x, z], axis=-1).reshape(w.shape[:-1] + (3, 3))


def vee(W: Any) -> Any:
    """The vector ``(..., 3)`` of a skew-symmetric ``(..., 3, 3)`` matrix (its skew part, averaged).

    ``vee(skew(w)) == w``. Written with indexing and stacking only, so it also runs on autodiff values.
    """
    return 0.5 * np.stack(
        [W[..., 2, 1] - W[..., 1, 2], W[..., 0, 2] - W[..., 2, 0], W[..., 1, 0] - W[..., 0, 1]], axis=-1
    )


def so3_exp(w: npt.ArrayLike) -> np.ndarray:
    """Rotation ``exp([w]×)`` ``(..., 3, 3)`` of a rotation vector ``w`` ``(..., 3)`` [rad] (Rodrigues)."""
    w = np.asarray(w, dtype=float)
    huge = np.abs(w).max(axis=-1, initial=0.0) >= HUGE_ANGLE
    if huge.any():  # rare: those rotation vectors by their unit axes, the others as usual
        R = so3_exp(np.where(huge[..., None], 0.0, w))
        R[huge] = _so3_exp_huge(w[huge])
        return R
    theta = np.linalg.norm(w, axis=-1)
    small = theta < SMALL_ANGLE
    safe = np.where(small, 1.0, theta)
    # sin θ/θ and (1 - cos θ)/θ², with their Taylor series below SMALL_ANGLE.
    a = np.where(small, 1.0 - theta**2 / 6.0, np.sin(safe) / safe)
    b = np.where(small, 0.5 - theta**2 / 24.0, (1.0 - np.cos(safe)) / safe**2)
    K = skew(w)
    return np.eye(3) + a[..., None, None] * K + b[..., None, None] * (K @ K)


def _so3_exp_huge(w: np.ndarray) -> np.ndarray:
    """:func:`so3_exp` of rotation vectors ``(N, 3)`` with a component of ``HUGE_ANGLE`` or more (θ² and [w]×² of
    the direct formula would overflow).

    ``R = I + sin θ [u]× + (1 − cos θ) [u]×²`` with the unit axis ``u``, ``θ = |w|`` taken of ``w`` scaled by a
    power of two (exact); the angle itself is used as it is (any finite angle has a sine and a cosine).
    """
    _, exponent = np.frexp(np.abs(w).max(axis=-1, keepdims=True))
    scaled = np.ldexp(w, -exponent)  # (..., 3), largest component in [0.5, 1)
    norm = np.linalg.norm(scaled, axis=-1, keepdims=True)
    zero = norm == 0.0
    u = scaled / np.where(zero, 1.0, norm)
    with np.errstate(over="ignore"):  # θ past the largest float: the norm of 1e308 components (then inf)
        theta = np.ldexp(norm, exponent)[..., 0]
    # A θ that overflows is a float's worth of turns anyway: use the largest float, a definite angle.
    theta = np.minimum(theta, np.finfo(float).max)
    K = skew(u)
    return np.eye(3) + np.sin(theta)[..., None, None] * K + (1.0 - np.cos(theta))[..., None, None] * (K @ K)


def matrix_to_quaternion(R: npt.ArrayLike) -> np.ndarray:
    """Unit quaternion ``(..., 4)`` as ``[w, x, y, z]`` with ``w >= 0`` of a rotation ``(..., 3, 3)``.

    Shepperd's method (J. Guidance and Control 1(3), 1978): the component with the largest magnitude is
    found from the diagonal first, so no division by a small number happens anywhere, a half turn included.
    """
    R = np.asarray(R, dtype=float)
    r00, r11, r22 = R[..., 0, 0], R[..., 1, 1], R[..., 2, 2]
    tr = r00 + r11 + r22
    d = np.stack([tr, r00, r11, r22], axis=-1)
    pick = np.argmax(d, axis=-1)[..., None]
    # 4 * (largest component)², for each of the four cases.
    big = np.sqrt(
        np.maximum(np.stack([1 + tr, 1 + r00 - r11 - r22, 1 - r00 + r11 - r22, 1 - r00 - r11 + r22], axis=-1), 0.0)
    )
    s21, s02, s10 = R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]
    a01, a02, a12 = R[..., 0, 1] + R[..., 1, 0], R[..., 0, 2] + R[..., 2, 0], R[..., 1, 2] + R[..., 2, 1]
    cand = np.stack(
        [
            np.stack([big[..., 0] ** 2, s21, s02, s10], axis=-1),
            np.stack([s21, big[..., 1] ** 2, a01, a02], axis=-1),
            np.stack([s02, a01, big[..., 2] ** 2, a12], axis=-1),
            np.stack([s10, a02, a12, big[..., 3] ** 2], axis=-1),
        ],
        axis=-2,
    )  # (..., 4 cases, 4 components), each = 2 * big * quaternion
    q = np.take_along_axis(cand, pick[..., None], axis=-2)[..., 0, :]
    q = q / (2.0 * np.take_along_axis(big, pick, axis=-1))
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_to_matrix(quat: npt.ArrayLike) -> np.ndarray:
    """Rotation ``(..., 3, 3)`` of a quaternion ``(..., 4)`` ``[w, x, y, z]`` (normalised first)."""
    quat = np.asarray(quat, dtype=float)
    w, x, y, z = np.moveaxis(quat / np.linalg.norm(quat, axis=-1, keepdims=True), -1, 0)
    return np.stack(
        [
            1 - 2 * (y * y + z * z),
            2 * (x * y - w * z),
            2 * (x * z + w * y),
            2 * (x * y + w * z),
            1 - 2 * (x * x + z * z),
            2 * (y * z - w * x),
            2 * (x * z - w * y),
            2 * (y * z + w * x),
            1 - 2 * (x * x + y * y),
        ],
        axis=-1,
    ).reshape(quat.shape[:-1] + (3, 3))


def so3_log(R: npt.ArrayLike) -> np.ndarray:
    """Rotation vector ``w`` ``(..., 3)`` [rad], ``|w| <= π``, with ``so3_exp(w) == R``, accurate at every angle.

    With the skew part ``v = vee(R − Rᵀ)·2 = 2 sin θ a`` (``a`` the unit axis) and ``tr R − 1 = 2 cos θ``,
    the angle is ``θ = atan2(|v|, tr R − 1)``, accurate over the whole range (unlike ``arccos``, which loses
    half the digits near 0 and near π), and ``w = θ v/|v|`` (``θ/|v| → 1/2`` as θ → 0, to rounding). The
    axis ``v/|v|`` loses precision as ``sin θ → 0`` near a half turn (relative error about ``ε/|v|``), so
    there (``|v| < HALF_TURN_SKEW``) it is read from the symmetric part instead,
    ``(R + Rᵀ)/2 − cos θ I = (1 − cos θ) a aᵀ``: its column with the largest diagonal entry (at least
    ``(1 − cos θ)/3``, never small), normalised and signed like ``v``; the same largest-component idea as
    Shepperd's method in :func:`matrix_to_quaternion`. At exactly π both ``±π a`` are logs of ``R``.
    """
    R = np.asarray(R, dtype=float)
    batch = R.shape[:-2]
    r = R.reshape(-1, 9)  # row-major: r[:, 3 i + j] = R[i, j]
    pairs = r.take(_SKEW_PAIRS, axis=1)  # (N, 6)
    v = pairs[:, :3] - pairs[:, 3:]  # (N, 3) = 2 sin θ a
    tr = r[:, 0] + r[:, 4] + r[:, 8]  # 1 + 2 cos θ
    two_s = np.sqrt(np.add.reduce(v * v, axis=1))  # 2 sin θ >= 0
    theta = np.arctan2(two_s, tr - 1.0)
    # θ / (2 sin θ) → 1/2 as θ → 0, correctly rounded; at v = 0 (θ = 0 exactly) w = 0 · v = 0.
    w = (theta / np.maximum(two_s, _TINY))[:, None] * v
    # Rare: |v| < HALF_TURN_SKEW and cos θ < 0, within 0.005 rad of π.
    if tr.size and np.minimum.reduce(tr) < _HALF_TURN_TRACE:
        near = np.flatnonzero(tr < _HALF_TURN_TRACE)
        Rn = R.reshape(-1, 3, 3)[near]
        cos = 0.5 * (tr[near] - 1.0)
        B = 0.5 * (Rn + np.swapaxes(Rn, -1, -2)) - cos[:, None, None] * np.eye(3)  # (1 − cos θ) a aᵀ
        k = np.argmax(np.diagonal(B, axis1=-2, axis2=-1), axis=-1)
        axis = B[np.arange(near.size), :, k]  # (F, 3) its column k, (1 − cos θ) a_k a
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        signed = np.where(np.einsum("ij,ij->i", axis, v[near]) < 0.0, -theta[near], theta[near])
        w[near] = signed[:, None] * axis
    return w.reshape(batch + (3,))


def inverse(T: npt.ArrayLike) -> np.ndarray:
    """Inverse ``(..., 4, 4)`` of a rigid transform: ``[Rᵀ, -Rᵀ p]``."""
    T = np.asarray(T, dtype=float)
    Rt = np.swapaxes(T[..., :3, :3], -1, -2)
    return transform(Rt, -(Rt @ T[..., :3, 3:])[..., 0])


def adjoint(T: npt.ArrayLike) -> np.ndarray:
    """Adjoint ``(..., 6, 6)`` mapping twists ``[v; ω]`` from frame b to frame a for ``T = T_a_b``.

    ``Ad = [[R, [p]× R], [0, R]]``.
    """
    T = np.asarray(T, dtype=float)
    R, p = T[..., :3, :3], T[..., :3, 3]
    Z = np.zeros_like(R)
    return np.concatenate([np.concatenate([R, skew(p) @ R], axis=-1), np.concatenate([Z, R], axis=-1)], axis=-2)


def pose_error(T_target: npt.ArrayLike, T: npt.ArrayLike) -> np.ndarray:
    """Error twist ``(..., 6)`` ``[p* - p; log(R* Rᵀ)]`` from ``T`` to ``T_target``, world frame [m, rad]."""
    T_target = np.asarray(T_target, dtype=float)
    T = np.asarray(T, dtype=float)
    dp = T_target[..., :3, 3] - T[..., :3, 3]
    dR = T_target[..., :3, :3] @ np.swapaxes(T[..., :3, :3], -1, -2)
    return np.concatenate([dp, so3_log(dR)], axis=-1)
