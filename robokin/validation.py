"""Argument checks shared by every public function: shapes, dtypes (real floats only), finiteness, options.

Validate once, at the boundary: a public function passes each argument through one of these and hands the
result to kernels that trust it. Every failure is a :class:`~robokin.errors.ShapeError` (arrays) or an
:class:`~robokin.errors.OptionError` (options, indices, seeds, callbacks) whose message names the argument,
what was expected and what came.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .errors import ConventionError, OptionError, ShapeError

if TYPE_CHECKING:  # pragma: no cover
    from .model import Robot

__all__ = [
    "RIGID_TOL",
    "ROW_NAMES",
    "SNAP_TOL",
    "broadcast_batch",
    "choice",
    "file_path",
    "finite_result",
    "index_list",
    "joint_batch",
    "joint_vector",
    "output_array",
    "positive",
    "progress",
    "real_array",
    "require_finite",
    "rng",
    "rotations",
    "row_indices",
    "seed",
    "transforms",
    "vectors",
]

# Rigid-transform check: |RᵀR - I| and |det R - 1| below this, last row exactly [0, 0, 0, 1] within it.
RIGID_TOL = 1e-6
# transforms(snap=True): a rotation block off orthonormal by more than this (but within RIGID_TOL, e.g. a pose
# stored in float32 or printed to 7 digits) is replaced by its nearest rotation; no joint angles reach a
# non-rotation, and an IK answer is verified to 1e-9 rad only against a true rotation.
SNAP_TOL = 1e-12
_EYE3 = np.eye(3)
_LAST_ROW = np.array([0.0, 0.0, 0.0, 1.0])
# det of a 3×3 (flattened row-major): Σ sign(σ) R[0, σ0] R[1, σ1] R[2, σ2] over the six permutations σ.
_DET_INDEX = np.array([[0, 4, 8], [1, 5, 6], [2, 3, 7], [0, 5, 7], [1, 3, 8], [2, 4, 6]])  # (6, 3)
_DET_SIGN = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])

# NumPy dtype kinds accepted where real numbers are expected: signed/unsigned integers and floats. Refused:
# b (bool), c (complex), m/M (timedelta/datetime), O (object), S/U (text), V (void/structured).
_REAL_KINDS = frozenset("iuf")


def real_array(value: npt.ArrayLike, name: str, shape: str = "") -> np.ndarray:
    """``value`` as a float64 array; only real integer or floating input is accepted.

    Args:
        value: Anything ``numpy.asarray`` reads.
        name: The argument's name, for the message.
        shape: The expected shape, for the message (e.g. ``"(..., 6)"``).

    Returns:
        A float64 array (``value`` itself when it already is one; not copied).

    Raises:
        ShapeError: ``value`` is a masked array, or holds complex, bool, datetime, text or objects.
    """
    if type(value) is np.ndarray and value.dtype == np.float64:
        return value
    expected = f"an array of numbers{f' of shape {shape}' if shape else ''}"
    if isinstance(value, np.ma.MaskedArray):
        raise ShapeError(f"{name} must be {expected}, got a masked array (fill or drop the masked values first)")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise ShapeError(f"{name} must be {expected}, got {type(value).__name__}: {exc}") from None
    if arr.dtype.kind not in _REAL_KINDS:
        raise ShapeError(
            f"{name} must be {expected} (real integers or floats), got dtype {arr.dtype} ({type(value).__name__})"
        )
    return arr.astype(np.float64, copy=False)


# Up to this many float64 entries are checked on Python floats (``math.isfinite``): for a joint vector or a pose,
# cheaper than the NumPy calls (measured: 0.9 µs against 2.7 µs for 6 entries).
SMALL_CHECK = 16


def require_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` when every entry is finite; a ShapeError naming the first bad entry otherwise."""
    if arr.size <= SMALL_CHECK and arr.dtype == np.float64:
        finite = all(map(math.isfinite, arr.ravel().tolist()))
    else:
        finite = bool(np.isfinite(arr).all())
    if not finite:
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ShapeError(f"{name} must be finite; found {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return arr


def _shown(value: np.ndarray) -> str:
    """A short text of an array for a message (at most 8 entries, 6 significant digits)."""
    text = np.array2string(
        np.asarray(value, dtype=float),
        threshold=8,
        edgeitems=3,
        separator=", ",
        formatter={"float_kind": "{:.6g}".format},
    )
    return " ".join(text.split())  # one line, also for a matrix


def finite_result(result: np.ndarray, what: str, *named: tuple[str, npt.ArrayLike, int], batch_ndim: int) -> np.ndarray:
    """``result`` when every entry is finite; a ShapeError naming the inputs that made it overflow otherwise.

    The one rule for results computed from checked (finite) inputs: a public function returns finite numbers
    or raises, never NaN or inf. A non-finite result of finite inputs means that the exact value, or a step
    towards it, is beyond the largest float (a prismatic joint pushed out 1e200 m, a joint speed of 1e308,
    a duration of 1e-300 s): the inputs are refused, naming each at the first batch index where it happens.

    Args:
        result: The computed array ``(*batch, *core)``.
        what: What ``result`` is, for the message (e.g. ``"tool twist"``).
        named: ``(name, array, core)`` of each input that went into it, ``core`` its number of non-batch
            axes (``("q", q, 1)``); its batch axes broadcast against the result's.
        batch_ndim: The number of leading batch axes of ``result``.

    Raises:
        ShapeError: ``result`` holds NaN or ±inf.
    """
    # One reduction instead of an elementwise mask: a finite sum means every entry is finite (NaN and inf
    # propagate); only when the sum is not finite (or itself overflows) is each entry looked at.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(result)) or np.isfinite(result).all():
            return result
    batch = result.shape[:batch_ndim]
    bad = ~np.isfinite(result).reshape(batch + (-1,)).all(axis=-1)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    shown = []
    for name, value, core in named:
        arr = np.asarray(value)
        own = arr.shape[: arr.ndim - core]
        at = index[len(index) - len(own) :] if own else ()
        at = tuple(0 if size == 1 else i for i, size in zip(at, own))
        shown.append(f"{name} = {_shown(arr[at])}")
    where = f" at batch index {index}" if index else ""
    listed = [name for name, _, _ in named]
    names = ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else listed[0]
    raise ShapeError(
        f"{names} give{'s' if len(named) == 1 else ''} a {what} beyond the largest float ({np.finfo(float).max:.3g}){where}: {', '.join(shown)} "
        f"(finite, but too large to compute with: expected values whose {what} is finite)"
    )


def vectors(value: npt.ArrayLike, name: str, size: int, what: str = "") -> np.ndarray:
    """``value`` as finite float ``(..., size)`` vectors; ShapeError naming ``(..., size)`` and what came.

    Args:
        value: The argument.
        name: Its name.
        size: The length of the last axis.
        what: Extra words for the message, e.g. ``" [f; m]"``.
    """
    arr = real_array(value, name, f"(..., {size}){what}")
    if arr.ndim == 0 or arr.shape[-1] != size:
        raise ShapeError(f"{name} must have shape (..., {size}){what}, got shape {arr.shape}")
    return require_finite(arr, name)


def joint_vector(robot: Robot, q: npt.ArrayLike, name: str = "q") -> np.ndarray:
    """``q`` as a float array ``(..., n)``, finite; a ShapeError that names n and the joints otherwise."""
    arr = real_array(q, name, f"(..., {robot.n})")
    if arr.ndim == 0 or arr.shape[-1] != robot.n:
        raise ShapeError(
            f"{name} must have shape (..., {robot.n}) for robot {robot.name!r} "
            f"(joints {', '.join(robot.joint_names)}), got shape {arr.shape}"
        )
    return require_finite(arr, name)


def joint_batch(robot: Robot, q: npt.ArrayLike, name: str = "q") -> tuple[np.ndarray, tuple[int, ...]]:
    """``q`` checked by :func:`joint_vector` and flattened: ``(N, n)`` and the batch shape ``...``."""
    arr = joint_vector(robot, q, name)
    return arr.reshape(-1, robot.n), arr.shape[:-1]


def output_array(out: Any, name: str, shape: tuple[int, ...], *inputs: np.ndarray) -> np.ndarray:
    """``out`` when it can receive a float64 result of ``shape`` in place; a ShapeError otherwise.

    Args:
        out: The caller's preallocated array.
        name: Its name, for the message (``"out"``).
        shape: The result's exact shape.
        inputs: Arrays the result is computed from; ``out`` must not share memory with them.

    Returns:
        ``out`` itself.

    Raises:
        ShapeError: ``out`` is not a NumPy array, is not float64, has another shape, is read-only, has a zero
            stride (several entries in one place), or may share memory with an input.
    """
    expected = f"a writeable float64 array of shape {shape}"
    if not isinstance(out, np.ndarray) or isinstance(out, np.ma.MaskedArray):
        raise ShapeError(f"{name} must be {expected}, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise ShapeError(f"{name} must be {expected}, got dtype {out.dtype}")
    if out.shape != shape:
        raise ShapeError(f"{name} must be {expected}, got shape {out.shape}")
    if not out.flags.writeable:
        raise ShapeError(f"{name} must be {expected}, got a read-only array")
    # (an empty array has zero strides in NumPy 2 and no entry to share a place)
    if out.size and any(stride == 0 and size > 1 for stride, size in zip(out.strides, out.shape)):
        raise ShapeError(
            f"{name} must be {expected} with one place per entry, got strides {out.strides} (a broadcast view)"
        )
    if any(np.may_share_memory(out, arr) for arr in inputs):
        raise ShapeError(f"{name} must not share memory with the inputs it is computed from")
    return out


def broadcast_batch(*named: tuple[str, np.ndarray, int]) -> tuple[int, ...]:
    """The common batch shape of arrays whose last ``core`` axes are not batch axes.

    Args:
        named: ``(name, array, core)`` triples, e.g. ``("q", q, 1), ("qd", qd, 1)``.

    Returns:
        The broadcast of their batch shapes (NumPy rules).

    Raises:
        ShapeError: the batch shapes do not broadcast; the message names every argument and its shape.
    """
    shapes = [a.shape[: a.ndim - core] for _, a, core in named]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listing = ", ".join(f"{n} {a.shape}" for n, a, _ in named)
        raise ShapeError(f"the batch shapes of {listing} do not broadcast (leading axes must match or be 1)") from None


def transforms(T: npt.ArrayLike, name: str = "T", *, snap: bool = False) -> np.ndarray:
    """``T`` as float ``(..., 4, 4)`` rigid transforms; ShapeError / ConventionError otherwise.

    With ``snap``, when some rotation block deviates from orthonormal by more than :data:`SNAP_TOL`
    (``|RᵀR − I|``, ``|det R − 1|``; accepted up to :data:`RIGID_TOL`), every rotation block is replaced by its
    nearest rotation (``U Vᵀ`` of its SVD, the polar factor) and the last row by exactly ``[0, 0, 0, 1]``, in
    a copy; positions are kept. Transforms already orthonormal to ``SNAP_TOL`` come back as given.
    """
    arr = real_array(T, name, "(..., 4, 4)")
    if arr.ndim < 2 or arr.shape[-2:] != (4, 4):
        raise ShapeError(f"{name} must have shape (..., 4, 4), got shape {arr.shape}")
    if arr.shape == (4, 4):  # one transform: its checks on Python floats (NumPy calls on 16 numbers cost more)
        rows = arr.tolist()
        if not all(map(math.isfinite, rows[0] + rows[1] + rows[2] + rows[3])):
            require_finite(arr, name)  # (raises, naming the first bad entry)
        deviation = _rigid_deviation_one(rows)
    else:
        require_finite(arr, name)
        deviation = _rigid_deviation(arr) if arr.size else 0.0
    if deviation > RIGID_TOL:  # the fast check; the slow one only to name the bad one
        last = np.abs(arr[..., 3, :] - _LAST_ROW).max(axis=-1)
        _check_rotations(
            arr[..., :3, :3],
            last,
            name,
            "a rigid transform: the rotation block must be",
            " and the last row [0, 0, 0, 1]",
        )
    if snap and deviation > SNAP_TOL:
        arr = _nearest_rigid(arr)
    return arr


def _nearest_rigid(arr: np.ndarray) -> np.ndarray:
    """A copy of the near-rigid ``arr`` ``(..., 4, 4)`` with each rotation block replaced by its polar factor
    ``U Vᵀ`` (the nearest rotation in the Frobenius norm; det +1 as ``det R`` is within RIGID_TOL of 1) and the
    last row by ``[0, 0, 0, 1]``."""
    out = np.array(arr, dtype=float)
    U, _, Vt = np.linalg.svd(out[..., :3, :3])
    out[..., :3, :3] = U @ Vt
    out[..., 3, :] = _LAST_ROW
    return out


def rotations(R: npt.ArrayLike, name: str = "R") -> np.ndarray:
    """``R`` as float ``(..., 3, 3)`` rotation matrices; ShapeError / ConventionError otherwise."""
    arr = real_array(R, name, "(..., 3, 3)")
    if arr.ndim < 2 or arr.shape[-2:] != (3, 3):
        raise ShapeError(f"{name} must have shape (..., 3, 3), got shape {arr.shape}")
    require_finite(arr, name)
    _check_rotations(arr, np.zeros(arr.shape[:-2]), name, "a rotation: it must be", "")
    return arr


def _check_rotations(R: np.ndarray, other: np.ndarray, name: str, what: str, also: str) -> None:
    """ConventionError naming the first of the finite ``R`` ``(..., 3, 3)`` that is not orthonormal with det +1
    (or whose ``other`` deviation ``(...)`` passes ``RIGID_TOL``)."""
    ortho = np.abs(np.swapaxes(R, -1, -2) @ R - _EYE3).max(axis=(-1, -2))
    det_off = np.abs(np.linalg.det(R) - 1.0)
    # One comparison per check on the batch's largest deviation (the common, valid case); the per-item
    # mask only to name the first bad one.
    if R.size and max(ortho.max(), det_off.max(), other.max(initial=0.0)) > RIGID_TOL:
        bad = (ortho > RIGID_TOL) | (det_off > RIGID_TOL) | (other > RIGID_TOL)
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if R.ndim > 2 else ()
        raise ConventionError(
            f"{name}{list(idx) if idx else ''} is not {what} orthonormal with det +1{also} (tolerance {RIGID_TOL})"
        )


def _rigid_deviation(arr: np.ndarray) -> float:
    """The batch's largest ``|RᵀR − I|``, ``|det R − 1|`` and ``|last row − [0, 0, 0, 1]|`` of ``(..., 4, 4)``.

    Component first (``(4, 4, N)``): every product is elementwise over the batch, where a stacked matmul and
    LAPACK's det make one library call per transform. ``det R`` is the signed sum of the six products
    ``R[0, a] R[1, b] R[2, c]`` over the permutations. One transform ``(4, 4)`` is checked on Python floats
    (a dozen NumPy calls on 16 numbers cost more than the arithmetic).
    """
    if arr.shape == (4, 4):
        return _rigid_deviation_one(arr.tolist())
    C = arr.reshape(-1, 16).T.copy().reshape(4, 4, -1)  # (4, 4, N), contiguous
    R = C[:3, :3]
    G = (R[:, :, None] * R[:, None, :]).sum(axis=0)  # (3, 3, N): RᵀR
    det = (R.reshape(9, -1)[_DET_INDEX].prod(axis=1) * _DET_SIGN[:, None]).sum(axis=0)
    return float(
        max(np.abs(G - _EYE3[:, :, None]).max(), np.abs(det - 1.0).max(), np.abs(C[3] - _LAST_ROW[:, None]).max())
    )


def _rigid_deviation_one(rows: list[list[float]]) -> float:
    """:func:`_rigid_deviation` of one transform given by its rows (``T.tolist()``), on floats."""
    (a, b, c, _), (d, e, f, _), (g, h, i, _), last = rows
    # RᵀR from the columns of R (its upper triangle), det R by cofactors along the first row.
    return max(
        abs(last[0]),
        abs(last[1]),
        abs(last[2]),
        abs(last[3] - 1.0),
        abs(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g) - 1.0),
        abs(a * a + d * d + g * g - 1.0),
        abs(a * b + d * e + g * h),
        abs(a * c + d * f + g * i),
        abs(b * b + e * e + h * h - 1.0),
        abs(b * c + e * f + h * i),
        abs(c * c + f * f + i * i - 1.0),
    )


def file_path(value: Any, name: str = "path", what: str = "a file path") -> str:
    """``value`` as a path string if it is a ``str`` or an ``os.PathLike`` of one; an OptionError otherwise.

    Every function that reads or writes a file takes its path through this, so that ``None``, a number, bytes
    or an object get our error naming the argument instead of ``os.fspath``'s TypeError. A leading ``~`` or
    ``~user`` is expanded to the home folder, as a shell would (``robokin.load("~/arms/arm.yaml")``).
    """
    text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not isinstance(text, str):
        raise OptionError(f"{name} must be {what} (str or os.PathLike), got {type(value).__name__} {value!r}")
    return os.path.expanduser(text) if text.startswith("~") else text


def positive(value: Any, name: str, what: str = "a positive number") -> float:
    """``value`` as a float if it is a real number, finite and > 0 (not a bool, not text); OptionError otherwise.

    Args:
        value: The argument.
        name: Its name, for the message.
        what: What it is, for the message (e.g. ``"a positive number of frames per second"``).
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not (ok and math.isfinite(value) and value > 0):
        raise OptionError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    return float(value)


def choice(value: Any, name: str, options: Sequence[str]) -> str:
    """``value`` if it is one of the strings ``options``; an OptionError listing them otherwise."""
    if not isinstance(value, str) or value not in options:
        shown = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise OptionError(f"{name} must be one of {', '.join(map(repr, options))}; got {shown}")
    return value


def flag(value: Any, name: str) -> bool:
    """``value`` if it is a bool (Python's or NumPy's); an OptionError otherwise (``"no"`` is not false)."""
    if not isinstance(value, (bool, np.bool_)):
        raise OptionError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def axes(value: Any, name: str = "ax", *, three_d: bool = False) -> Any:
    """``value`` if it is matplotlib Axes (3-D axes, ``projection="3d"``, when ``three_d``); an OptionError
    otherwise."""
    from matplotlib.axes import Axes

    if isinstance(value, Axes) and (not three_d or value.name == "3d"):
        return value
    expected = "3-D matplotlib Axes (projection='3d')" if three_d else "matplotlib Axes"
    raise OptionError(f"{name} must be None or {expected}, got {type(value).__name__} {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def index_list(value: Any, name: str, size: int, *, count: int | None = None, distinct: bool = True) -> list[int]:
    """``value`` as a list of integer indices into ``0..size-1``; never truncates a float.

    Args:
        value: A sequence of Python or NumPy integers.
        name: The argument's name.
        size: Valid indices are ``0..size-1``.
        count: The required number of indices, or None for any number >= 1.
        distinct: Refuse repeated indices.

    Raises:
        OptionError: not a sequence, a non-integer entry (``0.5``, ``True``), out of range, repeated or the
            wrong number; the message names ``name``, the valid range and what came.
    """
    what = f"{'' if count is None else f'{count} '}{'distinct ' if distinct else ''}integer indices in 0..{size - 1}"
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise OptionError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    items = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else list(value)
    if not all(_is_int(v) for v in items):
        raise OptionError(f"{name} must be {what}, got {value!r} (non-integer entries are not truncated)")
    idx = [int(v) for v in items]
    if (
        not idx
        or (count is not None and len(idx) != count)
        or any(not 0 <= v < size for v in idx)
        or (distinct and len(set(idx)) != len(idx))
    ):
        raise OptionError(f"{name} must be {what}, got {list(idx)}")
    return idx


# Named row selections of a Jacobian with rows [vx, vy, vz, wx, wy, wz].
ROW_NAMES: dict[str, tuple[int, ...]] = {"all": (0, 1, 2, 3, 4, 5), "translation": (0, 1, 2), "rotation": (3, 4, 5)}


def row_indices(rows: Any) -> list[int]:
    """Row indices of J for ``rows`` = ``"all"``, ``"translation"``, ``"rotation"`` or explicit indices in 0..5.

    Raises:
        OptionError: an unknown name (or not a string nor a sequence, e.g. None), or indices that are not
            distinct integers in 0..5.
    """
    if isinstance(rows, str) or not isinstance(rows, (Sequence, np.ndarray)):
        return list(ROW_NAMES[choice(rows, "rows", tuple(ROW_NAMES))])
    return index_list(rows, "rows", 6)


def seed(value: Any, name: str = "seed") -> int | np.random.Generator | None:
    """``value`` if it is None, an integer >= 0 or a ``numpy.random.Generator``; an OptionError otherwise.

    Check it up-front in every function that takes a seed, whether or not that call ends up drawing numbers,
    so that a bad seed fails the same way on every path.
    """
    if value is None or isinstance(value, np.random.Generator):
        return value
    if _is_int(value) and value >= 0:
        return int(value)
    raise OptionError(
        f"{name} must be None, an integer >= 0 or a numpy.random.Generator, got {type(value).__name__} {value!r}"
    )


def rng(value: Any, name: str = "seed") -> np.random.Generator:
    """The ``numpy.random.Generator`` for a seed checked by :func:`seed` (a Generator is used as it is)."""
    checked = seed(value, name)
    return checked if isinstance(checked, np.random.Generator) else np.random.default_rng(checked)


def progress(value: Any, name: str = "progress", *, flag: bool = False) -> Any:
    """``value`` if it is None or a callable (or, with ``flag=True``, a bool); an OptionError otherwise.

    A number is neither a callback nor a flag: ``progress=5`` is refused, not taken as true.
    """
    if value is None or callable(value) or (flag and isinstance(value, (bool, np.bool_))):
        return value
    expected = "None, a bool or a callable" if flag else "None or a callable"
    raise OptionError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
