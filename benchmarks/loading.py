"""Load time of long robot descriptions: URDF and YAML chains of 500 to 10 000 joints.

Prints one row per chain length: the document size and the CPU time [s] of ``loads_urdf`` / ``loads`` (the
least of ``--repeats`` runs: CPU, not wall time, so that a machine shared with other jobs does not inflate it),
with the time per joint, which is flat when loading is linear in the chain length.

- URDF: a chain of revolute joints, each with an ``<origin xyz rpy>``, an ``<axis>`` and a ``<limit>``
  (``tests/contract/test_loader_regressions.urdf_chain``, the document of issue 10's item 1).
- YAML: what ``robokin.dumps`` writes for a chain of origin-form revolute joints with random origins, limits
  and speeds.
- describe: ``describe_urdf`` (``robokin info``) of a comb, a spine of that many revolute joints with a fixed
  leaf below each link (the leaf table is linear: a walk up from every leaf was quadratic).
- fk every frame: the first ``fk(q, link=<every frame>)`` of the YAML chain, which compiles one path per frame
  (Σ depth = n²/2 joint steps, so it grows as n²; up to 2000 joints).

Usage::

    python benchmarks/loading.py                        # 500, 1000, 2000 and 10000 joints (fk every frame: to 2000)
    python benchmarks/loading.py --joints 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # (conftest, which the test module imports)
sys.path.insert(0, str(ROOT / "tests" / "contract"))

from conftest import best_cpu_time, urdf_comb  # noqa: E402
from test_loader_regressions import urdf_chain  # noqa: E402

import robokin  # noqa: E402
from robokin.model import Joint, Origin, Robot  # noqa: E402
from robokin.urdf import describes_urdf  # noqa: E402


def yaml_chain(n: int, seed: int = 6) -> str:
    """The YAML document ``robokin.dumps`` writes for a chain of n origin-form revolute joints."""
    rng = np.random.default_rng(seed)
    joints = tuple(
        Joint(
            name=f"j{i}",
            type="revolute",
            form="origin",
            origin=Origin(tuple(rng.normal(size=3) * 0.1), tuple(rng.normal(size=3))),
            axis=(0.0, 0.0, 1.0),
            limits=(-3.0, 3.0),
            velocity=2.0,
        )
        for i in range(n)
    )
    return robokin.dumps(Robot(name="chain", joints=joints))


def fk_every_frame(yaml: str) -> None:
    """The first ``fk(q, link=<every frame>)`` of a freshly loaded robot (its link paths compiled on the way)."""
    robot = robokin.loads(yaml)
    robot.fk(np.zeros(robot.n), link=list(robot.frame_names))


def cpu_seconds(load, text: str, repeats: int) -> float:
    """The least CPU time [s] of ``repeats`` calls of ``load(text)`` (raises if the document were refused)."""
    return best_cpu_time(lambda: load(text), repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joints", type=int, nargs="+", default=[500, 1000, 2000, 10000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the least CPU time counts")
    args = parser.parse_args(argv)
    header = [
        "joints",
        "URDF kB",
        "URDF load [s]",
        "µs/joint",
        "YAML kB",
        "YAML load [s]",
        "µs/joint",
        "describe comb [s]",
        "fk every frame [s]",
    ]
    print(" | ".join(header))
    print("-+-".join("-" * len(h) for h in header))
    for n in args.joints:
        urdf, yaml = urdf_chain(n), yaml_chain(n)
        t_urdf = cpu_seconds(robokin.loads_urdf, urdf, args.repeats)
        t_yaml = cpu_seconds(robokin.loads, yaml, args.repeats)
        t_comb = cpu_seconds(describes_urdf, urdf_comb(n), args.repeats)
        t_all = cpu_seconds(fk_every_frame, yaml, 1) if n <= 2000 else None
        row = [
            f"{n:6d}",
            f"{len(urdf.encode()) / 1e3:7.0f}",
            f"{t_urdf:13.3f}",
            f"{t_urdf / n * 1e6:8.0f}",
            f"{len(yaml.encode()) / 1e3:7.0f}",
            f"{t_yaml:13.3f}",
            f"{t_yaml / n * 1e6:8.0f}",
            f"{t_comb:17.3f}",
            f"{t_all:18.3f}" if t_all is not None else f"{'-':>18}",
        ]
        print(" | ".join(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
