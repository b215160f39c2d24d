"""Benchmark: render a GIF of an arm moving, with robokin.viz (and roboticstoolbox-python when installed).

Prints a table: robot, joints, frames, seconds to build the animation (FK of every frame, Jacobians,
ellipsoids), seconds to render and encode the GIF, milliseconds per frame, file size. The target is a
100-frame GIF of a 7-joint arm in at most 10 s.

    .venv/bin/python benchmarks/viz.py [--frames N] [--peers /work/peers/bin/python]

roboticstoolbox-python is measured in its own interpreter (``--peers``, default /work/peers/bin/python) on
the same motion (the Panda, same joint path, PyPlot backend ``movie=``), and skipped with a note when it is
not installed. It is a peer for comparison only, never a dependency.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import robokin  # noqa: E402
from robokin import trajectory, viz  # noqa: E402

# Runs in the peers' interpreter: the same quintic motion of the Panda, saved as a GIF by roboticstoolbox.
PEER_SCRIPT = r"""
import sys, time
import matplotlib
matplotlib.use("Agg")
import numpy as np
import roboticstoolbox as rtb
q = np.load(sys.argv[1])
robot = rtb.models.DH.Panda()
start = time.perf_counter()
robot.plot(q, backend="pyplot", movie=sys.argv[2], dt=0.05)
print(time.perf_counter() - start)
"""


def measure(robot: robokin.Robot, q_path: np.ndarray, out: Path, ellipsoid: bool) -> tuple[float, float]:
    start = time.perf_counter()
    anim = viz.animate(robot, q_path, fps=20, ellipsoid=ellipsoid, ax=viz.axes3d(offscreen=True))
    built = time.perf_counter() - start
    start = time.perf_counter()
    viz.save(anim, out, progress=False)
    return built, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--peers", default="/work/peers/bin/python", help="interpreter with roboticstoolbox-python")
    args = parser.parse_args(argv)

    print(
        f"{'library':<10} {'robot':<9} {'n':>2} {'frames':>6} {'ellipsoid':>9} {'build [s]':>9} "
        f"{'GIF [s]':>8} {'ms/frame':>8} {'size [kB]':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, ellipsoid in (("panda", False), ("panda", True), ("ur5", True), ("planar2r", False)):
            robot = robokin.load(name)
            configs = list(robot.configurations.values())
            q_path = trajectory.quintic(robot, configs[0], configs[-1], steps=args.frames).q
            out = Path(tmp) / f"{name}.gif"
            built, saved = measure(robot, q_path, out, ellipsoid)
            print(
                f"{'robokin':<10} {name:<9} {robot.n:>2} {args.frames:>6} {str(ellipsoid):>9} {built:9.2f} "
                f"{saved:8.2f} {1e3 * (built + saved) / args.frames:8.1f} {out.stat().st_size / 1024:9.0f}"
            )

        panda = robokin.load("panda")
        q_path = trajectory.quintic(
            panda, panda.configurations["home"], panda.configurations["reach"], steps=args.frames
        ).q
        if not Path(args.peers).exists():
            print(f"roboticstoolbox-python: skipped ({args.peers} not found)")
            return
        np.save(Path(tmp) / "q.npy", q_path)
        gif = Path(tmp) / "rtb.gif"
        run = subprocess.run(
            [args.peers, "-c", PEER_SCRIPT, str(Path(tmp) / "q.npy"), str(gif)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["no message"])[-1]
            print(f"roboticstoolbox-python: skipped (it failed: {last})")
            return
        seconds = float(run.stdout.strip().splitlines()[-1])
        size = gif.stat().st_size / 1024 if gif.exists() else float("nan")
        print(
            f"{'rtb 1.5':<10} {'panda':<9} {7:>2} {args.frames:>6} {'False':>9} {'-':>9} {seconds:8.2f} "
            f"{1e3 * seconds / args.frames:8.1f} {size:9.0f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
