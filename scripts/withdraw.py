"""Withdraw profit (owner only): `ape run withdraw --executor 0x… --token 0x… [--amount N] [--to 0x…]`.

Without `--amount` the whole balance is withdrawn; `--token eth` withdraws ETH. `--to` defaults to the owner.
"""

from __future__ import annotations

import click
from ape import Contract, project
from ape.cli import ConnectedProviderCommand

from scripts._signer import address, signer
from scripts.fund import ERC20_ABI


@click.command(cls=ConnectedProviderCommand)
@click.option("--executor", required=True, help="ArbExecutor address.")
@click.option("--token", required=True, help="Token address, or 'eth'.")
@click.option("--amount", type=int, default=None, help="Amount in smallest units (default: everything).")
@click.option("--to", "to", default=None, help="Recipient (default: the owner).")
def cli(ecosystem, network, provider, executor: str, token: str, amount: int | None, to: str | None) -> None:
    contract = project.ArbExecutor.at(address(executor, "--executor"))
    owner = signer()
    if contract.owner() != owner.address:
        raise click.UsageError(f"the signer {owner.address} is not the executor's owner {contract.owner()}")
    dest = address(to, "--to") if to else owner.address
    if token.lower() == "eth":
        have = provider.get_balance(contract.address)
        amount = have if amount is None else amount
        if not 0 < amount <= have:
            raise click.BadParameter(f"{amount} not in 1..{have} (the executor's ETH)", param_hint="--amount")
        contract.withdrawETH(dest, amount, sender=owner)
    else:
        erc20 = Contract(address(token, "--token"), abi=ERC20_ABI)
        have = erc20.balanceOf(contract.address)
        amount = have if amount is None else amount
        if not 0 < amount <= have:
            raise click.BadParameter(f"{amount} not in 1..{have} (the executor's balance)", param_hint="--amount")
        contract.withdraw(erc20.address, dest, amount, sender=owner)
    click.echo(f"withdrew {amount} of {token} to {dest}")
