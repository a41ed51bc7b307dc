"""Start and stop an anvil node from Python.

The node logs to a file (an unread pipe would fill and block it), binds 127.0.0.1 on a port picked at
run time, and is stopped by PID: on `stop()`, on context exit, at interpreter exit and on SIGTERM/SIGINT
for nodes this process owns.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from arbbot.chain.jsonrpc import DEFAULT_MAX_BYTES, NO_RETRY, RpcError, RpcTransportError, redact_url
from arbbot.chain.transport import HttpTransport
from arbbot.errors import DevnetError
from arbbot.paths import node_bin

DEV_CHAIN_ID = 31337
# anvil's default accounts come from this public mnemonic: fine for a local replica, never for money.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


def dev_key(index: int) -> str:
    """Private key of anvil's dev account `index` (public mnemonic: the replica only, never real money)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


_LISTEN_RE = re.compile(r"Listening on ([0-9.]+):(\d+)")
_owned: dict[int, AnvilNode] = {}


def anvil_binary() -> Path:
    """The anvil binary: ARBBOT_ANVIL, else node_modules/.bin/anvil, else PATH."""
    env = os.environ.get("ARBBOT_ANVIL")
    if env:
        path = Path(env)
        if not path.is_file():
            raise DevnetError(f"anvil binary missing: ARBBOT_ANVIL={env} does not exist")
        return path
    local = node_bin("anvil")
    if local.is_file():
        return local
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise DevnetError(f"anvil binary missing: not at {local} nor on PATH; run `make setup` (npm ci)")


# anvil_dumpState answers with the node's whole state, gzipped and hex-encoded: about 130 MB for the large replica
# (5,503 pools), over the transport's default cap for one answer. Still capped: a node is never read without bound.
DEV_MAX_BYTES = {"anvil_dumpState": 2**30}


def rpc(url: str, method: str, params: Sequence[object] = (), timeout: float = 10.0) -> object:
    """One JSON-RPC call to a local dev node, one attempt, through the node transport (its size caps and failure
    classes; `DEV_MAX_BYTES` raises the cap for the methods named there); raises DevnetError naming the method on
    transport or RPC errors. Results are returned unchecked (dev methods such as `anvil_*` and `evm_*` have no shape
    rules)."""
    max_bytes = DEV_MAX_BYTES.get(method, DEFAULT_MAX_BYTES)
    transport = HttpTransport(url, timeout, NO_RETRY, check_shapes=False, source="dev", max_bytes=max_bytes)
    try:
        return transport.call(method, list(params))
    except RpcError as exc:
        raise DevnetError(f"{exc} (from {redact_url(url)})") from None
    except RpcTransportError as exc:
        raise DevnetError(str(exc)) from None
    finally:
        transport.close()


class AnvilNode:
    """One anvil process. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        log_path: Path | str | None = None,
        fork_url: str | None = None,
        fork_block_number: int | None = None,
        load_state: Path | str | None = None,
        dump_state: Path | str | None = None,
        chain_id: int = DEV_CHAIN_ID,
        accounts: int = 10,
        balance_eth: int = 1_000_000,
        block_time: float | None = None,
        extra_args: Sequence[str] = (),
        detached: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.fork_url = fork_url
        self.fork_block_number = fork_block_number
        self.load_state = Path(load_state) if load_state is not None else None
        self.dump_state = Path(dump_state) if dump_state is not None else None
        self.chain_id = chain_id
        self.accounts = accounts
        self.balance_eth = balance_eth
        self.block_time = block_time
        self.extra_args = list(extra_args)
        # A detached node outlives this process (`arbbot devnet up`); it is stopped by PID later.
        self.detached = detached
        # A log we created ourselves is removed on a clean stop; a caller's log is always kept.
        self._own_log = log_path is None
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The node's HTTP URL; DevnetError if it is not running."""
        if self.port is None:
            raise DevnetError("anvil is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """The anvil process id (to stop it by PID); DevnetError if it is not running."""
        if self.proc is None:
            raise DevnetError("anvil is not running")
        return self.proc.pid

    def command(self) -> list[str]:
        """The anvil command line this node starts with (binary from `anvil_binary`, then its options)."""
        cmd = [
            str(anvil_binary()),
            "--host", self.host,
            "--port", str(self.requested_port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
            "--balance", str(self.balance_eth),
            "--mnemonic", DEV_MNEMONIC,
        ]  # fmt: skip
        if self.fork_url:
            cmd += ["--fork-url", self.fork_url]
            if self.fork_block_number is not None:
                cmd += ["--fork-block-number", str(self.fork_block_number)]
        if self.load_state is not None:
            if not self.load_state.is_file():
                raise DevnetError(f"state file to load missing: {self.load_state}")
            cmd += ["--load-state", str(self.load_state)]
        if self.dump_state is not None:
            cmd += ["--dump-state", str(self.dump_state)]
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        return cmd + self.extra_args

    def start(self, timeout: float = 30.0) -> AnvilNode:
        """Start anvil and wait until it answers `eth_chainId`; DevnetError with the log's tail if it exits or stays
        silent."""
        if self.proc is not None:
            raise DevnetError("anvil already started")
        cmd = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is ours to forward, not the node's
            )
        if not self.detached:
            _owned[self.proc.pid] = self
            _install_handlers()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self._own_log = False  # keep the log of a node that failed to start
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        delay = 0.005
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DevnetError(
                    f"anvil exited with code {self.proc.returncode} before it was ready"
                    f" (port {self.requested_port or 'auto'}): {self.log_tail()}"
                )
            if self.port is None:
                match = _LISTEN_RE.search(self.log_path.read_text(errors="replace"))
                if match:
                    self.port = int(match.group(2))
            if self.port is not None:
                with contextlib.suppress(DevnetError):
                    rpc(self.url, "eth_chainId", timeout=2.0)
                    return
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        raise DevnetError(f"anvil not ready after {timeout:.0f}s; log {self.log_path}: {self.log_tail()}")

    def log_tail(self, lines: int = 5) -> str:
        """The last `lines` lines of anvil's log, joined on one line for error messages."""
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (anvil writes --dump-state on it), then SIGKILL if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        _owned.pop(proc.pid, None)
        stop_pid(proc.pid, timeout=timeout, proc=proc)
        self.port = None
        if self._own_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> AnvilNode:
        return self.start() if self.proc is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def stop_pid(pid: int, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Stop one process by PID. Returns False if it was not running."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return True
        elif not pid_alive(pid):
            return True
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if proc is not None:
        proc.wait(timeout=5)
    return True


def pid_alive(pid: int) -> bool:
    """True while `pid` names a live process (a zombie child of ours counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def is_anvil_pid(pid: int) -> bool:
    """True if PID is a running anvil (guards against stopping a recycled PID)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and Path(cmdline[0].decode(errors="replace")).name == "anvil" and pid_alive(pid)


_handlers_installed = False


def _stop_owned() -> None:
    for node in list(_owned.values()):
        with contextlib.suppress(Exception):
            node.stop(timeout=5)


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_stop_owned)
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: object, previous: object = previous) -> None:
            _stop_owned()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        signal.signal(sig, handler)
