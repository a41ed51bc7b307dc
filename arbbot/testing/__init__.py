"""Test doubles shared by the tests and the demo; each says what it does not emulate."""
