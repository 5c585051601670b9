#!/usr/bin/env bash
# Run a command against the local Trino server (trino/server.sh): start the server unless one
# already runs, point beaconlake's profile and tests at it, run the command, and stop the server
# afterwards -- also when the command fails or is interrupted -- if this script started it.
#
#   trino/with_server.sh COMMAND [ARGS...]     e.g. trino/with_server.sh .venv/bin/pytest
#
# Exits 1 (after server.sh has printed the server log tail) when the server does not start,
# else with the command's exit code. TRINO_PORT (default 8089) is the port.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVER=$HERE/server.sh
PORT=${TRINO_PORT:-8089}
export TRINO_PORT=$PORT

(($#)) || {
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
}

if bash "$SERVER" status >/dev/null 2>&1; then
    echo "trino: using the server already running on port $PORT (left running)" >&2
else
    trap 'bash "$SERVER" down || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    started=$(date +%s)
    if ! bash "$SERVER" up; then
        echo "trino: the server did not start (see above); 'make test TRINO=0' skips the" \
            "Trino suite" >&2
        exit 1
    fi
    echo "trino: up in $(($(date +%s) - started)) s" >&2
fi

export TRINO_HOST=127.0.0.1 BEACONLAKE_TRINO_HOST=127.0.0.1 BEACONLAKE_TRINO_PORT=$PORT
# The one folder the server's local:// URIs reach (the running server's, not the default's).
BEACONLAKE_TRINO_LOCAL_ROOT=$(bash "$SERVER" lake)
export BEACONLAKE_TRINO_LOCAL_ROOT
set +e
"$@"
status=$?
set -e
exit "$status"
