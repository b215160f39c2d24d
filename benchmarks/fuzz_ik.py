"""Fuzz robokin's IK for minutes with the generators of the contract suite, and print what happened.

Each case is either a generated robot with generated targets and valid options (``tests/contract/ik_cases.py``:
chains scaled 1e-3 ... 1e3 m; targets reachable, on the limits, unreachable, at q = 0) or one bad argument to
the IK API. Outcomes: ``ok``, ``clean error`` (a RobokinError for a bad argument), ``unexpected exception``,
``hang`` (a case over 5 s of CPU time: on a shared machine wall time measures the neighbours), ``NaN``, ``false success`` (robot.fk disagrees), ``outside limits``.

:func:`run_ik` is the ``ik`` category for a fuzz registry (``benchmarks/fuzz.py``): it takes a
``numpy.random.Generator`` and returns one outcome name and a short description of the case.

Usage::

    python benchmarks/fuzz_ik.py --minutes 30 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "contract"))

from ik_cases import bad_ik_call, random_case, random_robot, violations

from robokin.errors import RobokinError

OUTCOMES = ("ok", "clean error", "unexpected exception", "hang", "NaN", "false success", "outside limits")
HANG_SECONDS = 5.0


def run_ik(rng: np.random.Generator) -> tuple[str, str]:
    """One IK fuzz case: ``(outcome, description)``; outcome is one of :data:`OUTCOMES`."""
    start = time.process_time()
    if rng.random() < 0.25:
        robot = random_robot(rng, float(10.0 ** rng.uniform(-3, 3)))
        try:
            bad_ik_call(rng, robot)()
        except RobokinError:
            return "clean error", "bad argument"
        except Exception:  # noqa: BLE001 - counted, with its traceback
            return "unexpected exception", traceback.format_exc(limit=3)
        return "ok", "bad argument accepted (valid after all)"
    robot, T, q0, options, seed, kind = random_case(rng)
    try:
        broken = violations(robot, T, q0, options, seed)
    except Exception:  # noqa: BLE001
        return "unexpected exception", f"{kind}: " + traceback.format_exc(limit=3)
    if time.process_time() - start > HANG_SECONDS:
        return "hang", f"{kind}: {time.process_time() - start:.1f} s CPU, {robot.n} joints, {options}"
    for text, outcome in (
        ("NaN", "NaN"),
        ("false success", "false success"),
        ("outside", "outside limits"),
        ("not finite", "NaN"),
        ("shape", "unexpected exception"),
    ):
        if any(text in b for b in broken):
            return outcome, f"{kind}: {broken} {robot.joints} {options}"
    return "ok", kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    end = time.monotonic() + 60.0 * args.minutes
    slowest = 0.0
    while time.monotonic() < end:
        t0 = time.process_time()
        outcome, text = run_ik(rng)
        slowest = max(slowest, time.process_time() - t0)
        counts[outcome] += 1
        if outcome not in ("ok", "clean error"):
            examples.setdefault(outcome, text)
    tried = sum(counts.values())
    print(f"IK fuzz: {args.minutes:g} min, seed {args.seed}\n")
    print(f"{'tried':>8} " + " ".join(f"{o:>{max(8, len(o))}}" for o in OUTCOMES))
    print(f"{tried:>8} " + " ".join(f"{counts[o]:>{max(8, len(o))}}" for o in OUTCOMES))
    print(f"\nslowest case: {slowest:.2f} s CPU")
    for outcome, text in examples.items():
        print(f"\nfirst {outcome}:\n{text}")


if __name__ == "__main__":
    main()
