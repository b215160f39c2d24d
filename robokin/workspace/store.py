"""Zarr v2 stores written and read chunk by chunk with the standard library (json, zlib): the large-map format.

A store is a directory (``NAME.zarr``) laid out as the Zarr v2 specification says
(https://zarr-specs.readthedocs.io/en/latest/v2/v2.0.html), so zarr-python 2 and 3 (and xarray, and Zarr
readers in other languages) open it::

    NAME.zarr/.zgroup          {"zarr_format": 2}
    NAME.zarr/.zattrs          the attributes: one JSON object (a map's metadata)
    NAME.zarr/ARRAY/.zarray    shape, chunks, dtype (little-endian), "compressor": {"id": "zlib", "level": 1},
                               "fill_value", "order": "C", "filters": null, "dimension_separator": "."
    NAME.zarr/ARRAY/.zattrs    {"_ARRAY_DIMENSIONS": [names of its axes]}: xarray's convention, which
                               ``xarray.open_zarr`` needs to open the group
    NAME.zarr/ARRAY/i.j.k      chunk (i, j, k): the C-order bytes of ``chunks`` elements, zlib-compressed; an
                               edge chunk is stored whole, its part beyond the array filled with ``fill_value``

Chunks hold whole trailing axes and as many leading rows as fit in :data:`CHUNK_BYTES`; each is compressed and
written on its own, and read on its own: ``open_group(path)["pair_values"][a:b]`` decompresses only the
chunks that elements ``a..b`` fall in. Every chunk is written, also one of ``fill_value`` only; a chunk file that is
absent reads as ``fill_value``, as the specification says (Zarr tools leave such chunks out), and is an error
where ``fill_value`` is null. The reader reads the subset of Zarr v2 this module writes (zlib or no compressor,
no filters, C order, little-endian bool/int/float); anything else, and a missing, truncated or corrupt
file (zlib checks every chunk's Adler-32), is a :class:`~robokin.errors.MapFileError` naming the file and the
fault.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import os
import shutil
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MapFileError, OptionError, RobokinError, ShapeError

__all__ = ["CHUNK_BYTES", "ZLIB_LEVEL", "ZarrArray", "ZarrGroup", "chunk_shape", "open_group", "write_group"]

CHUNK_BYTES = 2**22  # uncompressed bytes per chunk (4 MiB): large for zlib, small enough to read a slice cheaply
# zlib's fastest level: on a Panda capability map's pair table (40801 x 288 float16) it compressed 6.8x in 0.18 s,
# level 6 8.1x in 0.54 s (CPU, this machine): files 1.2x larger, written 3x faster.
ZLIB_LEVEL = 1
DTYPE_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def chunk_shape(shape: tuple[int, ...], itemsize: int, chunk_bytes: int = CHUNK_BYTES) -> tuple[int, ...]:
    """The chunks of an array: whole trailing axes and as many leading rows as fit in ``chunk_bytes``.

    Where one row of an axis is larger than ``chunk_bytes``, that axis is cut into single rows and the next
    one is cut in turn. Every chunk length is >= 1 (also along an axis of length 0), as Zarr requires.
    """
    chunks = [max(1, n) for n in shape]
    for a in range(len(chunks)):
        inner = itemsize * math.prod(chunks[a + 1 :])
        if inner <= chunk_bytes:
            chunks[a] = min(chunks[a], max(1, chunk_bytes // inner))
            break
        chunks[a] = 1
    return tuple(chunks)


def _chunk_key(index: tuple[int, ...]) -> str:
    return ".".join(map(str, index)) or "0"  # a 0-d array's one chunk is "0"


def _write_json(file: str, value: Any) -> None:
    with open(file, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)


def _read_json(folder: str, name: str) -> Any:
    file = os.path.join(folder, name)
    try:
        with open(file, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise MapFileError(f"{file}: missing") from None
    except json.JSONDecodeError as exc:
        raise MapFileError(f"{file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except (OSError, ValueError) as exc:  # unreadable, or not UTF-8 text
        raise MapFileError(f"{file}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def write_group(
    path: str | os.PathLike[str],
    attrs: dict[str, Any],
    arrays: dict[str, np.ndarray],
    *,
    chunk_bytes: int = CHUNK_BYTES,
    level: int = ZLIB_LEVEL,
    dims: dict[str, list[str]] | None = None,
) -> None:
    """Write a Zarr v2 group: ``attrs`` (JSON-serialisable) and each array in chunks of ``chunk_bytes``.

    The store is built beside ``path`` and moved into place when complete; an existing Zarr store at ``path``
    is replaced, anything else there is left alone (RobokinError).

    Args:
        path: The store's directory (by convention ``*.zarr``).
        attrs: The group's attributes.
        arrays: Name (a plain file name) → array of a bool, integer or float dtype, any shape.
        chunk_bytes: Uncompressed bytes per chunk, >= 1.
        level: zlib compression level, 0 (none) to 9.
        dims: Name → the names of its axes (one per axis; axes of one name must have one length across the
            group, as xarray requires); default ``ARRAY_0``, ``ARRAY_1``, ... for an array not named here.

    Raises:
        OptionError: A bad name, dtype, attribute, ``chunk_bytes`` or ``level``.
        RobokinError: ``PATH: ...`` when the store cannot be written.
    """
    path = os.fspath(path)
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, (int, np.integer)) or chunk_bytes < 1:
        raise OptionError(f"chunk_bytes must be an integer >= 1, got {chunk_bytes!r}")
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level <= 9:
        raise OptionError(f"level must be a zlib level, an integer in 0..9, got {level!r}")
    for name, array in arrays.items():
        if not name or name.startswith(".") or os.sep in name or "/" in name:
            raise OptionError(f"array name {name!r}: must be a plain file name, not starting with '.'")
        if np.asarray(array).dtype.kind not in DTYPE_KINDS:
            raise OptionError(f"array {name!r}: dtype {np.asarray(array).dtype} is not bool, integer or float")
    axes = {name: [f"{name}_{i}" for i in range(np.ndim(array))] for name, array in arrays.items()} | (dims or {})
    for name, names in axes.items():
        if name not in arrays or len(names) != np.ndim(arrays[name]):
            raise OptionError(f"dims[{name!r}] must name each axis of the array {name!r}, got {names!r}")
    try:
        zattrs = json.dumps(attrs, indent=2)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"attrs must be JSON-serialisable: {exc}") from None
    target = path.rstrip("/" + os.sep) or path
    if os.path.lexists(target) and not os.path.isfile(os.path.join(target, ".zgroup")):
        raise RobokinError(f"{path}: exists and is not a Zarr store; not overwriting it")
    building = f"{target}.partial-{os.getpid()}"
    try:
        shutil.rmtree(building, ignore_errors=True)
        os.mkdir(building)
        _write_json(os.path.join(building, ".zgroup"), {"zarr_format": 2})
        with open(os.path.join(building, ".zattrs"), "w", encoding="utf-8") as f:
            f.write(zattrs)
        for name, array in arrays.items():
            _write_array(os.path.join(building, name), np.asarray(array), chunk_bytes, int(level))
            _write_json(os.path.join(building, name, ".zattrs"), {"_ARRAY_DIMENSIONS": list(axes[name])})
        if os.path.lexists(target):
            shutil.rmtree(target)
        os.replace(building, target)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise RobokinError(f"{path}: cannot write the store: {exc.strerror or exc}") from None


def _write_array(folder: str, array: np.ndarray, chunk_bytes: int, level: int) -> None:
    dtype = array.dtype.newbyteorder("<")  # '|' (bool, 1-byte) stays as it is
    chunks = chunk_shape(array.shape, dtype.itemsize, chunk_bytes)
    meta = {
        "zarr_format": 2,
        "shape": list(array.shape),
        "chunks": list(chunks),
        "dtype": dtype.str,
        "compressor": {"id": "zlib", "level": level},
        "fill_value": False if dtype.kind == "b" else 0,
        "order": "C",
        "filters": None,
        "dimension_separator": ".",
    }
    os.mkdir(folder)
    _write_json(os.path.join(folder, ".zarray"), meta)
    for index in itertools.product(*(range(-(-n // c)) for n, c in zip(array.shape, chunks))):
        block = np.asarray(array[tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, chunks))])
        if block.shape != chunks:  # an edge chunk: stored whole, padded with the fill value
            whole = np.zeros(chunks, dtype)
            whole[tuple(slice(0, n) for n in block.shape)] = block
            block = whole
        with open(os.path.join(folder, _chunk_key(index)), "wb") as f:
            f.write(zlib.compress(np.ascontiguousarray(block, dtype=dtype).tobytes(), level))


@dataclass(frozen=True, eq=False)
class ZarrArray:
    """One array of a store, read lazily: indexing (ints, slices, ``...``) reads only the chunks it touches.

    Attributes:
        path: The array's directory.
        shape: Its shape.
        chunks: The shape of one chunk.
        dtype: Its (little-endian) dtype.
        compressed: Whether the chunks are zlib streams (else raw bytes).
        fill_value: The value of a chunk file that is absent, None if there is none.
    """

    path: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype
    compressed: bool
    fill_value: Any

    def read(self) -> np.ndarray:
        """The whole array, read chunk by chunk into one new array."""
        return self[...]

    def __getitem__(self, key: Any) -> np.ndarray:
        keys = key if isinstance(key, tuple) else (key,)
        for k in keys:
            if not (
                k is Ellipsis or isinstance(k, slice) or (isinstance(k, (int, np.integer)) and not isinstance(k, bool))
            ):
                raise OptionError(f"{self.path}: index with ints, slices and ..., got {k!r}")
        ellipses = [i for i, k in enumerate(keys) if k is Ellipsis]
        if len(ellipses) > 1 or len(keys) - len(ellipses) > len(self.shape):
            raise ShapeError(f"{self.path}: index {key!r} does not fit an array of shape {self.shape}")
        at = ellipses[0] if ellipses else len(keys)
        fill = (slice(None),) * (len(self.shape) - len(keys) + len(ellipses))
        keys = keys[:at] + fill + keys[at + len(ellipses) :]
        low: list[int] = []  # the box of elements read ...
        high: list[int] = []
        local: list[slice | int] = []  # ... and the selection within it
        for axis, (k, n) in enumerate(zip(keys, self.shape)):
            if isinstance(k, slice):
                r = range(*k.indices(n))
                first, last = (min(r[0], r[-1]), max(r[0], r[-1])) if r else (0, -1)
                stop = r[-1] - first + (1 if r.step > 0 else -1) if r else 0
                local.append(slice(r[0] - first if r else 0, stop if stop >= 0 else None, r.step))
                low.append(first)
                high.append(last + 1)
            else:
                i = operator.index(k)
                if not -n <= i < n:
                    raise ShapeError(f"{self.path}: index {i} is out of range for axis {axis} of length {n}")
                low.append(i % n)
                high.append(i % n + 1)
                local.append(0)
        return self._box(low, high)[tuple(local)]

    def _box(self, low: list[int], high: list[int]) -> np.ndarray:
        out = np.empty([h - lo for lo, h in zip(low, high)], self.dtype)
        if out.size == 0:
            return out
        ranges = [range(lo // c, (h - 1) // c + 1) for lo, h, c in zip(low, high, self.chunks)]
        for index in itertools.product(*ranges):
            starts = [i * c for i, c in zip(index, self.chunks)]
            inside = [(max(lo, s), min(h, s + c)) for lo, h, s, c in zip(low, high, starts, self.chunks)]
            src = tuple(slice(a - s, b - s) for (a, b), s in zip(inside, starts))
            dst = tuple(slice(a - lo, b - lo) for (a, b), lo in zip(inside, low))
            out[dst] = self._chunk(index)[src]
        return out

    def _chunk(self, index: tuple[int, ...]) -> np.ndarray:
        file = os.path.join(self.path, _chunk_key(index))
        try:
            with open(file, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            if self.fill_value is None:
                raise MapFileError(f"{file}: chunk missing, and the array has no fill_value") from None
            return np.full(self.chunks, self.fill_value, self.dtype)
        except OSError as exc:
            raise MapFileError(f"{file}: cannot read the chunk: {exc.strerror or exc}") from None
        expected = math.prod(self.chunks) * self.dtype.itemsize
        if self.compressed:
            # at most one byte more than a chunk holds: a corrupt or hostile chunk that inflates to gigabytes
            # (zlib reaches ~1000:1) is refused by its size below, not decompressed whole
            inflate = zlib.decompressobj()
            try:
                raw = inflate.decompress(raw, expected + 1)
                if len(raw) <= expected and not inflate.eof:
                    raise zlib.error("incomplete or truncated stream")
            except zlib.error as exc:
                raise MapFileError(f"{file}: corrupt or truncated chunk: {exc}") from None
        if len(raw) != expected:
            size = f"{len(raw)}" if len(raw) <= expected else f"more than {expected}"
            raise MapFileError(
                f"{file}: chunk holds {size} bytes, expected {expected} ({self.chunks} of {self.dtype.str})"
            )
        if self.dtype.kind == "b" and np.frombuffer(raw, np.uint8).max(initial=0) > 1:
            raise MapFileError(f"{file}: corrupt chunk: a bool byte other than 0 or 1")
        return np.frombuffer(raw, self.dtype).reshape(self.chunks)


@dataclass(frozen=True, eq=False)
class ZarrGroup:
    """An open store: its attributes and its arrays (not read until indexed).

    Attributes:
        path: The store's directory.
        attrs: The attributes (``.zattrs``).
        arrays: Name → :class:`ZarrArray`, every array in the group.
    """

    path: str
    attrs: dict[str, Any]
    arrays: dict[str, ZarrArray]

    def __getitem__(self, name: str) -> ZarrArray:
        if name not in self.arrays:
            raise OptionError(f"{self.path}: no array {name!r}; it holds {sorted(self.arrays)}")
        return self.arrays[name]


def _fits(value: Any, dtype: np.dtype) -> bool:
    """Whether the JSON number or bool ``value`` is a value of ``dtype`` (a float of any float dtype)."""
    if dtype.kind == "b" or isinstance(value, bool):
        return dtype.kind == "b" and isinstance(value, bool)
    if dtype.kind in "iu":
        return isinstance(value, int) and np.iinfo(dtype).min <= value <= np.iinfo(dtype).max
    return isinstance(value, (int, float))


def _open_array(folder: str) -> ZarrArray:
    meta = _read_json(folder, ".zarray")
    file = os.path.join(folder, ".zarray")
    if not isinstance(meta, dict) or meta.get("zarr_format") != 2:
        raise MapFileError(f"{file}: not Zarr v2 array metadata (zarr_format 2)")
    shape: Any = meta.get("shape")
    chunks: Any = meta.get("chunks")
    name = meta.get("dtype")

    def ints(value: Any, least: int) -> bool:
        return isinstance(value, list) and all(type(v) is int and v >= least for v in value)

    if not (ints(shape, 0) and ints(chunks, 1) and len(shape) == len(chunks)):
        raise MapFileError(f"{file}: shape {shape!r} and chunks {chunks!r} must be lists of ints >= 0 / >= 1, as long")
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in DTYPE_KINDS or dtype.byteorder == ">" or dtype.str != name:
        raise MapFileError(f"{file}: dtype {name!r}; robokin reads little-endian bool, int and float")
    compressor = meta.get("compressor")
    if not (compressor is None or (isinstance(compressor, dict) and compressor.get("id") == "zlib")):
        raise MapFileError(f"{file}: compressor {compressor!r}; robokin reads zlib or none")
    for key, allowed in (("filters", (None, [])), ("order", ("C",)), ("dimension_separator", (".",))):
        if meta.get(key, allowed[0]) not in allowed:
            raise MapFileError(f"{file}: {key} {meta.get(key)!r}; robokin reads {' or '.join(map(str, allowed))}")
    fill = meta.get("fill_value")
    special = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}
    if isinstance(fill, str) and fill in special and dtype.kind == "f":
        fill = special[fill]
    elif not (fill is None or _fits(fill, dtype)):
        raise MapFileError(f"{file}: fill_value {fill!r} is not a value of dtype {name}")
    return ZarrArray(folder, tuple(shape), tuple(chunks), dtype, compressor is not None, fill)


def open_group(path: str | os.PathLike[str]) -> ZarrGroup:
    """Open a Zarr v2 group: its attributes, and its arrays to read lazily.

    Raises:
        MapFileError: ``PATH: ...`` when the store is missing, is not a Zarr v2 group, or its metadata is not
            of the subset this module reads (see the module docstring).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MapFileError(f"{path}: cannot read the store: no such file or directory")
    if not os.path.isdir(path):
        raise MapFileError(f"{path}: not a Zarr store (a directory holding .zgroup)")
    if not os.path.exists(os.path.join(path, ".zgroup")) and os.path.exists(os.path.join(path, "zarr.json")):
        raise MapFileError(f"{path}: a Zarr v3 store; robokin reads Zarr v2 groups")
    group = _read_json(path, ".zgroup")
    if not isinstance(group, dict) or group.get("zarr_format") != 2:
        raise MapFileError(f"{os.path.join(path, '.zgroup')}: not a Zarr v2 group (zarr_format 2)")
    attrs = _read_json(path, ".zattrs") if os.path.exists(os.path.join(path, ".zattrs")) else {}
    if not isinstance(attrs, dict):
        raise MapFileError(f"{os.path.join(path, '.zattrs')}: not a JSON object")
    names = sorted(n for n in os.listdir(path) if os.path.isfile(os.path.join(path, n, ".zarray")))
    return ZarrGroup(path, attrs, {n: _open_array(os.path.join(path, n)) for n in names})
