"""Process control of anvil: readiness, ports, logs, teardown, state dump/load, forking."""

from __future__ import annotations

import gzip
import json
import random
import socket
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from arbbot.chain.anvil import AnvilNode, is_anvil_pid, pid_alive, rpc
from arbbot.chain.jsonrpc import DEFAULT_MAX_BYTES, NO_RETRY, RpcTransportError
from arbbot.chain.transport import HttpTransport
from arbbot.errors import DevnetError


def test_start_picks_a_free_port_logs_to_file_and_stops_by_pid(tmp_path: Path) -> None:
    log = tmp_path / "anvil.log"
    node = AnvilNode(log_path=log).start()
    pid = node.pid
    try:
        assert node.port and node.port > 0
        assert rpc(node.url, "eth_chainId") == hex(31337)
        assert is_anvil_pid(pid)
        assert "Listening on 127.0.0.1" in log.read_text()
    finally:
        node.stop()
    assert not pid_alive(pid)


def test_two_nodes_get_different_ports(tmp_path: Path) -> None:
    with AnvilNode(log_path=tmp_path / "a.log") as a, AnvilNode(log_path=tmp_path / "b.log") as b:
        assert a.port != b.port
        assert rpc(a.url, "eth_blockNumber") == rpc(b.url, "eth_blockNumber") == "0x0"


def test_port_in_use_is_a_one_line_error_and_leaves_no_process(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        node = AnvilNode(port=port, log_path=tmp_path / "anvil.log")
        with pytest.raises(DevnetError, match="Address already in use") as err:
            node.start()
        assert "\n" not in str(err.value)
        assert node.proc is None


def test_missing_binary_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARBBOT_ANVIL", str(tmp_path / "no-such-anvil"))
    with pytest.raises(DevnetError, match="anvil binary missing: ARBBOT_ANVIL="):
        AnvilNode(log_path=tmp_path / "x.log").start()


def test_dump_on_stop_then_load_keeps_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with AnvilNode(dump_state=state, log_path=tmp_path / "a.log") as node:
        rpc(node.url, "anvil_setBalance", ["0x000000000000000000000000000000000000bEEF", hex(12345)])
        rpc(node.url, "evm_mine")
    assert state.is_file()
    with AnvilNode(load_state=state, log_path=tmp_path / "b.log") as node:
        assert rpc(node.url, "eth_getBalance", ["0x000000000000000000000000000000000000bEEF", "latest"]) == hex(12345)


def test_fork_of_another_node_at_a_block(tmp_path: Path) -> None:
    addr = "0x000000000000000000000000000000000000cafe"
    with AnvilNode(log_path=tmp_path / "up.log") as upstream:
        sender = rpc(upstream.url, "eth_accounts")[0]  # type: ignore[index]
        for n in (1, 2):  # blocks 1 and 2 each send 1 wei
            h = rpc(upstream.url, "eth_sendTransaction", [{"from": sender, "to": addr, "value": "0x1"}])
            # Automine answers with the hash as the transaction enters its pool; the block follows.
            receipt = Web3(HTTPProvider(upstream.url)).eth.wait_for_transaction_receipt(str(h), timeout=30)
            assert receipt["blockNumber"] == n
        assert rpc(upstream.url, "eth_getBalance", [addr, "latest"]) == hex(2)
        with AnvilNode(fork_url=upstream.url, fork_block_number=1, log_path=tmp_path / "fork.log") as fork:
            assert rpc(fork.url, "eth_getBalance", [addr, "latest"]) == hex(1)
            assert rpc(fork.url, "eth_blockNumber") == hex(1)


def test_loading_a_missing_state_file_fails_before_starting(tmp_path: Path) -> None:
    with pytest.raises(DevnetError, match="state file to load missing"):
        AnvilNode(load_state=tmp_path / "nope.json").start()


def test_owned_node_is_stopped_when_its_process_gets_sigterm(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    script = (
        "from arbbot.chain.anvil import AnvilNode\n"
        "import sys, time\n"
        f"n = AnvilNode(log_path={str(tmp_path / 'a.log')!r}).start()\n"
        "print(n.pid, flush=True)\n"
        "sys.stdin.readline()\n"  # block until the test is done with us
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        anvil_pid = int(proc.stdout.readline())
        assert is_anvil_pid(anvil_pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert not pid_alive(anvil_pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_state_dump_over_the_default_answer_cap_is_read_whole(tmp_path: Path) -> None:
    # A replica's dump is far above the transport's default cap for one answer (the large replica's is ~130 MB);
    # here ~44 MB of incompressible contract code, so the dump cannot be read under the default cap.
    codes = {f"0x{i + 1:040x}": "0x" + random.Random(i).randbytes(24_576).hex() for i in range(900)}
    with AnvilNode(log_path=tmp_path / "anvil.log") as node:
        loader = HttpTransport(node.url, timeout=60)
        try:
            items = list(codes.items())
            for start in range(0, len(items), 10):  # anvil refuses a request body over a few MB
                loader.batch([("anvil_setCode", [a, c]) for a, c in items[start : start + 10]])
        finally:
            loader.close()
        dumped = rpc(node.url, "anvil_dumpState", timeout=120)
        assert isinstance(dumped, str) and len(dumped) > DEFAULT_MAX_BYTES
        state = json.loads(gzip.decompress(bytes.fromhex(dumped[2:])))
        address, code = items[-1]
        assert state["accounts"][address]["code"] == code
        # the same answer under the transport's default cap (any other method's) is refused
        capped = HttpTransport(node.url, timeout=120, retry=NO_RETRY, check_shapes=False)
        try:
            with pytest.raises(RpcTransportError, match=rf"over the {DEFAULT_MAX_BYTES}-byte cap"):
                capped.call("anvil_dumpState")
        finally:
            capped.close()
