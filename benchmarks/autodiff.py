"""Cost of robokin's autodiff: Jacobians and Hessians of a batched kinematic chain, as multiples of one fk.

Run: ``python benchmarks/autodiff.py`` (``--quick`` for a short run, ``--n-configs N`` for the batch size).

Part 1 differentiates a synthetic 7-joint chain written in the style of robokin's fk kernel (per joint:
``cos``/``sin`` of a column of q, a rotation of two columns of the ``(N, 3, 4)`` pose by broadcasting,
``concatenate``, then ``reshape(-1, 4) @ C`` with a constant C), so it measures the engine alone.
Part 2 times the bundled arms through the public API: ``robot.fk``, ``robot.jacobian(method=...)`` and
``robot.hessian(method=...)``; a method that is not available yet is reported as such, not timed.

Each time is the best of several rounds (the machine may be shared: best-of filters out other load).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from robokin import autodiff as ad


def best_time(func: Callable[[], Any], repeat: int) -> float:
    """Smallest time [s] of one call over ``repeat`` rounds (after one warm-up call)."""
    func()
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def chain_constants(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Per-joint constant (4, 4) link matrices, right-multiplied on the (3, 4) top rows of the pose."""
    Cs = []
    for _ in range(n):
        a, d, alpha = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-np.pi, np.pi)
        ca, sa = np.cos(alpha), np.sin(alpha)
        Cs.append(np.array([[1, 0, 0, 0], [0, ca, sa, 0], [0, -sa, ca, 0], [a, 0, d, 1.0]]).T)
    return Cs


def make_chain(n: int, seed: int = 0) -> Callable[[Any], Any]:
    """The synthetic chain: ``q`` (N, n) → top rows of ``T_base_tool`` (N, 3, 4)."""
    Cs = chain_constants(n, np.random.default_rng(seed))

    def chain(q: Any) -> Any:
        N = q.shape[0]
        T = np.broadcast_to(np.eye(4)[:3], (N, 3, 4))
        for i, C in enumerate(Cs):
            c = np.cos(q[:, i])[:, None, None]
            s = np.sin(q[:, i])[:, None, None]
            x = T[:, :, 0:1]
            y = T[:, :, 1:2]
            T = np.concatenate([c * x + s * y, c * y - s * x, T[:, :, 2:]], axis=-1)
            T = (T.reshape(-1, 4) @ C).reshape(N, 3, 4)
        return T

    return chain


def synthetic(n_configs: int, repeat: int) -> None:
    n = 7
    chain = make_chain(n)
    q = np.random.default_rng(1).uniform(-np.pi, np.pi, (n_configs, n))
    eye12 = np.broadcast_to(np.eye(12).reshape(12, 1, 3, 4), (12, n_configs, 3, 4))

    def pull_all() -> Any:
        _, pullback = ad.vjp(chain, q)
        return pullback(eye12)

    def px(qq: Any) -> Any:
        return chain(qq)[:, 0, 3]

    rows = [
        ("plain chain(q) (N, 3, 4)", lambda: chain(q)),
        ("jacfwd(chain, batch_ndim=1)  (N, 3, 4, 7)", lambda: ad.jacfwd(chain, batch_ndim=1)(q)),
        ("jacrev(chain, batch_ndim=1)  (N, 3, 4, 7)", lambda: ad.jacrev(chain, batch_ndim=1)(q)),
        ("vjp + pull back 12 cotangents at once", pull_all),
        ("grad of p_x (reverse, batch_ndim=1)", lambda: ad.grad(px, batch_ndim=1)(q)),
        ("hessian of p_x (fwd over rev)  (N, 7, 7)", lambda: ad.hessian(px, batch_ndim=1)(q)),
    ]
    print(f"\nSynthetic 7-joint chain, N = {n_configs} configurations, float64")
    print(f"{'computation':<46} {'time [ms]':>10} {'x plain':>9}")
    base = None
    for name, func in rows:
        t = best_time(func, repeat)
        base = t if base is None else base
        print(f"{name:<46} {t * 1e3:>10.2f} {t / base:>9.1f}")


def robots(n_configs: int, repeat: int, names: list[str] | None) -> None:
    """Each bundled arm: batched and single-call cost of fk, one JVP, one VJP, Jacobians and Hessians."""
    import robokin
    from robokin import kinematics

    names = names or [r for r in ("panda", "ur5", "puma560", "iiwa14") if r in robokin.list_robots()]
    print(
        f"\nBundled arms through the public API: batched N = {n_configs}, and one configuration at a time "
        "(x fk = multiple of one fk call of the same size)"
    )
    print(f"{'robot':<10} {'computation':<38} {'batch [ms]':>10} {'x fk':>7} {'single [µs]':>12} {'x fk':>7}")
    for name in names:
        robot = robokin.load(name)
        lo, hi = robot.limits.T
        lo, hi = np.where(np.isfinite(lo), lo, -np.pi), np.where(np.isfinite(hi), hi, np.pi)
        rng = np.random.default_rng(2)
        q = rng.uniform(lo, hi, (n_configs, robot.n))
        qd, wrench = rng.normal(size=(n_configs, robot.n)), rng.normal(size=(n_configs, 6))
        calls: list[tuple[str, Callable[[Any, Any, Any], Any]]] = [
            ("fk", lambda x, v, w: robot.fk(x)),
            ("one JVP: tool_twist(q, q̇) = J q̇", lambda x, v, w: kinematics.tool_twist(robot, x, v)),
            ("one VJP: joint_torques(q, F) = Jᵀ F", lambda x, v, w: kinematics.joint_torques(robot, x, w)),
        ]
        for method in ("analytic", "forward", "reverse", "numeric"):
            calls.append((f"jacobian(method={method!r})", lambda x, v, w, m=method: robot.jacobian(x, method=m)))
        for method in ("analytic", "forward", "reverse"):
            calls.append((f"hessian(method={method!r})", lambda x, v, w, m=method: robot.hessian(x, method=m)))
        t_fk = t1_fk = None
        for label, func in calls:
            t = best_time(lambda: func(q, qd, wrench), repeat)
            t1 = best_time(lambda: [func(q[k], qd[k], wrench[k]) for k in range(20)], repeat) / 20
            t_fk, t1_fk = (t, t1) if t_fk is None else (t_fk, t1_fk)
            print(f"{name:<10} {label:<38} {t * 1e3:>10.2f} {t / t_fk:>7.1f} {t1 * 1e6:>12.1f} {t1 / t1_fk:>7.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller batch")
    parser.add_argument("--n-configs", type=int, default=None, help="batch size N (default 10000; 1000 quick)")
    parser.add_argument("--robots", nargs="*", default=None, help="bundled arms to time (default: a few 7/6-axis)")
    args = parser.parse_args(argv)
    n_configs = args.n_configs or (1000 if args.quick else 10_000)
    repeat = 3 if args.quick else 9
    synthetic(n_configs, repeat)
    robots(n_configs, repeat, args.robots)


if __name__ == "__main__":
    main()
