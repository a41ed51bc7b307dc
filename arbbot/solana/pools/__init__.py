"""Venue pools whose decoders, quotes and hop blocks live in a module of their own."""
