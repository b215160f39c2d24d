"""Finding and reading robot files: bundled robots by name, YAML and URDF files by path, regular files only."""

from __future__ import annotations

import os
import stat
from importlib import resources
from pathlib import Path

from .errors import RobotFormatError
from .model import Robot

__all__ = ["load", "list_robots", "bundled_path", "read_robot_file"]

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
    return RobotFormatError(
        f"document too large: {size} (the limit is {max_bytes} bytes)", path=name, line=1, column=1
    )

_URDF_SUFFIXES = (".urdf", ".xacro")


def _bundled_dir() -> Path:
    """The folder of bundled robot files: ``robokin/robots`` when installed, ``robots/`` in a checkout."""
    try:
        folder = Path(str(resources.files("robokin.robots")))
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "robots"


def list_robots() -> list[str]:
    """Names of the bundled robots, sorted (each loads with ``robokin.load(name)``)."""
    return sorted(p.stem for p in _bundled_dir().glob("*.yaml"))


def bundled_path(name: str) -> Path:
    """Path of the bundled robot file ``name`` (without extension); RobotFormatError if there is none."""
    path = _bundled_dir() / f"{name}.yaml"
    if not path.is_file():
        raise RobotFormatError(
            f"no bundled robot named {name!r} and no such file; bundled robots: {', '.join(list_robots())}",
            path=name,
        )
    return path


def load(name_or_path: str | os.PathLike, *, base: str | None = None, tip: str | None = None) -> Robot:
    """Load a robot: a bundled name (``"puma560"``), a YAML file, or a URDF file.

    Args:
        name_or_path: A bundled robot's name (see :func:`list_robots`) or a path to a ``.yaml``/``.yml`` or
            ``.urdf`` file.
        base: URDF only: the link the chain starts at (default: the root link).
        tip: URDF only: the link the chain ends at (default: the only leaf link).

    Returns:
        The validated, compiled :class:`~robokin.model.Robot`.

    Raises:
        RobotFormatError: a missing file, an unknown name, or a malformed description (with FILE:LINE:COL).
    """
    text = os.fspath(name_or_path)
    path = Path(text)
    if path.suffix.lower() in _URDF_SUFFIXES:
        from .urdf import load_urdf

        return load_urdf(path, base=base, tip=tip)
    if base is not None or tip is not None:
        raise RobotFormatError("base= and tip= apply to URDF files only", path=text)
    from .format import load_yaml

    if path.suffix.lower() in (".yaml", ".yml") or os.path.lexists(text) or os.sep in text or "/" in text:
        return load_yaml(path)  # a missing file, a directory or a device is refused there, by its name
    return load_yaml(bundled_path(text))
