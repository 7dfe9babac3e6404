# Shared helpers for the WebRTC / ICE / TURN / DTLS sample scripts.
# Source this from a script that has `set -euo pipefail`.
#
# Topology (all inside network namespaces created here, nothing on the host):
#
#   cs2a  eth0 10.202.1.2/24  fd00:202::1:2/112 ----+
#                                                    |  ra
#   cs2b  eth0 10.202.2.2/24  fd00:202::2:2/112 --- cs2r (router, forwards v4+v6)
#                                                    |  rb / rt
#   cs2t  eth0 10.202.3.2/24  fd00:202::3:2/112 ----+
#
# Captures are taken in the router namespace on one link so that every
# forwarded packet appears exactly once.  Failures are made with nft rules
# in the INPUT chain of the receiving peer: the router has already seen
# (and recorded) the packet, so a capture shows "sent, never answered".
#
# Variables a script may set before calling cs2_topology:
#   CS2_SFX   suffix for namespace names (default empty: cs2a cs2b cs2r cs2t)
#   CS2_NET   second octet block: addresses are 10.202.<N*10+k>.x (default 0)
#   CS2_V6    1 to add IPv6 addresses, 2 for IPv6 only on the peers (default 0)

CS2_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CS2_SAMPLES="$(cd "$CS2_DIR/.." && pwd)"
CS2_SFX="${CS2_SFX:-}"
CS2_NET="${CS2_NET:-0}"
CS2_V6="${CS2_V6:-0}"

NS_A="cs2a$CS2_SFX"
NS_B="cs2b$CS2_SFX"
NS_R="cs2r$CS2_SFX"
NS_T="cs2t$CS2_SFX"

_o=$((CS2_NET * 10))
IP_A="10.202.$((_o + 1)).2"
IP_B="10.202.$((_o + 2)).2"
IP_T="10.202.$((_o + 3)).2"
GW_A="10.202.$((_o + 1)).1"
GW_B="10.202.$((_o + 2)).1"
GW_T="10.202.$((_o + 3)).1"
IP6_A="fd00:202::$((_o + 1)):2"
IP6_B="fd00:202::$((_o + 2)):2"
IP6_T="fd00:202::$((_o + 3)):2"
GW6_A="fd00:202::$((_o + 1)):1"
GW6_B="fd00:202::$((_o + 2)):1"
GW6_T="fd00:202::$((_o + 3)):1"

CS2_PIDS=()
CS2_PEER_PIDS=()
CS2_TCPDUMP_PID=""
CS2_WORK=""
CS2_NAMESPACES=()

cs2_log() { printf '[%s %s] %s\n' "$(date +%T)" "${CS2_NAME:-cs2}" "$*" >&2; }

# Start a background process and remember its pid for cleanup.
cs2_bg() {
    "$@" &
    CS2_PIDS+=("$!")
}

cs2_cleanup() {
    local rc=$?
    set +e
    if [ -n "$CS2_TCPDUMP_PID" ]; then
        kill -INT "$CS2_TCPDUMP_PID" 2>/dev/null
        wait "$CS2_TCPDUMP_PID" 2>/dev/null
    fi
    local p
    for p in "${CS2_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${CS2_PIDS[@]}"; do
        # bounded: `timeout` wrappers end their children; give them 3 s.
        timeout 3 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
    done
    local ns
    for ns in "${CS2_NAMESPACES[@]}"; do
        # Any process still inside the namespace is ours (started by this script).
        local pids
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    if [ -n "$CS2_WORK" ] && [ -d "$CS2_WORK" ]; then
        if [ "$rc" -ne 0 ] || [ -n "${CS2_KEEP:-}" ]; then
            echo "work dir kept: $CS2_WORK" >&2
        else
            rm -rf "$CS2_WORK"
        fi
    fi
    exit "$rc"
}

cs2_init() {
    CS2_NAME="${1:-cs2}"
    [ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
    trap cs2_cleanup EXIT
    trap 'exit 130' INT TERM
    CS2_WORK="$(mktemp -d "/tmp/cs2-${CS2_NAME}.XXXXXX")"
}

_cs2_ns_add() {
    local ns=$1
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    CS2_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
}

# _cs2_link PEER_NS ROUTER_IF IP GW IP6 GW6 MACSUFFIX
_cs2_link() {
    local ns=$1 rif=$2 ip=$3 gw=$4 ip6=$5 gw6=$6 m=$7
    ip link add "$rif" netns "$NS_R" type veth peer name eth0 netns "$ns"
    ip -n "$ns" link set eth0 address "02:02:02:${m}:00:02"
    ip -n "$NS_R" link set "$rif" address "02:02:02:${m}:00:01"
    # No router solicitations / DAD chatter in the captures.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_ra=0 net.ipv6.conf.eth0.dad_transmits=0 \
        net.ipv6.conf.eth0.router_solicitations=0
    ip netns exec "$NS_R" sysctl -qw "net.ipv6.conf.$rif.accept_ra=0" "net.ipv6.conf.$rif.dad_transmits=0" \
        "net.ipv6.conf.$rif.router_solicitations=0"
    if [ "$CS2_V6" != 0 ]; then
        ip -n "$ns" addr add "$ip6/112" dev eth0 nodad
        ip -n "$NS_R" addr add "$gw6/112" dev "$rif" nodad
    fi
    ip -n "$NS_R" addr add "$gw/24" dev "$rif"
    if [ "$CS2_V6" != 2 ]; then
        ip -n "$ns" addr add "$ip/24" dev eth0
    fi
    # No segmentation/receive offloads: the capture then shows TCP segments
    # as they would be on a real link (at most the MTU), not 64 kB bursts.
    ip netns exec "$ns" ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$NS_R" ethtool -K "$rif" tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$ns" link set eth0 up
    ip -n "$NS_R" link set "$rif" up
    if [ "$CS2_V6" != 2 ]; then
        ip -n "$ns" route add default via "$gw"
    fi
    if [ "$CS2_V6" != 0 ]; then
        ip -n "$ns" -6 route add default via "$gw6"
    fi
}

# Build router + peers A and B (+ TURN namespace T when $1 = turn).
cs2_topology() {
    _cs2_ns_add "$NS_R"
    ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    _cs2_ns_add "$NS_A"
    _cs2_ns_add "$NS_B"
    local m=$(printf '%02x' $((CS2_NET * 10)))
    _cs2_link "$NS_A" ra "$IP_A" "$GW_A" "$IP6_A" "$GW6_A" "$(printf '%02x' $((CS2_NET * 10 + 1)))"
    _cs2_link "$NS_B" rb "$IP_B" "$GW_B" "$IP6_B" "$GW6_B" "$(printf '%02x' $((CS2_NET * 10 + 2)))"
    if [ "${1:-}" = turn ]; then
        _cs2_ns_add "$NS_T"
        _cs2_link "$NS_T" rt "$IP_T" "$GW_T" "$IP6_T" "$GW6_T" "$(printf '%02x' $((CS2_NET * 10 + 3)))"
    fi
    : "$m"
    # Resolve neighbours now so no ARP/ND exchange lands in the capture
    # (the capture starts later).
    ip netns exec "$NS_A" timeout 5 ping -c1 -W1 -q "$GW_A" >/dev/null 2>&1 || true
    ip netns exec "$NS_B" timeout 5 ping -c1 -W1 -q "$GW_B" >/dev/null 2>&1 || true
    if [ "${1:-}" = turn ]; then
        ip netns exec "$NS_T" timeout 5 ping -c1 -W1 -q "$GW_T" >/dev/null 2>&1 || true
    fi
    if [ "$CS2_V6" != 0 ]; then
        ip netns exec "$NS_A" timeout 5 ping -6 -c1 -W1 -q "$IP6_B" >/dev/null 2>&1 || true
    fi
    if [ "$CS2_V6" != 2 ]; then
        ip netns exec "$NS_A" timeout 5 ping -c1 -W1 -q "$IP_B" >/dev/null 2>&1 || true
    fi
    if [ "${1:-}" = turn ]; then
        ip netns exec "$NS_A" timeout 5 ping -c1 -W1 -q "$IP_T" >/dev/null 2>&1 || true
        ip netns exec "$NS_B" timeout 5 ping -c1 -W1 -q "$IP_T" >/dev/null 2>&1 || true
    fi
}

# cs2_capture IFACE_IN_ROUTER OUTFILE [max-seconds]: tcpdump in the router namespace.
cs2_capture() {
    local iface=$1 out=$2 secs=${3:-120}
    rm -f "$out"
    ip netns exec "$NS_R" timeout "$secs" tcpdump -i "$iface" -n -U --immediate-mode -s 0 -w "$out" \
        'udp or tcp' 2>"$CS2_WORK/tcpdump.err" &
    CS2_TCPDUMP_PID=$!
    # Wait (bounded) until tcpdump is listening.
    local i
    for i in $(seq 1 50); do
        grep -q "listening on" "$CS2_WORK/tcpdump.err" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "tcpdump did not start" >&2
    cat "$CS2_WORK/tcpdump.err" >&2
    return 1
}

cs2_capture_stop() {
    # --immediate-mode and a pause: packets still in the kernel ring when
    # tcpdump gets SIGINT would otherwise be lost.
    sleep 1
    if [ -n "$CS2_TCPDUMP_PID" ]; then
        kill -INT "$CS2_TCPDUMP_PID" 2>/dev/null || true
        wait "$CS2_TCPDUMP_PID" 2>/dev/null || true
        CS2_TCPDUMP_PID=""
    fi
    grep -E "captured|received|dropped" "$CS2_WORK/tcpdump.err" >&2 || true
    local c r
    c=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$CS2_WORK/tcpdump.err")
    r=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$CS2_WORK/tcpdump.err")
    if [ -n "$c" ] && [ -n "$r" ] && [ "$c" != "$r" ]; then
        echo "tcpdump lost packets ($c captured, $r received)" >&2
        return 1
    fi
}

# cs2_nft_input NS 'rule text' : add a rule to an inet filter INPUT chain in NS.
cs2_nft_input() {
    local ns=$1
    shift
    if ! ip netns exec "$ns" nft list chain inet cs2 input >/dev/null 2>&1; then
        ip netns exec "$ns" nft add table inet cs2
        ip netns exec "$ns" nft add chain inet cs2 input '{ type filter hook input priority 0; policy accept; }'
    fi
    ip netns exec "$ns" nft add rule inet cs2 input "$@"
}

# cs2_nft_output NS 'rule text' : the same in an OUTPUT chain (the packet is
# dropped before it reaches the link, so captures never see it).
cs2_nft_output() {
    local ns=$1
    shift
    if ! ip netns exec "$ns" nft list chain inet cs2 output >/dev/null 2>&1; then
        ip netns exec "$ns" nft add table inet cs2
        ip netns exec "$ns" nft add chain inet cs2 output '{ type filter hook output priority 0; policy accept; }'
    fi
    ip netns exec "$ns" nft add rule inet cs2 output "$@"
}

cs2_nft_flush() {
    local ns=$1
    ip netns exec "$ns" nft delete table inet cs2 2>/dev/null || true
}

# cs2_wait_file PATH SECONDS: bounded wait for a file to appear.
cs2_wait_file() {
    local f=$1 secs=$2 n
    n=$((secs * 10))
    while [ "$n" -gt 0 ]; do
        [ -e "$f" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    echo "timed out waiting for $f" >&2
    return 1
}

# cs2_peer NS NAME ARGS... : run webrtc_peer.py in NS in the background.
cs2_peer() {
    local ns=$1 name=$2
    shift 2
    cs2_bg ip netns exec "$ns" timeout -k 3 "${CS2_PEER_TIMEOUT:-90}" \
        python3 "$CS2_DIR/webrtc_peer.py" --name "$name" "$@" \
        >"$CS2_WORK/$name.out" 2>"$CS2_WORK/$name.log"
    CS2_PEER_PIDS+=("${CS2_PIDS[-1]}")
}

# Wait for the peers started with cs2_peer (each is bounded by its own timeout).
cs2_wait_all() {
    local p rc=0
    for p in "${CS2_PEER_PIDS[@]}"; do
        wait "$p" || rc=$?
    done
    CS2_PEER_PIDS=()
    return "$rc"
}

cs2_show_logs() {
    local f
    for f in "$CS2_WORK"/*.log; do
        [ -e "$f" ] || continue
        echo "--- $f" >&2
        grep -v '^DEBUG' "$f" | tail -n 40 >&2
    done
}

# cs2_turnserver [extra config lines...]: coturn in NS_T, UDP only.
cs2_turnserver() {
    local conf="$CS2_WORK/turnserver.conf"
    {
        echo "listening-ip=$IP_T"
        echo "relay-ip=$IP_T"
        echo "listening-port=3478"
        echo "min-port=49160"
        echo "max-port=49200"
        echo "lt-cred-mech"
        echo "user=${TURN_USER:-alice}:${TURN_PASS:-s3cret-turn}"
        echo "realm=${TURN_REALM:-callscope.test}"
        echo "fingerprint"
        echo "no-tls"
        echo "no-dtls"
        echo "no-tcp"
        echo "no-tcp-relay"
        echo "no-cli"
        echo "no-multicast-peers"
        echo "no-software-attribute"
        echo "simple-log"
        echo "log-file=$CS2_WORK/turnserver.log"
        echo "pidfile=$CS2_WORK/turnserver.pid"
        echo "userdb=$CS2_WORK/turndb"
        local l
        for l in "$@"; do echo "$l"; done
    } >"$conf"
    cs2_bg ip netns exec "$NS_T" timeout -k 3 "${CS2_TURN_TIMEOUT:-120}" \
        turnserver -c "$conf" >"$CS2_WORK/turnserver.out" 2>&1
    local i
    for i in $(seq 1 50); do
        ip netns exec "$NS_T" ss -lun 2>/dev/null | grep -q "$IP_T:3478" && return 0
        sleep 0.1
    done
    echo "turnserver did not start" >&2
    cat "$CS2_WORK/turnserver.out" >&2
    return 1
}

# Keep the SDPs of a run (for FACTS-webrtc.md; not committed) in $CS2_SDP_OUT.
cs2_keep_sdp() {
    local out=$1 d
    d="${CS2_SDP_OUT:-/tmp/cs2-sdp}/$(basename "${out%.pcap}")"
    mkdir -p "$d"
    cp "$CS2_WORK"/sig/*.sdp "$d"/ 2>/dev/null || true
}

# cs2_count FILE FILTER: frames of FILE that match the tshark display FILTER.
cs2_count() {
    timeout 120 tshark -r "$1" -Y "$2" 2>/dev/null | wc -l
}

# cs2_expect FILE FILTER OP N: fail unless the number of frames matching the
# tshark FILTER compares to N with OP (a test(1) operator: -eq, -ge, -le...).
cs2_expect() {
    local file=$1 filter=$2 op=$3 n=$4 got
    got=$(cs2_count "$file" "$filter")
    if ! [ "$got" "$op" "$n" ]; then
        echo "check failed: $got frames match '$filter' in $(basename "$file"), expected $op $n" >&2
        return 1
    fi
    cs2_log "check: $got frames match '$filter' ($op $n)"
}
