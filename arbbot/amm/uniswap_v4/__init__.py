"""Uniswap V4: pools inside the one PoolManager, with hooks triaged by their permission bits."""
