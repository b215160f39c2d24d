"""Reading robot files safely: regular files only, bounded in size; the size caps every reader shares."""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Iterator

from .errors import RobotFormatError

__all__ = ["MAX_JOINTS", "MAX_NAME_CHARS", "MAX_TEXT_CHARS", "read_robot_file", "without_cycle_collection"]

# What robokin reads and writes, in both formats: robots of up to MAX_JOINTS joints. The readers refuse more,
# and the YAML document caps are derived from these, so that every robot that loads can be saved and loaded
# back (see robokin.format).
MAX_JOINTS = 10_000  # joints of one chain, fixed ones included
MAX_NAME_CHARS = 256  # a robot, joint or configuration name
MAX_TEXT_CHARS = 65_536  # a robot's description or source text

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
