"""Fund the executor's own capital: `ape run fund --executor 0x… --token 0x… --amount N`.

`--amount` is in the token's smallest unit. With `--wrap`, that much ETH is first wrapped into WETH
(`--token` must then be WETH).
"""

from __future__ import annotations

import click
from ape import Contract
from ape.cli import ConnectedProviderCommand

from scripts._signer import address, signer

ERC20_ABI = [
    {"type": "function", "name": "transfer", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "who", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "deposit", "stateMutability": "payable", "inputs": [], "outputs": []},
]  # fmt: skip


@click.command(cls=ConnectedProviderCommand)
@click.option("--executor", required=True, help="ArbExecutor address.")
@click.option("--token", required=True, help="Token to send (WETH with --wrap).")
@click.option("--amount", required=True, type=int, help="Amount in the token's smallest unit.")
@click.option("--wrap", is_flag=True, help="Wrap this much ETH into WETH first.")
def cli(ecosystem, network, provider, executor: str, token: str, amount: int, wrap: bool) -> None:
    if amount <= 0:
        raise click.BadParameter(f"must be positive, got {amount}", param_hint="--amount")
    to = address(executor, "--executor")
    erc20 = Contract(address(token, "--token"), abi=ERC20_ABI)
    sender = signer()
    if wrap:
        erc20.deposit(value=amount, sender=sender)
    have = erc20.balanceOf(sender.address)
    if have < amount:
        raise click.UsageError(f"--amount: {amount} exceeds the sender's balance {have}")
    erc20.transfer(to, amount, sender=sender)
    click.echo(f"sent {amount} of {erc20.address} to {to}; executor balance {erc20.balanceOf(to)}")
