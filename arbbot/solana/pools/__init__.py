"""Venue pools kept one venue per module (the shared `VenuePool` interface is in `arbbot.solana.venues`)."""
