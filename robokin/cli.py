"""The ``robokin`` command: subcommands over the public API; ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import spatial
from .errors import RobokinError, ShapeError
from .loading import list_robots, load
from .model import Robot

__all__ = ["main"]

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    def register(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS[name] = func
        return func

    return register


# ----------------------------------------------------------------------------------------- helpers
# From this magnitude on numbers are printed in exponent form (a target at 1e200 m printed 200 digits).
FIXED_POINT_BELOW = 1e9


def _fmt(x: float, width: int = 9, digits: int = 4) -> str:
    if abs(float(x)) >= FIXED_POINT_BELOW:
        return f"{float(x):{width}.{digits}e}"
    return f"{round(float(x), digits) + 0.0:{width}.{digits}f}"  # + 0.0 turns -0.0 into 0.0


def _matrix(M: np.ndarray, digits: int = 4) -> str:
    return "\n".join("  [" + " ".join(_fmt(v, digits + 5, digits) for v in row) + "]" for row in M)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A plain-text table whose columns are as wide as their widest cell (headers never cut).

    ``align`` has one character per column, ``"<"`` or ``">"`` (default: left for the first column, right
    for the others).
    """
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    align = align or "<" + ">" * (len(header) - 1)
    return "\n".join(
        "  " + "  ".join(f"{str(c):{a}{w}}" for c, a, w in zip(row, align, widths)).rstrip() for row in [header, *rows]
    )


def _add_robot(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """The ROBOT argument (``--robot`` when it has a default) and the URDF chain choice (--base, --tip)."""
    if default is None:
        p.add_argument("robot", help=ROBOT_HELP)
    else:
        p.add_argument("--robot", default=default, help=f"{ROBOT_HELP} (default: {default})")
    p.add_argument("--base", metavar="LINK", help="URDF only: the link the chain starts at (default: the root link)")
    p.add_argument(
        "--tip",
        metavar="LINK",
        help="URDF only: the link the chain ends at (default: the only leaf; `robokin info FILE.urdf` "
        "lists the leaves)",
    )


def _load(args: argparse.Namespace) -> Robot:
    return load(args.robot, base=args.base, tip=args.tip)


def _in_user_units(robot: Robot, q: np.ndarray) -> np.ndarray:
    """``q`` with revolute entries in degrees (prismatic ones stay in metres)."""
    return np.where(np.array(robot.joint_types) == "revolute", np.degrees(q), q)


def _q_text(robot: Robot, q: np.ndarray) -> str:
    """``q`` as the CLI shows it: :func:`robokin.singularity.q_text` (revolute in degrees, prismatic in metres)."""
    from .singularity import q_text

    return q_text(robot.joint_types, q)


def _outside_limits(robot: Robot, q: np.ndarray, what: str, deg: bool) -> str | None:
    """A sentence naming the joints of ``q`` outside their limits (with a ``--deg`` hint), or None."""
    lo, hi = robot.limits[:, 0], robot.limits[:, 1]
    bad = np.flatnonzero((q < lo) | (q > hi))
    if not bad.size:
        return None
    revolute = np.array(robot.joint_types) == "revolute"
    parts = []
    for i in bad:
        unit = "deg" if revolute[i] else "m"
        with np.errstate(over="ignore"):  # (1e308 rad is inf deg: said as such, without NumPy's warning)
            value, low, high = ((np.degrees(v) if revolute[i] else v) for v in (q[i], lo[i], hi[i]))
        parts.append(f"{robot.joint_names[i]} = {value:.4g} {unit} (limits [{low:.4g}, {high:.4g}] {unit})")
    text = f"{what} is outside the joint limits: " + "; ".join(parts)
    as_deg = np.where(revolute, np.radians(q), q)
    if not deg and revolute[bad].all() and not ((as_deg < lo) | (as_deg > hi)).any():
        text += ". These look like degrees: add --deg"
    return text


def _joint_values(
    robot: Robot, values: Sequence[str], deg: bool, what: str = "Q", *, strict: bool = False
) -> np.ndarray:
    """Joint values from the command line: n numbers, or the name of a configuration of the robot.

    With ``deg`` the revolute entries are taken in degrees (prismatic ones stay in metres). Values outside the
    joint limits are an error when ``strict`` (a motion would drive the arm there), else a warning on stderr.
    """
    if len(values) == 1 and values[0] in robot.configurations:
        return np.array(robot.configurations[values[0]])
    try:
        q = np.array([float(v) for v in values])
    except ValueError:
        names = ", ".join(robot.configurations) or "none"
        raise RobokinError(
            f"{what} must be {robot.n} numbers or a configuration name (configurations: {names}); got {values}"
        ) from None
    if q.shape != (robot.n,):
        raise RobokinError(
            f"{what} needs {robot.n} values for {robot.name} ({', '.join(robot.joint_names)}), got {len(q)}"
        )
    if not np.isfinite(q).all():
        raise RobokinError(f"{what} must be finite numbers, got {values}")
    if deg:
        q = np.where(np.array(robot.joint_types) == "revolute", np.radians(q), q)
    from .kinematics import fk_all

    try:
        with np.errstate(all="ignore"):
            fk_all(robot, q)
    except ShapeError:  # the library's overflow rule; said here in the command line's words
        raise RobokinError(
            f"{what} = {values} puts frames of {robot.name} beyond the largest float [m]: their poses overflow "
            "(check the units of the prismatic joints)"
        ) from None
    problem = _outside_limits(robot, q, what, deg)
    if problem is not None:
        if strict:
            raise RobokinError(problem)
        print(f"robokin: warning: {problem}", file=sys.stderr)
    return q


def _rpy_angles(values: npt.ArrayLike, deg: bool, what: str) -> np.ndarray:
    """Roll, pitch, yaw ``(..., 3)`` [rad] from the command line (degrees with ``--deg``).

    Angles beyond a whole turn without ``--deg`` are taken as given (any angle is a rotation) with a warning on
    stderr that they look like degrees.
    """
    rpy = np.array(values, dtype=float)
    if deg:
        return np.radians(rpy)
    if (np.abs(rpy) > 2 * np.pi).any():
        print(
            f"robokin: warning: {what} {' '.join(f'{v:g}' for v in rpy.ravel())} has angles beyond a whole turn "
            "(2 pi rad); they look like degrees: add --deg",
            file=sys.stderr,
        )
    return rpy


def _pose_text(T: np.ndarray, link: str = "tool") -> str:
    rpy = spatial.matrix_to_rpy(T[:3, :3])
    return "\n".join(
        [
            f"T_world_{link} =",
            _matrix(T),
            "xyz [m]   = " + " ".join(_fmt(v) for v in T[:3, 3]),
            "rpy [rad] = " + " ".join(_fmt(v) for v in rpy),
            "rpy [deg] = " + " ".join(_fmt(v, 9, 2) for v in np.degrees(rpy)),
        ]
    )


def _jacobian_text(robot: Robot, J: np.ndarray, frame: str) -> str:
    header = ["", *robot.joint_names]
    labels = ["vx", "vy", "vz", "wx", "wy", "wz"]
    rows = [[lab, *(_fmt(v, 0) for v in row)] for lab, row in zip(labels, J)]
    return f"J ({frame} frame; rows [v; ω]: m/s and rad/s per unit joint rate) =\n" + _table(header, rows)


def _limit_text(joint_type: str, value: float) -> str:
    if not np.isfinite(value):
        return "-inf" if value < 0 else "inf"
    return _fmt(np.degrees(value), 0, 1) if joint_type == "revolute" else _fmt(value, 0, 3)


def _geometry_tables(robot: Robot) -> str:
    """The geometry of every joint as RTB's ``print(robot)`` shows it: a DH/MDH table and an origin table.

    Lengths in metres, angles in degrees.
    """
    dh_rows, origin_rows = [], []
    for joint in robot.joints:
        kind = {"revolute": "R", "prismatic": "P", "fixed": "fixed"}[joint.type]
        if joint.dh is not None:  # the "dh" and "mdh" forms
            a, alpha, d, theta = joint.dh
            theta_text = ("q + " if joint.type == "revolute" else "") + _fmt(np.degrees(theta), 0, 4)
            d_text = ("q + " if joint.type == "prismatic" else "") + _fmt(d, 0, 6)
            dh_rows.append(
                [joint.name, kind, joint.form, _fmt(a, 0, 6), _fmt(np.degrees(alpha), 0, 4), d_text, theta_text]
            )
        elif joint.origin is not None:
            xyz = " ".join(_fmt(v, 0, 6) for v in joint.origin.xyz)
            rpy = " ".join(_fmt(v, 0, 4) for v in np.degrees(joint.origin.rpy))
            axis = " ".join(f"{v:.4g}" for v in joint.axis) if joint.moving else "-"
            origin_rows.append([joint.name, kind, xyz, rpy, axis])
    parts = []
    if dh_rows:
        parts.append(
            "Denavit-Hartenberg parameters (dh: standard, mdh: modified/Craig), lengths in m, angles in deg:\n"
            + _table(["joint", "type", "form", "a [m]", "alpha [deg]", "d [m]", "theta [deg]"], dh_rows, "<<<>>>>")
        )
    if origin_rows:
        parts.append(
            "origin (URDF-style) parameters: the origin, then the motion about/along the axis:\n"
            + _table(["joint", "type", "xyz [m]", "rpy [deg]", "axis"], origin_rows, "<<>>>")
        )
    return "\n\n".join(parts)


# ----------------------------------------------------------------------------------------- commands
# Abbreviations whose period ends no sentence.
_ABBREVIATIONS = ("i.e", "e.g", "etc", "vs", "cf", "approx", "no")


def first_sentence(text: str) -> str:
    """The first sentence of ``text``, without its period: up to the first ``". "`` outside parentheses that
    does not end an abbreviation (``i.e.``, ``e.g.``, ...); the whole text when there is none."""
    depth = 0
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if c == "." and depth <= 0 and text[i + 1 : i + 2].isspace():
            words = text[:i].split()
            if not words or words[-1].lower() not in _ABBREVIATIONS:
                return text[:i]
    return text.rstrip(".")


@_command("list")
def _cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for name in list_robots():
        robot = load(name)
        kinds = "".join("R" if t == "revolute" else "P" for t in robot.joint_types)
        first = first_sentence(robot.description)  # what the arm is
        rows.append([name, str(robot.n), kinds, first])
    print(_table(["name", "n", "joints", "description"], rows, "<><<"))
    return 0


def _is_urdf(name: str) -> bool:
    return name.lower().endswith((".urdf", ".xacro"))


@_command("info")
def _cmd_info(args: argparse.Namespace) -> int:
    if _is_urdf(args.robot) and args.tip is None:
        from .urdf import describe_urdf

        described = describe_urdf(args.robot)
        if len(described.leaves) != 1:
            print(described)
            print("\nchoose a chain with --tip LINK (and --base LINK) to see its joints")
            return 0
    robot = _load(args)
    print(f"{robot.name}: {robot.description}")
    print(f"n = {robot.n} joint variables ({len(robot.joints)} joints in the file)")
    print(f"source: {robot.source or '(none given)'}")
    print()
    rows = []
    k = 0
    for joint in robot.joints:
        if joint.mimic is not None:
            m = joint.mimic
            rows.append(
                [
                    "-",
                    joint.name,
                    joint.type,
                    joint.form,
                    f"mimic: {m.multiplier:g} x {m.joint} + {m.offset:g}",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        elif joint.moving:
            unit = "deg" if joint.type == "revolute" else "m"
            lo, hi = (_limit_text(joint.type, v) for v in joint.limits)
            speed = (
                "-"
                if joint.velocity is None
                else (
                    _fmt(np.degrees(joint.velocity), 0, 1) if joint.type == "revolute" else _fmt(joint.velocity, 0, 3)
                )
            )
            rows.append(
                [
                    str(k),
                    joint.name,
                    joint.type,
                    joint.form,
                    lo,
                    hi,
                    unit,
                    speed,
                    "" if joint.velocity is None else unit + "/s",
                ]
            )
            k += 1
        else:
            rows.append(["-", joint.name, "fixed", joint.form, "", "", "", "", ""])
    print(_table(["#", "joint", "type", "form", "lower", "upper", "unit", "max speed", ""], rows, "><<<>><><"))
    print()
    print(_geometry_tables(robot))
    for label, origin in (("base", robot.base), ("tool", robot.tool)):
        if not origin.is_identity:
            print(
                f"\n{label}: xyz [m] = "
                + " ".join(_fmt(v, 0) for v in origin.xyz)
                + ", rpy [deg] = "
                + " ".join(_fmt(v, 0, 2) for v in np.degrees(origin.rpy))
            )
    if not robot.serial:
        print("\n" + _tree_text(robot))
    if robot.configurations:
        print("\nconfigurations (deg for revolute, m for prismatic joints):")
        rows = [[name, *(f"{v:.4g}" for v in _in_user_units(robot, q))] for name, q in robot.configurations.items()]
        print(_table(["name", *robot.joint_names], rows))
    return 0


def _tree_text(robot: Robot) -> str:
    """The frame tree, one frame a line, indented by depth; end effectors marked."""
    tree = robot.tree
    depth = np.zeros(len(tree.names), dtype=int)
    for f in tree.order:
        depth[f] = depth[tree.parent[f]] + 1
    if robot.default_link is not None:
        default = f"link = {robot.default_link} unless --link says otherwise"
    else:
        default = "no default link: pass --link FRAME (e.g. an end effector)"
    lines = [
        f"frame tree ({len(tree.names)} frames, end effectors marked *; {default}):",
        f"  {tree.names[0]}  (root)",
    ]
    for f in tree.order:
        element = tree.elements[f]
        kind = getattr(element, "type", "frame")
        if getattr(element, "mimic", None) is not None:
            kind += f", mimics {element.mimic.joint}"
        elif tree.variable[f] >= 0:
            kind += f", q[{tree.variable[f]}]"
        mark = " *" if tree.names[f] in robot.end_effectors else ""
        lines.append(f"  {'  ' * depth[f]}{tree.names[f]}  ({kind}){mark}")
    return "\n".join(lines)


def _require_link(robot: Robot, link: Any) -> None:
    """A command-line error when ``--link`` is missing and ``robot`` has several end effectors (no default).

    The library's message says ``link=``; this one names the option and the end effectors to choose from.
    """
    if link is None and robot.default_link is None:
        raise RobokinError(
            f"robot {robot.name!r} has {len(robot.end_effectors)} end effectors "
            f"({', '.join(robot.end_effectors)}): choose one with --link FRAME "
            f"(`robokin info {robot.name}` shows every frame)"
        )


def _links(robot: Robot, args: argparse.Namespace) -> tuple[str, ...]:
    """The frames of ``--link`` (repeatable), or the robot's default link; an error naming the frames otherwise."""
    from .singularity import task_links

    _require_link(robot, args.link)
    return task_links(robot, args.link)


@_command("fk")
def _cmd_fk(args: argparse.Namespace) -> int:
    robot = _load(args)
    q = _joint_values(robot, args.q, args.deg)
    links = _links(robot, args)
    shown = f"q = {_q_text(robot, q)}" if args.deg else "q [rad/m] = " + np.array2string(q, precision=4)
    for k, (link, T) in enumerate(zip(links, robot.fk(q, link=list(links)))):
        print(("\n" if k else "") + f"{robot.name}, {shown}, link = {link}")
        print(_pose_text(T, link))
    return 0


@_command("jacobian")
def _cmd_jacobian(args: argparse.Namespace) -> int:
    robot = _load(args)
    q = _joint_values(robot, args.q, args.deg)
    shown = f"q = {_q_text(robot, q)}" if args.deg else "q [rad/m] = " + np.array2string(q, precision=4)
    for k, link in enumerate(_links(robot, args)):
        J = robot.jacobian(q, frame=args.frame, method=args.method, link=link)
        print(("\n" if k else "") + f"{robot.name}, {shown}, method = {args.method}, link = {link}")
        print(_jacobian_text(robot, J, args.frame))
    return 0


@_command("check")
def _cmd_check(args: argparse.Namespace) -> int:
    import warnings

    from .errors import PlausibilityWarning

    failed = 0
    for path in args.files:
        try:
            if _is_urdf(path) and args.tip is None:
                from .urdf import describe_urdf

                described = describe_urdf(path)
                leaves = ", ".join(leaf.link for leaf in described.leaves)
                with warnings.catch_warnings(record=True) as caught:  # the units of the whole tree, when it loads
                    warnings.simplefilter("always", PlausibilityWarning)
                    with contextlib.suppress(RobokinError):  # (e.g. a planar joint off every arm: described only)
                        load(path)
                implausible = [str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning)]
                for text in implausible:
                    print(f"warning: {text}")
                failed += bool(implausible)
                print(
                    f"{path}: {'implausible' if implausible else 'ok'} (URDF robot {described.name!r}, "
                    f"{len(described.links)} links, {len(described.joints)} joints; leaves, moving chains first: "
                    f"{leaves})"
                )
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PlausibilityWarning)
                robot = load(path, base=args.base, tip=args.tip)
        except RobokinError as exc:
            print(str(exc))
            failed += 1
            continue
        implausible = [str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning)]
        for text in implausible:
            print(f"warning: {text}")
        failed += bool(implausible)
        print(
            f"{path}: {'implausible' if implausible else 'ok'} ({robot.name}, n = {robot.n}, "
            f"{len(robot.joints)} joints)"
        )
    return 1 if failed else 0


# The demo's IK targets: poses of configurations sampled in a box of ± DEMO_SPREAD of each joint's range
# around the start (clipped to the limits), kept only where σmin/σmax of the unit-free task Jacobian is at
# least DEMO_MIN_INVERSE_CONDITION (well away from singularities), chosen far apart from each other.
DEMO_TARGETS = 3
DEMO_SPREAD = 0.3
DEMO_CANDIDATES = 256
DEMO_MIN_INVERSE_CONDITION = 0.05  # the animation draws red links below this (viz.NEAR_SINGULAR)


def demo_targets(
    robot: Robot, q_start: np.ndarray, count: int = DEMO_TARGETS, seed: int = 0, link: str | None = None
) -> np.ndarray:
    """Joint configurations ``(count, n)`` whose poses of ``link`` (default: the tool) make good IK targets.

    Configurations are drawn (seeded) inside the joint limits near ``q_start``; those within
    ``DEMO_MIN_INVERSE_CONDITION`` of a singularity (of ``link``'s task) are dropped; of the rest, ``count``
    whose positions of ``link`` lie far from the start and from each other are taken (farthest-point order).
    Every target is therefore reachable inside the limits and well conditioned, for any arm.
    """
    from .singularity import inverse_condition

    rng = np.random.default_rng(seed)
    lo, hi = robot.sampling_bounds.T
    half = DEMO_SPREAD * (hi - lo)
    Q = np.clip(q_start + rng.uniform(-1.0, 1.0, (DEMO_CANDIDATES, robot.n)) * half, lo, hi)
    ic = inverse_condition(robot, Q, link=link)
    good = Q[ic >= DEMO_MIN_INVERSE_CONDITION]
    if good.shape[0] < count:  # an arm that is ill-conditioned near its start: the best-conditioned ones
        good = Q[np.argsort(ic)[::-1][: max(count, 1)]]
    p = robot.fk(good, link=link)[:, :3, 3]
    chosen: list[int] = []
    nearest = np.linalg.norm(p - robot.fk(q_start, link=link)[:3, 3], axis=-1)
    for _ in range(count):
        k = int(np.argmax(nearest))
        chosen.append(k)
        nearest = np.minimum(nearest, np.linalg.norm(p - p[k], axis=-1))
    return good[chosen]


def demo_solutions(
    robot: Robot, q_start: np.ndarray, seed: int = 0, link: str | None = None
) -> tuple[np.ndarray, list]:
    """The demo's IK: targets ``(k, 4, 4)`` of ``link`` from :func:`demo_targets`, each solved from the previous
    answer.

    Returns:
        The target poses and the :class:`~robokin.ik.IKResult` of each (from the public ``ik.solve``).
    """
    from . import ik

    T_targets = robot.fk(demo_targets(robot, q_start, seed=seed, link=link), link=link)
    results, q = [], q_start
    for T_target in T_targets:
        result = ik.solve(robot, T_target, q, seed=seed, link=link)
        results.append(result)
        if result.success:
            q = np.array(result.q)
    return T_targets, results


def start_configuration(robot: Robot) -> tuple[str | None, np.ndarray]:
    """The configuration commands start from: "ready", else the robot's first named one, else mid-range."""
    name = "ready" if "ready" in robot.configurations else next(iter(robot.configurations), None)
    if name:
        return name, np.array(robot.configurations[name])
    lo, hi = robot.sampling_bounds.T
    return None, 0.5 * (lo + hi)


def demo_start(robot: Robot, link: str | None = None, seed: int = 0) -> tuple[str | None, np.ndarray, str]:
    """The demo's start: well conditioned (σmin/σmax of ``link``'s task ≥ ``DEMO_MIN_INVERSE_CONDITION``).

    :func:`start_configuration` when it is; else the robot's first named configuration that is; else (every
    named one near a singularity, e.g. the Stanford arm's, whose wrist is straight in both) the configuration
    nearest it (in fractions of each joint's range) among ``DEMO_CANDIDATES`` drawn (seeded) in a box of
    ± ``DEMO_SPREAD`` of the ranges around it that are, or the best conditioned of them when none is.

    Returns:
        The name of the start (None when it is not a named configuration), its ``(n,)`` joint values
        [rad, m], and a sentence saying why it is not :func:`start_configuration`'s ("" when it is).
    """
    from .singularity import inverse_condition

    name, q = start_configuration(robot)
    ic = float(inverse_condition(robot, q, link=link))
    if ic >= DEMO_MIN_INVERSE_CONDITION:
        return name, q, ""
    first = f"configuration {name!r}" if name else "the middle of the joint ranges"
    why = f"{first} is near a singularity (σmin/σmax = {ic:.3f} < {DEMO_MIN_INVERSE_CONDITION})"
    for other, q_other in robot.configurations.items():
        if float(inverse_condition(robot, q_other, link=link)) >= DEMO_MIN_INVERSE_CONDITION:
            return other, np.array(q_other), f"{why}: the demo starts from {other!r}"
    lo, hi = robot.sampling_bounds.T
    span = np.where(hi > lo, hi - lo, 1.0)
    rng = np.random.default_rng(seed)
    Q = np.clip(q + rng.uniform(-1.0, 1.0, (DEMO_CANDIDATES, robot.n)) * DEMO_SPREAD * span, lo, hi)
    ic_Q = inverse_condition(robot, Q, link=link)
    good = ic_Q >= DEMO_MIN_INVERSE_CONDITION
    if good.any():
        distance = np.where(good, np.linalg.norm((Q - q) / span, axis=-1), np.inf)
        k = int(np.argmin(distance))
    else:
        k = int(np.argmax(ic_Q))
    return None, Q[k], f"{why}: the demo starts from a well-conditioned configuration near it"


def _check_out(out: str, formats: Sequence[str], what: str) -> None:
    """Fail before any work when ``out`` cannot be written: a bad suffix, a directory, a missing folder."""
    from pathlib import Path

    path = Path(out)
    if path.is_dir():
        raise RobokinError(f"cannot write {out}: it is a directory; give a file name ending in {', '.join(formats)}")
    if path.suffix.lower() not in formats:
        raise RobokinError(
            f"cannot write {out}: {what} must be a file name ending in {', '.join(formats)} "
            f"(got {'no suffix' if not path.suffix else repr(path.suffix)})"
        )
    check_folder(out)


def check_folder(out: str) -> None:
    """Fail before any work when the folder ``out`` goes in is missing or takes no new file (a folder this user
    may not write, a read-only mount, ``/proc``): one empty file is made there and removed, the only test that
    holds for every user (``os.access`` says yes to root everywhere)."""
    import tempfile
    from pathlib import Path

    folder = Path(out).absolute().parent
    if not folder.is_dir():
        raise RobokinError(f"cannot write {out}: the folder {folder} does not exist")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise RobokinError(f"cannot write {out}: the folder {folder} takes no new file ({exc.strerror})") from None


def _check_animation_out(out: str) -> None:
    from .viz import SAVE_FORMATS, check_writer

    _check_out(out, SAVE_FORMATS, "the animation")
    check_writer(out)  # an .mp4 without ffmpeg: said before the work, not after it


# Picture files the CLI writes (matplotlib's raster and vector formats people use).
PICTURE_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def _save_animation(viz: Any, anim: Any, out: str) -> None:
    """Write ``anim`` to ``out`` and say where it went, how big it is and how long it took."""
    import time
    from pathlib import Path

    path = Path(out)
    start = time.perf_counter()
    try:
        viz.save(anim, path)
    except OSError as exc:
        raise RobokinError(f"cannot write {out}: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - start
    width, height = (anim.ax.figure.get_size_inches() * 80).round().astype(int)
    print(
        f"wrote {path.resolve()} ({anim.n_frames} frames at {anim.fps:.3g} fps, {width}x{height} px, "
        f"{path.stat().st_size / 1024:.0f} kB) in {seconds:.1f} s"
    )


def _save_figure(fig: Any, out: str) -> None:
    try:
        fig.savefig(out, dpi=120)
    except OSError as exc:
        raise RobokinError(f"cannot write {out}: {exc.strerror or exc}") from None


@_command("demo")
def _cmd_demo(args: argparse.Namespace) -> int:
    from . import singularity, trajectory, viz

    _check_animation_out(args.out)
    robot = _load(args)
    print(f"robokin demo: {robot!r} — {robot.description}")
    print(f"source: {robot.source}\n")
    # The frame the demo drives: --link, the robot's one end effector, else (a tree with several) the first.
    link = robot.resolve_link(args.link or robot.default_link or robot.end_effectors[0])
    if args.link is None and robot.default_link is None:
        print(
            f"{robot.name} has {len(robot.end_effectors)} end effectors ({', '.join(robot.end_effectors)}): "
            f"the demo drives {link} (--link FRAME to choose another)\n"
        )
    name, q, why = demo_start(robot, link, seed=args.seed)
    if why:
        print(why)
    print(
        f"Forward kinematics at {f'configuration {name!r}' if name else 'the start' if why else 'the middle of the joint ranges'}, "
        f"q = {_q_text(robot, q)}"
    )
    T = robot.fk(q, link=link)
    print(_pose_text(T, link))
    print()
    J = robot.jacobian(q, link=link)
    print(_jacobian_text(robot, J, "world"))
    worst = np.abs(robot.jacobian(q, method="numeric", link=link) - J).max()
    print(f"\nlargest difference analytic vs central differences: {worst:.1e}")

    # Inverse kinematics: poses of well-conditioned configurations inside the limits, each solve seeded from
    # the previous answer (not from the configuration the pose came from).
    T_targets, results = demo_solutions(robot, q, seed=args.seed, link=link)
    print(
        f"\nInverse kinematics: {len(T_targets)} targets, poses of configurations inside the limits with "
        f"σmin/σmax ≥ {DEMO_MIN_INVERSE_CONDITION} (away from singularities); each solve starts from the "
        "previous answer"
    )
    rows, waypoints, solved = [], [q], 0
    for k, (T_target, result) in enumerate(zip(T_targets, results), 1):
        ic = float(singularity.inverse_condition(robot, result.q, link=link))
        solved += bool(result.success)
        rows.append(
            [
                str(k),
                ", ".join(f"{v:.3f}" for v in T_target[:3, 3]),
                "yes" if result.success else "NO",
                f"{float(result.position_error):.1e}",
                f"{float(result.rotation_error):.1e}",
                str(int(result.iterations)),
                f"{ic:.3f}",
            ]
        )
        if result.success:
            waypoints.append(np.array(result.q))
    print(
        _table(
            ["#", "target x, y, z [m]", "reached", "|Δp| [m]", "|Δθ| [rad]", "iterations", "σmin/σmax"], rows, "><<>>>>"
        )
    )
    print(f"reached {solved} of {len(T_targets)} targets")
    waypoints.append(q)

    # The motion: through the solutions and back, blended at the waypoints, within the speed limits.
    path = trajectory.blended_through(robot, np.array(waypoints), dt=1.0 / args.fps)
    if args.frames is not None:  # fewer frames: samples spread over the whole motion
        keep = np.unique(np.linspace(0, len(path.t) - 1, args.frames).round().astype(int))
        path = trajectory.JointPath(t=path.t[keep], q=path.q[keep], qd=path.qd[keep], qdd=path.qdd[keep])
    anim = viz.animate(
        robot,
        path.q,
        fps=args.fps,
        ellipsoid=True,
        targets=T_targets[:, :3, 3],
        ax=viz.axes3d(offscreen=True),
        view=args.view,
        title=f"{robot.name}: IK targets, blended motion, velocity ellipsoid",
        link=link,
    )
    ic = anim.inverse_condition
    low = int(np.argmin(ic))
    print(
        f"\nMotion: through {len(waypoints) - 2} IK solutions and back in {path.t[-1]:.2f} s (blended at the "
        f"waypoints, within the joint speed limits), {len(path.q)} frames"
    )
    print(
        f"Singularities: smallest σmin/σmax of [v/L; ω] J along the motion = {ic[low]:.3f} at t = {path.t[low]:.2f} s "
        f"(warning below {viz.NEAR_SINGULAR}, singular below {singularity.SINGULAR_TOL:g})"
    )
    flagged = int(anim.near_singular.sum())
    if flagged:
        print(
            f"  near a singularity in {flagged} frames (drawn with red links and a NEAR SINGULARITY label); "
            "at the closest one:"
        )
        print("    " + str(singularity.analyze(robot, path.q[low], link=link)).replace("\n", "\n    "))
    else:
        print("  no singularity nearby")
    _save_animation(viz, anim, args.out)
    return 0 if solved == len(T_targets) else 1


@_command("animate")
def _cmd_animate(args: argparse.Namespace) -> int:
    from . import trajectory, viz

    _check_animation_out(args.out)
    if args.joints is not None:
        _check_out(args.joints, PICTURE_FORMATS, "--joints")
    robot = _load(args)
    watched = None if args.link is None else _links(robot, args)  # None: viz.watched_links' default
    if args.start is None:
        name, q0 = start_configuration(robot)
        start = f"configuration {name!r}" if name else "the middle of the joint ranges"
    else:
        q0 = _joint_values(robot, args.start, args.deg, "--from", strict=True)
        start = " ".join(args.start)
    duration = args.frames / args.fps
    fps = args.fps
    line_ends = None
    if args.to is not None:
        q1 = _joint_values(robot, args.to, args.deg, "--to", strict=True)
        shortest = float(trajectory.minimum_duration(robot, q0, q1, profile=args.profile))
        if shortest > duration:  # keep the frames, play them slower: the GIF shows the motion in real time
            duration = shortest
            fps = args.frames / duration
            print(
                f"{robot.name}: the joint speed limits need {shortest:.2f} s for this motion; its "
                f"{args.frames} frames play at {fps:.3g} fps (real time)"
            )
        make = trajectory.quintic if args.profile == "quintic" else trajectory.lspb
        path = make(robot, q0, q1, steps=args.frames, duration=duration)
        q_path = path.q
        print(f"{robot.name}: {args.profile} joint motion from {start} to {' '.join(args.to)} in {duration:.2f} s")
    else:
        _require_link(robot, args.link)
        mover = robot.resolve_link(None if watched is None else watched[0])  # the frame that follows the line
        T0 = robot.fk(q0, link=mover)
        T1 = T0.copy()
        T1[:3, 3] = args.line
        line = trajectory.cartesian_line(T0, T1, steps=args.frames, duration=duration)
        following = viz.progress_bar(f"following the line ({mover})", unit="poses")
        followed = trajectory.follow(robot, line.T, q0, link=mover, progress=following)
        q_path = followed.q
        path = trajectory.JointPath(
            t=line.t,
            q=q_path,
            qd=np.gradient(q_path, line.t, axis=0),
            qdd=np.gradient(np.gradient(q_path, line.t, axis=0), line.t, axis=0),
        )
        line_ends = np.stack([T0[:3, 3], T1[:3, 3]])
        watched = watched or (mover,)
        p = robot.fk(q_path, link=mover)[:, :3, 3]
        u = (T1[:3, 3] - T0[:3, 3]) / max(np.linalg.norm(T1[:3, 3] - T0[:3, 3]), 1e-12)
        off_line = p - T0[:3, 3] - ((p - T0[:3, 3]) @ u)[:, None] * u
        print(
            f"{robot.name}: straight line of {'the tool' if mover == 'tool' else mover} from ["
            + ", ".join(f"{v:.3f}" for v in T0[:3, 3])
            + "] to ["
            + ", ".join(f"{v:.3f}" for v in T1[:3, 3])
            + f"] m in {duration:.2f} s, orientation kept, "
            "by IK seeded from the previous step"
        )
        print(
            f"  largest distance of {'the tool' if mover == 'tool' else mover} from the line: "
            f"{np.linalg.norm(off_line, axis=-1).max():.2e} m; "
            f"largest joint step between frames: {np.degrees(float(followed.largest_step)):.2f} deg"
        )
        failed = int((~followed.success).sum())
        if failed:
            print(
                f"  warning: IK did not converge at {failed} of {args.frames} samples (the closest poses are shown); "
                f"largest position error {followed.position_error.max():.2e} m"
            )
    anim = viz.animate(
        robot,
        q_path,
        fps=fps,
        ellipsoid=args.ellipsoid,
        limits=args.limits,
        ax=viz.axes3d(offscreen=True),
        view=args.view,
        line=line_ends,
        link=watched,
    )
    low = int(np.argmin(anim.inverse_condition))
    print(
        f"  smallest σmin/σmax of [v/L; ω] J of {' + '.join(anim.links)}: {anim.inverse_condition[low]:.3f} "
        f"at frame {low + 1}"
        + (
            f"; {int(anim.near_singular.sum())} frames drawn with the NEAR SINGULARITY warning"
            if anim.near_singular.any()
            else ""
        )
    )
    _save_animation(viz, anim, args.out)
    if args.joints is not None:
        fig = viz.plot_joints(path, robot, offscreen=True)
        _save_figure(fig, args.joints)
        print(f"wrote {args.joints}: q, q̇ and q̈ against time with the joint limits")
    return 0


# matplotlib backends that draw to files only: `robokin teach` needs one that opens windows.
_FILE_BACKENDS = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")


@_command("teach")
def _cmd_teach(args: argparse.Namespace) -> int:
    robot = _load(args)
    q = _joint_values(robot, args.q, args.deg) if args.q else None
    import matplotlib.pyplot as plt

    backend = plt.get_backend()
    if backend.lower() in _FILE_BACKENDS:
        raise RobokinError(
            f"teach opens an interactive window, but matplotlib's backend is {backend!r} (no display found?). "
            "Run it on a desktop (or over `ssh -X`), or choose a GUI backend, e.g. MPLBACKEND=TkAgg or QtAgg"
        )
    from . import viz

    viz.teach(robot, q, link=None if args.link is None else _links(robot, args))
    print(f"{robot.name}: move the sliders; close the window to quit")
    plt.show()
    return 0


@_command("convert")
def _cmd_convert(args: argparse.Namespace) -> int:
    from .format import dumps

    robot = _load(args)
    text = dumps(robot, angle="deg" if args.deg else "rad", length="mm" if args.mm else "m", digits=args.digits)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as exc:
        raise RobokinError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}: {robot!r} ({len(robot.joints)} joints), source: {robot.source}")
    return 0


@_command("singular")
def _cmd_singular(args: argparse.Namespace) -> int:
    from . import singularity

    _singular_mode(args)
    if args.map is not None:
        _check_out(args.out, PICTURE_FORMATS, "--out")
    robot = _load(args)
    tol = singularity.SINGULAR_TOL if args.tol is None else args.tol
    links = _links(robot, args)
    if args.find:
        interactive = sys.stderr.isatty()

        def counter(iteration: int, total: int, converged: int) -> None:
            last = iteration >= total or converged >= args.starts
            if interactive or last:
                print(
                    f"{chr(13) if interactive else ''}searching: iteration {iteration}/{total}, "
                    f"{converged}/{args.starts} starts converged",
                    end="\n" if last else "",
                    file=sys.stderr,
                    flush=True,
                )

        found = singularity.find_singular(
            robot, starts=args.starts, seed=args.seed, tol=tol, progress=counter, link=links
        )
        print(found)
        return 0
    q = _joint_values(robot, args.q, args.deg) if args.q else None
    if args.map is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        smap = singularity.singularity_map(robot, tuple(args.map), q=q, resolution=args.resolution, tol=tol, link=links)
        ax = smap.plot()
        try:
            _save_figure(ax.figure, args.out)
        finally:
            plt.close(ax.figure)
        print(f"link = {' + '.join(links)}, other joints at q = {_q_text(robot, smap.q)}")
        print(
            f"wrote {args.out}: {smap.measure} over {smap.joint_names[0]} and {smap.joint_names[1]}, "
            f"{smap.values.shape[1]}x{smap.values.shape[0]} grid; red: the {int(smap.singular.sum())} singular "
            f"cells (σmin/σmax below {tol:g} or det J = 0 inside the cell)"
        )
        if smap.singular.all():  # the held joints alone make the task singular: an all-red picture says little
            print(
                f"note: every cell is singular: with the other joints held at q the task is singular whatever "
                f"{smap.joint_names[0]} and {smap.joint_names[1]} do (e.g. a wrist with its middle joint at 0); "
                f"`robokin singular {args.robot} Q` names the lost motion at Q; map at another Q or over other joints"
            )
        return 0
    if q is None:
        raise RobokinError(f"give Q ({robot.n} joint values or a configuration name), --find, or --map I J")
    report = singularity.analyze(robot, q, tol=tol, link=links)  # (before any output: a bad --tol is refused)
    print(f"{robot.name} at q = {_q_text(robot, q)}, link = {' + '.join(links)}")
    print(report)
    return 0


def _singular_mode(args: argparse.Namespace) -> None:
    """Refuses options of ``robokin singular`` that its mode (report at Q, --find or --map) would ignore, and
    fills in the defaults of the options it uses (a --out without --map wrote nothing, silently)."""
    if args.find and args.map is not None:
        raise RobokinError("give either --find or --map I J, not both")
    if args.find and args.q:
        raise RobokinError(f"--find searches from random starts and takes no Q (got {' '.join(args.q)})")
    for mode, active, options in (
        ("--find", args.find, ("starts", "seed")),
        ("--map I J", args.map is not None, ("resolution", "out")),
    ):
        given = [f"--{name}" for name in options if getattr(args, name) is not None]
        if given and not active:
            verb = "applies" if len(given) == 1 else "apply"
            raise RobokinError(f"{' and '.join(given)} {verb} to {mode} only; without it they would be ignored")
    args.starts = 64 if args.starts is None else args.starts
    args.seed = 0 if args.seed is None else args.seed
    args.resolution = 121 if args.resolution is None else args.resolution
    args.out = "singularity_map.png" if args.out is None else args.out


@_command("ik")
def _cmd_ik(args: argparse.Namespace) -> int:
    from . import ik

    robot = _load(args)
    if args.position_only and args.rpy is not None:
        raise RobokinError("--position-only leaves the orientation free; do not give --rpy with it")
    rpy = np.zeros(3) if args.rpy is None else _rpy_angles(args.rpy, args.deg, "--rpy")
    T_target = spatial.transform(spatial.rpy_to_matrix(rpy), np.array(args.xyz, dtype=float))
    q0 = _joint_values(robot, args.q0, args.deg, what="--q0") if args.q0 else None
    _require_link(robot, args.link)
    link = robot.resolve_link(args.link)
    if args.all:
        if args.rpy is None:
            raise RobokinError("--all lists the solutions of a full pose; give --rpy too")
        if robot.chain is None or link != robot.default_link:
            raise RobokinError(f"--all solves a serial arm's tool in closed form; --link {link} is not one")
        return _print_all_solutions(robot, T_target, q0)
    weights = ik.POSITION_ONLY if args.rpy is None else (1.0,) * 6
    options = ik.IKOptions(weights=weights)
    result = ik.solve(robot, T_target, q0, link=link, options=options, seed=args.seed)
    task = "position only (orientation free)" if args.rpy is None else "position and orientation"
    print(
        f"{robot.name}, link {link}: target xyz [m] = "
        + " ".join(_fmt(v) for v in args.xyz)
        + ("" if args.rpy is None else ", rpy [rad] = " + " ".join(_fmt(v) for v in rpy))
        + f"; task: {task}"
    )
    q = result.q
    print(f"{'solution' if result.success else 'no solution; closest pose found'}:")
    rows = [
        [name, f"{value:.5f}", f"{shown:.4f}"]
        for name, value, shown in zip(robot.joint_names, q, _in_user_units(robot, q))
    ]
    print(_table(["joint", "q [rad/m]", "q [deg/m]"], rows))
    tolerances = f"tolerances {ik.position_tolerance(robot, options):.3g} m, " + (
        "orientation free" if args.rpy is None else f"{options.rotation_tolerance:.3g} rad"
    )
    print(
        f"position error = {float(result.position_error):.3e} m, rotation error = "
        f"{float(result.rotation_error):.3e} rad ({tolerances})"
    )
    print(
        f"iterations = {int(result.iterations)}, starts tried = {int(result.restarts) + 1} (q0, then starts from "
        f"a seeded table and random ones, side by side), σmin/σmax at the answer = {float(result.inverse_condition):.3g}"
        + (" (near a singularity)" if result.near_singularity else "")
    )
    return 0 if result.success else 1


# ----------------------------------------------------------------------------------------- workspace
def _add_workspace_parser(sub: Any) -> None:
    p = sub.add_parser(
        "workspace",
        help="capability map (sampling) or IK reachability map (--ik) of a robot, in process or on a Dask cluster",
        description="Sample joint space, bin the tool poses into voxels x equal-area approach directions "
        "(the tool z axis) and record per voxel the samples, the fraction of directions reached and the "
        "best manipulability and sigma_min/sigma_max of the unit-free task Jacobian. With --ik, solve IK at "
        "every (voxel centre, direction) pose within reach instead (a reachability map; the poses a sampled "
        "map rules out are pruned first). The map is the same (bit for bit) in process or on a cluster.",
    )
    _add_robot(p)
    p.add_argument("--ik", action="store_true", help="an IK reachability map instead of a capability map")
    p.add_argument("--voxel", type=float, help="voxel edge [m] (default 0.02; 0.05 with --ik)")
    p.add_argument(
        "--samples",
        type=float,
        help="joint-space samples, e.g. 1e8 (default 1e6; with --ik, those of the pruning map, default 1e6)",
    )
    p.add_argument("--directions", type=int, help="approach-direction cells (default 288; 50 with --ik)")
    p.add_argument(
        "--method",
        default="auto",
        metavar="{auto,analytic,dls}",
        help="with --ik: auto (closed form where the arm has one, then damped least squares), analytic or dls "
        "(default auto)",
    )
    p.add_argument(
        "--place",
        nargs=6,
        type=_finite,
        action="append",
        metavar=("X", "Y", "Z", "R", "P", "Yaw"),
        help="base placement instead of a map: a target pose of the frame, position [m] and fixed-axis roll pitch "
        "yaw [rad, deg with --deg] (R = Rz(Yaw) Ry(P) Rx(R)); repeat for more targets. Scores bases on a grid by a "
        "capability map (default 5 cm x 50 directions, 1e6 samples) and checks the best by IK",
    )
    p.add_argument("--deg", action="store_true", help="the roll, pitch and yaw of --place in degrees")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p.add_argument("--link", help="the frame to map, e.g. one hand of a tree robot (default: the end effector)")
    p.add_argument(
        "--out",
        help="write the map to this file: .npz, or .zarr (a Zarr v2 store: a folder of compressed chunks, for large "
        "maps, read a slice at a time by robokin.workspace.open_map or by zarr/xarray)",
    )
    p.add_argument(
        "--plot",
        help="write a picture (slice heat map and 3-D view; base placement: the score map) to this file: "
        ".png, .pdf, .svg or .jpg",
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on the Dask cluster at tcp://HOST:8786 (needs robokin[dask])"
    )


@_command("workspace")
def _cmd_workspace(args: argparse.Namespace) -> int:
    import time

    from . import workspace
    from .workspace.engines import connect
    from .workspace.maps import save_path

    robot = _load(args)
    _require_link(robot, args.link)
    samples: Any = 1e6 if args.samples is None else args.samples  # an integral float; checked by the map
    ik_like = args.ik or args.place
    voxel = (0.05 if ik_like else 0.02) if args.voxel is None else args.voxel
    directions = (50 if ik_like else 288) if args.directions is None else args.directions
    if args.method != "auto" and not args.ik:
        raise RobokinError(f"--method {args.method} is for IK reachability maps: add --ik")
    if args.place and args.ik:
        raise RobokinError("--place scores bases with a capability map; do not give --ik with it")
    if args.deg and not args.place:
        raise RobokinError("--deg gives the angles of --place in degrees; a map takes no angles")
    if args.out:  # before the work, not after it
        save_path(args.out)
        check_folder(args.out)
    if args.plot:
        _check_out(args.plot, PICTURE_FORMATS, "--plot")
    client = connect(args.scheduler) if args.scheduler else None
    start, cpu = time.perf_counter(), time.process_time()
    common = {"voxel": voxel, "directions": directions, "link": args.link, "seed": args.seed, "engine": client}
    if args.place:
        try:
            return _place(robot, args, samples, common)
        finally:
            if client is not None:
                client.close()
    try:
        if args.ik:
            wmap: Any = workspace.reachability_map(robot, prune_samples=samples, method=args.method, **common)
        else:
            wmap = workspace.capability_map(robot, samples=samples, **common)
    finally:
        if client is not None:
            client.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    where = f"on {args.scheduler}" if args.scheduler else "in process"
    shape = "x".join(map(str, wmap.shape))
    grid_line = (
        f"grid {shape} voxels of {wmap.voxel} m from [{', '.join(f'{v:.3f}' for v in wmap.origin)}] m, "
        f"{wmap.directions} approach directions (tool z)"
    )
    if args.ik:
        attempted, solved = int(wmap.attempted.sum()), int(wmap.success.sum())
        reached = wmap.reachability > 0
        print(
            f"{robot.name} ({wmap.link}): IK reachability map ({args.method}) in {seconds:.1f} s {where} "
            f"({cpu:.1f} s CPU in this process; IK {wmap.seconds:.1f} s)"
        )
        print(grid_line + " with the roll about it fixed")
        print(
            f"poses: {wmap.success.size} on the grid, {attempted} attempted (the rest out of reach or ruled out "
            f"by the sampled map), {solved} solved; {int(reached.sum())} voxels reached "
            f"({reached.sum() * wmap.voxel**3:.3f} m^3), mean reachability index "
            f"{wmap.reachability[reached].mean() if reached.any() else 0.0:.3f}; best manipulability "
            f"{wmap.manipulability.max():.4g}"
        )
    else:
        reached = wmap.counts > 0
        print(
            f"{robot.name} ({wmap.link}): {wmap.samples:.3g} samples in {seconds:.1f} s {where} "
            f"({seconds / wmap.samples * 1e6:.2f} us per sample)"
        )
        print(grid_line)
        print(
            f"reached: {int(reached.sum())} voxels ({reached.sum() * wmap.voxel**3:.3f} m^3), "
            f"{wmap.pair_count} (voxel, direction) pairs; mean reachability index "
            f"{wmap.reachability[reached].mean() if reached.any() else 0.0:.3f}; best manipulability "
            f"{wmap.max_manipulability.max():.4g}, best sigma_min/sigma_max {wmap.max_inverse_condition.max():.4g}"
        )
    _write_map(
        wmap,
        args,
        (12, 5),
        lambda fig: (
            wmap.plot_slice(ax=fig.add_subplot(1, 2, 1)),
            wmap.plot_scatter(ax=fig.add_subplot(1, 2, 2, projection="3d")),
        ),
    )
    return 0


def _write_map(wmap: Any, args: argparse.Namespace, size: tuple[float, float], draw: Callable[[Any], Any]) -> None:
    """Save ``wmap`` to ``--out`` and ``draw(figure)`` to ``--plot``, each when given (RobokinError if unwritable)."""
    if args.out:
        wmap.save(args.out)
        print(f"wrote {args.out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size)
        draw(fig)
        try:
            fig.savefig(args.plot, dpi=110)
        except OSError as exc:
            raise RobokinError(f"cannot write {args.plot}: {exc.strerror or exc}") from None
        finally:
            plt.close(fig)
        print(f"wrote {args.plot}")


def _place(robot: Robot, args: argparse.Namespace, samples: Any, common: dict[str, Any]) -> int:
    """``robokin workspace ROBOT --place ...``: base placement of the targets; exit 1 if the best base misses one."""
    import time

    from . import workspace

    values = np.array(args.place, dtype=float)  # (K, 6)
    rpy = _rpy_angles(values[:, 3:], args.deg, "--place")
    T_targets = spatial.transform(spatial.rpy_to_matrix(rpy), values[:, :3])
    start, cpu = time.perf_counter(), time.process_time()
    bp = workspace.base_placement(robot, T_targets, samples=samples, **common)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    K = T_targets.shape[0]
    print(
        f"{robot.name} ({bp.link}): base placement of {K} target(s) in {seconds:.1f} s ({cpu:.1f} s CPU), "
        f"capability map of {float(samples):.3g} samples at {common['voxel']} m x {common['directions']} directions; "
        f"{bp.reached.size} candidate bases (x, y, yaw), the {bp.verified} best by the map solved by IK"
    )
    for B, reached, score in zip(bp.best, bp.best_reached, bp.best_score):
        yaw = np.arctan2(B[1, 0], B[0, 0])
        print(
            f"  base at [{B[0, 3]:.3f}, {B[1, 3]:.3f}, {B[2, 3]:.3f}] m, yaw {yaw:+.3f} rad: {int(reached)}/{K} targets "
            f"by IK, map score {score:.4g}"
        )
    _write_map(bp, args, (6.5, 5.5), lambda fig: bp.plot(ax=fig.add_subplot()))
    return 0 if int(bp.best_reached[0]) == K else 1


def _print_all_solutions(robot: Robot, T_target: np.ndarray, q0: np.ndarray | None) -> int:
    """``robokin ik --all``: every closed-form solution as a table, revolute joints in degrees."""
    from . import ik

    family = ik.analytic_family(robot)
    if not family.applies:
        raise RobokinError(f"--all needs an analytic IK family; {robot.name} has none: {family.reason}")
    j = family.parameter_joint
    q_param = None if j is None or q0 is None else q0[j]
    if j is not None and q_param is not None and not robot.limits[j, 0] <= q_param <= robot.limits[j, 1]:
        raise RobokinError(
            f"--all holds the parameter joint {robot.joint_names[j]} at its --q0 value, {np.degrees(q_param):.4g} deg, "
            f"outside its limits [{np.degrees(robot.limits[j, 0]):.4g}, {np.degrees(robot.limits[j, 1]):.4g}] deg, "
            "where no solution can hold it (--deg reads --q0 in degrees; without --q0 a sweep over its range)"
        )
    sols = ik.solve_all(robot, T_target, q_param=q_param)
    print(f"{robot.name}: family {family.name}: {family.reason}")
    if j is not None:
        which = (
            f"= {_fmt(q_param)} rad (from --q0)"
            if q_param is not None
            else f"swept over {sols.q.shape[0] // family.solutions} values"
        )
        print(f"parameter: joint {robot.joint_names[j]} {which}")
    revolute = np.array(robot.joint_types) == "revolute"
    widths = [max(9, len(name)) for name in robot.joint_names]  # whole names: "shoulder_pan", "shoulder_lift"
    header = (
        "  #  "
        + " ".join(f"{name:>{w}}" for name, w in zip(robot.joint_names, widths))
        + "   pos err [m]  rot err [rad]"
    )
    rows = np.flatnonzero(sols.valid)
    if rows.size == 0:  # (the closed form does not tell the two apart)
        print("no solution: the target is out of reach, or every solution is outside the joint limits")
        return 1
    print("joint values [deg for revolute, m for prismatic]:")
    print(header)
    for k, i in enumerate(rows):
        values = np.where(revolute, np.degrees(sols.q[i]), sols.q[i])
        print(
            f"{k + 1:>3}  "
            + " ".join(f"{v:>{w}.3f}" for v, w in zip(values, widths))
            + f"   {sols.position_error[i]:>11.2e}  {sols.rotation_error[i]:>13.2e}"
        )
    print(f"{rows.size} solution{'s' if rows.size != 1 else ''} within the joint limits")
    return 0 if rows.size else 1


# ----------------------------------------------------------------------------------------- parser
def _finite(text: str) -> float:
    """argparse type of a coordinate or an angle: a finite number (``--line nan 0 0`` was refused later, in the
    library's words about ``T_goal``, after the work had begun)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _seed(text: str) -> int:
    """argparse type of ``--seed``: an integer >= 0, as ``numpy.random.default_rng`` takes (``demo --seed -1`` was
    NumPy's ValueError traceback)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _positive(text: str) -> float:
    """argparse type of a rate or a length: a finite number > 0 (``--fps 0`` is refused, not divided by)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _frame_count(text: str) -> int:
    """argparse type of ``--frames``: an integer from 2 (a motion has a first and a last frame) to
    :data:`robokin.viz.MAX_FRAMES`."""
    from .viz import MAX_FRAMES  # (viz imports matplotlib only when it draws)

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer from 2 to {MAX_FRAMES}, got {text!r}") from None
    if not 2 <= value <= MAX_FRAMES:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 2 (the first and the last frame) to {MAX_FRAMES}, got {text!r}"
        )
    return value


ROBOT_HELP = "a bundled robot name (see `robokin list`) or a path to a .yaml/.urdf file"
DEG_HELP = "joint values of revolute joints in degrees (prismatic ones stay in metres)"
Q_HELP = "joint values [rad, m; deg with --deg], or the name of one of the robot's configurations"


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="robokin",
        description="Robot arm kinematics from YAML and URDF robot files: forward and inverse kinematics, "
        "Jacobians, singularities, trajectories and animations. Units: metres and radians (degrees with --deg). "
        "`robokin COMMAND --help` describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"robokin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description)

    command(
        "list",
        "list the bundled robots",
        "A table of the bundled robots: name, number of joint variables, "
        "joint kinds (R revolute, P prismatic) and description. Each loads by name.",
    )

    link_help = (
        "a frame (default: the tool, or a tree's only end effector; see `robokin info ROBOT`); repeat for "
        "several frames"
    )
    p = command(
        "info",
        "joint table, geometry, limits and source of a robot",
        "A robot's joints (type, geometry form, limits in deg or m, speed limits), its geometry as a "
        "DH/MDH or origin table (lengths in m, angles in deg), base, tool and named configurations. "
        "For a URDF with several leaf links and no --tip: its links and leaves.",
    )
    _add_robot(p)

    p = command(
        "fk",
        "forward kinematics: the tool pose",
        "The pose T_world_tool of the tool at Q: the 4x4 "
        "matrix, the position [m] and fixed-axis roll-pitch-yaw [rad and deg].",
    )
    _add_robot(p)
    p.add_argument("q", nargs="+", help=Q_HELP)
    p.add_argument("--deg", action="store_true", help=DEG_HELP)
    p.add_argument("--link", action="append", metavar="FRAME", help=link_help + " (one pose each)")

    p = command(
        "jacobian",
        "the Jacobian, rows [v; ω]",
        "The geometric Jacobian at Q: rows vx vy vz (m/s) and "
        "wx wy wz (rad/s) per unit joint rate, one column per joint.",
    )
    _add_robot(p)
    p.add_argument("q", nargs="+", help=Q_HELP)
    p.add_argument("--deg", action="store_true", help=DEG_HELP)
    p.add_argument(
        "--frame",
        choices=["world", "tool", "local"],
        default="world",
        help="coordinates of the twist: the world frame (default) or the link's own (tool, local)",
    )
    p.add_argument("--link", action="append", metavar="FRAME", help=link_help + " (one Jacobian each)")
    p.add_argument(
        "--method",
        choices=["analytic", "forward", "reverse", "numeric"],
        default="analytic",
        help="how J is computed: closed form from the joint axes (default), forward- or reverse-mode "
        "automatic differentiation of fk, or central differences; all agree to ~1e-12",
    )

    p = command(
        "check",
        "validate robot files; exit 1 if any is malformed or implausible",
        "Load each file and report FILE:LINE:COL errors, or implausible values (link lengths that look "
        "like millimetres, limits that look like the wrong angle unit). A URDF is validated as a whole "
        "(every link and joint) and its leaf links are listed; --tip also checks that chain.",
    )
    p.add_argument("files", nargs="+", help="robot files (.yaml or .urdf)")
    p.add_argument("--base", metavar="LINK", help="URDF only: the link the chain starts at (default: the root link)")
    p.add_argument("--tip", metavar="LINK", help="URDF only: also check the chain ending at this link")

    p = command(
        "demo",
        "what a newcomer should see first: FK, Jacobian, IK, singularities, a GIF",
        "Forward kinematics and the Jacobian at the robot's start configuration ('ready', else its first named "
        "one; when that is near a singularity, the first named one that is not, else a configuration near it "
        "that is not), inverse kinematics for "
        "three targets inside its workspace (away from singularities), a motion through the solutions "
        "within the joint speed limits, a singularity check along it, and an animation. Exit 1 if a "
        "target was not reached.",
    )
    _add_robot(p, default="panda")
    p.add_argument(
        "--out", default="robokin-demo.gif", help="the animation to write, .gif or .mp4 (default: robokin-demo.gif)"
    )
    p.add_argument("--fps", type=_positive, default=20.0, help="frames per second of the animation (default 20)")
    p.add_argument(
        "--frames",
        type=_frame_count,
        help="at most this many frames, spread over the motion (default: one "
        "every 1/fps s of the motion: real time); a small number makes a quick demo",
    )
    p.add_argument("--seed", type=_seed, default=0, help="random seed of the targets and of IK restarts (default 0)")
    p.add_argument(
        "--link",
        metavar="FRAME",
        help="the frame the demo moves to its targets (default: the tool, or a tree's only end effector; on a "
        "robot with several, the first of them; see `robokin info ROBOT`)",
    )
    p.add_argument(
        "--view",
        nargs=2,
        type=_finite,
        metavar=("ELEV", "AZIM"),
        help="camera elevation and azimuth [deg] (default: chosen to show the motion)",
    )

    p = command(
        "convert",
        "write a robot (e.g. a URDF's chain) as a robokin YAML file",
        "Write the robot as robokin YAML (format 1): each joint in its geometry form; numbers rounded to "
        "--digits significant digits (what the source had, without float noise).",
    )
    _add_robot(p)
    p.add_argument("-o", "--output", help="the YAML file to write (default: print to standard output)")
    p.add_argument("--deg", action="store_true", help="write angles in degrees (units: {angle: deg})")
    p.add_argument("--mm", action="store_true", help="write lengths in millimetres (units: {length: mm})")
    p.add_argument(
        "--digits",
        type=int,
        default=12,
        help="significant digits of every number (default 12; 17 writes every float exactly)",
    )

    p = command(
        "singular",
        "singularity report at Q, search (--find) or map (--map I J)",
        "At Q: the singular values of the unit-free task Jacobian [v/L; ω] J, whether it is singular, "
        "the lost tool motions and the joint motions that do nothing. --find searches singular "
        "configurations; --map draws σmin/σmax over two joints with the singular set in red.",
    )
    _add_robot(p)
    p.add_argument("q", nargs="*", help=Q_HELP)
    p.add_argument("--deg", action="store_true", help=DEG_HELP)
    p.add_argument("--tol", type=float, help="singular when σmin/σmax of [v/L; ω] J is below this (default 1e-6)")
    p.add_argument(
        "--link",
        action="append",
        metavar="FRAME",
        help="the task: " + link_help + " (their Jacobians' rows stacked: singular when the frames cannot "
        "all move at once); for the report at Q, --find and --map",
    )
    p.add_argument("--find", action="store_true", help="search singular configurations from random starts")
    p.add_argument("--starts", type=int, help="--find: number of random starts (default 64)")
    p.add_argument("--seed", type=_seed, help="--find: random seed (default 0)")
    p.add_argument(
        "--map",
        nargs=2,
        type=int,
        metavar=("I", "J"),
        help="map σmin/σmax over joints I and J (0-based, as in `robokin info`), the other joints at Q",
    )
    p.add_argument("--resolution", type=int, help="--map: grid points per axis (default 121)")
    p.add_argument("--out", help="--map: the picture to write, .png/.pdf/.svg/.jpg (default singularity_map.png)")

    p = command(
        "animate",
        "animate a motion to a GIF/MP4: joint-space --to, or a tool --line",
        "Animate the arm from --from (default: its start configuration) to --to (a joint-space motion "
        "within the joint speed limits, slowed down if needed) or along a straight --line of the tool "
        "(IK at every frame). The camera frames the motion; --joints also plots q, q̇, q̈ against time.",
    )
    _add_robot(p)
    p.add_argument("--from", dest="start", nargs="+", metavar="Q", help="start: " + Q_HELP)
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--to", nargs="+", metavar="Q", help="goal: " + Q_HELP)
    goal.add_argument(
        "--line",
        nargs=3,
        type=_finite,
        metavar=("X", "Y", "Z"),
        help="goal point of the tool in the world [m]: a straight line, orientation kept (IK)",
    )
    p.add_argument("--out", default="arm.gif", help="file to write, .gif or .mp4 (default arm.gif)")
    p.add_argument("--fps", type=_positive, default=20.0, help="frames per second (default 20)")
    p.add_argument("--frames", type=_frame_count, default=60, help="number of frames, at least 2 (default 60)")
    p.add_argument(
        "--profile",
        choices=["quintic", "lspb"],
        default="quintic",
        help="--to: time scaling, quintic (smooth, default) or lspb (trapezoidal velocity)",
    )
    p.add_argument("--ellipsoid", action="store_true", help="draw the velocity ellipsoid at the tool")
    p.add_argument(
        "--limits",
        choices=["motion", "reach"],
        default="motion",
        help="axes: a close-up of the motion with the floor (default) or the robot's whole reach",
    )
    p.add_argument(
        "--view",
        nargs=2,
        type=_finite,
        metavar=("ELEV", "AZIM"),
        help="camera elevation and azimuth [deg] (default: chosen to show the motion)",
    )
    p.add_argument("--joints", metavar="PLOT.png", help="also write q, q̇, q̈ against time with the limits")
    p.add_argument("--deg", action="store_true", help=DEG_HELP)
    p.add_argument(
        "--link",
        action="append",
        metavar="FRAME",
        help="the frame(s) to watch (default: the tool, else every end effector); the first follows --line "
        "(needed on a robot with several end effectors) and carries the trail; the singularity warning "
        "is about all of them, stacked",
    )

    p = command(
        "teach",
        "a window with one slider per joint; pose and manipulability live",
        "An interactive matplotlib window (needs a display): one slider per joint, the arm, its tool "
        "pose and manipulability updating live.",
    )
    _add_robot(p)
    p.add_argument("q", nargs="*", help="start: " + Q_HELP)
    p.add_argument("--deg", action="store_true", help=DEG_HELP)
    p.add_argument(
        "--link",
        action="append",
        metavar="FRAME",
        help="the frame(s) whose poses are shown (default: the tool, else every end effector); repeatable",
    )

    p = command(
        "ik",
        "inverse kinematics: joint values for a tool (or any frame's) position and orientation",
        "Solve q with fk(q) of the link at the target (tolerances 1e-6 m and 1e-6 rad), within the joint "
        "limits. Without --rpy the orientation is free: a position-only task. Exit status 1 when no "
        "solution is found (the closest pose found is printed).",
    )
    _add_robot(p)
    p.add_argument(
        "--link",
        help="the frame to place (default: the tool, or a tree's only end effector; required for a tree with "
        "several); see `robokin info ROBOT`",
    )
    p.add_argument("--xyz", nargs=3, type=_finite, required=True, metavar=("X", "Y", "Z"), help="target position [m]")
    p.add_argument(
        "--rpy",
        nargs=3,
        type=_finite,
        metavar=("R", "P", "Y"),
        help="target orientation, fixed-axis roll pitch yaw (R = Rz(Y) Ry(P) Rx(R)) [rad, deg with "
        "--deg]; without it the orientation is free (position only)",
    )
    p.add_argument("--deg", action="store_true", help="--rpy and the revolute values of --q0 in degrees")
    p.add_argument(
        "--q0",
        nargs="+",
        help="start [rad, m] or a configuration name (default: middle of the ranges); "
        "the solution reached from q0 is returned when that start converges, else the one nearest q0 "
        "among those found (IKOptions.prefer='q0')",
    )
    p.add_argument("--position-only", action="store_true", help="orientation free (the default without --rpy)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed of the restarts (default 0)")
    p.add_argument(
        "--all",
        action="store_true",
        help="list every closed-form solution (needs --rpy and an arm "
        "with an analytic family; a 7-joint arm's parameter joint from --q0, else swept)",
    )

    for register in _EXTRA_PARSERS:  # subcommands added by other sections (see `subcommand`)
        register(sub)
    return parser


# Functions ``register(subparsers)`` that add more subcommands; their handlers register with `_command`.
_EXTRA_PARSERS: list[Callable[[Any], None]] = [_add_workspace_parser]


def _show_warning(message: Any, category: Any, filename: Any, lineno: Any, file: Any = None, line: Any = None) -> None:
    print(f"robokin: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``robokin`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    A closed standard output (``robokin list | head -1``) ends the command quietly with status 141
    (128 + SIGPIPE, what a shell reports for a program killed by it).
    """
    import warnings

    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            status = _COMMANDS[args.command](args)
        sys.stdout.flush()
        return status
    except RobokinError as exc:
        print(f"robokin {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away. Point stdout at /dev/null so that the interpreter's final flush does not
        # raise again (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
