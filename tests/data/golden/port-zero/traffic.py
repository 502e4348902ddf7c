# SPDX-License-Identifier: Apache-2.0
# traffic.py - the traffic record.sh captures (run inside its namespaces).
import select
import socket
import struct
import sys
import time

WEB4, DB4 = "10.97.0.1", "10.97.0.2"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def raw_l4(proto, src, dst, sport, dport, payload=b"", flags=0x02):
    """A TCP or UDP segment with a valid checksum, for an IPPROTO_RAW-less raw socket."""
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst)
    if proto == socket.IPPROTO_UDP:
        hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
        c = csum(pseudo + struct.pack("!BBH", 0, proto, 8 + len(payload)) + hdr + payload)
        return struct.pack("!HHHH", sport, dport, 8 + len(payload), c) + payload
    hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 64240, 0, 0)
    c = csum(pseudo + struct.pack("!BBH", 0, proto, len(hdr)) + hdr)
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 64240, c, 0)


def send_raw(proto, src, dst, sport, dport, payload=b"", flags=0x02):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    s.sendto(raw_l4(proto, src, dst, sport, dport, payload, flags), (dst, 0))
    s.close()


def server():
    """db: TCP 8080 echo (v4 and v6), UDP 5353 echo, until killed."""
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("::", 8080))
    t.listen(16)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u.bind(("::", 5353))
    while True:
        r, _, _ = select.select([t, u], [], [])
        if u in r:
            data, peer = u.recvfrom(2048)
            u.sendto(b"answer:" + data, peer)
        if t in r:
            c, _ = t.accept()
            c.settimeout(2)
            try:
                c.sendall(b"echo:" + c.recv(100))
            except OSError:
                pass
            c.close()


def client():
    """web: the served calls, over IPv4 and IPv6."""
    for addr in (DB4, "fd97::2"):
        c = socket.create_connection((addr, 8080), timeout=2)
        c.sendall(b"hello")
        c.recv(100)
        c.close()
        u = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        u.sendto(b"query", (addr, 5353))
        u.recvfrom(100)
        u.close()
        time.sleep(0.1)


def zero_client():
    """web: a SYN to TCP port 0 (reset by db's kernel), a UDP datagram to db's port 0."""
    send_raw(socket.IPPROTO_TCP, WEB4, DB4, 40000, 0)
    time.sleep(0.1)
    # a socket to receive db's answer from port 0 (zero_server): a served exchange
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((WEB4, 40001))
    u.settimeout(2)
    send_raw(socket.IPPROTO_UDP, WEB4, DB4, 40001, 0, b"zero?")
    u.recvfrom(100)
    time.sleep(0.3)


def zero_server():
    """db: answers web's datagram from port 0, sends a Geneve-like reply to web's 6081 (a
    tunnel port: opened as Geneve), and a datagram from port 0 to web's UDP 7000, where
    nothing listens: a request to 7000, refused, not a flow to port 0."""
    time.sleep(0.2)
    send_raw(socket.IPPROTO_UDP, DB4, WEB4, 0, 40001, b"zero!")
    send_raw(socket.IPPROTO_UDP, DB4, WEB4, 0, 6081, b"\0\0\x65\x58" + b"\0" * 4)
    send_raw(socket.IPPROTO_UDP, DB4, WEB4, 0, 7000, b"from zero")


if __name__ == "__main__":
    {"server": server, "client": client, "zero-client": zero_client,
     "zero-server": zero_server}[sys.argv[1]]()
