#!/usr/bin/env python3
"""Benchmark helper: hold N established loopback connections (2N sockets) on its own listening
port, print one JSON line when ready, exit when stdin closes. argv: N, source address."""
import json, os, socket, sys

n = int(sys.argv[1])
src = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
lis = socket.socket()
lis.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lis.bind(("127.0.0.1", 0))
lis.listen(4096)
port = lis.getsockname()[1]
clients, servers = [], []
for i in range(n):
    c = socket.socket()
    c.bind((src, 0))
    c.connect(("127.0.0.1", port))
    clients.append(c)
    if len(clients) - len(servers) >= 512:
        while len(servers) < len(clients):
            servers.append(lis.accept()[0])
while len(servers) < len(clients):
    servers.append(lis.accept()[0])
print(json.dumps({"pid": os.getpid(), "port": port, "pairs": n}), flush=True)
sys.stdin.read()
