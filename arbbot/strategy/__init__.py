"""Strategies: from pool state to candidate trades (cycles, sizing, backruns). Pure: no I/O."""
