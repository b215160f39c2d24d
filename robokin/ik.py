"""Inverse kinematics by damped least squares: a pure step, a thin batched loop, and :class:`IKResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from . import _checks, spatial
from .errors import OptionError, ShapeError
from .kinematics import _pose_and_jacobian
from .singularity import characteristic_length, inverse_condition, task_rows

if TYPE_CHECKING:  # pragma: no cover
    from .model import Chain, Robot

__all__ = ["IKOptions", "IKResult", "solve", "dls_step", "POSITION_ONLY", "DAMPING_SCHEMES"]

Damping = Literal["sugihara", "chan", "lm"]
DAMPING_SCHEMES: tuple[str, ...] = ("sugihara", "chan", "lm")
WEIGHTS_FRAMES: tuple[str, ...] = ("world", "target")

# Task weights [x, y, z, rx, ry, rz] for a position-only task (orientation free).
POSITION_ONLY: tuple[float, ...] = (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)

# The damping multiplier that ends an attempt: after this many rejected steps the point is a local
# minimum of the error for every practical purpose.
_MU_MAX = 1e8
# Floor of the damping λ [m² for arms of about a metre]: JJᵀ + λI stays invertible in double precision
# (its rounding is about 1e-16 |J|²) when J loses rank, e.g. with several joints at a limit taken out of
# the task, while the step changes by a relative 1e-10 at most where J has full rank.
_LAMBDA_MIN = 1e-10
_TAU = 1e-2
_TINY = np.finfo(float).tiny
_ACTIVE_SET = True
_RESOLVE = True
# starts=None: a small batch runs several starts per target side by side (rows cost little next to the
# per-iteration overhead); at least _AUTO_ROWS rows, at most _AUTO_STARTS_MAX starts per target.
_AUTO_ROWS = 8
_AUTO_STARTS_MAX = 8
# Restarts: while fewer than _TOPUP_ROWS rows are active, each unsolved target gets up to that many
# rows in total (at most _TOPUP_MAX), so the last hard targets of a batch, or a single target, try
# several random starts at once instead of one after the other.
_TOPUP_ROWS = 8


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
    max_step: float = 1.0
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
    return _dls(J, e, np.asarray(lam), z, None)


def _dls(J: np.ndarray, e: np.ndarray, lam: np.ndarray, z: np.ndarray | None, free: np.ndarray | None):
    """:func:`dls_step` with only the ``free`` joints ``(N, n)`` bool in the task (all when None).

    The step of the free joints is that of ``J`` with the other columns zeroed (and ``z`` zeroed there);
    the other joints get ``z + Jᵀy`` with the same multiplier ``y = (J_f J_fᵀ + λI)⁻¹(e − J_f z_f)``: the
    motion the task asks of them, which tells whether a joint held at a limit wants to leave it.
    """
    Jt = np.swapaxes(J, -1, -2)
    if free is None:
        J_f, z_f = J, z
    else:
        J_f = J * free[:, None, :]
        z_f = None if z is None else z * free
    A = J_f @ np.swapaxes(J_f, -1, -2)  # (N, m, m)
    A.reshape(A.shape[0], -1)[:, :: A.shape[-1] + 1] += lam[:, None]  # + λI, on the diagonal in place
    rhs = e if z_f is None else e - (J_f @ z_f[..., None])[..., 0]
    dq = (Jt @ np.linalg.solve(A, rhs[..., None]))[..., 0]
    return dq if z is None else dq + z


# --------------------------------------------------------------------------------------------- the loop
def _first_per_target(t: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions (into ``t``) of the row with the smallest ``key`` for each distinct target in ``t``."""
    order = np.lexsort((key, t))
    ts = t[order]
    first = np.ones(ts.shape, dtype=bool)
    first[1:] = ts[1:] != ts[:-1]
    return order[first]


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
    weights: np.ndarray = field(init=False)  # (6,)
    error_rows: np.ndarray = field(init=False)  # (6, 2): sums the constrained position / rotation squares
    sample_lo: np.ndarray = field(init=False)  # (n,) or (M, n)
    sample_span: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.options.weights)
        constrained = self.weights > 0
        self.error_rows = np.zeros((6, 2))
        self.error_rows[:3, 0] = constrained[:3]
        self.error_rows[3:, 1] = constrained[3:]
        # Limited joints are uniform over their range; an unlimited revolute joint over one turn [-π, π);
        # an unlimited prismatic joint over ±1 m about q0.
        lo, hi = self.lower, self.upper
        if np.all(np.isfinite(lo) & np.isfinite(hi)):
            self.sample_lo, self.sample_span = lo, hi - lo
        else:
            lo = np.where(np.isfinite(lo), lo, np.where(self.revolute, -np.pi, self.q0 - 1.0))
            hi = np.where(np.isfinite(hi), hi, np.where(self.revolute, np.pi, self.q0 + 1.0))
            self.sample_lo, self.sample_span = lo, hi - lo

    def sample(self, t: np.ndarray) -> np.ndarray:
        """Random configurations ``(len(t), n)`` within the limits for targets ``t``."""
        lo, span = self.sample_lo, self.sample_span
        if lo.ndim == 2:
            lo, span = lo[t], span[t]
        return lo + span * self.rng.random((t.shape[0], self.lower.shape[0]))

    def wrap_near(self, q: np.ndarray, q_ref: np.ndarray) -> np.ndarray:
        """Each revolute joint moved by whole turns to the value nearest ``q_ref`` within its limits."""
        shifted = q_ref + (q - q_ref + np.pi) % (2.0 * np.pi) - np.pi
        shifted = np.where(shifted > self.upper, shifted - 2.0 * np.pi, shifted)
        shifted = np.where(shifted < self.lower, shifted + 2.0 * np.pi, shifted)
        ok = self.revolute & (shifted >= self.lower) & (shifted <= self.upper)
        return np.where(ok, shifted, q)

    def evaluate(self, p_target: np.ndarray, R_target: np.ndarray, q: np.ndarray):
        """Task error and Jacobian at ``q`` ``(A, n)`` for targets ``p_target`` ``(A, 3)``, ``R_target`` ``(A, 3, 3)``.

        One kernel pass (:func:`robokin.kinematics._pose_and_jacobian`) gives pose and Jacobian.

        Returns:
            ``e_w`` ``(A, 6)`` weighted error, ``J_w`` ``(A, 6, n)`` weighted Jacobian, ``J`` ``(A, 6, n)``
            the plain world Jacobian, ``E = ½‖e_w‖²`` ``(A,)``, and the squared position [m²] and rotation
            [rad²] errors ``(A, 2)`` over the constrained components.
        """
        T, J = _pose_and_jacobian(self.chain, q)  # (A, 3, 4), (A, 6, n)
        e = np.empty((q.shape[0], 6))
        np.subtract(p_target, T[:, :, 3], out=e[:, :3])
        e[:, 3:] = spatial.so3_log(R_target @ np.swapaxes(T[:, :, :3], -1, -2))  # log(R* Rᵀ)
        J_s = J
        if self.options.weights_frame == "target":  # components along the target's axes: R*ᵀ e, R*ᵀ J
            RtT = np.swapaxes(R_target, -1, -2)
            e = (RtT[:, None] @ e.reshape(-1, 2, 3, 1)).reshape(-1, 6)
            J_s = (RtT[:, None] @ J.reshape(-1, 2, 3, J.shape[-1])).reshape(J.shape)
        errors = (e * e) @ self.error_rows  # (A, 2)
        if self.options.weights == (1.0,) * 6:
            return e, J_s, J, 0.5 * np.einsum("ij,ij->i", e, e), errors
        e_w = self.weights * e
        return e_w, self.weights[:, None] * J_s, J, 0.5 * np.einsum("ij,ij->i", e_w, e_w), errors


class _Rows:
    """The rows of the loop (one start of one target each), as parallel arrays.

    Rows restart in place; a row that ends for good is only marked dead (``alive``), and the arrays are
    compacted when a quarter of them are dead, so a pass never gathers every array because one row ended.
    ``fresh`` (a Python flag) says some rows hold a fresh start in ``q_new`` (their ``E`` is inf).
    """

    FIELDS = ("t", "p_target", "R_target", "q_rest", "q", "q_new", "e", "J", "E", "mu", "nu", "it", "pred",
              "blocked", "alive")

    def __init__(self, pb: _Problem, t: np.ndarray, q_new: np.ndarray) -> None:
        A, n = q_new.shape
        self.t = t
        self.p_target, self.R_target = pb.p_target[t], pb.R_target[t]
        self.q_rest = None if pb.q_rest is None else pb.q_rest[t]
        self.q, self.q_new = q_new.copy(), q_new
        self.e, self.J = np.zeros((A, 6)), np.zeros((A, 6, n))
        self.E = np.full(A, np.inf)  # inf: q_new is a fresh start, accepted whatever its error
        self.mu, self.nu, self.pred = np.ones(A), np.full(A, 2.0), np.ones(A)
        self.it = np.zeros(A, dtype=int)
        self.blocked = np.zeros((A, n), dtype=bool)  # joints held at a limit, out of the next step
        self.alive = np.ones(A, dtype=bool)
        self.fresh = True
        self.all_alive = True

    def take(self, keep: np.ndarray) -> None:
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value[keep])

    def extend(self, other: "_Rows") -> None:
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.concatenate([value, getattr(other, name)]))


def _run(pb: _Problem):
    """The thin loop: every row (one start of one target) iterates in one set of array operations.

    Each pass evaluates every row's candidate ``q_new`` once (one kernel call for pose and Jacobian), accepts
    it when it lowers ``E = ½‖e_w‖²`` (a fresh start always), adapts the damping, ends the rows that
    converged or failed, and takes the next damped step from every row's accepted state. A row's attempt
    fails after ``max_iterations`` steps or when its damping grew past ``_MU_MAX`` (a local minimum); it then
    restarts in place from a random configuration while its target has restarts left.

    Returns:
        Per target ``(M, ...)``: q, success, errors ``(M, 2)`` (position [m], rotation [rad]), iterations,
        restarts, and the plain world Jacobian at q ``(M, 6, n)``.
    """
    opts = pb.options
    M, n = pb.q0.shape
    # Per-target answer, filled in place by _finish.
    answer = _Answer(
        success=np.zeros(M, dtype=bool),
        q=pb.q0.copy(),
        key=np.full(M, np.inf),  # distance to q0 once successful, E before
        errors=np.full((M, 2), np.inf),  # squared position / rotation error at q (successful targets)
        J=np.zeros((M, 6, n)),  # plain world Jacobian at q (successful targets)
        iterations=np.zeros(M, dtype=int),
        restarts=np.zeros(M, dtype=int),
    )
    # Rows: the first start of each target is q0, the others random.
    starts = min(pb.starts, opts.max_restarts + 1)
    t = np.repeat(np.arange(M), starts)
    q_new = pb.q0[t]
    if starts > 1:
        others = np.arange(t.shape[0]) % starts != 0
        q_new[others] = pb.sample(t[others])
        answer.restarts += starts - 1
    # inf appears on purpose in E and ρ of fresh starts (E = inf) and is replaced at once.
    with np.errstate(invalid="ignore", over="ignore"):
        _loop(pb, _Rows(pb, t, q_new), answer)
    # Errors and Jacobians at q for the targets that did not converge (one kernel pass).
    fail = np.flatnonzero(~answer.success)
    if fail.size:
        _, _, answer.J[fail], _, answer.errors[fail] = pb.evaluate(pb.p_target[fail], pb.R_target[fail],
                                                                   answer.q[fail])
    return answer.q, answer.success, np.sqrt(answer.errors), answer.iterations, answer.restarts, answer.J


@dataclass
class _Answer:
    """The per-target answer of :func:`_run` ``(M, ...)``, filled in place as rows end."""

    success: np.ndarray
    q: np.ndarray
    key: np.ndarray
    errors: np.ndarray
    J: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray


def _loop(pb: _Problem, s: _Rows, answer: _Answer) -> None:
    """The passes of :func:`_run` until no row is left."""
    opts = pb.options
    lower, upper = pb.lower, pb.upper
    tol = np.array([opts.position_tolerance, opts.rotation_tolerance]) ** 2
    max_step = opts.max_step
    lm = opts.damping == "lm"
    gain = opts.nullspace_gain if pb.q_rest is not None else 0.0
    while True:
        # ---- evaluate every candidate: one kernel pass for pose and Jacobian
        e_new, J_new, J_plain, E_new, err_new = pb.evaluate(s.p_target, s.R_target, s.q_new)
        converged = (err_new <= tol).all(axis=1)
        accept = (E_new < s.E) | converged
        # ---- damping update (a fresh start has E = inf: accepted, its damping set below)
        if lm:
            # Gain ratio ρ = actual / predicted decrease of E (Madsen, Nielsen & Tingleff, "Methods for
            # non-linear least squares problems", DTU 2004, eq. 3.13 and 3.16): μ shrinks by up to 3 after
            # a good step and doubles, then quadruples, ... after each rejected one.
            rho = (s.E - E_new) / s.pred
            s.mu = s.mu * np.where(accept, np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), s.nu)
            s.nu = np.where(accept, 2.0, 2.0 * s.nu)
        else:
            s.mu = np.where(accept, np.maximum(1.0, 0.25 * s.mu), 4.0 * s.mu)
        s.it += 1
        if s.fresh:
            fresh = s.E == np.inf
            s.it[fresh] = 0
            s.blocked[fresh] = False
            if lm:  # μ₀ = τ max diag(JᵀJ) (ibid., eq. 3.14)
                mu0 = _TAU * np.einsum("ijk,ijk->ik", J_new, J_new).max(axis=1)
                s.mu = np.where(fresh, np.maximum(mu0, _LAMBDA_MIN), s.mu)
            else:
                s.mu[fresh] = 1.0
            s.fresh = False
        # ---- accept
        if accept.all():
            s.q, s.e, s.J, s.E = s.q_new, e_new, J_new, E_new
        else:
            s.q = np.where(accept[:, None], s.q_new, s.q)
            s.e = np.where(accept[:, None], e_new, s.e)
            s.J = np.where(accept[:, None, None], J_new, s.J)
            s.E = np.where(accept, E_new, s.E)
        # ---- rows that end: converged, or the attempt failed (too many steps, or a local minimum)
        failed = (s.it >= opts.max_iterations) | (s.mu > _MU_MAX)
        if converged.any() or failed.any():
            if not s.all_alive:
                converged &= s.alive
                failed &= s.alive
            if not _finish(pb, s, converged, failed & ~converged, J_plain, err_new, answer):
                return
        # ---- the damped step from every row's accepted state
        q = s.q
        if lm:
            lam = np.maximum(s.mu, _LAMBDA_MIN)
        elif opts.damping == "sugihara":  # λ = E + w̄_N (Sugihara 2011, eq. 22-23)
            lam = s.mu * (s.E + opts.damping_bias)
        else:  # λ = α E (Chan & Lawrence 1988)
            lam = np.maximum(s.mu * s.E, _LAMBDA_MIN)
        if s.fresh:  # rows restarted by _finish: their state is stale, any finite λ will do
            lam = np.where(s.E == np.inf, 1.0, lam)
        z = gain * (s.q_rest - q) if gain else None
        if _ACTIVE_SET:
            # Joints held at a limit (those the previous step pushed outward there) are taken out of the task
            # and the step solved for the others, so the free joints take over the blocked motion (the
            # clamping loop of Baerlocher & Boulic, The Visual Computer 20(6), 2004, one pass per iteration:
            # the held set is updated from this step for the next one, an active-set strategy).
            held = s.blocked
            dq = _dls(s.J, s.e, lam, z, ~held if held.any() else None)  # held joints: the motion they want
            push = np.where(dq > 0.0, q >= upper, q <= lower)  # at a limit and pushed outward
            if _RESOLVE and (push & ~held).any():
                held = push
                dq = _dls(s.J, s.e, lam, z, ~held)
                push = np.where(dq > 0.0, q >= upper, q <= lower)
            dq[held] = 0.0
            s.blocked = push
        else:
            dq = dls_step(s.J, s.e, lam, z)
            push = ((q >= upper) & (dq > 0.0)) | ((q <= lower) & (dq < 0.0))
            if push.any():
                free = ~push
                dq = free * dls_step(s.J * free[:, None, :], s.e, lam, None if z is None else z * free)
        # Step-length guard: the largest joint change at most max_step, direction kept.
        dq *= (max_step / np.maximum(np.abs(dq).max(axis=1), max_step))[:, None]
        step_q = np.minimum(np.maximum(q + dq, lower), upper)  # projected into the limits
        if lm:  # predicted decrease of E for the step actually taken (after the guards), > 0 or ρ < 0
            r = s.e - (s.J @ (step_q - q)[:, :, None])[..., 0]
            s.pred = np.maximum(s.E - 0.5 * np.einsum("ij,ij->i", r, r), _TINY)
        if s.fresh:
            s.q_new = np.where((s.E == np.inf)[:, None], s.q_new, step_q)
        else:
            s.q_new = step_q


def _finish(pb: _Problem, s: _Rows, converged, failed, J_plain, err_new, answer: _Answer) -> bool:
    """Bookkeeping for the rows that converged or failed this pass; False when no row is left.

    A converged row offers its q (moved by whole turns to the value nearest q0) to its target, which keeps
    the one nearest q0; a failed row of an unsolved target offers its q as the closest pose while nothing
    converged (smallest E) and restarts in place while the target has restarts left. With
    ``finish="first"`` every row of a solved target ends with it.
    """
    opts = pb.options
    M = pb.q0.shape[0]
    t = s.t
    success = answer.success
    if converged.any():  # among solutions, the one nearest q0
        rows = np.flatnonzero(converged)
        tc = t[rows]
        q_wrapped = pb.wrap_near(s.q[rows], pb.q0[tc])
        dist = np.linalg.norm(q_wrapped - pb.q0[tc], axis=1)
        pick = _first_per_target(tc, dist) if rows.size > 1 else np.zeros(1, dtype=int)
        tp, rp = tc[pick], rows[pick]
        better = ~success[tp] | (dist[pick] < answer.key[tp])
        pick, tp, rp = pick[better], tp[better], rp[better]
        success[tp] = True
        answer.key[tp] = dist[pick]
        answer.q[tp] = q_wrapped[pick]
        answer.errors[tp] = err_new[rp]
        answer.J[tp] = J_plain[rp]
    ending = converged | failed
    if opts.finish == "first":  # the other starts of a solved target stop with it
        ending |= s.alive & success[t]
    failed = failed & ~success[t]
    restart = np.zeros_like(ending)
    if failed.any():
        rows = np.flatnonzero(failed)
        tf = t[rows]
        pick = _first_per_target(tf, s.E[rows])  # keep the closest pose (smallest E) while nothing converged
        tp, rp = tf[pick], rows[pick]
        better = s.E[rp] < answer.key[tp]
        tp, rp = tp[better], rp[better]
        answer.key[tp] = s.E[rp]
        answer.q[tp] = pb.wrap_near(s.q[rp], pb.q0[tp])
        # Restart in place while the target has restarts left (the k-th failed row of a target in this
        # pass needs k restarts left).
        order = np.argsort(tf, kind="stable")
        ts = tf[order]
        rank = np.arange(ts.shape[0]) - np.searchsorted(ts, ts)
        again = rows[order[rank < opts.max_restarts - answer.restarts[ts]]]
        if again.size:
            restart[again] = True
            answer.restarts += np.bincount(t[again], minlength=M)
            s.q_new = s.q_new.copy() if s.q_new is s.q else s.q_new
            s.q_new[again] = pb.sample(t[again])
            s.E = s.E.copy() if s.E is s.pred else s.E
            s.E[again] = np.inf
            s.nu[again] = 2.0
            s.fresh = True
    ending_rows = np.flatnonzero(ending)
    np.add.at(answer.iterations, t[ending_rows], s.it[ending_rows])
    if not restart.all():
        s.alive &= ~(ending & ~restart)
        s.all_alive = bool(s.alive.all())
    alive = int(s.alive.sum())
    if not alive:
        return False
    if 4 * (s.alive.shape[0] - alive) >= s.alive.shape[0]:
        s.take(s.alive)
        s.all_alive = True
    # Top-up: while fewer than _TOPUP_ROWS rows are alive (a single target, or the last hard targets of a
    # batch), every unsolved target still in play gets random starts up to that many rows (restarts
    # permitting), so the hard ones try several starts at once instead of one after the other.
    if alive < _TOPUP_ROWS:
        current = np.bincount(s.t[s.alive], minlength=M)
        in_play = ~success & (current > 0)
        per_target = max(1, _TOPUP_ROWS // max(1, int(in_play.sum())))
        new = np.clip(np.where(in_play, per_target - current, 0), 0, opts.max_restarts - answer.restarts)
        if new.any():
            t_new = np.repeat(np.arange(M), new)
            answer.restarts += new
            s.extend(_Rows(pb, t_new, pb.sample(t_new)))
            s.fresh = True
    return True


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
    rows = np.array(task_rows(robot))
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
        starts=options.starts or max(1, min(_AUTO_STARTS_MAX, _AUTO_ROWS // T2.shape[0])),
        rng=rng,
    )
    q, success, errors, iterations, restarts, J = _run(problem)
    # The singularity report at the answer: one batched SVD of the unit-free task Jacobian [v/L; ω].
    scale = np.where(np.arange(6) < 3, 1.0 / L, 1.0)[rows][:, None] * np.where(revolute, 1.0, L)
    cmin = inverse_condition(J[:, rows] * scale)
    return IKResult(
        q=q.reshape(batch + (n,)),
        success=success.reshape(batch),
        position_error=errors[:, 0].reshape(batch),
        rotation_error=errors[:, 1].reshape(batch),
        iterations=iterations.reshape(batch),
        restarts=restarts.reshape(batch),
        min_inverse_condition=cmin.reshape(batch),
        near_singularity=(cmin < options.singularity_threshold).reshape(batch),
    )
