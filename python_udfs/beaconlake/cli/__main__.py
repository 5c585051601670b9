"""``python -m beaconlake.cli``: the same as the ``beaconlake`` command."""

from beaconlake.cli import main

main()
