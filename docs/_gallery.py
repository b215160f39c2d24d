"""The glue between ``demos/`` and sphinx-gallery: the arguments each demo runs with, and its pictures.

Every demo follows one convention (``main(argv)``: an output folder first, then options; it writes its
picture or animation there and prints the path). sphinx-gallery runs each script as ``__main__`` with
``sys.argv[1:]`` from :func:`reset_argv`: a fresh output folder under ``docs/_build/demo-output/`` and, when
``ROBOKIN_DOCS_QUICK=1``, the small counts of :data:`QUICK`. :func:`demo_file_scraper` then puts the PNG and
GIF files the demo wrote into the page, under the code, like any figure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sphinx_gallery.scrapers import figure_rst

OUTPUT = Path(__file__).resolve().parent / "_build" / "demo-output"
PICTURES = (".png", ".gif")

# Options that keep each demo fast in quick mode (the same spirit as tests/test_demos.py).
QUICK: dict[str, list[str]] = {
    "animate_pick_place": ["--frames", "4"],
    "compare_jacobians": ["--samples", "8"],
    "solve_ik_targets": ["--targets", "3"],
    "tour_singularities": ["--starts", "8", "--resolution", "41"],
    "report_singularities": ["--starts", "6"],
    "compute_statics": ["--steps", "41"],
    "solve_two_hand_task": ["--frames", "8", "--pairs", "20"],
    "map_workspace": ["--samples", "5e4"],
}


# The gallery's order: from a robot file to pictures, in the order of the data flow.
ORDER = (
    "load_custom_arm",
    "plot_robots",
    "plot_frames",
    "compare_jacobians",
    "compute_statics",
    "solve_ik_options",
    "solve_ik_targets",
    "report_singularities",
    "tour_singularities",
    "animate_pick_place",
    "solve_two_hand_task",
    "map_workspace",
)


class DemoOrder:
    """``within_subsection_order`` for sphinx-gallery: :data:`ORDER` first, any other demo after, by name."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        stem = Path(filename).stem
        return (ORDER.index(stem) if stem in ORDER else len(ORDER), stem)

    def __repr__(self) -> str:  # sphinx-gallery compares configurations by repr
        return "DemoOrder"


def quick() -> bool:
    """True when ``ROBOKIN_DOCS_QUICK`` is set to a true value (``1``, ``true``, ``yes``)."""
    return os.environ.get("ROBOKIN_DOCS_QUICK", "").strip().lower() in ("1", "true", "yes")


def output_dir(src_file: str | os.PathLike[str]) -> Path:
    """The folder a demo writes into: ``docs/_build/demo-output/<demo name>``."""
    return OUTPUT / Path(src_file).stem


def reset_argv(gallery_conf: dict[str, Any], script_vars: dict[str, Any]) -> list[str]:
    """``sys.argv[1:]`` for one demo: its (emptied) output folder, then the quick options if asked for."""
    out = output_dir(script_vars["src_file"])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return [str(out), *(QUICK.get(out.name, []) if quick() else [])]


def demo_file_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any], **kwargs: Any) -> str:
    """Copy the pictures a demo wrote since the last call into the gallery's image folder; return their rST."""
    out = output_dir(block_vars["src_file"])
    seen: set[Path] = block_vars.setdefault("robokin_seen", set())
    new = sorted(p for p in out.glob("*") if p.suffix in PICTURES and p not in seen) if out.is_dir() else []
    images = []
    for path, target in zip(new, block_vars["image_path_iterator"]):
        target = Path(target).with_suffix(path.suffix)
        shutil.copyfile(path, target)
        seen.add(path)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"]) if images else ""
