"""Engines that run a map's chunks: in process (default) or on a Dask cluster, with one exact reduction.

A *job* (the capability or reachability map of one robot) is split into base chunks, each a pure function
of ``(job, chunk index)``. An engine groups consecutive base chunks into tasks and folds every task's
result into one *accumulator* of bounded size (for a capability map: dense per-voxel and per-(voxel,
direction) arrays over the grid) by exact, associative, commutative operations (integer sums, maxima). So
the result is bit-identical whatever the engine, the number of workers, the grouping of chunks into tasks
and the order the tasks finish in, and the memory does not grow with the samples.

Job protocol (duck-typed): ``label`` (str), ``base`` (items per base chunk), ``n_chunks``;
``start() -> accumulator``; ``run_into(accumulator, chunks)`` (in process: fold the chunks directly);
``run(chunks, state) -> summary`` (a task on a worker: a compact summary of its chunks);
``fold(accumulator, summary)``; ``state(accumulator)`` (a value that lets later tasks skip work that
cannot change the result, or None; it never changes the result); ``finish(accumulator) -> result``.
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
from typing import Any

import numpy as np

from ..errors import OptionError

__all__ = [
    "DaskEngine",
    "InProcessEngine",
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


def unique_max(packed: np.ndarray) -> np.ndarray:
    """Sorted unique keys of ``packed`` uint64 values ``key << 16 | code``, each with its largest code.

    One SIMD sort and a comparison with the next element: the last of each run of equal keys holds the
    largest code. Exact and independent of the input order.

    Args:
        packed: ``(N,)`` uint64.

    Returns:
        ``(G,)`` uint64, sorted, one per distinct key.
    """
    packed = np.sort(packed)
    if packed.size < 2:
        return packed
    keys = packed >> np.uint64(16)
    last = np.empty(packed.size, bool)
    np.not_equal(keys[1:], keys[:-1], out=last[:-1])
    last[-1] = True
    return packed[last]


def task_groups(n_chunks: int, chunks_per_task: int) -> list[range]:
    """Consecutive base-chunk ranges of ``chunks_per_task`` each (the last may be shorter)."""
    return [range(start, min(start + chunks_per_task, n_chunks)) for start in range(0, n_chunks, chunks_per_task)]


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


def run_task(job: Any, chunks: Sequence[int], state: Any = None) -> Any:
    """One task on a worker: the job's compact summary of ``chunks``, skipping work with ``state``."""
    with numpy_friendly_heap():
        return job.run(chunks, state)


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


class DaskEngine:
    """Run the tasks on a Dask cluster and fold their compact summaries into one accumulator here.

    The client keeps ``in_flight`` tasks per worker queued; as each finishes, its summary (for a capability
    map: the touched voxels' counts and maxima and the task's reached (voxel, direction) pairs, 8 bytes each)
    is folded into the accumulator and released, and the next task is submitted with the job's current
    ``state`` (the running per-voxel maxima that let a sample skip its exact σ_min/σ_max), refreshed once
    per ``workers`` finished tasks. The client's memory is the accumulator's. Its CPU, measured on the 10⁹-sample
    Panda map (2 cm × 288, 2 workers): 258 s against about 3300 s of the workers' (8 %, Dask's own event loop
    included), so one client keeps up with about a dozen workers; more would need a tree of merge tasks on
    the workers (not built).

    Dask's own cost is mostly per second of wall time, not per task: an idle ``LocalCluster`` was measured
    at ~3 % of a core per worker and ~6 % in the client process (event loops, heartbeats). Start workers
    with ``distributed.worker.profile.enabled: False`` (the statistical profiler samples every task's
    stack); the engine cannot change that for workers already running.

    Args:
        client: A ``distributed.Client`` connected to the cluster.
        tasks_per_worker: Default grouping aims at about this many tasks per worker (default 8; at most
            ``max_chunks_per_task`` base chunks per task): enough to balance the load and to spread the
            running maxima, while the per-task overhead (of the order of 1 ms in the scheduler, as Dask
            documents) stays negligible against a task's seconds of work.
        in_flight: Tasks queued per worker (default 2), so a worker never waits for the client.
        max_chunks_per_task: Upper bound of the default grouping (default 32).
    """

    def __init__(
        self, client: Any, tasks_per_worker: int = 8, in_flight: int = 2, max_chunks_per_task: int = 32
    ) -> None:
        dask_distributed()
        for name, value in (
            ("tasks_per_worker", tasks_per_worker),
            ("in_flight", in_flight),
            ("max_chunks_per_task", max_chunks_per_task),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"{name} must be an integer >= 1, got {value!r}")
        self.client = client
        self.tasks_per_worker = tasks_per_worker
        self.in_flight = in_flight
        self.max_chunks_per_task = max_chunks_per_task

    def _workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - a client that cannot tell: assume one worker
            return 1

    def run(self, job: Any, chunk_size: int | None = None) -> Any:
        """The result of all of ``job``'s chunks, computed on the cluster (``job.finish`` of the accumulator)."""
        distributed = dask_distributed()
        workers = self._workers()
        default = min(self.max_chunks_per_task, max(1, math.ceil(job.n_chunks / (self.tasks_per_worker * workers))))
        groups = task_groups(job.n_chunks, chunks_per_task(job, chunk_size, default))
        client = self.client
        accumulator = job.start()
        [job_future] = client.scatter([job], broadcast=True)

        def state_future() -> Any:
            state = job.state(accumulator)
            return None if state is None else client.scatter(state)

        state = state_future()
        pending = iter(groups)
        running = distributed.as_completed()
        for _, first in zip(range(workers * self.in_flight), pending):
            running.add(client.submit(run_task, job_future, list(first), state, pure=False))
        done = 0
        for future in running:
            job.fold(accumulator, future.result())
            future.release()
            done += 1
            group = next(pending, None)
            if group is not None:
                if done % workers == 0:
                    state = state_future()
                running.add(client.submit(run_task, job_future, list(group), state, pure=False))
        return job.finish(accumulator)


def _is_client(engine: Any) -> bool:
    cls = type(engine)
    return cls.__name__ == "Client" and cls.__module__.split(".")[0] == "distributed"


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
        client = dask_distributed().Client(engine)
        return DaskEngine(client)
    raise OptionError(
        "engine must be None or 'process' (in process), a dask.distributed Client, a scheduler address "
        f"'tcp://HOST:PORT', an InProcessEngine or a DaskEngine; got {engine!r}"
    )
