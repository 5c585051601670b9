"""beaconlake: find malware command-and-control beacons in DNS telemetry."""

__version__ = "0.1.0"
