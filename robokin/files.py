"""Reading robot files safely: regular files only, bounded in size; the size caps every reader shares, and the
unit checks (numbers that look like millimetres or degrees) that both readers apply to what they read."""

from __future__ import annotations

import contextlib
import gc
import math
import os
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .errors import RobotFormatError

if TYPE_CHECKING:
    from .model import Robot

__all__ = [
    "MAX_JOINTS",
    "MAX_NAME_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_PLAUSIBLE_LENGTH",
    "UNLIMITED_LOOKING_LENGTH",
    "DEGREE_LOOKING_RAD",
    "UNLIMITED_LOOKING_RAD",
    "longest_length",
    "degree_looking_angle",
    "read_robot_file",
    "without_cycle_collection",
]

# What robokin reads and writes, in both formats: robots of up to MAX_JOINTS joints. The readers refuse more,
# and the YAML document caps are derived from these, so that every robot that loads can be saved and loaded
# back (see robokin.format).
MAX_JOINTS = 10_000  # joints of one chain, fixed ones included
MAX_NAME_CHARS = 256  # a robot, joint or configuration name
MAX_TEXT_CHARS = 65_536  # a robot's description or source text

# A robot arm's link offsets and strokes stay below this [m]; beyond it the file is most likely in mm.
MAX_PLAUSIBLE_LENGTH = 20.0
# ... unless it is a prismatic limit beyond this [m]: such a number stands for "unlimited" (URDFs of mobile
# bases write ±999999 m), not for millimetres (1e5 mm = 100 m would be no arm either).
UNLIMITED_LOOKING_LENGTH = 1e5
# In a radian file, a revolute limit or DH angle beyond this [rad] (two turns) looks like degrees.
DEGREE_LOOKING_RAD = 4.0 * math.pi + 1e-9
# ... unless it is beyond this [rad] (100 turns written in degrees): such a number stands for "unlimited"
# (Gazebo-made URDFs write revolute limits of ±1e16), and reading it as degrees would not fix anything.
UNLIMITED_LOOKING_RAD = 36_000.0

# Bytes read per system call while reading a robot file.
_CHUNK_BYTES = 1 << 20
# What a file that is not a regular file is, for the error message (S_ISxxx test, description).
_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_robot_file(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else before reading a byte of it.

    The file is opened without blocking (so a FIFO cannot hang the caller) and checked with ``fstat`` on the
    open descriptor (so a symbolic link to ``/dev/zero`` or a device is refused, with no race between the
    check and the read); at most ``max_bytes + 1`` bytes are ever read, so a file that grows while it is read
    is refused too.

    Args:
        path: The file.
        max_bytes: The largest accepted size [bytes].

    Returns:
        The file's content, at most ``max_bytes`` bytes.

    Raises:
        RobotFormatError: No such file, not a regular file (directory, FIFO, device, socket), unreadable, or
            larger than ``max_bytes`` ("document too large", located at 1:1).
    """
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise RobotFormatError("no such file", path=name) from None
    except IsADirectoryError:  # Windows cannot open a directory
        raise RobotFormatError("is a directory, not a robot file", path=name) from None
    except OSError as exc:
        raise RobotFormatError(f"cannot read the file: {exc.strerror or exc}", path=name) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((what for test, what in _FILE_KINDS if test(mode)), "not a regular file")
            raise RobotFormatError(f"is {kind}, not a robot file", path=name)
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise _too_large(name, f"{size} bytes", max_bytes)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_CHUNK_BYTES, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise _too_large(name, f"more than {max_bytes} bytes", max_bytes)
        return b"".join(chunks)
    except OSError as exc:
        raise RobotFormatError(f"cannot read the file: {exc.strerror or exc}", path=name) from None
    finally:
        os.close(fd)


def _too_large(name: str, size: str, max_bytes: int) -> RobotFormatError:
    return RobotFormatError(f"document too large: {size} (the limit is {max_bytes} bytes)", path=name, line=1, column=1)


_URDF_SUFFIXES = (".urdf", ".xacro")


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a reader builds a robot (restored on exit, errors too).

    A reader makes some 30 objects per joint (XML elements or YAML nodes, values, joints) and no reference
    cycles, so the collector finds nothing, yet its passes over the growing heap cost up to half the load time
    of a 10 000-joint document (measured with ``benchmarks/loading.py``). Freed objects are still freed at
    once by reference counting; only cycles wait for the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def longest_length(robot: Robot) -> tuple[float, str]:
    """The longest length of ``robot`` [m] and where it is (``"base"``, ``"tool"``, ``"joint 'name'"``): a DH
    ``a`` or ``d``, a joint origin's offset, a base or tool offset, or a prismatic limit (those beyond
    ``UNLIMITED_LOOKING_LENGTH``, which stand for "unlimited", left out). ``(0.0, "")`` when there is none."""
    longest, where = 0.0, ""
    for key, origin in (("base", robot.base), ("tool", robot.tool)):
        size = math.hypot(*origin.xyz)
        if size > longest:
            longest, where = size, key
    for joint in robot.joints:
        sizes = [abs(joint.dh[0]), abs(joint.dh[2])] if joint.dh is not None else []
        sizes += [math.hypot(*joint.origin.xyz)] if joint.origin is not None else []
        if joint.type == "prismatic":
            sizes += [abs(v) for v in joint.limits if abs(v) < UNLIMITED_LOOKING_LENGTH]
        for size in sizes:
            if size > longest:
                longest, where = size, f"joint {joint.name!r}"
    return longest, where


def degree_looking_angle(robot: Robot) -> tuple[float, str, str] | None:
    """The largest revolute limit or DH angle (alpha, theta) of ``robot`` [rad] beyond two turns
    (``DEGREE_LOOKING_RAD``) and within ``UNLIMITED_LOOKING_RAD``, as ``(|value|, joint name, "limit" | "alpha"
    | "theta")``: a number that looks like degrees read as radians; None when there is none."""
    big = [(abs(v), j.name, "limit") for j in robot.joints if j.type == "revolute" for v in j.limits]
    big += [
        (abs(j.dh[k]), j.name, ("alpha", "", "theta")[k - 1]) for j in robot.joints if j.dh is not None for k in (1, 3)
    ]
    worst = max((b for b in big if b[0] <= UNLIMITED_LOOKING_RAD), default=(0.0, "", ""))
    return worst if worst[0] > DEGREE_LOOKING_RAD else None
