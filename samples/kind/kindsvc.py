#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# kindsvc.py - the servers and clients samples/kind/record.sh runs inside its network
# namespaces, and the converter that turns tcpdump's pcap output into pcapng.
#
#   kindsvc.py serve --ready FILE SPEC...   listen on every SPEC (tcp,ADDR,PORT or dns,ADDR,53)
#   kindsvc.py client --t0 T --log FILE [--src ADDR] OP...
#        OP is PROTO,DST,PORT,ARG,NOTE: tcp (ARG: HTTP path), dns (ARG: NAME or NAME/AAAA),
#        ping (PORT: -). Each connection that succeeds is appended to FILE as
#        "OFFSET_S CLIENT_IP DST_IP PROTO DST_PORT NOTE"; the first failure exits 1.
#   kindsvc.py pcapng IN.pcap OUT.pcapng COMMENT
#
# Used only inside the network namespaces record.sh creates, and only towards their addresses.
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


# ---------------------------------------------------------------- servers


def tcp_server(addr, port):
    s = socket.socket(fam(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)

    def handle(c):
        with c:
            c.settimeout(3)
            try:
                if c.recv(4096):
                    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                              b"Content-Length: 3\r\n\r\nok\n")
            except OSError:
                pass

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()
    return loop


def qname(q):
    labels, i = [], 12
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += q[i] + 1
    qtype, = struct.unpack(">H", q[i + 1:i + 3])
    return ".".join(labels).lower().rstrip("."), qtype, i + 5


def dns_server(addr, records):
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    s.bind((addr, 53))

    def loop():
        while True:
            q, peer = s.recvfrom(1500)
            if len(q) < 17:
                continue
            name, qtype, end = qname(q)
            addrs = records.get(name)
            want = socket.AF_INET6 if qtype == 28 else socket.AF_INET
            answers = [a for a in (addrs or []) if fam(a) == want] if qtype in (1, 28) else []
            rcode = 3 if addrs is None else 0
            hdr = q[:2] + struct.pack(">BBHHHH", 0x81, 0x80 | rcode, 1, len(answers), 0, 0)
            body = q[12:end]
            for a in answers:
                raw = socket.inet_pton(want, a)
                body += b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 30, len(raw)) + raw
            s.sendto(hdr + body, peer)
    return loop


def serve(args):
    ready = args[args.index("--ready") + 1]
    specs = [a for i, a in enumerate(args) if a != "--ready" and (i == 0 or args[i - 1] != "--ready")]
    records = None
    loops = []
    for spec in specs:
        kind, addr, port = spec.split(",")
        if kind == "dns":
            if records is None:
                sys.path.insert(0, HERE)
                sys.dont_write_bytecode = True      # no __pycache__ in samples/kind
                import cluster
                records = cluster.dns_records()
            loops.append(dns_server(addr, records))
        else:
            loops.append(tcp_server(addr, int(port)))
    for loop in loops:
        threading.Thread(target=loop, daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    while True:
        time.sleep(3600)


# ---------------------------------------------------------------- clients


def tcp(dst, port, path, src):
    s = socket.socket(fam(dst), socket.SOCK_STREAM)
    s.settimeout(3)
    if src:
        s.bind((src, 0))
    s.connect((dst, port))
    me = s.getsockname()[0]
    s.sendall(f"GET {path or '/'} HTTP/1.0\r\nHost: {dst}\r\n\r\n".encode())
    reply = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    s.close()
    if not reply.startswith(b"HTTP/1.0 200"):
        raise OSError("no reply")
    return me


def dns(server, name, src):
    qtype = 1
    if name.endswith("/AAAA"):
        name, qtype = name[:-5], 28
    s = socket.socket(fam(server), socket.SOCK_DGRAM)
    s.settimeout(2)
    if src:
        s.bind((src, 0))
    s.connect((server, 53))
    me = s.getsockname()[0]
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", qtype, 1)
    s.send(q)
    r = s.recv(1500)
    s.close()
    rid, flags, _, ancount = struct.unpack(">HHHH", r[:8])
    if rid != qid or flags & 0x000f or ancount == 0:
        raise OSError(f"bad answer for {name} (rcode {flags & 15}, {ancount} answers)")
    return me


def ping(dst, src):
    probe = socket.socket(fam(dst), socket.SOCK_DGRAM)
    probe.connect((dst, 9))            # no packet: just asks the kernel for the source address
    me = src or probe.getsockname()[0]
    probe.close()
    cmd = ["busybox", "ping", "-c", "1", "-W", "2"] + (["-I", src] if src else []) + [dst]
    if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        raise OSError("no echo reply")
    return me


def client(args):
    t0 = log = src = None
    ops = []
    it = iter(args)
    for a in it:
        if a == "--t0":
            t0 = float(next(it))
        elif a == "--log":
            log = next(it)
        elif a == "--src":
            src = next(it)
        else:
            ops.append(a)
    for op in ops:
        proto, dst, port, arg, note = op.split(",", 4)
        start = time.time()
        try:
            if proto == "tcp":
                me = tcp(dst, int(port), arg, src)
            elif proto == "dns":
                me = dns(dst, arg, src)
            elif proto == "ping":
                me = ping(dst, src)
            else:
                raise OSError(f"unknown protocol {proto}")
        except OSError as e:
            sys.exit(f"kindsvc: {note}: {proto} {dst} {port} {arg}: {e}")
        p = {"tcp": "TCP", "dns": "UDP", "ping": "ICMP"}[proto]
        with open(log, "a") as f:
            f.write(f"{start - t0:.3f} {me} {dst} {p} {port} {note}\n")


# ---------------------------------------------------------------- pcap -> pcapng


def opt(code, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\0" * pad


def block(btype, body):
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng(src, dst, comment):
    with open(src, "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    if magic not in (0xa1b23c4d, 0xa1b2c3d4):
        raise SystemExit(f"{src}: not a little-endian pcap file")
    nano = magic == 0xa1b23c4d
    snaplen, linktype = struct.unpack("<II", data[16:24])
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                 + opt(1, comment.encode()) + opt(4, b"tcpdump (samples/kind/record.sh)")
                 + opt(0, b"")),
           block(1, struct.pack("<HHI", linktype, 0, snaplen) + opt(2, b"any")
                 + opt(9, bytes([9 if nano else 6])) + opt(0, b""))]
    i = 24
    while i + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[i:i + 16])
        pkt = data[i + 16:i + 16 + incl]
        i += 16 + incl
        t = sec * (10**9 if nano else 10**6) + frac
        pad = (4 - incl % 4) % 4
        out.append(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff, incl, orig)
                         + pkt + b"\0" * pad))
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(rest)
    elif cmd == "client":
        client(rest)
    elif cmd == "pcapng":
        pcapng(*rest)
    else:
        sys.exit("usage: kindsvc.py serve|client|pcapng ...")
