"""The local Solana node (programs/local-node, `arbbot-solana-node`): start it, stop it, and drive it.

`LocalNode` builds the binary with cargo when it is missing (CARGO_TARGET_DIR as the Makefile sets it),
starts it on 127.0.0.1 with a port the kernel picks, reads the port from its first line, and stops the
process by its PID. `NodeChain` gives it the interface of `LocalChain` (set_account, airdrop,
get_account, latest_blockhash, execute_atomically, slot), so the account builders of `world` and the
`LocalBlockEngine` double run against it: there `arb_executor` and the venues execute for real.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from solders.account import Account
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.chain.rpc import RetryPolicy, RpcClient
from arbbot.solana.errors import SolanaError
from arbbot.solana.programs import SYSTEM_PROGRAM
from arbbot.solana.testing.local_chain import AtomicResult

ROOT = Path(__file__).resolve().parents[3]
BINARY = "arbbot-solana-node"


def _cache_dir() -> Path:
    base = os.environ.get("ARBBOT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "arbbot"
    )
    return Path(base)


def target_dir() -> Path:
    """The cargo target directory the node is built in: `CARGO_TARGET_DIR`, else the project's cache directory."""
    return Path(os.environ.get("CARGO_TARGET_DIR") or _cache_dir() / "cargo-target")


def node_binary(build: bool = True) -> Path:
    """The node's binary, built (debug profile, like `make test-programs`) if it is not there."""
    path = target_dir() / "debug" / BINARY
    if build:
        env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir())}
        done = subprocess.run(
            ["cargo", "build", "--locked", "-q", "-p", "local-node"], cwd=ROOT, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SolanaError(f"cargo build -p local-node failed: {done.stderr.strip()[-400:]}")
    if not path.exists():
        raise SolanaError(f"{path} does not exist: build it with `cargo build -p local-node`")
    return path


class LocalNode:
    """A running `arbbot-solana-node`; `programs` are (program id, .so path) pairs of SBF programs."""

    def __init__(self, programs: Sequence[tuple[Pubkey, Path]] = (), build: bool = True) -> None:
        self.programs = list(programs)
        self.binary = node_binary(build)
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self._log: IO[str] | None = None

    def start(self) -> LocalNode:
        """Start the node on 127.0.0.1 (port picked by the kernel) with `programs` loaded; returns self once it listens.

        Raises `SolanaError` (after stopping the process) when the node does not report that it listens.
        """
        args = [str(self.binary), "--port", "0"]
        for program_id, path in self.programs:
            args += ["--program", f"{program_id}={path}"]
        # The runtime logs to stderr: into a file, never an unread pipe.
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop())
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "error")}
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the node listens (or exits)
        if not line.startswith("listening on "):
            self.stop()
            raise SolanaError(f"{BINARY} did not start: {line.strip() or self._tail()}")
        self.url = "http://" + line.split("listening on ", 1)[1].strip()
        return self

    def _tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()[-400:]

    def stop(self) -> None:
        """Stop the node by its PID (terminate, then kill after 10 seconds) and close its pipes and log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # by PID
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalNode:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class NodeChain:
    """`LocalChain`'s interface over a running node's JSON-RPC (its `arbbot_` test methods included)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._rpc = RpcClient(url, timeout=60, retry=RetryPolicy(attempts=1))
        self.lock = threading.RLock()
        self.statuses: dict[str, tuple[int, str | None]] = {}

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._rpc.close()

    def call(self, method: str, params: list[object]) -> object:
        """A raw JSON-RPC call to the node, serialised by `lock`; returns the `result`."""
        with self.lock:
            return self._rpc.call(method, params)

    @property
    def slot(self) -> int:
        """The node's current slot."""
        slot = self.call("getSlot", [])
        if not isinstance(slot, int):
            raise SolanaError(f"local node getSlot: expected a slot number, got {str(slot)[:80]}")
        return slot

    def set_account(
        self, address: Pubkey, owner: Pubkey, data: bytes, lamports: int | None = None, executable: bool = False
    ) -> None:
        """Write an account on the node (`arbbot_setAccount`); `lamports` defaults to the rent-exempt minimum."""
        spec: dict[str, object] = {"owner": str(owner), "data": base64.b64encode(data).decode()}
        if lamports is not None:
            spec["lamports"] = lamports
        if executable:
            spec["executable"] = True
        self.call("arbbot_setAccount", [str(address), spec])

    def airdrop(self, address: Pubkey, lamports: int) -> None:
        """Credit `lamports` to `address`, creating a system account when none exists."""
        acc = self.get_account(address)
        if acc is None:
            self.set_account(address, SYSTEM_PROGRAM, b"", lamports)
        else:
            self.set_account(address, acc.owner, bytes(acc.data), acc.lamports + lamports, acc.executable)

    def get_account(self, address: Pubkey) -> Account | None:
        """The account at `address`, or None when the node has none."""
        value = self.call("getAccountInfo", [str(address), {"encoding": "base64"}])["value"]  # type: ignore[index]
        if value is None:
            return None
        return Account(
            lamports=int(value["lamports"]),
            data=base64.b64decode(value["data"][0]),
            owner=Pubkey.from_string(value["owner"]),
            executable=bool(value["executable"]),
        )

    def latest_blockhash(self) -> Hash:
        """The node's latest blockhash."""
        value = self.call("getLatestBlockhash", [])["value"]  # type: ignore[index]
        return Hash.from_string(value["blockhash"])

    def blockhash_is_valid(self, blockhash: Hash) -> bool:
        """True when the node still accepts `blockhash`."""
        return bool(self.call("isBlockhashValid", [str(blockhash)])["value"])  # type: ignore[index]

    def execute_atomically(self, txs: Sequence[VersionedTransaction]) -> AtomicResult:
        """Run `txs` on the node as one all-or-nothing bundle (`arbbot_executeBundle`) and record their statuses."""
        encoded = [base64.b64encode(bytes(tx)).decode() for tx in txs]
        r = self.call("arbbot_executeBundle", [encoded])
        assert isinstance(r, dict)
        for sig in r["signatures"]:
            self.statuses[sig] = (int(r["slot"]), None)
        return AtomicResult(bool(r["ok"]), int(r["slot"]), tuple(r["signatures"]), r.get("error"))
