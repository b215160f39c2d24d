"""Where an arm reaches, and how well: a capability map
=====================================================

The Panda's joint space is sampled (seeded, inside the limits) and every tool pose is binned into a voxel
grid × equal-area cells of approach directions (the tool z axis, world frame). Per voxel the map keeps the
samples that landed there, the reachability index (the fraction of direction cells reached) and the best
σmin/σmax of the unit-free task Jacobian. The same map is then computed again in smaller chunks: the chunks
have their own spawned seeds and merge exactly, so both maps are equal bit for bit (the property that lets a
Dask cluster build it too). Prints the grid, the reached volume [m³], the best reachability and where it is
[m], the time per sample [µs], and writes ``workspace.png``: a horizontal slice of the reachability index and
a side slice of the best σmin/σmax.

Usage::

    python demos/map_workspace.py [OUT_DIR] [--samples N] [--voxel METRES]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: this demo never opens a window

import matplotlib.pyplot as plt
import numpy as np

import robokin
from robokin import workspace


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=".", help="folder for workspace.png (default: here)")
    parser.add_argument("--samples", type=float, default=2e5, help="joint-space samples (default 2e5)")
    parser.add_argument("--voxel", type=float, default=0.08, help="voxel edge [m] (default 0.08)")
    args = parser.parse_args(argv)

    robot = robokin.load("panda")
    samples = int(args.samples)
    start = time.perf_counter()
    cmap = workspace.capability_map(robot, samples=samples, voxel=args.voxel, directions=72, seed=0)
    seconds = time.perf_counter() - start
    reached = cmap.counts > 0
    print(
        f"{robot.name}: {samples} samples, grid {cmap.shape} of {cmap.voxel:.3f} m voxels x 72 directions, "
        f"{seconds / samples * 1e6:.1f} µs per sample"
    )
    print(f"reached {int(reached.sum())} voxels = {reached.sum() * cmap.voxel**3:.3f} m³")
    best = np.unravel_index(np.argmax(cmap.reachability), cmap.shape)
    centre = cmap.origin + (np.array(best) + 0.5) * cmap.voxel
    print(f"best reachability index {cmap.reachability[best]:.3f} at {np.round(centre, 3)} m")

    again = workspace.capability_map(robot, samples=samples, voxel=args.voxel, directions=72, seed=0, chunk_size=2**15)
    same = all(np.array_equal(getattr(cmap, f), getattr(again, f)) for f in cmap.fields)
    print(f"the same map from chunks of 2^15 samples is equal bit for bit: {same}")

    fig = plt.figure(figsize=(10, 4.5), layout="constrained")
    cmap.plot_slice("reachability", axis="z", ax=fig.add_subplot(1, 2, 1))
    cmap.plot_slice("max_inverse_condition", axis="y", ax=fig.add_subplot(1, 2, 2))
    out = Path(args.out_dir) / "workspace.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"wrote {out.resolve()}")
    return out


# %%
# Running the demo (in the gallery: with the output folder of the docs build) prints and writes:

if __name__ == "__main__":
    main()
