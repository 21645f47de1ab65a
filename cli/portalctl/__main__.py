"""`python -m portalctl` runs the command line."""

from portalctl.cli import main

main()
