"""arbbot: on-chain arbitrage toolkit for EVM and Solana."""

__version__ = "0.1.0"
