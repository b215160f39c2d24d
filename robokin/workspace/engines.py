"""Engines that run a map's chunks: in process (default) or on a Dask cluster, with one exact reduction.

A *job* (the capability or reachability map of one robot) is split into base chunks, each a pure function
of ``(job, chunk index)``. An engine groups consecutive base chunks into tasks. In process, every task is
folded straight into one *accumulator* of bounded size (for a capability map: dense per-voxel and
per-(voxel, direction) arrays over the grid); on Dask, every task returns a compact *summary*, summaries
are merged by a tree of merge tasks on the workers, and the root's summary is folded into the client's
accumulator. Folds and merges are exact, associative and commutative (integer sums, maxima, unions), so
the result is bit-identical whatever the engine, the number of workers, the grouping of chunks into tasks,
the merge tree's fan-in and the order the tasks finish in, and the memory does not grow with the samples.

Job protocol (duck-typed): ``label`` (str), ``base`` (items per base chunk), ``n_chunks``;
``start() -> accumulator``; ``run_into(accumulator, chunks)`` (in process: fold the chunks directly);
``run(chunks) -> summary`` (a task on a worker: a compact summary of its chunks); ``merge(summaries) ->
summary`` (of the union of disjoint chunk sets); ``fold(accumulator, summary)``; ``finish(accumulator) ->
result``; optionally ``seen(summary)`` (a worker that merged ``summary`` may keep what lets its later tasks
skip work that cannot change the result).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, overload

import numpy as np

from ..errors import OptionError

__all__ = [
    "DASK_CONFIG",
    "DaskEngine",
    "InProcessEngine",
    "MergeTree",
    "TaskGroups",
    "connect",
    "dask_distributed",
    "reduce_by_key",
    "resolve_engine",
    "task_groups",
    "unique_max",
]


def reduce_by_key(keys: np.ndarray, columns: dict[str, tuple[np.ndarray, np.ufunc]]) -> dict[str, np.ndarray]:
    """Group rows by key and reduce each column with its ufunc (``np.add``, ``np.maximum``, ...).

    Exact for integer sums and for maxima/minima, and independent of the row order: the keys are sorted
    (stably) and each group reduced with ``ufunc.reduceat``.

    Args:
        keys: ``(N,)`` int64 keys.
        columns: name → (``(N,)`` values, ufunc).

    Returns:
        ``{"key": (G,) sorted unique keys, name: (G,) reduced values ...}``.
    """
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    if sorted_keys.size == 0:
        return {"key": sorted_keys, **{name: values[:0] for name, (values, _) in columns.items()}}
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    out = {"key": sorted_keys[starts]}
    for name, (values, ufunc) in columns.items():
        out[name] = ufunc.reduceat(values[order], starts)
    return out


def unique_max(packed: np.ndarray, sorted_runs: bool = False) -> np.ndarray:
    """Sorted unique keys of ``packed`` uint64 values ``key << 16 | code``, each with its largest code.

    One sort and a comparison with the next element: the last of each run of equal keys holds the
    largest code. Exact and independent of the input order.

    Args:
        packed: ``(N,)`` uint64.
        sorted_runs: ``packed`` is a concatenation of a few sorted arrays: sort by merging them (NumPy's
            stable sort finds the runs; 2.5× faster than the SIMD quicksort on 4 runs of 130 000), not
            by the quicksort (faster on unordered values). Only the speed differs.

    Returns:
        ``(G,)`` uint64, sorted, one per distinct key.
    """
    packed = np.sort(packed, kind="stable" if sorted_runs else None)
    if packed.size < 2:
        return packed
    keys = packed >> np.uint64(16)
    last = np.empty(packed.size, bool)
    np.not_equal(keys[1:], keys[:-1], out=last[:-1])
    last[-1] = True
    return packed[last]


@dataclass(frozen=True)
class TaskGroups(Sequence[range]):
    """Consecutive base-chunk ranges of ``per`` chunks each (the last may be shorter), made as they are read
    (a map of 10¹² samples has 3·10⁷ tasks in process)."""

    n_chunks: int
    per: int

    def __len__(self) -> int:
        return -(-self.n_chunks // self.per)

    @overload
    def __getitem__(self, i: int) -> range: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[range]: ...
    def __getitem__(self, i: int | slice) -> range | Sequence[range]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        k = range(len(self))[i]  # (IndexError past the end, negative indices from it)
        return range(k * self.per, min((k + 1) * self.per, self.n_chunks))


def task_groups(n_chunks: int, chunks_per_task: int) -> TaskGroups:
    """Consecutive base-chunk ranges of ``chunks_per_task`` each (the last may be shorter), a lazy sequence."""
    return TaskGroups(n_chunks, chunks_per_task)


def chunks_per_task(job: Any, chunk_size: int | None, default: int) -> int:
    """Base chunks per task for ``chunk_size`` items per task (rounded to whole base chunks, at least one)."""
    if chunk_size is None:
        return default
    return max(1, round(chunk_size / job.base))


# glibc mallopt parameters (malloc.h) and its defaults.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
DEFAULT_MMAP_THRESHOLD = 128 * 1024
# While a task runs: blocks below 64 MB come from the heap and up to 128 MB of free heap is kept.
TASK_MMAP_THRESHOLD, TASK_TRIM_THRESHOLD = 64 << 20, 128 << 20


@contextlib.contextmanager
def numpy_friendly_heap() -> Iterator[None]:
    """Let NumPy's short-lived arrays reuse heap memory while a task runs in a Dask worker.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which (glibc) also freezes the mmap
    threshold at 128 KB: every temporary array above it is mapped afresh and page-faulted in, and a chunk's
    kernels then ran 2-6× slower than in a plain process (measured: 1.0 s vs 2.5 s per base chunk of a
    6-joint arm with that variable set, 5.5 s inside a worker on a loaded machine). Within a task the
    thresholds are raised; afterwards they are put back to the worker's settings (the variable's value,
    and glibc's default mmap threshold), so the worker still returns memory between tasks. A no-op where
    neither variable is set (glibc then adapts by itself) or libc has no ``mallopt``.
    """
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    mmap = os.environ.get("MALLOC_MMAP_THRESHOLD_")
    libc = None
    if trim is not None or mmap is not None:
        with contextlib.suppress(OSError, AttributeError, TypeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c"))
            libc.mallopt  # noqa: B018 - only glibc has it
    if libc is None:
        yield
        return
    libc.mallopt(M_MMAP_THRESHOLD, TASK_MMAP_THRESHOLD)
    libc.mallopt(M_TRIM_THRESHOLD, TASK_TRIM_THRESHOLD)
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, int(mmap) if mmap and mmap.isdigit() else DEFAULT_MMAP_THRESHOLD)
        if trim is not None and trim.isdigit():
            libc.mallopt(M_TRIM_THRESHOLD, int(trim))


def run_task(job: Any, chunks: Sequence[int]) -> Any:
    """One task on a worker: the job's compact summary of ``chunks``."""
    with numpy_friendly_heap():
        return job.run(chunks)


def seen_task(job: Any, summary: Any) -> None:
    """A short task on a worker: ``job.seen`` of another task's summary, so that this worker's next task
    starts from it (work saved, result unchanged)."""
    job.seen(summary)


def share_targets(addresses: Sequence[str], share: int, turn: int, made_on: Sequence[str] = ()) -> list[str]:
    """The workers that take in the ``turn``-th finished summary: ``min(share, len(others))`` of the
    ``others``, ``addresses`` but the workers ``made_on`` (which hold the summary and have taken it in
    already), in turns (all of them when ``share >= len(others)``)."""
    others = [address for address in addresses if address not in made_on]
    count = min(share, len(others))
    return [others[(turn * count + i) % len(others)] for i in range(count)]


class _Progress:
    """A one-line progress bar on standard error, drawn only when it is a terminal."""

    def __init__(self, label: str, total: int, enabled: bool | None) -> None:
        self.label, self.total = label, total
        self.enabled = sys.stderr.isatty() if enabled is None else bool(enabled)

    def update(self, done: int) -> None:
        if self.enabled:
            width = 30
            fill = int(width * done / max(self.total, 1))
            end = "\n" if done >= self.total else ""
            sys.stderr.write(f"\r{self.label}: [{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} tasks{end}")
            sys.stderr.flush()


@dataclass(frozen=True)
class InProcessEngine:
    """Run every task in this process, one after another, folding each straight into the accumulator.

    Memory: the accumulator (bounded by the grid, see the job) plus one base chunk's arrays; it does not
    grow with the number of samples.

    Attributes:
        progress: Draw a progress bar on standard error: None (default) when it is a terminal.
    """

    progress: bool | None = None
    default_chunks_per_task: int = 1

    def run(self, job: Any, chunk_size: int | None = None) -> Any:
        """The result of all of ``job``'s chunks (``job.finish`` of the accumulator)."""
        groups = task_groups(job.n_chunks, chunks_per_task(job, chunk_size, self.default_chunks_per_task))
        bar = _Progress(job.label, len(groups), self.progress)
        accumulator = job.start()
        for done, group in enumerate(groups, start=1):
            job.run_into(accumulator, group)
            bar.update(done)
        return job.finish(accumulator)


def dask_distributed() -> ModuleType:
    """The ``distributed`` module; OptionError naming the ``robokin[dask]`` extra when it is missing."""
    try:
        import distributed
    except ImportError as exc:
        raise OptionError(
            f"a Dask engine needs dask[distributed], which is not installed ({exc}); "
            "install it with: pip install 'robokin[dask]'"
        ) from None
    return distributed


def merge_task(job: Any, *summaries: Any) -> Any:
    """One merge task on a worker: ``job.merge`` of its input summaries; the worker then keeps what the
    merged summary teaches later tasks here (``job.seen``, when the job has it: work saved, result unchanged)."""
    with numpy_friendly_heap():
        merged = job.merge(list(summaries))
        seen = getattr(job, "seen", None)
        if seen is not None:
            seen(merged)
        return merged


class MergeTree:
    """A ``fan_in``-ary tree of merge tasks, built as the summaries arrive (like a counter in base ``fan_in``).

    Each level holds fewer than ``fan_in`` summaries (futures) waiting for siblings; the ``fan_in``-th
    arrival at a level is merged by one task whose summary goes one level up. So every summary is merged at
    most ``⌊log_fan_in(tasks)⌋ + 2`` times (the last two by :meth:`root`), at most ``fan_in - 1`` summaries
    wait per level, and the client holds only futures. Which summaries meet in a merge does not change the
    result: the merge is exact (integer sums, maxima, unions) and independent of order and grouping.

    Args:
        submit: ``submit(*summaries) -> future`` of their merge.
        fan_in: Summaries per merge task, >= 2.
    """

    def __init__(self, submit: Any, fan_in: int) -> None:
        self.submit, self.fan_in = submit, fan_in
        self.levels: list[list[Any]] = []
        self.merges = 0

    def add(self, summary: Any, level: int = 0) -> None:
        """Add a summary (a future) at ``level``; merge a full level into the next, upwards."""
        while True:
            if level == len(self.levels):
                self.levels.append([])
            waiting = self.levels[level]
            waiting.append(summary)
            if len(waiting) < self.fan_in:
                return
            self.levels[level] = []
            summary, level = self._merge(waiting), level + 1

    def root(self) -> Any:
        """The one summary of everything added (None if nothing was): what waits is merged, the lowest
        levels first, in tasks of at most ``fan_in`` summaries."""
        carry: list[Any] = []
        for waiting in self.levels:
            carry = carry + waiting
            while len(carry) >= self.fan_in:
                carry = [self._merge(carry[: self.fan_in]), *carry[self.fan_in :]]
        self.levels = []
        while len(carry) > 1:
            carry = [self._merge(carry[: self.fan_in]), *carry[self.fan_in :]]
        return carry[0] if carry else None

    def _merge(self, summaries: list[Any]) -> Any:
        self.merges += 1
        return self.submit(*summaries)


# Dask settings for a cluster that runs maps (``with dask.config.set(DASK_CONFIG): LocalCluster(...)``, or the
# same keys in the YAML configuration of ``dask scheduler`` and ``dask worker``): no statistical profiler
# (it samples every task's stack), and the periodic event-loop tick and memory/system monitors once a second
# instead of every 20/100/500 ms. Measured on an idle LocalCluster of 2 worker processes on this 2-core machine:
# 0.137 cores in total with only the profiler off (client process with scheduler and nannies 0.078, each
# worker 0.03), 0.023 cores with all of these.
DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


class DaskEngine:
    """Run the tasks on a Dask cluster and reduce their compact summaries by a tree of merge tasks there.

    The client keeps ``in_flight`` tasks per worker queued. A task's summary (for a capability map: the
    touched voxels' counts and maxima and the task's reached (voxel, direction) pairs, 8 bytes each) stays
    on its worker; as summaries come in, merge tasks on the workers combine them ``fan_in`` at a time into a
    tree (:class:`MergeTree`), and only the root's summary comes to the client, which folds it into the
    job's accumulator and finishes the result. The client holds futures only: its memory is the
    accumulator's and one summary, and its CPU does not grow with the samples (it waits on completion events;
    on the 10⁹-sample Panda map, 2 cm × 288: 48 s of client CPU while 2 workers were busy for 1445 s).
    Each finished summary is taken in at once (``job.seen``) by ``share`` of the other workers in turns (every
    other worker when ``share`` >= the workers - 1; the one that made it took it in as its task ended, and the
    client asks the scheduler which one that is: a query costs the client ~1 ms of CPU, a seen task ~10 ms there
    and as much on the worker), by a short task that runs ahead of the task queued there: the next task on each
    worker then starts from the running maxima of every summary finished before it starts, not only of those
    finished when it was submitted, and skips more samples that cannot beat them (work saved, result
    unchanged; on a Panda map of 2·10⁶ samples with 2 workers, 3–4 % fewer certified σ bounds: 7–8 % more than
    one worker computes, instead of 11–12 %). Merge tasks do the same with what they merge.

    Dask's own cost is mostly per second of wall time, not per task: an idle ``LocalCluster`` of 2 workers
    was measured at ~3 % of a core per worker and ~8 % in the client process (event loops, ticks, monitors),
    2.3 % of a core in all with :data:`DASK_CONFIG`. Start the cluster with it; the engine cannot change the
    settings of a scheduler and workers already running.

    Args:
        client: A ``distributed.Client`` connected to the cluster.
        tasks_per_worker: Default grouping aims at about this many tasks per worker (default 8; at most
            ``max_chunks_per_task`` base chunks per task): enough to balance the load, while the per-task
            overhead (of the order of 1 ms in the scheduler, as Dask documents) stays negligible against a
            task's seconds of work.
        in_flight: Tasks queued per worker (default 2), so a worker never waits for the client.
        max_chunks_per_task: Upper bound of the default grouping (default 32).
        fan_in: Summaries per merge task (default 4), >= 2: the tree is at most ``⌊log_fan_in(tasks)⌋ + 2`` deep.
        share: How many workers besides the one that made it take in each finished summary (default 2; 0:
            none; with one worker, none), each a transfer of one summary.
        progress: Draw a progress bar of the finished tasks on standard error: None (default) when it is a
            terminal.

    Raises:
        OptionError: an option out of range, ``client`` not a ``distributed.Client``, or (by :meth:`run`)
            a client that is no longer running (closed, or its cluster shut down).
    """

    def __init__(
        self,
        client: Any,
        tasks_per_worker: int = 8,
        in_flight: int = 2,
        max_chunks_per_task: int = 32,
        fan_in: int = 4,
        share: int = 2,
        progress: bool | None = None,
    ) -> None:
        distributed = dask_distributed()
        for name, value, least in (
            ("tasks_per_worker", tasks_per_worker, 1),
            ("in_flight", in_flight, 1),
            ("max_chunks_per_task", max_chunks_per_task, 1),
            ("fan_in", fan_in, 2),
            ("share", share, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise OptionError(f"{name} must be an integer >= {least}, got {value!r}")
        if not isinstance(client, distributed.Client):
            raise OptionError(f"client must be a dask.distributed Client, got {type(client).__name__}")
        self.client = client
        self.tasks_per_worker = tasks_per_worker
        self.in_flight = in_flight
        self.max_chunks_per_task = max_chunks_per_task
        self.fan_in = fan_in
        self.share = share
        self.progress = progress

    def _workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - a client that cannot tell: assume one worker
            return 1

    def run(self, job: Any, chunk_size: int | None = None) -> Any:
        """The result of all of ``job``'s chunks, computed on the cluster (``job.finish`` of the accumulator)."""
        distributed = dask_distributed()
        status = self.client.status  # "running", else "closing", "closed" (its cluster shut down too), ...
        if status != "running":
            raise OptionError(
                f"engine: the Dask client is {'closed' if status in ('closing', 'closed') else 'not running'} "
                f"(status {status!r}); pass a running dask.distributed Client or a scheduler address"
            )
        workers = self._workers()
        default = min(self.max_chunks_per_task, max(1, math.ceil(job.n_chunks / (self.tasks_per_worker * workers))))
        groups = task_groups(job.n_chunks, chunks_per_task(job, chunk_size, default))
        client = self.client
        bar = _Progress(job.label, len(groups), self.progress)
        # a fresh key (hash=False): a job equal to one just run would otherwise get the key Dask is still releasing,
        # and scattering it again hung (seen with the same job run twice in a row)
        [job_future] = client.scatter([job], broadcast=True, hash=False)
        tree = MergeTree(lambda *summaries: client.submit(merge_task, job_future, *summaries, pure=False), self.fan_in)
        share = self.share if hasattr(job, "seen") and workers > 1 else 0
        addresses = sorted(client.scheduler_info().get("workers", {})) if share else []
        learning: list[Any] = []  # seen tasks not yet done
        pending = iter(groups)
        running = distributed.as_completed()
        for _, first in zip(range(workers * self.in_flight), pending):
            running.add(client.submit(run_task, job_future, list(first), pure=False))
        for done, future in enumerate(running, start=1):
            if future.status == "error":
                future.result()  # raises the task's exception here, before more work is submitted
            tree.add(future)
            # the workers take the summary in as soon as it is there: a seen task ahead of the task queued on
            # each (a higher priority), so their next tasks start from it, not from summaries of one task before
            for seen in learning:
                if seen.status == "error":
                    seen.result()
            learning = [seen for seen in learning if seen.status == "pending"]
            if share and len(groups) - done > workers:  # (some task has not started yet)
                # not to the worker that made it, which took it in when the task ended (one scheduler query
                # here costs the client less than a seen task there)
                made_on = client.who_has([future]).get(future.key, ())
                learning += [
                    client.submit(
                        seen_task,
                        job_future,
                        future,
                        workers=[address],
                        allow_other_workers=True,
                        priority=1,
                        pure=False,
                    )
                    for address in share_targets(addresses, share, done - 1, made_on)
                ]
            bar.update(done)
            group = next(pending, None)
            if group is not None:
                running.add(client.submit(run_task, job_future, list(group), pure=False))
        root = tree.root()
        accumulator = job.start()
        if root is not None:
            job.fold(accumulator, root.result())
            root.release()
        return job.finish(accumulator)


def _is_client(engine: Any) -> bool:
    cls = type(engine)
    return cls.__name__ == "Client" and cls.__module__.split(".")[0] == "distributed"


def connect(address: str) -> Any:
    """A ``dask.distributed.Client`` of the scheduler at ``address`` (``"tcp://HOST:PORT"``).

    Raises:
        OptionError: dask is not installed, or no scheduler answers at ``address`` (a malformed address, an
            unknown host, nothing listening within Dask's connect timeout): the message names it.
    """
    distributed = dask_distributed()
    try:
        return distributed.Client(address)
    except (OSError, ValueError, TypeError) as exc:  # (TimeoutError is an OSError)
        raise OptionError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from None


def resolve_engine(engine: Any) -> Any:
    """The engine for ``engine=``: None or ``"process"`` → :class:`InProcessEngine`; a
    ``distributed.Client`` → :class:`DaskEngine`; a scheduler address ``"tcp://HOST:PORT"`` → a
    :class:`DaskEngine` with a new client; an engine → itself.

    Raises:
        OptionError: anything else, or a Dask engine without dask installed.
    """
    if engine is None or (isinstance(engine, str) and engine == "process"):
        return InProcessEngine()
    if isinstance(engine, (InProcessEngine, DaskEngine)):
        return engine
    if _is_client(engine):
        return DaskEngine(engine)
    if isinstance(engine, str) and "://" in engine:
        return DaskEngine(connect(engine))
    raise OptionError(
        "engine must be None or 'process' (in process), a dask.distributed Client, a scheduler address "
        f"'tcp://HOST:PORT', an InProcessEngine or a DaskEngine; got {engine!r}"
    )
