#!/usr/bin/env python3
"""Open loopback TCP sockets with chosen buffers for tcpwin's sock_diag tests, print what was
made as one JSON line, then hold everything open until stdin closes (the test owns our life).

A: listener SO_RCVBUF=1024, TCP_MAXSEG=574; client SO_SNDBUF=8192 fills the accepted socket,
   which never reads (rwnd-limited sender, zero window).
B: default listener; client SO_RCVBUF=65536; 100 kB moved and read (idle established pair).
C: IPv6 (::1) listener and pair, when ::1 exists.
D: active close → the client side sits in TIME-WAIT.
Each socket's own TCP_INFO (getsockopt, raw hex) is reported for fields ss does not print.
"""
import json, os, socket, sys, time

def fill(s):
    s.setblocking(False)
    n = 0
    try:
        while True:
            n += s.send(b"x" * 65536)
    except BlockingIOError:
        pass
    return n

def ep(addr):
    if ":" in addr[0]:
        return "[%s]:%d" % (addr[0], addr[1])
    return "%s:%d" % (addr[0], addr[1])

def info(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 512).hex()

out = {"pid": os.getpid(), "sockets": [], "ports": {}}
keep = []

def record(name, s, listener=False):
    keep.append(s)
    d = {"name": name, "local": ep(s.getsockname()), "tcp_info": info(s), "fd": s.fileno()}
    if not listener:
        d["peer"] = ep(s.getpeername())
    out["sockets"].append(d)

la = socket.socket()
la.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
la.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 574)
la.bind(("127.0.0.1", 0)); la.listen(16)
ca = socket.socket(); ca.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
ca.connect(la.getsockname()); aa, _ = la.accept()
out["sent_a"] = fill(ca)
out["ports"]["a"] = la.getsockname()[1]

lb = socket.socket(); lb.bind(("127.0.0.1", 0)); lb.listen(16)
cb = socket.socket(); cb.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
cb.connect(lb.getsockname()); ab, _ = lb.accept()
ab.sendall(b"y" * 100000)
got = 0
while got < 100000:
    got += len(cb.recv(65536))
out["ports"]["b"] = lb.getsockname()[1]

try:
    lc = socket.socket(socket.AF_INET6); lc.bind(("::1", 0)); lc.listen(4)
    cc = socket.socket(socket.AF_INET6); cc.connect(lc.getsockname()[:2]); ac, _ = lc.accept()
    out["ports"]["c"] = lc.getsockname()[1]
    record("c_listener", lc, True); record("c_client", cc); record("c_accepted", ac)
except OSError:
    pass

ld = socket.socket(); ld.bind(("127.0.0.1", 0)); ld.listen(4)
cd = socket.socket(); cd.connect(ld.getsockname()); ad, _ = ld.accept()
out["ports"]["d"] = ld.getsockname()[1]
out["time_wait"] = {"local": ep(cd.getsockname()), "peer": ep(cd.getpeername())}
cd.close(); time.sleep(0.05); ad.close()
keep.append(ld)

time.sleep(0.3)  # let the zero window settle (probes back off)
record("a_listener", la, True); record("a_client", ca); record("a_accepted", aa)
record("b_listener", lb, True); record("b_client", cb); record("b_accepted", ab)
print(json.dumps(out), flush=True)
sys.stdin.read()
