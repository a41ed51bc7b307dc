"""Uniswap V3: an independent integer port of the core math (v3-core 1.0.1), wei-exact."""
