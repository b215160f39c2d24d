"""The ``robokin`` command: subcommands over the public API; ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

import numpy as np

from . import spatial
from .errors import RobokinError
from .loading import list_robots, load
from .model import Robot

__all__ = ["main"]

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _command(name: str):
    def register(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS[name] = func
        return func

    return register


# ----------------------------------------------------------------------------------------- helpers
def _fmt(x: float, width: int = 9, digits: int = 4) -> str:
    return f"{round(float(x), digits) + 0.0:{width}.{digits}f}"  # + 0.0 turns -0.0 into 0.0


def _matrix(M: np.ndarray, digits: int = 4) -> str:
    return "\n".join("  [" + " ".join(_fmt(v, digits + 5, digits) for v in row) + "]" for row in M)


def _joint_values(robot: Robot, values: Sequence[str], deg: bool, what: str = "Q") -> np.ndarray:
    """Joint values from the command line: n numbers, or the name of a configuration of the robot.

    With ``deg`` the revolute entries are taken in degrees (prismatic ones stay in metres).
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
    if deg:
        q = np.where(np.array(robot.joint_types) == "revolute", np.radians(q), q)
    return q


def _pose_text(T: np.ndarray) -> str:
    rpy = spatial.matrix_to_rpy(T[:3, :3])
    return "\n".join(
        [
            "T_world_tool =",
            _matrix(T),
            "xyz [m]   = " + " ".join(_fmt(v) for v in T[:3, 3]),
            "rpy [rad] = " + " ".join(_fmt(v) for v in rpy),
            "rpy [deg] = " + " ".join(_fmt(v, 9, 2) for v in np.degrees(rpy)),
        ]
    )


def _jacobian_text(robot: Robot, J: np.ndarray, frame: str) -> str:
    head = "        " + " ".join(f"{name[:9]:>9}" for name in robot.joint_names)
    labels = ["vx", "vy", "vz", "wx", "wy", "wz"]
    rows = [f"  {lab:<5} " + " ".join(_fmt(v) for v in row) for lab, row in zip(labels, J)]
    return "\n".join([f"J ({frame} frame; rows [v; ω]: m/s and rad/s per unit joint rate) =", head, *rows])


def _limit_text(joint_type: str, value: float) -> str:
    if not np.isfinite(value):
        return "-" if value < 0 else "+"
    return _fmt(np.degrees(value), 8, 1) if joint_type == "revolute" else _fmt(value, 8, 3)


# ----------------------------------------------------------------------------------------- commands
@_command("list")
def _cmd_list(args: argparse.Namespace) -> int:
    for name in list_robots():
        robot = load(name)
        print(f"{name:<12} n={robot.n:<2} {robot.description}")
    return 0


@_command("info")
def _cmd_info(args: argparse.Namespace) -> int:
    robot = load(args.robot)
    print(f"{robot.name}: {robot.description}")
    print(f"n = {robot.n} joint variables ({len(robot.joints)} joints in the file)")
    print(f"source: {robot.source or '(none given)'}")
    print()
    print(f"  {'#':>2}  {'joint':<14} {'type':<10} {'form':<7} {'lower':>8} {'upper':>8}  {'unit':<4} {'max speed':>9}")
    k = 0
    for joint in robot.joints:
        if joint.moving:
            unit = "deg" if joint.type == "revolute" else "m"
            lo, hi = (_limit_text(joint.type, v) for v in joint.limits)
            speed = "-" if joint.velocity is None else (
                _fmt(np.degrees(joint.velocity), 7, 1) + "/s" if joint.type == "revolute" else _fmt(joint.velocity, 7, 3) + "/s")
            print(f"  {k:>2}  {joint.name:<14} {joint.type:<10} {joint.form:<7} {lo:>8} {hi:>8}  {unit:<4} {speed:>9}")
            k += 1
        else:
            print(f"   -  {joint.name:<14} {'fixed':<10} {joint.form:<7}")
    if not robot.base.is_identity:
        print(f"\nbase: xyz {list(robot.base.xyz)} m, rpy {list(robot.base.rpy)} rad")
    if not robot.tool.is_identity:
        print(f"tool: xyz {list(robot.tool.xyz)} m, rpy {list(robot.tool.rpy)} rad")
    if robot.configurations:
        print("\nconfigurations (deg for revolute, m for prismatic joints):")
        revolute = np.array(robot.joint_types) == "revolute"
        for name, q in robot.configurations.items():
            shown = np.where(revolute, np.degrees(q), q)
            print(f"  {name:<10} [" + ", ".join(f"{v:.4g}" for v in shown) + "]")
    return 0


@_command("fk")
def _cmd_fk(args: argparse.Namespace) -> int:
    robot = load(args.robot)
    q = _joint_values(robot, args.q, args.deg)
    print(f"{robot.name}, q [rad/m] = " + np.array2string(q, precision=4))
    print(_pose_text(robot.fk(q)))
    return 0


@_command("jacobian")
def _cmd_jacobian(args: argparse.Namespace) -> int:
    robot = load(args.robot)
    q = _joint_values(robot, args.q, args.deg)
    J = robot.jacobian(q, frame=args.frame, method=args.method)
    print(f"{robot.name}, q [rad/m] = " + np.array2string(q, precision=4) + f", method = {args.method}")
    print(_jacobian_text(robot, J, args.frame))
    return 0


@_command("check")
def _cmd_check(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            robot = load(path)
        except RobokinError as exc:
            print(str(exc))
            failed += 1
        else:
            print(f"{path}: ok ({robot.name}, n = {robot.n}, {len(robot.joints)} joints)")
    return 1 if failed else 0


@_command("demo")
def _cmd_demo(args: argparse.Namespace) -> int:
    robot = load(args.robot)
    print(f"robokin demo: {robot!r} — {robot.description}")
    print(f"source: {robot.source}\n")
    name = "ready" if "ready" in robot.configurations else next(iter(robot.configurations), None)
    q = robot.configurations[name] if name else np.zeros(robot.n)
    print(f"Forward kinematics at configuration {name!r}, q [deg] = " + np.array2string(np.degrees(q), precision=1))
    T = robot.fk(q)
    print(_pose_text(T))
    print()
    J = robot.jacobian(q)
    print(_jacobian_text(robot, J, "world"))
    worst = max(np.abs(robot.jacobian(q, method=m) - J).max() for m in ("numeric",))
    print(f"\nlargest difference analytic vs central differences: {worst:.1e}")
    return 0


@_command("convert")
def _cmd_convert(args: argparse.Namespace) -> int:
    from .format import dumps, save

    robot = load(args.robot, base=args.base, tip=args.tip)
    if args.output is None:
        sys.stdout.write(dumps(robot))
        return 0
    try:
        save(robot, args.output)
    except OSError as exc:
        raise RobokinError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}: {robot!r} ({len(robot.joints)} joints), source: {robot.source}")
    return 0


# ----------------------------------------------------------------------------------------- parser
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="robokin", description="Robot arm kinematics from YAML robot files.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    robot_help = "a bundled robot name (see `robokin list`) or a path to a .yaml/.urdf file"

    sub.add_parser("list", help="list the bundled robots")

    p = sub.add_parser("info", help="joint table, limits, source of a robot")
    p.add_argument("robot", help=robot_help)

    p = sub.add_parser("fk", help="forward kinematics: the tool pose")
    p.add_argument("robot", help=robot_help)
    p.add_argument("q", nargs="+", help="joint values [rad, m], or a configuration name")
    p.add_argument("--deg", action="store_true", help="revolute values in degrees")

    p = sub.add_parser("jacobian", help="the Jacobian, rows [v; ω]")
    p.add_argument("robot", help=robot_help)
    p.add_argument("q", nargs="+", help="joint values [rad, m], or a configuration name")
    p.add_argument("--deg", action="store_true", help="revolute values in degrees")
    p.add_argument("--frame", choices=["world", "tool"], default="world")
    p.add_argument("--method", choices=["analytic", "forward", "reverse", "numeric"], default="analytic")

    p = sub.add_parser("check", help="validate robot files; exit 1 if any is malformed")
    p.add_argument("files", nargs="+", help="robot files (.yaml or .urdf)")

    p = sub.add_parser("demo", help="what a newcomer should see first")
    p.add_argument("--robot", default="panda", help=robot_help + " (default: panda)")

    p = sub.add_parser("convert", help="write a robot (e.g. a URDF's chain) as a robokin YAML file")
    p.add_argument("robot", help=robot_help)
    p.add_argument("--base", help="URDF only: the link the chain starts at (default: the root link)")
    p.add_argument("--tip", help="URDF only: the link the chain ends at (default: the only leaf link)")
    p.add_argument("-o", "--output", help="the YAML file to write (default: print to standard output)")

    # more subcommands are registered below by their sections
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``robokin`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except RobokinError as exc:
        print(f"robokin {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
