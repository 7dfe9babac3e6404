# shellcheck shell=bash
# Shared network set-up for the SIP transport-failure and load samples.
#
# Source this from a sample script that runs `set -euo pipefail`, as root.
# It builds two network namespaces joined by one veth pair:
#
#   cs3a (caller)  10.203.0.1/24  veth cs3a-eth0  02:00:0a:cb:00:01
#   cs3b (callee)  10.203.0.2/24  veth cs3b-eth0  02:00:0a:cb:00:02
#
# Traffic never leaves these two namespaces. tcpdump records on cs3a-eth0,
# so packets that cs3b's nft rules drop are still in the capture.
#
# Functions:
#   sipnet_up                 create both namespaces (after removing stale ones)
#   sipnet_run NS SECS CMD..  run CMD in NS, bounded by `timeout SECS`, in the
#                             background; its pid goes to $SIPNET_LASTPID
#   sipnet_wait PID           wait for a sipnet_run process, status in $SIPNET_RC
#   sipnet_exec NS SECS CMD.. the same in the foreground (exit status kept)
#   sipnet_capture_start FILE start tcpdump in cs3a writing FILE
#   sipnet_capture_stop       stop tcpdump and wait for the file to be flushed
#   sipnet_hold_until SECS    sleep until SECS after the capture started
#   sipnet_tool NS SECS LOG CMD..  run a tool to its end, status in $SIPNET_RC
#   sipnet_expect FILE FILTER N    fail unless N frames match the tshark FILTER
#   sipnet_wait_listen NS PROTO PORT  wait until a server listens
#   sipnet_nft_b RULESET      load an nft ruleset into cs3b
#   sipnet_finish TMP DEST    move a finished capture into place
#   sipnet_cleanup            stop every process started here, delete namespaces
#
# A script sets `trap sipnet_cleanup EXIT` right after sourcing this file.

SIPNET_A=cs3a
SIPNET_B=cs3b
SIPNET_A_IP=10.203.0.1
SIPNET_B_IP=10.203.0.2
SIPNET_A_IF=cs3a-eth0
SIPNET_B_IF=cs3b-eth0
SIPNET_A_MAC=02:00:0a:cb:00:01
SIPNET_B_MAC=02:00:0a:cb:00:02
SIPNET_LOCK=/run/lock/cs3-sipnet.lock

SIPNET_PIDS=()
SIPNET_CAP_PID=
SIPNET_LASTPID=
SIPNET_WORK=
SIPNET_T0=
SIPNET_RC=0

sipnet_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Per-namespace settings: IPv6 off (no router solicitations or MLD reports in
# the captures), checksum and segmentation offloads off so that the recorded
# UDP/TCP checksums are the real ones, ICMP errors not rate-limited.
sipnet_ns_setup() {
    local ns=$1 ifname=$2 mac=$3 ip=$4
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip link set "$ifname" address "$mac"
    ip netns exec "$ns" ethtool -K "$ifname" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$ns" ip addr add "$ip/24" dev "$ifname"
    ip netns exec "$ns" ip link set "$ifname" up
}

sipnet_up() {
    # One set of cs3 namespaces at a time: a second script waits here.
    exec 9>"$SIPNET_LOCK"
    timeout 900 flock 9
    local ns
    for ns in "$SIPNET_A" "$SIPNET_B"; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            sipnet_log "removing stale namespace $ns"
            ip netns del "$ns"
        fi
    done
    ip netns add "$SIPNET_A"
    ip netns add "$SIPNET_B"
    ip link add "$SIPNET_A_IF" netns "$SIPNET_A" type veth peer name "$SIPNET_B_IF" netns "$SIPNET_B"
    sipnet_ns_setup "$SIPNET_A" "$SIPNET_A_IF" "$SIPNET_A_MAC" "$SIPNET_A_IP"
    sipnet_ns_setup "$SIPNET_B" "$SIPNET_B_IF" "$SIPNET_B_MAC" "$SIPNET_B_IP"
    SIPNET_WORK=$(mktemp -d /tmp/cs3-sipnet.XXXXXX)
    # Both ends must be up before anything is recorded.
    for _ in $(seq 1 50); do
        ip netns exec "$SIPNET_A" ip -o link show "$SIPNET_A_IF" | grep -q 'LOWER_UP' && break
        sleep 0.1
    done
}

sipnet_run() {
    local ns=$1 secs=$2
    shift 2
    ip netns exec "$ns" timeout --kill-after=5 "$secs" "$@" &
    SIPNET_LASTPID=$!
    SIPNET_PIDS+=("$SIPNET_LASTPID")
}

# Wait for a process started by sipnet_run; its status goes to $SIPNET_RC.
# A reaped pid is dropped from the list so cleanup never signals a pid that
# the system may have handed to someone else.
sipnet_wait() {
    local pid=$1 p keep=()
    SIPNET_RC=0
    wait "$pid" || SIPNET_RC=$?
    for p in "${SIPNET_PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    SIPNET_PIDS=("${keep[@]}")
}

sipnet_exec() {
    local ns=$1 secs=$2
    shift 2
    ip netns exec "$ns" timeout --kill-after=5 "$secs" "$@"
}

sipnet_capture_start() {
    local file=$1 err="$SIPNET_WORK/tcpdump.err"
    shift
    : >"$err"
    ip netns exec "$SIPNET_A" timeout --kill-after=5 900 \
        tcpdump -Z root -i "$SIPNET_A_IF" -s 0 -U --immediate-mode -w "$file" "$@" 2>"$err" &
    SIPNET_CAP_PID=$!
    for _ in $(seq 1 50); do
        grep -q 'listening on' "$err" && break
        sleep 0.1
    done
    grep -q 'listening on' "$err" || { cat "$err" >&2; return 1; }
    # A short quiet lead-in so the first frame is not the instant of start-up.
    sleep 0.5
    SIPNET_T0=$(date +%s.%N)
}

# Sleep until SECS seconds have passed since the capture started, so that a
# capture keeps its quiet tail (no response) for a fixed length.
sipnet_hold_until() {
    local rest
    rest=$(awk -v t0="$SIPNET_T0" -v now="$(date +%s.%N)" -v s="$1" 'BEGIN { r = t0 + s - now; if (r < 0) r = 0; printf "%.3f", r }')
    sleep "$rest"
}

# Run sipp (or any command) bounded, keep its output in LOG, and put its exit
# status in $SIPNET_RC instead of failing the script: a failed call is what
# most of these samples are about. Exit 124/137 (killed by timeout) is an
# error: every sample must end by itself.
sipnet_tool() {
    local ns=$1 secs=$2 log=$3
    shift 3
    SIPNET_RC=0
    sipnet_exec "$ns" "$secs" "$@" </dev/null >"$log" 2>&1 || SIPNET_RC=$?
    if [ "$SIPNET_RC" = 124 ] || [ "$SIPNET_RC" = 137 ]; then
        sipnet_log "$1 did not stop within ${secs}s"
        tail -n 20 "$log" >&2
        return 1
    fi
}

# Fail unless tshark finds exactly N frames matching FILTER in FILE.
sipnet_expect() {
    local file=$1 filter=$2 want=$3 got
    got=$(tshark -r "$file" -Y "$filter" 2>/dev/null | wc -l)
    if [ "$got" != "$want" ]; then
        sipnet_log "check failed: $filter: $got frames, expected $want"
        return 1
    fi
}

sipnet_capture_stop() {
    [ -n "$SIPNET_CAP_PID" ] || return 0
    # SIGINT reaches tcpdump through timeout, which forwards it.
    kill -INT "$SIPNET_CAP_PID" 2>/dev/null || true
    timeout 10 tail --pid="$SIPNET_CAP_PID" -f /dev/null || kill -KILL "$SIPNET_CAP_PID" 2>/dev/null || true
    wait "$SIPNET_CAP_PID" 2>/dev/null || true
    SIPNET_CAP_PID=
}

sipnet_stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    timeout 10 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

sipnet_cleanup() {
    local rc=$? pid
    set +e
    sipnet_capture_stop
    for pid in "${SIPNET_PIDS[@]}"; do
        sipnet_stop "$pid"
    done
    SIPNET_PIDS=()
    ip netns del "$SIPNET_A" 2>/dev/null
    ip netns del "$SIPNET_B" 2>/dev/null
    if [ -n "$SIPNET_WORK" ] && [ -z "${SIPNET_KEEP:-}" ]; then rm -rf "$SIPNET_WORK"; fi
    SIPNET_WORK=
    return "$rc"
}

# Wait (up to 5 s) until something in NS listens on PROTO (udp|tcp) PORT.
sipnet_wait_listen() {
    local ns=$1 proto=$2 port=$3 flag
    case $proto in udp) flag=-Hlun ;; tcp) flag=-Hltn ;; *) return 1 ;; esac
    for _ in $(seq 1 50); do
        ip netns exec "$ns" ss "$flag" "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    sipnet_log "nothing listens on $proto/$port in $ns"
    return 1
}

# Drop rules live only in cs3b's own nft ruleset (deleted with the namespace).
sipnet_nft_b() {
    ip netns exec "$SIPNET_B" nft -f - <<<"$1"
}

# Move a finished capture into place and print a one-line summary.
sipnet_finish() {
    local tmp=$1 dest=$2
    mv -f "$tmp" "$dest"
    chmod 0644 "$dest"
    sipnet_log "wrote $dest: $(capinfos -c -M "$dest" | awk -F': *' '/Number of packets/{print $2}') frames, $(stat -c %s "$dest") bytes"
}
