"""Every zero of a branched function of one angle, batched: the 1-D search of the analytic IK families.

A search family of :mod:`robokin.ik.analytic` fixes one joint at an angle ``t`` and solves the rest by
subproblems, which give up to ``B`` branches (solution slots); on each branch a residual ``e_b(t)`` vanishes
exactly at the inverse-kinematics solutions (IK-Geo, Elias & Wen, arXiv 2211.05737, sec. 4). This module
finds every zero of every branch over a whole turn of ``t``, for ``N`` problems at once:

1. **Grid.** ``e`` on ``grid`` values of ``t`` over ``[−π, π)``; the slots of neighbouring values are
   matched by the branch's other angles (the subproblem's slot order may change with ``t``). A branch
   evaluated past the end of its real range (a fold of the solution curve, where two branches meet) should
   go on continuously, e.g. the angle of a complex root pair, so that a zero between the last real grid
   value and the fold is still a sign change on one branch (the caller rejects zeros off the real branches).
2. **Brackets**: a sign change of a branch between neighbours. Intervals whose slots do not match one-to-one
   (a fold inside) are cut into :data:`FOLD_POINTS` sub-intervals, :data:`FOLD_LEVELS` deep, at most
   :data:`FOLD_KEEP` a level per problem: those with a real slot and a sign change among the slots that meet
   there first, those between complex pairs only last. So are intervals a branch crosses like a pole
   (:func:`_poles`: its sampled differences zig-zag, the largest step in the middle), where a subproblem
   nearly degenerates and the branch swings within a stretch much narrower than a grid step.
3. **Near-tangent minima** (double roots, or two zeros within one grid step): a grid minimum of ``|e_b|``
   that is small against the change of ``e_b`` to its neighbours is zoomed into by local grids of
   :data:`ZOOM_POINTS` values; a sign change there gives two brackets, a minimum within ``double_tol`` after
   :data:`ZOOM_LEVELS` levels a double-root seed.
4. **Refinement** of every bracket by the Illinois variant of regula falsi with bisection steps
   (:data:`REFINE_STEPS` evaluations), following the branch by its angles. A zero that lands on a complex
   pair with a real end in its bracket (a zero at a fold: e moves like a square root on the real side and
   linearly on the pair's) is followed back to the real side by :data:`FOLD_BISECT` bisections.

Every step is one vectorised evaluation over all problems (and brackets) at once; no loop over problems.
The zeros come back unverified: the caller completes the other joints and checks them with the forward
kinematics.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .subproblems import wrap_angle

__all__ = [
    "Evaluate",
    "find_zeros",
    "ZOOM_POINTS",
    "ZOOM_LEVELS",
    "REFINE_STEPS",
    "FOLD_KEEP",
    "ZOOM_KEEP",
    "SAME_ZERO",
    "FOLD_BISECT",
]

# evaluate(rows (C,), t (C, G)) -> (e (C, G, B), angles (C, G, B, k)): the residual of each branch and the
# branch's other angles [rad] at t, for the problems ``rows``.
Evaluate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

# A grid minimum of |e_b| is zoomed into when it is below TANGENT_RATIO times the larger change of e_b to its
# two neighbours: a smooth dip e ≈ m + a (t − t0)² sampled at step h changes by about a h² between
# neighbours, so a dip whose bottom m could reach zero between them has m of that order; 4 leaves a margin
# for the third-order terms.
TANGENT_RATIO = 4.0
# Local grid of a zoom: ZOOM_POINTS values over the window around the minimum, which shrinks to the two
# neighbours of the local minimum each level (by 2/(ZOOM_POINTS − 1)); after ZOOM_LEVELS levels the window
# is about 1e-8 of a coarse step.
ZOOM_POINTS = 16
ZOOM_LEVELS = 8
# At most ZOOM_KEEP minima per problem are zoomed into (per call: the grid, each level of fold cutting), the
# least |e| first: a 6R arm has at most 16 solutions, so at most 8 double roots; the rest are margin for
# minima that are not zeros. Ambiguously matched branches (see FOLD_KEEP) can make hundreds of false minima.
ZOOM_KEEP = 32
# Intervals of the grid whose branches do not match one-to-one hold a fold (two branches meet, a square-root
# point of the solution curve): they are cut into FOLD_POINTS sub-intervals, FOLD_LEVELS times, around it.
FOLD_POINTS = 8
FOLD_LEVELS = 5
# At most FOLD_KEEP sub-intervals per problem go down a level, those with the least |e| at their ends (the
# folds next to a zero); the others have their sign changes bracketed as they are. Two branches that run
# close to one another over a long stretch (a near-degenerate arm) match ambiguously at every scale, and
# without the cap their sub-intervals would multiply by FOLD_POINTS a level (10^4 of them for one target,
# seconds of CPU). A 6R arm has at most 16 solutions, so a problem has few folds worth following.
FOLD_KEEP = 16
# ... and so do intervals over which a branch's angles move by MAX_GAP [rad] or more (a near-singular
# stretch, where the branches can pass close to one another).
MAX_GAP = 0.25
# Seeds at a fold are the slots whose |e| there is at most FOLD_SEED (e moves like the square root of the
# distance to the fold: about 1e-3 times its slope scale over the last level's 1e-6 rad).
FOLD_SEED = 0.05
# Two slots whose angles differ by less than this [rad] are one branch (the two roots of a complex pair).
_SAME = 1e-6
# Two zeros of a problem closer than this in t and in the branch's angles [rad] are one (found twice).
SAME_ZERO = 1e-10
# Evaluations per bracket in the refinement; every BISECT_EVERY-th is a bisection (a guaranteed halving,
# for branches that end in a fold, where e behaves like a square root and regula falsi is slow).
REFINE_STEPS = 24
BISECT_EVERY = 4
# Bisection steps from a bracket's real end towards a zero found on a complex pair (a fold between them): the
# bracket (at most a grid step, 0.025 rad) halved 40 times is 2e-14 rad.
FOLD_BISECT = 40


def _branch_gap(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Largest angle difference (mod 2π) between branch angles ``A (..., k)`` and ``B (..., k)``."""
    return np.abs(wrap_angle(A - B)).max(-1)


def _pick(e: np.ndarray, Q: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slot of ``e (C, B)``, ``Q (C, B, k)`` whose angles are nearest ``ref (C, k)``: ``(e (C,), Q (C, k))``."""
    j = np.argmin(_branch_gap(Q, ref[:, None, :]), axis=-1)
    rows = np.arange(e.shape[0])
    return e[rows, j], Q[rows, j]


def _sign(e: np.ndarray) -> np.ndarray:
    """+1 for e ≥ 0 (zero counts as positive, so that an exact zero on the grid is a sign change once)."""
    return np.where(e >= 0.0, 1.0, -1.0)


def _evaluate(evaluate: Evaluate, rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        e, Q = evaluate(rows, t)
    return np.nan_to_num(e, nan=np.inf), np.nan_to_num(Q)


def _same_slots(Q: np.ndarray) -> np.ndarray:
    """``(..., B, B)`` bool: slots of ``Q (..., B, k)`` with equal angles (within _SAME; a complex pair's two
    roots), each slot equal to itself."""
    return _branch_gap(Q[..., :, None, :], Q[..., None, :, :]) < _SAME


def _has_twin(Qs: np.ndarray, Qx: np.ndarray) -> np.ndarray:
    """``(C,)`` bool: the slot ``Qx (C, k)`` picked from ``Qs (C, B, k)`` has a twin (a complex pair's roots
    share their angles; a real branch's slot is alone)."""
    return (_branch_gap(Qs, Qx[:, None, :]) < _SAME).sum(-1) > 1


def _mixed_signs(ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """``(C,)`` bool: among the finite values of ``ea``, ``eb`` ``(C, B)`` (the slots at an interval's two
    ends) there are both signs, i.e. some pairing of slots changes sign across the interval."""
    fin_a, fin_b = np.isfinite(ea), np.isfinite(eb)
    pos = (fin_a & (ea >= 0)).any(-1) | (fin_b & (eb >= 0)).any(-1)
    neg = (fin_a & (ea < 0)).any(-1) | (fin_b & (eb < 0)).any(-1)
    return pos & neg


def _matches(Qa: np.ndarray, Qb: np.ndarray) -> tuple[np.ndarray, ...]:
    """Branch matching across intervals, ``Qa``, ``Qb`` ``(C, B, k)`` the angles at the two ends.

    Returns:
        ``fwd (C, B)`` the nearest slot at b of each slot at a, ``back (C, B)`` the nearest at a of each at
        b, ``clean (C,)``: the matching is one-to-one once slots with equal angles (the two members of
        a complex pair) are taken as one (an interval with a fold, two branches meeting, is not clean), and
        ``odd_a``, ``odd_b`` ``(C, B)``: the slots at each end that break it (not back where they started
        after a round trip, matched across a real/complex-pair change, or moving by MAX_GAP or more). At a
        fold these are the branches that meet there and the pair that continues them.
    """
    D = _branch_gap(Qa[:, :, None, :], Qb[:, None, :, :])  # (C, B, B)
    fwd = np.argmin(D, axis=-1)
    back = np.argmin(D, axis=-2)
    same_a, same_b = _same_slots(Qa), _same_slots(Qb)  # (C, B, B)
    C, B = fwd.shape
    r = np.arange(C)[:, None]
    round_a = same_a[r, np.arange(B), back[r, fwd]]  # a -> b -> a returns to an equal slot
    round_b = same_b[r, np.arange(B), fwd[r, back]]
    # as many distinct branches at both ends
    distinct_a = (np.argmax(same_a, axis=-1) == np.arange(B)).sum(-1)
    distinct_b = (np.argmax(same_b, axis=-1) == np.arange(B)).sum(-1)
    far_a = np.take_along_axis(D, fwd[..., None], -1)[..., 0] >= MAX_GAP  # (C, B)
    far_b = np.take_along_axis(D, back[:, None, :], -2)[:, 0, :] >= MAX_GAP
    # a slot with a twin (a complex pair) matched to one without (a real branch) means folds inside
    twin_a, twin_b = same_a.sum(-1) > 1, same_b.sum(-1) > 1  # (C, B)
    odd_a = ~round_a | far_a | (twin_a != np.take_along_axis(twin_b, fwd, -1))
    odd_b = ~round_b | (twin_b != np.take_along_axis(twin_a, back, -1))
    clean = ~odd_a.any(-1) & ~odd_b.any(-1) & (distinct_a == distinct_b)
    return fwd, back, clean, odd_a, odd_b | far_b


def _tangent(e: np.ndarray, e_prev: np.ndarray, e_next: np.ndarray) -> np.ndarray:
    """Near-tangent minima: ``|e|`` of a branch no larger than at its neighbours on the branch (``e_prev``,
    ``e_next``, all of one sign) and within TANGENT_RATIO times the larger change to them."""
    finite = np.isfinite(e) & np.isfinite(e_next) & np.isfinite(e_prev)
    s = _sign(e)
    tangent = finite & (_sign(e_next) == s) & (_sign(e_prev) == s)
    tangent &= (s * e_next >= s * e) & (s * e_prev >= s * e)
    with np.errstate(invalid="ignore"):
        tangent &= np.abs(e) <= TANGENT_RATIO * np.maximum(np.abs(e_next - e), np.abs(e_prev - e))
    return tangent


def _one_sided(e: np.ndarray, e_side: np.ndarray, e_far: np.ndarray | None = None) -> np.ndarray:
    """Near-tangent minima seen from one side, for values whose other neighbour is across a fold (a dip of a
    branch that starts at the fold has its sampled minimum next to it, with no usable neighbour on the fold's
    side): ``|e|`` no larger than at the clean side's neighbour ``e_side`` (of the same sign) and within
    TANGENT_RATIO times the change to it.

    With ``e_far``, the branch's value one step further on the clean side (NaN where unknown), also within
    TANGENT_RATIO times half the second difference when it curves away from zero: a dip
    ``e ≈ m + a (t − t0)²`` whose bottom t0 lies between ``e``'s value and ``e_side``'s (a symmetric one has
    ``e_side − e`` near 0, however deep) has ``e − m ≤ a h²`` and a second difference of ``2 a h²``."""
    finite = np.isfinite(e) & np.isfinite(e_side)
    s = _sign(e)
    one = finite & (_sign(e_side) == s) & (s * e_side >= s * e)
    with np.errstate(invalid="ignore"):
        near = np.abs(e) <= TANGENT_RATIO * np.abs(e_side - e)
    if e_far is not None:
        near |= _curved(e, e_side, e_far)
    return one & near


def _curved(e: np.ndarray, e_side: np.ndarray, e_far: np.ndarray) -> np.ndarray:
    """The second-difference part of :func:`_one_sided` (``e_side`` of ``e``'s sign, no smaller)."""
    s = _sign(e)
    with np.errstate(invalid="ignore"):
        ok = (_sign(e_side) == s) & (s * e_side >= s * e)
        return ok & (np.abs(e) <= TANGENT_RATIO * 0.5 * s * (e_far - 2.0 * e_side + e))


def _poles(e: np.ndarray, Q: np.ndarray, fwd: np.ndarray, back: np.ndarray, e_floor: float) -> np.ndarray:
    """Intervals a branch crosses like a pole: ``(C, V − 3)`` bool for the intervals ``1 … V − 3`` of ``V``
    values ``e (C, V, B)``, ``Q (C, V, B, k)`` (interval ``m`` from value ``m`` to ``m + 1``; ``fwd``, ``back``
    ``(C, V − 1, B)`` the matching of each interval, from :func:`_matches`).

    An interval is flagged when, on a real branch (no twin at either end), ``e`` or one of the angles moves
    across it against the direction it moves across both neighbouring intervals, and by more than across
    either: the sampled differences zig-zag with the largest step in the middle. A smooth branch sampled finer
    than its features cannot do that (a max and a min within one step); a branch that passes close to a
    degenerate subproblem can: two branches that nearly meet without meeting (an avoided fold), or an angle
    that a subproblem leaves undetermined there (SP1 with its vectors along the axis), swing by up to π within a
    tiny stretch, and followed by their angles across an interval that holds it they look like ``1/(t − t0)``
    (a pole; rtbdata's IRB 140, whose wrist is 2 cm off spherical, has its solutions inside such a stretch
    1e-4 rad wide). ``e`` moves with the angles there, so zeros hide in the interval with no sign change at
    its ends. ``e_floor`` and :data:`_SAME` [rad] are the noise levels below which a middle step is ignored.
    """
    V = e.shape[1]
    m = np.arange(1, V - 2)
    s1 = fwd[:, m]  # (C, M, B): the slot at m + 1 of each slot at m
    s2 = np.take_along_axis(fwd[:, m + 1], s1, -1)  # ... at m + 2
    s0 = back[:, m - 1]  # ... at m − 1
    twin = _same_slots(Q).sum(-1) > 1  # (C, V, B)

    def at(x: np.ndarray, j: np.ndarray, slot: np.ndarray) -> np.ndarray:
        x = x[:, j]
        return np.take_along_axis(x, slot.reshape(slot.shape + (1,) * (x.ndim - 3)), 2)

    Qm, Q1, Q2, Q0 = Q[:, m], at(Q, m + 1, s1), at(Q, m + 2, s2), at(Q, m - 1, s0)
    em, e1, e2, e0 = e[:, m], at(e, m + 1, s1), at(e, m + 2, s2), at(e, m - 1, s0)
    flags = np.zeros(s1.shape, dtype=bool)  # (C, M, B)
    for before, mid, after, floor in (
        (wrap_angle(Qm - Q0), wrap_angle(Q1 - Qm), wrap_angle(Q2 - Q1), _SAME),
        ((em - e0)[..., None], (e1 - em)[..., None], (e2 - e1)[..., None], e_floor),
    ):
        with np.errstate(invalid="ignore"):
            zig = (np.sign(before) == np.sign(after)) & (np.sign(mid) == -np.sign(before))
            zig &= np.abs(mid) > np.maximum(np.maximum(np.abs(before), np.abs(after)), floor)
        flags |= zig.any(-1)
    flags &= ~twin[:, m] & ~at(twin, m + 1, s1)
    return np.asarray(flags.any(-1))


def _sign_changes(
    rows: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    ea: np.ndarray,
    Qa: np.ndarray,
    eb: np.ndarray,
    Qb: np.ndarray,
    fwd: np.ndarray,
    back: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Brackets of the branches that change sign across intervals ``[ta, tb]`` ``(C,)`` (values ``ea``,
    ``eb`` ``(C, B)``, angles ``Qa``, ``Qb`` ``(C, B, k)``), the slots matched both ways (``fwd``, ``back``
    from :func:`_matches`)."""
    C, B = ea.shape
    c, bi = np.nonzero(np.ones((C, B), dtype=bool))
    pairs = np.unique(np.concatenate([(c * B + bi) * B + fwd[c, bi], (c * B + back[c, bi]) * B + bi]))
    b2, b1, c = pairs % B, pairs // B % B, pairs // (B * B)
    e1, e2 = ea[c, b1], eb[c, b2]
    ch = np.isfinite(e1) & np.isfinite(e2) & (_sign(e1) != _sign(e2))
    c, b1, b2 = c[ch], b1[ch], b2[ch]
    return (rows[c], ta[c], tb[c], ea[c, b1], eb[c, b2], Qa[c, b1], Qb[c, b2])


def find_zeros(
    evaluate: Evaluate, n: int, grid: int, double_tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every zero over ``t ∈ [−π, π)`` of every branch of ``evaluate``, for ``n`` problems.

    Args:
        evaluate: ``evaluate(rows, t)`` with ``rows`` ``(C,)`` problem indices and ``t`` ``(C, G)`` [rad]
            returns ``e`` ``(C, G, B)`` (the residual of each branch; its unit is the caller's) and the
            branch's other angles ``(C, G, B, k)`` [rad], by which branches are followed.
        n: Number of problems.
        grid: Number of grid values over the turn.
        double_tol: A zoomed minimum ``|e|`` at or below this is a double root (a seed), in ``e``'s unit.

    Returns:
        ``rows (S,)`` the problem of each zero (sorted; within a problem the least ``|e|`` first), ``t (S,)`` [rad] in ``(−π, π]``, ``angles (S, k)``
        the branch's other angles there, and ``e (S,)`` the residual there (seeds of zeros next to a fold
        have a larger one: the caller polishes and verifies every zero).
    """
    t = np.broadcast_to(np.linspace(-np.pi, np.pi, grid, endpoint=False), (n, grid))
    rows = np.arange(n)
    e, Q = _evaluate(evaluate, rows, t)  # (n, G, B), (n, G, B, k)
    nxt = np.roll(np.arange(grid), -1)
    prv = np.roll(np.arange(grid), 1)
    step = 2.0 * np.pi / grid
    k = Q.shape[-1]
    B = e.shape[-1]
    # 2. Intervals between neighbours: sign changes where the branches match one-to-one, local grids
    # (FOLD_POINTS values, FOLD_LEVELS deep) where they do not (a fold inside).
    fwd, back, clean = (
        x.reshape((n, grid) + x.shape[1:]) for x in _matches(Q.reshape(-1, B, k), Q[:, nxt].reshape(-1, B, k))[:3]
    )
    # Intervals a branch crosses like a pole (a nearly degenerate subproblem inside) are looked at like folds.
    ext = np.arange(-1, grid + 2) % grid  # grid values G − 1, 0, …, G − 1, 0, 1
    clean &= ~_poles(e[:, ext], Q[:, ext], fwd[:, ext[:-1]], back[:, ext[:-1]], double_tol)
    m_next = fwd
    m_prev = back[:, prv]  # the nearest slot at t_{i−1} of each slot at t_i
    e_next = np.take_along_axis(e[:, nxt], m_next, -1)
    e_prev = np.take_along_axis(e[:, prv], m_prev, -1)
    pn, gi = np.nonzero(clean)
    brackets = [
        _sign_changes(
            pn,
            t[pn, gi],
            t[pn, gi] + step,
            e[pn, gi],
            Q[pn, gi],
            e[pn, nxt[gi]],
            Q[pn, nxt[gi]],
            fwd[pn, gi],
            back[pn, gi],
        )
    ]
    seeds: list[tuple[np.ndarray, ...]] = []
    zooms: _Zeros = []  # near-tangent minima to zoom into, all at once at the end (one pass of ZOOM_LEVELS)
    pn, gi = np.nonzero(~clean)
    if pn.size:
        out = np.stack([prv[gi], nxt[nxt[gi]]], -1)  # (K, 2) the grid values before and after
        more, fold_seeds, fold_zooms = _folds(
            evaluate,
            pn,
            t[pn, gi],
            step,
            e[pn, gi],
            Q[pn, gi],
            e[pn, nxt[gi]],
            Q[pn, nxt[gi]],
            e[pn[:, None], out],
            Q[pn[:, None], out],
            double_tol,
        )
        brackets += more
        seeds += fold_seeds
        zooms += fold_zooms
    # 3. Near-tangent minima of |e| on a branch, with no sign change to either neighbour; next to a fold,
    # seen from the clean side alone and zoomed into on that side.
    clean_prev = clean[:, prv]
    pn, gi, bi = np.nonzero(_tangent(e, e_prev, e_next))
    # (the values two steps away on the branch, where the interval beyond the neighbour is clean too)
    e_next2 = np.take_along_axis(e[:, nxt[nxt]], np.take_along_axis(fwd[:, nxt], m_next, -1), -1)
    e_next2 = np.where(clean[:, nxt, None], e_next2, np.nan)
    e_prev2 = np.take_along_axis(e[:, prv[prv]], np.take_along_axis(m_prev[:, prv], m_prev, -1), -1)
    e_prev2 = np.where(clean[:, prv[prv], None], e_prev2, np.nan)
    # ... and so is a value next to a sign change, seen from its other side by the second difference alone (a
    # dip with two zeros beside a third: two_intersecting_0 target 6050 of benchmarks/ik_search.py's audit).
    crossed_prev = np.isfinite(e_prev) & (_sign(e_prev) != _sign(e))
    crossed_next = np.isfinite(e_next) & (_sign(e_next) != _sign(e))
    for side, mask in (
        (1.0, _one_sided(e, e_next, e_next2) & (clean & ~clean_prev)[..., None]),
        (-1.0, _one_sided(e, e_prev, e_prev2) & (clean_prev & ~clean)[..., None]),
        (1.0, _curved(e, e_next, e_next2) & clean[..., None] & crossed_prev),
        (-1.0, _curved(e, e_prev, e_prev2) & clean_prev[..., None] & crossed_next),
    ):
        p1, g1, b1 = np.nonzero(mask)
        if p1.size:
            centre = t[p1, g1] + side * 0.5 * step
            zooms.append(_zoom_window(p1, centre, 0.5 * step, Q[p1, g1, b1], e[p1, g1, b1]))
    if pn.size:
        zooms.append(_zoom_window(pn, t[pn, gi], step, Q[pn, gi, bi], e[pn, gi, bi]))
    if zooms:
        z_rows, z_lo, z_hi, z_Q = (np.concatenate(parts) for parts in zip(*zooms))
        # A minimum flagged again (by the grid and a fold's local grid, or at two levels) is zoomed into once.
        key = np.column_stack([z_rows, z_lo, z_hi, z_Q])
        once = np.sort(np.unique(key, axis=0, return_index=True)[1])
        more, tangent_seeds = _zoom(evaluate, z_rows[once], z_lo[once], z_hi[once], z_Q[once], double_tol)
        brackets += more
        seeds += tangent_seeds
    # One refinement of every bracket at once (grid, fold and zoom brackets alike).
    brackets = [b for b in brackets if b[0].size]
    zeros = [z for z in seeds if z[0].size]
    if brackets:
        zeros.append(_refine(evaluate, *(np.concatenate(parts) for parts in zip(*brackets))))
    if not zeros:
        return np.zeros(0, dtype=int), np.zeros(0), np.zeros((0, k)), np.zeros(0)
    r, tz, Qz, ez = (np.concatenate(parts) for parts in zip(*zeros))
    # One of each zero found more than once (the same bracket from the grid and a fold's local grid, a zoom
    # and a bracket): the caller keeps a bounded number of zeros per problem.
    order = np.lexsort((tz, r))
    r, tz, Qz, ez = r[order], tz[order], Qz[order], ez[order]
    again = (r[1:] == r[:-1]) & (np.abs(wrap_angle(tz[1:] - tz[:-1])) < SAME_ZERO)
    again &= _branch_gap(Qz[1:], Qz[:-1]) < SAME_ZERO
    first = np.r_[True, ~again]
    r, tz, Qz, ez = r[first], tz[first], Qz[first], ez[first]
    order = np.lexsort((np.abs(ez), r))  # within a problem, the least |e| first (a caller may keep only some)
    return r[order], wrap_angle(tz[order]), Qz[order], ez[order]


_Zeros = list[tuple[np.ndarray, ...]]


def _folds(
    evaluate: Evaluate,
    rows: np.ndarray,
    ta: np.ndarray,
    step: float,
    ea: np.ndarray,
    Qa: np.ndarray,
    eb: np.ndarray,
    Qb: np.ndarray,
    e_out: np.ndarray,
    Q_out: np.ndarray,
    double_tol: float,
) -> tuple[_Zeros, _Zeros, _Zeros]:
    """Intervals with a fold: local grids of FOLD_POINTS values, FOLD_LEVELS deep, around the fold (at most
    FOLD_KEEP sub-intervals per problem a level; the sign changes of the others are bracketed as they are).

    ``e_out (C, 2, B)``, ``Q_out (C, 2, B, k)`` are the values just before and after each interval (its
    neighbours on the grid or the level above), for the pole test (:func:`_poles`): a sub-interval a branch
    crosses like a pole goes down a level like one with a fold (first, with those that hold a sign change).

    Returns the brackets of sign changes in the clean sub-intervals, seeds (the slot with the least
    ``|e|`` at either end) of the sign changes in the sub-interval that still holds the fold at the end, and
    the windows of the near-tangent minima met on the way (:func:`_zoom_window`, for the caller's one
    :func:`_zoom`).
    """
    brackets: _Zeros = []
    seeds: _Zeros = []
    zooms: _Zeros = []
    B, k = ea.shape[-1], Qa.shape[-1]
    u = np.linspace(0.0, 1.0, FOLD_POINTS + 1)[1:-1]
    for _ in range(FOLD_LEVELS):
        C = rows.size
        tt = ta[:, None] + step * u  # (C, F − 1)
        e_in, Q_in = _evaluate(evaluate, rows, tt)
        E = np.concatenate([ea[:, None], e_in, eb[:, None]], 1)  # (C, F + 1, B)
        QQ = np.concatenate([Qa[:, None], Q_in, Qb[:, None]], 1)
        T = np.concatenate([ta[:, None], tt, (ta + step)[:, None]], 1)
        F = FOLD_POINTS
        # With the values just outside the interval (the neighbours at the level above), for the pole test.
        E_x = np.concatenate([e_out[:, :1], E, e_out[:, 1:]], 1)  # (C, F + 3, B)
        Q_x = np.concatenate([Q_out[:, :1], QQ, Q_out[:, 1:]], 1)
        m_x = _matches(Q_x[:, :-1].reshape(-1, B, k), Q_x[:, 1:].reshape(-1, B, k))
        fwd_x, back_x = (x.reshape(C, F + 2, B) for x in m_x[:2])
        fwd, back, clean, odd_a, odd_b = (
            x.reshape((C, F + 2) + x.shape[1:])[:, 1:-1].reshape((C * F,) + x.shape[1:]) for x in m_x
        )
        pole = _poles(E_x, Q_x, fwd_x, back_x, double_tol).reshape(-1)  # (C F,)
        c, j = np.divmod(np.arange(C * F), F)
        sub = (c, j)
        args = (rows[c], T[sub], T[c, j + 1], E[sub], QQ[sub], E[c, j + 1], QQ[c, j + 1], fwd, back)
        clean = clean & ~pole
        ok = clean.copy()
        fold = np.flatnonzero(~clean)
        ea_f, eb_f = E[c[fold], j[fold]], E[c[fold], j[fold] + 1]  # (K, B)
        end_e = np.minimum(np.abs(ea_f), np.abs(eb_f)).min(-1)
        # Which go down (FOLD_KEEP per problem): first those with a real slot (one without a twin) at an end and
        # both signs among the slots that break the matching (the branches meeting at the fold and the pair
        # continuing them: a zero of one of them, or at the fold, is inside), then those with a real slot, then
        # those between complex pairs only (a real branch there would have to start and end inside); within
        # each, the least |e| at the ends. Not |e| alone: next to a fold e moves like the square root of the
        # distance to it, so a zero beside the fold can have |e| of 1e-2 at the ends while a stretch of complex
        # pairs that run close (unclean at every level) has less.
        real = ~(_same_slots(QQ).sum(-1) > 1)  # (C, F + 1, B)
        has_real = real[c[fold], j[fold]].any(-1) | real[c[fold], j[fold] + 1].any(-1)
        across = _mixed_signs(np.where(odd_a[fold], ea_f, np.nan), np.where(odd_b[fold], eb_f, np.nan))
        tier = np.where(has_real, np.where(across | pole[fold], 0, 1), 2)
        ok[fold] = ~_least_per_row(rows[c[fold]], end_e, FOLD_KEEP, tier)
        brackets.append(_sign_changes(*(x[ok] for x in args)))
        # Near-tangent minima at the inner values of the local grid (e.g. a double root next to the fold).
        fw, bk = fwd.reshape(C, F, B), back.reshape(C, F, B)
        e_mid = E[:, 1:-1]  # (C, F − 1, B)
        e_next = np.take_along_axis(E[:, 2:], fw[:, 1:], -1)
        e_prev = np.take_along_axis(E[:, :-2], bk[:, :-1], -1)
        cc, jj, bb = np.nonzero(_tangent(e_mid, e_prev, e_next))
        if cc.size:
            zooms.append(_zoom_window(rows[cc], T[cc, jj + 1], step / F, QQ[cc, jj + 1, bb], e_mid[cc, jj, bb]))
        # ... and next to a sub-interval that still holds the fold, seen from the clean side (as in find_zeros);
        # likewise the interval's two ends, seen from inside (a dip between an end and the fold).
        sub_clean = clean.reshape(C, F)
        half = 0.5 * step / F
        # A small |e| next to a sign change is seen from its other side too: next to a fold e can wiggle (a
        # dip with two zeros beside a third zero, hc10_like target 5417 of benchmarks/ik_search.py's audit).
        crossed_next = np.isfinite(e_next) & (_sign(e_next) != _sign(e_mid))
        crossed_prev = np.isfinite(e_prev) & (_sign(e_prev) != _sign(e_mid))
        for side, e_side, lone in (
            (1.0, e_next, (sub_clean[:, 1:] & ~sub_clean[:, :-1])[..., None] | crossed_prev),
            (-1.0, e_prev, (sub_clean[:, :-1] & ~sub_clean[:, 1:])[..., None] | crossed_next),
        ):
            cc, jj, bb = np.nonzero(_one_sided(e_mid, e_side) & lone)
            if cc.size:
                zooms.append(
                    _zoom_window(rows[cc], T[cc, jj + 1] + side * half, half, QQ[cc, jj + 1, bb], e_mid[cc, jj, bb])
                )
        e_after_a = np.take_along_axis(E[:, 1], fw[:, 0], -1)  # (C, B): the slot of each at the next value
        e_before_b = np.take_along_axis(E[:, F - 1], bk[:, F - 1], -1)
        for side, end, e_side, inner in ((1.0, 0, e_after_a, sub_clean[:, 0]), (-1.0, F, e_before_b, sub_clean[:, -1])):
            cc, bb = np.nonzero(_one_sided(E[:, end], e_side) & inner[:, None])
            if cc.size:
                zooms.append(_zoom_window(rows[cc], T[cc, end] + side * half, half, QQ[cc, end, bb], E[cc, end, bb]))
        # The sub-intervals that still hold a fold are looked at closer.
        bad = ~ok
        cb, jb = c[bad], j[bad]
        rows, ta, ea, Qa, eb, Qb = rows[cb], T[cb, jb], E[cb, jb], QQ[cb, jb], E[cb, jb + 1], QQ[cb, jb + 1]
        # (the values at jb − 1 and jb + 2 of the local grid, i.e. jb and jb + 3 with the outer values)
        e_out, Q_out = E_x[cb[:, None], np.stack([jb, jb + 3], -1)], Q_x[cb[:, None], np.stack([jb, jb + 3], -1)]
        step = step / F
        if rows.size == 0:
            return brackets, seeds, zooms
    # Still a fold within a sub-interval of about 1e-6 rad: a sign change across it (among the slots that
    # meet at the fold and the pair continuing them, or along a branch that goes on through it), or an |e|
    # there within √double_tol (e touching zero at the fold: a double root where the branches
    # meet, e moving like the square root of the distance to it), is a zero at the fold to within the
    # polish's reach; every distinct slot at the first end is a seed (two zeros may sit next to one fold,
    # one on each branch that meets there).
    fwd, _, _, odd_a, odd_b = _matches(Qa, Qb)
    fin_a, fin_b = np.isfinite(ea), np.isfinite(eb)
    touch = (np.where(fin_a, np.abs(ea), np.inf).min(-1) <= np.sqrt(double_tol)) | (
        np.where(fin_b, np.abs(eb), np.inf).min(-1) <= np.sqrt(double_tol)
    )
    # Seeds from both ends: the zero is on the real side of the fold, and the caller drops seeds that are not
    # on a real branch (at the other end the slots may be a complex pair).
    across = _mixed_signs(np.where(odd_a, ea, np.nan), np.where(odd_b, eb, np.nan))
    e_fwd = np.take_along_axis(eb, fwd, -1)  # a branch that goes on through the fold's sub-interval
    along = (~odd_a & fin_a & np.isfinite(e_fwd) & (_sign(ea) != _sign(e_fwd))).any(-1)
    at_fold = across | along | touch
    for t_end, e_end, Q_end, fin in ((ta, ea, Qa, fin_a), (ta + step, eb, Qb, fin_b)):
        first = np.argmax(_same_slots(Q_end), axis=-1) == np.arange(B)
        small = np.abs(np.where(fin, e_end, np.inf)) <= FOLD_SEED  # (a slot far from zero is not at one)
        c, b = np.nonzero(at_fold[:, None] & first & small)
        seeds.append((rows[c], t_end[c], Q_end[c, b], e_end[c, b]))
    return brackets, seeds, zooms


def _least_per_row(rows: np.ndarray, key: np.ndarray, keep: int, tier: np.ndarray | None = None) -> np.ndarray:
    """Mask ``(C,)`` of the ``keep`` entries per problem ``rows (C,)`` with the least ``key (C,)`` (NaN last,
    ties by position); with ``tier (C,)`` the least tier first, then the least key within it."""
    key = np.where(np.isnan(key), np.inf, key)
    order = np.lexsort((key, rows) if tier is None else (key, tier, rows))
    start = np.searchsorted(rows[order], rows[order], side="left")
    mask = np.empty(rows.size, dtype=bool)
    mask[order] = np.arange(rows.size) - start < keep
    return mask


def _zoom_window(
    rows: np.ndarray, centre: np.ndarray, step: float, Q: np.ndarray, e: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The windows ``[centre − step, centre + step]`` of near-tangent minima (``e (C,)``, the branch's angles
    ``Q (C, k)`` there) to zoom into: at most ZOOM_KEEP per problem of one call, the least ``|e|`` first.

    Returns:
        ``(rows, lo, hi, Q)`` of the kept minima, for :func:`_zoom` (windows of several calls are zoomed
        into together: every window follows its own branch, so a batch of them is one pass of levels).
    """
    keep = _least_per_row(rows, np.abs(e), ZOOM_KEEP)
    centre = centre[keep]
    return rows[keep], centre - step, centre + step, Q[keep]


def _zoom(
    evaluate: Evaluate,
    rows: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    Q: np.ndarray,
    double_tol: float,
) -> tuple[list[tuple[np.ndarray, ...]], list[tuple[np.ndarray, ...]]]:
    """Local grids in the windows ``[lo, hi]`` ``(C,)`` of near-tangent minima (from :func:`_zoom_window`;
    ``Q (C, k)`` the branch's angles at the minimum): brackets of the zeros they reveal, and double-root
    seeds."""
    brackets: list[tuple[np.ndarray, ...]] = []
    ref = Q
    u = np.linspace(0.0, 1.0, ZOOM_POINTS)
    for _ in range(ZOOM_LEVELS):
        tt = lo[:, None] + (hi - lo)[:, None] * u  # (C, Z)
        e, Qs = _evaluate(evaluate, rows, tt)  # (C, Z, B), (C, Z, B, k)
        # Follow the branch outwards from the slot nearest the reference at the window's middle.
        C, Z = tt.shape
        ef = np.empty((C, Z))
        Qf = np.empty((C, Z, Qs.shape[-1]))
        mid = Z // 2
        ef[:, mid], Qf[:, mid] = _pick(e[:, mid], Qs[:, mid], ref)  # (C,), (C, k)
        for j in range(mid + 1, Z):
            ef[:, j], Qf[:, j] = _pick(e[:, j], Qs[:, j], Qf[:, j - 1])
        for j in range(mid - 1, -1, -1):
            ef[:, j], Qf[:, j] = _pick(e[:, j], Qs[:, j], Qf[:, j + 1])
        ok = np.asarray(np.isfinite(ef).all(-1))
        change = ok[:, None] & (_sign(ef[:, :-1]) != _sign(ef[:, 1:]))  # (C, Z − 1)
        c, i = np.nonzero(change)
        if c.size:
            brackets.append((rows[c], tt[c, i], tt[c, i + 1], ef[c, i], ef[c, i + 1], Qf[c, i], Qf[c, i + 1]))
        keep = ok & ~np.any(change, axis=-1)
        if not keep.any():
            return brackets, []
        # A minimum that is no longer near-tangent at this level's finer step is not a zero: the rule by which
        # every other minimum of the grid was let go (:func:`_tangent`; :func:`_one_sided` for a minimum at an
        # end of the window, which the window shrinks towards), at a step 2/(ZOOM_POINTS − 1) of the one that
        # flagged it, where the quadratic model the rule rests on holds better.
        j0 = np.argmin(np.abs(ef), axis=-1)
        r = np.arange(keep.size)
        jm = np.clip(j0, 1, Z - 2)
        inward = np.where(j0 == 0, 1, np.where(j0 == Z - 1, Z - 2, j0))  # the neighbour inside the window
        near = np.where(
            j0 == jm, _tangent(ef[r, jm], ef[r, jm - 1], ef[r, jm + 1]), _one_sided(ef[r, j0], ef[r, inward])
        )
        keep &= near
        if not keep.any():
            return brackets, []
        rows, tt, ef, Qf, jm = rows[keep], tt[keep], ef[keep], Qf[keep], jm[keep]
        r = np.arange(rows.size)
        lo, hi = tt[r, jm - 1], tt[r, jm + 1]
        ref = Qf[r, jm]
    best = np.argmin(np.abs(ef), axis=-1)
    r = np.arange(rows.size)
    e_min = ef[r, best]
    double = np.abs(e_min) <= double_tol
    seeds: _Zeros = [(rows[double], tt[r, best][double], Qf[r, best][double], e_min[double])]
    return brackets, seeds


def _refine(
    evaluate: Evaluate,
    rows: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    fa: np.ndarray,
    fb: np.ndarray,
    Qa: np.ndarray,
    Qb: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Brackets ``[a, b]`` (``fa``, ``fb`` of opposite signs) of one branch each, narrowed to a zero."""
    a, b, fa, fb, Qa, Qb = (np.array(x, dtype=float) for x in (a, b, fa, fb, Qa, Qb))
    side = np.zeros(a.shape, dtype=int)  # which end was kept last (Illinois: halve a twice-kept end's value)
    best_t, best_e, best_Q = a.copy(), np.full(a.shape, np.inf), Qa.copy()
    best_twin = np.zeros(a.shape, dtype=bool)
    for it in range(REFINE_STEPS):
        w = b - a
        x = (a * fb - b * fa) / np.where(fb != fa, fb - fa, 1.0)
        bad = ~np.isfinite(x) | (x <= a + 1e-3 * w) | (x >= b - 1e-3 * w) | (it % BISECT_EVERY == BISECT_EVERY - 1)
        x = np.where(bad, 0.5 * (a + b), x)
        lam = ((x - a) / np.where(w > 0.0, w, 1.0))[:, None]
        ref = Qa + lam * wrap_angle(Qb - Qa)
        e, Qs = _evaluate(evaluate, rows, x[:, None])
        fx, Qx = _pick(e[:, 0], Qs[:, 0], ref)
        left = _sign(fx) == _sign(fa)  # the zero is in [x, b]
        fa_new = np.where(left, fx, fa)
        fb_new = np.where(left, fb, fx)
        # Illinois: the end kept twice in a row has its value halved, so the secant moves towards it.
        fb_new = np.where(left & (side == 1), 0.5 * fb_new, fb_new)
        fa_new = np.where(~left & (side == -1), 0.5 * fa_new, fa_new)
        side = np.where(left, 1, -1)
        a, Qa = np.where(left, x, a), np.where(left[:, None], Qx, Qa)
        b, Qb = np.where(left, b, x), np.where(left[:, None], Qb, Qx)
        fa, fb = fa_new, fb_new
        better = np.abs(fx) < np.abs(best_e)
        best_t, best_e = np.where(better, x, best_t), np.where(better, fx, best_e)
        best_Q = np.where(better[:, None], Qx, best_Q)
        best_twin = np.where(better, _has_twin(Qs[:, 0], Qx), best_twin)
    zeros = (rows, best_t, best_Q, best_e)
    across = np.flatnonzero(best_twin)
    if across.size == 0:
        return zeros
    # A zero on a complex pair: spurious (the caller drops it), or at a fold, where e on the real branches moves
    # like the square root of the distance and the pair's continuation linearly, so the least |e| is on the pair
    # even when the zero is the fold itself (a solution there, rounded onto the complex side). When an end of the
    # bracket is on a real branch, the fold is between it and the zero: bisect on "real or not" to its real side
    # and give that point too (a seed within about 1e-13 rad of the fold, for the caller's polish).
    rows, best_t, ends = rows[across], best_t[across], np.stack([a[across], b[across]], -1)  # (S, 2)
    e2, Q2 = _evaluate(evaluate, rows, ends)
    real_end = []
    for i, Q_end in enumerate((Qa[across], Qb[across])):
        e_i, Q_i = _pick(e2[:, i], Q2[:, i], Q_end)
        real_end.append((~_has_twin(Q2[:, i], Q_i), e_i, Q_i))
    use_a = real_end[0][0] & (~real_end[1][0] | (np.abs(ends[:, 0] - best_t) <= np.abs(ends[:, 1] - best_t)))
    keep = use_a | real_end[1][0]
    if not keep.any():
        return zeros
    lo = np.where(use_a, ends[:, 0], ends[:, 1])[keep]
    e_lo = np.where(use_a, real_end[0][1], real_end[1][1])[keep]
    Q_lo = np.where(use_a[:, None], real_end[0][2], real_end[1][2])[keep]
    rows, hi = rows[keep], best_t[keep]
    for _ in range(FOLD_BISECT):
        x = 0.5 * (lo + hi)
        e, Qs = _evaluate(evaluate, rows, x[:, None])
        fx, Qx = _pick(e[:, 0], Qs[:, 0], Q_lo)
        real = ~_has_twin(Qs[:, 0], Qx)
        lo, e_lo, Q_lo = np.where(real, x, lo), np.where(real, fx, e_lo), np.where(real[:, None], Qx, Q_lo)
        hi = np.where(real, hi, x)
    return tuple(np.concatenate([z, s]) for z, s in zip(zeros, (rows, lo, Q_lo, e_lo)))
