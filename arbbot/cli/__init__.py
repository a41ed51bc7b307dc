"""The `arbbot` command line: one module per command group."""
