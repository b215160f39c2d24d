"""The damped-least-squares solver: stacks the rows of any tasks, respects the limits, restarts attempts.

Every target of a batch, and every start of a target, is a *row* of the same array operations: one provider
pass per pass for pose and Jacobian, the stacked task rows, one damped step (:func:`~robokin.ik.dls.damped_step`)
for every row. Rows that end are masked and compacted away now and then. Why the constants below have their
values (measured on the benchmark arms) is recorded in ``benchmarks/ik_tuning.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .dls import damped_step
from .limits import JointPositionLimit, StepLimit
from .seeds import SeedTable
from .tasks import FramePoseTask, PostureTask

__all__ = ["Problem", "Solution", "solve_dls", "AUTO_STARTS_MAX", "BATCH_STARTS", "auto_starts"]

# The damping multiplier that ends an attempt (a local minimum of the error for every practical purpose).
_MU_MAX = 1e8
# "lm": μ₀ = τ · max diag(J_wᵀJ_w) (Madsen, Nielsen & Tingleff, DTU 2004, eq. 3.14); smaller at a start from
# the seed table, whose pose is already near the target.
_TAU = 1e-2
_TAU_SEEDED = 1e-3
# "lm": μ ÷ 3 after an accepted step; × ν after a rejected one, and ν doubles (ibid. eqs. 3.15-3.16).
_MU_DOWN = 3.0
# starts=None: up to _AUTO_ROWS rows side by side, at most AUTO_STARTS_MAX per target, at least BATCH_STARTS.
_AUTO_ROWS = 15
AUTO_STARTS_MAX = 8
BATCH_STARTS = 3
# While fewer rows than this are alive, unsolved targets get several new starts at once.
_TOPUP_ROWS = 64
# An attempt within _CLOSE times the tolerances after max_iterations steps may go on up to _CLOSE_STEPS ×
# max_iterations steps (near a singular configuration the error falls only linearly).
_CLOSE = 100.0
_CLOSE_STEPS = 3
# prefer="q0": once another start has solved a target, q0's first attempt goes on only while its unit-free
# error ‖e_w‖ is below this (it is nearly there; a q0 within 0.1 rad of a solution is far below it by then).
_Q0_BASIN = 1e-2
# Restarts take the next _SEEDED_RESTARTS nearest seeds of a target before random ones.
_SEEDED_RESTARTS = 8
# A quarter of the rows dead: compact the row arrays.
_COMPACT_FRACTION = 0.25


def auto_starts(M: int) -> int:
    """Starts per target when ``starts=None``, for ``M`` targets: below ``kinematics.SMALL_BATCH`` rows a pass
    costs nearly the same for one row as for 15, so a small batch gets extra starts cheaply."""
    return max(BATCH_STARTS, min(AUTO_STARTS_MAX, _AUTO_ROWS // max(M, 1)))


@dataclass(eq=False)
class Problem:
    """What the solver reads: tasks, limits, starts and the restart policy, flattened to ``M`` targets.

    Attributes:
        tasks: Row tasks (each with a provider); their rows are stacked.
        posture: Null-space preference, or None.
        position_limit: Joint position limits.
        step_limit: The step guard.
        q0: ``(M, n)`` the first start of each target, within the limits.
        prefer_q0: The solution from q0's first attempt wins (``IKOptions.prefer="q0"`` with a given q0).
        revolute: ``(n,)`` bool.
        col_scale: ``(n,)`` joint units per unit-free unit (1 revolute, L prismatic), or None (all 1).
        sample_lo: ``(n,)`` or ``(M, n)`` lower sampling bound of random starts.
        sample_span: ``(n,)`` the sampling range.
        starts: Starts per target side by side.
        max_iterations, max_restarts, damping, damping_bias, finish: From :class:`~robokin.ik.IKOptions`.
        seed: Seed or generator of the random starts.
        seeds: The seed table of the tasks' providers (in the order of ``tasks``), or None.
        task_joints: ``(k, n)`` bool, the joints that move each task's frame, or None. With it a random
            restart re-samples only the joints of the tasks not yet within tolerance (the others keep the
            failed attempt's values): for tasks on separate branches (two arms) a target is not lost because
            one branch's attempt failed while the other's had converged.
        idle: ``(n,)`` bool, the joints that move no task (the other arm of a dual-arm robot), or None when
            every joint moves one. Every start (seeded or random) keeps them at q0: no task can move them, so
            a start from elsewhere would only return them changed.
    """

    tasks: Sequence[FramePoseTask]
    posture: PostureTask | None
    position_limit: JointPositionLimit
    step_limit: StepLimit
    q0: np.ndarray
    prefer_q0: bool
    revolute: np.ndarray
    col_scale: np.ndarray | None
    sample_lo: np.ndarray
    sample_span: np.ndarray
    starts: int
    max_iterations: int
    max_restarts: int
    damping: str
    damping_bias: float
    finish: str
    seed: int | np.random.Generator
    seeds: SeedTable | None = None
    task_joints: np.ndarray | None = None
    idle: np.ndarray | None = None

    def __post_init__(self) -> None:
        lower, upper = self.position_limit.lower, self.position_limit.upper
        self.wraps = bool(np.any(self.revolute & (upper - lower >= 2.0 * np.pi)))
        self.tol_sq = np.concatenate([task.tolerances_sq for task in self.tasks])
        # E within _CLOSE tolerances: ½ Σ over constrained components of (row scale × tolerance)².
        self.E_close = _CLOSE**2 * sum(_energy_tolerance(task) for task in self.tasks)
        self._rng = self.seed if isinstance(self.seed, np.random.Generator) else None
        self.queue: np.ndarray | None = None  # (M, K) seed-table indices for restarts, nearest first
        self.queue_next = np.zeros(self.q0.shape[0], dtype=int)

    # ----------------------------------------------------------------- evaluation
    def gather(self, t: np.ndarray) -> list:
        """Per-row data of every task (and the posture) for rows pursuing targets ``t``."""
        data = [task.gather(t) for task in self.tasks]
        if self.posture is not None:
            data.append(self.posture.gather(t))
        return data

    def rows_at(self, data: list, kin: dict) -> tuple[np.ndarray, ...]:
        """The stacked rows from provider outputs ``kin`` ``{id(provider): (T, J)}``.

        Returns:
            ``e_w`` ``(A, m)``, ``J_w`` ``(A, m, n)`` (unit-free joints), ``E = ½‖e_w‖²`` ``(A,)``, squared errors
            ``(A, k)`` (compared with ``tol_sq``), and the primary (first) task's world Jacobian ``(A, 6, n)``.
        """
        if len(self.tasks) == 1:
            e, J, E, errors = self.tasks[0].rows(data[0], *kin[id(self.tasks[0].provider)])
        else:
            parts = [task.rows(data[i], *kin[id(task.provider)]) for i, task in enumerate(self.tasks)]
            e = np.concatenate([p[0] for p in parts], axis=1)
            J = np.concatenate([p[1] for p in parts], axis=1)
            E = np.sum([p[2] for p in parts], axis=0)
            errors = np.concatenate([p[3] for p in parts], axis=1)
        if self.col_scale is not None:
            J = J * self.col_scale
        return e, J, E, errors, kin[id(self.tasks[0].provider)][1]

    def evaluate(self, data: list, q: np.ndarray) -> tuple[np.ndarray, ...]:
        """:meth:`rows_at` at ``q`` ``(A, n)``: one pass of each distinct provider."""
        kin = {}
        for task in self.tasks:
            if id(task.provider) not in kin:
                kin[id(task.provider)] = task.provider(q)
        return self.rows_at(data, kin)

    def seed_query(self) -> np.ndarray:
        """``(M, 13 k)`` the tasks' seed queries side by side (the seed table holds the tasks' frames in order)."""
        if len(self.tasks) == 1:
            return self.tasks[0].seed_query()
        return np.concatenate([task.seed_query() for task in self.tasks], axis=1)

    # ----------------------------------------------------------------- restart policy
    def resample(self, err: np.ndarray) -> np.ndarray:
        """``(A, n)`` bool: the joints a random restart re-samples, for rows with squared task errors ``err``
        ``(A, 2k)``: those of the tasks not within tolerance (all joints where every task is, or none is)."""
        task_joints = self.task_joints if self.task_joints is not None else np.ones((len(self.tasks), 1))
        k = task_joints.shape[0]
        open_tasks = ~(err <= self.tol_sq).reshape(-1, k, 2).all(axis=2)  # (A, k)
        joints = (open_tasks.astype(float) @ task_joints) > 0  # (A, n)
        joints[~joints.any(axis=1)] = True
        return joints

    def sample(self, t: np.ndarray) -> np.ndarray:
        """Random configurations ``(len(t), n)`` within the sampling bounds for targets ``t``."""
        lo, span = self.sample_lo, self.sample_span
        if lo.ndim == 2:  # about q0 (unlimited prismatic joints)
            lo = lo[t]
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self.keep_idle(lo + span * self._rng.random((t.shape[0], self.q0.shape[1])), t)

    def keep_idle(self, q: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``q`` ``(len(t), n)`` with the :attr:`idle` joints set to those of q0 of targets ``t`` (in place)."""
        if self.idle is not None:
            q[:, self.idle] = self.q0[t][:, self.idle]
        return q

    def next_seeds(self, t: np.ndarray) -> np.ndarray:
        """Seed-table indices ``(len(t),)`` of the next restarts of targets ``t`` (a target may repeat): the
        next entries of each target's queue of nearest seeds; -1 once it is used up (or there is none)."""
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

    def wrap_near(self, q: np.ndarray, q_ref: np.ndarray) -> np.ndarray:
        """Each revolute joint moved by whole turns to the value nearest ``q_ref`` within its limits."""
        lower, upper = self.position_limit.lower, self.position_limit.upper
        shifted = q_ref + (q - q_ref + np.pi) % (2.0 * np.pi) - np.pi
        shifted = np.where(shifted > upper, shifted - 2.0 * np.pi, shifted)
        shifted = np.where(shifted < lower, shifted + 2.0 * np.pi, shifted)
        ok = self.revolute & (shifted >= lower) & (shifted <= upper)
        return np.where(ok, shifted, q)


def _energy_tolerance(task: FramePoseTask) -> float:
    """½ Σ (row scale × tolerance)² over the task's constrained components: E of a row at its tolerances."""
    p, r = task.row_scale[:3].max(), task.row_scale[3:].max()
    return 0.5 * ((p * task.position_tolerance) ** 2 if p > 0 else 0.0) + 0.5 * (
        (r * task.rotation_tolerance) ** 2 if r > 0 else 0.0
    )


@dataclass(frozen=True, eq=False)
class Solution:
    """What :func:`solve_dls` found per target ``(M, ...)``.

    Attributes:
        q: ``(M, n)`` the answer (wrapped near q0), or the closest pose found.
        converged: ``(M,)`` bool: the solver's own test passed (to be verified by the caller).
        iterations: ``(M,)`` int.
        restarts: ``(M,)`` int.
        J: ``(M, 6, n)`` the primary task's world Jacobian at q.
    """

    q: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray
    J: np.ndarray


class _Rows:
    """The rows of the loop (one start of one target each), as parallel arrays.

    Rows restart in place; a row that ends for good is only marked dead (``alive``), and the arrays are
    compacted once ``_COMPACT_FRACTION`` of them are dead. ``E = inf`` marks a fresh start in ``q_new``
    (accepted whatever its error); the flag ``fresh`` says some row has one. ``origin`` marks the rows still
    on the first attempt from q0.
    """

    FIELDS = ("t", "q", "q_new", "e", "J", "E", "err", "mu", "nu", "it", "held", "alive", "origin")

    def __init__(self, pb: Problem, t: np.ndarray, q_new: np.ndarray, m: int) -> None:
        A, n = q_new.shape
        self.t = t  # (A,) target of each row
        self.data = pb.gather(t)  # per task: tuples of (A, ...) arrays
        self.q, self.q_new = q_new, q_new  # accepted state, candidate to evaluate (A, n)
        self.e, self.J = np.zeros((A, m)), np.zeros((A, m, n))  # stacked rows at q
        self.E = np.full(A, np.inf)
        self.err = np.full((A, pb.tol_sq.shape[0]), np.inf)  # squared task errors at q (kept with task_joints)
        self.mu, self.nu = np.ones(A), np.full(A, 2.0)  # damping and its growth factor
        self.it = np.zeros(A, dtype=int)  # steps of the current attempt
        self.it_max = 0  # at least it.max()
        self.held = np.zeros((A, n), dtype=bool)  # joints held at a limit, out of the next step
        self.alive = np.ones(A, dtype=bool)
        self.origin = np.zeros(A, dtype=bool)
        self.fresh = True
        self.all_alive = True
        self.evaluated = False  # some rows start evaluated: the loop steps before evaluating

    def take(self, keep: np.ndarray) -> None:
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name)[keep])
        self.data = [tuple(a[keep] for a in d) for d in self.data]
        self.all_alive = True

    def extend(self, other: _Rows) -> None:
        for name in self.FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))
        self.data = [tuple(np.concatenate([a, b]) for a, b in zip(d, o)) for d, o in zip(self.data, other.data)]
        self.all_alive = self.all_alive and other.all_alive
        self.fresh = True


@dataclass
class _Answer:
    """The per-target answer ``(M, ...)``, filled in place as rows end."""

    success: np.ndarray  # (M,) bool
    q: np.ndarray  # (M, n)
    key: np.ndarray  # (M,) distance to q0 once successful (-1: from q0's own attempt), E before
    J: np.ndarray  # (M, 6, n) primary world Jacobian at q (successful targets)
    iterations: np.ndarray  # (M,) int
    restarts: np.ndarray  # (M,) int
    q0_open: np.ndarray  # (M,) bool: q0's first attempt still runs and will win if it converges
    waiting: bool = False  # some solved target waits for its q0_open attempt


def solve_dls(pb: Problem) -> Solution:
    """Solve ``pb`` by damped least squares with restarts.

    Each pass evaluates every row's candidate once, accepts it when it lowers ``E = ½‖e_w‖²`` (a fresh start
    always), adapts the damping, ends the rows that converged or failed, and takes the next damped step from
    every row's accepted state. A row's attempt fails after ``max_iterations`` steps or when its damping grew
    past ``_MU_MAX``; it then restarts in place (from the target's next nearest seeds, then random
    configurations) while its target has restarts left.
    """
    M, n = pb.q0.shape
    m = sum(task.m for task in pb.tasks)
    answer = _Answer(
        success=np.zeros(M, dtype=bool),
        q=pb.q0.copy(),
        key=np.full(M, np.inf),
        J=np.zeros((M, 6, n)),
        iterations=np.zeros(M, dtype=int),
        restarts=np.zeros(M, dtype=int),
        q0_open=np.full(M, pb.prefer_q0),
    )
    if M == 0:
        return Solution(answer.q, answer.success, answer.iterations, answer.restarts, answer.J)
    # Rows: the first start of each target is q0, the others the nearest entries of the seed table (then
    # random ones if it is short).
    starts = min(pb.starts, pb.max_restarts + 1)
    t = np.repeat(np.arange(M), starts) if M > 1 else np.zeros(starts, dtype=int)  # target of each row
    if starts == 1 or pb.seeds is None:
        q_new = np.repeat(pb.q0, starts, axis=0) if starts > 1 else pb.q0.copy()
        if starts > 1:
            q_new.reshape(M, starts, n)[:, 1:] = pb.sample(np.repeat(np.arange(M), starts - 1)).reshape(M, -1, n)
            answer.restarts += starts - 1
        rows = _Rows(pb, t, q_new, m)
    else:
        K = pb.seeds.q.shape[0]
        k = min(starts - 1, K)
        near = pb.seeds.nearest(pb.seed_query(), min(k + _SEEDED_RESTARTS, K))  # nearest first
        pb.queue, near = near[:, k:], np.ascontiguousarray(near[:, :k])
        q_new = np.empty((M, starts, n))
        q_new[:, 0] = pb.q0
        q_new[:, 1 : k + 1] = pb.seeds.q[near]
        if pb.idle is not None:
            q_new[:, 1 : k + 1, pb.idle] = pb.q0[:, None, pb.idle]
        if starts > k + 1:
            q_new[:, k + 1 :] = pb.sample(np.repeat(np.arange(M), starts - k - 1)).reshape(M, -1, n)
        answer.restarts += starts - 1
        rows = _Rows(pb, t, q_new.reshape(-1, n), m)
        # The seed-table rows start evaluated, from the table's poses and Jacobians, so their first step is
        # taken before the first kernel pass (which evaluates q0 and those steps): one pass fewer.
        i = near.ravel()
        sel = (np.arange(M * starts).reshape(M, starts)[:, 1 : k + 1]).ravel()
        data = [tuple(a[sel] for a in d) for d in rows.data]
        e, J, E, err, _ = pb.rows_at(data, pb.seeds.kin(i))
        rows.e[sel], rows.J[sel], rows.E[sel], rows.err[sel] = e, J, E, err
        if pb.damping == "lm":
            rows.mu[sel] = _TAU_SEEDED * np.einsum("ijk,ijk->ik", J, J).max(axis=1)
        rows.evaluated = True
    rows.origin[::starts] = True  # the first row of each target starts from q0
    _loop(pb, rows, answer)
    if not answer.success.all():  # the Jacobian at the closest poses (one provider pass)
        fail = np.flatnonzero(~answer.success)
        answer.J[fail] = pb.evaluate(pb.gather(fail), answer.q[fail])[4]
    return Solution(answer.q, answer.success, answer.iterations, answer.restarts, answer.J)


def _loop(pb: Problem, s: _Rows, answer: _Answer) -> None:
    """The passes of :func:`solve_dls` until no row is left."""
    tol = pb.tol_sq
    max_iterations = pb.max_iterations
    scheme = pb.damping
    col = pb.col_scale
    step = s.evaluated  # rows evaluated before the loop (from the seed table) take their first step at once
    while True:
        if step:
            # ---- the damped step from every row's accepted state
            q = s.q
            if scheme == "lm":
                lam = s.mu
            else:
                # Rows restarted by _finish have E = inf: any finite λ will do (their step is not used).
                E = np.where(s.E == np.inf, 1.0, s.E) if s.fresh else s.E
                if scheme == "sugihara":  # λ = E + w̄_N (Sugihara, IEEE T-RO 27(5), 2011, eq. 22-23)
                    lam = s.mu * (E + pb.damping_bias)
                else:  # λ = α E (Chan & Lawrence, ICRA 1988)
                    lam = s.mu * E
            z = None
            if pb.posture is not None:
                z = pb.posture.bias(s.data[-1], q)
                if col is not None:
                    z = z / col
            held = s.held
            any_held = held.any()
            dq = damped_step(s.J, s.e, lam, z, held if any_held else None)
            if col is not None:
                dq *= col
            push = pb.position_limit.pushing(q, dq)
            dq[push | held if any_held else push] = 0.0
            s.held = push
            dq = pb.step_limit.apply(dq)
            step_q = pb.position_limit.project(q + dq)
            if s.fresh:
                s.q_new = np.where((s.E == np.inf)[:, None], s.q_new, step_q)
            else:
                s.q_new = step_q
        step = True
        # ---- evaluate every candidate: one provider pass for pose and Jacobian
        e_new, J_new, E_new, err_new, J_plain = pb.evaluate(s.data, s.q_new)
        converged = (err_new <= tol).all(axis=1)
        accept = (E_new < s.E) | converged
        if not s.all_alive:  # a dead row is accepted at every pass, so its damping stays finite
            accept |= ~s.alive
        all_accept = accept.all()
        # ---- damping: down after an accepted step, up (by ν, and ν doubles) after a rejected one
        if scheme == "lm":
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
            if scheme == "lm":  # μ₀ = τ max diag(J_wᵀJ_w)
                s.mu = np.where(fresh, _TAU * np.einsum("ijk,ijk->ik", J_new, J_new).max(axis=1), s.mu)
            else:
                s.mu[fresh] = 1.0
            s.fresh = False
        # ---- accept
        if all_accept:
            s.q, s.e, s.J, s.E = s.q_new, e_new, J_new, E_new
            if pb.task_joints is not None:
                s.err = err_new
        else:
            s.q = np.where(accept[:, None], s.q_new, s.q)
            s.e = np.where(accept[:, None], e_new, s.e)
            s.J = np.where(accept[:, None, None], J_new, s.J)
            s.E = np.where(accept, E_new, s.E)
            if pb.task_joints is not None:
                s.err = np.where(accept[:, None], err_new, s.err)
        # ---- rows that end: converged, or the attempt failed (too many steps, or a local minimum)
        failed = s.mu > _MU_MAX
        if answer.waiting:  # a solved target waits for q0's first attempt only while it is nearly there
            failed |= s.origin & answer.success[s.t] & (s.E > 0.5 * _Q0_BASIN**2)
        s.it_max += 1  # an upper bound of s.it (rows that restart start again from 0)
        if s.it_max >= max_iterations:
            long = s.it >= max_iterations
            failed |= long & ((s.E > pb.E_close) | (s.it >= _CLOSE_STEPS * max_iterations))
            s.it_max = int(s.it.max())
        if not s.all_alive:
            converged &= s.alive
            failed &= s.alive
        if converged.any() or failed.any():
            if not _finish(pb, s, np.asarray(converged), np.asarray(failed & ~converged), J_plain, answer):
                return


def _first_per_target(t: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions (into ``t``) of the row with the smallest ``key`` for each distinct target in ``t``."""
    order = np.lexsort((key, t))
    ts = t[order]
    first = np.ones(ts.shape, dtype=bool)
    first[1:] = ts[1:] != ts[:-1]
    return order[first]


def _finish(
    pb: Problem, s: _Rows, converged: np.ndarray, failed: np.ndarray, J_plain: np.ndarray, answer: _Answer
) -> bool:
    """Bookkeeping for the (alive) rows that converged or failed this pass; False when no row is left.

    A converged row offers its q (moved by whole turns to the value nearest q0) to its target: the row of q0's
    first attempt wins outright (``prefer="q0"``), else the one nearest q0 is kept. A failed row of an unsolved
    target offers its q as the closest pose while nothing converged (smallest E) and restarts in place while
    the target has restarts left. With ``finish="first"`` every other row of a solved target ends with it, and
    the target ends once q0's first attempt is no longer open.
    """
    M = pb.q0.shape[0]
    t = s.t
    success = answer.success
    ending = converged | failed
    if converged.any():
        rows = np.flatnonzero(converged)
        tc = t[rows]
        q0 = pb.q0[tc]
        q_wrapped = pb.wrap_near(s.q[rows], q0) if pb.wraps else s.q[rows]
        dist = np.sqrt(np.einsum("ij,ij->i", q_wrapped - q0, q_wrapped - q0))
        if pb.prefer_q0:
            dist = np.where(s.origin[rows], -1.0, dist)  # q0's own solution before any other
        if rows.size > 1:
            pick = _first_per_target(tc, dist)
            rows, tc, dist, q_wrapped = rows[pick], tc[pick], dist[pick], q_wrapped[pick]
        better = ~success[tc] | (dist < answer.key[tc])
        if not better.all():
            rows, tc, dist, q_wrapped = rows[better], tc[better], dist[better], q_wrapped[better]
        success[tc] = True
        answer.key[tc] = dist
        answer.q[tc] = q_wrapped
        answer.J[tc] = J_plain[rows]
    if pb.prefer_q0 and converged.any():  # q0's attempt on a target just solved goes on only if nearly there
        leash = s.origin & success[t] & (s.E > 0.5 * _Q0_BASIN**2)
        ending |= leash if s.all_alive else leash & s.alive
    ended_origin = ending & s.origin
    if ended_origin.any():
        answer.q0_open[t[ended_origin]] = False
    if pb.finish == "first" and success.any():
        # Every other row of a solved target ends; q0's first attempt runs on while it is open.
        if success.all() and not answer.q0_open.any():  # the usual end: every target solved
            alive = s.alive if not s.all_alive else slice(None)
            answer.iterations += np.bincount(t[alive], weights=s.it[alive], minlength=M).astype(int)
            return False
        waits = s.origin & answer.q0_open[t]  # q0's open first attempt of a solved target goes on
        ending |= (success[t] & ~waits) if s.all_alive else s.alive & success[t] & ~waits
    answer.waiting = bool((success & answer.q0_open).any())
    again = None
    if failed.any():
        failed &= ~success[t]  # a failed row of a solved target just ends
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
            again = rows[order[rank < pb.max_restarts - answer.restarts[ts]]]
        else:
            again = rows[answer.restarts[tf] < pb.max_restarts]
    ending_rows = np.flatnonzero(ending)
    answer.iterations += np.bincount(t[ending_rows], weights=s.it[ending_rows], minlength=M).astype(int)
    if again is not None and again.size:
        answer.restarts += np.bincount(t[again], minlength=M)
        _restart(pb, s, again)
        ending[again] = False
    if ending.any():
        s.alive &= ~ending
        s.all_alive = False
        n_alive = int(s.alive.sum())
        if not n_alive:
            return False
        if s.alive.shape[0] - n_alive >= _COMPACT_FRACTION * s.alive.shape[0]:
            s.take(s.alive)
        # Top-up: while fewer than _TOPUP_ROWS rows are alive (the last hard targets of a batch), every
        # unsolved target still in play gets new starts up to that many rows (restarts permitting).
        if n_alive < _TOPUP_ROWS:
            current = np.bincount(s.t[s.alive], minlength=M)
            in_play = ~success & (current > 0)
            per_target = max(1, min(AUTO_STARTS_MAX, _TOPUP_ROWS // max(1, int(in_play.sum()))))
            new = np.clip(np.where(in_play, per_target - current, 0), 0, pb.max_restarts - answer.restarts)
            if new.any():
                t_new = np.repeat(np.arange(M), new)
                answer.restarts += new
                extra = _Rows(pb, t_new, pb.sample(t_new), s.e.shape[1])
                _restart(pb, extra, np.arange(t_new.shape[0]))
                s.extend(extra)
    return True


def _restart(pb: Problem, s: _Rows, rows: np.ndarray) -> None:
    """Restart ``rows`` (indices into ``s``) in place: from the next seeds of their targets' queues, which
    start evaluated (so they take their first step at the next pass), else from random configurations
    (fresh, evaluated at the next pass)."""
    t = s.t[rows]
    s.origin[rows] = False
    idx = pb.next_seeds(t)
    seeded = idx >= 0
    if not seeded.all():
        rnd = rows[~seeded]
        s.q_new = s.q_new.copy() if s.q_new is s.q else s.q_new
        q_random = pb.sample(t[~seeded])
        if pb.task_joints is not None:  # keep the joints of the tasks already within tolerance
            q_random = np.where(pb.resample(s.err[rnd]), q_random, s.q[rnd])
        s.q_new[rnd] = q_random
        s.E[rnd] = np.inf
        s.nu[rnd] = 2.0
        s.fresh = True
    table = pb.seeds
    if table is not None and seeded.any():  # (idx >= 0 only with a table)
        r, i = rows[seeded], idx[seeded]
        s.q = s.q.copy() if s.q is s.q_new else s.q
        s.q[r] = pb.keep_idle(table.q[i], t[seeded])
        data = [tuple(a[r] for a in d) for d in s.data]
        e, J, E, err, _ = pb.rows_at(data, table.kin(i))
        s.e[r], s.J[r], s.E[r], s.err[r] = e, J, E, err
        s.mu[r] = _TAU_SEEDED * np.einsum("ijk,ijk->ik", J, J).max(axis=1) if pb.damping == "lm" else 1.0
        s.nu[r] = 2.0
        s.it[r] = 0
        s.held[r] = False
