"""Inverse kinematics by damped least squares: a pure step, a thin batched loop, and :class:`IKResult`."""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from . import _checks, spatial
from .errors import NoAnalyticSolutionError, OptionError, ShapeError
from .kinematics import _pose_and_jacobian
from .singularity import characteristic_length, inverse_condition, task_rows
from .ik_analytic import AnalyticFamily, IKSolutions, analytic_family, solve_all

if TYPE_CHECKING:  # pragma: no cover
    from .model import Chain, Robot

__all__ = [
    "IKOptions",
    "IKResult",
    "solve",
    "dls_step",
    "POSITION_ONLY",
    "DAMPING_SCHEMES",
    "METHODS",
    "IKSolutions",
    "AnalyticFamily",
    "analytic_family",
    "solve_all",
]

Damping = Literal["sugihara", "chan", "lm"]
Method = Literal["auto", "analytic", "dls"]
METHODS: tuple[str, ...] = ("auto", "analytic", "dls")
DAMPING_SCHEMES: tuple[str, ...] = ("sugihara", "chan", "lm")
WEIGHTS_FRAMES: tuple[str, ...] = ("world", "target")

# Task weights [x, y, z, rx, ry, rz] for a position-only task (orientation free).
POSITION_ONLY: tuple[float, ...] = (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)

# The damping multiplier that ends an attempt: after this many rejected steps the point is a local
# minimum of the error for every practical purpose.
_MU_MAX = 1e8
# "lm": μ₀ = _TAU · max diag(JᵀJ) at a fresh start (Madsen, Nielsen & Tingleff, "Methods for non-linear
# least squares problems", DTU 2004, eq. 3.14, which suggests 1e-6 to 1; 1e-2 converged fastest here).
_TAU = 1e-2
# ... except at a start from the seed table (see _SEED_TABLE), whose pose is already near the target: there
# a smaller μ₀, closer to the Gauss-Newton step, converged in fewer passes (single targets, 15 starts: mean
# passes 6.0 / 6.0 / 5.7 / 6.0 on the benchmark arms with 1e-3, 6.7 / 6.8 / 6.4 / 6.5 with 1e-2; 1e-4 was
# no better), while random starts did worse with it (batches: 40 vs 34 iterations on the Panda).
_TAU_SEEDED = 1e-3
# "lm": after an accepted step μ is divided by this (Marquardt's ÷3, ibid. eq. 3.15); after a rejected one
# it is multiplied by ν, and ν doubles (ibid. eq. 3.16). Measured as fast as the gain-ratio rule
# (ibid. eq. 3.13) on the benchmark arms, with fewer operations per pass.
_MU_DOWN = 3.0
# Floor of the damping λ [m² for arms of about a metre]: JJᵀ + λI stays invertible in double precision
# (its rounding is about 1e-16 |J|²) when J loses rank, e.g. with several joints at a limit taken out of
# the task, while the step changes by a relative 1e-10 at most where J has full rank.
_LAMBDA_MIN = 1e-10
# starts=None: a small batch runs several starts per target side by side from the first pass (up to
# _AUTO_ROWS rows, at most _AUTO_STARTS_MAX per target): below kinematics.SMALL_BATCH rows a pass costs
# nearly the same for 1 row as for 15, so extra starts are cheap and the first to converge wins. With
# nearest-pose seeds, 8 per target solved a single Panda target in a median 1.07 ms (15: 1.18 ms; 6 and 4
# about as fast as 8 but with 10 % and 40 % more passes on average on the benchmark arms, so a longer
# tail); 6, 8 and 15 all solved 1000 of 1000 targets per arm one at a time.
_AUTO_ROWS = 15
_AUTO_STARTS_MAX = 8
# Top-up: while fewer than _TOPUP_ROWS rows are alive (the last hard targets of a batch), every unsolved
# target in play gets new starts (as restarts: seeds, then random) up to that many rows, so they try several
# starts at once.
_TOPUP_ROWS = 64
# An attempt within _CLOSE times the tolerances (E below ½ _CLOSE² (tol_p² + tol_r²)) after max_iterations
# steps is converging, only slowly (near a singular configuration the damped step shrinks the error by a
# constant factor per step, not quadratically): it may go on up to _CLOSE_STEPS × max_iterations steps.
_CLOSE = 100.0
_CLOSE_STEPS = 3
# Side-by-side starts besides q0 come from a per-robot table of _SEED_TABLE configurations (uniform within
# the limits, fixed seed _SEED_TABLE_SEED, computed once per robot with their poses and Jacobians): the
# ones whose pose is nearest the target (‖Δp‖² [m²] + 3 − tr(R*ᵀR) ≈ θ² [rad²]), which start evaluated, so
# their first step is taken before the first kernel pass. Nearest-pose seeding cut the median number of
# passes of a single solve from 7-8 to 6 on the benchmark arms (1000 targets each, all still solved), the
# early first step to 5; 16384 or 4096 entries gave about as many passes as 2048 (1024: 7 on two arms) and
# cost more to search and to keep (2048 × (n + 12 + 6n) doubles, 0.8 MB for 7 joints).
_SEED_TABLE = 2048
_SEED_TABLE_SEED = 0
# starts=None for a batch (_AUTO_ROWS // M < _BATCH_STARTS): q0 and _BATCH_STARTS − 1 nearest seeds per target
# (benchmarks/ik.py, 1000 targets as one batch, Panda / UR5 / iiwa14 / Puma 560, with seeded restarts: 3 took
# 72 / 75 / 47 / 80 ms, 2 69 / 78 / 45 / 89 ms, 4 87 / 83 / 57 / 75 ms, one start 134 / 150 / 74 / 186 ms
# before seeded restarts; all solved. A seed start converges about 70 % of the time, a random one 40-65 %).
_BATCH_STARTS = 3
# Restarts (after a failed attempt, and top-up starts) come first from the next _SEEDED_RESTARTS nearest
# seeds of the target (after those of its side-by-side starts), evaluated from the table so they take their
# first step at once; then random ones. Batches as above with 3 starts: 8 took 72 / 75 / 47 / 80 ms, 4
# 78 / 79 / 46 / 84 ms, random restarts 79 / 89 / 45 / 115 ms.
_SEEDED_RESTARTS = 8
# nearest_seeds: up to this many ranks by repeated argmax (0.3 ms each for 1000 targets) rather than
# argpartition (6 ms for 1000 targets whatever the rank).
_ARGMAX_RANKS = 10
# A quarter of the rows dead: compact the row arrays (dead rows are masked until then).
_COMPACT_FRACTION = 0.25


@dataclass(frozen=True)
class IKOptions:
    """Settings of :func:`solve`; the defaults suit arms of about a metre.

    The defaults were chosen by measurement (``benchmarks/ik.py`` targets: fk of random q within the
    limits, from random starts; Panda, UR5, iiwa14, Puma 560; 1000 targets solved as one batch with one
    start per target and random restarts). Mean iterations per target over all attempts: ``"lm"`` 37 / 41 /
    20 / 44, all solved (also one at a time; 23 / 27 / 17 / 25 with the default starts of a batch since);
    ``"chan"`` 46 / 53 / 23 / 46, all solved; ``"sugihara"`` converges only linearly near the answer (its
    λ keeps w̄_N there) and solved 93-98.5 % within 100 restarts (97-100 % with ``max_iterations=60`` on
    the Panda and UR5). ``max_iterations`` 17 beat 10, 14, 20 and 30 for "lm": an attempt that has not
    converged by then rarely does, and a new random start is the better bet, except one that is already
    within 100 tolerances (near a singular configuration the error falls only linearly), which may go on
    up to 3 × 17 steps.

    Attributes:
        position_tolerance: Converged when the position error is at most this [m] (default 1e-6 m) ...
        rotation_tolerance: ... and the rotation error at most this [rad] (default 1e-6 rad).
        max_iterations: Steps per attempt before a restart from a new configuration (see ``starts``).
        max_restarts: Starts per target besides ``q0`` (side-by-side starts and restarts after a
            failed attempt alike); 0 for a local solve from ``q0`` only.
        damping: How the damping λ of ``Δq = Jᵀ(JJᵀ + λI)⁻¹ e`` is chosen: ``"lm"`` (default;
            Levenberg–Marquardt: λ = μ, μ₀ from the first Jacobian, divided by 3 after an accepted step
            and multiplied by a doubling ν after a rejected one; Madsen, Nielsen & Tingleff, "Methods for
            non-linear least squares problems", DTU 2004, sec. 3.2), ``"sugihara"`` (``λ = E + bias``,
            E = ½ eᵀWe; Sugihara, IEEE T-RO 27(5), 2011) or ``"chan"`` (``λ = E``, Chan & Lawrence, ICRA
            1988). In every scheme a step that does not lower E is rejected and λ grows until one does.
        damping_bias: ``"sugihara"`` only: the constant added to λ (Sugihara's w̄_N), which keeps
            ``JJᵀ + λI`` well conditioned at singular configurations.
        max_step: Step-length guard: the largest change of one joint per iteration [rad or m]; a longer
            step is scaled down as a whole (its direction is kept). 1.0 converged in fewer iterations
            than 0.5, 0.7, 1.4, 2 or none.
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
        starts: Starts run side by side per target from the first iteration: q0 and ``starts − 1``
            others, the entries of a fixed per-robot table of configurations within the limits whose
            poses are nearest the target (random ones beyond the table's 2048). None (default): 8 for a
            single target, ``max(3, min(8, 15 // M))`` for M targets (3 from 5 on): below
            ``kinematics.SMALL_BATCH`` rows a pass costs nearly the same for one row as for 15, so a small
            batch gets extra starts cheaply, and the first to converge ends its target; a large batch
            gains too, as a seed start converges more often and sooner than a random q0. With more than
            one start, restarts also come from the table first (the next nearest 8 poses), then random.
        finish: ``"first"`` (default): a target is done at the first iteration one of its starts
            converges; ``"all"``: every start runs its attempt to the end, and among the solutions the
            one nearest ``q0`` is returned.
        singularity_threshold: ``near_singularity`` is reported when the inverse condition number of the
            task Jacobian at the answer is below this (default 1e-2: σ_min is under 1 % of σ_max).
    """

    position_tolerance: float = 1e-6
    rotation_tolerance: float = 1e-6
    max_iterations: int = 17
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


_DEFAULT_OPTIONS = IKOptions()


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
        iterations: ``(...)`` int, steps over all attempts (each one 6×6 solve).
        restarts: ``(...)`` int, starts used besides ``q0`` (side-by-side starts included).
        inverse_condition: ``(...)`` ``σ_min/σ_max`` of the task Jacobian at ``q`` (1 is isotropic,
            0 singular): :func:`robokin.singularity.inverse_condition` of the unit-free ``[v/L; ω]`` over
            :func:`robokin.singularity.task_rows` (L: ``characteristic_length``), σ_min being the
            smallest singular value.
        near_singularity: ``(...)`` bool, ``inverse_condition < options.singularity_threshold``.
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray
    inverse_condition: np.ndarray
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
    return _dls(J, e, np.asarray(lam, dtype=float), z, None)


def _dls(J: np.ndarray, e: np.ndarray, lam: np.ndarray, z: np.ndarray | None, held: np.ndarray | None):
    """:func:`dls_step` with the ``held`` joints ``(N, n)`` bool out of the task (none when None).

    The step of the free joints is that of ``J`` with the held columns zeroed (and ``z`` zeroed there);
    the held joints get ``z + Jᵀy`` with the same multiplier ``y = (J_f J_fᵀ + λI)⁻¹(e − J_f z_f)``: the
    motion the task asks of them, which tells whether a joint held at a limit wants to leave it.
    """
    Jt = J.mT
    if held is None:
        J_f, z_f = J, z
    else:
        free = ~held
        J_f = J * free[:, None, :]
        z_f = None if z is None else z * free
    A = J_f @ J_f.mT  # (N, m, m)
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


@dataclass(frozen=True, eq=False)
class _Arm:
    """What the solver reads of a robot, computed once per robot (see :func:`_arm`)."""

    chain: "Chain"
    lower: np.ndarray  # (n,) [rad, m]
    upper: np.ndarray  # (n,)
    revolute: np.ndarray  # (n,) bool
    middle: np.ndarray  # (n,) middle of each finite range, 0 where unlimited
    cond_rows: np.ndarray  # (k,) task rows of J for the inverse condition number
    cond_scale: np.ndarray  # (k, n) unit-free scaling of those rows: [v/L; ω], prismatic columns × L
    wraps: bool  # a revolute joint's range spans a whole turn or more (so q ± 2π may be within limits)
    limited: bool  # every joint has finite limits


_ARMS: "weakref.WeakKeyDictionary[Robot, _Arm]" = weakref.WeakKeyDictionary()


def _arm(robot: "Robot") -> _Arm:
    """The robot's :class:`_Arm`, cached (robots are immutable)."""
    arm = _ARMS.get(robot)
    if arm is None:
        lower, upper = (np.array(a) for a in robot.limits.T)
        revolute = np.array(robot.joint_types) == "revolute"
        finite = np.isfinite(lower) & np.isfinite(upper)
        middle = np.where(finite, 0.5 * (np.where(finite, lower, 0.0) + np.where(finite, upper, 0.0)), 0.0)
        L = characteristic_length(robot)
        rows = np.array(task_rows(robot))
        arm = _Arm(
            chain=robot.chain,
            lower=lower,
            upper=upper,
            revolute=revolute,
            middle=np.clip(middle, lower, upper),
            cond_rows=rows,
            cond_scale=np.where(rows < 3, 1.0 / L, 1.0)[:, None] * np.where(revolute, 1.0, L),
            wraps=bool(np.any(revolute & (upper - lower >= 2.0 * np.pi))),
            limited=bool(np.all(finite)),
        )
        _ARMS[robot] = arm
    return arm


@dataclass(frozen=True, eq=False)
class _Seeds:
    """The seed table of a robot (see ``_SEED_TABLE``), built at its first side-by-side solve."""

    q: np.ndarray  # (K, n) configurations within the limits
    T: np.ndarray  # (K, 3, 4) their poses, top rows [R p] of T_world_tool
    J: np.ndarray  # (K, 6, n) their world Jacobians
    mu0: np.ndarray  # (K,) "lm": their μ₀ = max(_TAU_SEEDED max diag(JᵀJ), _LAMBDA_MIN)
    features: np.ndarray  # (13, K) float32: [p; R row-major; −‖p‖²] for the nearest-pose search


_SEEDS: "weakref.WeakKeyDictionary[Robot, _Seeds]" = weakref.WeakKeyDictionary()


def _seeds(robot: "Robot") -> _Seeds:
    """The robot's :class:`_Seeds`, cached (robots are immutable)."""
    seeds = _SEEDS.get(robot)
    if seeds is None:
        arm = _arm(robot)
        lower, upper, revolute = arm.lower, arm.upper, arm.revolute
        # The seed table: limited joints uniform over their range, an unlimited revolute joint over
        # [-π, π), an unlimited prismatic one over ±1 m.
        lo = np.where(np.isfinite(lower), lower, np.where(revolute, -np.pi, -1.0))
        hi = np.where(np.isfinite(upper), upper, np.where(revolute, np.pi, 1.0))
        seed_q = lo + (hi - lo) * np.random.default_rng(_SEED_TABLE_SEED).random((_SEED_TABLE, lower.shape[0]))
        T_seed, J_seed = _pose_and_jacobian(robot.chain, seed_q)  # (K, 3, 4), (K, 6, n)
        seeds = _Seeds(
            q=seed_q,
            T=T_seed,
            J=J_seed,
            mu0=np.maximum(_TAU_SEEDED * np.einsum("ijk,ijk->ik", J_seed, J_seed).max(axis=1), _LAMBDA_MIN),
            features=np.concatenate([
                T_seed[:, :3, 3].T,
                T_seed[:, :3, :3].reshape(-1, 9).T,
                -np.einsum("ij,ij->i", T_seed[:, :3, 3], T_seed[:, :3, 3])[None],
            ]).astype(np.float32),
        )
        _SEEDS[robot] = seeds
    return seeds


@functools.lru_cache(maxsize=64)
def _task(options: IKOptions) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray]:
    """``options``' weights ``(6,)``, the ``(6, 3)`` matrix whose columns sum the constrained position and
    rotation squares and give ``E = ½ Σ e²`` (the last one is used only when every weight is 1), whether
    every weight is 1, and the ``(13,)`` factors of ``[p*, R*, 1]`` in the seed-table distance, which has a
    position term when the position is constrained and a rotation term when all of it is (see
    :meth:`_Problem.nearest_seeds`). Cached: options are immutable."""
    weights = np.array(options.weights)
    error_rows = np.zeros((6, 3))
    error_rows[:3, 0] = weights[:3] > 0
    error_rows[3:, 1] = weights[3:] > 0
    error_rows[:, 2] = 0.5
    w_p, w_r = float(np.any(weights[:3] > 0)), float(np.all(weights[3:] > 0))
    seed_weights = np.array([2.0 * w_p] * 3 + [w_r] * 9 + [w_p])  # (13,) for [p*, R*, 1] (see nearest_seeds)
    return weights, error_rows, bool(np.all(weights == 1.0)), seed_weights


class _Problem:
    """Everything the loop reads, flattened to ``M`` targets and validated."""

    def __init__(self, arm: _Arm, options: IKOptions, p_target: np.ndarray, R_target: np.ndarray,
                 q0: np.ndarray, q_rest: np.ndarray | None, starts: int,
                 seed: int | np.random.Generator, seeds: _Seeds | None = None) -> None:
        self.chain, self.lower, self.upper, self.revolute = arm.chain, arm.lower, arm.upper, arm.revolute
        self.wraps = arm.wraps
        self.seeds = seeds  # the seed table, when starts > 1
        self.options = options
        self.p_target = p_target  # (M, 3)
        self.R_target = R_target  # (M, 3, 3)
        self.q0 = q0  # (M, n), within the limits
        self.q_rest = q_rest  # (M, n) or None
        self.starts = starts
        self.seed = seed  # its generator is made at the first random draw (most solves need none)
        self._rng: np.random.Generator | None = seed if isinstance(seed, np.random.Generator) else None
        self.weights, self.error_rows, self.unit_weights, self.seed_weights = _task(options)
        self.target_frame = options.weights_frame == "target"
        # Random starts: limited joints uniform over their range; an unlimited revolute joint over one
        # turn [-π, π); an unlimited prismatic joint over ±1 m about q0.
        lo, hi = self.lower, self.upper
        if not arm.limited:
            lo = np.where(np.isfinite(lo), lo, np.where(self.revolute, -np.pi, q0 - 1.0))  # (M, n)
            hi = np.where(np.isfinite(hi), hi, np.where(self.revolute, np.pi, q0 + 1.0))
        self.sample_lo, self.sample_span = lo, hi - lo
        self.queue: np.ndarray | None = None  # (M, K) seed-table indices for restarts, nearest first
        self.queue_next = np.zeros(q0.shape[0], dtype=int)  # (M,) the next unused entry of queue

    def next_seeds(self, t: np.ndarray) -> np.ndarray:
        """Seed-table indices ``(len(t),)`` of the next restarts of targets ``t`` (a target may repeat): the
        next entries of each target's queue of nearest seeds, nearest first; -1 once it is used up (or there is
        no queue), for a random start."""
        queue = self.queue
        if queue is None or queue.shape[1] == 0:
            return np.full(t.shape, -1)
        K = queue.shape[1]
        if t.shape[0] == 1:
            j = self.queue_next[t]
        else:
            order = np.argsort(t, kind="stable")
            ts = t[order]
            j = np.empty(t.shape, dtype=int)
            j[order] = self.queue_next[ts] + np.arange(ts.shape[0]) - np.searchsorted(ts, ts)
        np.add.at(self.queue_next, t, 1)
        return np.where(j < K, queue[t, np.minimum(j, K - 1)], -1)

    def sample(self, t: np.ndarray) -> np.ndarray:
        """Random configurations ``(len(t), n)`` within the limits for targets ``t``."""
        lo, span = self.sample_lo, self.sample_span
        if lo.ndim == 2:
            lo, span = lo[t], span[t]
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return lo + span * self._rng.random((t.shape[0], self.lower.shape[0]))

    def nearest_seeds(self, k: int) -> np.ndarray:
        """Indices ``(M, k)`` of the ``k`` entries of the seed table (``k <= _SEED_TABLE``) whose poses are
        nearest each target: smallest ``‖p* − p‖² + 3 − tr(R*ᵀR)`` (``3 − tr = 2 (1 − cos θ) ≈ θ²``), the terms of
        the components the task constrains (the rotation term only when every rotation weight is > 0)."""
        M = self.p_target.shape[0]
        x = np.concatenate([self.p_target, self.R_target.reshape(M, 9), np.ones((M, 1))], axis=1)  # (M, 13)
        x *= self.seed_weights
        # (M, K) = 2 p*·p + tr(R*ᵀR) − ‖p‖², minus the distance up to a constant; a ranking, so in single
        # precision.
        d = x.astype(np.float32) @ self.seeds.features
        k_near = -k  # the k largest of d are the nearest
        if k <= _ARGMAX_RANKS and M > 1 and k < d.shape[1]:
            # A few ranks by repeated argmax: 0.3 ms each for 1000 targets, argpartition 6 ms.
            rows = np.arange(M)
            near = np.empty((M, k), dtype=np.intp)
            for j in range(k):
                near[:, j] = d.argmax(axis=1)
                d[rows, near[:, j]] = -np.inf
            return near
        if k < d.shape[1]:
            near = np.argpartition(d, k_near, axis=1)[:, k_near:]
            order = np.argsort(-np.take_along_axis(d, near, axis=1), axis=1, kind="stable")
            return np.take_along_axis(near, order, axis=1)  # nearest first
        return np.argsort(-d, axis=1, kind="stable")

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
        return self.task_error(p_target, R_target, T, J)

    def task_error(self, p_target: np.ndarray, R_target: np.ndarray, T: np.ndarray, J: np.ndarray):
        """:meth:`evaluate` at the poses ``T`` ``(A, 3, 4)`` (top rows ``[R p]``) with world Jacobians ``J``."""
        e = np.empty((T.shape[0], 6))
        np.subtract(p_target, T[:, :, 3], out=e[:, :3])
        e[:, 3:] = spatial.so3_log(R_target @ T[:, :, :3].mT)  # log(R* Rᵀ)
        J_s = J
        if self.target_frame:  # components along the target's axes: R*ᵀ e, R*ᵀ J
            RtT = np.swapaxes(R_target, -1, -2)[:, None]
            e = (RtT @ e.reshape(-1, 2, 3, 1)).reshape(-1, 6)
            J_s = (RtT @ J.reshape(-1, 2, 3, J.shape[-1])).reshape(J.shape)
        sums = (e * e) @ self.error_rows  # (A, 3): position², rotation², ½‖e‖²
        errors = sums[:, :2]
        if self.unit_weights:
            return e, J_s, J, sums[:, 2], errors
        e_w = self.weights * e
        return e_w, self.weights[:, None] * J_s, J, 0.5 * np.einsum("ij,ij->i", e_w, e_w), errors


class _Rows:
    """The rows of the loop (one start of one target each), as parallel arrays.

    Rows restart in place; a row that ends for good is only marked dead (``alive``), and the arrays are
    compacted once ``_COMPACT_FRACTION`` of them are dead, so a pass never gathers every array because one
    row ended. ``E = inf`` marks a fresh start in ``q_new`` (accepted whatever its error); the Python flag
    ``fresh`` says some row has one.
    """

    FIELDS = ("t", "p_target", "R_target", "q_rest", "q", "q_new", "e", "J", "E", "mu", "nu", "it", "held",
              "alive")

    def __init__(self, pb: _Problem, t: np.ndarray, q_new: np.ndarray) -> None:
        A, n = q_new.shape
        self.t = t  # (A,) target of each row
        self.p_target, self.R_target = pb.p_target[t], pb.R_target[t]  # (A, 3), (A, 3, 3)
        self.q_rest = None if pb.q_rest is None else pb.q_rest[t]  # (A, n)
        self.q, self.q_new = q_new, q_new  # accepted state, candidate to evaluate (A, n)
        self.e, self.J = np.zeros((A, 6)), np.zeros((A, 6, n))  # weighted error and Jacobian at q
        self.E = np.full(A, np.inf)  # ½‖e‖² at q; inf: q_new is a fresh start
        self.mu, self.nu = np.ones(A), np.full(A, 2.0)  # damping and its growth factor
        self.it = np.zeros(A, dtype=int)  # steps of the current attempt
        self.it_max = 0  # at least s.it.max() (a Python int, so most passes need not look at s.it)
        self.held = np.zeros((A, n), dtype=bool)  # joints held at a limit, out of the next step
        self.alive = np.ones(A, dtype=bool)
        self.fresh = True
        self.all_alive = True
        self.evaluated = False  # some rows start evaluated (e, J, E, μ set): the loop steps before evaluating

    def take(self, keep: np.ndarray) -> None:
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value[keep])
        self.all_alive = True

    def extend(self, other: "_Rows") -> None:
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.concatenate([value, getattr(other, name)]))
        self.all_alive = self.all_alive and other.all_alive
        self.fresh = True


@dataclass
class _Answer:
    """The per-target answer ``(M, ...)`` of :func:`_run`, filled in place as rows end."""

    success: np.ndarray  # (M,) bool
    q: np.ndarray  # (M, n)
    key: np.ndarray  # (M,) distance to q0 once successful, E before
    errors: np.ndarray  # (M, 2) squared position [m²] / rotation [rad²] error at q (successful targets)
    J: np.ndarray  # (M, 6, n) plain world Jacobian at q (successful targets)
    iterations: np.ndarray  # (M,) int
    restarts: np.ndarray  # (M,) int


def _run(pb: _Problem):
    """The thin loop: every row (one start of one target) iterates in one set of array operations.

    Each pass evaluates every row's candidate ``q_new`` once (one kernel call for pose and Jacobian), accepts
    it when it lowers ``E = ½‖e_w‖²`` (a fresh start always), adapts the damping, ends the rows that
    converged or failed, and takes the next damped step from every row's accepted state. A row's attempt
    fails after ``max_iterations`` steps or when its damping grew past ``_MU_MAX`` (a local minimum); it then
    restarts in place (from the target's next nearest seeds, then random configurations) while its target has
    restarts left.

    Returns:
        Per target ``(M, ...)``: q, success, errors ``(M, 2)`` (position [m], rotation [rad]), iterations,
        restarts, and the plain world Jacobian at q ``(M, 6, n)``.
    """
    opts = pb.options
    M, n = pb.q0.shape
    answer = _Answer(
        success=np.zeros(M, dtype=bool),
        q=pb.q0.copy(),
        key=np.full(M, np.inf),
        errors=np.full((M, 2), np.inf),
        J=np.zeros((M, 6, n)),
        iterations=np.zeros(M, dtype=int),
        restarts=np.zeros(M, dtype=int),
    )
    # Rows: the first start of each target is q0, the others the nearest entries of the seed table (then
    # random ones if it is short).
    starts = min(pb.starts, opts.max_restarts + 1)
    t = np.repeat(np.arange(M), starts) if M > 1 else np.zeros(starts, dtype=int)  # target of each row
    if starts == 1:
        rows = _Rows(pb, t, pb.q0.copy())
    else:
        k = min(starts - 1, _SEED_TABLE)
        near = pb.nearest_seeds(min(k + _SEEDED_RESTARTS, _SEED_TABLE))  # (M, k + queue), nearest first
        pb.queue, near = near[:, k:], np.ascontiguousarray(near[:, :k])
        q_new = np.empty((M, starts, n))
        q_new[:, 0] = pb.q0
        q_new[:, 1 : k + 1] = pb.seeds.q[near]
        if starts > k + 1:
            q_new[:, k + 1 :] = pb.sample(np.repeat(np.arange(M), starts - k - 1)).reshape(M, -1, n)
        answer.restarts += starts - 1
        rows = _Rows(pb, t, q_new.reshape(-1, n))
        # The seed-table rows start evaluated, from the table's poses and Jacobians, so their first step is
        # taken before the first kernel pass (which evaluates q0 and those steps): one pass fewer.
        i = near.ravel()
        p_t, R_t = (pb.p_target, pb.R_target) if M == 1 else (np.repeat(pb.p_target, k, axis=0),
                                                               np.repeat(pb.R_target, k, axis=0))
        T_i, J_i = pb.seeds.T[i], pb.seeds.J[i]
        e, J, _, E, _ = pb.task_error(p_t, R_t, T_i, J_i)  # (M k, ...)
        rows.e.reshape(M, starts, 6)[:, 1 : k + 1] = e.reshape(M, k, 6)
        rows.J.reshape(M, starts, 6, n)[:, 1 : k + 1] = J.reshape(M, k, 6, n)
        rows.E.reshape(M, starts)[:, 1 : k + 1] = E.reshape(M, k)
        if opts.damping == "lm":
            rows.mu.reshape(M, starts)[:, 1 : k + 1] = pb.seeds.mu0[near]
        rows.evaluated = True
    _loop(pb, rows, answer)
    # Errors and Jacobians at q for the targets that did not converge (one kernel pass).
    if not answer.success.all():
        fail = np.flatnonzero(~answer.success)
        _, _, answer.J[fail], _, answer.errors[fail] = pb.evaluate(pb.p_target[fail], pb.R_target[fail],
                                                                   answer.q[fail])
    return answer.q, answer.success, np.sqrt(answer.errors), answer.iterations, answer.restarts, answer.J


def _loop(pb: _Problem, s: _Rows, answer: _Answer) -> None:
    """The passes of :func:`_run` until no row is left."""
    opts = pb.options
    lower, upper = pb.lower, pb.upper
    tol = np.array([opts.position_tolerance, opts.rotation_tolerance]) ** 2
    max_step, max_iterations = opts.max_step, opts.max_iterations
    E_close = 0.5 * _CLOSE**2 * (opts.position_tolerance**2 + opts.rotation_tolerance**2)
    scheme = opts.damping
    gain = opts.nullspace_gain if pb.q_rest is not None else 0.0
    step = s.evaluated  # rows evaluated before the loop (from the seed table) take their first step at once
    while True:
        if step:
            # ---- the damped step from every row's accepted state
            q = s.q
            if scheme == "lm":
                lam = np.maximum(s.mu, _LAMBDA_MIN)
            else:
                # Rows restarted by _finish have E = inf: any finite λ will do (their step is not used).
                E = np.where(s.E == np.inf, 1.0, s.E) if s.fresh else s.E
                if scheme == "sugihara":  # λ = E + w̄_N (Sugihara, IEEE T-RO 27(5), 2011, eq. 22-23)
                    lam = s.mu * (E + opts.damping_bias)
                else:  # λ = α E (Chan & Lawrence, ICRA 1988)
                    lam = np.maximum(s.mu * E, _LAMBDA_MIN)
            z = gain * (s.q_rest - q) if gain else None
            # Joints at a limit that the step pushes outward are taken out of the task, so the free joints
            # take over the blocked motion (the clamping of Baerlocher & Boulic, The Visual Computer 20(6),
            # 2004), kept as a lagged active set: a joint that pushes outward this step is stopped (the
            # projection would stop it anyway) and held out of the next step's solve; a held joint is
            # released when the task pulls it inward. Solving the step again at once for the new ones (the
            # original clamping loop) took 1.4 solves per pass for no fewer passes or failures
            # (benchmarks/ik.py, 1000 targets per arm: mean passes per single target 6.0 / 6.2 / 5.7 / 6.0
            # either way, all solved; batches 5-10 % faster).
            held = s.held
            any_held = held.any()
            dq = _dls(s.J, s.e, lam, z, held if any_held else None)
            push = np.where(dq > 0.0, q >= upper, q <= lower)  # at a limit and pushed outward
            dq[push | held if any_held else push] = 0.0
            s.held = push
            # Step-length guard: the largest joint change at most max_step, direction kept.
            dq_abs = np.abs(dq)
            if dq_abs.max() > max_step:
                dq *= (max_step / np.maximum(dq_abs.max(axis=1), max_step))[:, None]
            step_q = np.minimum(np.maximum(q + dq, lower), upper)  # projected into the limits
            if s.fresh:
                s.q_new = np.where((s.E == np.inf)[:, None], s.q_new, step_q)
            else:
                s.q_new = step_q
        step = True
        # ---- evaluate every candidate: one kernel pass for pose and Jacobian
        e_new, J_new, J_plain, E_new, err_new = pb.evaluate(s.p_target, s.R_target, s.q_new)
        converged = (err_new <= tol).all(axis=1)
        accept = (E_new < s.E) | converged
        if not s.all_alive:  # a dead row is accepted at every pass, so its damping stays finite
            accept |= ~s.alive
        all_accept = accept.all()
        # ---- damping: down after an accepted step, up (by ν, and ν doubles) after a rejected one
        if scheme == "lm":  # Marquardt's update with Nielsen's ν (see _MU_DOWN)
            if all_accept:
                s.mu = s.mu * (1.0 / _MU_DOWN)
                s.nu = np.full(accept.shape, 2.0)
            else:
                s.mu = s.mu * np.where(accept, 1.0 / _MU_DOWN, s.nu)
                s.nu = np.where(accept, 2.0, 2.0 * s.nu)
        else:
            s.mu = np.where(accept, np.maximum(1.0, 0.25 * s.mu), 4.0 * s.mu)
        s.it += 1
        if s.fresh:  # fresh starts: no step taken yet, damping and held joints start anew
            fresh = s.E == np.inf
            s.it[fresh] = 0
            s.held[fresh] = False
            if scheme == "lm":  # μ₀ = τ max diag(JᵀJ) (see _TAU)
                mu0 = _TAU * np.einsum("ijk,ijk->ik", J_new, J_new).max(axis=1)
                s.mu = np.where(fresh, np.maximum(mu0, _LAMBDA_MIN), s.mu)
            else:
                s.mu[fresh] = 1.0
            s.fresh = False
        # ---- accept
        if all_accept:
            s.q, s.e, s.J, s.E = s.q_new, e_new, J_new, E_new
        else:
            s.q = np.where(accept[:, None], s.q_new, s.q)
            s.e = np.where(accept[:, None], e_new, s.e)
            s.J = np.where(accept[:, None, None], J_new, s.J)
            s.E = np.where(accept, E_new, s.E)
        # ---- rows that end: converged, or the attempt failed (too many steps, or a local minimum)
        failed = s.mu > _MU_MAX
        s.it_max += 1  # an upper bound of s.it (rows that restart start again from 0)
        if s.it_max >= max_iterations:
            long = s.it >= max_iterations
            failed |= long & ((s.E > E_close) | (s.it >= _CLOSE_STEPS * max_iterations))
            s.it_max = int(s.it.max())
        if not s.all_alive:
            converged &= s.alive
            failed &= s.alive
        if converged.any() or failed.any():
            if not _finish(pb, s, converged, failed & ~converged, J_plain, err_new, answer):
                return


def _finish(pb: _Problem, s: _Rows, converged, failed, J_plain, err_new, answer: _Answer) -> bool:
    """Bookkeeping for the (alive) rows that converged or failed this pass; False when no row is left.

    A converged row offers its q (moved by whole turns to the value nearest q0) to its target, which keeps
    the one nearest q0; a failed row of an unsolved target offers its q as the closest pose while nothing
    converged (smallest E) and restarts in place while the target has restarts left. With
    ``finish="first"`` every row of a solved target ends with it.
    """
    opts = pb.options
    M = pb.q0.shape[0]
    t = s.t
    success = answer.success
    ending = converged | failed
    if converged.any():  # among solutions, the one nearest q0
        rows = np.flatnonzero(converged)
        tc = t[rows]
        q0 = pb.q0[tc]
        q_wrapped = pb.wrap_near(s.q[rows], q0) if pb.wraps else s.q[rows]
        dist = np.sqrt(np.einsum("ij,ij->i", q_wrapped - q0, q_wrapped - q0))
        if rows.size > 1:
            pick = _first_per_target(tc, dist)
            rows, tc, dist, q_wrapped = rows[pick], tc[pick], dist[pick], q_wrapped[pick]
        better = ~success[tc] | (dist < answer.key[tc])
        if not better.all():
            rows, tc, dist, q_wrapped = rows[better], tc[better], dist[better], q_wrapped[better]
        success[tc] = True
        answer.key[tc] = dist
        answer.q[tc] = q_wrapped
        answer.errors[tc] = err_new[rows]
        answer.J[tc] = J_plain[rows]
        if opts.finish == "first":  # the other starts of a solved target stop with it
            if success.all():  # the usual end: every target solved
                alive = s.alive if not s.all_alive else slice(None)
                answer.iterations += np.bincount(t[alive], weights=s.it[alive], minlength=M).astype(int)
                return False
            ending |= success[t] if s.all_alive else s.alive & success[t]
    again = None
    if failed.any():
        failed &= ~success[t]  # finish="all": a failed row of a solved target just ends
        rows = np.flatnonzero(failed)
    if failed.any():
        tf = t[rows]
        E = s.E[rows]
        pick = _first_per_target(tf, E) if rows.size > 1 else np.zeros(1, dtype=int)
        better = E[pick] < answer.key[tf[pick]]  # keep the closest pose (smallest E) while nothing converged
        tp, rp = tf[pick][better], rows[pick][better]
        answer.key[tp] = s.E[rp]
        answer.q[tp] = pb.wrap_near(s.q[rp], pb.q0[tp]) if pb.wraps else s.q[rp]
        # Restart in place while the target has restarts left (the k-th failed row of a target in this
        # pass needs k restarts left).
        if rows.size > 1:
            order = np.argsort(tf, kind="stable")
            ts = tf[order]
            rank = np.arange(ts.shape[0]) - np.searchsorted(ts, ts)
            again = rows[order[rank < opts.max_restarts - answer.restarts[ts]]]
        else:
            again = rows[answer.restarts[tf] < opts.max_restarts]
    ending_rows = np.flatnonzero(ending)
    answer.iterations += np.bincount(t[ending_rows], weights=s.it[ending_rows], minlength=M).astype(int)
    if again is not None and again.size:
        answer.restarts += np.bincount(t[again], minlength=M)
        _restart(pb, s, again)
        ending[again] = False
    if ending.any():
        s.alive &= ~ending
        s.all_alive = False
        alive = int(s.alive.sum())
        if not alive:
            return False
        if s.alive.shape[0] - alive >= _COMPACT_FRACTION * s.alive.shape[0]:
            s.take(s.alive)
        # Top-up: while fewer than _TOPUP_ROWS rows are alive (the last hard targets of a batch), every
        # unsolved target still in play gets new starts (see _restart) up to that many rows (restarts
        # permitting), so the hard ones try several starts at once instead of one after the other.
        if alive < _TOPUP_ROWS:
            current = np.bincount(s.t[s.alive], minlength=M)
            in_play = ~success & (current > 0)
            per_target = max(1, min(_AUTO_STARTS_MAX, _TOPUP_ROWS // max(1, int(in_play.sum()))))
            new = np.clip(np.where(in_play, per_target - current, 0), 0, opts.max_restarts - answer.restarts)
            if new.any():
                t_new = np.repeat(np.arange(M), new)
                answer.restarts += new
                extra = _Rows(pb, t_new, pb.sample(t_new))
                _restart(pb, extra, np.arange(t_new.shape[0]))
                s.extend(extra)
    return True


def _restart(pb: _Problem, s: _Rows, rows: np.ndarray) -> None:
    """Restart ``rows`` (indices into ``s``) in place: from the next seeds of their targets' queues, which
    start evaluated (so they take their first step at the next pass), else from random configurations
    (fresh, evaluated at the next pass)."""
    t = s.t[rows]
    idx = pb.next_seeds(t)
    seeded = idx >= 0
    if not seeded.all():
        rnd = rows[~seeded]
        s.q_new = s.q_new.copy() if s.q_new is s.q else s.q_new
        s.q_new[rnd] = pb.sample(t[~seeded])
        s.E[rnd] = np.inf
        s.nu[rnd] = 2.0
        s.fresh = True
    if seeded.any():
        r, i = rows[seeded], idx[seeded]
        s.q = s.q.copy() if s.q is s.q_new else s.q
        s.q[r] = pb.seeds.q[i]
        e, J, _, E, _ = pb.task_error(s.p_target[r], s.R_target[r], pb.seeds.T[i], pb.seeds.J[i])
        s.e[r], s.J[r], s.E[r] = e, J, E
        s.mu[r] = pb.seeds.mu0[i] if pb.options.damping == "lm" else 1.0
        s.nu[r] = 2.0
        s.it[r] = 0
        s.held[r] = False


# --------------------------------------------------------------------------------------------- public API
def solve(
    robot: "Robot",
    T_target: npt.ArrayLike,
    q0: npt.ArrayLike | None = None,
    *,
    options: IKOptions | None = None,
    seed: int | np.random.Generator | None = None,
    method: Method = "auto",
) -> IKResult:
    """Inverse kinematics: joint values that put the tool at ``T_target``, batched.

    ``method="auto"`` (default) takes the closed-form solutions of :func:`solve_all` when the arm has an
    analytic family (:func:`analytic_family`) and the task is the full pose (all six weights equal),
    returning the valid solution nearest ``q0`` (or, without ``q0``, nearest the middle of the joint
    ranges); targets it leaves unsolved, and arms without a family, go to the damped least squares below,
    started from the nearest analytic answer when there is one (a near-miss geometry is polished that
    way). ``"analytic"`` is the same but raises for an arm without a family; ``"dls"`` is only the
    damped least squares.

    Damped least squares ``Δq = z + Jᵀ(JJᵀ + λI)⁻¹(e − Jz)`` (see :func:`dls_step`) with the world-frame
    error ``e = [p* − p; log(R* Rᵀ)]`` (rows ``[v; ω]`` like J), adaptive damping (``options.damping``),
    joints held at a limit taken out of the step (an active set), a step-length guard, every iterate
    projected into the joint limits, several starts side by side (q0 and the
    configurations of a per-robot table whose poses are nearest the target), and restarts when an attempt
    stalls (from the next nearest table entries, then random within the limits). Every target of a batch, and every start, is a row of the
    same array operations (one kernel call for pose and Jacobian per pass); rows of finished targets are
    masked and compacted away now and then.

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
        OptionError: ``options`` is not an :class:`IKOptions` or its ``rest`` has the wrong length, or
            ``method`` is not one of :data:`METHODS`.
        NoAnalyticSolutionError: ``method="analytic"`` for an arm without an analytic family.
    """
    options = _DEFAULT_OPTIONS if options is None else options
    if not isinstance(options, IKOptions):
        raise OptionError(f"options must be an IKOptions, got {type(options).__name__}")
    _checks.choice(method, "method", METHODS)
    if method != "dls":
        answer = _solve_analytic(robot, T_target, q0, options, seed, method)
        if answer is not None:
            return answer
    T = _checks.transforms(T_target, "T_target")
    batch = T.shape[:-2]
    T2 = T.reshape(-1, 4, 4)
    n = robot.n
    arm = _arm(robot)
    if q0 is None:
        q_start = np.broadcast_to(arm.middle, batch + (n,))
    else:
        q0 = _q0_for(robot, q0, batch)
        q_start = np.minimum(np.maximum(q0, arm.lower), arm.upper)  # a new array
    q_start = q_start.reshape(-1, n) if q0 is not None else np.array(q_start.reshape(-1, n))
    if options.rest is None or options.nullspace_gain == 0:
        q_rest = None
    elif options.rest == "q0":
        q_rest = q_start
    elif options.rest == "middle":
        q_rest = np.broadcast_to(arm.middle, q_start.shape)
    else:
        rest = np.asarray(options.rest)
        if rest.shape != (n,):
            raise OptionError(f"IKOptions.rest must have {n} values for robot {robot.name!r}, got {rest.shape[0]}")
        q_rest = np.broadcast_to(rest, q_start.shape)
    M = T2.shape[0]
    starts = options.starts or max(_BATCH_STARTS, min(_AUTO_STARTS_MAX, _AUTO_ROWS // M))
    problem = _Problem(
        arm,
        options,
        p_target=T2[:, :3, 3],
        R_target=T2[:, :3, :3],
        q0=q_start,
        q_rest=q_rest,
        starts=starts,
        seed=0 if seed is None else seed,
        seeds=_seeds(robot) if min(starts, options.max_restarts + 1) > 1 else None,
    )
    q, success, errors, iterations, restarts, J = _run(problem)
    # The singularity report at the answer: one batched SVD of the unit-free task Jacobian [v/L; ω].
    # It is singularity.inverse_condition's σ_min/σ_max, inlined: J is finite here, so its input checks
    # (about a third of its time for one target) are skipped.
    sv = np.linalg.svd(J[:, arm.cond_rows] * arm.cond_scale, compute_uv=False)  # (M, k), descending
    top = sv[:, 0]
    if (top > 0.0).all():
        cmin = sv[:, -1] / top
    else:  # 0 for a zero matrix
        cmin = np.where(top > 0.0, sv[:, -1] / np.where(top > 0.0, top, 1.0), 0.0)
    return IKResult(
        q=q.reshape(batch + (n,)),
        success=success.reshape(batch),
        position_error=errors[:, 0].reshape(batch),
        rotation_error=errors[:, 1].reshape(batch),
        iterations=iterations.reshape(batch),
        restarts=restarts.reshape(batch),
        inverse_condition=cmin.reshape(batch),
        near_singularity=(cmin < options.singularity_threshold).reshape(batch),
    )


# --------------------------------------------------------------------------------------------- analytic path
def _solve_analytic(robot, T_target, q0, options: IKOptions, seed, method: str) -> IKResult | None:
    """:func:`solve` by :func:`solve_all`: the valid solution nearest ``q0`` (or the middle of the ranges).

    Returns None (the caller runs the damped least squares) when the arm has no family under "auto" or the
    task is not the full pose. A 7-joint arm's parameter joint is taken from ``q0`` first, then swept.
    Targets with no valid analytic solution are solved by the damped least squares from the nearest
    analytic answer (or ``q0``).
    """
    family = analytic_family(robot)
    if not family.applies:
        if method == "analytic":
            raise NoAnalyticSolutionError(f"robot {robot.name!r} has no analytic IK family: {family.reason}")
        return None
    if len(set(options.weights)) != 1:
        if method == "analytic":
            raise OptionError("method='analytic' solves the full pose only; options.weights must be all equal")
        return None
    T = _checks.transforms(T_target, "T_target")
    batch, n = T.shape[:-2], robot.n
    if isinstance(options.rest, tuple) and len(options.rest) != n:
        raise OptionError(f"IKOptions.rest must have {n} values for robot {robot.name!r}, got {len(options.rest)}")
    arm = _arm(robot)
    ref = np.broadcast_to(arm.middle, batch + (n,)) if q0 is None else _q0_for(robot, q0, batch)
    T2, ref2 = T.reshape(-1, 4, 4), ref.reshape(-1, n)
    j = family.parameter_joint
    tries = [None] if j is None else ([ref2[:, j], None] if q0 is not None else [None])
    best = np.array(ref2)
    found = np.zeros(T2.shape[0], dtype=bool)
    start_err = np.full(T2.shape[0], np.inf)
    for q_param in tries:
        todo = np.flatnonzero(~found)
        if todo.size == 0:
            break
        sols = solve_all(robot, T2[todo], q_param=None if q_param is None else q_param[todo])
        q_near = _nearest_turns(sols.q, ref2[todo, None, :], arm)
        dist = np.where(sols.valid, np.abs(q_near - ref2[todo, None, :]).sum(-1), np.inf)
        pick = np.argmin(dist, axis=-1)
        rows = np.arange(todo.size)
        ok = np.isfinite(dist[rows, pick])
        best[todo[ok]] = q_near[rows[ok], pick[ok]]
        found[todo[ok]] = True
        # The unsolved ones keep the analytic answer of least error as the start of the damped least squares.
        err = sols.position_error / characteristic_length(robot) + sols.rotation_error
        near = np.argmin(err, axis=-1)
        better = ~ok & (err[rows, near] < start_err[todo])
        best[todo[better]] = np.clip(q_near[rows[better], near[better]], arm.lower, arm.upper)
        start_err[todo[better]] = err[rows[better], near[better]]
    q = best
    success = found.copy()
    iterations = np.zeros(found.shape, dtype=int)
    restarts = np.zeros(found.shape, dtype=int)
    if not found.all():  # the damped least squares for the rest, from q0
        rest = np.flatnonzero(~found)
        dls = solve(robot, T2[rest], best[rest], options=options, seed=seed, method="dls")
        q[rest], success[rest] = dls.q, dls.success
        iterations[rest], restarts[rest] = dls.iterations, dls.restarts
    J = robot.jacobian(q)
    cond = inverse_condition(J[:, arm.cond_rows] * arm.cond_scale)
    # At a singular configuration the solutions form a continuum (e.g. a wrist with axes 4 and 6 in line) of
    # which the analytic answer is one point; there a local damped least squares from q0 gives the point
    # nearest q0, when it converges, and q0 itself when q0 already solves the target.
    singular = np.flatnonzero(found & (cond < options.singularity_threshold)) if q0 is not None else np.zeros(0, int)
    if singular.size:
        local = solve(robot, T2[singular], ref2[singular], options=replace(options, max_restarts=0, starts=1),
                      seed=seed, method="dls")
        nearer = local.success & (np.abs(local.q - ref2[singular]).sum(-1) < np.abs(q[singular] - ref2[singular]).sum(-1))
        rows = singular[nearer]
        q[rows] = local.q[nearer]
        iterations[rows] = local.iterations[nearer]
        J[rows] = robot.jacobian(q[rows])
        cond[rows] = inverse_condition(J[rows][:, arm.cond_rows] * arm.cond_scale)
    T_q = robot.fk(q)
    err = spatial.pose_error(T2, T_q)
    return IKResult(
        q=q.reshape(batch + (n,)),
        success=success.reshape(batch),
        position_error=np.linalg.norm(err[:, :3], axis=-1).reshape(batch),
        rotation_error=np.linalg.norm(err[:, 3:], axis=-1).reshape(batch),
        iterations=iterations.reshape(batch),
        restarts=restarts.reshape(batch),
        inverse_condition=cond.reshape(batch),
        near_singularity=(cond < options.singularity_threshold).reshape(batch),
    )


def _nearest_turns(q: np.ndarray, ref: np.ndarray, arm: _Arm) -> np.ndarray:
    """``q`` with each revolute joint moved by whole turns to the value within its limits nearest ``ref``."""
    if not arm.wraps:
        return q
    m = np.round((ref - q) / (2.0 * np.pi))
    out = q
    for shift in (m, m - 1.0, m + 1.0):
        cand = q + 2.0 * np.pi * shift
        inside = (cand >= arm.lower) & (cand <= arm.upper)
        closer = np.abs(cand - ref) < np.abs(out - ref)
        out_inside = (out >= arm.lower) & (out <= arm.upper)
        out = np.where(arm.revolute & inside & (closer | ~out_inside), cand, out)
    return out


def _q0_for(robot: "Robot", q0: npt.ArrayLike, batch: tuple[int, ...]) -> np.ndarray:
    """``q0`` checked and broadcast to ``batch + (n,)``; a ShapeError naming both shapes otherwise."""
    n = robot.n
    q0 = _checks.joint_vector(robot, q0, "q0")
    if q0.shape == batch + (n,):
        return q0
    try:
        return np.broadcast_to(q0, batch + (n,))
    except ValueError:
        raise ShapeError(
            f"q0 of shape {q0.shape} does not broadcast against T_target's batch shape {batch} "
            f"(expected (n,) = ({n},) or {batch + (n,)})"
        ) from None
