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


# The demo's IK targets: offsets of the tool from its start pose in units of the arm's characteristic length
# L (0.99 m for the panda), orientation kept. The last one reaches far out, where the elbow is almost
# straight (σmin/σmax ≈ 0.035 for the panda): the animation's singularity warning shows there.
_DEMO_OFFSETS = ((0.15, 0.25, -0.2), (0.2, -0.25, 0.05), (0.43, 0.0, -0.1))


def _start_configuration(robot: Robot) -> tuple[str | None, np.ndarray]:
    """The configuration commands start from: "ready", else the robot's first named one, else zeros."""
    name = "ready" if "ready" in robot.configurations else next(iter(robot.configurations), None)
    return name, (np.array(robot.configurations[name]) if name else np.zeros(robot.n))


def _check_out(out: str) -> None:
    """Fail before any work when the animation file cannot be written (bad suffix, missing folder)."""
    from pathlib import Path

    from .viz import SAVE_FORMATS

    path = Path(out)
    if path.suffix.lower() not in SAVE_FORMATS:
        raise RobokinError(f"cannot write {out}: the file suffix must be one of {', '.join(SAVE_FORMATS)}")
    if not path.parent.is_dir():
        raise RobokinError(f"cannot write {out}: the folder {path.parent} does not exist")


def _save_animation(viz, anim, out: str) -> None:
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
    print(f"wrote {path.resolve()} ({anim.n_frames} frames at {anim.fps:g} fps, {width}x{height} px, "
          f"{path.stat().st_size / 1024:.0f} kB) in {seconds:.1f} s")


@_command("demo")
def _cmd_demo(args: argparse.Namespace) -> int:
    from . import ik, singularity, trajectory, viz

    _check_out(args.out)
    robot = load(args.robot)
    print(f"robokin demo: {robot!r} — {robot.description}")
    print(f"source: {robot.source}\n")
    name, q = _start_configuration(robot)
    print(f"Forward kinematics at configuration {name!r}, q [deg] = " + np.array2string(np.degrees(q), precision=1))
    T = robot.fk(q)
    print(_pose_text(T))
    print()
    J = robot.jacobian(q)
    print(_jacobian_text(robot, J, "world"))
    worst = max(np.abs(robot.jacobian(q, method=m) - J).max() for m in ("numeric",))
    print(f"\nlargest difference analytic vs central differences: {worst:.1e}")

    # Inverse kinematics for a few targets around the start pose, each seeded from the previous answer.
    L = singularity.characteristic_length(robot)
    rows = singularity.task_rows(robot)
    print(f"\nInverse kinematics: {len(_DEMO_OFFSETS)} targets around the tool pose above (orientation kept), "
          "each solve seeded from the previous answer")
    print(f"  {'#':>2}  {'target x, y, z [m]':<24} {'reached':<7} {'|Δp| [m]':>9} {'|Δθ| [rad]':>10} "
          f"{'iter':>5} {'σmin/σmax':>9}")
    waypoints, targets = [q], []
    for k, offset in enumerate(_DEMO_OFFSETS, 1):
        d = np.array(offset) * L
        d[[i for i in range(3) if i not in rows]] = 0.0  # an arm that cannot move along an axis stays put there
        T_target = T.copy()
        T_target[:3, 3] += d
        result = ik.solve(robot, T_target, waypoints[-1])
        ic = singularity.analyze(robot, result.q).inverse_condition
        xyz = ", ".join(f"{v:.3f}" for v in T_target[:3, 3])
        print(f"  {k:>2}  {xyz:<24} {'yes' if result.success else 'NO':<7} {float(result.position_error):9.1e} "
              f"{float(result.rotation_error):10.1e} {int(result.iterations):>5} {ic:9.3f}")
        if result.success:
            waypoints.append(np.array(result.q))
            targets.append(T_target[:3, 3])
    waypoints.append(q)

    # The motion: rest-to-rest quintic segments start → targets → start, animated with the ellipsoid.
    path = trajectory.quintic_through(robot, np.array(waypoints), steps=args.steps, duration=1.0)
    anim = viz.animate(robot, path.q, fps=20, ellipsoid=True, targets=np.array(targets).reshape(-1, 3),
                       limits="motion", ax=viz.axes3d(offscreen=True),
                       title=f"{robot.name}: IK targets, quintic motion, velocity ellipsoid")
    ic = anim.inverse_condition
    low = int(np.argmin(ic))
    print(f"\nMotion: {len(waypoints) - 1} quintic segments of 1 s through the solutions, {len(path.q)} frames")
    print(f"Singularities: smallest σmin/σmax of [v/L; ω] J along the motion = {ic[low]:.3f} at t = {path.t[low]:.2f} s "
          f"(warning below {viz.NEAR_SINGULAR}, singular below {singularity.SINGULAR_TOL:g})")
    flagged = int(anim.near_singular.sum())
    if flagged:
        print(f"  near a singularity in {flagged} frames (drawn with red links and a NEAR SINGULARITY label); "
              "at the closest one:")
        print("    " + str(singularity.analyze(robot, path.q[low])).replace("\n", "\n    "))
    else:
        print("  no singularity nearby")
    _save_animation(viz, anim, args.out)
    return 0


@_command("animate")
def _cmd_animate(args: argparse.Namespace) -> int:
    from . import trajectory, viz

    _check_out(args.out)
    robot = load(args.robot)
    if args.start is None:
        name, q0 = _start_configuration(robot)
        start = f"configuration {name!r}" if name else "q = 0"
    else:
        q0 = _joint_values(robot, args.start, args.deg, "--from")
        start = " ".join(args.start)
    duration = args.frames / args.fps if args.fps > 0 else 1.0
    if args.to is not None:
        q1 = _joint_values(robot, args.to, args.deg, "--to")
        q_path = trajectory.quintic(robot, q0, q1, steps=args.frames, duration=duration).q
        print(f"{robot.name}: quintic joint motion from {start} to {' '.join(args.to)} in {duration:.2f} s")
    else:
        T0 = robot.fk(q0)
        T1 = T0.copy()
        T1[:3, 3] = args.line
        line = trajectory.cartesian_line(T0, T1, steps=args.frames, duration=duration)
        followed = trajectory.follow(robot, line.T, q0)
        q_path = followed.q
        p = robot.fk(q_path)[:, :3, 3]
        u = (T1[:3, 3] - T0[:3, 3]) / max(np.linalg.norm(T1[:3, 3] - T0[:3, 3]), 1e-12)
        off_line = p - T0[:3, 3] - ((p - T0[:3, 3]) @ u)[:, None] * u
        print(f"{robot.name}: straight line of the tool from [" + ", ".join(f"{v:.3f}" for v in T0[:3, 3])
              + "] to [" + ", ".join(f"{v:.3f}" for v in T1[:3, 3]) + f"] m in {duration:.2f} s, orientation kept, "
              "by IK seeded from the previous step")
        print(f"  largest distance of the tool from the line: {np.linalg.norm(off_line, axis=-1).max():.2e} m; "
              f"largest joint step between frames: {np.degrees(float(followed.largest_step)):.2f} deg")
        failed = int((~followed.success).sum())
        if failed:
            print(f"  warning: IK did not converge at {failed} of {args.frames} samples (the closest poses are shown); "
                  f"largest position error {followed.position_error.max():.2e} m")
    anim = viz.animate(robot, q_path, fps=args.fps, ellipsoid=args.ellipsoid, limits=args.limits,
                       ax=viz.axes3d(offscreen=True))
    low = int(np.argmin(anim.inverse_condition))
    print(f"  smallest σmin/σmax of [v/L; ω] J: {anim.inverse_condition[low]:.3f} at frame {low + 1}"
          + (f"; {int(anim.near_singular.sum())} frames drawn with the NEAR SINGULARITY warning"
             if anim.near_singular.any() else ""))
    _save_animation(viz, anim, args.out)
    return 0


# matplotlib backends that draw to files only: `robokin teach` needs one that opens windows.
_FILE_BACKENDS = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")


@_command("teach")
def _cmd_teach(args: argparse.Namespace) -> int:
    robot = load(args.robot)
    q = _joint_values(robot, args.q, args.deg) if args.q else None
    import matplotlib.pyplot as plt

    backend = plt.get_backend()
    if backend.lower() in _FILE_BACKENDS:
        raise RobokinError(
            f"teach opens an interactive window, but matplotlib's backend is {backend!r} (no display found?). "
            "Run it on a desktop (or over `ssh -X`), or choose a GUI backend, e.g. MPLBACKEND=TkAgg or QtAgg"
        )
    from . import viz

    viz.teach(robot, q)
    print(f"{robot.name}: move the sliders; close the window to quit")
    plt.show()
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


@_command("singular")
def _cmd_singular(args: argparse.Namespace) -> int:
    from . import singularity

    robot = load(args.robot)
    tol = singularity.SINGULAR_TOL if args.tol is None else args.tol
    if args.find:
        def counter(iteration: int, total: int, converged: int) -> None:
            print(f"\rsearching: iteration {iteration}/{total}, {converged}/{args.starts} starts converged",
                  end="" if iteration < total and converged < args.starts else "\n", file=sys.stderr, flush=True)

        found = singularity.find_singular(robot, starts=args.starts, seed=args.seed, tol=tol,
                                          progress=counter)
        print(found)
        return 0
    q = _joint_values(robot, args.q, args.deg) if args.q else None
    if args.map is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        smap = singularity.singularity_map(robot, tuple(args.map), q=q, resolution=args.resolution, tol=tol)
        ax = smap.plot()
        try:
            ax.figure.savefig(args.out, dpi=120)
        except OSError as exc:
            raise RobokinError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        finally:
            plt.close(ax.figure)
        print("other joints at q [deg/m] = " + singularity._q_text(robot.joint_types, smap.q))
        print(f"wrote {args.out}: {smap.measure} over {smap.joint_names[0]} and {smap.joint_names[1]}, "
              f"{smap.values.shape[1]}x{smap.values.shape[0]} grid; red: the singular set")
        return 0
    if q is None:
        raise RobokinError(f"give Q ({robot.n} joint values or a configuration name), --find, or --map I J")
    print(f"{robot.name} at q = " + singularity._q_text(robot.joint_types, q))
    print(singularity.analyze(robot, q, tol=tol))
    return 0


@_command("ik")
def _cmd_ik(args: argparse.Namespace) -> int:
    from . import ik

    robot = load(args.robot)
    if args.position_only and args.rpy is not None:
        raise RobokinError("--position-only leaves the orientation free; do not give --rpy with it")
    rpy = np.zeros(3) if args.rpy is None else np.array(args.rpy, dtype=float)
    if args.deg:
        rpy = np.radians(rpy)
    T_target = spatial.transform(spatial.rpy_to_matrix(rpy), np.array(args.xyz, dtype=float))
    q0 = _joint_values(robot, args.q0, args.deg, what="--q0") if args.q0 else None
    if args.all:
        if args.rpy is None:
            raise RobokinError("--all lists the solutions of a full pose; give --rpy too")
        return _print_all_solutions(robot, T_target, q0)
    weights = ik.POSITION_ONLY if args.rpy is None else (1.0,) * 6
    result = robot.ik(T_target, q0, options=ik.IKOptions(weights=weights), seed=args.seed)
    task = "position only (orientation free)" if args.rpy is None else "position and orientation"
    print(f"{robot.name}: target xyz [m] = " + " ".join(_fmt(v) for v in args.xyz)
          + ("" if args.rpy is None else ", rpy [rad] = " + " ".join(_fmt(v) for v in rpy)) + f"; task: {task}")
    revolute = np.array(robot.joint_types) == "revolute"
    q = result.q
    print(f"{'solution' if result.success else 'no solution; closest pose found'}:")
    print(f"  {'joint':<14} {'q [rad/m]':>10} {'q [deg/m]':>10}")
    for name, value, is_rev in zip(robot.joint_names, q, revolute):
        print(f"  {name:<14} {value:>10.5f} {np.degrees(value) if is_rev else value:>10.4f}")
    print(f"position error = {float(result.position_error):.3e} m, rotation error = "
          f"{float(result.rotation_error):.3e} rad (tolerances 1e-6 m, 1e-6 rad)")
    print(f"iterations = {int(result.iterations)}, restarts = {int(result.restarts)}, "
          f"σ_min/σ_max at the answer = {float(result.inverse_condition):.3g}"
          + (" (near a singularity)" if result.near_singularity else ""))
    return 0 if result.success else 1


def _print_all_solutions(robot, T_target: np.ndarray, q0: np.ndarray | None) -> int:
    """``robokin ik --all``: every closed-form solution as a table, revolute joints in degrees."""
    from . import ik

    family = ik.analytic_family(robot)
    if not family.applies:
        raise RobokinError(f"--all needs an analytic IK family; {robot.name} has none: {family.reason}")
    j = family.parameter_joint
    q_param = None if j is None or q0 is None else q0[j]
    sols = ik.solve_all(robot, T_target, q_param=q_param)
    print(f"{robot.name}: family {family.name}: {family.reason}")
    if j is not None:
        which = f"= {_fmt(q_param)} rad (from --q0)" if q_param is not None else f"swept over {sols.q.shape[0] // family.solutions} values"
        print(f"parameter: joint {robot.joint_names[j]} {which}")
    revolute = np.array(robot.joint_types) == "revolute"
    header = "  #  " + " ".join(f"{name[:9]:>9}" for name in robot.joint_names) + "   pos err [m]  rot err [rad]"
    print("joint values [deg for revolute, m for prismatic]:")
    print(header)
    rows = np.flatnonzero(sols.valid)
    for k, i in enumerate(rows):
        values = np.where(revolute, np.degrees(sols.q[i]), sols.q[i])
        print(f"{k + 1:>3}  " + " ".join(f"{v:>9.3f}" for v in values)
              + f"   {sols.position_error[i]:>11.2e}  {sols.rotation_error[i]:>13.2e}")
    print(f"{rows.size} solution{'s' if rows.size != 1 else ''} within the joint limits")
    return 0 if rows.size else 1


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

    p = sub.add_parser("demo", help="what a newcomer should see first: FK, Jacobian, IK, singularities, a GIF")
    p.add_argument("--robot", default="panda", help=robot_help + " (default: panda)")
    p.add_argument("--out", default="robokin-demo.gif", help="the animation to write (default: robokin-demo.gif)")
    p.add_argument("--steps", type=int, default=16, help="frames per motion segment (default 16)")

    p = sub.add_parser("convert", help="write a robot (e.g. a URDF's chain) as a robokin YAML file")
    p.add_argument("robot", help=robot_help)
    p.add_argument("--base", help="URDF only: the link the chain starts at (default: the root link)")
    p.add_argument("--tip", help="URDF only: the link the chain ends at (default: the only leaf link)")
    p.add_argument("-o", "--output", help="the YAML file to write (default: print to standard output)")

    p = sub.add_parser("singular", help="singularity report at Q, search (--find) or map (--map I J)")
    p.add_argument("robot", help=robot_help)
    p.add_argument("q", nargs="*", help="joint values [rad, m], or a configuration name")
    p.add_argument("--deg", action="store_true", help="revolute values in degrees")
    p.add_argument("--tol", type=float, help="singular when σ_min/σ_max of [v/L; ω] J is below this (default 1e-6)")
    p.add_argument("--find", action="store_true", help="search singular configurations from random starts")
    p.add_argument("--starts", type=int, default=64, help="--find: number of random starts (default 64)")
    p.add_argument("--seed", type=int, default=0, help="--find: random seed (default 0)")
    p.add_argument("--map", nargs=2, type=int, metavar=("I", "J"),
                   help="map σ_min/σ_max over joints I and J (0-based, as in `robokin info`)")
    p.add_argument("--resolution", type=int, default=121, help="--map: grid points per axis (default 121)")
    p.add_argument("--out", default="singularity_map.png", help="--map: PNG to write (default singularity_map.png)")

    p = sub.add_parser("animate", help="animate a motion to a GIF/MP4: joint-space --to, or a tool --line")
    p.add_argument("robot", help=robot_help)
    p.add_argument("--from", dest="start", nargs="+", metavar="Q", help="start: joint values or a configuration name")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--to", nargs="+", metavar="Q", help="goal: joint values or a configuration name (quintic)")
    goal.add_argument("--line", nargs=3, type=float, metavar=("X", "Y", "Z"),
                      help="goal point of the tool in the world [m]: a straight line, orientation kept (IK)")
    p.add_argument("--out", default="arm.gif", help="file to write, .gif or .mp4 (default arm.gif)")
    p.add_argument("--fps", type=float, default=20.0, help="frames per second (default 20)")
    p.add_argument("--frames", type=int, default=60, help="number of frames (default 60)")
    p.add_argument("--ellipsoid", action="store_true", help="draw the velocity ellipsoid at the tool")
    p.add_argument("--limits", choices=["reach", "motion"], default="reach",
                   help="axes: the robot's whole reach (default) or a close-up of the motion")
    p.add_argument("--deg", action="store_true", help="revolute values in degrees")

    p = sub.add_parser("teach", help="a window with one slider per joint; pose and manipulability live")
    p.add_argument("robot", help=robot_help)
    p.add_argument("q", nargs="*", help="start: joint values [rad, m] or a configuration name")
    p.add_argument("--deg", action="store_true", help="revolute values in degrees")

    p = sub.add_parser(
        "ik",
        help="inverse kinematics: joint values for a tool position (and orientation)",
        description="Solve q with fk(q) at the target (tolerances 1e-6 m and 1e-6 rad), within the joint "
        "limits. Without --rpy the orientation is free: a position-only task. Exit status 1 when no "
        "solution is found (the closest pose found is printed).",
    )
    p.add_argument("robot", help=robot_help)
    p.add_argument("--xyz", nargs=3, type=float, required=True, metavar=("X", "Y", "Z"), help="target position [m]")
    p.add_argument("--rpy", nargs=3, type=float, metavar=("R", "P", "Y"),
                   help="target orientation, fixed-axis roll pitch yaw (R = Rz(Y) Ry(P) Rx(R)) [rad, deg with "
                   "--deg]; without it the orientation is free (position only)")
    p.add_argument("--deg", action="store_true", help="--rpy and the revolute values of --q0 in degrees")
    p.add_argument("--q0", nargs="+", help="start [rad, m] or a configuration name (default: middle of the ranges); "
                   "among solutions the one nearest q0 is preferred")
    p.add_argument("--position-only", action="store_true", help="orientation free (the default without --rpy)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the restarts (default 0)")
    p.add_argument("--all", action="store_true", help="list every closed-form solution (needs --rpy and an arm "
                   "with an analytic family; a 7-joint arm's parameter joint from --q0, else swept)")

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
