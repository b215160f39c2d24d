"""Maps as data: capability, reachability and base-placement results; save/load (.npz), queries, plots.

Every map lives on a voxel grid in the world frame: voxel ``(i, j, k)`` spans
``origin + [i, j, k] · voxel`` to ``origin + [i + 1, j + 1, k + 1] · voxel`` [m]; its flat index is
``numpy.ravel_multi_index((i, j, k), shape)``. Approach directions are the cells of an equal-area sphere
partition (:func:`robokin.workspace.sampling.sphere_partition`); the approach direction of a tool pose is
its **z axis** in the world frame, ``T_world_tool[..., :3, 2]``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from .. import validation
from ..errors import OptionError, RobokinError
from .sampling import points, sphere_partition

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["BasePlacement", "CapabilityMap", "ReachabilityMap", "load_map"]

FORMAT_VERSION = 2  # 2: pair_voxels + dense float16 pair_manipulability
AXES: tuple[str, ...] = ("x", "y", "z")


def _readonly(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.copy() if value.flags.writeable else value
        value.setflags(write=False)
    return value


class _Saved:
    """Save/load of a frozen dataclass of arrays and scalars to one ``.npz`` file."""

    kind: ClassVar[str]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, _readonly(getattr(self, f.name)))

    def save(self, path: str) -> None:
        """Write the map to ``path`` (``.npz``, compressed); :func:`load_map` or ``type.load`` reads it back."""
        data = {f.name: np.asarray(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        try:
            np.savez_compressed(
                path, allow_pickle=True, __kind__=np.array(self.kind), __version__=np.array(FORMAT_VERSION), **data
            )
        except OSError as exc:
            raise RobokinError(f"{path}: cannot write the map: {exc.strerror or exc}") from None

    @classmethod
    def load(cls, path: str) -> Any:
        """Read a map written by :meth:`save`; RobokinError (``PATH: ...``) if it is not one of this kind."""
        loaded = load_map(path)
        if not isinstance(loaded, cls):
            raise RobokinError(f"{path}: holds a {type(loaded).__name__}, not a {cls.__name__}")
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
        ijk = np.floor((p - self.origin) / self.voxel).astype(np.int64)  # (..., 3)
        inside = np.all((ijk >= 0) & (ijk < np.array(self.shape)), axis=-1)
        ijk = np.where(inside[..., None], ijk, 0)
        return np.asarray(np.ravel_multi_index(np.moveaxis(ijk, -1, 0), self.shape)), inside

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
            layer = int(np.floor((float(at) - self.origin[a]) / self.voxel))
            if not 0 <= layer < self.shape[a]:
                lo, hi = self.origin[a], self.origin[a] + self.shape[a] * self.voxel
                raise OptionError(f"at={at} m is outside the grid along {axis}: [{lo:.3f}, {hi:.3f}) m")
        image = np.take(values, layer, axis=a)  # the two other axes, in order
        u, v = [b for b in range(3) if b != a]
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
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

    def plot_scatter(self, field: str = "reachability", ax: Axes | None = None, max_points: int = 20000) -> Axes:
        """A 3-D scatter of the reached voxel centres coloured by ``field`` (at most ``max_points``, a seeded
        random subset beyond that).

        Returns:
            The 3-D axes.
        """
        import matplotlib.pyplot as plt

        validation.choice(field, "field", self.fields)
        reached = np.flatnonzero(self.reachability.reshape(-1) > 0)
        if reached.size > max_points:  # a seeded random subset: every k-th in flat order drew stripes
            keep = np.random.default_rng(0).choice(reached.size, max_points, replace=False)
            reached = reached[np.sort(keep)]
        p = self.centres().reshape(-1, 3)[reached]
        values = np.asarray(getattr(self, field), dtype=float).reshape(-1)[reached]
        if ax is None:
            fig = plt.figure(figsize=(6, 5))
            ax = fig.add_subplot(projection="3d")
        sc = ax.scatter(p[:, 0], p[:, 1], p[:, 2], c=values, s=4, cmap="viridis", depthshade=False)
        ax.figure.colorbar(sc, ax=ax, label=field, shrink=0.7, pad=0.12)  # clear of the z label
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_zlabel("z [m]")
        ax.set_title(f"{self._name()}: {field}\n({reached.size} voxels shown)")
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
        pair_manipulability: ``(R, D)`` float16, per reached voxel and direction cell the best
            manipulability reached (rounded to float16: 11 significant bits, relative error <= 2⁻¹¹ above
            6.1e-5, absolute error <= 3e-8 below), NaN where the direction was not reached. Dense per
            reached voxel: 2 bytes per pair, a bounded size however many samples.
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
    pair_manipulability: np.ndarray

    @property
    def pair_count(self) -> int:
        """The number of reached (voxel, direction) pairs."""
        return int(np.count_nonzero(~np.isnan(self.pair_manipulability)))

    def pair_keys(self) -> np.ndarray:
        """``(P,)`` int64, sorted: ``flat_voxel · D + direction`` of every reached (voxel, direction) pair."""
        rows, directions = np.nonzero(~np.isnan(self.pair_manipulability))
        return self.pair_voxels[rows] * self.directions + directions

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
        manipulability: ``shape + (D,)``, manipulability of the unit-free task Jacobian at the IK answer;
            0 where it failed.
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
        reached: ``(nx, ny, Y)`` int64, targets whose (voxel, direction) cell the capability map reached.
        score: ``(nx, ny, Y)``, the sum over targets of the best manipulability of their cells (0 for
            an unreached one).
        targets: ``(K, 4, 4)`` ``T_world_target``, poses of ``link``.
        best: ``(top, 4, 4)`` the best ``T_world_base``, most targets reached first, then highest score.
        best_reached: ``(top,)`` int64 targets reached by each.
        best_score: ``(top,)`` their scores.
        seconds: Wall time of the scoring [s] (without the capability map).
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
    seconds: float

    def plot(self, ax: Axes | None = None) -> Axes:
        """The score over the candidate positions (best yaw at each), the targets and the best base.

        The colour is ``reached + score / (K · max score)`` so that reaching more targets always ranks
        higher, and the score breaks ties.

        Returns:
            The axes.
        """
        import matplotlib.pyplot as plt

        K = self.targets.shape[0]
        top = float(self.score.max()) if self.score.size and self.score.max() > 0 else 1.0
        value = (self.reached + self.score / (K * top + 1e-300) * 0.999).max(axis=-1)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        x, y = self.positions[:, 0, 0], self.positions[0, :, 1]
        step_x = x[1] - x[0] if x.size > 1 else 1.0
        step_y = y[1] - y[0] if y.size > 1 else 1.0
        extent = (x[0] - step_x / 2, x[-1] + step_x / 2, y[0] - step_y / 2, y[-1] + step_y / 2)
        im = ax.imshow(value.T, origin="lower", extent=extent, cmap="magma", interpolation="nearest")
        ax.figure.colorbar(im, ax=ax, label="targets reached (+ quality)")
        ax.plot(self.targets[:, 0, 3], self.targets[:, 1, 3], "c*", ms=12, label="targets")
        ax.plot(self.best[0, 0, 3], self.best[0, 1, 3], "wo", ms=9, mec="k", label="best base")
        arrow = 0.08 * max(extent[1] - extent[0], extent[3] - extent[2])  # the best base's x axis
        ax.annotate(
            "",
            xy=(self.best[0, 0, 3] + arrow * self.best[0, 0, 0], self.best[0, 1, 3] + arrow * self.best[0, 1, 0]),
            xytext=(self.best[0, 0, 3], self.best[0, 1, 3]),
            arrowprops={"arrowstyle": "->", "color": "w", "lw": 1.5},
        )
        ax.legend(loc="upper right", fontsize=8)
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.set_title(
            f"{self.robot} ({self.link}): base placement\n{int(self.best_reached[0])}/{K} targets at best; "
            "best yaw per cell"
        )
        ax.set_aspect("equal")
        return ax


_KINDS = {cls.kind: cls for cls in (CapabilityMap, ReachabilityMap, BasePlacement)}


def load_map(path: str) -> CapabilityMap | ReachabilityMap | BasePlacement:
    """Read any map written by ``save``.

    Raises:
        RobokinError: ``PATH: ...`` when the file is missing or not a robokin map.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except OSError as exc:
        raise RobokinError(f"{path}: cannot read the map: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise RobokinError(f"{path}: not a robokin map file (.npz): {exc}") from None
    kind = str(data.pop("__kind__", ""))
    version = int(data.pop("__version__", -1))
    if kind not in _KINDS:
        raise RobokinError(f"{path}: not a robokin map file (kind {kind!r}; expected one of {sorted(_KINDS)})")
    if version != FORMAT_VERSION:
        raise RobokinError(f"{path}: map format version {version}, this robokin reads {FORMAT_VERSION}")
    cls = _KINDS[kind]
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in data]
    if missing:
        raise RobokinError(f"{path}: the {kind} map lacks {', '.join(missing)}")
    return cls._from_arrays(data)
