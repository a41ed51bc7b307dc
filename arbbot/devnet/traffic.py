"""Seeded ordinary users trading on the replica: the swaps that open dislocations for the searcher.

Users are anvil dev accounts (from the public dev mnemonic, so only for the replica). Each swap goes
through the venue's real router — Uniswap V2 Router02 `swapExactTokensForTokens` or V3 SwapRouter
`exactInputSingle`, or (when asked) the Balancer Vault's `swap` — as a signed EIP-1559 transaction, so a
searcher sees exactly what it would see from a wallet on mainnet, and can decode and backrun it. The same
seed gives the same swaps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import BlockNotFound, TransactionNotFound, Web3Exception
from web3.types import Nonce, TxParams, TxReceipt, Wei

from arbbot.chain.anvil import dev_key
from arbbot.devnet import artifacts
from arbbot.devnet.manifest import BalancerPoolEntry, Manifest, PoolEntry
from arbbot.errors import DevnetError

ERC20_ABI = [
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "s", "type": "address"}, {"name": "a", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "w", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "deposit", "stateMutability": "payable", "inputs": [], "outputs": []},
]  # fmt: skip
MAX_UINT = 2**256 - 1
SWAP_GAS = 400_000
PRIORITY_FEE = 10**9
MAX_FEE = 100 * 10**9  # 100 gwei: far above the replica's base fee
FIRST_USER_ACCOUNT = 5  # accounts 0..4 are left to the owner, searcher keys and tests


@dataclass(frozen=True)
class BalancerLeg:
    """Two tokens (symbols) of a Balancer pool, traded through the Vault like a two-token pool."""

    entry: BalancerPoolEntry
    token0: str
    token1: str

    @property
    def kind(self) -> str:
        """The Balancer pool's kind (e.g. ``balancer_weighted``)."""
        return self.entry.kind

    @property
    def address(self) -> str:
        """The pool contract's address."""
        return self.entry.address


@dataclass(frozen=True)
class UserSwap:
    """One signed user swap. `raw_tx` is ready for eth_sendRawTransaction."""

    sender: str
    pool: PoolEntry | BalancerLeg
    token_in: str  # symbol
    token_out: str
    amount_in: int
    raw_tx: bytes
    tx_hash: str


def user_keys(count: int, first: int = FIRST_USER_ACCOUNT) -> list[str]:
    """Private keys of `count` anvil dev accounts starting at `first` (the public dev mnemonic: replica use only)."""
    return [dev_key(i) for i in range(first, first + count)]


_ROUTED = ("uniswap_v2", "uniswap_v3", "pancakeswap_v3")  # same calldata for both V3 SwapRouters


class Traffic:
    """Generates seeded swaps by `users` accounts over the manifest's pools (skipping fee-on-transfer tokens).

    `within_holdings`: each swap is sized to what its user holds when it is signed (see `_held`); off by default,
    so existing seeds sign the same swaps.

    `balancer`: users also trade every pair of the manifest's Balancer pools through the Vault (off by default,
    so the swaps a seed gives on a chain without them stay the same).
    """

    def __init__(
        self,
        w3: Web3,
        manifest: Manifest,
        prices_eth: dict[str, Decimal],
        *,
        seed: int,
        users: int = 4,
        min_eth: Decimal = Decimal(2),
        max_eth: Decimal = Decimal(40),
        balancer: bool = False,
        within_holdings: bool = False,
    ) -> None:
        if users < 1:
            raise DevnetError(f"users: need at least 1, got {users}")
        if not 0 < min_eth <= max_eth:
            raise DevnetError(f"min_eth/max_eth: need 0 < min_eth <= max_eth, got {min_eth}, {max_eth}")
        self.w3 = w3
        self.manifest = manifest
        self.prices = prices_eth
        self.rng = random.Random(seed)
        self.min_eth, self.max_eth = min_eth, max_eth
        self.within_holdings = within_holdings
        self.accounts = [Account.from_key(k) for k in user_keys(users)]
        self._nonces: dict[str, int] = {}
        skip = {t.symbol for t in manifest.tokens if t.fee_on_transfer_bps}
        # Users swap through Router02 and the (Uniswap or PancakeSwap) SwapRouter, in tokens they can buy with
        # WETH on a V2 pool; V4 pools (UniversalRouter, Permit2) are left to the arbitrage.
        buyable = {"WETH"} | {
            t for p in manifest.pools if p.kind == "uniswap_v2" and "WETH" in (p.token0, p.token1)
            for t in (p.token0, p.token1)
        }  # fmt: skip
        self.pools = [
            p for p in manifest.pools
            if p.kind in _ROUTED and {p.token0, p.token1} <= buyable - skip
        ]  # fmt: skip
        self.legs: list[PoolEntry | BalancerLeg] = list(self.pools)
        if balancer:
            for entry in manifest.balancer_pools:
                tradable = [t for t in entry.tokens if t in buyable - skip]
                self.legs += [BalancerLeg(entry, a, b) for n, a in enumerate(tradable) for b in tradable[n + 1 :]]
        self._vault = manifest.contracts.get("BalancerVault") if balancer else None
        if not self.pools:
            raise DevnetError("manifest: no pools without fee-on-transfer tokens to trade on")
        self._v2_router = artifacts.load("UniswapV2Router02").abi
        self._v3_router = artifacts.load("SwapRouter").abi
        self._vault_abi = artifacts.load("BalancerVault").abi if self._vault is not None else []

    # --- setup -----------------------------------------------------------------------------------

    def fund(self, eth_per_token: Decimal = Decimal(400), timeout: float = 120.0) -> None:
        """Give every user WETH and every token (bought through Router02 on the deepest V2 pool), and approve
        both routers. Every transaction is sent at once and then waited for, so it takes a few blocks
        whoever mines them (automine, or a builder producing blocks); run it before the searcher watches."""
        weth = self.manifest.token("WETH").address
        routers = [v.router for v in self.manifest.venues.values()]
        if self._vault is not None:
            routers.append(self._vault)
        symbols = sorted({s for p in self.legs for s in (p.token0, p.token1)})
        raws: list[bytes] = []
        for acct in self.accounts:
            value = int(eth_per_token * len(symbols) * 10**18)
            raws.append(self._sign(acct, self._erc20(weth).functions.deposit(), value=value))
            for sym in symbols:
                for router in routers:
                    token = self._erc20(self.manifest.token(sym).address)
                    raws.append(self._sign(acct, token.functions.approve(router, MAX_UINT)))
            for sym in symbols:
                if sym == "WETH":
                    continue
                pool = self._deepest_v2("WETH", sym)
                router_addr = Web3.to_checksum_address(self.manifest.venues[pool.venue].router)
                buy_router = self.w3.eth.contract(address=router_addr, abi=self._v2_router)
                path = [weth, self.manifest.token(sym).address]
                fn = buy_router.functions.swapExactTokensForTokens(
                    int(eth_per_token * 10**18) // 2, 0, path, acct.address, 2**32
                )
                raws.append(self._sign(acct, fn))
        for receipt in confirm_together(self.w3, raws, timeout=timeout):
            if receipt["status"] != 1:
                raise DevnetError(f"user setup tx {receipt['transactionHash'].to_0x_hex()} reverted")

    # --- swaps -----------------------------------------------------------------------------------

    def next_swaps(self, count: int) -> list[UserSwap]:
        """`count` signed swaps (not sent), each by a random user on a random pool in a random direction,
        worth between min_eth and max_eth; nonces continue from the previous call."""
        out = []
        for _ in range(count):
            acct = self.rng.choice(self.accounts)
            pool = self.rng.choice(self.legs)
            token_in, token_out = (pool.token0, pool.token1) if self.rng.random() < 0.5 else (pool.token1, pool.token0)
            worth = self.min_eth + (self.max_eth - self.min_eth) * Decimal(self.rng.random())
            amount = self.amount_for(token_in, worth)
            if self.within_holdings:
                token_in, token_out, amount = self._held(acct.address, token_in, token_out, worth, amount)
            out.append(self.swap(acct.key.to_0x_hex(), pool, token_in, token_out, amount))
        return out

    def _held(self, user: str, token_in: str, token_out: str, worth: Decimal, amount: int) -> tuple[str, str, int]:
        """A swap the user can pay for: the drawn direction when it holds enough, else the other direction, else
        nine tenths of what it holds of the drawn input. Long runs then keep trading instead of running dry."""
        if self._holds(user, token_in) >= amount:
            return token_in, token_out, amount
        other = self.amount_for(token_out, worth)
        if self._holds(user, token_out) >= other:
            return token_out, token_in, other
        return token_in, token_out, max(1, self._holds(user, token_in) * 9 // 10)

    def _holds(self, user: str, symbol: str) -> int:
        return int(self._erc20(self.manifest.token(symbol).address).functions.balanceOf(user).call())

    def swap(self, key: str, pool: PoolEntry | BalancerLeg, token_in: str, token_out: str, amount_in: int) -> UserSwap:
        """Sign (not send) one exact-input swap of `amount_in` raw units of `token_in` by the key's account, through the
        pool venue's router (a Balancer pool's Vault), with the next nonce this object tracks for that account.

        It sets no minimum output (0: any slippage is accepted, as the price move is what the searcher is to find).
        Raises `DevnetError` when the tokens are not the pool's pair or the amount is not positive.
        """
        if {token_in, token_out} != {pool.token0, pool.token1}:
            raise DevnetError(f"swap: {token_in}->{token_out} is not the pair of pool {pool.address}")
        if amount_in <= 0:
            raise DevnetError(f"amount_in: must be positive, got {amount_in}")
        acct = Account.from_key(key)
        a_in, a_out = self.manifest.token(token_in).address, self.manifest.token(token_out).address
        if isinstance(pool, BalancerLeg):
            fn = self._vault_swap(pool, a_in, a_out, amount_in, acct.address)
            signed = _sign_params(acct, self._tx(acct.address, fn))
            return UserSwap(acct.address, pool, token_in, token_out, amount_in, bytes(signed.raw_transaction),
                            signed.hash.to_0x_hex())  # fmt: skip
        router_addr = Web3.to_checksum_address(self.manifest.venues[pool.venue].router)
        if pool.kind == "uniswap_v2":
            router = self.w3.eth.contract(address=router_addr, abi=self._v2_router)
            fn = router.functions.swapExactTokensForTokens(amount_in, 0, [a_in, a_out], acct.address, 2**32)
        else:
            router = self.w3.eth.contract(address=router_addr, abi=self._v3_router)
            params = (a_in, a_out, pool.fee, acct.address, 2**32, amount_in, 0, 0)
            fn = router.functions.exactInputSingle(params)
        signed = _sign_params(acct, self._tx(acct.address, fn))
        return UserSwap(acct.address, pool, token_in, token_out, amount_in, bytes(signed.raw_transaction),
                        signed.hash.to_0x_hex())  # fmt: skip

    # --- helpers ---------------------------------------------------------------------------------

    def _vault_swap(self, leg: BalancerLeg, a_in: str, a_out: str, amount_in: int, user: str) -> ContractFunction:
        if self._vault is None:
            raise DevnetError("swap: Balancer traffic is off (Traffic(balancer=True)) or the manifest has no Vault")
        vault = self.w3.eth.contract(address=Web3.to_checksum_address(self._vault), abi=self._vault_abi)
        single = (bytes.fromhex(leg.entry.pool_id.removeprefix("0x")), 0, a_in, a_out, amount_in, b"")  # GIVEN_IN
        funds = (user, False, user, False)
        return vault.functions.swap(single, funds, 0, 2**32)

    def amount_for(self, symbol: str, worth_eth: Decimal) -> int:
        """That many ETH's worth of `symbol`, in its smallest unit, at the scenario price."""
        price = self.prices.get(symbol)
        if price is None or price <= 0:
            raise DevnetError(f"prices_eth: no positive price for {symbol!r}")
        return int(worth_eth / price * 10 ** self.manifest.token(symbol).decimals)

    def _deepest_v2(self, a: str, b: str) -> PoolEntry:
        v2 = [p for p in self.manifest.pools_for(a, b) if p.kind == "uniswap_v2"]
        if not v2:
            raise DevnetError(f"manifest: no V2 pool for {a}/{b} to buy {b} on")
        weth = self.manifest.token("WETH").address
        return max(v2, key=lambda p: self._erc20(weth).functions.balanceOf(p.address).call())

    def _erc20(self, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=ERC20_ABI)

    def _tx(self, sender: str, fn: ContractFunction, value: int = 0) -> TxParams:
        if sender not in self._nonces:
            self._nonces[sender] = self.w3.eth.get_transaction_count(Web3.to_checksum_address(sender), "pending")
        base = self.w3.eth.get_block("latest")["baseFeePerGas"]
        # A fixed cap while the base fee is far below it: the same seed then signs the same transactions
        # whatever blocks the funding happened to be packed into (each pays base fee + tip either way).
        max_fee = MAX_FEE if 3 * base + PRIORITY_FEE <= MAX_FEE else 3 * base + PRIORITY_FEE
        tx = fn.build_transaction({
            "from": Web3.to_checksum_address(sender), "nonce": Nonce(self._nonces[sender]), "gas": SWAP_GAS,
            "value": Wei(value), "maxPriorityFeePerGas": Wei(PRIORITY_FEE), "maxFeePerGas": Wei(max_fee),
            "chainId": self.manifest.chain_id,
        })  # fmt: skip
        self._nonces[sender] += 1
        return tx

    def _sign(self, acct: LocalAccount, fn: ContractFunction, value: int = 0) -> bytes:
        return bytes(_sign_params(acct, self._tx(acct.address, fn, value)).raw_transaction)


def _sign_params(acct: LocalAccount, tx: TxParams) -> SignedTransaction:
    # eth_account types the transaction it signs apart from web3's TxParams: the same keys at run time.
    return acct.sign_transaction(tx)  # type: ignore[arg-type]


def scenario_prices(manifest: Manifest) -> dict[str, Decimal]:
    """ETH prices of the manifest's tokens from its scenario file (WETH = 1)."""
    from arbbot.devnet import scenario

    sc, _ = scenario.load(manifest.scenario)
    out = {"WETH": Decimal(1)}
    for t in manifest.tokens:
        if t.symbol != "WETH":
            out[t.symbol] = Decimal(sc.token(t.symbol).price_eth)
    return out


def send_all(w3: Web3, swaps: Sequence[UserSwap]) -> list[str]:
    """Send signed swaps to the node as they are (no waiting for receipts); returns their transaction hashes."""
    return [w3.eth.send_raw_transaction(s.raw_tx).to_0x_hex() for s in swaps]


RESEND_EVERY_S = 3.0


def confirm(w3: Web3, raws: Sequence[bytes], *, timeout: float = 60.0, poll: float = 0.1) -> list[TxReceipt]:
    """Send signed transactions and wait until each is mined for good (see `_settled`); one the node dropped
    (a builder producing blocks drops what arrives while it builds) is sent again. Receipts in input order."""
    hashes = [Web3.keccak(r) for r in raws]
    for raw in raws:
        _send_raw(w3, raw)
    deadline = time.monotonic() + timeout
    resend_at = time.monotonic() + RESEND_EVERY_S
    receipts: dict[bytes, TxReceipt] = {}
    while len(receipts) < len(raws):
        if time.monotonic() > deadline:
            raise DevnetError(f"{len(raws) - len(receipts)} of {len(raws)} transactions not mined within {timeout:g}s")
        for raw, h in zip(raws, hashes, strict=True):
            if h in receipts:
                continue
            try:
                receipt = w3.eth.get_transaction_receipt(h)
            except TransactionNotFound:
                receipt = None
            if receipt is not None and _settled(w3, receipt):
                receipts[h] = receipt
            elif receipt is None and (_gone(w3, h) or time.monotonic() >= resend_at):
                # Sent again when the node lost it, and every few seconds anyway: the node can still answer
                # for a transaction it no longer holds (one a rolled-back block carried: evm_revert, a reorg).
                _send_raw(w3, raw)
        if time.monotonic() >= resend_at:
            resend_at = time.monotonic() + RESEND_EVERY_S
        if len(receipts) < len(raws):
            time.sleep(poll)
    return [receipts[h] for h in hashes]


def confirm_together(w3: Web3, raws: Sequence[bytes], *, timeout: float = 60.0) -> list[TxReceipt]:
    """Like `confirm`, in as few blocks as the miner allows: on an automining node the transactions are
    pooled and mined as one block; when something else produces blocks (a builder), it includes them."""
    automine = bool(w3.provider.make_request("anvil_getAutomine", []).get("result"))  # type: ignore[arg-type]
    if not automine:
        return confirm(w3, raws, timeout=timeout)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        for raw in raws:
            _send_raw(w3, raw)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    return confirm(w3, raws, timeout=timeout)


def _settled(w3: Web3, receipt: TxReceipt) -> bool:
    """Whether a receipt's block is the chain's for good. A block can be rolled back (evm_revert on a dev node,
    a reorg), so a receipt counts once a later block is built on its block, or on an automining node (nothing
    else mines there) once its block is the chain's."""
    number = int(receipt["blockNumber"])
    try:
        block = w3.eth.get_block(number)
    except BlockNotFound:
        return False
    if block["hash"] != receipt["blockHash"]:
        return False
    return w3.eth.block_number > number or _automine(w3)


def _automine(w3: Web3) -> bool:
    reply = w3.provider.make_request("anvil_getAutomine", [])  # type: ignore[arg-type]
    return bool(reply.get("result")) if isinstance(reply, dict) else False


def _gone(w3: Web3, h: bytes) -> bool:
    try:
        w3.eth.get_transaction(HexBytes(h))
    except TransactionNotFound:
        return True
    return False


def _send_raw(w3: Web3, raw: bytes) -> None:
    try:
        w3.eth.send_raw_transaction(raw)
    except (ValueError, Web3Exception) as exc:  # already known / mined meanwhile: the receipt poll decides
        text = str(exc).lower()
        if "already" not in text and "nonce too low" not in text:
            raise
