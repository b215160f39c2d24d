"""Sphinx configuration of the robokin documentation site.

Build it (warnings are errors):

    python -m pip install '.[docs]' && sphinx-build -W -b html docs docs/_build/html

The gallery runs every script in ``demos/`` at build time (see ``_gallery.py``); ``ROBOKIN_DOCS_QUICK=1``
runs them with fewer frames, samples and starts, as CI does. No network is used at build time (no
intersphinx inventories are fetched).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document (and run the demos against) this checkout
sys.path.insert(0, str(DOCS))  # _gallery.py

os.environ.setdefault("MPLBACKEND", "Agg")

import robokin

project = "robokin"
author = "robokin developers"
copyright = f"2026, {author}"
release = robokin.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "api/_toplevel.rst", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
templates_path: list[str] = []

# --- autodoc + napoleon: the docstrings are Google style (Args:, Returns:, Raises:, Attributes:).
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": False}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True
# The names in signatures that are not documented here (numpy, matplotlib, typing aliases) stay plain text.
nitpicky = False

# --- myst: docs/format.md stays Markdown (the README links to it); its "#section" links need anchors.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# --- sphinx-gallery: demos/ run as written; their files become the page's pictures (see _gallery.py).
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "demos"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # execute every demo (their names are <verb>_<topic>.py)
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "_gallery.DemoOrder",
    "reset_argv": "_gallery.reset_argv",
    "image_scrapers": ("matplotlib", "_gallery.demo_file_scraper"),
    # The animations are the GIFs the demos save themselves (shown by the scraper above), not a second
    # rendering of each FuncAnimation by sphinx-gallery.
    "matplotlib_animations": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": True,
}
suppress_warnings = ["config.cache"]  # sphinx-gallery's config holds callables by name; not a pickling issue

# --- HTML
html_theme = "furo"
html_title = f"robokin {release}"
html_static_path: list[str] = []
pygments_style = "sphinx"


# --- The table of robokin.__all__ on docs/api/index.rst, generated so that it cannot drift from the code.
def _write_toplevel_table(app: object) -> None:
    import inspect

    from sphinx.util import logging

    logger = logging.getLogger("robokin.docs")
    documented = {p.stem for p in (DOCS / "api").glob("*.rst") if not p.stem.startswith(("_", "index"))}
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 25 75", "", "   * - name", "     - what it is"]
    for name in robokin.__all__:
        obj = getattr(robokin, name)
        if inspect.ismodule(obj):
            module, ref = obj.__name__, f":mod:`robokin.{name}`"
            summary = (obj.__doc__ or "").strip().partition("\n")[0]
        else:
            module = obj.__module__
            short = module.removeprefix("robokin.").split(".")[0]
            # A page documents a module's __all__ under the module's name (a package's re-exports included):
            # link there when the public module lists the name, else to where it is defined.
            public = sys.modules.get(f"robokin.{short}")
            listed = getattr(public, name, None) is obj and name in getattr(public, "__all__", ())
            target = f"robokin.{short}.{name}" if listed else f"{module}.{obj.__qualname__}"
            role = (
                "exc"
                if isinstance(obj, type) and issubclass(obj, BaseException)
                else ("class" if isinstance(obj, type) else "func")
            )
            ref = f":{role}:`robokin.{name} <{target}>`"
            summary = (inspect.getdoc(obj) or "").partition("\n")[0]
        short = module.removeprefix("robokin.").split(".")[0]
        if short not in documented:
            logger.warning("robokin.%s lives in %s, which has no page docs/api/%s.rst", name, module, short)
        lines += [f"   * - {ref}", f"     - {summary}"]
    (DOCS / "api" / "_toplevel.rst").write_text("\n".join(lines) + "\n", encoding="utf-8")


def setup(app):  # noqa: ANN001, ANN201 - Sphinx's hook
    app.connect("builder-inited", _write_toplevel_table)
