"""A compiled contract: ABI, creation and runtime bytecode, and the library references to link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from arbbot.errors import ArtifactError


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: name, ABI, creation and runtime bytecode (0x-hex), and where libraries must be linked.

    `bytecode` may hold unlinked library placeholders: use `linked` to get deployable creation code.
    """

    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # 0x-prefixed creation code, may hold unlinked library placeholders
    deployed_bytecode: str
    link_references: dict[str, dict[str, list[dict[str, int]]]] = field(default_factory=dict)
    source: str = ""

    def linked(self, libraries: Mapping[str, str]) -> str:
        """Creation code with every library reference replaced by its deployed address."""
        code = self.bytecode[2:]
        for _file, libs in self.link_references.items():
            for lib, refs in libs.items():
                if lib not in libraries:
                    raise ArtifactError(f"artifact {self.name}: library {lib} needs an address to link")
                addr = libraries[lib].lower().removeprefix("0x")
                for ref in refs:
                    start = ref["start"] * 2
                    code = code[:start] + addr + code[start + ref["length"] * 2 :]
        if "__" in code:
            raise ArtifactError(f"artifact {self.name}: unlinked library placeholder left after linking")
        return "0x" + code
