# SPDX-License-Identifier: Apache-2.0
# traffic.py - generates the real traffic that make-captures.sh records (run inside a netns).
import os
import socket
import struct
import sys
import time
import fcntl
import zlib

A4, B4 = "10.99.0.1", "10.99.0.2"
A6, B6 = "fd99::1", "fd99::2"


def server():
    """TCP 8080 echo (v4 and v6) and UDP 5353 echo, until killed."""
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("::", 8080))
    t.listen(16)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u.bind(("::", 5353))
    import select

    while True:
        r, _, _ = select.select([t, u], [], [])
        if u in r:
            data, peer = u.recvfrom(2048)
            u.sendto(b"answer:" + data, peer)
        if t in r:
            c, _ = t.accept()
            c.settimeout(2)
            try:
                data = c.recv(100)
                c.sendall(b"echo:" + data)
            except OSError:
                pass
            c.close()


def tcp(host, port, fam=socket.AF_INET, opts=None):
    s = socket.socket(fam, socket.SOCK_STREAM)
    if opts:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, opts)
    s.settimeout(2)
    try:
        s.connect((host, port))
        s.sendall(b"hi")
        s.recv(100)
    except OSError as e:
        print("tcp", host, port, e, file=sys.stderr)
    s.close()
    time.sleep(0.2)


def udp(host, port, fam=socket.AF_INET, hop=None, dst=None):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if hop:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, hop)
    if dst:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, dst)
    s.settimeout(0.5)
    s.sendto(b"q", (host, port))
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
    time.sleep(0.2)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def sctp_chunk(sport, dport, vtag, ctype, tag):
    # RFC 9260 3.1 common header + 3.3.2 INIT / 3.3.3 INIT ACK fixed part (no parameters).
    chunk = struct.pack("!BBHIIHHI", ctype, 0, 20, tag, 65536, 10, 10, 1000)
    pkt = struct.pack("!HHII", sport, dport, vtag, 0) + chunk
    c = crc32c(pkt)
    return pkt[:8] + struct.pack("<I", c) + pkt[12:]


def sctp(dst, fam, ctype, sport, dport, vtag):
    """The kernel has no SCTP module: send an RFC-layout INIT / INIT ACK over a raw socket."""
    s = socket.socket(fam, socket.SOCK_RAW, 132)
    s.sendto(sctp_chunk(sport, dport, vtag, ctype, 0x11223344), (dst, 0))
    s.close()
    time.sleep(0.1)


def nonext(dst):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 59)
    s.sendto(b"", (dst, 0))
    s.close()


def mld_join():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    grp = socket.inet_pton(socket.AF_INET6, "ff12::1234")
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, grp + struct.pack("@I", 0))
    time.sleep(0.5)
    s.close()


def client():
    subprocess_run = __import__("subprocess").run
    subprocess_run(["busybox", "ping", "-c", "1", A4], check=False)
    subprocess_run(["busybox", "ping6", "-c", "1", A6], check=False)
    tcp(A4, 8080)
    tcp(A6, 8080, socket.AF_INET6)
    udp(A4, 5353)
    udp(A6, 5353, socket.AF_INET6)
    tcp(A4, 9)  # closed: RST
    udp(A4, 9)  # closed: ICMP port unreachable
    udp(A6, 9, socket.AF_INET6)  # closed: ICMPv6 unreachable
    # IPv4 record-route option: 39 bytes + one EOL = IHL 15.
    tcp(A4, 8080, opts=bytes([7, 39, 4]) + bytes(36) + b"\x00")
    subprocess_run(["busybox", "ping", "-c", "1", "-s", "3000", A4], check=False)
    subprocess_run(["busybox", "ping6", "-c", "1", "-s", "3000", A6], check=False)
    # Hop-by-hop (PadN 4) then destination options (PadN 4) then UDP.
    udp(A6, 5353, socket.AF_INET6, hop=bytes([0, 0, 1, 4, 0, 0, 0, 0]),
        dst=bytes([0, 0, 1, 4, 0, 0, 0, 0]))
    sctp(A4, socket.AF_INET, 1, 40000, 3868, 0)
    sctp(A6, socket.AF_INET6, 1, 40001, 3868, 0)
    nonext(A6)
    time.sleep(0.3)


def ecn():
    tcp(A4, 8080)


def sctp_ack():
    sctp(B4, socket.AF_INET, 2, 3868, 40000, 0x11223344)


def tun(name, seconds):
    TUNSETIFF = 0x400454CA
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))
    end = time.time() + float(seconds)
    while time.time() < end:
        time.sleep(0.1)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    _, _, _, _, _, snap, linktype = struct.unpack(e + "IHHiIII", data[:24])
    off = 24
    recs = []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        recs.append((sec, frac, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, snap, recs


def write_pcap(path, linktype, snap, recs):
    """A classic pcap (little endian, nanosecond stamps) of recs as read_pcap() returns them."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, snap, linktype))
        for sec, frac, orig, frame in recs:
            f.write(struct.pack("<IIII", sec, frac, len(frame), orig) + frame)


def vlan(src_pcap, ifname):
    """Re-sends real frames with VLAN tags inserted (the kernel has no 8021q module)."""
    _, _, recs = read_pcap(src_pcap)
    syn4 = syn6 = None
    for _, _, _, fr in recs:
        et = struct.unpack("!H", fr[12:14])[0]
        if et == 0x0800 and fr[23] == 6 and fr[47] & 0x12 == 0x02 and syn4 is None:
            syn4 = fr
        if et == 0x86DD and fr[20] == 6 and fr[67] & 0x12 == 0x02 and syn6 is None:
            syn6 = fr
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    tag = lambda tpid, vid: struct.pack("!HH", tpid, vid)
    s.send(syn4[:12] + tag(0x8100, 10) + syn4[12:])
    s.send(syn6[:12] + tag(0x88A8, 20) + tag(0x8100, 30) + syn6[12:])
    s.send(syn4[:12] + tag(0x9100, 40) + tag(0x8100, 41) + syn4[12:])
    time.sleep(0.3)


def pcapng(src, dst):
    """Rewrites a real nanosecond pcap as pcapng (tcpdump cannot write pcapng)."""
    linktype, snap, recs = read_pcap(src)

    def block(btype, body):
        body += bytes((4 - len(body) % 4) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    opt = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)  # if_tsresol = 10^-9
    out += block(1, struct.pack("<HHI", linktype, 0, snap) + opt)
    for sec, frac, orig, fr in recs:
        ts = sec * 1000000000 + frac
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(fr), orig) + fr)
    with open(dst, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    args = [int(a) if a.isdigit() else a for a in sys.argv[2:]]
    globals()[sys.argv[1].replace("-", "_")](*args)
