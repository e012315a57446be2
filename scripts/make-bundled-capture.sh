#!/usr/bin/env bash
# Makes assets/rcvbuf-1024.pcap: a receiver-window-limited transfer, the RocketMQ incident in
# miniature. A python3 "name server" sets SO_RCVBUF=1024 before listen() (what
# serverSocketRcvBufSize=1024 does) on port 9876 and reads everything; a python3 "broker" sends
# SIZE bytes, waits for a 3-byte reply ("OK\n") and closes. TCP timestamps off and MTU 614
# (MSS 574), as in the incident. Capture on the sender's side, so ack_rtt measures the path.
#
# MODE=lab (default): through the project's own link emulator, `tcpwin lab link` (two network
#   namespaces joined by TUN devices and a userspace forwarder adding the incident's 1.66 ms RTT;
#   it writes the pcap of what crosses, raw IP, ns timestamps). Needs `npm run build` first.
# MODE=veth: two namespaces joined by a veth pair (offloads off so every packet is one segment),
#   tcpdump on the sender's veth. No added delay (the kernel here has no netem): RTT ~30 µs.
#   --immediate-mode matters: without it packets still in the kernel ring when tcpdump stops are
#   lost ("366 received by filter, 0 captured").
#
# Needs root, iproute2, python3 (+ ethtool, tcpdump for veth). Everything it creates is removed on
# exit, even on failure.
#
# Usage: [MODE=lab|veth] [RCVBUF=1024] scripts/make-bundled-capture.sh [OUT] [SIZE]
#   OUT  default assets/rcvbuf-1024.pcap     SIZE default 102400 bytes
set -euo pipefail

OUT=${1:-assets/rcvbuf-1024.pcap}
SIZE=${2:-102400}
MODE=${MODE:-lab}
RCVBUF=${RCVBUF:-1024}
MTU=${MTU:-614}
RTT=${RTT:-1.66ms}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NSA="tcpwin-cap-$$-a"
NSB="tcpwin-cap-$$-b"
TMP=$(mktemp -d)
chmod 755 "$TMP"

cleanup() {
  set +e
  [[ -n "${TCPDUMP_PID:-}" ]] && kill "$TCPDUMP_PID" 2>/dev/null && wait "$TCPDUMP_PID" 2>/dev/null
  [[ -n "${SERVER_PID:-}" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

[[ $(id -u) -eq 0 ]] || { echo "make-bundled-capture: needs root (network namespaces)" >&2; exit 2; }

cat >"$TMP/server.py" <<'EOF'
import socket, sys
rcvbuf, size, host = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# Before listen(): the accepted socket inherits the locked buffer, as in the incident.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.bind((host, 9876))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
rb = c.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)  # the kernel doubles and floors it: 2304
n = 0
while n < size:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
c.sendall(b"OK\n")
c.close()
print("server: received", n, "B; SO_RCVBUF", rcvbuf, "-> sk_rcvbuf", rb, flush=True)
EOF

cat >"$TMP/client.py" <<'EOF'
import socket, sys, time
size, host = int(sys.argv[1]), sys.argv[2]
c = socket.create_connection((host, 9876))
t0 = time.monotonic()
c.sendall(bytes(size))
reply = c.recv(16)
t1 = time.monotonic()
c.close()
print(f"client: sent {size} B in {(t1 - t0) * 1000:.1f} ms, reply {reply!r}", flush=True)
EOF

if [[ "$MODE" == lab ]]; then
  [[ -f "$ROOT/dist/cli/main.js" ]] || { echo "make-bundled-capture: run npm run build first (MODE=lab uses tcpwin lab link)" >&2; exit 2; }
  node "$ROOT/bin/tcpwin.js" lab link --rtt "$RTT" --mtu "$MTU" --no-timestamps --pcap "$TMP/cap.pcap" --pcap-side a \
    --server "python3 -u $TMP/server.py $RCVBUF $SIZE 0.0.0.0" \
    --client "python3 -u $TMP/client.py $SIZE \$TCPWIN_LAB_B"
else
  ip netns add "$NSA"
  ip netns add "$NSB"
  ip link add veth-a netns "$NSA" type veth peer name veth-b netns "$NSB"
  for ns in "$NSA" "$NSB"; do
    dev=veth-${ns##*-}
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$dev" mtu "$MTU" up
    # Offloads off: no TSO/GSO super-packets, no GRO merging, real checksums in the capture.
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=0
  done
  ip -n "$NSA" addr add 10.0.0.1/24 dev veth-a
  ip -n "$NSB" addr add 10.0.0.2/24 dev veth-b

  ip netns exec "$NSB" python3 -u "$TMP/server.py" "$RCVBUF" "$SIZE" 10.0.0.2 >"$TMP/server.out" 2>&1 &
  SERVER_PID=$!
  ip netns exec "$NSA" tcpdump -i veth-a --immediate-mode -U -n -Z root -w "$TMP/cap.pcap" tcp port 9876 2>"$TMP/tcpdump.err" &
  TCPDUMP_PID=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$TMP/tcpdump.err" 2>/dev/null && grep -q ready "$TMP/server.out" 2>/dev/null && break
    sleep 0.05
  done
  grep -q "listening on" "$TMP/tcpdump.err" || { echo "tcpdump did not start: $(cat "$TMP/tcpdump.err")" >&2; exit 1; }

  ip netns exec "$NSA" python3 -u "$TMP/client.py" "$SIZE" 10.0.0.2
  wait "$SERVER_PID"; SERVER_PID=
  grep received "$TMP/server.out" || true
  sleep 0.2 # let the FIN/ACK exchange reach tcpdump
  kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=
  grep -E "captured|dropped" "$TMP/tcpdump.err" >&2 || true
fi

mkdir -p "$(dirname "$OUT")"
cp "$TMP/cap.pcap" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
