"""Where arbbot finds its toolchain and keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

from arbbot.errors import CheckoutRequired

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The checkout holding `node_modules/` (toolchain and protocol artifacts).

    ARBBOT_ROOT wins; otherwise the directory above the package (an editable install or a checkout).
    """
    env = os.environ.get("ARBBOT_ROOT")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent


def checkout(what: str) -> Path:
    """The source checkout that `what` needs (Solidity sources, node_modules, the solc shim), or a one-line
    CheckoutRequired saying how to get one: an installed wheel carries only the runtime."""
    root = project_root()
    if (root / "contracts" / "src").is_dir() and (root / "package.json").is_file():
        if (root / "node_modules").is_dir():
            return root
        raise CheckoutRequired(f"{what} needs node_modules/ in the checkout {root}; run `make setup` there")
    raise CheckoutRequired(
        f"{what} needs the arbbot source checkout (git clone, then `make setup`), found none at {root}; "
        "run it from the checkout or set ARBBOT_ROOT to one"
    )


def node_modules() -> Path:
    """The checkout's `node_modules/` (anvil, forge and protocol artifacts come from npm)."""
    return project_root() / "node_modules"


def node_bin(name: str) -> Path:
    """A binary installed by `npm ci` (anvil, forge, cast)."""
    return node_modules() / ".bin" / name


def solc_shim() -> Path:
    """The checkout's `tools/solc` wrapper, which the contract compiler is pointed at."""
    return project_root() / "tools" / "solc"


def cache_dir() -> Path:
    """Rebuildable files (compiled contracts, replica snapshots), kept outside the checkout."""
    base = os.environ.get("ARBBOT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "arbbot"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path
