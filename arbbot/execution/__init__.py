"""Execution: the executor's route encoding, signing and bundles."""
