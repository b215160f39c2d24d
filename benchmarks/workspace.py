"""Workspace maps: capability-map throughput in process and on Dask, memory, IK reachability map, base placement.

Run: ``python benchmarks/workspace.py`` (``--quick`` for a short run; ``--only throughput,dask,memory,ik,placement``
for some rows; ``--ik-out map.npz`` keeps the IK reachability map; ``--dask-samples 5e7`` runs the Dask rows at a
size where the steady state dominates; ``--only billion`` runs the goal's map, 10⁹ samples on a Dask LocalCluster of
2 workers, about 20 minutes: ``--billion-samples 1e6`` for a short check). Panda, 2 cm voxels × 288 approach directions
unless said otherwise; the IK rows build the whole 5 cm × 50 reachability map (a few minutes of CPU). Prints one
table; times are wall time on this machine unless marked CPU, and other people's jobs share it, so the numbers
are noisy (the load average is printed with them).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import robokin
from robokin import workspace
from robokin.workspace import sampling

ROWS: list[tuple[str, str, str]] = []


def row(what: str, value: str, note: str = "") -> None:
    ROWS.append((what, value, note))
    print(f"  {what:<58} {value:>16}  {note}", flush=True)


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def bare_fk_jacobian(robot, samples: int) -> tuple[float, float]:
    """Wall and CPU seconds for fk + jacobian of the same samples a map draws, chunk by chunk."""
    lo, hi = robot.sampling_bounds.T
    sizes = sampling.chunk_sizes(samples)
    start, cpu = time.perf_counter(), time.process_time()
    for c, count in enumerate(sizes):
        q = sampling.chunk_samples(lo, hi, 0, c, int(count))
        robokin.fk(robot, q)
        robokin.jacobian(robot, q)
    return time.perf_counter() - start, time.process_time() - cpu


def timed_map(robot, samples: int, **kwargs) -> tuple[float, float, workspace.CapabilityMap]:
    """Wall and CPU seconds (of this process) of a 2 cm × 288 capability map, and the map."""
    start, cpu = time.perf_counter(), time.process_time()
    cmap = workspace.capability_map(robot, samples=samples, voxel=0.02, directions=288, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu, cmap


def throughput(robot, samples: list[int]) -> float:
    """Rows for the in-process engine against bare fk + jacobian (CPU time: the machine is shared); returns
    the marginal CPU µs per sample."""
    times = {}
    for n in samples:
        bare_wall, bare = bare_fk_jacobian(robot, n)
        wall, t, cmap = timed_map(robot, n)
        times[n] = t
        row(
            f"in process, {n:.0e} samples [CPU µs/sample]",
            f"{t / n * 1e6:.2f}",
            f"bare fk+jacobian {bare / n * 1e6:.2f} CPU µs: ratio {t / bare:.2f} (wall {wall / n * 1e6:.2f} vs "
            f"{bare_wall / n * 1e6:.2f} µs, ratio {wall / bare_wall:.2f}); {int((cmap.counts > 0).sum())} voxels, "
            f"{cmap.pair_count} pairs; {load()}",
        )
    if len(samples) > 1:
        a, b = samples[0], samples[-1]
        marginal = (times[b] - times[a]) / (b - a)
        row(
            f"in process, marginal {a:.0e} → {b:.0e} [CPU µs/sample]",
            f"{marginal * 1e6:.2f}",
            "the steady state of a big map: most samples no longer need their exact σ_min/σ_max",
        )
        return marginal * 1e6
    return times[samples[0]] / samples[0] * 1e6


def worker_cpu(client) -> float:
    """CPU seconds used so far by all the cluster's worker processes."""
    return sum(client.run(time.process_time).values())


# The parts of a capability job whose CPU the Dask rows split the workers' CPU into: the chunks (the same work as in
# process), the task summaries (a task's pair merge) and the merge tree; the rest is Dask's own threads, seen tasks
# and pickling.
PARTS = ("chunk", "summary", "merge")


def time_parts() -> None:
    """Wrap the capability job's :data:`PARTS` in this process to add up their thread CPU (run in each worker by
    ``client.run``, and in this process for the in-process map); once per process."""
    import threading
    import time as clock

    from robokin.workspace import capability

    job = capability.CapabilityJob
    if hasattr(job, "part_cpu"):
        return
    totals = job.part_cpu = dict.fromkeys(PARTS, 0.0)
    lock = threading.Lock()

    def timed(name, method):
        def wrapper(*args, **kwargs):
            start = clock.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                with lock:
                    totals[name] += clock.thread_time() - start

        return wrapper

    for name in PARTS:
        setattr(job, name, timed(name, getattr(job, name)))


def read_parts() -> dict[str, float]:
    """The thread CPU of each of :data:`PARTS` since the last read, in this process (:func:`time_parts`)."""
    from robokin.workspace import capability

    totals = capability.CapabilityJob.part_cpu
    out = dict(totals)
    totals.update(dict.fromkeys(totals, 0.0))
    return out


def concurrent_maps(samples: int, copies: int) -> list[tuple[float, float]]:
    """Wall and CPU seconds of each of ``copies`` in-process maps of ``samples`` each, run at once in fresh
    processes (each times its map only, not its imports)."""
    code = (
        "import sys, time, robokin; from robokin import workspace; robot = robokin.load('panda'); "
        "t, c = time.perf_counter(), time.process_time(); "
        "workspace.capability_map(robot, samples=int(sys.argv[1]), voxel=0.02); "
        "print(time.perf_counter() - t, time.process_time() - c)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(samples)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(copies)
    ]
    times = [p.communicate()[0].split() for p in procs]
    return [(float(wall), float(cpu)) for wall, cpu in times]


def process_scaling(samples: int, repeats: int = 3) -> None:
    """This machine's own scaling from 1 to 2 processes: the same map alone and two at once, interleaved
    ``repeats`` times (least of each). The CPU ratio shows whether a core runs slower while the other is busy
    (shared caches, memory bandwidth, or two virtual CPUs on one physical core): what no engine can win back."""
    alone, pair = [], []
    for _ in range(repeats):
        alone += concurrent_maps(samples, 1)
        pair.append(concurrent_maps(samples, 2))
    one = min(wall for wall, _ in alone)
    two = min(max(wall for wall, _ in both) for both in pair)
    cpu_one = min(cpu for _, cpu in alone)
    cpu_two = min(cpu for both in pair for _, cpu in both)
    row(
        f"2 in-process maps of {samples:.0e} at once [s]",
        f"{two:.2f}",
        f"one alone {one:.2f} s (least of {repeats}, interleaved): this machine's own efficiency from 1 to 2 "
        f"processes {100 * one / two:.0f} % (the same work per process; what 2 Dask workers can reach at best); "
        f"CPU per map {cpu_two:.2f} s at once vs {cpu_one:.2f} s alone ({100 * (cpu_two / cpu_one - 1):+.0f} %); "
        f"{load()}",
    )


def dask_rows(robot, samples: int, repeats: int = 1) -> None:
    """Dask LocalCluster (processes, one thread each, :data:`~robokin.workspace.engines.DASK_CONFIG`) against in
    process, in wall and in CPU time; and this machine's own scaling from 1 to 2 processes. Each map is run
    ``repeats`` times (in process, then on each cluster, started and warmed outside the timing) and the least wall
    is kept, with its CPU: on a shared host a single wall of a 2-worker map also measures the other users' load
    on the second core, which a 1-worker map does not need."""
    import dask
    from dask.distributed import Client, LocalCluster

    from robokin.workspace.engines import DASK_CONFIG

    time_parts()
    runs = []
    for _ in range(repeats):
        read_parts()
        here, here_cpu, ref = timed_map(robot, samples)
        runs.append((here, here_cpu, read_parts()["chunk"]))
    here, here_cpu, here_chunks = min(runs)  # (the least wall; its CPU)
    row(
        f"in process, {samples:.0e} samples [s]",
        f"{here:.2f}",
        f"least of {repeats}; CPU {here_cpu:.2f} s, of which the chunks {here_chunks:.2f} s; {load()}",
    )
    process_scaling(min(samples // 2, 10**6))  # (the machine's own 1 → 2 processes: at most 10⁶ suffice)
    per_workers = {}
    with dask.config.set(DASK_CONFIG):
        for workers in (1, 2):
            with (
                LocalCluster(
                    n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                client.run(lambda: __import__("robokin.workspace"))
                engine = workspace.DaskEngine(client)
                client.run(time_parts)
                timed_map(robot, 2 * sampling.BASE_CHUNK, engine=engine)  # warm the workers
                runs, same = [], True
                for _ in range(repeats):
                    client.run(read_parts)
                    before = worker_cpu(client)
                    t, client_cpu, cmap = timed_map(robot, samples, engine=engine)
                    cpu = worker_cpu(client) - before
                    read = client.run(read_parts).values()  # (once: a read resets the workers' totals)
                    parts = {name: sum(p[name] for p in read) for name in PARTS}
                    runs.append((t, client_cpu, cpu, parts))
                    same = same and all(  # every array of the map, byte for byte (NaN included)
                        np.asarray(getattr(ref, f.name)).tobytes() == np.asarray(getattr(cmap, f.name)).tobytes()
                        for f in dataclasses.fields(ref)
                    )
            t, client_cpu, cpu, parts = min(runs, key=lambda run: run[0])  # (the least wall; its CPU)
            per_workers[workers] = t
            note = (
                f"least of {repeats}; workers' CPU {cpu:.2f} s + client CPU {client_cpu:.2f} s = {100 * (cpu + client_cpu) / here_cpu:.0f} % "
                f"of in process; workers' CPU = chunks {parts['chunk']:.2f} (in process {here_chunks:.2f}) + task "
                f"summaries {parts['summary']:.2f} + merge tree {parts['merge']:.2f} (fan-in {engine.fan_in}) + the "
                f"rest {cpu - sum(parts.values()):.2f} (Dask's threads, seen tasks, pickling); bit-identical to in "
                f"process: {same}; {load()}"
            )
            if workers == 1:
                row(
                    f"Dask, 1 worker, {samples:.0e} samples [s]",
                    f"{t:.2f}",
                    f"wall overhead vs in process {100 * (t / here - 1):+.0f} %; " + note,
                )
            else:
                row(
                    f"Dask, 2 workers, {samples:.0e} samples [s]",
                    f"{t:.2f}",
                    f"wall efficiency 1→2 workers {100 * per_workers[1] / (2 * t):.0f} %; " + note,
                )


def commit() -> str:
    """The checkout's git commit (with ``+`` when it has changes), or ``unknown``."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"


def map_sha1(cmap: workspace.CapabilityMap) -> tuple[str, dict[str, str]]:
    """sha1 of every field of a capability map (its bytes, dtype and shape), and one over them all: two maps
    with the same digest are bit-identical, NaN and the sign of zero included."""
    fields = {}
    for f in dataclasses.fields(cmap):
        a = np.asarray(getattr(cmap, f.name))
        fields[f.name] = hashlib.sha1(a.tobytes() + f"{a.dtype}{a.shape}".encode()).hexdigest()
    whole = hashlib.sha1(" ".join(f"{k}={v}" for k, v in fields.items()).encode()).hexdigest()
    return whole, fields


def billion_row(robot, samples: int) -> None:
    """The goal's map, Panda 2 cm × 288 with its maxima, as the README runs it on Dask (``engine=Client(...)``):
    a LocalCluster of 2 worker processes with one thread each (started with ``DASK_CONFIG``) on this machine.
    Prints the wall time, the CPU of this process (client, scheduler, nannies) and of the workers, the voxels
    reached, the samples counted and the sha1 of the map (every field: compare it with another commit's)."""
    import dask
    from dask.distributed import Client, LocalCluster

    from robokin.workspace.engines import DASK_CONFIG

    q = np.random.default_rng(0).uniform(-1.0, 1.0, (100_000, 7))  # benchmarks/ik.py's machine check
    robot.fk(q[:100])
    start = time.process_time()
    robot.fk(q)
    fk_us = (time.process_time() - start) / q.shape[0] * 1e6
    print(f"  machine check: robokin fk, Panda, N = 10^5: {fk_us:.2f} µs per configuration (about 0.4 idle)")
    with (
        dask.config.set(DASK_CONFIG),
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        before = worker_cpu(client)
        wall, client_cpu, cmap = timed_map(robot, samples, engine=client)
        workers = worker_cpu(client) - before
    whole, fields = map_sha1(cmap)
    counted = int(cmap.counts.sum())
    row(
        f"Panda {samples:.0e} samples, 2 cm × 288, Dask 2 workers [min]",
        f"{wall / 60:.1f}",
        f"goal <= 20 min; wall {wall:.0f} s, client CPU {client_cpu:.1f} s, workers' CPU {workers:.0f} s "
        f"({workers / samples * 1e6:.2f} µs/sample); {int((cmap.counts > 0).sum())} voxels reached, {counted} "
        f"samples counted{'' if counted == samples else ' (NOT all)'}, {cmap.pair_count} pairs; machine check "
        f"{fk_us:.2f} µs; {load()}; map sha1 {whole[:16]}; robokin {commit()}",
    )
    print("  sha1 of each field: " + " ".join(f"{k}={v[:12]}" for k, v in fields.items()))


PEAK_RSS = (
    "def peak_mb():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1]) / 1024\n"
)


def memory_rows(sizes: list[int]) -> None:
    """Peak resident memory (VmHWM: ru_maxrss would include the forking parent's) of a fresh process."""
    code = PEAK_RSS + (
        "import sys, time, robokin; from robokin import workspace; t = time.perf_counter(); c = time.process_time(); "
        "workspace.capability_map(robokin.load('panda'), samples=int(sys.argv[1]), voxel=0.02); "
        "print(peak_mb(), time.perf_counter() - t, time.process_time() - c)"
    )
    base = subprocess.run(
        [sys.executable, "-c", PEAK_RSS + "import robokin, robokin.workspace; print(peak_mb())"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    row("peak RSS after import [MB]", f"{float(base.stdout):.0f}", "")
    cpus = {}
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", code, str(n)], capture_output=True, text=True, cwd=ROOT, check=True)
        rss, seconds, cpu = map(float, out.stdout.split())
        cpus[n] = cpu
        row(
            f"peak RSS, in process, {n:.0e} samples [MB]",
            f"{rss:.0f}",
            f"{seconds:.0f} s wall, {cpu:.0f} s CPU ({cpu / n * 1e6:.2f} CPU µs/sample); {load()}",
        )
    if len(sizes) > 1:
        a, b = sorted(sizes)[-2:]
        marginal = (cpus[b] - cpus[a]) / (b - a)  # CPU s per sample once most voxels are known
        row(
            "Panda 10⁹ samples, 2 cm × 288, 2 cores [min] (extrapolated)",
            f"{(cpus[b] + marginal * (10**9 - b)) / 2 / 60:.0f}",
            f"CPU of {b:.0e} plus the marginal {marginal * 1e6:.2f} CPU µs/sample ({a:.0e} → {b:.0e}) for the rest, "
            "shared by 2 workers at 100 % efficiency (CPU time: the machine is shared)",
        )


def cpu_and_wall(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, its wall and its CPU seconds (this process)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start, time.process_time() - cpu


def ik_rows(robot, voxel: float, directions: int, subset: int, save_to: str | None = None) -> None:
    """The IK reachability map, whole (with a progress bar on a terminal); before it, the three IK methods and
    the pruning checked on evenly spaced subsets of about ``subset`` poses; the map is saved to ``save_to``."""
    from robokin.workspace.engines import InProcessEngine
    from robokin.workspace.reachability import DEFAULT_IK_OPTIONS, reachability_job
    from robokin.workspace.sampling import grid, reach

    size = f"{voxel * 100:.0f} cm × {directions}"
    job, wall, cpu = cpu_and_wall(
        reachability_job,
        robot,
        voxel,
        directions,
        capability=None,
        prune_samples=10**6,
        options=DEFAULT_IK_OPTIONS,
        seed=0,
        engine=InProcessEngine(progress=False),
        link=robot.default_link,
    )
    row(f"IK map {size}: pruning [CPU s]", f"{cpu:.1f}", f"wall {wall:.1f} s (capability map of 10⁶ samples); {load()}")
    # the three methods on the same poses: CPU time and poses solved (every answer is checked by fk in the job)
    sub_ids = job.pose_ids[:: max(1, job.pose_ids.size // subset)]
    solved = {}
    for method, closed, dls in (("auto", True, True), ("analytic", True, False), ("dls", False, True)):
        sub = dataclasses.replace(job, pose_ids=sub_ids, closed_form=closed, dls=dls)
        out, wall, cpu = cpu_and_wall(InProcessEngine(progress=False).run, sub)
        ok = out["success"]
        solved[method] = ok
        row(
            f"IK map {size}, method={method}, {sub_ids.size} poses [CPU ms/pose]",
            f"{cpu / sub_ids.size * 1e3:.3f}",
            f"{100 * ok.mean():.1f} % solved; wall {wall:.1f} s; {load()}",
        )
    a, d = solved["auto"], solved["dls"]
    row(
        "  auto vs dls on those poses [poses]",
        f"{int((a & ~d).sum())} / {int((d & ~a).sum())}",
        "solved only by auto / only by dls",
    )
    # the pruning: poses within the reach ball that the sampled map ruled out, solved with 8 restarts
    origin, shape = grid(robot, voxel)
    centre, radius = reach(robot)
    p = origin + (np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1) + 0.5) * voxel
    p = p.reshape(-1, 3)
    inside = np.flatnonzero(np.linalg.norm(p - centre, axis=-1) <= radius)
    D = directions
    ball_ids = (inside[:, None] * D + np.arange(D)).reshape(-1)
    pruned = np.setdiff1d(ball_ids, job.pose_ids, assume_unique=True)
    check = pruned[:: max(1, pruned.size // subset)]
    strict = dataclasses.replace(job, pose_ids=check, options=robokin.ik.IKOptions(max_restarts=8))
    out, wall, cpu = cpu_and_wall(InProcessEngine(progress=False).run, strict)
    row(
        f"IK map {size}: pruned poses solved anyway [poses]",
        f"{int(out['success'].sum())} / {check.size}",
        f"of every {max(1, pruned.size // subset)}th of the {pruned.size} poses within reach that the sampled "
        f"map ruled out (auto, 8 restarts); {len(ball_ids)} grid poses within the reach ball",
    )
    # the whole map
    rm, wall, cpu = cpu_and_wall(
        workspace.reachability_map, robot, voxel=voxel, directions=directions, prune_samples=10**6, seed=0
    )
    attempted = int(rm.attempted.sum())
    row(
        f"IK reachability map {size}, whole [s]",
        f"{wall:.0f}",
        f"CPU {cpu:.0f} s (IK {rm.seconds:.0f} s wall); {rm.attempted.size} grid poses, {len(ball_ids)} within "
        f"reach, {attempted} attempted ({len(ball_ids) - attempted} pruned), {int(rm.success.sum())} solved "
        f"({cpu / attempted * 1e3:.3f} CPU ms per attempted pose); {load()}",
    )
    if save_to:
        rm.save(save_to)


def placement_rows(robot) -> None:
    """Base placement of 4 targets (poses of the arm 1 m in front of where it stands) for the Panda's tool and
    Baxter's left hand (scoring and the IK check of the best candidates); the best base checked again by
    ``ik.solve`` of the robot moved there."""
    cases = [(robot, None, 50), (robot, None, 288), (robokin.load("baxter"), "left_gripper", 50)]
    for arm, link, directions in cases:
        q = sampling.chunk_samples(*arm.sampling_bounds.T, 5, 0, 4)
        targets = robokin.fk(arm, q, link=link)
        targets[:, 0, 3] += 1.0
        cmap, wall_map, cpu_map = cpu_and_wall(
            workspace.capability_map, arm, samples=10**6, voxel=0.05, directions=directions, link=link
        )
        bp, wall, cpu = cpu_and_wall(workspace.base_placement, arm, targets, capability=cmap, link=link, yaws=8)
        solved = robokin.ik.solve(arm.with_base(bp.best[0]), targets, link=link).success
        row(
            f"base placement, {arm.name} ({bp.link}), 5 cm × {directions}, 4 targets [s]",
            f"{wall:.2f}",
            f"CPU {cpu:.2f} s; {bp.reached.size} candidate bases (x, y, yaw), the {bp.verified} best by the map solved "
            f"by IK; best reaches {int(bp.best_reached[0])}/4 by IK at [{bp.best[0, 0, 3]:.2f}, {bp.best[0, 1, 3]:.2f}] "
            f"m, ik.solve of the robot moved there solves {int(solved.sum())}/4; "
            f"{int((bp.reached == 4).sum())} candidates reach 4/4 by the map; its capability "
            f"map (10⁶ samples, 5 cm × {directions}, {100 * cmap.pair_count / ((cmap.counts > 0).sum() * directions):.0f} "
            f"% of the reached voxels' cells sampled) {wall_map:.1f} s wall, {cpu_map:.1f} s CPU; {load()}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument(
        "--only",
        default="throughput,dask,memory,ik,placement",
        help="comma-separated rows (and billion: not by default)",
    )
    parser.add_argument("--memory-sizes", default="1e6,1e7,1e8", help="sample counts for the memory rows")
    parser.add_argument("--ik-out", help="save the IK reachability map of the ik rows to this .npz file")
    parser.add_argument(
        "--dask-samples", type=float, default=2e6, help="samples of the Dask rows' maps (e.g. 5e7: the steady state)"
    )
    parser.add_argument(
        "--dask-repeat", type=int, default=3, help="runs of each Dask-row map; the least wall is kept (default 3)"
    )
    parser.add_argument(
        "--billion-samples", type=float, default=1e9, help="samples of the billion row's map (not in the default rows)"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    robot = robokin.load("panda")
    print(f"robokin workspace benchmark: Panda, 2 cm × 288 directions; {os.cpu_count()} cores, shared; {load()}")
    rate = None
    if "throughput" in only:
        rate = throughput(robot, [10**5] if args.quick else [10**6, 10**7])
        row(
            "Panda 10⁹ samples, 2 cm × 288, in process [min] (extrapolated)",
            f"{rate * 1e9 / 60e6:.0f}",
            "from the marginal rate on one core; ~half that on 2 workers at the measured efficiency",
        )
    if "dask" in only:
        try:
            import dask.distributed  # noqa: F401
        except ImportError as exc:
            row("Dask rows", "skipped", f"dask.distributed not installed ({exc})")
        else:
            dask_rows(robot, 2 * 10**5 if args.quick else int(args.dask_samples), 1 if args.quick else args.dask_repeat)
    if "billion" in only:
        billion_row(robot, int(args.billion_samples))
    if "ik" in only:
        ik_rows(robot, 0.2 if args.quick else 0.05, 10 if args.quick else 50, 500 if args.quick else 5000, args.ik_out)
    if "placement" in only:
        placement_rows(robot)
    if "memory" in only:
        memory_rows([10**5] if args.quick else [int(float(s)) for s in args.memory_sizes.split(",")])


if __name__ == "__main__":
    main()
