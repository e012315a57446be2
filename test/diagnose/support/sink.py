# Receives one connection on 0.0.0.0:9876 until EOF, replies "OK\n", exits.
# argv[1]: SO_RCVBUF set before listen() (0 = leave the kernel default, autotuning).
import socket, sys
rcvbuf = int(sys.argv[1]) if len(sys.argv) > 1 else 0
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if rcvbuf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.bind(("0.0.0.0", 9876))
s.listen(1)
c, _ = s.accept()
while c.recv(65536):
    pass
c.sendall(b"OK\n")
c.close()
