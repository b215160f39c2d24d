"""Generators of robots, robot documents and their mutations, shared by the contract suite and the fuzzer.

Every generator takes a :class:`random.Random` and nothing else random, so the same code serves both:
hypothesis hands in its own ``st.randoms()`` (derandomized in CI, shrinkable), ``benchmarks/fuzz.py`` a
``random.Random(seed)`` (a failing case is replayed from its seed).

- :func:`random_robot`: chains of 1-7 revolute/prismatic/fixed joints, each in one of the three geometry
  forms (dh, mdh, origin + axis), scaled by a random length in 1e-3...1e3 m, with limits (two-, one- or
  no-sided), speed limits, odd names, base/tool offsets and configurations.
- :func:`yaml_text`: a robot as a YAML document: robokin's own ``dumps``, or hand-written styles (block
  mappings, ``units: {length: mm, angle: deg}``, pi expressions, configurations by name).
- :func:`urdf_text`: a robot as a URDF document (this module's own writer; dh/mdh geometry and the base/tool
  become origins, so the URDF has fixed joints ``base_mount``/``tool_mount`` where needed).
- :func:`mutate_yaml`, :func:`mutate_urdf`: 1-3 random edits: byte flips, deleted/duplicated/swapped lines,
  key and value substitutions, huge/tiny/NaN/inf numbers, Unicode digits, wrong types, truncation.

And the checks the properties share: :func:`robot_difference` (bit for bit), :func:`sample_q`,
:func:`rigidity_error`.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable

import numpy as np

from robokin import spatial
from robokin.model import Joint, Origin, Robot

# ------------------------------------------------------------------------------------------------ robots
JOINT_TYPES = ("revolute", "prismatic", "fixed")
FORMS = ("dh", "mdh", "origin")
ODD_NAMES = ("joint 1", "yes", "null", "1.5", "a: b", "#hash", "'q'", "ü-ñ", "-dash", "x\ty", "日本", "[x]", "~")
# Angles that are exact, or special for rpy (gimbal lock at pitch ±π/2), or generic.
SPECIAL_ANGLES = (0.0, -0.0, math.pi / 2, -math.pi / 2, math.pi, -math.pi, math.pi / 4)


def _angle(rng: random.Random) -> float:
    return rng.choice(SPECIAL_ANGLES) if rng.random() < 0.3 else rng.uniform(-math.pi, math.pi)


def _length(rng: random.Random, scale: float) -> float:
    r = rng.random()
    if r < 0.2:
        return rng.choice((0.0, -0.0))
    return rng.uniform(-1.0, 1.0) * scale


def _unit_vector(rng: random.Random) -> tuple[float, float, float]:
    if rng.random() < 0.5:
        v = [0.0, 0.0, 0.0]
        v[rng.randrange(3)] = rng.choice((1.0, -1.0))
        return (v[0], v[1], v[2])
    from robokin.model import unit_axis

    while True:
        v = (rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1))
        if max(map(abs, v)) > 0.0:
            return unit_axis(v)


def _limits(rng: random.Random, jtype: str, scale: float) -> tuple[float, float]:
    span = math.pi if jtype == "revolute" else scale
    lo, hi = sorted((rng.uniform(-2, 2) * span, rng.uniform(-2, 2) * span))
    kind = rng.randrange(5)
    return [(-math.inf, math.inf), (lo, hi), (-math.inf, hi), (lo, math.inf), (lo, lo)][kind]


def random_robot(rng: random.Random, max_joints: int = 7) -> Robot:
    """A random serial robot (see the module docstring); every value finite, every axis unit."""
    scale = 10.0 ** rng.uniform(-3.0, 3.0)
    joints = []
    n = rng.randint(1, max_joints)
    moving_at = rng.randrange(n)  # at least one moving joint
    for k in range(n):
        jtype = rng.choice(JOINT_TYPES[:2]) if k == moving_at else rng.choice(JOINT_TYPES)
        form = rng.choice(FORMS)
        kwargs: dict = {}
        if form == "origin":
            kwargs["origin"] = Origin(
                xyz=(_length(rng, scale), _length(rng, scale), _length(rng, scale)),
                rpy=(_angle(rng), _angle(rng), _angle(rng)),
            )
            if jtype != "fixed":
                kwargs["axis"] = _unit_vector(rng)
        else:
            kwargs["dh"] = (_length(rng, scale), _angle(rng), _length(rng, scale), _angle(rng))
        if jtype != "fixed":
            kwargs["limits"] = _limits(rng, jtype, scale)
            if rng.random() < 0.5:
                kwargs["velocity"] = rng.uniform(0.01, 10.0) * (scale if jtype == "prismatic" else 1.0)
        name = (rng.choice(ODD_NAMES) if rng.random() < 0.3 else "j") + f"_{k}"
        joints.append(Joint(name=name, type=jtype, form=form, **kwargs))

    def pose() -> Origin:
        if rng.random() < 0.5:
            return Origin()
        return Origin(
            xyz=(_length(rng, scale), _length(rng, scale), _length(rng, scale)),
            rpy=(_angle(rng), _angle(rng), _angle(rng)),
        )

    robot = Robot(
        name=rng.choice(("arm", "robot: x", "ü", "1")),
        joints=tuple(joints),
        base=pose(),
        tool=pose(),
        description=rng.choice(("", "a\nb", "tab\there")),
        source=rng.choice(("", "generated")),
    )
    configurations = {}
    for c in range(rng.randrange(3)):
        lo, hi = sample_bounds(robot).T
        configurations[("home", "yes", "pose 2")[c]] = [rng.uniform(float(a), float(b)) for a, b in zip(lo, hi)]
    return Robot(
        name=robot.name,
        joints=robot.joints,
        base=robot.base,
        tool=robot.tool,
        configurations=configurations,
        description=robot.description,
        source=robot.source,
    )


def sample_bounds(robot: Robot) -> np.ndarray:
    """Finite bounds ``(n, 2)`` to sample each joint from: the robot's own :attr:`Robot.sampling_bounds`, the
    range over which the model promises finite poses."""
    return np.array(robot.sampling_bounds)


def sample_q(robot: Robot, rng: random.Random, count: int = 8) -> np.ndarray:
    """``(count, n)`` joint values uniform in :func:`sample_bounds`, the bounds themselves included."""
    bounds = sample_bounds(robot)
    # (1 - u) lo + u hi: finite even when hi - lo overflows (limits of ±1e308)
    q = np.array(
        [[(1.0 - u) * lo + u * hi for (lo, hi), u in zip(bounds, (rng.random() for _ in bounds))] for _ in range(count)]
    )
    q[0] = bounds[:, 0]
    if count > 1:
        q[1] = bounds[:, 1]
    return q


def rigidity_error(T: np.ndarray) -> float:
    """The largest of ``|RᵀR − I|`` and ``|last row − [0 0 0 1]|`` over a batch ``(..., 4, 4)``; inf when
    any entry is not finite."""
    if not np.isfinite(T).all():
        return math.inf
    R = T[..., :3, :3]
    ortho = np.abs(np.swapaxes(R, -1, -2) @ R - np.eye(3)).max()
    last = np.abs(T[..., 3, :] - [0.0, 0.0, 0.0, 1.0]).max()
    return float(max(ortho, last))


def robot_difference(a: Robot, b: Robot) -> str | None:
    """The first field in which two robots differ bit for bit (signed zeros included), or None."""
    from robokin.format import first_difference

    return first_difference(a, b)


# ------------------------------------------------------------------------------------------------ YAML
def _q(s: str) -> str:
    """A double-quoted YAML string (JSON escapes are valid YAML)."""
    import json

    return json.dumps(s, ensure_ascii=False)


def _block_yaml(robot: Robot, rng: random.Random) -> str:
    """The robot hand-written in block style, in mm and deg or in m and rad, with pi expressions now and then."""
    mm_deg = rng.random() < 0.5

    def length(v: float) -> str:
        v = float(v)
        return repr(v * 1000.0) if mm_deg else repr(v)

    def angle(v: float) -> str:
        v = float(v)
        if not mm_deg and v in (math.pi, -math.pi, math.pi / 2, -math.pi / 2) and rng.random() < 0.7:
            return {math.pi: "pi", -math.pi: "-pi", math.pi / 2: "pi/2", -math.pi / 2: "-pi / 2"}[v]
        return repr(math.degrees(v)) if mm_deg else repr(v)

    def value(v: float, kind: str) -> str:
        return length(v) if kind == "length" else angle(v)

    lines = ["robokin: 1", f"name: {_q(robot.name)}"]
    if mm_deg:
        lines += ["units:", "  length: mm", "  angle: deg"]
    if robot.description:
        lines.append(f"description: {_q(robot.description)}")
    for key in ("base", "tool"):
        o = getattr(robot, key)
        if not o.is_identity:
            lines += [
                f"{key}:",
                "  xyz: [" + ", ".join(map(length, o.xyz)) + "]",
                "  rpy: [" + ", ".join(map(angle, o.rpy)) + "]",
            ]
    lines.append("joints:")
    for j in robot.joints:
        kind = "angle" if j.type == "revolute" else "length"
        lines += [f"  - name: {_q(j.name)}", f"    type: {j.type}"]
        if j.form in ("dh", "mdh"):
            a, alpha, d, theta = j.dh
            lines += [
                f"    {j.form}:",
                f"      a: {length(a)}",
                f"      alpha: {angle(alpha)}",
                f"      d: {length(d)}",
                f"      theta: {angle(theta)}",
            ]
        else:
            lines += [
                "    origin:",
                "      xyz: [" + ", ".join(map(length, j.origin.xyz)) + "]",
                "      rpy: [" + ", ".join(map(angle, j.origin.rpy)) + "]",
            ]
            if j.moving:
                lines.append("    axis: [" + ", ".join(map(repr, j.axis)) + "]")
        if j.moving and j.limits != (-math.inf, math.inf):
            lo, hi = (("null" if math.isinf(v) else value(v, kind)) for v in j.limits)
            lines += ["    limits:", f"      - {lo}", f"      - {hi}"]
        if j.moving and j.velocity is not None:
            lines.append(f"    velocity: {value(j.velocity, kind)}")
    if robot.configurations:
        lines.append("configurations:")
        kinds = ["angle" if t == "revolute" else "length" for t in robot.joint_types]
        for key, q in robot.configurations.items():
            if rng.random() < 0.5:
                lines.append(f"  {_q(key)}: [" + ", ".join(value(v, k) for v, k in zip(q, kinds)) + "]")
            else:
                lines.append(f"  {_q(key)}:")
                lines += [f"    {_q(name)}: {value(v, k)}" for name, v, k in zip(robot.joint_names, q, kinds)]
    return "\n".join(lines) + "\n"


def yaml_text(robot: Robot, rng: random.Random) -> str:
    """The robot as a YAML document: ``robokin.dumps`` or a hand-written block style (see the module doc)."""
    from robokin import dumps

    return dumps(robot) if rng.random() < 0.5 else _block_yaml(robot, rng)


# ------------------------------------------------------------------------------------------------ URDF
def _attr(s: str) -> str:
    return (
        s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
    )


def _origin_xml(T: np.ndarray) -> str:
    rpy = spatial.matrix_to_rpy(T[:3, :3])
    return f'<origin xyz="{" ".join(map(repr, map(float, T[:3, 3])))}" rpy="{" ".join(map(repr, map(float, rpy)))}"/>'


def urdf_text(robot: Robot) -> str:
    """The robot as a URDF document with the same forward kinematics (up to rounding of the rpy angles).

    A URDF joint is ``origin @ motion``; robokin's is ``T_before @ motion @ T_after``, so each joint's
    ``T_after`` moves into the next joint's origin. The base offset becomes a fixed joint ``base_mount``
    before the chain, the last ``T_after`` and the tool a fixed joint ``tool_mount`` after it (each only when
    it is not the identity). URDF's ``continuous`` is used for a revolute joint without limits; a one-sided
    limit is not expressible in URDF and is written with ±1e300 on the open side.
    """
    links = ["root"]
    joints_xml = []
    carry = robot.base.matrix

    def add_fixed(name: str, T: np.ndarray) -> None:
        links.append(f"{name}_link")
        joints_xml.append(
            f'  <joint name="{_attr(name)}" type="fixed"><parent link="{links[-2]}"/>'
            f'<child link="{links[-1]}"/>{_origin_xml(T)}</joint>'
        )

    if not robot.base.is_identity:
        add_fixed("base_mount", carry)
        carry = np.eye(4)
    for k, j in enumerate(robot.joints):
        T = carry @ j.T_before
        links.append(f"link{k}")
        if j.moving:
            lo, hi = j.limits
            jtype = "continuous" if j.type == "revolute" and lo == -math.inf and hi == math.inf else j.type
            parts = [f'<axis xyz="{" ".join(map(repr, j.axis))}"/>']
            limit = []
            if jtype != "continuous":
                limit += [
                    f'lower="{-1e300 if lo == -math.inf else lo!r}"',
                    f'upper="{1e300 if hi == math.inf else hi!r}"',
                ]
            if j.velocity is not None:
                limit.append(f'velocity="{j.velocity!r}"')
            if limit or jtype != "continuous":
                parts.append(f'<limit {" ".join(limit)} effort="1"/>')
        else:
            jtype, parts = "fixed", []
        joints_xml.append(
            f'  <joint name="{_attr(j.name)}" type="{jtype}"><parent link="{links[-2]}"/>'
            f'<child link="{links[-1]}"/>{_origin_xml(T)}{"".join(parts)}</joint>'
        )
        carry = j.T_after
    carry = carry @ robot.tool.matrix
    if not np.array_equal(carry, np.eye(4)):
        add_fixed("tool_mount", carry)
    body = "\n".join([f'  <link name="{name}"/>' for name in links] + joints_xml)
    return f'<?xml version="1.0"?>\n<robot name="{_attr(robot.name)}">\n{body}\n</robot>\n'


# ------------------------------------------------------------------------------------------------ mutations
# Replacements for a number: huge, tiny, subnormal, non-finite, other scripts' digits, wrong types.
BAD_NUMBERS = (
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "1e-320",
    "5e-324",
    "-5e-324",
    "1e-170",
    "1e154",
    "1.3e154",
    "nan",
    "NaN",
    ".nan",
    "inf",
    "-inf",
    ".inf",
    "-.inf",
    "Infinity",
    "١٢",
    "１２",
    "𝟏𝟐",
    "٣.٥",
    "0x10",
    "0o7",
    "1_000",
    "01",
    "007",
    "+1",
    "1e",
    "e1",
    ".",
    "-",
    "",
    "pi/0",
    "pi*1e308",
    "1e308*10",
    "true",
    "null",
    "~",
    "yes",
    "[1, 2]",
    "{a: 1}",
    '"1"',
    "'x'",
    "1 2",
    "0",
    "-0",
    "-0.0",
    "1e-400",
)
BAD_CHARS = list("[]{}:,-#&*!|>'\"\t\n \x00\x07\x1b\ufeff\u2028<>/=?%@`\\") + ["١", "１", "𝟏", "\ud800", "é"]
YAML_WORDS = (
    "robokin",
    "name",
    "joints",
    "type",
    "dh",
    "mdh",
    "origin",
    "axis",
    "limits",
    "velocity",
    "xyz",
    "rpy",
    "a",
    "alpha",
    "d",
    "theta",
    "units",
    "length",
    "angle",
    "base",
    "tool",
    "configurations",
    "revolute",
    "prismatic",
    "fixed",
    "continuous",
    "mm",
    "deg",
    "pi",
    "1",
    "2",
    "- ",
    "&a",
    "*a",
    "!!python/object:x",
    "<<",
    "? ",
    "---",
    "...",
    "|",
    ">",
)
URDF_WORDS = (
    "robot",
    "link",
    "joint",
    "parent",
    "child",
    "origin",
    "axis",
    "limit",
    "mimic",
    "revolute",
    "continuous",
    "prismatic",
    "fixed",
    "floating",
    "planar",
    "xyz",
    "rpy",
    "lower",
    "upper",
    "velocity",
    "name",
    "type",
    '<!DOCTYPE r [<!ENTITY a "b">]>',
    "&a;",
    "<xacro:macro/>",
    "<?xml version='1.0' encoding='klingon'?>",
    "<?xml version='1.0' encoding='utf-16'?>",
    "<?xml version='1.0' encoding='shift_jis'?>",
    "]]>",
    "<!--",
)
_NUMBER_RE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _replace_random_match(rng: random.Random, text: str, pattern: re.Pattern, replacement: str) -> str:
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    m = rng.choice(matches)
    return text[: m.start()] + replacement + text[m.end() :]


def _edit_lines(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(4)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[j])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    return "\n".join(lines)


def _flip(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text) + 1)
    j = min(len(text), i + rng.randint(0, 3))
    return text[:i] + (rng.choice(BAD_CHARS) if rng.random() < 0.7 else "") + text[j:]


def _mutate(rng: random.Random, text: str, words: tuple[str, ...], word_re: re.Pattern) -> str:
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        if op == 0:
            text = _flip(rng, text)
        elif op == 1:
            text = _edit_lines(rng, text)
        elif op == 2:
            text = _replace_random_match(rng, text, _NUMBER_RE, rng.choice(BAD_NUMBERS))
        elif op == 3:
            text = _replace_random_match(rng, text, word_re, rng.choice(words))
        elif op == 4:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(words + BAD_NUMBERS) + text[i:]
        else:
            text = text[: rng.randrange(len(text) + 1)]
    return text


_YAML_WORD_RE = re.compile(r"[A-Za-z_]+")
_URDF_WORD_RE = re.compile(r"[A-Za-z_]+|\"[^\"]*\"")


def mutate_yaml(rng: random.Random, text: str) -> str:
    """1-3 random edits of a YAML document (see the module docstring)."""
    return _mutate(rng, text, YAML_WORDS, _YAML_WORD_RE)


def mutate_urdf(rng: random.Random, text: str) -> str:
    """1-3 random edits of a URDF document, attribute values included."""
    return _mutate(rng, text, URDF_WORDS + tuple(f'"{v}"' for v in BAD_NUMBERS[:20]), _URDF_WORD_RE)


# ------------------------------------------------------------------------------------------------ documents
def document(rng: random.Random) -> tuple[str, str]:
    """``(kind, text)``: a random robot as YAML or URDF, mutated with probability 0.8."""
    robot = random_robot(rng)
    if rng.random() < 0.5:
        text = yaml_text(robot, rng)
        return "yaml", mutate_yaml(rng, text) if rng.random() < 0.8 else text
    text = urdf_text(robot)
    return "urdf", mutate_urdf(rng, text) if rng.random() < 0.8 else text


def loader(kind: str) -> Callable[[str], Robot]:
    """``robokin.loads`` for "yaml", ``robokin.loads_urdf`` for "urdf"."""
    import robokin

    return {"yaml": robokin.loads, "urdf": robokin.loads_urdf}[kind]


# ------------------------------------------------------------------------------------------------ API calls
API_ROBOTS = ("planar2r", "puma560", "ur5", "panda", "stanford")
_WORDS = ("", "world", "tool", "analytic", "forward", "reverse", "numeric", "all", "auto", "WORLD", "x" * 200)


def bad_array(
    rng: random.Random, valid: np.ndarray, primary: bool = True, sized: bool = True, batched: bool = True
) -> tuple[object, bool | None]:
    """A corrupted version of the valid float array ``valid``, and whether it is certainly invalid
    (True: must raise a RobokinError), certainly valid (False: must work) or either (None).

    ``primary``: ``valid`` is the call's main batched argument (q, J), so extra batch axes and other finite
    values keep it valid; a secondary one (qd, q0, a transform) may not broadcast or stay rigid. ``sized``:
    its last dimension is fixed (n joints, 6 rows; not J's columns). ``batched``: the function takes
    leading batch axes (``analyze`` takes one configuration)."""
    kind = rng.randrange(15)
    if kind == 0:  # another last dimension
        shape = valid.shape[:-1] + (max(valid.shape[-1] + rng.choice((-2, -1, 1, 3)), 0),) if valid.ndim else (2,)
        return np.zeros(shape), True if sized else None
    if kind in (1, 2):  # NaN or ±inf somewhere
        out = np.array(valid, dtype=float)
        if out.size:
            out.flat[rng.randrange(out.size)] = rng.choice((math.nan, math.inf, -math.inf))
            return out, True
        return out, None
    if kind == 3:
        return np.asarray(valid) + 1j * rng.choice((0.0, 1.0)), True  # complex, even with zero imaginary part
    if kind == 4:
        if rng.random() < 0.2:
            return None, None  # None is the default of optional arguments (q0)
        return rng.choice(("abc", "1.0", b"\x00", object(), {"q": 1})), True
    if kind == 5:  # ragged nested lists
        return [list(np.ravel(valid)), [1.0]], True
    if kind == 6:  # huge but finite values
        return np.full_like(np.asarray(valid, dtype=float), rng.choice((1e308, -1e308, 1e154, 1e20))), None
    if kind == 7:
        return np.full_like(
            np.asarray(valid, dtype=float), rng.choice((1e-320, 5e-324, -0.0))
        ), False if primary else None
    if kind == 8:  # extra batch axes
        return np.broadcast_to(valid, (2, 3) + np.shape(valid)).copy(), False if primary and batched else None
    if kind == 9:  # an empty batch
        return np.zeros((0,) + np.shape(valid)), False if primary and batched else None
    if kind == 10:
        return np.zeros(np.shape(valid), dtype="datetime64[s]"), True
    if kind == 11:
        return np.ma.masked_array(valid, mask=np.ones(np.shape(valid), dtype=bool)), True
    if kind == 12:  # a bare scalar
        return rng.choice((0.0, 1, True)), True
    if kind == 13:  # booleans or integers: numbers or not, the library decides
        return np.ones(np.shape(valid), dtype=rng.choice((bool, np.int64, np.float32))), None
    return np.asarray(valid).tolist(), False  # plain lists are valid


def bad_option(rng: random.Random, valid: object) -> tuple[object, bool | None]:
    """A corrupted string/int option."""
    r = rng.randrange(6)
    if r == 0:
        return rng.choice(_WORDS), None
    if r == 1:
        return None, None
    if r == 2:
        return rng.choice((0, -1, 1.5, 1e308, math.nan)), None
    if r == 3:
        return np.array([valid]), True
    if r == 4:
        return [valid], None
    return valid, False


def api_case(rng: random.Random, robots: dict) -> tuple[str, Callable[[], object], bool | None]:
    """A call to a public function with one argument corrupted: ``(label, thunk, must_fail)``, where
    ``must_fail`` is True when the call must raise a RobokinError, False when it must return, None when
    either is right (the result must then still be free of NaN)."""
    import robokin
    from robokin import ik, kinematics, measures, singularity

    name = rng.choice(API_ROBOTS)
    robot = robots[name]
    q = sample_q(robot, rng, 1)[0]
    qd = np.array([rng.uniform(-1, 1) for _ in range(robot.n)])
    wrench = np.array([rng.uniform(-1, 1) for _ in range(6)])
    T = robot.fk(sample_q(robot, rng, 1)[0])
    J = robot.jacobian(q)
    calls = {
        "fk": (robokin.fk, {"robot": robot, "q": q}),
        "fk_frames": (robokin.fk_frames, {"robot": robot, "q": q}),
        "jacobian": (
            robokin.jacobian,
            {
                "robot": robot,
                "q": q,
                "frame": "world",
                "method": rng.choice(("analytic", "forward", "reverse", "numeric")),
            },
        ),
        "hessian": (robokin.hessian, {"robot": robot, "q": q}),
        "jacobian_dot": (robokin.jacobian_dot, {"robot": robot, "q": q, "qd": qd}),
        "manipulability_gradient": (robokin.manipulability_gradient, {"robot": robot, "q": q}),
        "tool_twist": (getattr(kinematics, "tool_twist", None), {"robot": robot, "q": q, "qd": qd}),
        "joint_torques": (getattr(kinematics, "joint_torques", None), {"robot": robot, "q": q, "wrench": wrench}),
        "is_singular": (singularity.is_singular, {"robot": robot, "q": q}),
        "analyze": (singularity.analyze, {"robot": robot, "q": q}),
        "manipulability": (measures.manipulability, {"J": J}),
        "inverse_condition": (measures.inverse_condition, {"J": J}),
        "manipulability(robot)": (robokin.manipulability, {"robot": robot, "q": q}),
        "ik.solve": (ik.solve, {"robot": robot, "T_target": T, "q0": q}),
    }
    label = rng.choice(sorted(k for k, (f, _) in calls.items() if f is not None))
    func, kwargs = calls[label]
    kwargs = dict(kwargs)
    corruptible = [k for k in kwargs if k != "robot"]
    must_fail: bool | None = False
    if corruptible and rng.random() < 0.9:
        key = rng.choice(corruptible)
        if isinstance(kwargs[key], str):
            kwargs[key], must_fail = bad_option(rng, kwargs[key])
        else:
            kwargs[key], must_fail = bad_array(
                rng, kwargs[key], primary=key in ("q", "J"), sized=key != "J", batched=not label.startswith("analyze")
            )
        label += f"({key}=corrupted)"
    args = [kwargs.pop("robot")] if "robot" in kwargs else []
    positional = [kwargs.pop(k) for k in ("q", "J", "T_target") if k in kwargs]
    return label, (lambda: func(*args, *positional, **kwargs)), must_fail


def has_nan(value: object) -> bool:
    """Whether a result (array, number, dataclass or tuple of them) holds a NaN anywhere."""
    import dataclasses

    if isinstance(value, (np.ndarray, float, np.floating)):
        arr = np.asarray(value)
        return arr.dtype.kind in "fc" and bool(np.isnan(arr).any())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(has_nan(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return any(has_nan(v) for v in value)
    return False
