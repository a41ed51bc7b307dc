"""The package's layering, read from the source with `ast` (every import, at module level or inside a function).

Data flows one way: sources (`chain`, `collectors`) → `state`/`amm` → `strategy`/`solver` → `sim` → `execution`
→ `audit`, and `engine` drives them all. A layer imports only its own tier and those below it; the dev tooling
(`devnet`: replica build, manifest, compiler) is used by the CLI, the demo and the test harnesses, never by the
library path, so an installed searcher on a live chain needs none of it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import arbbot

PACKAGE = Path(arbbot.__file__).parent

RANK = {
    "chain": 1,
    "collectors": 1,
    "amm": 2,
    "state": 2,
    "strategy": 3,
    "solver": 3,
    "sim": 4,
    "learn": 4,  # the landing model and its bribe policy: above strategy, below execution (the engine bids with it)
    "execution": 5,
    "audit": 6,
    "engine": 7,
}
# Tools on top of the library (the CLI, the operator console, the demo, the test harnesses): only they (and
# devnet itself) may import devnet, and nothing in the library imports them.
TOOLS = {"cli", "console", "demo", "testing", "devnet", "__main__"}
# Shared helpers every layer may use; they must not reach up into a layer above `state` or into the tools.
HELPERS = {"errors", "paths", "units", "artifact", "compiled", "config", "metrics", "logs", "progress", "db", "reports"}
HELPER_CEILING = 2


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "arbbot" and len(parts) > 1 else None


def _imports(source: str, rel: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """(line, imported module) of the module at `rel` (its path under arbbot/, no suffix): every import statement,
    relative ones resolved, each name of a `from` import as a module too ("from arbbot import devnet"), and every
    `import_module`/`__import__` of a literal name."""
    package = rel[:-1]  # a module's package; for an __init__ its own folder, which is the same slice
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ("arbbot", *package[: len(package) - (node.level - 1)])
                module = ".".join(base + ((node.module,) if node.module else ()))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def _edges() -> list[tuple[str, str, str]]:
    """(importing top-level package, imported top-level package, "file:line") across packages."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        src = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for line, module in _imports(path.read_text(), path.relative_to(PACKAGE).with_suffix("").parts):
            dst = _top(module)
            if dst is not None and dst != src:
                out.append((src, dst, f"{path.relative_to(PACKAGE.parent)}:{line}"))
    return out


EDGES = _edges()


def test_the_walk_sees_the_imports_it_judges() -> None:
    # Guards the walk itself: known edges of today's code must be found, or every other test here is vacuous.
    pairs = {(s, d) for s, d, _ in EDGES}
    assert {("engine", "state"), ("sim", "chain"), ("cli", "devnet"), ("execution", "sim")} <= pairs


@pytest.mark.parametrize("layer", sorted({*RANK, *HELPERS, "solana"}))
def test_library_path_never_imports_the_dev_tools(layer: str) -> None:
    bad = [where for src, dst, where in EDGES if src == layer and dst in TOOLS]
    assert bad == [], f"{layer} imports a dev tool (devnet/cli/demo/testing) at {bad}"


@pytest.mark.parametrize("layer", sorted(RANK))
def test_lower_layers_never_import_higher_ones(layer: str) -> None:
    bad = [(dst, where) for src, dst, where in EDGES if src == layer and dst in RANK and RANK[dst] > RANK[layer]]
    assert bad == [], f"{layer} (tier {RANK[layer]}) imports a higher layer: {bad}"


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_helpers_stay_below_the_pipeline(helper: str) -> None:
    bad = [(dst, where) for src, dst, where in EDGES if src == helper and RANK.get(dst, 0) > HELPER_CEILING]
    assert bad == [], f"{helper} reaches up into {bad}"


def test_amm_math_imports_nothing_of_the_package() -> None:
    bad = [(dst, where) for src, dst, where in EDGES if src == "amm"]
    assert bad == [], f"amm is pure math, yet imports {bad}"


def test_relative_and_dynamic_imports_are_resolved() -> None:
    # The walk must not be blind to the forms a layering breach could take.
    source = (
        "from ..devnet import manifest\n"
        "from arbbot import devnet\n"
        "def f():\n"
        "    import importlib\n"
        "    importlib.import_module('arbbot.cli.main')\n"
    )
    found = {m for _, m in _imports(source, ("chain", "probe"))}
    assert {"arbbot.devnet", "arbbot.devnet.manifest", "arbbot.cli.main"} <= found
    assert {m for _, m in _imports("from . import rpc\n", ("chain", "__init__"))} == {
        "arbbot.chain",
        "arbbot.chain.rpc",
    }
