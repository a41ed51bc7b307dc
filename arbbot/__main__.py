"""`python -m arbbot` runs the CLI."""

from arbbot.cli.main import main

if __name__ == "__main__":
    main()
