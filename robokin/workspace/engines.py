"""Engines that run a map's chunks: in process (default) or on a Dask cluster, with one exact reduction.

A *job* (the capability or reachability map of one robot) is split into base chunks, each a pure function
of ``(job, chunk index)``. An engine groups consecutive base chunks into tasks, runs them, and merges the
per-task summaries with the job's ``merge``: sparse tables keyed by voxel (or pose) index whose columns
reduce by exact, associative, commutative operations (integer sums, maxima). So the merged summary is
bit-identical whatever the engine, the number of workers, the grouping of chunks into tasks and the order
the tasks finish in.

Job protocol (duck-typed): ``label`` (str), ``base`` (items per base chunk), ``n_chunks``,
``new_state(start=None)`` (a per-task scratch value or None; a job may use it to skip work that cannot
change the result, never to change the result), ``run(chunks, state) -> summary``,
``merge(summaries) -> summary`` and optionally ``state_from(summary)`` (a starting state for later tasks).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import OptionError

__all__ = ["DaskEngine", "InProcessEngine", "dask_distributed", "reduce_by_key", "resolve_engine", "task_groups"]


def reduce_by_key(keys: np.ndarray, columns: dict[str, tuple[np.ndarray, Callable]]) -> dict[str, np.ndarray]:
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
def numpy_friendly_heap():
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


def run_task(job: Any, chunks: Sequence[int], start: Any = None) -> Any:
    """One task: the job's summary of ``chunks``, with a per-task scratch state (from ``start`` if given)."""
    with numpy_friendly_heap():
        return job.run(chunks, job.new_state(start))


def state_task(job: Any, summary: Any) -> Any:
    """A starting scratch state for later tasks, from the merged summary of earlier ones."""
    return job.state_from(summary)


def merge_task(job: Any, *summaries: Any) -> Any:
    """One reduction task: the job's merge of ``summaries``."""
    with numpy_friendly_heap():
        return job.merge(list(summaries))


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
    """Run every task in this process, one after another, in bounded memory.

    Memory: one task's arrays (``chunks_per_task`` base chunks, each ~40 MB for a 7-joint arm) plus the
    partial summaries, merged as a binary counter (two summaries of the same level merge at once), so at
    most ``log2(tasks)`` of them are alive and each item is merged ``log2(tasks)`` times.

    Attributes:
        progress: Draw a progress bar on standard error: None (default) when it is a terminal.
    """

    progress: bool | None = None
    default_chunks_per_task: int = 1

    def run(self, job: Any, chunk_size: int | None = None) -> Any:
        """The merged summary of all of ``job``'s chunks."""
        groups = task_groups(job.n_chunks, chunks_per_task(job, chunk_size, self.default_chunks_per_task))
        bar = _Progress(job.label, len(groups), self.progress)
        state = job.new_state()  # shared by the tasks of this process: only ever skips work
        stack: list[tuple[int, Any]] = []
        for done, group in enumerate(groups, start=1):
            level, summary = 0, job.run(group, state)
            while stack and stack[-1][0] == level:
                summary = job.merge([stack.pop()[1], summary])
                level += 1
            stack.append((level, summary))
            bar.update(done)
        return job.merge([s for _, s in stack])


def dask_distributed():
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
    """Run the tasks on a Dask cluster and merge their summaries by a tree reduction on the workers.

    Args:
        client: A ``distributed.Client`` connected to the cluster.
        fan_in: Summaries merged per reduction task (default 8).
        tasks_per_worker: Default grouping aims at about this many tasks per worker (default 16; at most
            32 base chunks per task), enough to balance the load and to run in waves (see :meth:`run`)
            while the per-task overhead (of the order of 1 ms in the scheduler, as Dask documents) stays
            negligible against a task's seconds of work.
    """

    def __init__(self, client: Any, fan_in: int = 8, tasks_per_worker: int = 16) -> None:
        dask_distributed()
        if not (isinstance(fan_in, int) and fan_in >= 2):
            raise OptionError(f"fan_in must be an integer >= 2, got {fan_in!r}")
        self.client = client
        self.fan_in = fan_in
        self.tasks_per_worker = tasks_per_worker

    def _workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - a client that cannot tell: assume one worker
            return 1

    def _reduce(self, job_future: Any, futures: list) -> Any:
        """Tree reduction of summary futures, ``fan_in`` at a time, on the workers; one future."""
        while len(futures) > 1:
            futures = [
                self.client.submit(merge_task, job_future, *futures[i : i + self.fan_in], pure=False)
                for i in range(0, len(futures), self.fan_in)
            ]
        return futures[0]

    def run(self, job: Any, chunk_size: int | None = None) -> Any:
        """The merged summary of all of ``job``'s chunks, computed on the cluster.

        A job with ``state_from`` (the capability map: running per-voxel maxima that let a sample skip its
        exact σ_min/σ_max) runs in waves of 1/8, 1/8, 1/4 and 1/2 of the tasks: each wave's tasks start
        from the state of everything merged before it, as the in-process engine's later tasks start from
        the earlier ones'. Every wave's summaries are merged into the result, so it is the same in waves
        or not; the waves only save work.
        """
        default = min(32, max(1, math.ceil(job.n_chunks / (self.tasks_per_worker * self._workers()))))
        groups = task_groups(job.n_chunks, chunks_per_task(job, chunk_size, default))
        client = self.client
        [job_future] = client.scatter([job], broadcast=True)
        if hasattr(job, "state_from") and len(groups) >= 8:
            n = len(groups)
            ends = sorted({max(1, n // 8), max(2, n // 4), max(3, n // 2), n})
        else:
            ends = [len(groups)]
        merged: list = []
        start = None
        begin = 0
        for end in ends:
            wave = [client.submit(run_task, job_future, list(g), start, pure=False) for g in groups[begin:end]]
            merged = [self._reduce(job_future, merged + wave)]
            begin = end
            if end < len(groups):
                start = client.submit(state_task, job_future, merged[0], pure=False)
        return merged[0].result()


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
