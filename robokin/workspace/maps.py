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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import MapFileError, OptionError, RobokinError
from .sampling import points, positive_int, sphere_partition
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
            OptionError: ``path`` is not a file path, or its name ends neither in ``.npz`` nor in ``.zarr`` (see
                :func:`save_path`); ``chunk_bytes`` with a ``.npz`` path, or not an integer >= 1.
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
            np.savez_compressed(
                path, allow_pickle=True, __kind__=np.array(self.kind), __version__=np.array(FORMAT_VERSION), **data
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


class _Grid:
    """Index arithmetic and plots shared by the maps on a voxel grid (``origin``, ``voxel``, ``shape``)."""

    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]
    reachability: np.ndarray
    fields: ClassVar[tuple[str, ...]]

    def _name(self) -> str:
        """``robot (link)``, and ``IK`` for a map solved by IK, for titles."""
        kind = " IK" if isinstance(self, ReachabilityMap) else ""
        return f"{getattr(self, 'robot', '')} ({getattr(self, 'link', '')}){kind}"

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
        voxels, quality = self.pair_table()
        D = quality.shape[1]
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
                values = np.where(near & found[:, None], quality[row], np.nan)  # (b, D)
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
        im = ax.imshow(shown.T, origin="lower", extent=extent, cmap="viridis", interpolation="nearest")
        ax.figure.colorbar(im, ax=ax, label=field)
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
        values = np.asarray(getattr(self, field), dtype=float).reshape(-1)
        reached = np.flatnonzero(self.reachability.reshape(-1) > 0)
        limits = (values[reached].min(), values[reached].max()) if reached.size else (0.0, 1.0)  # before the cut
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
        ax.figure.colorbar(sc, ax=ax, label=field, shrink=0.7, pad=0.12)  # clear of the z label
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
        row = np.minimum(np.searchsorted(self.pair_voxels, index), self.pair_voxels.size - 1)
        found = inside & (self.pair_voxels[row] == index)
        return np.where(found, self.pair_manipulability[row, direction].astype(float), np.nan)

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


def pair_table_from_sparse(starts: np.ndarray, directions: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The dense pair table of sparse pairs (:class:`CapabilityMap`'s ``pair_starts``, ``pair_directions``,
    ``pair_values``): ``(R, count)`` float16, read-only, ``values`` at their (row, direction), NaN (bits
    :data:`UNREACHED_BITS`) elsewhere."""
    rows = starts.shape[0] - 1
    table = np.full((rows, count), UNREACHED_BITS, np.uint16)
    row = np.repeat(np.arange(rows), np.diff(starts))
    table[row, directions.astype(np.intp)] = np.asarray(values, np.float16).view(np.uint16)
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
    data: dict[str, np.ndarray] = {}
    for f in dataclasses.fields(_KINDS[group.attrs["robokin_kind"]]):
        if f.name in group.arrays:
            data[f.name] = group[f.name].read()
            data[f.name].setflags(write=False)  # ours alone: the map keeps it without a copy
        else:
            value = group.attrs[f.name]
            try:
                data[f.name] = np.asarray(value, dtype=np.float64 if f.name in ATTRIBUTE_ARRAYS else None)
            except (TypeError, ValueError):
                zattrs = os.path.join(group.path, ".zattrs")
                raise MapFileError(f"{zattrs}: {f.name} is {value!r}, not a list of numbers") from None
    kind = group.attrs["robokin_kind"]
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
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
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
    try:
        return cls._from_arrays(data)
    except OptionError as exc:
        raise MapFileError(f"{path}: {exc}") from None


def map_path(path: Any) -> str | os.PathLike:
    """``path`` if it is a file path (a str or an ``os.PathLike``); OptionError otherwise."""
    validation.file_path(path)
    return cast("str | os.PathLike", path)


def save_path(path: Any) -> str:
    """``path`` as a str if a map can be saved there by name: ending in ``.npz`` or ``.zarr``; OptionError
    otherwise (NumPy would save ``map.txt`` as ``map.txt.npz``, a file that ``load_map("map.txt")`` then misses).
    """
    name = os.fspath(map_path(path))
    if not (is_zarr_path(name) or name.endswith(".npz")):  # np.savez appends ".npz" unless it ends so, exactly
        raise OptionError(f"path must end in .npz (one archive) or .zarr (a Zarr store), got {name!r}")
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
