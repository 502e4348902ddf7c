# SPDX-License-Identifier: Apache-2.0
# tunnel.py - the traffic record.sh sends through each tunnel, and a userspace tunnel endpoint for
# the encapsulations the recording kernel cannot build (it has VXLAN, but no geneve, ipip, sit or
# ip_gre). Run inside a network namespace.
#
# The endpoint relays between a TUN or TAP device and the underlay: the inner packets are the
# kernel's own (real TCP, UDP and ICMP from real sockets), the outer IPv4 header is the kernel's
# too (a raw or UDP socket), only the tunnel header in between is written here, field by field
# as its RFC lays it out.
import fcntl
import os
import select
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI = 0x0001, 0x0002, 0x1000
GENEVE_PORT = 6081


def open_tun(name, tap):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    flags = (IFF_TAP if tap else IFF_TUN) | IFF_NO_PI
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    return fd


def ethertype_of(inner):
    # a TUN device hands over bare IP packets: the version nibble says which
    return 0x86DD if inner[0] >> 4 == 6 else 0x0800


class Geneve:
    """RFC 8926 over UDP 6081, Ethernet payload, with one 8-byte option as OVN sends."""

    tap = True

    def __init__(self, local, remote):
        self.remote = remote
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind((local, GENEVE_PORT))
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # an ephemeral source port

    def wrap(self, frame):
        opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x00\x00\x00\x01"  # class, type, 1 word
        hdr = struct.pack("!BBH", len(opt) // 4, 0, 0x6558) + struct.pack("!I", 42 << 8)
        self.tx.sendto(hdr + opt + frame, (self.remote, GENEVE_PORT))

    def unwrap(self):
        data, peer = self.rx.recvfrom(65535)
        if peer[0] != self.remote or len(data) < 8:
            return None
        return data[8 + (data[0] & 0x3F) * 4 :]


class RawIp:
    """A protocol straight on IPv4: the kernel writes the outer header (IP_HDRINCL off)."""

    def __init__(self, local, remote, protos):
        self.remote = remote
        self.socks = {p: socket.socket(socket.AF_INET, socket.SOCK_RAW, p) for p in protos}
        for s in self.socks.values():
            s.bind((local, 0))
        self.rx = list(self.socks.values())

    def send(self, proto, payload):
        self.socks[proto].sendto(payload, (self.remote, 0))

    def recv(self, sock):
        data, peer = sock.recvfrom(65535)
        if peer[0] != self.remote:
            return None
        return data[(data[0] & 0x0F) * 4 :]  # a raw IPv4 socket reads the IP header too


class Gre(RawIp):
    """RFC 2784/2890: on a TUN device with the key field; as gretap (0x6558) with checksum
    and sequence number fields, so both optional-field layouts are on the wire."""

    def __init__(self, local, remote, tap):
        super().__init__(local, remote, [47])
        self.tap = tap
        self.seq = 0

    def wrap(self, inner):
        if self.tap:
            self.seq += 1
            body = struct.pack("!HH", 0x9000, 0x6558)  # C and S set
            csum_part = body + b"\x00\x00\x00\x00" + struct.pack("!I", self.seq) + inner
            csum = inet_checksum(csum_part)
            hdr = body + struct.pack("!HH", csum, 0) + struct.pack("!I", self.seq)
        else:
            hdr = struct.pack("!HHI", 0x2000, ethertype_of(inner), 42)  # K set, key 42
        self.send(47, hdr + inner)

    def unwrap(self, sock):
        data = self.recv(sock)
        if data is None or len(data) < 4:
            return None
        flags = struct.unpack("!H", data[:2])[0]
        hlen = 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
        return data[hlen:]


class IpIp(RawIp):
    """IPv4 in IPv4 (protocol 4) and IPv6 in IPv4 (41, as sit sends) on one TUN device."""

    tap = False

    def __init__(self, local, remote):
        super().__init__(local, remote, [4, 41])

    def wrap(self, inner):
        self.send(41 if inner[0] >> 4 == 6 else 4, inner)

    def unwrap(self, sock):
        return self.recv(sock)


def inet_checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def endpoint(kind, dev, local, remote):
    """Relays between dev and the underlay until killed."""
    if kind == "geneve":
        t = Geneve(local, remote)
        rx = [t.rx]
    elif kind in ("gre", "gretap"):
        t = Gre(local, remote, kind == "gretap")
        rx = t.rx
    elif kind == "ipip":
        t = IpIp(local, remote)
        rx = t.rx
    else:
        raise SystemExit("unknown tunnel " + kind)
    fd = open_tun(dev, t.tap)
    while True:
        r, _, _ = select.select([fd] + rx, [], [])
        if fd in r:
            t.wrap(os.read(fd, 65535))
        for s in rx:
            if s in r:
                inner = t.unwrap() if kind == "geneve" else t.unwrap(s)
                if inner:
                    try:
                        os.write(fd, inner)
                    except OSError:  # EIO: the device is not up yet
                        pass


def server():
    """TCP 8080 echo and UDP 5353 echo, IPv4 and IPv6, until killed."""
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


def client(host):
    """One TCP connection, one UDP exchange, one UDP probe of a closed port (ICMP unreachable)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((host, 8080))
    s.sendall(b"hi")
    if not s.recv(100).startswith(b"echo:"):
        raise SystemExit("tcp to %s: no echo" % host)
    s.close()
    for port in (5353, 9999):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.settimeout(1)
        u.sendto(b"q", (host, port))
        try:
            u.recv(100)
        except OSError:
            if port == 5353:
                raise SystemExit("udp to %s: no answer" % host)
        u.close()
    time.sleep(0.3)


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
