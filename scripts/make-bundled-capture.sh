#!/usr/bin/env bash
# Makes assets/rcvbuf-1024.pcap: a receiver-window-limited transfer, the incident in miniature.
#
# Two network namespaces joined by a veth pair (MTU 614 → MSS 574, offloads off so every packet
# on the wire is one MSS-sized segment, TCP timestamps off as in the incident). In the server
# namespace a python3 "name server" sets SO_RCVBUF=1024 before listen() (as
# serverSocketRcvBufSize=1024 does) on 10.0.0.2:9876 and reads everything; in the client
# namespace a python3 "broker" sends SIZE bytes, waits for a 3-byte reply, and closes. tcpdump
# captures on the client's (sender's) side, so ack_rtt measures the path, not the receiver's
# ack delay. --immediate-mode: without it packets still in the kernel ring when tcpdump is
# stopped are lost ("366 received by filter, 0 captured"). Needs root, iproute2, ethtool, tcpdump, python3. Everything it creates is removed on
# exit, even on failure.
#
# Usage: scripts/make-bundled-capture.sh [OUT] [SIZE]
#   OUT  default assets/rcvbuf-1024.pcap     SIZE default 102400 bytes
set -euo pipefail

OUT=${1:-assets/rcvbuf-1024.pcap}
SIZE=${2:-102400}
RCVBUF=${RCVBUF:-1024}
MTU=${MTU:-614}
NSA="tcpwin-cap-$$-a"
NSB="tcpwin-cap-$$-b"
TMP=$(mktemp -d)

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

cat >"$TMP/server.py" <<'EOF'
import socket, sys
rcvbuf, size = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# Before listen(): the accepted socket inherits the locked buffer, as in the incident.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.bind(("10.0.0.2", 9876))
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
print("received", n, "sk_rcvbuf", rb, flush=True)
EOF

cat >"$TMP/client.py" <<'EOF'
import socket, sys, time
size = int(sys.argv[1])
c = socket.create_connection(("10.0.0.2", 9876))
t0 = time.monotonic()
c.sendall(bytes(size))
reply = c.recv(16)
t1 = time.monotonic()
c.close()
print(f"sent {size} B in {(t1 - t0) * 1000:.1f} ms, reply {reply!r}", flush=True)
EOF

ip netns exec "$NSB" python3 -u "$TMP/server.py" "$RCVBUF" "$SIZE" >"$TMP/server.out" 2>&1 &
SERVER_PID=$!
ip netns exec "$NSA" tcpdump -i veth-a --immediate-mode -U -n -Z root -w "$TMP/cap.pcap" tcp port 9876 2>"$TMP/tcpdump.err" &
TCPDUMP_PID=$!
for _ in $(seq 100); do
  grep -q "listening on" "$TMP/tcpdump.err" 2>/dev/null && grep -q ready "$TMP/server.out" 2>/dev/null && break
  sleep 0.05
done
grep -q "listening on" "$TMP/tcpdump.err" || { echo "tcpdump did not start: $(cat "$TMP/tcpdump.err")" >&2; exit 1; }

ip netns exec "$NSA" python3 -u "$TMP/client.py" "$SIZE"
wait "$SERVER_PID"; SERVER_PID=
grep received "$TMP/server.out" || true
sleep 0.2 # let the FIN/ACK exchange reach tcpdump
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=
grep -E "captured|dropped" "$TMP/tcpdump.err" >&2 || true

mkdir -p "$(dirname "$OUT")"
cp "$TMP/cap.pcap" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
