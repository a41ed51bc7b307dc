"""Sphinx configuration of the API reference (`make docs`), rendered from the package's docstrings."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

project = "arbbot"
author = "arbbot contributors"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.viewcode"]
templates_path = ["_templates"]
exclude_patterns = ["_build", "solver.md"]
autosummary_generate = True
autosummary_ignore_module_all = True  # every submodule is listed; automodule still honours __all__
# Each object is documented once, where it is defined (a package's re-exports point there); a method that
# overrides a library's without a docstring of its own shows none rather than the library's.
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_inherit_docstrings = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Docstrings quote names in `backticks`: shown as code rather than as a citation.
default_role = "code"
nitpicky = False
html_theme = "alabaster"
html_title = "arbbot API reference"
