"""The beacon simulator: realistic benign DNS traffic with planted, labelled C2 beacons."""
