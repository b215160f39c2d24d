"""Fuzz robokin's promises for N minutes with the contract suite's generators, and print what broke.

Each case runs in a worker process under a watchdog (default 5 s): a case that does not answer in time is a
hang, the worker is killed and a fresh one takes over. Cases are drawn from ``tests/contract/generators.py``
(the same generators the contract suite runs under hypothesis), seeded: every case is ``(category, seed)``
and ``--replay category:seed`` reruns it in this process with its full traceback.

Outcomes, one column each in the table:

- ``ok``: the call worked and kept its promises.
- ``clean error``: a RobokinError where one was due (for loaders: a RobotFormatError with FILE:LINE:COL).
- ``unexpected``: any other exception, or a RobokinError that breaks its promise (a format error without
  a location; an error where the input was valid).
- ``hang``: no answer within the watchdog's timeout: 5 s of the worker's CPU time, or 10 s of wall time (a
  machine shared with other jobs stretches wall time; a case blocked on I/O uses no CPU).
- ``NaN``: a NaN in a result.
- ``false success``: a result that breaks a promise: a robot that loads but cannot be saved and loaded back
  bit for bit or whose poses are not rigid transforms; a call that accepted a certainly invalid argument.

Adding a category: write ``def case_<name>(rng: random.Random) -> Outcome`` (return an :class:`Outcome`, or
raise: any exception escaping a case is counted as unexpected) and decorate it with ``@category("<name>")``.

Usage::

    python benchmarks/fuzz.py --minutes 30                    # every category, in turn
    python benchmarks/fuzz.py --minutes 5 --only loaders,api
    python benchmarks/fuzz.py --minutes 5 --only ik           # the IK fuzzer of benchmarks/fuzz_ik.py
    python benchmarks/fuzz.py --minutes 5 --only analytic     # closed-form IK on random arms of every family
    python benchmarks/fuzz.py --replay loaders:1234567        # one case, in process, with its traceback
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "contract"))

import generators as gen  # noqa: E402
import numpy as np  # noqa: E402

import robokin  # noqa: E402
from robokin.errors import RobokinError, RobotFormatError  # noqa: E402

OUTCOMES = ("ok", "clean error", "unexpected", "hang", "NaN", "false success")
LOCATED = re.compile(r"^(?:<string>|\S[^:]*):\d+:\d+: \S")
RIGID_TOL = 1e-12  # |RᵀR − I| of a loaded robot's poses


@dataclass(frozen=True)
class Outcome:
    """What one case did: one of OUTCOMES, and a line saying why (shown for the bad ones)."""

    kind: str
    detail: str = ""


CATEGORIES: dict[str, Callable[[random.Random], Outcome]] = {}


def category(name: str) -> Callable:
    """Register ``case(rng) -> Outcome`` as the fuzz category ``name``."""

    def register(case: Callable[[random.Random], Outcome]) -> Callable[[random.Random], Outcome]:
        CATEGORIES[name] = case
        return case

    return register


# ------------------------------------------------------------------------------------------------ loaders
def check_loaded(robot: robokin.Robot, rng: random.Random) -> Outcome:
    """The promises every loaded robot keeps: rigid, finite poses of every frame (a tree's too: a mutated URDF
    may load with several end effectors, where ``fk`` needs a ``link``) and an exact save/load round trip."""
    T = robot.fk_all(gen.sample_q(robot, rng))
    if np.isnan(T).any():
        return Outcome("NaN", f"fk_all of {robot!r} gives NaN")
    err = gen.rigidity_error(T)
    if err > RIGID_TOL:
        return Outcome("false success", f"fk_all of {robot!r} is not rigid (error {err:.3g})")
    try:
        again = robokin.loads(robokin.dumps(robot))
    except RobotFormatError as e:
        return Outcome("false success", f"{robot!r} loads but cannot be saved: {e}")
    diff = gen.robot_difference(robot, again)
    if diff is not None:
        return Outcome("false success", f"{robot!r} reads back differently in {diff}")
    return Outcome("ok")


@category("loaders")
def case_loaders(rng: random.Random) -> Outcome:
    """A generated robot as YAML or URDF, mutated (80 %); loaded from text, or from a file (10 %)."""
    kind, text = gen.document(rng)
    try:
        if rng.random() < 0.1:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"robot.{kind}"
                path.write_bytes(text.encode("utf-8", "surrogatepass"))
                robot = robokin.load(path)
        else:
            robot = gen.loader(kind)(text)
    except RobotFormatError as e:
        if e.line is None or e.column is None or not LOCATED.match(str(e)):
            return Outcome("unexpected", f"{kind}: error without FILE:LINE:COL: {e}")
        return Outcome("clean error")
    return check_loaded(robot, rng)


# ------------------------------------------------------------------------------------------------ api
_ROBOTS: dict[str, robokin.Robot] = {}


@category("api")
def case_api(rng: random.Random) -> Outcome:
    """A public function called with one argument corrupted (wrong shape, NaN, complex, text, huge, ...)."""
    if not _ROBOTS:
        _ROBOTS.update({name: robokin.load(name) for name in gen.API_ROBOTS})
    label, call, must_fail = gen.api_case(rng, _ROBOTS)
    try:
        result = call()
    except RobokinError as e:
        if must_fail is False:
            return Outcome("unexpected", f"{label}: valid input refused: {type(e).__name__}: {e}")
        return Outcome("clean error")
    if gen.has_nan(result):
        return Outcome("NaN", f"{label}: NaN in the result")
    if must_fail:
        return Outcome("false success", f"{label}: an invalid argument was accepted")
    return Outcome("ok")


# ------------------------------------------------------------------------------------------------ cli
_CLI_VALUES = ("0", "0.5", "-1", "1e308", "nan", "inf", "١٢", "x", "", "--deg", "home", "1e-320", "-0")


def _cli_argv(rng: random.Random, folder: Path) -> list[str]:
    """A ``robokin`` command line: a quick subcommand, a robot (bundled, a generated file, or a bad path) and
    joint values or options, some of them wrong."""
    kind, text = gen.document(rng)
    generated = folder / f"robot.{kind}"
    generated.write_bytes(text.encode("utf-8", "surrogatepass"))
    (folder / "a_directory.yaml").mkdir(exist_ok=True)
    robot = rng.choice(
        [
            "planar2r",
            "puma560",
            "ur5",
            "nosuchrobot",
            str(generated),
            str(generated),
            str(folder / "a_directory.yaml"),
            str(folder / "missing.urdf"),
            os.devnull,
        ]
    )
    values = [rng.choice(_CLI_VALUES) for _ in range(rng.randint(0, 7))]
    command = rng.choice(["list", "info", "fk", "jacobian", "check", "convert", "singular", "ik"])
    if command == "list":
        return ["list"]
    if command in ("info", "check"):
        return [command, robot]
    if command == "convert":
        return ["convert", robot, "-o", str(folder / rng.choice(["out.yaml", "a_directory.yaml", "sub/x.yaml"]))]
    if command == "ik":
        argv = ["ik", robot, "--xyz", *[rng.choice(_CLI_VALUES[:8]) for _ in range(3)]]
        return argv + (["--q0", *values] if values and rng.random() < 0.5 else [])
    if command == "jacobian":
        return ["jacobian", robot, *values, "--method", rng.choice(["analytic", "reverse", "numeric", "bad"])]
    if command == "singular" and rng.random() < 0.3:
        return [
            "singular",
            robot,
            "--map",
            "0",
            str(rng.randint(-1, 3)),
            "--resolution",
            str(rng.randint(-1, 6)),
            "--out",
            str(folder / rng.choice(["m.png", "m.xyz", "m", "a_directory.yaml"])),
        ]
    return [command, robot, *values]


@category("cli")
def case_cli(rng: random.Random) -> Outcome:
    """A ``robokin`` command line (see :func:`_cli_argv`): an exit status and no traceback, whatever it is."""
    import contextlib
    import io

    from robokin import cli

    with tempfile.TemporaryDirectory() as folder:
        argv = _cli_argv(rng, Path(folder))
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = cli.main(argv)
        except SystemExit as e:  # argparse's own usage errors
            status = e.code
    if "Traceback" in err.getvalue() or "Traceback" in out.getvalue():
        return Outcome("unexpected", f"robokin {' '.join(argv)}: printed a traceback")
    if "nan" in out.getvalue().lower().split():
        return Outcome("NaN", f"robokin {' '.join(argv)}: printed nan")
    return Outcome("ok" if status == 0 else "clean error")


# ------------------------------------------------------------------------------------------------ ik
_IK_OUTCOMES = {"unexpected exception": "unexpected", "outside limits": "false success"}  # the rest: same names


@category("ik")
def case_ik(rng: random.Random) -> Outcome:
    """One case of ``benchmarks/fuzz_ik.py`` (:func:`fuzz_ik.run_ik`): a generated IK problem or a bad argument."""
    if str(ROOT / "benchmarks") not in sys.path:  # here, not at the top: benchmarks/ik.py etc. stay unimportable
        sys.path.append(str(ROOT / "benchmarks"))
    import fuzz_ik

    kind, detail = fuzz_ik.run_ik(np.random.default_rng(rng.getrandbits(64)))
    kind = _IK_OUTCOMES.get(kind, kind)
    return Outcome(kind, "" if kind in OUTCOMES[:2] else detail.strip().replace("\n", " | ")[:400])


@category("analytic")
def case_analytic(rng: random.Random) -> Outcome:
    """A random 6R arm of a random analytic family and a reachable target (``tests/contract/analytic_cases.py``):
    the family detected, every solution verified, the source configuration found, ``ik.solve`` successful."""
    import analytic_cases

    generator = np.random.default_rng(rng.getrandbits(64))
    family = str(generator.choice(analytic_cases.FAMILIES))
    broken = analytic_cases.analytic_violations(analytic_cases.family_arm(generator, family), family, generator)
    if not broken:
        return Outcome("ok")
    return Outcome("NaN" if any("NaN" in b for b in broken) else "false success", f"{family}: {'; '.join(broken)}")


# ------------------------------------------------------------------------------------------------ runner
def run_case(name: str, seed: int) -> Outcome:
    try:
        return CATEGORIES[name](random.Random(seed))
    except Exception as e:  # noqa: BLE001 - the fuzzer's job is to count these
        last = traceback.extract_tb(e.__traceback__)[-1]
        return Outcome(
            "unexpected", f"{type(e).__name__}: {str(e)[:200]} (at {Path(last.filename).name}:{last.lineno})"
        )


def _worker(conn) -> None:
    import warnings

    warnings.simplefilter("ignore")  # RuntimeWarnings of hostile numbers are not outcomes
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot  # noqa: F401 - imported once here, not inside the first case's watchdog

    import robokin.cli  # noqa: F401
    import robokin.viz  # noqa: F401

    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(run_case(*job))


def _cpu_seconds(pid: int) -> float | None:
    """CPU time [s] the process has used (Linux /proc), or None where that is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Watchdog:
    """One worker process; a case that does not answer in time is a hang and kills it.

    In time means: within ``timeout`` seconds of CPU time of the worker (so that a machine shared with other
    jobs does not turn slow cases into hangs) and within ``WALL_FACTOR * timeout`` seconds of wall time (so a
    case blocked on I/O, using no CPU, is caught too). Where CPU time cannot be read, wall time alone counts.
    """

    WALL_FACTOR = 2.0

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self._start()

    def _start(self) -> None:
        self.conn, child = self.context.Pipe()
        self.process = self.context.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()

    def run(self, name: str, seed: int) -> Outcome:
        cpu_start = _cpu_seconds(self.process.pid)
        wall_start = time.monotonic()
        self.conn.send((name, seed))
        while True:
            if self.conn.poll(0.05):
                try:
                    return self.conn.recv()
                except EOFError:  # the worker died (a crash in C, MemoryError at exit, ...)
                    self._restart()
                    return Outcome("unexpected", "the worker process died")
            wall = time.monotonic() - wall_start
            cpu_now = _cpu_seconds(self.process.pid)
            cpu = wall if cpu_start is None or cpu_now is None else cpu_now - cpu_start
            if cpu >= self.timeout or wall >= self.WALL_FACTOR * self.timeout:
                self._restart()
                return Outcome("hang", f"no answer after {cpu:.1f} s CPU, {wall:.1f} s wall")

    def _restart(self) -> None:
        self.process.kill()
        self.process.join()
        self._start()

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()


def fuzz(names: list[str], minutes: float, seed: int, timeout: float) -> dict[str, dict[str, list]]:
    """Run the categories in turn for ``minutes``; per category and outcome, the list of (seed, detail)."""
    results: dict[str, dict[str, list]] = {n: {o: [] for o in OUTCOMES} for n in names}
    watchdog = Watchdog(timeout)
    deadline = time.monotonic() + 60.0 * minutes
    case = 0
    try:
        while time.monotonic() < deadline:
            name = names[case % len(names)]
            case_seed = seed + case
            outcome = watchdog.run(name, case_seed)
            results[name][outcome.kind].append((case_seed, outcome.detail))
            case += 1
    finally:
        watchdog.close()
    return results


def table(results: dict[str, dict[str, list]]) -> str:
    header = ["category", "tried", *OUTCOMES]
    rows = [
        [name, str(sum(len(v) for v in per.values()))] + [str(len(per[o])) for o in OUTCOMES]
        for name, per in results.items()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*header), "-+-".join("-" * w for w in widths)] + [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    parser.add_argument("--only", default="", help=f"comma-separated categories (default all: {', '.join(CATEGORIES)})")
    parser.add_argument("--seed", type=int, default=None, help="first case seed (default: from the clock)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="watchdog per case [s of CPU time; twice that of wall time] (default 5)",
    )
    parser.add_argument("--replay", metavar="CATEGORY:SEED", help="rerun one case in process, with its traceback")
    parser.add_argument("--examples", type=int, default=5, help="bad cases listed per category and outcome")
    args = parser.parse_args(argv)
    if args.replay:
        name, _, seed = args.replay.partition(":")
        outcome = CATEGORIES[name](random.Random(int(seed)))  # exceptions propagate with their traceback
        print(outcome)
        return 0
    names = [n for n in args.only.split(",") if n] or list(CATEGORIES)
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown:
        parser.error(f"unknown categories {unknown}; choose from {', '.join(CATEGORIES)}")
    seed = int(time.time()) * 1000 if args.seed is None else args.seed
    print(
        f"fuzzing {', '.join(names)} for {args.minutes:g} min (first seed {seed}, watchdog {args.timeout:g} s, "
        f"pid {os.getpid()})",
        flush=True,
    )
    results = fuzz(names, args.minutes, seed, args.timeout)
    print(table(results))
    bad = 0
    for name, per in results.items():
        for outcome in OUTCOMES[2:]:
            bad += len(per[outcome])
            for case_seed, detail in per[outcome][: args.examples]:
                print(f"  {outcome}: --replay {name}:{case_seed}  {detail}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
