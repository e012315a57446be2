# Connects to argv[1]:9876 and writes argv[2] messages of argv[3] bytes, sleeping argv[4]
# seconds after each (0 = one bulk write), then half-closes and waits for the sink's reply.
import socket, sys, time
host, n, size, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
c = socket.create_connection((host, 9876))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for _ in range(n):
    c.sendall(bytes(size))
    if pause > 0:
        time.sleep(pause)
c.shutdown(socket.SHUT_WR)
c.recv(16)
c.close()
