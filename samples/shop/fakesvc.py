#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# fakesvc.py - the tiny servers and clients samples/shop/record.sh needs that busybox lacks:
# a DNS responder, a Redis-like line server, and an HTTP probe bound to a chosen source address.
# Used only inside the network namespaces record.sh creates.
import socket
import struct
import sys


def dns_server(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 12:
            continue
        # Answer every A question with 10.96.0.1: enough for the client to be satisfied.
        end = 12
        while end < len(q) and q[end] != 0:
            end += q[end] + 1
        question = q[12:end + 5]
        hdr = q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00"
        ans = b"\xc0\x0c\x00\x01\x00\x01" + struct.pack(">IH", 30, 4) + socket.inet_aton("10.96.0.1")
        s.sendto(hdr + question + ans, peer)


def line_server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        with c:
            data = c.recv(1024)
            if data:
                c.sendall(b"+OK\r\n")


def probe(src, dst, port, path):
    s = socket.create_connection((dst, port), timeout=3,
                                 source_address=(src, 0) if src else None)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: {dst}\r\n\r\n".encode())
    while s.recv(4096):
        pass
    s.close()


def redis_client(dst, port):
    s = socket.create_connection((dst, port), timeout=3)
    s.sendall(b"*1\r\n$4\r\nPING\r\n")
    s.recv(64)
    s.close()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dns":
        dns_server(sys.argv[2])
    elif cmd == "lines":
        line_server(sys.argv[2], int(sys.argv[3]))
    elif cmd == "probe":
        probe(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "get":
        probe(None, sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "redis":
        redis_client(sys.argv[2], int(sys.argv[3]))
