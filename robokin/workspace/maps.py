"""Maps as data: capability, reachability and base-placement results; save/load (.npz, .zarr), queries, plots.

Every map lives on a voxel grid in the world frame: voxel ``(i, j, k)`` spans
``origin + [i, j, k] · voxel`` to ``origin + [i + 1, j + 1, k + 1] · voxel`` [m]; its flat index is
``numpy.ravel_multi_index((i, j, k), shape)``. Approach directions are the cells of an equal-area sphere
partition (:func:`robokin.workspace.sampling.sphere_partition`); the approach direction of a tool pose is
its **z axis** in the world frame, ``T_world_tool[..., :3, 2]``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import MapFileError, OptionError, RobokinError
from .sampling import MAX_DIRECTIONS, MAX_SEED, points, positive_int, sphere_partition
from .store import CHUNK_BYTES, ZarrGroup, open_group, write_group

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "BasePlacement",
    "CapabilityMap",
    "ReachabilityMap",
    "check_map",
    "is_zarr_path",
    "load_map",
    "open_map",
    "save_path",
]

# 3: a capability map's reached pairs sparse (pair_starts, pair_directions, pair_values); 2: as a dense float16
# pair_manipulability (still read from .npz files). The other kinds are the same in both. Zarr stores are new in 3.
FORMAT_VERSION = 3
READ_VERSIONS = (2, 3)
# The bits of the float16 NaN that marks an unreached cell of a dense pair table (all ones, as the code 0 of an
# unreached pair, minus 1, wraps to: see robokin.workspace.capability).
UNREACHED_BITS = 0xFFFF
# In a Zarr store, the fields that are not arrays (names, sizes, seeds, times) and these small float64 vectors
# are attributes (JSON: a float's shortest repr reads back to the same double); every other array is chunked.
ATTRIBUTE_ARRAYS = ("origin",)
AXES: tuple[str, ...] = ("x", "y", "z")
# Direction cells whose centres lie within this many cell widths √(4π/D) of a pose's direction are near it
# (:meth:`_Grid.near_quality_at`): the cells that meet the cap of half a width about it.
NEAR_CELLS = 1.5
# Lookups x directions per block of near_quality_at: bounds its (b, D) temporaries to ~32 MB each.
NEAR_BLOCK = 2**22
# The dense pair table of a capability map is built whole for lookups up to this size (2 bytes a cell of a
# reached voxel: 256 MB is 450 000 voxels x 288 directions); beyond, lookups build the rows they need.
DENSE_TABLE_BYTES = 2**28
CORNERS = np.stack(np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij"), axis=-1).reshape(-1, 3)  # (8, 3)


def _readonly(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.copy() if value.flags.writeable else value
        value.setflags(write=False)
    return value


class _Saved:
    """Save/load of a frozen dataclass of arrays and scalars to one ``.npz`` file or a ``.zarr`` store."""

    kind: ClassVar[str]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, _readonly(getattr(self, f.name)))

    def save(self, path: str | os.PathLike[str], *, chunk_bytes: int | None = None) -> None:
        """Write the map to ``path``; :func:`load_map` or ``type.load`` reads it back, bit for bit.

        Args:
            path: A ``.npz`` file (one compressed archive, read whole), or a ``.zarr`` store (a directory in the
                Zarr v2 format, :mod:`robokin.workspace.store`): the arrays in zlib-compressed chunks written one
                at a time and readable one slice at a time (:func:`open_map`), the metadata (robot, link,
                origin, voxel, shape, directions, seed, ..., ``robokin_kind``, ``robokin_format_version``,
                ``source``) in the group's attributes. For large maps, and for Zarr tools (zarr-python, xarray).
            chunk_bytes: For a ``.zarr`` store, the uncompressed bytes per chunk (default
                :data:`robokin.workspace.store.CHUNK_BYTES`, 4 MiB).

        Raises:
            OptionError: ``path`` is not a file path or does not end in ``.npz`` or ``.zarr``; ``chunk_bytes`` with a
                ``.npz`` path, or not an integer >= 1.
            RobokinError: ``PATH: ...`` when it cannot be written (for a store: also when something other than
                a Zarr store is at ``path``; an existing store is replaced).
        """
        path = save_path(path)
        if is_zarr_path(path):
            attrs: dict[str, Any] = {"robokin_kind": self.kind, "robokin_format_version": FORMAT_VERSION}
            attrs["source"] = f"robokin.workspace.{type(self).__name__}.save"
            arrays = {}
            for f in dataclasses.fields(self):  # type: ignore[arg-type]
                value = getattr(self, f.name)
                if isinstance(value, np.ndarray) and f.name not in ATTRIBUTE_ARRAYS:
                    arrays[f.name] = value
                else:  # JSON: tuples as lists, NumPy values as Python ones
                    attrs[f.name] = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value
            dims = {}  # a grid's axes by name (one length each across the map, as xarray requires)
            if isinstance(self, _Grid):
                for name, value in arrays.items():
                    if value.shape[:3] == tuple(self.shape) and value.ndim in (3, 4):
                        dims[name] = [*AXES, "direction"][: value.ndim]
            chunks = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
            write_group(path, attrs, arrays, chunk_bytes=chunks, dims=dims)
            return
        if chunk_bytes is not None:
            raise OptionError(f"chunk_bytes is for .zarr stores; {path} is saved as one .npz archive")
        data = {f.name: np.asarray(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        try:
            with open(path, "wb") as file:  # (a file object: NumPy adds no ".npz" to the name)
                np.savez_compressed(
                    file, allow_pickle=False, __kind__=np.array(self.kind), __version__=np.array(FORMAT_VERSION), **data
                )
        except OSError as exc:
            raise RobokinError(f"{path}: cannot write the map: {exc.strerror or exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Any:
        """Read a map written by :meth:`save` (``.npz`` or ``.zarr``); MapFileError (``PATH: ...``) if it is not
        one of this kind."""
        loaded = load_map(path)
        if not isinstance(loaded, cls):
            raise MapFileError(f"{os.fspath(path)}: holds a {type(loaded).__name__}, not a {cls.__name__}")
        return loaded

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray]) -> Any:
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            value = data[f.name]
            if value.ndim == 0:
                kwargs[f.name] = value.item()
            elif f.name == "shape":
                kwargs[f.name] = tuple(int(v) for v in value)
            else:
                kwargs[f.name] = value
        return cls(**kwargs)


def _color_limits(values: np.ndarray) -> tuple[float, float]:
    """The colour range of a map's plotted field values ``(k,)`` (non-negative: counts, fractions, measures):
    their least and largest; from 0 to the value when they are all one value (matplotlib's own range, the value
    ± 10 %, drew a fraction of 1 in the middle of a bar from 0.9 to 1.1); 0 to 1 when there are none."""
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if low == high:
        return (0.0, high) if high > 0 else (0.0, 1.0)
    return low, high


class _Grid:
    """Index arithmetic and plots shared by the maps on a voxel grid (``origin``, ``voxel``, ``shape``)."""

    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]
    directions: int
    reachability: np.ndarray
    fields: ClassVar[tuple[str, ...]]

    def _name(self) -> str:
        """``robot (link)``, and ``IK`` for a map solved by IK, for titles."""
        kind = " IK" if isinstance(self, ReachabilityMap) else ""
        return f"{getattr(self, 'robot', '')} ({getattr(self, 'link', '')}){kind}"

    def field_label(self, field: str) -> str:
        """What a per-voxel ``field`` holds, for a colour bar: its meaning and unit."""
        solved = isinstance(self, ReachabilityMap)
        labels = {
            "counts": "samples in the voxel",
            "reachability": f"fraction of the {self.directions} "
            + ("orientations solved by IK" if solved else "approach directions reached"),
            "max_manipulability": "best manipulability (unit-free Jacobian)",
            "max_inverse_condition": "best σ_min/σ_max (unit-free Jacobian)",
        }
        return labels[field]

    def centres(self) -> np.ndarray:
        """World positions of every voxel centre, ``shape + (3,)`` [m]."""
        axes = [self.origin[a] + (np.arange(self.shape[a]) + 0.5) * self.voxel for a in range(3)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)

    def voxel_index(self, p_world: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Flat voxel index and inside-the-grid mask of points ``(..., 3)`` [m].

        Returns:
            ``index`` ``(...)`` int64 (0 where outside) and ``inside`` ``(...)`` bool.
        """
        p = points(p_world)
        # clipped before the cast: a point far outside (1e300 m) stays outside instead of overflowing int64
        ijk = np.clip(np.floor((p - self.origin) / self.voxel), -1, max(self.shape)).astype(np.int64)  # (..., 3)
        inside = np.all((ijk >= 0) & (ijk < np.array(self.shape)), axis=-1)
        ijk = np.where(inside[..., None], ijk, 0)
        return np.asarray(np.ravel_multi_index(np.moveaxis(ijk, -1, 0), self.shape)), inside

    def pair_rows(self) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """:meth:`pair_table` as its ``voxels`` ``(R,)`` and a function of row indices ``(b,)`` giving those rows of
        ``quality`` ``(b, D)`` (a map may build them without its whole table)."""
        voxels, quality = self.pair_table()
        return voxels, quality.__getitem__

    def pair_table(self) -> tuple[np.ndarray, np.ndarray]:
        """The reached (voxel, direction) cells: ``voxels`` ``(R,)`` int64 sorted flat indices of the voxels
        with a reached cell, and ``quality`` ``(R, D)``: each cell's manipulability, NaN where not reached."""
        raise NotImplementedError  # pragma: no cover (every map defines it)

    def near_quality_at(self, T_world_tool: npt.ArrayLike) -> np.ndarray:
        """The best quality of the reached cells near each pose ``(..., 4, 4)``; NaN where none is near.

        A sampled map under-covers: a target counts only if a sample landed in its own (voxel, direction) cell,
        and with a few samples per cell the answer flickers from one cell to the next (a speckled base-placement
        score). Here the neighbourhood is centred on the pose itself, not on its cell: in position, the 8 voxels
        whose centres are the corners of the box of voxel centres holding the pose's origin (the stencil of
        trilinear interpolation); their union holds every point within half a voxel of the origin along each
        axis, and none farther than 1.5 voxels. In direction (the tool z axis ``u``), the pose's own cell and
        every cell whose centre is within :data:`NEAR_CELLS` cell widths ``w = √(4π/D)`` of ``u``, which holds
        every direction within ``w/2`` of ``u`` (checked by the tests for the partitions in use). So a pose is
        near a reached cell when a reached pose lies within about half a voxel and half a cell of it: the
        tolerance of the lookup, which base placement then removes by IK (:func:`~.placement.base_placement`).

        Args:
            T_world_tool: ``(..., 4, 4)`` poses.

        Returns:
            ``(...)`` the largest manipulability over the near reached cells, NaN where there is none.
        """
        T = validation.transforms(T_world_tool, "T_world_tool")
        batch = T.shape[:-2]
        T2 = T.reshape(-1, 4, 4)
        voxels, rows_of = self.pair_rows()
        D = self.directions
        out = np.full(T2.shape[0], np.nan)
        if voxels.size == 0:
            return out.reshape(batch)
        partition = sphere_partition(D)
        cos_near = np.cos(NEAR_CELLS * np.sqrt(4.0 * np.pi / D))
        shape = np.array(self.shape)
        block = max(1, NEAR_BLOCK // D)
        for s in range(0, T2.shape[0], block):
            p, u = T2[s : s + block, :3, 3], T2[s : s + block, :3, 2]  # (b, 3) each
            near = u @ partition.centres.T >= cos_near  # (b, D)
            near[np.arange(u.shape[0]), partition.index(u, normalized=True)] = True
            # the lowest corner of the box of voxel centres holding p (clipped: far points stay outside)
            low = np.clip(np.floor((p - self.origin) / self.voxel - 0.5), -2, shape.max() + 1).astype(np.int64)
            best = np.full(u.shape[0], np.nan)
            for corner in CORNERS:  # 8 passes over (b, D): a Python loop over the stencil only
                ijk = low + corner
                inside = np.all((ijk >= 0) & (ijk < shape), axis=-1)
                index = np.ravel_multi_index(np.moveaxis(np.where(inside[:, None], ijk, 0), -1, 0), self.shape)
                row = np.minimum(np.searchsorted(voxels, index), voxels.size - 1)
                found = inside & (voxels[row] == index)
                values = np.where(near & found[:, None], rows_of(row), np.nan)  # (b, D)
                best = np.fmax(best, np.fmax.reduce(values, axis=1))  # fmax: NaN only where all are NaN
            out[s : s + block] = best
        return out.reshape(batch)

    def value_at(self, field: str, p_world: npt.ArrayLike) -> np.ndarray:
        """A per-voxel field (e.g. ``"reachability"``) at points ``(..., 3)`` [m]; 0 outside the grid."""
        validation.choice(field, "field", self.fields)
        index, inside = self.voxel_index(p_world)
        values = getattr(self, field).reshape(-1)[index]
        return np.where(inside, values, 0)

    def reachability_at(self, p_world: npt.ArrayLike) -> np.ndarray:
        """Fraction of approach directions reached in the voxel of each point ``(..., 3)`` [m]; 0 outside."""
        return self.value_at("reachability", p_world)

    def plot_slice(
        self,
        field: str = "reachability",
        axis: Literal["x", "y", "z"] = "z",
        at: float | None = None,
        ax: Axes | None = None,
    ) -> Axes:
        """A slice through the grid as a heat map.

        Args:
            field: A per-voxel field (see ``fields``).
            axis: The axis normal to the slice.
            at: World coordinate of the slice along ``axis`` [m]; default the layer with the most reached
                voxels.
            ax: Axes to draw in (default: a new figure).

        Returns:
            The axes.

        Raises:
            OptionError: ``field``, ``axis``, ``at`` or ``ax`` is not one of the above.
        """
        import matplotlib.pyplot as plt

        validation.choice(field, "field", self.fields)
        validation.choice(axis, "axis", AXES)
        a = AXES.index(axis)
        values = np.asarray(getattr(self, field), dtype=float)
        if at is None:
            reached = np.moveaxis(self.reachability > 0, a, 0).reshape(self.shape[a], -1).sum(axis=1)
            layer = int(np.argmax(reached))
        else:
            if isinstance(at, (bool, np.bool_, str, bytes)):  # (float() would read True as 1 m, "0.5" as 0.5 m)
                raise OptionError(f"at must be a coordinate [m] or None, got {type(at).__name__} {at!r}")
            try:
                at_m = float(at)
            except (TypeError, ValueError):
                raise OptionError(f"at must be a coordinate [m] or None, got {at!r}") from None
            if not math.isfinite(at_m):
                raise OptionError(f"at must be a finite coordinate [m], got {at!r}")
            layer = int(np.clip(np.floor((at_m - self.origin[a]) / self.voxel), -1, self.shape[a]))
            if not 0 <= layer < self.shape[a]:
                lo, hi = self.origin[a], self.origin[a] + self.shape[a] * self.voxel
                raise OptionError(f"at={at} m is outside the grid along {axis}: [{lo:.3f}, {hi:.3f}) m")
        image = np.take(values, layer, axis=a)  # the two other axes, in order
        u, v = [b for b in range(3) if b != a]
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        else:
            validation.axes(ax)
        extent = (
            self.origin[u],
            self.origin[u] + self.shape[u] * self.voxel,
            self.origin[v],
            self.origin[v] + self.shape[v] * self.voxel,
        )
        shown = np.ma.masked_where(self.reachability.take(layer, axis=a) <= 0, image)
        low, high = _color_limits(shown.compressed())
        im = ax.imshow(
            shown.T, origin="lower", extent=extent, cmap="viridis", interpolation="nearest", vmin=low, vmax=high
        )
        ax.figure.colorbar(im, ax=ax, label=self.field_label(field))
        ax.set_xlabel(f"{AXES[u]} [m]")
        ax.set_ylabel(f"{AXES[v]} [m]")
        centre = self.origin[a] + (layer + 0.5) * self.voxel
        ax.set_title(f"{self._name()}: {field}\nslice {axis} = {centre:.3f} m")
        ax.set_aspect("equal")
        return ax

    def plot_scatter(
        self, field: str = "reachability", ax: Axes | None = None, max_points: int = 20000, cutaway: bool = True
    ) -> Axes:
        """A 3-D scatter of the reached voxel centres coloured by ``field`` (at most ``max_points``, a seeded
        random subset beyond that).

        Args:
            field: A per-voxel field (see ``fields``).
            ax: 3-D axes to draw in (default: a new figure).
            max_points: The most voxels drawn, >= 1.
            cutaway: Leave out the quarter of the grid facing the default view (``x`` above and ``y`` below the
                grid's centre, the reach centre), so that the inside shows on the two cut faces; otherwise the
                outer shell, where a map is thinnest, hides everything within it.

        Returns:
            The 3-D axes.
        """
        import matplotlib.pyplot as plt

        validation.choice(field, "field", self.fields)
        max_points = positive_int(max_points, "max_points")
        cutaway = validation.flag(cutaway, "cutaway")
        values = np.asarray(getattr(self, field), dtype=float).reshape(-1)
        reached = np.flatnonzero(self.reachability.reshape(-1) > 0)
        limits = _color_limits(values[reached])  # before the cut
        p = self.centres().reshape(-1, 3)
        if cutaway:
            middle = self.origin + 0.5 * np.array(self.shape) * self.voxel
            reached = reached[~((p[reached, 0] > middle[0]) & (p[reached, 1] < middle[1]))]
        if reached.size > max_points:  # a seeded random subset: every k-th in flat order drew stripes
            keep = np.random.default_rng(0).choice(reached.size, max_points, replace=False)
            reached = reached[np.sort(keep)]
        if ax is None:
            fig = plt.figure(figsize=(6, 5))
            ax = fig.add_subplot(projection="3d")
        else:
            validation.axes(ax, three_d=True)
        sc = ax.scatter(
            *p[reached].T, c=values[reached], s=4, cmap="viridis", depthshade=False, vmin=limits[0], vmax=limits[1]
        )
        ax.figure.colorbar(sc, ax=ax, label=self.field_label(field), shrink=0.7, pad=0.12)  # clear of the z label
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_zlabel("z [m]")
        cut = ", a quarter cut away" if cutaway else ""
        ax.set_title(f"{self._name()}: {field}\n({reached.size} voxels shown{cut})")
        ax.set_aspect("equal")
        return ax


@dataclass(frozen=True, eq=False)
class CapabilityMap(_Saved, _Grid):
    """Where and how well the tool reaches, from sampling joint space (:func:`capability_map`).

    Attributes:
        robot: The robot's name.
        link: The frame mapped (the "tool" of the docs below).
        origin: ``(3,)`` world position of the grid's lowest corner [m].
        voxel: Voxel edge [m].
        shape: ``(nx, ny, nz)``.
        directions: Number D of approach-direction cells (equal-area sphere partition); the approach
            direction of a pose is its tool z axis in the world.
        samples: Joint-space samples drawn.
        seed: Their seed.
        counts: ``shape`` int64, samples whose tool origin fell in the voxel (0: not reached).
        reachability: ``shape``, the fraction of the D directions reached in the voxel (Zacharias'
            reachability index), in [0, 1].
        max_manipulability: ``shape``, the largest manipulability (product of the singular values) of the
            unit-free task Jacobian ``[v/L; ω] J`` (:func:`robokin.singularity.scaled_jacobian`) over
            the voxel's samples; 0 where not reached.
        max_inverse_condition: ``shape``, the largest ``σ_min/σ_max`` of that Jacobian, rounded to 11
            significant bits (to nearest, as float16 but with float64's range: relative error <= 2⁻¹¹ ≈
            4.9e-4 at every magnitude); 0 where not reached. Precisely: the largest of the voxel's samples'
            values as LAPACK's ``eigvalsh`` computes them (``√(λ_min/λ_max)`` of ``J_s J_sᵀ``), rounded. A
            sample's rounded value is found from certified bounds, and by ``eigvalsh`` only where they
            straddle a rounding boundary, so it never depends on the other samples or their order.
        pair_voxels: ``(R,)`` int64, sorted: the flat index of every reached voxel (``counts > 0``).
        pair_starts: ``(R + 1,)`` int64, nondecreasing from 0 to P: the reached directions of voxel
            ``pair_voxels[r]`` are ``pair_directions[pair_starts[r]:pair_starts[r + 1]]`` (compressed
            sparse rows).
        pair_directions: ``(P,)`` uint16, the direction cell of each of the P reached (voxel, direction)
            pairs, ascending within each voxel.
        pair_values: ``(P,)`` float16, each pair's best manipulability (rounded to float16: 11 significant
            bits, relative error <= 2⁻¹¹ above 6.1e-5, absolute error <= 3e-8 below).

    The pairs are kept sparse, 4 bytes each (and 16 per reached voxel), since most maps reach a small
    fraction of their (voxel, direction) cells (10⁶ Panda samples at 2 cm × 288: 1.3 %); the dense table
    :attr:`pair_manipulability` (2 bytes per cell of a reached voxel) is built from them on first use.
    """

    kind: ClassVar[str] = "capability"
    fields: ClassVar[tuple[str, ...]] = ("counts", "reachability", "max_manipulability", "max_inverse_condition")

    robot: str
    link: str
    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]
    directions: int
    samples: int
    seed: int
    counts: np.ndarray
    reachability: np.ndarray
    max_manipulability: np.ndarray
    max_inverse_condition: np.ndarray
    pair_voxels: np.ndarray
    pair_starts: np.ndarray
    pair_directions: np.ndarray
    pair_values: np.ndarray

    def __post_init__(self) -> None:
        super().__post_init__()
        R, P = self.pair_voxels.shape[0], self.pair_directions.shape[0]
        starts = self.pair_starts
        if not (
            self.pair_voxels.ndim == 1
            and starts.shape == (R + 1,)
            and self.pair_directions.shape == (P,)
            and self.pair_values.shape == (P,)
            and starts[0] == 0
            and starts[-1] == P
            and np.all(starts[1:] >= starts[:-1])
        ):
            raise OptionError(
                f"the pairs of a capability map must be pair_voxels (R,), pair_starts (R + 1,) from 0 to P and "
                f"nondecreasing, pair_directions and pair_values (P,); got shapes {self.pair_voxels.shape}, "
                f"{starts.shape}, {self.pair_directions.shape}, {self.pair_values.shape}"
            )
        if P and int(self.pair_directions.max()) >= self.directions:
            raise OptionError(
                f"pair_directions must be direction cells from 0 to {self.directions - 1}, got "
                f"{int(self.pair_directions.max())}"
            )

    @functools.cached_property
    def pair_manipulability(self) -> np.ndarray:
        """``(R, D)`` float16, read-only: per reached voxel (``pair_voxels``) and direction cell the best
        manipulability reached (``pair_values``), NaN where the direction was not reached. Built from the
        sparse pairs on first use (2 bytes per cell), then kept."""
        return pair_table_from_sparse(self.pair_starts, self.pair_directions, self.pair_values, self.directions)

    def pair_table(self) -> tuple[np.ndarray, np.ndarray]:
        """``pair_voxels`` ``(R,)`` and ``pair_manipulability`` ``(R, D)`` (float16; NaN where not reached)."""
        return self.pair_voxels, self.pair_manipulability

    def pair_rows(self) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """``pair_voxels`` ``(R,)`` and :meth:`quality_rows`."""
        return self.pair_voxels, self.quality_rows

    def quality_rows(self, rows: np.ndarray) -> np.ndarray:
        """Rows ``rows`` ``(b,)`` of :attr:`pair_manipulability`, ``(b, D)`` float16 (NaN where not reached):
        from the dense table where it is built or small (at most :data:`DENSE_TABLE_BYTES`), else from the sparse
        pairs of those rows alone, so that a map with many directions (65536 cells: 128 kB a voxel) is queried
        in memory bounded by the lookup, not by the map."""
        rows = np.asarray(rows, dtype=np.intp)
        if "pair_manipulability" in self.__dict__ or 2 * self.pair_voxels.size * self.directions <= DENSE_TABLE_BYTES:
            return self.pair_manipulability[rows]
        return pair_table_from_sparse(self.pair_starts, self.pair_directions, self.pair_values, self.directions, rows)

    @functools.cached_property
    def _sorted_keys(self) -> np.ndarray:
        return self.pair_keys()

    @property
    def pair_count(self) -> int:
        """The number of reached (voxel, direction) pairs."""
        return int(self.pair_directions.size)

    def pair_keys(self) -> np.ndarray:
        """``(P,)`` int64, sorted: ``flat_voxel · D + direction`` of every reached (voxel, direction) pair."""
        voxels = np.repeat(self.pair_voxels, np.diff(self.pair_starts))
        return voxels * self.directions + self.pair_directions

    def _pair_values(self, T_world_tool: npt.ArrayLike) -> np.ndarray:
        """The float16 best manipulability of each pose's (voxel, direction) pair as float, NaN if unreached."""
        T = validation.transforms(T_world_tool, "T_world_tool")
        index, inside = self.voxel_index(T[..., :3, 3])
        direction = sphere_partition(self.directions).index(T[..., :3, 2], normalized=True)
        if self.pair_voxels.size == 0:
            return np.full(index.shape, np.nan)
        key, keys = index * self.directions + direction, self._sorted_keys  # the pair's key, looked up sparse
        at = np.minimum(np.searchsorted(keys, key), keys.size - 1)
        found = inside & (keys[at] == key)
        return np.where(found, self.pair_values[at].astype(float), np.nan)

    def pose_cell(self, T_world_tool: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The (voxel, direction) pair key of each pose and whether its position is inside the grid.

        Args:
            T_world_tool: ``(..., 4, 4)`` poses.

        Returns:
            ``key`` ``(...)`` int64 (``flat_voxel · D + direction``) and ``inside`` ``(...)`` bool.
        """
        T = validation.transforms(T_world_tool, "T_world_tool")
        index, inside = self.voxel_index(T[..., :3, 3])
        direction = sphere_partition(self.directions).index(T[..., :3, 2], normalized=True)
        return index * self.directions + direction, inside

    def quality_at(self, T_world_tool: npt.ArrayLike) -> np.ndarray:
        """The best manipulability sampled in the (voxel, direction) cell of each pose ``(..., 4, 4)``;
        0 where the cell was never reached (or the position is outside the grid)."""
        values = self._pair_values(T_world_tool)
        return np.where(np.isnan(values), 0.0, values)

    def reached_at(self, T_world_tool: npt.ArrayLike) -> np.ndarray:
        """Whether the (voxel, direction) cell of each pose ``(..., 4, 4)`` was reached by a sample."""
        return ~np.isnan(self._pair_values(T_world_tool))


@dataclass(frozen=True, eq=False)
class ReachabilityMap(_Saved, _Grid):
    """Which (voxel centre, orientation) poses IK solves (:func:`reachability_map`).

    The orientations of voxel ``v`` are one per direction cell ``d``: the rotation whose z axis is the
    cell's centre direction (:func:`robokin.workspace.sampling.rotations_with_z`, roll about it fixed).

    Attributes:
        robot, origin, voxel, shape, directions, seed: As for :class:`CapabilityMap`.
        attempted: ``shape + (D,)`` bool, the poses given to IK (the others were pruned as out of reach).
        success: ``shape + (D,)`` bool, IK converged (within its tolerances).
        manipulability: ``shape + (D,)``, manipulability of the unit-free task Jacobian at the IK answer:
            the best over the verified closed-form solutions where the closed form solved the pose, else at
            the DLS's answer (see :func:`reachability_map`); 0 where IK failed.
        reachability: ``shape``, the fraction of the D orientations solved in the voxel.
        seconds: Wall time of the IK [s].

    A per-voxel field for queries and plots besides ``reachability``: ``max_manipulability`` (``shape``, the
    largest ``manipulability`` over the voxel's orientations).
    """

    kind: ClassVar[str] = "reachability"
    fields: ClassVar[tuple[str, ...]] = ("reachability", "max_manipulability")

    robot: str
    link: str
    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]
    directions: int
    seed: int
    attempted: np.ndarray
    success: np.ndarray
    manipulability: np.ndarray
    reachability: np.ndarray
    seconds: float

    @property
    def max_manipulability(self) -> np.ndarray:
        """``shape``: the largest manipulability over each voxel's orientations (0 where none was solved)."""
        return self.manipulability.max(axis=-1)

    def pair_table(self) -> tuple[np.ndarray, np.ndarray]:
        """The voxels with a solved pose ``(R,)`` and their poses' ``manipulability`` ``(R, D)``, NaN where IK
        failed or the pose was not attempted."""
        success = self.success.reshape(-1, self.directions)
        voxels = np.flatnonzero(success.any(axis=-1))
        return voxels, np.where(success[voxels], self.manipulability.reshape(-1, self.directions)[voxels], np.nan)

    def poses(self) -> np.ndarray:
        """Every pose of the grid, ``shape + (D, 4, 4)`` ``T_world_tool``."""
        from .sampling import rotations_with_z

        R = rotations_with_z(sphere_partition(self.directions).centres)  # (D, 3, 3)
        T = np.zeros(tuple(self.shape) + (self.directions, 4, 4))
        T[..., :3, :3] = R
        T[..., :3, 3] = self.centres()[..., None, :]
        T[..., 3, 3] = 1.0
        return T

    def success_at(self, T_world_tool: npt.ArrayLike) -> np.ndarray:
        """Whether IK solved the grid pose of the (voxel, direction) cell of each pose ``(..., 4, 4)``."""
        T = validation.transforms(T_world_tool, "T_world_tool")
        index, inside = self.voxel_index(T[..., :3, 3])
        direction = sphere_partition(self.directions).index(T[..., :3, 2], normalized=True)
        return inside & self.success.reshape(-1, self.directions)[index, direction]


@dataclass(frozen=True, eq=False)
class BasePlacement(_Saved):
    """Candidate base poses scored by the targets they reach (:func:`base_placement`).

    Attributes:
        robot: The robot's name.
        link: The frame placed on the targets.
        positions: ``(nx, ny, 3)`` candidate base positions in the world [m] (a grid in x, y at the base's
            height).
        yaws: ``(Y,)`` candidate rotations of the base about the world z axis [rad].
        reached: ``(nx, ny, Y)`` int64, the map's estimate: targets with a reached cell of the map near them
            (:meth:`CapabilityMap.near_quality_at`).
        score: ``(nx, ny, Y)``, the sum over those targets of the best manipulability of the near cells.
        targets: ``(K, 4, 4)`` ``T_world_target``, poses of ``link``.
        best: ``(top, 4, 4)`` the best ``T_world_base``: most targets reached by IK first, then highest score.
        best_reached: ``(top,)`` int64 targets IK reaches from each (checked by ``robot.fk``).
        best_score: ``(top,)`` their map scores.
        best_success: ``(top, K)`` bool, which targets IK reaches from each.
        best_q: ``(top, K, n)`` the IK answers [rad, m]: joint values of the robot at base ``best[i]``
            (``robot.with_base(best[i])``) that put ``link`` at target k where ``best_success[i, k]``.
        verified: How many candidates were solved by IK (the best by the map's estimate).
        seconds: Wall time of the scoring and the IK [s] (without building the default map).
    """

    kind: ClassVar[str] = "placement"

    robot: str
    link: str
    positions: np.ndarray
    yaws: np.ndarray
    reached: np.ndarray
    score: np.ndarray
    targets: np.ndarray
    best: np.ndarray
    best_reached: np.ndarray
    best_score: np.ndarray
    best_success: np.ndarray
    best_q: np.ndarray
    verified: int
    seconds: float

    def plot(self, ax: Axes | None = None) -> Axes:
        """The map's score over the candidate positions (best yaw at each), the targets and the best base.

        The colour is ``reached + score / (K · max score)`` so that reaching more targets always ranks
        higher, and the score breaks ties; the best base (by IK) is a circle with an arrow along its x axis.

        Returns:
            The axes.
        """
        import matplotlib.patheffects as pe
        import matplotlib.pyplot as plt

        K = self.targets.shape[0]
        top = float(self.score.max()) if self.score.size and self.score.max() > 0 else 1.0
        value = (self.reached + self.score / (K * top) * 0.999).max(axis=-1)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        else:
            validation.axes(ax)
        x, y = self.positions[:, 0, 0], self.positions[0, :, 1]
        step_x = x[1] - x[0] if x.size > 1 else 1.0
        step_y = y[1] - y[0] if y.size > 1 else 1.0
        extent = (x[0] - step_x / 2, x[-1] + step_x / 2, y[0] - step_y / 2, y[-1] + step_y / 2)
        im = ax.imshow(
            value.T, origin="lower", extent=extent, cmap="magma", interpolation="nearest", vmin=0.0, vmax=K + 1.0
        )
        bar = ax.figure.colorbar(im, ax=ax, label="targets reached by the map (+ quality)")
        bar.set_ticks(np.arange(K + 1) if K <= 10 else np.linspace(0, K, 6).round())
        outline = [pe.withStroke(linewidth=3, foreground="k")]
        ax.plot(self.targets[:, 0, 3], self.targets[:, 1, 3], "c*", ms=12, mec="k", label="targets")
        bx, by = self.best[0, 0, 3], self.best[0, 1, 3]
        ax.plot(bx, by, "wo", ms=9, mec="k", label="best base (IK)")
        arrow = 0.08 * max(extent[1] - extent[0], extent[3] - extent[2])  # the best base's x axis
        ax.annotate(
            "",
            xy=(bx + arrow * self.best[0, 0, 0], by + arrow * self.best[0, 1, 0]),
            xytext=(bx, by),
            arrowprops={"arrowstyle": "-|>", "color": "w", "lw": 1.8, "path_effects": outline},
        )
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_title(
            f"{self.robot} ({self.link}): base placement, best yaw per cell\n"
            f"best base: {int(self.best_reached[0])}/{K} targets by IK"
        )
        ax.set_aspect("equal")
        return ax


_KINDS = {cls.kind: cls for cls in (CapabilityMap, ReachabilityMap, BasePlacement)}


def pair_table_from_sparse(
    starts: np.ndarray, directions: np.ndarray, values: np.ndarray, count: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """The dense pair table of sparse pairs (:class:`CapabilityMap`'s ``pair_starts``, ``pair_directions``,
    ``pair_values``): ``(R, count)`` float16, read-only, ``values`` at their (row, direction), NaN (bits
    :data:`UNREACHED_BITS`) elsewhere; with ``rows`` ``(b,)``, only those rows, ``(b, count)``."""
    first = starts[:-1] if rows is None else starts[rows]
    n = np.diff(starts) if rows is None else starts[rows + 1] - first  # pairs per row
    table = np.full((n.size, count), UNREACHED_BITS, np.uint16)
    row = np.repeat(np.arange(n.size), n)
    at = np.arange(row.size) + np.repeat(first - (np.cumsum(n) - n), n)  # each pair's index in the sparse arrays
    table[row, directions[at].astype(np.intp)] = np.asarray(values[at], np.float16).view(np.uint16)
    out = table.view(np.float16)
    out.flags.writeable = False
    return out


def sparse_pairs_from_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sparse pairs of a dense pair table ``(R, D)`` float16 (NaN: not reached): ``starts`` ``(R + 1,)``
    int64, ``directions`` ``(P,)`` uint16 and ``values`` ``(P,)`` float16, row by row (the inverse of
    :func:`pair_table_from_sparse`)."""
    reached = ~np.isnan(table)
    starts = np.zeros(table.shape[0] + 1, np.int64)
    np.cumsum(np.count_nonzero(reached, axis=1), out=starts[1:])
    return starts, np.nonzero(reached)[1].astype(np.uint16), np.asarray(table[reached], np.float16)


def check_map(value: Any, kind: type, name: str, robot: str, link: str) -> Any:
    """``value`` if it is None or a map of type ``kind`` of robot ``robot`` (its name) and frame ``link``;
    an OptionError naming the argument ``name`` and what came otherwise."""
    if value is None:
        return None
    if not isinstance(value, kind):
        raise OptionError(f"{name} must be a {kind.__name__} or None, got {type(value).__name__}")
    value = cast(Any, value)  # a map (isinstance above narrows to the bare type)
    if value.robot != robot:
        raise OptionError(f"{name} is a map of {value.robot!r}, not of {robot!r}")
    if value.link != link:
        raise OptionError(f"{name} is a map of frame {value.link!r}, not of {link!r}")
    return value


def is_zarr_path(path: str | os.PathLike[str]) -> bool:
    """Whether maps at ``path`` are Zarr stores: its name ends in ``.zarr`` (any case; a trailing ``/`` too)."""
    return os.fspath(path).rstrip("/" + os.sep).lower().endswith(".zarr")


def _map_class(path: str, kind: Any, version: Any, names: set[str], versions: tuple[int, ...]) -> Any:
    """The map class of a file's ``kind``, after checking its format version (one of ``versions``) and that it
    holds every field of that version."""
    if not isinstance(kind, str) or kind not in _KINDS:
        raise MapFileError(f"{path}: not a robokin map file (kind {kind!r}; expected one of {sorted(_KINDS)})")
    if version not in versions:
        raise MapFileError(f"{path}: map format version {version}, this robokin reads {versions}")
    cls = _KINDS[kind]
    expected = [f.name for f in dataclasses.fields(cls)]
    if kind == "capability" and version == 2:  # the sparse pairs were one dense table
        sparse = ("pair_starts", "pair_directions", "pair_values")
        expected = [name for name in expected if name not in sparse] + ["pair_manipulability"]
    missing = [name for name in expected if name not in names]
    if missing:
        raise MapFileError(f"{path}: the {kind} map lacks {', '.join(missing)}")
    return cls


def open_map(path: str | os.PathLike[str]) -> ZarrGroup:
    """Open a map's ``.zarr`` store without reading its arrays, to read parts of a map larger than memory.

    ``group.attrs`` holds the metadata (the map's non-array fields, ``origin``, ``robokin_kind``,
    ``robokin_format_version``, ``source``); ``group["max_manipulability"][i]`` (ints, slices, ``...``; the
    slice at the i-th x of the grid) reads and decompresses only the chunks holding it (chunks are whole
    rows of the first axis). :func:`load_map` reads the whole map.

    Raises:
        MapFileError: ``PATH: ...`` when the store is missing, not a Zarr v2 group, not a robokin map, of
            another format version, or lacks a field.
        OptionError: ``path`` is not a file path.
    """
    group = open_group(map_path(path))
    attrs = group.attrs
    zattrs = os.path.join(group.path, ".zattrs")
    kind, version = attrs.get("robokin_kind"), attrs.get("robokin_format_version")
    _map_class(zattrs, kind, version, set(attrs) | set(group.arrays), (FORMAT_VERSION,))
    return group


def _load_zarr(path: str | os.PathLike[str]) -> CapabilityMap | ReachabilityMap | BasePlacement:
    group = open_map(path)
    kind = group.attrs["robokin_kind"]
    data: dict[str, np.ndarray] = {}
    # the lengths the metadata and the arrays read so far fix: an array declaring another shape is refused
    # before it is read (a damaged .zarray could declare terabytes)
    lengths: dict[str, int] = {}
    shape, directions = group.attrs.get("shape"), group.attrs.get("directions")
    if isinstance(shape, list) and len(shape) == 3 and all(type(v) is int for v in shape):
        lengths.update(zip(_XYZ, shape))
    if type(directions) is int:
        lengths["D"] = directions
    for f in dataclasses.fields(_KINDS[kind]):
        if f.name in group.arrays:
            array = group[f.name]
            expected = _FIELDS[kind][f.name][1]
            if f.name == "pair_starts" and "R" in lengths:
                expected = (lengths["R"] + 1,)
            fixed = [lengths.get(n, n) if isinstance(n, str) else n for n in expected]
            if len(fixed) != len(array.shape) or any(
                isinstance(want, int) and want != got for want, got in zip(fixed, array.shape)
            ):
                raise MapFileError(
                    f"{os.path.join(array.path, '.zarray')}: not a valid {kind} map: {f.name} declares shape "
                    f"{array.shape}, expected {tuple(fixed)} (the grid's, directions' and pairs' lengths)"
                )
            try:
                data[f.name] = array.read()
            except MemoryError:
                raise MapFileError(
                    f"{array.path}: {f.name} of shape {array.shape} does not fit in memory; read it a slice at a "
                    "time (robokin.workspace.open_map)"
                ) from None
            data[f.name].setflags(write=False)  # ours alone: the map keeps it without a copy
            if f.name == "pair_voxels":
                lengths["R"] = data[f.name].shape[0]
            if f.name == "pair_starts" and data[f.name].size and data[f.name].dtype.kind in "iu":
                lengths["P"] = int(data[f.name][-1])
        else:
            value = group.attrs[f.name]
            try:
                data[f.name] = np.asarray(value, dtype=np.float64 if f.name in ATTRIBUTE_ARRAYS else None)
            except (TypeError, ValueError):
                zattrs = os.path.join(group.path, ".zattrs")
                raise MapFileError(f"{zattrs}: {f.name} is {value!r}, not a list of numbers") from None
    return _from_arrays(os.path.join(group.path, ".zattrs"), kind, data)


def load_map(path: str | os.PathLike[str]) -> CapabilityMap | ReachabilityMap | BasePlacement:
    """Read any map written by ``save``: a ``.npz`` file, or a ``.zarr`` store (any directory is read as one).

    Raises:
        MapFileError: ``PATH: ...`` when the file or store is missing, corrupt (a truncated file or chunk, bad
            JSON), not a robokin map, of another format version, or its grid is not one (a non-finite origin, a
            voxel that is not a positive length, arrays not of its shape); in a store, the path is that of the
            file at fault.
        OptionError: ``path`` is not a file path.
    """
    path = os.fspath(map_path(path))
    if is_zarr_path(path) or os.path.isdir(path):
        return _load_zarr(path)
    try:
        with open(path, "rb") as file:
            head = file.read(4)
        if head[:2] != b"PK":  # np.load would read a .npy array, or try a pickle, instead of an archive
            raise MapFileError(f"{path}: not a robokin map file (.npz): not a zip archive (starts with {head!r})")
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except MapFileError:
        raise
    except MemoryError:
        raise MapFileError(
            f"{path}: the map does not fit in memory (save it as .zarr to read it a slice at a time)"
        ) from None
    except OSError as exc:
        raise MapFileError(f"{path}: cannot read the map: {exc.strerror or exc}") from None
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:  # (a truncated or damaged file)
        raise MapFileError(f"{path}: not a robokin map file (.npz): {exc}") from None
    kind = str(data.pop("__kind__", ""))
    version = data.pop("__version__", np.array(-1))
    version = int(version) if version.shape == () and version.dtype.kind in "iu" else -1
    _map_class(path, kind, version, set(data), READ_VERSIONS)
    if kind == "capability" and version == 2:  # its pairs as a dense table
        starts, directions, values = sparse_pairs_from_table(data.pop("pair_manipulability"))
        data.update(pair_starts=starts, pair_directions=directions, pair_values=values)
    return _from_arrays(path, kind, data)


def _from_arrays(path: str, kind: str, data: dict[str, np.ndarray]) -> Any:
    """The map of ``kind`` from a file's fields, after checking its grid; MapFileError ``PATH: ...`` if they do
    not make one."""
    cls = _KINDS[kind]
    if issubclass(cls, _Grid):
        _check_grid(path, kind, data)
    _check_fields(path, kind, data)
    try:
        return cls._from_arrays(data)
    except OptionError as exc:
        raise MapFileError(f"{path}: {exc}") from None


def map_path(path: Any) -> str:
    """``path`` as a str if it is a file path (a str or an ``os.PathLike``; a leading ``~`` expanded);
    OptionError otherwise."""
    return validation.file_path(path)


def save_path(path: Any) -> str:
    """``path`` as a str if a map can be saved there: a file path ending in ``.npz`` or ``.zarr`` (any case);
    OptionError otherwise (NumPy would add ``.npz`` to any other name, so the map would not be where it was
    asked to be, nor where a later ``load_map(path)`` looks)."""
    name = os.fspath(map_path(path))
    if not (is_zarr_path(name) or name.lower().endswith(".npz")):
        raise OptionError(f"path must end in .npz (one archive) or .zarr (a chunked store) to save a map, got {name!r}")
    return name


# The arrays of a map on a grid that are indexed by its voxels first: (*shape, ...).
_GRID_ARRAYS = (
    "counts",
    "reachability",
    "max_manipulability",
    "max_inverse_condition",
    "attempted",
    "success",
    "manipulability",
)


def _check_grid(path: Any, kind: str, data: dict[str, np.ndarray]) -> None:
    """A map file's grid (``origin`` (3,) finite, ``voxel`` > 0 finite, ``shape`` three integers >= 1, each
    field's leading shape that one); MapFileError ``PATH: ...`` naming what is wrong otherwise."""
    origin, voxel, shape = data["origin"], data["voxel"], data["shape"]
    problem = None
    if origin.shape != (3,) or origin.dtype.kind != "f" or not np.isfinite(origin).all():
        problem = f"origin must be 3 finite numbers [m], got {origin!r}"
    elif voxel.shape != () or voxel.dtype.kind != "f" or not (np.isfinite(voxel) and voxel > 0):
        problem = f"voxel must be a positive finite length [m], got {voxel!r}"
    elif shape.shape != (3,) or shape.dtype.kind not in "iu" or (shape < 1).any():
        problem = f"shape must be 3 integers >= 1, got {shape!r}"
    else:
        for name in _GRID_ARRAYS:
            if name in data and data[name].shape[:3] != tuple(int(s) for s in shape):
                problem = f"{name} has shape {data[name].shape}, not the grid's {tuple(int(s) for s in shape)}"
                break
    if problem is not None:
        raise MapFileError(f"{path}: not a valid {kind} map: {problem}")


_XYZ = ("X", "Y", "Z")
_XYZD = ("X", "Y", "Z", "D")
# Each field of a map file: dtype kinds (NumPy's dtype.kind), shape (ints, or names of lengths that must agree
# across the fields: X, Y, Z the grid's, D the directions), the least and the largest value (None: unbounded), and
# for floats whether they must be finite (else only not NaN). What a map built by robokin always satisfies.
_FIELDS: dict[str, dict[str, tuple[str, tuple[Any, ...], float | None, float | None, bool]]] = {
    "capability": {
        "robot": ("U", (), None, None, False),
        "link": ("U", (), None, None, False),
        "directions": ("iu", (), 1, MAX_DIRECTIONS, False),
        "samples": ("iu", (), 1, None, False),
        "seed": ("iu", (), 0, MAX_SEED, False),
        "counts": ("iu", _XYZ, 0, None, False),
        "reachability": ("f", _XYZ, 0.0, 1.0, True),
        "max_manipulability": ("f", _XYZ, 0.0, None, True),
        "max_inverse_condition": ("f", _XYZ, 0.0, None, True),
        "pair_voxels": ("iu", ("R",), 0, None, False),
        "pair_starts": ("iu", ("R+1",), 0, None, False),
        "pair_directions": ("iu", ("P",), 0, None, False),
        "pair_values": ("f", ("P",), 0.0, None, False),  # (+inf: a manipulability above float16's range)
    },
    "reachability": {
        "robot": ("U", (), None, None, False),
        "link": ("U", (), None, None, False),
        "directions": ("iu", (), 1, MAX_DIRECTIONS, False),
        "seed": ("iu", (), 0, MAX_SEED, False),
        "attempted": ("b", _XYZD, None, None, False),
        "success": ("b", _XYZD, None, None, False),
        "manipulability": ("f", _XYZD, 0.0, None, True),
        "reachability": ("f", _XYZ, 0.0, 1.0, True),
        "seconds": ("fiu", (), 0.0, None, True),
    },
    "placement": {
        "robot": ("U", (), None, None, False),
        "link": ("U", (), None, None, False),
        "positions": ("f", ("NX", "NY", 3), None, None, True),
        "yaws": ("f", ("YAWS",), None, None, True),
        "reached": ("iu", ("NX", "NY", "YAWS"), 0, None, False),
        "score": ("f", ("NX", "NY", "YAWS"), 0.0, None, True),
        "targets": ("f", ("K", 4, 4), None, None, True),
        "best": ("f", ("TOP", 4, 4), None, None, True),
        "best_reached": ("iu", ("TOP",), 0, None, False),
        "best_score": ("f", ("TOP",), 0.0, None, True),
        "best_success": ("b", ("TOP", "K"), None, None, False),
        "best_q": ("f", ("TOP", "K", "N"), None, None, True),
        "verified": ("iu", (), 0, None, False),
        "seconds": ("fiu", (), 0.0, None, True),
    },
}


def _check_fields(path: Any, kind: str, data: dict[str, np.ndarray]) -> None:
    """Every field of a map file of the dtype, shape and range a map has (:data:`_FIELDS`), and a capability
    map's pairs indexing its reached voxels and directions; MapFileError ``PATH: ...`` naming the first field
    that is not (a damaged or hand-made file, which would otherwise load and answer queries with NaN, wrong
    values or NumPy's errors)."""
    lengths: dict[str, int] = {}
    if "shape" in data:
        lengths.update(zip(_XYZ, (int(v) for v in data["shape"])))

    def fail(name: str, problem: str) -> None:
        raise MapFileError(f"{path}: not a valid {kind} map: {name} {problem}")

    for name, (kinds, shape, least, most, finite) in _FIELDS[kind].items():
        value = data[name]
        if value.dtype.kind not in kinds:
            fail(name, f"has dtype {value.dtype}, expected {'a string' if kinds == 'U' else 'kind ' + repr(kinds)}")
        if len(shape) != value.ndim:
            fail(name, f"has shape {value.shape}, expected {len(shape)} axes")
        for axis, (want, got) in enumerate(zip(shape, value.shape)):
            if isinstance(want, str):
                want = lengths.setdefault(want, got)
            if got != want:
                fail(name, f"has shape {value.shape}: axis {axis} should be {want} as in the other fields")
        if kinds == "U" or kinds == "b" or value.size == 0:
            continue
        if value.dtype.kind == "f" and np.isnan(value).any():
            fail(name, "holds NaN")
        if finite and not np.isfinite(value).all():
            fail(name, "holds inf")
        if least is not None and value.min() < least:
            fail(name, f"holds {value.min()!r}, below {least}")
        if most is not None and value.max() > most:
            fail(name, f"holds {value.max()!r}, above {most}")
        if name == "directions":
            lengths["D"] = int(value)
    if kind == "capability":
        voxels, reached = data["pair_voxels"], np.flatnonzero(data["counts"])
        if voxels.shape != reached.shape or not np.array_equal(voxels, reached):
            fail("pair_voxels", "are not the flat indices of the reached voxels (counts > 0), ascending")
    if kind == "reachability" and (data["success"] & ~data["attempted"]).any():
        fail("success", "holds poses that were not attempted")
