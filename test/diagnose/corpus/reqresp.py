# Request/response with think time, both ends in one script (port 9877).
# server: reqresp.py serve SIZE — answers each 200-byte request with SIZE bytes.
# client: reqresp.py HOST N SIZE THINK_S — N requests, each response read whole, then THINK_S of
# think time before the next: the server's data waits on the client's application.
import socket, sys, time
PORT, REQ = 9877, 200
def read_exact(c, n):
    while n > 0:
        b = c.recv(min(n, 65536))
        if not b:
            sys.exit(1)
        n -= len(b)
if sys.argv[1] == "serve":
    size = int(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", PORT))
    s.listen(1)
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        b = c.recv(REQ, socket.MSG_WAITALL)
        if len(b) < REQ:
            break
        c.sendall(bytes(size))
    c.close()
else:
    host, n, size, think = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    c = socket.create_connection((host, PORT))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(n):
        c.sendall(bytes(REQ))
        read_exact(c, size)
        time.sleep(think)
    c.close()
