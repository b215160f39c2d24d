"""URDF → :class:`~robokin.model.Robot`: the serial chain from a base link to a tip link, parsed with safe XML.

The file is read with the standard library's expat parser, building a small element tree of the elements
robokin reads (``<robot>``, its links and joints), each remembering its line and column, so every error names
the file, the line and the element. Document type declarations are refused outright, so no entity (internal,
external or recursive "billion laughs") is ever expanded. The document is bounded (``MAX_BYTES``,
``MAX_ELEMENTS``, ``MAX_DEPTH``, ``MAX_ATTRIBUTE_CHARS``, checked element by element while expat parses) and
only regular files are opened, so a hostile file fails in well under a second; the bounds admit chains of
``MAX_JOINTS`` joints with everything real URDFs carry. Numbers are ASCII decimals only.

A URDF joint maps one to one onto a robokin joint of the ``"origin"`` form:

==============  ===========================================================================================
URDF            robokin :class:`~robokin.model.Joint`
==============  ===========================================================================================
``revolute``    ``"revolute"``, limits from ``<limit lower upper>`` (required, as URDF requires)
``continuous``  ``"revolute"``, unlimited (``±inf``)
``prismatic``   ``"prismatic"``, limits from ``<limit lower upper>`` (required)
``fixed``       ``"fixed"`` (kept, name preserved, so every frame of the chain is still there)
``<origin>``    ``origin=Origin(xyz [m], rpy [rad])``; missing attributes are zeros
``<axis>``      ``axis`` normalised as in YAML files (:func:`robokin.model.unit_axis`); a missing ``<axis>`` is
                ``1 0 0`` (URDF's default, not z); an ``<axis>`` without ``xyz`` is refused (URDF requires it)
``velocity``    ``velocity`` [rad/s or m/s] from ``<limit velocity>``, None when absent or 0 (as in YAML)
==============  ===========================================================================================

Missing ``lower``/``upper`` attributes of a ``<limit>`` are 0, as in URDF. ``effort``, dynamics, calibration,
safety controllers, links' inertia, visuals and collisions are not kinematics and are ignored. The robot's
base frame is the base link's frame and its tool frame is the tip link's frame (``base`` and ``tool`` are
identity), so ``robot.fk(q)`` is ``T_base_tip``, the pose of the tip link in the base link.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn, cast
from xml.parsers import expat

from . import files, validation
from .errors import PlausibilityWarning, RobotFormatError
from .files import MAX_JOINTS, MAX_NAME_CHARS, MAX_TEXT_CHARS, read_robot_file, without_cycle_collection
from .model import Joint, JointType, Mimic, Origin, Robot, first_cycle

__all__ = [
    "load_urdf",
    "loads_urdf",
    "describe_urdf",
    "describes_urdf",
    "plausibility_warnings",
    "UrdfDescription",
    "UrdfLeaf",
]

# URDF's joint types and what robokin does with each when it lies on the chain.
_SUPPORTED_TYPES = ("revolute", "continuous", "prismatic", "fixed")
_UNSUPPORTED_TYPES = ("floating", "planar")
_URDF_JOINT_TYPES = _SUPPORTED_TYPES + _UNSUPPORTED_TYPES

# A decimal number as URDF files write them: ASCII digits only (no underscores, no hex, no "nan"/"inf"
# words, and no Unicode digits such as '١٢', which Python's float() would accept).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# At most this many names are listed in an error message.
_MAX_LISTED = 20

# Bounds on what the reader accepts, so that a hostile or degenerate document fails fast (in well under a
# second) instead of exhausting time or memory. They admit chains of MAX_JOINTS joints whose links carry
# everything real URDFs carry (visuals, collisions, inertia, transmissions, Gazebo tags: about 30 elements
# and 1.5 kB per link and joint).
MAX_BYTES = 32 * 1024 * 1024  # the whole document [bytes]
MAX_ELEMENTS = 50 * MAX_JOINTS  # XML elements, ignored ones included
MAX_DEPTH = 64  # nesting of elements; a URDF nests 4 deep, Gazebo plugin settings a few more
MAX_ATTRIBUTE_CHARS = 4096  # one attribute value (mesh paths are the longest in practice)


# --------------------------------------------------------------------------------------------- XML tree
@dataclass(eq=False)
class _Element:
    """One XML element with its 1-based source position."""

    tag: str
    attrib: dict[str, str]
    line: int
    column: int
    children: list[_Element] = field(default_factory=list)

    def all(self, tag: str) -> list[_Element]:
        return [c for c in self.children if c.tag == tag]


def _xacro_hint(name: str) -> str:
    """The command that expands a xacro file ``name`` (or an example one) into plain URDF."""
    if not name.lower().endswith(".xacro"):
        name = "arm.urdf.xacro"
    stem = name[: -len(".xacro")]
    if not stem.lower().endswith(".urdf"):
        stem += ".urdf"
    return f"expand it to plain URDF first: `xacro {name} > {stem}`"


def _parse_xml(data: bytes, path: str, encoding: str | None) -> _Element:
    """Parse ``data`` into an element tree of the elements robokin reads, refusing DTDs and entities.

    Expat calls back element by element, so the element, depth and attribute-length caps stop a degenerate
    document at the element that breaks them; the elements that are not kinematics are counted, not stored.

    Raises:
        RobotFormatError: Malformed XML, an unknown or unsupported encoding, a DTD or entity declaration, a
            xacro element, or a document beyond the caps (MAX_BYTES, MAX_ELEMENTS, MAX_DEPTH,
            MAX_ATTRIBUTE_CHARS), always with the line and column.
    """
    if len(data) > MAX_BYTES:
        raise RobotFormatError(
            f"document too large: {len(data)} bytes (the limit is {MAX_BYTES} bytes)", path=path, line=1, column=1
        )
    parser = expat.ParserCreate(encoding)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Element | None] = []  # None for an element that is counted but not kept
    roots: list[_Element] = []
    elements = 0

    def here() -> tuple[int, int]:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def error(reason: str) -> RobotFormatError:
        line, column = here()
        return RobotFormatError(reason, path=path, line=line, column=column)

    def refuse(what: str) -> Callable[..., NoReturn]:
        def handler(*_args: Any) -> NoReturn:
            raise error(
                f"{what} is not allowed in a URDF read by robokin "
                "(DTDs and entities are refused so that nothing is expanded); remove it"
            )

        return handler

    def start(tag: str, attrib: dict[str, str]) -> None:
        nonlocal elements
        elements += 1
        if elements > MAX_ELEMENTS:
            raise error(f"document too large: more than {MAX_ELEMENTS} elements")
        if len(stack) >= MAX_DEPTH:
            raise error(f"document nested too deeply: more than {MAX_DEPTH} levels of elements")
        if tag.startswith("xacro:"):
            raise error(f"<{tag}> is a xacro element, not URDF: {_xacro_hint(Path(path).name)}")
        if attrib and max(map(len, attrib.values())) > MAX_ATTRIBUTE_CHARS:
            key, value = next((k, v) for k, v in attrib.items() if len(v) > MAX_ATTRIBUTE_CHARS)
            raise error(f"<{tag}> attribute {key} is {len(value)} characters long (at most {MAX_ATTRIBUTE_CHARS})")
        parent = stack[-1] if stack else None
        depth = len(stack)
        kept = depth == 0 or (
            parent is not None and ((depth == 1 and tag in ("link", "joint")) or (depth == 2 and parent.tag == "joint"))
        )
        if not kept:
            stack.append(None)
            return
        line, column = here()
        substituted = next((k for k, v in attrib.items() if "$(" in v or "${" in v), None)
        if substituted is not None:  # names, parents, numbers: xacro left them unexpanded
            raise error(
                f"<{tag}> attribute {substituted}={attrib[substituted]!r} holds a xacro substitution: this file "
                f"looks like an unexpanded xacro; {_xacro_hint(Path(path).name)}"
            )
        element = _Element(tag, attrib, line, column)
        if parent is not None:
            parent.children.append(element)
        else:
            roots.append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    parser.StartDoctypeDeclHandler = refuse("a document type declaration (<!DOCTYPE ...>)")
    parser.EntityDeclHandler = refuse("an entity declaration (<!ENTITY ...>)")
    parser.ExternalEntityRefHandler = refuse("an external entity reference")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise RobotFormatError(
            f"malformed XML: {expat.ErrorString(exc.code)}", path=path, line=exc.lineno, column=exc.offset + 1
        ) from None
    except LookupError as exc:  # expat asked Python for an encoding it does not know
        raise error(f"unknown XML encoding ({exc}); write the file in UTF-8") from None
    except (ValueError, OverflowError) as exc:  # e.g. a multi-byte encoding expat cannot use
        if isinstance(exc, RobotFormatError):
            raise
        raise error(f"cannot read the XML: {exc}") from None
    return roots[0]


# --------------------------------------------------------------------------------------------- values
@dataclass(frozen=True)
class _Where:
    """What an error message says about where a value is: the file, the element and its XPath."""

    path: str
    element: _Element
    label: str  # e.g. "joint 'elbow': <origin>"
    xpath: str  # e.g. "joint[@name='elbow']/origin"

    def error(self, reason: str, attr: str | None = None) -> RobotFormatError:
        key = self.xpath + (f"/@{attr}" if attr else "")
        return RobotFormatError(
            f"{self.label}: {reason}",
            path=self.path,
            line=self.element.line,
            column=self.element.column,
            key_path=key,
        )


def _number(text: str, where: _Where, attr: str) -> float:
    """One finite float from ``text``, or a RobotFormatError naming ``attr``."""
    value: float | None
    if _NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
        raise where.error(f"attribute {attr}={text!r} overflows to infinity (expected a finite number)", attr)
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None and not math.isfinite(value):
        raise where.error(f"attribute {attr} has {text!r}, which is not finite (expected a finite number)", attr)
    raise where.error(f"attribute {attr} has {text!r}, which is not a number", attr)  # xacro's ${...}: _parse_xml


def _vector(where: _Where, attr: str, default: tuple[float, float, float]) -> tuple[float, float, float]:
    """The three numbers of attribute ``attr`` (``default`` when it is absent)."""
    text = where.element.attrib.get(attr)
    if text is None:
        return default
    tokens = text.split()
    if len(tokens) != 3:
        raise where.error(f"attribute {attr}={text!r} has {len(tokens)} numbers, expected 3", attr)
    x, y, z = (_number(t, where, attr) for t in tokens)
    return (x, y, z)


def _scalar(where: _Where, attr: str) -> float | None:
    """The number of attribute ``attr``, or None when it is absent."""
    text = where.element.attrib.get(attr)
    if text is None:
        return None
    return _number(text.strip(), where, attr)


def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _MAX_LISTED else "")


# --------------------------------------------------------------------------------------------- URDF model
@dataclass(frozen=True)
class _UrdfJoint:
    """A URDF joint as written, validated, before the chain is chosen."""

    name: str
    type: str
    parent: str
    child: str
    element: _Element
    origin: Origin
    axis: tuple[float, float, float]
    limits: tuple[float, float]
    velocity: float | None
    mimic: str | None
    mimic_element: _Element | None = None
    multiplier: float = 1.0
    offset: float = 0.0
    model: Joint | None = None  # the model's joint of the whole tree (link frames, mimic), when the type is supported


def _single(parent: _Element, tag: str, label: str, xpath: str, path: str, required: bool) -> _Element | None:
    found = parent.all(tag)
    if len(found) > 1:
        raise RobotFormatError(
            f"{label}: has {len(found)} <{tag}> elements, expected at most one",
            path=path,
            line=found[1].line,
            column=found[1].column,
            key_path=f"{xpath}/{tag}",
        )
    if not found:
        if required:
            raise _Where(path, parent, label, xpath).error(f"is missing its <{tag}> element")
        return None
    return found[0]


def _required_attr(element: _Element, attr: str, label: str, xpath: str, path: str) -> str:
    value = element.attrib.get(attr)
    if value is None or not value.strip():
        raise _Where(path, element, label, xpath).error(f"<{element.tag}> needs a non-empty {attr} attribute", attr)
    return value.strip()


def _parse_joint(element: _Element, links: dict[str, _Element], path: str) -> _UrdfJoint:
    name = _required_attr(element, "name", "a <joint>", "joint", path)
    label = f"joint {name!r}"
    xpath = f"joint[@name={name!r}]"
    jtype = _required_attr(element, "type", label, xpath, path)
    if jtype not in _URDF_JOINT_TYPES:
        raise _Where(path, element, label, xpath).error(
            f"unknown joint type {jtype!r} (expected one of {', '.join(_URDF_JOINT_TYPES)})", "type"
        )

    ends = {}
    for tag in ("parent", "child"):
        sub = _single(element, tag, label, xpath, path, required=True)
        assert sub is not None  # required=True raises when it is missing
        link = _required_attr(sub, "link", f"{label}: <{tag}>", f"{xpath}/{tag}", path)
        if link not in links:
            raise _Where(path, sub, label, f"{xpath}/{tag}").error(
                f"<{tag}> names link {link!r}, which is not a <link> of this robot", "link"
            )
        ends[tag] = link
    if ends["parent"] == ends["child"]:
        raise _Where(path, element, label, xpath).error(f"connects link {ends['parent']!r} to itself (a cycle)")

    origin_el = _single(element, "origin", label, xpath, path, required=False)
    if origin_el is None:
        origin = Origin()
    else:
        where = _Where(path, origin_el, f"{label}: <origin>", f"{xpath}/origin")
        origin = Origin(_vector(where, "xyz", (0.0, 0.0, 0.0)), _vector(where, "rpy", (0.0, 0.0, 0.0)))

    axis = (0.0, 0.0, 1.0)  # unused by fixed (and floating) joints
    axis_where = None
    if jtype in ("revolute", "continuous", "prismatic", "planar"):
        axis_el = _single(element, "axis", label, xpath, path, required=False)
        if axis_el is None:
            axis = (1.0, 0.0, 0.0)  # URDF's default axis
        else:
            axis_where = _Where(path, axis_el, f"{label}: <axis>", f"{xpath}/axis")
            if "xyz" not in axis_el.attrib:  # URDF requires it; urdfdom would read a zero axis, not the default
                raise axis_where.error(
                    "<axis> needs an xyz attribute (an <axis> without it is not URDF's default 1 0 0: urdfdom "
                    'reads it as a zero axis); write e.g. <axis xyz="1 0 0"/> or leave out the <axis> element',
                    "xyz",
                )
            axis = _vector(axis_where, "xyz", (1.0, 0.0, 0.0))

    limits = (-math.inf, math.inf)
    velocity = None
    limit_where = None
    limit_el = _single(element, "limit", label, xpath, path, required=jtype in ("revolute", "prismatic"))
    if limit_el is not None and jtype in ("revolute", "continuous", "prismatic"):
        limit_where = _Where(path, limit_el, f"{label}: <limit>", f"{xpath}/limit")
        velocity = _scalar(limit_where, "velocity")
        if jtype != "continuous":  # URDF ignores lower/upper of a continuous joint
            lower = _scalar(limit_where, "lower")
            upper = _scalar(limit_where, "upper")
            limits = (0.0 if lower is None else lower, 0.0 if upper is None else upper)

    checked = None
    if jtype in _SUPPORTED_TYPES:  # the joint rules are the model's; this reader adds the location
        try:
            # built once, as the whole tree uses it (its mimic coupling is added below)
            as_read = _UrdfJoint(
                name, jtype, ends["parent"], ends["child"], element, origin, axis, limits, velocity, None
            )
            checked = _to_joint(as_read, tree_mode=True)
        except RobotFormatError as e:
            attr = {"axis": "xyz", "limits": "lower", "velocity": "velocity"}.get(e.key_path)
            located = {"axis": axis_where, "limits": limit_where, "velocity": limit_where}.get(e.key_path)
            raise (located or _Where(path, element, label, xpath)).error(e.reason, attr) from None
        axis, limits, velocity = checked.axis, checked.limits, checked.velocity

    mimic_el = _single(element, "mimic", label, xpath, path, required=False)
    mimic, multiplier, offset = None, 1.0, 0.0
    if mimic_el is not None:
        mimic_where = _Where(path, mimic_el, f"{label}: <mimic>", f"{xpath}/mimic")
        mimic = mimic_el.attrib.get("joint", "").strip()
        if not mimic:
            raise mimic_where.error("<mimic> needs a non-empty joint attribute", "joint")
        given_multiplier, given_offset = _scalar(mimic_where, "multiplier"), _scalar(mimic_where, "offset")
        multiplier = 1.0 if given_multiplier is None else given_multiplier
        offset = 0.0 if given_offset is None else given_offset
        if checked is not None and checked.moving:
            checked = replace(checked, mimic=Mimic(mimic, multiplier, offset))
    return _UrdfJoint(
        name,
        jtype,
        ends["parent"],
        ends["child"],
        element,
        origin,
        axis,
        limits,
        velocity,
        mimic,
        mimic_el,
        multiplier,
        offset,
        checked,
    )


@dataclass(frozen=True)
class _Tree:
    """The validated kinematic tree of a URDF."""

    name: str
    element: _Element  # the <robot>
    links: dict[str, _Element]  # in document order
    joints: dict[str, _UrdfJoint]
    parent_joint: dict[str, _UrdfJoint]  # child link → the joint above it
    child_joints: dict[str, list[_UrdfJoint]]  # link → the joints below it
    root: str

    def error(self, reason: str, element: _Element | None = None, key_path: str = "", *, path: str) -> RobotFormatError:
        """A chain-level error located at ``element`` (default: the ``<robot>`` element)."""
        at = self.element if element is None else element
        return RobotFormatError(reason, path=path, line=at.line, column=at.column, key_path=key_path)


def _joint_where(path: str, joint: _UrdfJoint) -> _Where:
    return _Where(path, joint.element, f"joint {joint.name!r}", f"joint[@name={joint.name!r}]")


def _find_cycle(links: dict[str, _Element], parent_joint: dict[str, _UrdfJoint]) -> list[_UrdfJoint] | None:
    """The joints of a cycle (from parent to child, starting at the first one in the file), or None.

    Linear in the number of links (:func:`robokin.model.first_cycle`, the YAML reader's check too).
    """
    cycle = first_cycle({link: parent_joint[link].parent for link in links if link in parent_joint})
    if cycle is None:
        return None
    loop = [parent_joint[link] for link in reversed(cycle)]
    first = min(range(len(loop)), key=lambda i: loop[i].element.line)
    return loop[first:] + loop[:first]


def _build_tree(robot_el: _Element, path: str) -> _Tree:
    if robot_el.tag != "robot":
        raise RobotFormatError(
            f"the root element is <{robot_el.tag}>, expected <robot> (is this a URDF file?)",
            path=path,
            line=robot_el.line,
            column=robot_el.column,
        )
    name = _required_attr(robot_el, "name", "<robot>", "robot", path)
    if len(name) > MAX_NAME_CHARS:
        raise _Where(path, robot_el, "<robot>", "robot").error(
            f"the name is {len(name)} characters long (at most {MAX_NAME_CHARS})", "name"
        )

    links: dict[str, _Element] = {}
    for link_el in robot_el.all("link"):
        link = _required_attr(link_el, "name", "a <link>", "link", path)
        if link in links:
            raise _Where(path, link_el, f"link {link!r}", f"link[@name={link!r}]").error(
                f"is defined twice (first on line {links[link].line})"
            )
        links[link] = link_el
    if not links:
        raise RobotFormatError(f"robot {name!r} has no <link>", path=path, line=robot_el.line, column=robot_el.column)

    joints: dict[str, _UrdfJoint] = {}
    for joint_el in robot_el.all("joint"):
        joint = _parse_joint(joint_el, links, path)
        if joint.name in joints:
            raise _joint_where(path, joint).error(f"is defined twice (first on line {joints[joint.name].element.line})")
        joints[joint.name] = joint

    parent_joint: dict[str, _UrdfJoint] = {}
    child_joints: dict[str, list[_UrdfJoint]] = {link: [] for link in links}
    for joint in joints.values():
        other = parent_joint.get(joint.child)
        if other is not None:
            raise _joint_where(path, joint).error(
                f"link {joint.child!r} is already the child of joint {other.name!r}: a URDF is a tree "
                "(each link has at most one parent joint), this one has a cycle or a closed loop"
            )
        parent_joint[joint.child] = joint
        child_joints[joint.parent].append(joint)

    loop = _find_cycle(links, parent_joint)
    if loop is not None:
        raise _joint_where(path, loop[0]).error(
            "is part of a cycle of joints " + " -> ".join(repr(j.name) for j in loop + loop[:1]) + " (a URDF is a tree)"
        )

    roots = [link for link in links if link not in parent_joint]
    if len(roots) > 1:
        second = links[roots[1]]
        raise RobotFormatError(
            f"robot {name!r} has {len(roots)} root links ({_listing(roots)}), expected one: every link but the "
            "root must be the child of a joint",
            path=path,
            line=second.line,
            column=second.column,
            key_path=f"link[@name={roots[1]!r}]",
        )
    return _Tree(name, robot_el, links, joints, parent_joint, child_joints, roots[0])


def _leaves_below(tree: _Tree, base: str) -> list[str]:
    """The links without children in the subtree below ``base``, in depth-first order."""
    leaves, todo = [], [base]
    while todo:
        link = todo.pop()
        below = tree.child_joints[link]
        if not below:
            leaves.append(link)
        todo.extend(j.child for j in reversed(below))
    return leaves


def _chain(tree: _Tree, base: str | None, tip: str | None, path: str) -> tuple[str, str, list[_UrdfJoint]]:
    """The joints from ``base`` to ``tip`` (defaults resolved), in order from the base.

    Every error is located: at the link or joint element it is about, or at ``<robot>`` for a base or tip
    that names no link.
    """
    for role, link in (("base", base), ("tip", tip)):
        if link is not None and link not in tree.links:
            raise tree.error(
                f"unknown {role} link {link!r} (links of robot {tree.name!r}: {_listing(list(tree.links))})", path=path
            )
    base = tree.root if base is None else base
    base_el = tree.links[base]
    if tip is None:
        leaves = _leaves_below(tree, base)
        if leaves == [base]:
            raise tree.error(f"base link {base!r} has no joint below it", base_el, path=path)
        if len(leaves) > 1:
            raise tree.error(
                f"the tree below base link {base!r} has {len(leaves)} leaf links; pass tip= (or --tip) to "
                f"choose the end of the chain. Leaves, moving chains first: {_leaf_listing(_leaves(tree, base))}",
                tree.links[leaves[1]],
                f"link[@name={leaves[1]!r}]",
                path=path,
            )
        tip = leaves[0]
    tip_el = tree.links[tip]
    if tip == base:
        raise tree.error(f"base and tip are the same link {base!r}: the chain has no joint", base_el, path=path)
    joints = []
    link = tip
    while link != base:
        if link not in tree.parent_joint:
            raise tree.error(
                f"tip link {tip!r} is not below base link {base!r} (walking up from the tip reaches root "
                f"{tree.root!r} first)",
                tip_el,
                f"link[@name={tip!r}]",
                path=path,
            )
        joint = tree.parent_joint[link]
        joints.append(joint)
        link = joint.parent
    joints.reverse()
    if len(joints) > MAX_JOINTS:
        raise _joint_where(path, joints[MAX_JOINTS]).error(
            f"the chain from {base!r} to {tip!r} has {len(joints)} joints (robokin reads chains of at most "
            f"{MAX_JOINTS})"
        )
    for joint in joints:
        where = _joint_where(path, joint)
        if joint.type in _UNSUPPORTED_TYPES:
            raise where.error(
                f"is a {joint.type} joint on the chain from {base!r} to {tip!r}; robokin handles serial chains of "
                f"{', '.join(_SUPPORTED_TYPES)} joints (choose base=/tip= to leave it out)",
                "type",
            )
        if joint.mimic is not None and joint.type != "fixed":  # (a fixed joint's <mimic> moves nothing)
            raise where.error(
                f"mimics joint {joint.mimic!r} and lies on the chain from {base!r} to {tip!r}; mimic joints are "
                "not supported on the chain (choose a tip that leaves it out)"
            )
        if len(joint.name) > MAX_NAME_CHARS:
            raise where.error(f"the name is {len(joint.name)} characters long (at most {MAX_NAME_CHARS})", "name")
    if not any(j.type != "fixed" for j in joints):
        raise _joint_where(path, joints[0]).error(
            f"the chain from {base!r} to {tip!r} has no moving joint (only fixed joints "
            f"{_listing([j.name for j in joints])})"
        )
    return base, tip, joints


def _whole_tree(tree: _Tree, path: str) -> list[Joint]:
    """Every joint of the URDF in document order, each hanging from its parent link, mimic joints coupled."""
    joints = list(tree.joints.values())
    if len(joints) > MAX_JOINTS:
        raise _joint_where(path, joints[MAX_JOINTS]).error(
            f"the tree has {len(joints)} joints (robokin reads robots of at most {MAX_JOINTS})"
        )
    for joint in joints:
        where = _Where(path, joint.element, f"joint {joint.name!r}", f"joint[@name={joint.name!r}]")
        if len(joint.name) > MAX_NAME_CHARS:
            raise where.error(f"the name is {len(joint.name)} characters long (at most {MAX_NAME_CHARS})", "name")
        if joint.type in _UNSUPPORTED_TYPES:
            raise where.error(
                f"is a {joint.type} joint; robokin handles trees of {', '.join(_SUPPORTED_TYPES)} joints "
                "(pass base=/tip= to extract a chain that leaves it out)",
                "type",
            )
        if joint.mimic is not None and joint.type != "fixed":
            mwhere = _Where(
                path,
                joint.mimic_element or joint.element,
                f"joint {joint.name!r}: <mimic>",
                f"joint[@name={joint.name!r}]/mimic",
            )
            leader = tree.joints.get(joint.mimic)
            if leader is None:
                raise mwhere.error(f"mimics joint {joint.mimic!r}, which is not a <joint> of this robot", "joint")
            if leader is joint:
                raise mwhere.error("mimics itself (a joint can only follow another joint)", "joint")
            if leader.type == "fixed":
                raise mwhere.error(f"mimics joint {joint.mimic!r}, which is fixed (a leader must move)", "joint")
            if leader.mimic is not None and leader.type != "fixed":
                raise mwhere.error(
                    f"mimics joint {joint.mimic!r}, which itself mimics {leader.mimic!r} (mimic chains are not "
                    "supported: point it at the leader with the product of the multipliers)",
                    "joint",
                )
    if not tree.joints:
        raise RobotFormatError(
            f"robot {tree.name!r} has no joint (its only link is {tree.root!r}): nothing moves", path=path
        )
    if not any(j.type != "fixed" and (j.mimic is None) for j in tree.joints.values()):
        raise RobotFormatError(
            f"robot {tree.name!r} has no moving joint (only fixed joints {_listing(list(tree.joints))})",
            path=path,
        )
    return [cast(Joint, j.model) for j in tree.joints.values()]  # every type is supported (checked above)


def _to_joint(joint: _UrdfJoint, tree_mode: bool = False) -> Joint:
    rtype = cast(JointType, {"continuous": "revolute"}.get(joint.type, joint.type))  # checked on reading
    # A whole tree keeps the link names as frame names; an extracted chain is a format-1 chain as before.
    parent, child = (joint.parent, joint.child) if tree_mode else (None, None)
    if rtype == "fixed":
        return Joint(name=joint.name, type="fixed", form="origin", origin=joint.origin, parent=parent, child=child)
    mimic = None
    if tree_mode and joint.mimic is not None:
        mimic = Mimic(joint.mimic, joint.multiplier, joint.offset)
    return Joint(
        name=joint.name,
        type=rtype,
        form="origin",
        origin=joint.origin,
        axis=joint.axis,
        limits=joint.limits,
        velocity=joint.velocity,
        parent=parent,
        child=child,
        mimic=mimic,
    )


# --------------------------------------------------------------------------------------------- description
# A leaf link whose name says it is a sensor or camera frame (listed last among the leaves).
_SENSOR_NAME = re.compile(
    r"camera|optical|sensor|imu|laser|lidar|scan|depth|rgb|infra|kinect|realsense|sonar|gps|_ir(_|$)", re.I
)


@dataclass(frozen=True)
class UrdfLeaf:
    """A leaf link of a URDF tree: a possible ``tip`` of a chain.

    Attributes:
        link: The link's name.
        moving: Number of moving (revolute, continuous, prismatic) joints from the base link to it.
        joints: Number of joints from the base link to it.
        sensor: True for a pure sensor or camera frame: named like one and hung on a fixed joint.
    """

    link: str
    moving: int
    joints: int
    sensor: bool

    def __str__(self) -> str:
        kind = "sensor frame, " if self.sensor else ""
        return f"{self.link!r} ({kind}{self.moving} moving joint{'s' if self.moving != 1 else ''})"


@dataclass(frozen=True)
class UrdfDescription:
    """What a URDF file holds, validated as a whole (every link and joint), before a chain is chosen.

    Attributes:
        name: The ``<robot name>``.
        path: The file (or ``"<string>"``).
        root: The root link.
        links: Every link, in document order.
        joints: Every joint, in document order.
        joint_types: The URDF type of each joint (``"revolute"``, ``"continuous"``, ...).
        leaves: The leaf links below the root: moving chains first (most moving joints first), then frames
            fixed to the root, pure sensor and camera frames last; document order breaks ties.
    """

    name: str
    path: str
    root: str
    links: tuple[str, ...]
    joints: tuple[str, ...]
    joint_types: tuple[str, ...]
    leaves: tuple[UrdfLeaf, ...]

    def __str__(self) -> str:
        moving = sum(t != "fixed" for t in self.joint_types)
        lines = [
            f"{self.path}: URDF robot {self.name!r}, {len(self.links)} links, {len(self.joints)} joints "
            f"({moving} moving), root link {self.root!r}",
            f"{len(self.leaves)} leaf link{'s' if len(self.leaves) != 1 else ''} (possible --tip), moving chains first:",
        ]
        lines += [f"  {leaf}" for leaf in self.leaves]
        return "\n".join(lines)


def _leaves(tree: _Tree, base: str) -> list[UrdfLeaf]:
    """The leaves below ``base``, ordered as :attr:`UrdfDescription.leaves` says."""
    order = {link: k for k, link in enumerate(tree.links)}
    # one pass down from the base counts the joints above every link (walking up from each leaf would be
    # quadratic: a comb of 8000 links took 9 s)
    above = {base: (0, 0)}  # link -> (moving joints, joints) from the base
    todo, found = [base], []
    while todo:
        link = todo.pop()
        moving, count = above[link]
        below = tree.child_joints[link]
        for joint in below:
            above[joint.child] = (moving + (joint.type != "fixed"), count + 1)
            todo.append(joint.child)
        if not below:
            last_fixed = link != base and tree.parent_joint[link].type == "fixed"
            found.append(UrdfLeaf(link, moving, count, bool(last_fixed and _SENSOR_NAME.search(link))))
    return sorted(found, key=lambda f: (f.sensor, f.moving == 0, -f.moving, order[f.link]))


def _leaf_listing(leaves: list[UrdfLeaf]) -> str:
    return ", ".join(str(leaf) for leaf in leaves)


def describes_urdf(text: str | bytes, path: str = "<string>") -> UrdfDescription:
    """Validate URDF text as a whole (every link and joint) and list its links, joints and leaves.

    No chain is chosen, so a file with several leaf links (a ``tool0`` and a ``base`` frame, grippers,
    cameras) is described, not refused; its leaves are the possible ``tip=`` of :func:`loads_urdf`.

    Args:
        text: The URDF document (``str``, or ``bytes`` in the encoding its XML declaration names).
        path: The name used in error messages.

    Returns:
        A :class:`UrdfDescription`; ``str()`` of it is what ``robokin info FILE.urdf`` prints.

    Raises:
        RobotFormatError: Anything :func:`loads_urdf` refuses in the file as a whole (not the choice of chain).
    """
    path = os.fspath(path)
    data, encoding = (text.encode("utf-8"), "utf-8") if isinstance(text, str) else (bytes(text), None)
    tree = _build_tree(_parse_xml(data, path, encoding), path)
    return UrdfDescription(
        name=tree.name,
        path=path,
        root=tree.root,
        links=tuple(tree.links),
        joints=tuple(tree.joints),
        joint_types=tuple(j.type for j in tree.joints.values()),
        leaves=tuple(_leaves(tree, tree.root)),
    )


def describe_urdf(path: str | os.PathLike) -> UrdfDescription:
    """Read a URDF file, validate it as a whole and list its links, joints and leaves (see :func:`describes_urdf`).

    Raises:
        OptionError: ``path`` is not a str or an ``os.PathLike``.
        RobotFormatError: A missing or unreadable file, or anything :func:`describes_urdf` refuses.
    """
    name = validation.file_path(path)
    return describes_urdf(_read_urdf_bytes(name), path=name)


# --------------------------------------------------------------------------------------------- public API
def loads_urdf(text: str | bytes, path: str = "<string>", base: str | None = None, tip: str | None = None) -> Robot:
    """Build a :class:`~robokin.model.Robot` from URDF text: the serial chain from ``base`` to ``tip``.

    Args:
        text: The URDF document (``str``, or ``bytes`` in the encoding its XML declaration names).
        path: The name used in error messages and in the robot's ``source``.
        base: The link whose frame is the robot's base frame; default: the URDF's root link.
        tip: The link whose frame is the tool frame; default: the only leaf link below ``base``.

    Returns:
        The robot, named as the URDF's ``<robot name>``, with every joint of the chain (fixed ones kept, names
        preserved), in metres and radians. Joints off the chain (e.g. a gripper's fingers) are ignored.

    Raises:
        RobotFormatError: Always with FILE:LINE:COL. Malformed XML, an unknown or unusable encoding, a
            document beyond the caps, a DTD or entity, a xacro file, a link or joint defined twice, a joint
            naming an unknown link, a cycle, several root links, an unknown joint type, an unknown base or tip,
            several leaves and no tip, a floating/planar joint or a moving mimic joint on the chain, a bad
            number (wrong count, not numeric, NaN or infinite), a zero axis or an ``<axis>`` without ``xyz``, a
            missing ``<limit>`` on a revolute
            or prismatic joint, a lower limit above the upper one.

    Warns:
        PlausibilityWarning: numbers that look like millimetres or degrees (:func:`plausibility_warnings`).
    """
    with without_cycle_collection():
        robot = _loads_urdf(text, path, base, tip)
    for message in plausibility_warnings(robot):
        warnings.warn(f"{os.fspath(path)}: {message}", PlausibilityWarning, stacklevel=2)
    return robot


def plausibility_warnings(robot: Robot) -> list[str]:
    """Sentences about numbers of a robot read from URDF that are most likely in the wrong unit (URDF has
    metres and radians only), each with the fix: a length beyond ``MAX_PLAUSIBLE_LENGTH`` (millimetres), a
    revolute limit beyond two turns (degrees); the same checks as the YAML reader's
    (:func:`robokin.format.plausibility_warnings`). Empty for a plausible robot."""
    found = []
    longest, where = files.longest_length(robot)
    if longest > files.MAX_PLAUSIBLE_LENGTH:
        found.append(
            f"{where} has a length of {longest:g} m; robot arms are below ~{files.MAX_PLAUSIBLE_LENGTH:g} m: URDF "
            "lengths are metres, so if these numbers are millimetres divide them by 1000"
        )
    worst = files.degree_looking_angle(robot)
    if worst is not None:
        found.append(
            f"joint {worst[1]!r} has a {worst[2]} of {worst[0]:g} rad (more than two turns): URDF angles are "
            "radians, so this looks like degrees; convert them (xacro: ${radians(...)})"
        )
    return found


def _loads_urdf(text: str | bytes, path: str, base: str | None, tip: str | None) -> Robot:
    """The work of :func:`loads_urdf` (which pauses the cyclic garbage collector around it)."""
    path = os.fspath(path)
    if isinstance(text, str):
        # A lone surrogate passes through as bytes expat refuses, with its line and column.
        data, encoding = text.encode("utf-8", "surrogatepass"), "utf-8"
    else:
        data, encoding = bytes(text), None
    tree = _build_tree(_parse_xml(data, path, encoding), path)
    extra: dict[str, Any] = {}
    if base is None and tip is None:  # the whole tree: every link a frame, mimic joints coupled
        chain = list(tree.joints.values())
        joints = tuple(_whole_tree(tree, path))
        source = f"URDF {path} (whole tree from link {tree.root!r})"
        short = f"URDF (whole tree from link {tree.root!r})"
        extra["root"] = tree.root
    else:
        base, tip, chain = _chain(tree, base, tip, path)
        joints = tuple(_to_joint(j) for j in chain)
        source = f"URDF {path} (chain from link {base!r} to link {tip!r})"
        short = f"URDF (chain from link {base!r} to link {tip!r})"
    if len(source) > MAX_TEXT_CHARS:  # an absurdly long path: keep the source savable
        source = short
    try:
        return Robot(name=tree.name, joints=joints, source=source, **extra)
    except RobotFormatError as e:  # a robot-level model rule (offsets adding up to infinity): locate it
        joint = next((j for j in chain if j.name == e.joint), None)
        if joint is None:
            raise tree.error(e.reason, path=path) from None
        raise _joint_where(path, joint).error(e.reason) from None


def load_urdf(path: str | os.PathLike, base: str | None = None, tip: str | None = None) -> Robot:
    """Read a URDF file and build the :class:`~robokin.model.Robot` of its chain from ``base`` to ``tip``.

    Args:
        path: The ``.urdf`` file. A ``.xacro`` file is refused with the command that expands it.
        base: The link whose frame is the robot's base frame; default: the URDF's root link.
        tip: The link whose frame is the tool frame; default: the only leaf link below ``base``.

    Returns:
        The robot; see :func:`loads_urdf`.

    Raises:
        OptionError: ``path`` is not a str or an ``os.PathLike``.
        RobotFormatError: A missing or unreadable file, not a regular file (a directory, FIFO or device), a
            file larger than ``MAX_BYTES``, a xacro file, or anything :func:`loads_urdf` refuses.
    """
    name = validation.file_path(path)
    return loads_urdf(_read_urdf_bytes(name), path=name, base=base, tip=tip)


def _read_urdf_bytes(name: str) -> bytes:
    """The bytes of the URDF file ``name``; RobotFormatError for a xacro file or an unreadable one."""
    if name.lower().endswith(".xacro"):
        raise RobotFormatError(f"this is a xacro file, not URDF: {_xacro_hint(Path(name).name)}", path=name)
    return read_robot_file(name, MAX_BYTES)
