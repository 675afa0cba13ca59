#!/usr/bin/env bash
# tests/soak-pvfd.sh [SECONDS] — pvfd under mixed load for a while (default 600 s; not part of
# `make test`, run by hand): four clients at a time send valid and invalid adder blocks, a PVF
# that never halts (timed out) and prechecks of good and bad code, through `pvf validate
# --daemon` / `pvf precheck --daemon`, while a worker of pvfd's is SIGKILLed every few seconds.
# Every answer must be the right verdict (a job whose worker was killed may be PossiblyInvalid, a
# precheck whose prepare worker was killed Failed, as the host gives them). Reports pvfd's RSS and open fds over time; afterwards no process of pvfd's
# may be left, no fd may have leaked and no temp file may remain in its cache.
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
SECONDS_TOTAL=${1:-600}
PVF=$BUILD/bin/pvf PVFD=$BUILD/bin/pvfd
CODE=$DATA/pvf/kagome__pvf_hex_adder.wasm GOOD=$DATA/inputs/adder/000.params.scale
BAD=$(ls "$DATA"/inputs/adder/*bad*.params.scale 2>/dev/null | head -1)
[[ -f $CODE && -f $GOOD ]] || { echo "no adder in $DATA"; exit 2; }
: >"$tmp/empty.conf"
"$PVFD" --config "$tmp/empty.conf" --socket "$tmp/s" --cache-dir "$tmp/cache" --workers-path "$BUILD/bin" \
    --log-file "$tmp/pvfd.log" --log-level warning &
pid=$!
for _ in $(seq 100); do [[ -S $tmp/s ]] && break; sleep 0.1; done
sleep 1

one() {   # one request of a random kind; prints "ok" or what was wrong
    local out
    case $((RANDOM % 5)) in
    0|1) out=$("$PVF" validate --daemon "$tmp/s" --code "$CODE" --params "$GOOD" 2>&1)
         [[ $out == valid* || $out == *PossiblyInvalid* ]] && echo ok || echo "good block: $out" ;;
    2) if [[ -n $BAD ]]; then out=$("$PVF" validate --daemon "$tmp/s" --kind approval --code "$CODE" --params "$BAD" 2>&1)
         [[ $out == invalid:\ Invalid* || $out == *PossiblyInvalid* ]] && echo ok || echo "bad block: $out"; else echo ok; fi ;;
    3) out=$("$PVF" validate --daemon "$tmp/s" --code tests/fixtures/halt.wasm --params "$GOOD" --exec-timeout-ms 200 2>&1)
       [[ $out == *HardTimeout* || $out == *PossiblyInvalid* ]] && echo ok || echo "halt: $out" ;;
    4) out=$("$PVF" precheck --daemon "$tmp/s" --code "$CODE" 2>&1)     # a killed prepare job: no vote
       [[ $out == valid* || $out == failed:* ]] && echo ok || echo "precheck: $out" ;;
    esac
}
fds() { ls "/proc/$pid/fd" 2>/dev/null | wc -l; }
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
fd_start=$(fds) rss_start=$(rss)
echo "start: pvfd $pid, RSS ${rss_start} KiB, $fd_start fds"
end=$((SECONDS + SECONDS_TOTAL)) next_kill=$((SECONDS + 5)) next_report=$((SECONDS + 60)) n=0 wrong=0 kills=0
while ((SECONDS < end)); do
    clients=()
    for _ in 1 2 3 4; do one >>"$tmp/answers" & clients+=($!); done
    wait "${clients[@]}"     # not pvfd, which is a job of this shell too
    n=$((n + 4))
    if ((SECONDS >= next_kill)); then
        victim=$(pgrep -P "$pid" | shuf -n 1)
        [[ -n $victim ]] && kill -9 "$victim" && kills=$((kills + 1))
        next_kill=$((SECONDS + 3 + RANDOM % 5))
    fi
    if ((SECONDS >= next_report)); then
        echo "t=${SECONDS}s: $n requests, RSS $(rss) KiB, $(fds) fds, $kills workers killed"
        next_report=$((SECONDS + 60))
    fi
done
wrong=$(grep -vc '^ok$' "$tmp/answers")
# fds: pvfd holds some per live worker, and the workers come and go (a killed one is replaced at
# the next request): compare two quiet moments after the same 30 requests, no kills between
quiet_batch() {
    for _ in $(seq 30); do "$PVF" validate --daemon "$tmp/s" --code "$CODE" --params "$GOOD" >/dev/null 2>&1; done
    sleep 1
}
quiet_batch
fd_quiet=$(fds)
quiet_batch
fd_end=$(fds) rss_end=$(rss)
kill -TERM "$pid"; wait "$pid"; rc=$?
sleep 1
left=$(pgrep -f "pvf-(prepare|execute)-worker.*$tmp" | wc -l)
temps=$(find "$tmp/cache" -type f ! -name '*.pvf' ! -name pvf-manifest ! -name pvf-host.lock | wc -l)
echo "end: $n requests, $wrong wrong, $kills workers killed; RSS ${rss_start} → ${rss_end} KiB;"
echo "     fds $fd_start at the start, $fd_quiet after the load and 30 requests, $fd_end after 30 more;"
echo "     pvfd exit $rc; processes left $left; temp files left $temps"
grep -v '^ok$' "$tmp/answers" | head -5
((wrong == 0 && rc == 0 && left == 0 && temps == 0 && fd_end <= fd_quiet)) && ok || bad "the soak"
finish
