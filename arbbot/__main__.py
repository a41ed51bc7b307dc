"""`python -m arbbot` runs the CLI."""

from arbbot.cli.main import main

main()
