"""Inverse kinematics by damped least squares: a pure step, a thin batched loop, and :class:`IKResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from . import _checks, spatial
from .errors import OptionError, ShapeError
from .kinematics import _cross, _poses
from .singularity import characteristic_length, task_rows

if TYPE_CHECKING:  # pragma: no cover
    from .model import Chain, Robot

__all__ = ["IKOptions", "IKResult", "solve", "dls_step", "POSITION_ONLY", "DAMPING_SCHEMES"]

Damping = Literal["sugihara", "chan", "lm"]
DAMPING_SCHEMES: tuple[str, ...] = ("sugihara", "chan", "lm")
WEIGHTS_FRAMES: tuple[str, ...] = ("world", "target")

# Task weights [x, y, z, rx, ry, rz] for a position-only task (orientation free).
POSITION_ONLY: tuple[float, ...] = (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)

# Rotation errors whose cos(angle) is below this (angle above 120 deg) take their axis from the symmetric
# part of R*Rᵀ; below it the skew part gives it accurately (sin(angle) >= 0.87).
_FAST_LOG_MIN_COS = -0.5
# The damping multiplier that ends an attempt: after this many rejected steps the point is a local
# minimum of the error for every practical purpose.
_MU_MAX = 1e8
# Passes of the clamping loop (joints at a limit leave the step one group at a time).
_CLAMP_PASSES = 3
# starts=None: a small batch runs several starts per target side by side (rows cost little next to the
# per-iteration overhead); at least _AUTO_ROWS rows, at most _AUTO_STARTS_MAX starts per target.
_AUTO_ROWS = 8
_AUTO_STARTS_MAX = 8
# Restarts: while fewer than _TOPUP_ROWS rows are active, each unsolved target gets up to that many
# rows in total (at most _TOPUP_MAX), so the last hard targets of a batch, or a single target, try
# several random starts at once instead of one after the other.
_TOPUP_ROWS = 16
_TOPUP_MAX = 16


@dataclass(frozen=True)
class IKOptions:
    """Settings of :func:`solve`; the defaults suit arms of about a metre.

    The defaults were chosen by measurement (1000 random reachable targets from random starts, Panda,
    UR5, iiwa14, Puma 560; mean iterations per target over all attempts): ``"lm"`` 45 / 43 / 26 / 62,
    ``"chan"`` 48 / 54 / 22 / 49, ``"sugihara"`` 45 / 57 / 23 / 49 (and 99.8 % solved on the UR5, the others
    100 %); 20 iterations per attempt cost 5-15 % fewer iterations than 30.

    Attributes:
        position_tolerance: Converged when the position error is at most this [m] (default 1e-6 m) ...
        rotation_tolerance: ... and the rotation error at most this [rad] (default 1e-6 rad).
        max_iterations: Iterations per attempt before a restart from a new random configuration.
        max_restarts: Random restarts per target after the first attempt(s); 0 for a local solve only.
        damping: How the damping λ of ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` is chosen: ``"sugihara"``
            (``λ = E + bias``, E = ½ eᵀWe; Sugihara, IEEE T-RO 27(5), 2011), ``"chan"`` (``λ = E``, Chan &
            Lawrence, ICRA 1988) or ``"lm"`` (default; Levenberg–Marquardt: λ adapted by the gain ratio
            of each step, Madsen, Nielsen & Tingleff, "Methods for non-linear least squares problems",
            DTU 2004, sec. 3.2). In every scheme a step that does not lower E is rejected and λ grows
            until one does.
        damping_bias: ``"sugihara"`` only: the constant added to λ (Sugihara's w̄_N), which keeps
            ``JJᵀ + λI`` well conditioned at singular configurations.
        max_step: Step-length guard: the largest change of one joint per iteration [rad or m]; a longer
            step is scaled down as a whole (its direction is kept).
        weights: Task weights ``(6,)`` for the error rows ``[x, y, z, rx, ry, rz]``; 0 frees a component
            (``POSITION_ONLY`` frees the orientation). A free component does not count for convergence.
        weights_frame: Frame of the weighted components: ``"world"``, or ``"target"`` (the target's own
            axes, e.g. ``weights=(1, 1, 1, 1, 1, 0)`` with ``"target"`` leaves the rotation about the
            target's z axis free).
        rest: Null-space preference for redundant tasks: ``"q0"`` (stay near the start), ``"middle"``
            (middle of the joint ranges, away from the limits), a joint vector ``(n,)``, or None.
        nullspace_gain: Gain k of the preference ``z = k (q_rest − q)``, applied as the bias of the
            regularised step ``min ‖J Δq − e‖² + λ‖Δq − z‖²``; 0 (default) disables it. About 0.5 works;
            small gains slow convergence (the damped step lets part of z leak into the task).
        starts: Starts run side by side per target: q0 and ``starts − 1`` random ones. None (default):
            1 for batches of 8 or more targets, up to 8 for fewer (extra rows cost little next to the
            per-iteration overhead of a small batch).
        finish: ``"first"`` (default): a target is done at the first iteration one of its starts
            converges; ``"all"``: every start runs its attempt to the end, and among the solutions the
            one nearest ``q0`` is returned.
        singularity_threshold: ``near_singularity`` is reported when the smallest inverse condition
            number seen along the accepted iterates falls below this (default 1e-2: σ_min is under 1 %
            of σ_max).
    """

    position_tolerance: float = 1e-6
    rotation_tolerance: float = 1e-6
    max_iterations: int = 20
    max_restarts: int = 100
    damping: Damping = "lm"
    damping_bias: float = 1e-3
    max_step: float = 0.5
    weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    weights_frame: Literal["world", "target"] = "world"
    rest: Literal["q0", "middle"] | tuple[float, ...] | None = "q0"
    nullspace_gain: float = 0.0
    starts: int | None = None
    finish: Literal["first", "all"] = "first"
    singularity_threshold: float = 1e-2

    def __post_init__(self) -> None:
        for name in ("position_tolerance", "rotation_tolerance", "damping_bias", "max_step"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise OptionError(f"IKOptions.{name} must be a positive finite number, got {value!r}")
        for name in ("nullspace_gain", "singularity_threshold"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise OptionError(f"IKOptions.{name} must be a finite number >= 0, got {value!r}")
        for name, low in (("max_iterations", 1), ("max_restarts", 0), ("starts", 1)):
            value = getattr(self, name)
            if name == "starts" and value is None:
                continue
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise OptionError(f"IKOptions.{name} must be an integer >= {low}, got {value!r}")
        _checks.choice(self.damping, "IKOptions.damping", DAMPING_SCHEMES)
        _checks.choice(self.finish, "IKOptions.finish", ("first", "all"))
        _checks.choice(self.weights_frame, "IKOptions.weights_frame", WEIGHTS_FRAMES)
        w = np.asarray(self.weights, dtype=float) if _is_numbers(self.weights) else None
        if w is None or w.shape != (6,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise OptionError(
                f"IKOptions.weights must be 6 finite numbers >= 0, not all 0, for [x, y, z, rx, ry, rz]; "
                f"got {self.weights!r}"
            )
        object.__setattr__(self, "weights", tuple(float(v) for v in w))
        if isinstance(self.rest, str):
            _checks.choice(self.rest, "IKOptions.rest", ("q0", "middle"))
        elif self.rest is not None:
            if not _is_numbers(self.rest) or np.asarray(self.rest, dtype=float).ndim != 1:
                raise OptionError(f"IKOptions.rest must be 'q0', 'middle', None or a joint vector, got {self.rest!r}")
            object.__setattr__(self, "rest", tuple(float(v) for v in self.rest))


def _is_numbers(value) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True, eq=False)
class IKResult:
    """The answer of :func:`solve` for a batch of targets ``(...)``; every array is read-only.

    Attributes:
        q: ``(..., n)`` the solution [rad, m], within the joint limits; when ``success`` is False, the
            configuration of the closest pose found.
        success: ``(...)`` bool, both errors within tolerance.
        position_error: ``(...)`` ``‖p* − p‖`` at ``q`` [m], over the position components the task
            constrains (weight > 0, in ``weights_frame``).
        rotation_error: ``(...)`` ``‖log(R* Rᵀ)‖`` at ``q`` [rad], over the constrained rotation
            components (0 for a position-only task).
        iterations: ``(...)`` int, iterations over all attempts (each one Jacobian and one 6×6 solve).
        restarts: ``(...)`` int, random starts used besides ``q0`` (side-by-side starts included).
        min_inverse_condition: ``(...)`` smallest ``σ_min/σ_max`` seen at the accepted iterates of the
            attempt that gave ``q`` (1 is isotropic, 0 singular), by
            :func:`robokin.singularity.inverse_condition` of the unit-free task Jacobian
            ``[v/L; ω]`` over :func:`robokin.singularity.task_rows` (L: ``characteristic_length``).
        near_singularity: ``(...)`` bool, ``min_inverse_condition < options.singularity_threshold``.
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray
    min_inverse_condition: np.ndarray
    near_singularity: np.ndarray

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = np.array(getattr(self, name))
            value.setflags(write=False)
            object.__setattr__(self, name, value)


# --------------------------------------------------------------------------------------------- the step
def dls_step(J: np.ndarray, e: np.ndarray, lam: npt.ArrayLike, z: np.ndarray | None = None) -> np.ndarray:
    """One damped-least-squares step ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − J z)``, batched.

    This is the minimiser of ``‖J Δq − e‖² + λ‖Δq − z‖²`` (Tikhonov regularisation about ``z``); with
    ``z = 0`` it is the classic ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` (Wampler, IEEE T-SMC 16(1), 1986; Nakamura &
    Hanafusa, J. Dyn. Sys. Meas. Control 108, 1986), and as ``λ → 0`` for a redundant ``J`` it tends to
    ``J⁺e + (I − J⁺J) z``: ``z`` acts in the null space only. One ``m × m`` solve, never an inverse.

    Args:
        J: ``(N, m, n)`` task Jacobian (weighted rows).
        e: ``(N, m)`` task error.
        lam: ``(N,)`` damping λ > 0 (λ is the squared damping factor of the DLS literature).
        z: ``(N, n)`` preferred joint motion, or None.

    Returns:
        ``(N, n)`` the joint step.
    """
    Jt = np.swapaxes(J, -1, -2)
    A = J @ Jt  # (N, m, m)
    m = A.shape[-1]
    A[:, np.arange(m), np.arange(m)] += np.asarray(lam)[:, None]
    rhs = e if z is None else e - (J @ z[..., None])[..., 0]
    dq = (Jt @ np.linalg.solve(A, rhs[..., None]))[..., 0]
    return dq if z is None else dq + z


# --------------------------------------------------------------------------------------------- kernels
def _pose_and_jacobian(chain: "Chain", q: np.ndarray):
    """Position ``(N, 3)``, ``Rᵀ`` ``(N, 3, 3)`` and world Jacobian ``(N, 6, n)`` from one kernel pass.

    The same closed form as ``kinematics._jacobian_analytic`` (revolute: ``[z_i × (p − p_i); z_i]``,
    prismatic: ``[z_i; 0]``), sharing the pose that kernel computes on the way.
    """
    T, Z, P = _poses(chain, q, with_axes=True)  # (N, 4, 4), (n, 3, N), (n, 3, N)
    p = T[:, :3, 3]
    revolute = chain.revolute
    J_v = _cross(Z, p.T - P)  # (n, 3, N)
    if revolute.all():
        J = np.concatenate([J_v, Z], axis=1)
    else:
        rev = revolute[:, None, None]
        J = np.concatenate([np.where(rev, J_v, Z), Z * rev], axis=1)
    return p, np.swapaxes(T[:, :3, :3], -1, -2), np.transpose(J, (2, 1, 0))


def _rotation_error(R_target: np.ndarray, Rt: np.ndarray) -> np.ndarray:
    """``log(R* Rᵀ)`` ``(N, 3)`` [rad], accurate at every angle up to a half turn included.

    With ``D = R* Rᵀ``, ``cos θ = (tr D − 1)/2`` and the skew part ``v = vee(D − Dᵀ) = 2 sin θ a``; the
    angle is ``θ = atan2(|v|/2, cos θ)`` (accurate everywhere). The axis ``a = v/|v|`` loses precision as
    ``sin θ → 0`` near a half turn, so beyond 120° it is taken from the symmetric part instead,
    ``(D + Dᵀ)/2 − cos θ I = (1 − cos θ) a aᵀ`` (its largest column, signed like ``v``), the same
    idea as Shepperd's largest-component choice in :func:`robokin.spatial.matrix_to_quaternion`.
    """
    D = R_target @ Rt
    v = np.stack([D[:, 2, 1] - D[:, 1, 2], D[:, 0, 2] - D[:, 2, 0], D[:, 1, 0] - D[:, 0, 1]], axis=-1)
    c = 0.5 * (D[:, 0, 0] + D[:, 1, 1] + D[:, 2, 2] - 1.0)
    two_s = np.sqrt(v[:, 0] ** 2 + v[:, 1] ** 2 + v[:, 2] ** 2)  # 2 sin θ
    theta = np.arctan2(0.5 * two_s, c)
    # θ / (2 sin θ) → 1/2 as θ → 0 (the next term, θ²/12, is below rounding for 2 sin θ < 1e-8).
    scale = np.where(two_s > 1e-8, theta / np.maximum(two_s, 1e-300), 0.5)
    w = scale[:, None] * v
    far = c < _FAST_LOG_MIN_COS
    if far.any():
        Df = D[far]
        B = 0.5 * (Df + np.swapaxes(Df, -1, -2)) - c[far, None, None] * np.eye(3)  # (1 − cos θ) a aᵀ
        k = np.argmax(np.diagonal(B, axis1=-2, axis2=-1), axis=-1)
        axis = np.take_along_axis(B, k[:, None, None], axis=-1)[..., 0]  # (F, 3), a column of a aᵀ
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        sign = np.where(np.einsum("ij,ij->i", axis, v[far]) < 0.0, -1.0, 1.0)
        w[far] = (sign * theta[far])[:, None] * axis
    return w


def _first_per_target(t: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions (into ``t``) of the row with the smallest ``key`` for each distinct target in ``t``."""
    order = np.lexsort((key, t))
    ts = t[order]
    first = np.ones(ts.shape, dtype=bool)
    first[1:] = ts[1:] != ts[:-1]
    return order[first]


# --------------------------------------------------------------------------------------------- the loop
@dataclass
class _Problem:
    """Everything the loop reads, flattened to ``M`` targets and validated."""

    chain: "Chain"
    lower: np.ndarray  # (n,)
    upper: np.ndarray  # (n,)
    revolute: np.ndarray  # (n,) bool
    p_target: np.ndarray  # (M, 3)
    R_target: np.ndarray  # (M, 3, 3)
    q0: np.ndarray  # (M, n), within the limits
    q_rest: np.ndarray | None  # (M, n)
    options: IKOptions
    starts: int
    rng: np.random.Generator
    cond_rows: np.ndarray  # task rows of J for the inverse condition number
    cond_scale: np.ndarray  # (len(cond_rows), n) unit-free scaling of those rows
    weights: np.ndarray = field(init=False)  # (6,)
    free: np.ndarray = field(init=False)  # (6,) bool: weight 0

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.options.weights)
        self.free = self.weights == 0

    def sample(self, t: np.ndarray) -> np.ndarray:
        """Random configurations ``(len(t), n)`` within the limits for targets ``t``.

        Limited joints are uniform over their range; an unlimited revolute joint over one turn
        [-π, π); an unlimited prismatic joint over ±1 m about q0 (never wrapped).
        """
        lo, hi = self.lower, self.upper
        span_lo = np.where(self.revolute, -np.pi, self.q0[t] - 1.0)
        span_hi = np.where(self.revolute, np.pi, self.q0[t] + 1.0)
        lo = np.where(np.isfinite(lo), lo, span_lo)
        hi = np.where(np.isfinite(hi), hi, span_hi)
        return lo + (hi - lo) * self.rng.random((t.shape[0], self.lower.shape[0]))

    def wrap_near(self, q: np.ndarray, q_ref: np.ndarray) -> np.ndarray:
        """Each revolute joint moved by whole turns to the value nearest ``q_ref`` within its limits."""
        shifted = q_ref + (q - q_ref + np.pi) % (2.0 * np.pi) - np.pi
        shifted = np.where(shifted > self.upper, shifted - 2.0 * np.pi, shifted)
        shifted = np.where(shifted < self.lower, shifted + 2.0 * np.pi, shifted)
        ok = self.revolute & (shifted >= self.lower) & (shifted <= self.upper)
        return np.where(ok, shifted, q)

    def evaluate(self, t: np.ndarray, q: np.ndarray):
        """Task error, errors and Jacobian at ``q`` ``(A, n)`` for targets ``t`` ``(A,)``.

        Returns:
            ``e_w`` ``(A, 6)`` weighted error, ``J_w`` ``(A, 6, n)`` weighted Jacobian, ``J`` ``(A, 6, n)``
            the plain world Jacobian, and the position [m] and rotation [rad] errors ``(A,)`` over the
            constrained components.
        """
        p, Rt, J = _pose_and_jacobian(self.chain, q)
        e = np.concatenate([self.p_target[t] - p, _rotation_error(self.R_target[t], Rt)], axis=1)  # (A, 6)
        J_s = J
        if self.options.weights_frame == "target":  # components along the target's axes: R*ᵀ e, R*ᵀ J
            RtT = np.swapaxes(self.R_target[t], -1, -2)
            e = np.concatenate([(RtT @ e[:, :3, None])[..., 0], (RtT @ e[:, 3:, None])[..., 0]], axis=1)
            J_s = np.concatenate([RtT @ J[:, :3], RtT @ J[:, 3:]], axis=1)
        e_task = np.where(self.free, 0.0, e) if self.free.any() else e
        sq = e_task * e_task
        pos_err = np.sqrt(sq[:, 0] + sq[:, 1] + sq[:, 2])
        rot_err = np.sqrt(sq[:, 3] + sq[:, 4] + sq[:, 5])
        if np.all(self.weights == 1.0):
            return e, J_s, J, pos_err, rot_err
        return self.weights * e, self.weights[:, None] * J_s, J, pos_err, rot_err



class _ConditionLog:
    """The smallest inverse condition number of J per attempt, computed in bulk.

    The Jacobians of accepted iterates are buffered with the id of their attempt and sent to
    :func:`robokin.singularity.inverse_condition` a few thousand at a time (one batched SVD instead of one
    small call per iteration).
    """

    FLUSH_ROWS = 4096

    def __init__(self, rows: np.ndarray, scale: np.ndarray) -> None:
        self.rows, self.scale = rows, scale
        self.minimum = np.full(64, np.inf)  # by attempt id
        self.ids: list[np.ndarray] = []
        self.jacobians: list[np.ndarray] = []
        self.size = 0

    def add(self, ids: np.ndarray, J: np.ndarray) -> None:
        self.ids.append(ids)
        self.jacobians.append(J)
        self.size += ids.shape[0]
        if self.size >= self.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.size:
            return
        from .singularity import inverse_condition

        ids = np.concatenate(self.ids)
        J = np.concatenate(self.jacobians)[:, self.rows] * self.scale
        if ids.max() >= self.minimum.shape[0]:
            grown = np.full(2 * int(ids.max()) + 1, np.inf)
            grown[: self.minimum.shape[0]] = self.minimum
            self.minimum = grown
        np.minimum.at(self.minimum, ids, inverse_condition(J))
        self.ids, self.jacobians, self.size = [], [], 0

    def of(self, ids: np.ndarray) -> np.ndarray:
        self.flush()
        valid = ids >= 0
        out = np.full(ids.shape, np.nan)
        safe = np.where(valid, ids, 0)
        if self.minimum.shape[0] <= safe.max(initial=0):
            return out
        out[valid] = self.minimum[safe[valid]]
        return out


def _run(pb: _Problem):
    """The thin loop: every active row (one start of one target) iterates in one set of array operations.

    A row evaluates pose, error and Jacobian once per pass (a restarted row's first pass only evaluates);
    a step that does not lower ``E = ½‖e_w‖²`` is rejected and the damping grows. A row ends when it
    converges, or when its attempt fails (``max_iterations``, or the damping grew past ``_MU_MAX``: a
    local minimum), and then restarts from a random configuration while its target has restarts left.
    """
    opts = pb.options
    M, n = pb.q0.shape
    # Per-target answer.
    success = np.zeros(M, dtype=bool)
    best_q = pb.q0.copy()
    best_key = np.full(M, np.inf)  # distance to q0 once successful, E before
    best_pe = np.full(M, np.inf)
    best_re = np.full(M, np.inf)
    best_aid = np.full(M, -1)  # attempt that gave best_q
    conditions = _ConditionLog(pb.cond_rows, pb.cond_scale)
    iterations = np.zeros(M, dtype=int)
    restarts = np.zeros(M, dtype=int)
    # Active rows: the first start of each target is q0, the others random.
    t = np.repeat(np.arange(M), pb.starts)
    q = pb.q0[t]
    if pb.starts > 1:
        others = np.arange(t.shape[0]) % pb.starts != 0
        q[others] = pb.sample(t[others])
        restarts += min(pb.starts - 1, opts.max_restarts)
        keep_rows = (np.arange(t.shape[0]) % pb.starts) <= opts.max_restarts
        t, q = t[keep_rows], q[keep_rows]
    A = t.shape[0]
    e = np.zeros((A, 6))
    J_w = np.zeros((A, 6, n))
    E = np.full(A, np.inf)
    mu = np.ones(A)
    nu = np.full(A, 2.0)
    it = np.zeros(A, dtype=int)
    fresh = np.ones(A, dtype=bool)  # q not evaluated yet: this pass evaluates instead of stepping
    pe = np.full(A, np.inf)
    re = np.full(A, np.inf)
    aid = np.arange(A)  # attempt id of each row
    next_aid = A
    gain = opts.nullspace_gain if pb.q_rest is not None else 0.0
    scheme = opts.damping
    lower, upper = pb.lower, pb.upper
    first_wins = opts.finish == "first"

    while t.shape[0]:
        # ---- the step from the accepted state
        if scheme == "sugihara":  # λ = E + w̄_N (Sugihara 2011, eq. 22-23)
            lam = mu * (E + opts.damping_bias)
        elif scheme == "chan":  # λ = α E (Chan & Lawrence 1988)
            lam = mu * E + 1e-12
        else:
            lam = mu.copy()
        lam[fresh] = 1.0
        z = gain * (pb.q_rest[t] - q) if gain else None
        dq = dls_step(J_w, e, lam, z)
        # Joints at a limit that the step pushes outward are taken out of the task and the step solved
        # again for the others, a few passes (the clamping loop of Baerlocher & Boulic, The Visual
        # Computer 20(6), 2004): unlike plain clipping, the free joints take over the blocked motion.
        blocked = None
        for _ in range(_CLAMP_PASSES):
            push = ((q >= upper) & (dq > 0.0)) | ((q <= lower) & (dq < 0.0))
            if blocked is not None:
                push &= ~blocked
            rows = np.flatnonzero(push.any(axis=1))
            if not rows.size:
                break
            blocked = push if blocked is None else blocked | push
            free = ~blocked[rows]
            dq[rows] = free * dls_step(
                J_w[rows] * free[:, None, :], e[rows], lam[rows], None if z is None else z[rows] * free
            )
        # Step-length guard: the largest joint change at most max_step, direction kept.
        longest = np.abs(dq).max(axis=1)
        too_long = longest > opts.max_step
        if too_long.any():
            dq[too_long] *= (opts.max_step / longest[too_long])[:, None]
        dq[fresh] = 0.0
        q_new = np.clip(q + dq, lower, upper)
        # ---- evaluate the candidate: one kernel pass for pose and Jacobian
        e_new, J_w_new, J_new, pe_new, re_new = pb.evaluate(t, q_new)
        E_new = 0.5 * np.einsum("ij,ij->i", e_new, e_new)
        accept = fresh | (E_new < E)
        # ---- damping update
        if scheme == "lm":
            # Gain ratio ρ = actual / predicted decrease of E for the step taken (Madsen, Nielsen &
            # Tingleff, "Methods for non-linear least squares problems", DTU 2004, eq. 3.13 and 3.16).
            r = e - (J_w @ (q_new - q)[:, :, None])[..., 0]
            predicted = E - 0.5 * np.einsum("ij,ij->i", r, r)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                rho = np.clip((E - E_new) / predicted, -1.0, 1.0)
            mu = np.where(accept, mu * np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), mu * nu)
            nu = np.where(accept, 2.0, 2.0 * nu)
            if fresh.any():  # μ₀ = τ max diag(JᵀJ), τ = 1e-3 (ibid., eq. 3.14)
                colsq = np.einsum("ijk,ijk->ik", J_w_new[fresh], J_w_new[fresh])
                mu[fresh] = np.maximum(1e-3 * colsq.max(axis=1), 1e-12)
        else:
            mu = np.where(accept, np.maximum(1.0, 0.25 * mu), 4.0 * mu)
        # ---- accept
        if accept.all():
            q, e, E, J_w, pe, re = q_new, e_new, E_new, J_w_new, pe_new, re_new
            conditions.add(aid, J_new)
        else:
            q = np.where(accept[:, None], q_new, q)
            e = np.where(accept[:, None], e_new, e)
            E = np.where(accept, E_new, E)
            J_w = np.where(accept[:, None, None], J_w_new, J_w)
            pe = np.where(accept, pe_new, pe)
            re = np.where(accept, re_new, re)
            if accept.any():
                conditions.add(aid[accept], J_new[accept])
        it += ~fresh
        fresh[:] = False
        # ---- finished rows
        converged = (pe <= opts.position_tolerance) & (re <= opts.rotation_tolerance)
        failed = ~converged & ((it >= opts.max_iterations) | (mu > _MU_MAX))
        done = converged | failed
        if not done.any():
            continue
        if first_wins and converged.any():  # the other starts of a solved target stop with it
            solved_now = np.zeros(M, dtype=bool)
            solved_now[t[converged]] = True
            done |= solved_now[t]
            failed &= ~solved_now[t]
        t_all = t
        idx = np.flatnonzero(done)
        np.add.at(iterations, t[idx], it[idx])
        if converged.any():  # among solutions, the one nearest q0
            rows = np.flatnonzero(converged)
            tc = t[rows]
            q_wrapped = pb.wrap_near(q[rows], pb.q0[tc])
            dist = np.linalg.norm(q_wrapped - pb.q0[tc], axis=1)
            pick = _first_per_target(tc, dist)
            tp, rp = tc[pick], rows[pick]
            better = ~success[tp] | (dist[pick] < best_key[tp])
            pick, tp, rp = pick[better], tp[better], rp[better]
            success[tp] = True
            best_key[tp] = dist[pick]
            best_q[tp] = q_wrapped[pick]
            best_pe[tp], best_re[tp], best_aid[tp] = pe[rp], re[rp], aid[rp]
        if failed.any():  # keep the closest pose (smallest E) while nothing converged
            rows = np.flatnonzero(failed)
            tf = t[rows]
            pick = _first_per_target(tf, E[rows])
            tp, rp = tf[pick], rows[pick]
            better = ~success[tp] & (E[rp] < best_key[tp])
            tp, rp = tp[better], rp[better]
            best_key[tp] = E[rp]
            best_q[tp] = pb.wrap_near(q[rp], pb.q0[tp])
            best_pe[tp], best_re[tp], best_aid[tp] = pe[rp], re[rp], aid[rp]
        # ---- restarts: the failed rows leave; every unsolved target still in play (active rows, or a
        # failed row and restarts left) is topped up with random starts, more of them per target when
        # few targets remain (extra rows cost little next to the per-pass overhead).
        keep = ~done
        t, q, e, E, J_w = t[keep], q[keep], e[keep], E[keep], J_w[keep]
        mu, nu, it, fresh, pe, re, aid = mu[keep], nu[keep], it[keep], fresh[keep], pe[keep], re[keep], aid[keep]
        current = np.bincount(t, minlength=M)
        budget = np.where(success, 0, opts.max_restarts - restarts)
        in_play = ~success & (current > 0)
        t_failed = t_all[failed]
        in_play[t_failed] |= budget[t_failed] > 0
        n_play = int(in_play.sum())
        if not n_play:
            continue
        per_target = min(_TOPUP_MAX, max(1, -(-_TOPUP_ROWS // n_play)))
        new = np.clip(np.where(in_play, per_target - current, 0), 0, budget)
        if new.any():
            t_new = np.repeat(np.arange(M), new)
            restarts += new
            k = t_new.shape[0]
            t = np.concatenate([t, t_new])
            q = np.concatenate([q, pb.sample(t_new)])
            e = np.concatenate([e, np.zeros((k, 6))])
            E = np.concatenate([E, np.full(k, np.inf)])
            J_w = np.concatenate([J_w, np.zeros((k, 6, n))])
            mu = np.concatenate([mu, np.ones(k)])
            nu = np.concatenate([nu, np.full(k, 2.0)])
            it = np.concatenate([it, np.zeros(k, dtype=int)])
            fresh = np.concatenate([fresh, np.ones(k, dtype=bool)])
            pe = np.concatenate([pe, np.full(k, np.inf)])
            re = np.concatenate([re, np.full(k, np.inf)])
            aid = np.concatenate([aid, np.arange(next_aid, next_aid + k)])
            next_aid += k
    return best_q, success, best_pe, best_re, iterations, restarts, conditions.of(best_aid)


# --------------------------------------------------------------------------------------------- public API
def solve(
    robot: "Robot",
    T_target: npt.ArrayLike,
    q0: npt.ArrayLike | None = None,
    *,
    options: IKOptions | None = None,
    seed: int | np.random.Generator | None = None,
) -> IKResult:
    """Inverse kinematics: joint values that put the tool at ``T_target``, batched.

    Damped least squares ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − Jz)`` (see :func:`dls_step`) with the world-frame
    error ``e = [p* − p; log(R* Rᵀ)]`` (rows ``[v; ω]`` like J), adaptive damping (``options.damping``),
    a step-length guard, every iterate projected into the joint limits, and random restarts within the
    limits when an attempt stalls. Every target of a batch, and every restart, is a row of the same array
    operations; finished rows leave the batch.

    Args:
        robot: The robot.
        T_target: ``(4, 4)`` or ``(..., 4, 4)`` target poses ``T_world_tool``.
        q0: ``(n,)`` or ``(..., n)`` start [rad, m] (broadcast against the targets; moved into the limits
            if outside). Default: the middle of each joint's range (0 where unlimited). Among several
            solutions the one nearest ``q0`` is returned, and revolute joints are moved by whole turns
            to the value nearest ``q0`` within their limits.
        options: :class:`IKOptions`; default ``IKOptions()`` (tolerances 1e-6 m and 1e-6 rad).
        seed: Seed or ``numpy.random.Generator`` for the random restarts; None means seed 0, so a call
            is reproducible.

    Returns:
        :class:`IKResult` with batch shape ``...`` of ``T_target``. Not converging is a result
        (``success=False`` with the closest pose found), never an exception.

    Raises:
        ShapeError: ``T_target`` or ``q0`` has a wrong shape or a non-finite value.
        ConventionError: ``T_target`` is not a rigid transform.
        OptionError: ``options`` is not an :class:`IKOptions` or its ``rest`` has the wrong length.
    """
    options = IKOptions() if options is None else options
    if not isinstance(options, IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    T = _checks.transforms(T_target, "T_target")
    batch = T.shape[:-2]
    T2 = T.reshape(-1, 4, 4)
    n = robot.n
    lower, upper = (np.array(a) for a in robot.limits.T)
    revolute = np.array(robot.joint_types) == "revolute"
    finite = np.isfinite(lower) & np.isfinite(upper)
    middle = np.where(finite, 0.5 * (np.where(finite, lower, 0.0) + np.where(finite, upper, 0.0)), 0.0)
    middle = np.clip(middle, lower, upper)
    if q0 is None:
        q_start = np.broadcast_to(middle, batch + (n,))
    else:
        q0 = _checks.joint_vector(robot, q0, "q0")
        try:
            q_start = np.broadcast_to(q0, batch + (n,))
        except ValueError:
            raise ShapeError(
                f"q0 of shape {q0.shape} does not broadcast against T_target's batch shape {batch} "
                f"(expected (n,) = ({n},) or {batch + (n,)})"
            ) from None
        q_start = np.clip(q_start, lower, upper)
    q_start = np.array(q_start.reshape(-1, n))
    if options.rest is None or options.nullspace_gain == 0:
        q_rest = None
    elif options.rest == "q0":
        q_rest = q_start
    elif options.rest == "middle":
        q_rest = np.broadcast_to(middle, q_start.shape)
    else:
        rest = np.asarray(options.rest)
        if rest.shape != (n,):
            raise OptionError(f"IKOptions.rest must have {n} values for robot {robot.name!r}, got {rest.shape[0]}")
        q_rest = np.broadcast_to(rest, q_start.shape)
    L = characteristic_length(robot)
    rows = list(task_rows(robot))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(0 if seed is None else seed)
    problem = _Problem(
        chain=robot.chain,
        lower=lower,
        upper=upper,
        revolute=revolute,
        p_target=T2[:, :3, 3],
        R_target=np.ascontiguousarray(T2[:, :3, :3]),
        q0=q_start,
        q_rest=q_rest,
        options=options,
        starts=options.starts or max(1, min(_AUTO_STARTS_MAX, -(-_AUTO_ROWS // T2.shape[0]))),
        rng=rng,
        cond_rows=np.array(rows),
        cond_scale=(np.where(np.arange(6) < 3, 1.0 / L, 1.0)[rows][:, None] * np.where(revolute, 1.0, L)),
    )
    q, success, pe, re, iterations, restarts, cmin = _run(problem)
    return IKResult(
        q=q.reshape(batch + (n,)),
        success=success.reshape(batch),
        position_error=pe.reshape(batch),
        rotation_error=re.reshape(batch),
        iterations=iterations.reshape(batch),
        restarts=restarts.reshape(batch),
        min_inverse_condition=cmin.reshape(batch),
        near_singularity=(cmin < options.singularity_threshold).reshape(batch),
    )
