"""Finding robot files: bundled robots by name, YAML and URDF files by path."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from . import validation
from .errors import RobotFormatError
from .model import Robot

__all__ = ["load", "list_robots", "bundled_path"]

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
        OptionError: ``name_or_path`` is not a str or an ``os.PathLike`` (e.g. None, bytes, a Robot).
        RobotFormatError: a missing file, an unknown name, or a malformed description (with FILE:LINE:COL).
    """
    text = validation.file_path(name_or_path, "name_or_path", "a bundled robot name or a file path")
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
