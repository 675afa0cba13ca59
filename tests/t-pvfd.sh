#!/usr/bin/env bash
# tests/t-pvfd.sh — pvfd as an operator runs it (issue 16): --help from its option table, a bad
# option or config line named (exit 2), the config file applied and the command line winning,
# a live pvfd's socket never taken over, GET /metrics on loopback (and only there),
# SIGHUP reopening the log, SIGTERM stopping it cleanly, socket activation (when
# systemd-socket-activate is there); then the Go client's tests against it (clients/go, pure Go).
# Last line: "N passed, M failed, K skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
PVFD=$BUILD/bin/pvfd
PVF=$BUILD/bin/pvf
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start NAME ARGS...: pvfd in the background (its pid in $pid), waiting for its socket to answer
start() {
    local name=$1; shift
    "$PVFD" --config "$tmp/empty.conf" --cache-dir "$tmp/cache-$name" --workers-path "$BUILD/bin" \
        --log-file "$tmp/$name.log" "$@" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 150); do
        grep -q "event=ready" "$tmp/$name.log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop() { kill -TERM "$pid"; wait "$pid"; }
: >"$tmp/empty.conf"

out=$("$PVFD" --help); rc=$?
((rc == 0)) && [[ $out == "usage: pvfd [options]"* && $out == *"--allow-uid"* && $out == *"exit status:"* ]] && ok ||
    bad "pvfd --help: exit $rc: $(head -c 200 <<<"$out")"
out=$("$PVFD" --bogus 2>&1); rc=$?
((rc == 2)) && [[ $out == *"pvfd: unknown option '--bogus'"* ]] && ok || bad "pvfd --bogus: exit $rc: $out"
printf 'execute-workers = 3\nno-such-thing = 1\n' >"$tmp/bad.conf"
out=$("$PVFD" --config "$tmp/bad.conf" 2>&1); rc=$?
((rc == 2)) && [[ $out == *"bad.conf line 2: unknown option 'no-such-thing'"* ]] && ok || bad "a bad config line: exit $rc: $out"
out=$("$PVFD" --config "$tmp/empty.conf" --metrics-listen 0.0.0.0:9 --socket "$tmp/x.sock" --cache-dir "$tmp/c0" \
    --workers-path "$BUILD/bin" 2>&1); rc=$?
((rc == 2)) && [[ $out == *"only a loopback address"* ]] && ok || bad "metrics on 0.0.0.0: exit $rc: $out"

# The config file, and the command line over it. (A stale socket replaced: test_pvfd.c's restart.)
sock=$tmp/pvfd.sock
port=$((20000 + RANDOM % 20000))
printf '# pvfd for t-pvfd\nsocket = %s\nexecute-workers = 3\nmetrics-listen = 127.0.0.1:%d\ninsecure = false\n' \
    "$tmp/wrong.sock" "$port" >"$tmp/pvfd.conf"
if start main --config "$tmp/pvfd.conf" --socket "$sock"; then ok; else bad "pvfd did not start: $(tail -3 "$tmp/main.log")"; fi
grep -q "event=ready .*socket=$sock .*metrics=127.0.0.1:$port" "$tmp/main.log" && ok ||
    bad "the log's ready line: $(grep ready "$tmp/main.log")"
[[ $(stat -c %a "$sock") == 660 ]] && ok || bad "socket mode $(stat -c %a "$sock"), expected 660"

# A second pvfd on the same socket: refused, the first one untouched.
out=$("$PVFD" --config "$tmp/empty.conf" --socket "$sock" --cache-dir "$tmp/c2" --workers-path "$BUILD/bin" 2>&1); rc=$?
((rc == 2)) && [[ $out == *"another pvfd is listening"* ]] && ok || bad "a second pvfd on a live socket: exit $rc: $out"

# Work through it, and its metrics over HTTP (bash's /dev/tcp: no HTTP client needed).
CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm
PARAMS=$DATA/inputs/adder/000.params.scale
if [[ -f $CODE ]]; then
    out=$("$PVF" validate --daemon "$sock" --code "$CODE" --params "$PARAMS" --json 2>&1)
    [[ $out == *'"outcome":"valid","via":"pvfd"'* ]] && ok || bad "validate --daemon: $out"
else no_data "no adder in $DATA"; fi
if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    http=$(cat <&3); exec 3<&-
    [[ $http == "HTTP/1."?" 200"* && $http == *"polkadot_pvf_execute_enqueued"* ]] && ok || bad "GET /metrics: $(head -c 300 <<<"$http")"
else bad "no metrics server on 127.0.0.1:$port"; fi

# SIGHUP: the log file opened again (logrotate moved the old one).
mv "$tmp/main.log" "$tmp/main.log.1"
kill -HUP "$pid"
for _ in $(seq 50); do [[ -s $tmp/main.log ]] && break; sleep 0.1; done
grep -q "event=log_reopen" "$tmp/main.log" 2>/dev/null && ok || bad "no new log after SIGHUP"

# SIGTERM: a clean stop, the socket file gone, no worker left.
children=$(pgrep -P "$pid" | tr '\n' ' ')
stop; rc=$?
((rc == 0)) && [[ ! -e $sock ]] && ok || bad "SIGTERM: exit $rc, socket $( [[ -e $sock ]] && echo left || echo gone)"
grep -q "event=stopped" "$tmp/main.log" && ok || bad "no stopped event"
sleep 0.5
for c in $children; do kill -0 "$c" 2>/dev/null && bad "worker $c outlived pvfd"; done
ok

# Socket activation: systemd (here its test tool) holds the socket and passes it.
if command -v systemd-socket-activate >/dev/null; then
    asock=$tmp/activated.sock
    systemd-socket-activate -l "$asock" "$PVFD" --config "$tmp/empty.conf" --cache-dir "$tmp/cache-act" \
        --workers-path "$BUILD/bin" --log-file "$tmp/act.log" >/dev/null 2>&1 &
    apid=$!; pids+=("$apid")
    for _ in $(seq 50); do [[ -S $asock ]] && break; sleep 0.1; done
    if [[ -f $CODE ]]; then
        out=$("$PVF" validate --daemon "$asock" --code "$CODE" --params "$PARAMS" 2>&1)
        [[ $out == valid* ]] && grep -q "activated=true" "$tmp/act.log" && ok || bad "socket activation: $out $(tail -2 "$tmp/act.log")"
    fi
    kill -TERM "$apid" 2>/dev/null; wait "$apid" 2>/dev/null
else skip "socket activation: no systemd-socket-activate"; fi

# The Go client's own tests, against a pvfd of their own.
if command -v go >/dev/null; then
    sock=$tmp/go.sock
    if start go --socket "$sock"; then
        if (cd clients/go/pvfd && PVFD_SOCKET=$sock PVF_TESTDATA=$(cd "$OLDPWD" && realpath "$DATA") GOFLAGS=-mod=mod \
            GOCACHE=$tmp/gocache go test -count=1 ./...) >"$tmp/go.out" 2>&1; then ok
        else bad "go test (clients/go/pvfd): $(tail -15 "$tmp/go.out")"; fi
        stop
    else bad "pvfd for the Go tests did not start"; fi
elif [[ -n ${CI:-} ]]; then bad "no go (scripts/deps.sh installs golang-go)"
else skip "the Go client: no go"; fi
finish
