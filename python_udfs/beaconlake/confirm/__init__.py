"""The confirmation step: decide whether a candidate's event series is a beacon, and explain it."""
