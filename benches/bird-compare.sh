#!/usr/bin/env bash
# bird-compare.sh - speed and memory of `speaker` against BIRD on one full table.
#
# Sends the same 1,000,000-prefix table (100,000 distinct AS paths) from the same
# sender to a fresh BIRD and to a fresh `speaker` (release build), one after the
# other, and prints for each the time from Established until it holds every
# prefix, and its resident memory afterwards.
#
# This is a benchmark, not a test: it is not part of CI's pass/fail. It USES THE
# LAB TOOLS IN ../shared/interop/bin (gen-prefixes to write the table, bgp-blast
# to send it: a minimal Python speaker that encodes every UPDATE before it
# connects, so the sender costs next to nothing while the receiver works) and
# stops with a message when they are absent. Needs BIRD 2 (`bird`, `birdc`) and
# root (port 179 on 127.78.0.0/16).
#
#   benches/bird-compare.sh [PREFIXES=1000000] [PATHS=100000]
#
# Environment: SHARED (default ../shared/interop/bin from the workspace),
# KEEP=1 keeps the scratch directory, POLL (seconds between polls, 0.01).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PATHS=${2:-100000}
POLL=${POLL:-0.01}
SHARED=${SHARED:-$(cd .. && pwd)/shared/interop/bin}

die() { echo "bird-compare: $*" >&2; exit 1; }
for t in gen-prefixes bgp-blast; do
    [ -x "$SHARED/$t" ] || die "$SHARED/$t is missing: this benchmark uses the lab tools of ../shared/interop (set SHARED=DIR)"
done
command -v bird >/dev/null && command -v birdc >/dev/null || die "BIRD 2 is missing (apt-get install bird2)"
command -v python3 >/dev/null || die "python3 is missing"

cargo build -q --release -p bgp-examples --bin speaker
SPEAKER=$PWD/target/release/speaker

WORK=$(mktemp -d /tmp/bird-compare.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

TABLE=$WORK/table.txt
echo "table: gen-prefixes $N $PATHS" >&2
"$SHARED/gen-prefixes" "$N" "$PATHS" >"$TABLE"
[ "$(wc -l <"$TABLE")" -eq "$N" ] || die "gen-prefixes wrote $(wc -l <"$TABLE") lines, want $N"

SENDER=127.78.0.50
now() { date +%s.%N; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# run NAME DAEMON_PID RECEIVER_ADDR COUNT_FUNCTION: starts bgp-blast toward the
# receiver, waits for its Established time, polls COUNT_FUNCTION until N, then
# prints "NAME SECONDS RSS_MIB".
run() {
    local name=$1 pid=$2 addr=$3 count=$4 stats=$WORK/$1.stats log=$WORK/$1.blast.log
    "$SHARED/bgp-blast" --local "$SENDER" --peer "$addr" --as 65050 --peer-as 65001 \
        --nexthop 198.18.0.50 --prefixes "$TABLE" --stats "$stats" --hold-open 600 2>"$log" &
    PIDS+=($!)
    local blast=$! t_est="" c=0 t_done
    # bgp-blast prints "established with ADDR at EPOCH" the moment the session is up.
    until t_est=$(awk '/^established with/ {print $NF}' "$log" 2>/dev/null) && [ -n "$t_est" ]; do
        kill -0 "$blast" 2>/dev/null || die "$name: bgp-blast exited: $(cat "$log")"
        kill -0 "$pid" 2>/dev/null || die "$name: the receiver exited"
        sleep 0.05
    done
    local deadline=$(($(date +%s) + 600))
    while :; do
        c=$($count)
        t_done=$(now)
        [ "${c:-0}" -ge "$N" ] && break
        [ "$(date +%s)" -lt "$deadline" ] || die "$name: holds $c of $N after 600 s"
        kill -0 "$pid" 2>/dev/null || die "$name: the receiver exited"
        sleep "$POLL"
    done
    sleep 2 # "afterwards": let the receiver finish what it does after the last prefix
    local secs rss
    secs=$(awk -v a="$t_done" -v b="$t_est" 'BEGIN {printf "%.3f", a - b}')
    rss=$(rss_mib "$pid")
    echo "$name $secs $rss"
    kill "$blast" 2>/dev/null || true
}

# --- BIRD ---------------------------------------------------------------------
BIRD_ADDR=127.78.0.11
mkdir -p "$WORK/bird"
cat >"$WORK/bird/bird.conf" <<EOF
log "$WORK/bird/bird.log" { warning, error, fatal, bug };
router id 10.78.0.11;
protocol device { }
protocol bgp blast {
  local $BIRD_ADDR port 179 as 65001;
  neighbor $SENDER port 179 as 65050;
  multihop 2;        # BIRD refuses a loopback address as a direct neighbor
  strict bind;
  passive on;
  ipv4 { import all; export none; };
}
EOF
bird -c "$WORK/bird/bird.conf" -s "$WORK/bird/bird.ctl" -P "$WORK/bird/bird.pid" || die "bird failed to start"
for _ in $(seq 100); do [ -s "$WORK/bird/bird.pid" ] && break; sleep 0.05; done
BIRD_PID=$(cat "$WORK/bird/bird.pid")
PIDS+=("$BIRD_PID")
bird_count() {
    birdc -s "$WORK/bird/bird.ctl" show protocols all blast 2>/dev/null |
        awk '/Routes:/ {print $2; f = 1; exit} END {if (!f) print 0}'
}
BIRD_LINE=$(run bird "$BIRD_PID" "$BIRD_ADDR" bird_count)
kill "$BIRD_PID"
sleep 0.5

# --- speaker ------------------------------------------------------------------
SPK_ADDR=127.78.0.12
mkdir -p "$WORK/speaker"
cat >"$WORK/speaker/bgpd.conf" <<EOF
router bgp 65001
 bgp router-id 10.78.0.12
 no bgp ebgp-requires-policy
 neighbor $SENDER remote-as 65050
 neighbor $SENDER passive
exit
EOF
"$SPEAKER" --config "$WORK/speaker/bgpd.conf" --listen "$SPK_ADDR:179" \
    --control "$WORK/speaker/ctl.sock" --quiet 2>"$WORK/speaker/speaker.log" &
SPK_PID=$!
PIDS+=("$SPK_PID")
for _ in $(seq 100); do [ -S "$WORK/speaker/ctl.sock" ] && break; sleep 0.05; done
speaker_count() {
    # 'show rib summary' reads the Loc-RIB's size without walking it ('show
    # summary' builds the Adj-RIB-In: polled, it would slow what it measures).
    "$SPEAKER" ctl --control "$WORK/speaker/ctl.sock" show rib summary --json 2>/dev/null |
        sed -n 's/.*"ipv4_prefixes":\([0-9]*\).*/\1/p' | grep . || echo 0
}
SPK_LINE=$(run speaker "$SPK_PID" "$SPK_ADDR" speaker_count)

# --- report -------------------------------------------------------------------
read -r _ bt bm <<<"$BIRD_LINE"
read -r _ st sm <<<"$SPK_LINE"
echo
echo "$N prefixes, $PATHS AS paths, one bgp-blast sender, polled every ${POLL}s:"
printf '%-10s %10s %10s\n' receiver seconds "RSS MiB"
printf '%-10s %10s %10s\n' "BIRD $(bird --version 2>&1 | awk '{print $NF}')" "$bt" "$bm"
printf '%-10s %10s %10s\n' speaker "$st" "$sm"
awk -v bt="$bt" -v bm="$bm" -v st="$st" -v sm="$sm" 'BEGIN {
    printf "speaker/BIRD: time %.2fx (target <= 0.5x), memory %.2fx (target <= 0.8x)\n", st / bt, sm / bm }'
