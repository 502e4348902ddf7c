#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# seeds.py - turns tests/data/ and samples/ into seed inputs for each harness, in the framing the
# harness reads (fuzz/fuzz-*.c). Usage: fuzz/seeds.py OUTDIR   (writes OUTDIR/HARNESS/*)
# fuzz/run.sh --merge minimises them into fuzz/corpus/; conntrack's come from fuzz-seed-conntrack.
import glob
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SEED = 64 << 10  # larger files only slow the mutations down
SEP = b"\n@@@@\n"  # fuzz-docker.c


def data(*patterns):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(ROOT, p)))
    return [f for f in out if os.path.getsize(f) <= MAX_SEED]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pcap_packets(buf):
    """(linktype, [packet bytes]) of a pcap or pcapng file; what it cannot read it stops at."""
    if len(buf) < 24:
        return None, []
    magic = buf[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        link = struct.unpack(e + "I", buf[20:24])[0] & 0xFFFF
        off, pkts = 24, []
        while off + 16 <= len(buf):
            incl = struct.unpack(e + "I", buf[off + 8:off + 12])[0]
            pkts.append(buf[off + 16:off + 16 + incl])
            off += 16 + incl
        return link, pkts
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if buf[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off, link, pkts = 0, None, []
        while off + 12 <= len(buf):
            btype, blen = struct.unpack(e + "II", buf[off:off + 8])
            if blen < 12:
                break
            if btype == 1 and link is None:
                link = struct.unpack(e + "H", buf[off + 8:off + 10])[0]
            elif btype == 6:
                cap = struct.unpack(e + "I", buf[off + 20:off + 24])[0]
                pkts.append(buf[off + 28:off + 28 + cap])
            off += blen
        return link, pkts
    return None, []


def pcapng_head(buf, limit):
    """The first blocks of a pcapng file, at most limit bytes: a small, whole capture."""
    e = "<" if buf[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    off = 0
    while off + 12 <= len(buf):
        blen = struct.unpack(e + "I", buf[off + 4:off + 8])[0]
        if blen < 12 or off + blen > limit:
            break
        off += blen
    return buf[:off]


def pcap_head(buf, limit):
    e = "<" if buf[0] in (0xD4, 0x4D) else ">"
    off = 24
    while off + 16 <= len(buf):
        incl = struct.unpack(e + "I", buf[off + 8:off + 12])[0]
        if off + 16 + incl > limit:
            break
        off += 16 + incl
    return buf[:off]


def answer(body, status=200):
    """A response as libcurl hands it over (fuzz-docker.c): its status, then its body."""
    return b"%03d " % status + body


def main():
    out = sys.argv[1]
    seeds = {}

    def put(harness, name, content):
        d = os.path.join(out, harness)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)
        seeds[harness] = seeds.get(harness, 0) + 1

    captures = data("tests/data/capture/*.pcap", "tests/data/capture/*.pcapng", "samples/*/*.pcapng")
    captures += sorted(glob.glob(os.path.join(ROOT, "samples/*/*.pcapng")))
    # recorded tunnels, a scan, port 0: the decoder's tunnel paths and the tracker's outcomes
    captures += sorted(glob.glob(os.path.join(ROOT, "tests/data/golden/*/*.pcap")))
    for path in sorted(set(captures)):
        buf = read(path)
        name = os.path.basename(path)
        if len(buf) <= 8192:
            put("capture-file", name, buf)
        elif buf[:4] == b"\x0a\x0d\x0d\x0a":
            put("capture-file", name, pcapng_head(buf, 8192))
        else:
            put("capture-file", name, pcap_head(buf, 8192))
        link, pkts = pcap_packets(buf)
        if link is None:
            continue
        # decode: [dlt: 2][options][records of [len: 2][gap][bytes]], 16 packets a seed
        for i in range(0, min(len(pkts), 512), 16):
            recs = b"".join(struct.pack(">HB", len(p), 1) + p for p in pkts[i:i + 16])
            put("decode", "%s-%d" % (name, i), struct.pack(">HB", link, 0) + recs)
        # decode-diff: [dlt: 2][one packet]
        for i, p in enumerate(pkts[:256]):
            put("decode-diff", "%s-%d" % (name, i), struct.pack(">H", link) + p)

    for path in data("tests/data/inventory/*", "tests/data/bad/inventory-*", "samples/shop/inventory.yaml",
                     "tests/data/policy/inventory.yaml"):
        buf = read(path)
        docker = b'"Config"' in buf or b'"NetworkSettings"' in buf
        put("inventory-docker" if docker else "inventory-k8s", os.path.basename(path), buf)
    for path in data("tests/data/docker/inspect/*.json"):
        put("inventory-docker", "inspect-" + os.path.basename(path), b"[" + read(path) + b"]")
    # watch: the recorded streams, each step alone and whole cases end to end
    for path in data("tests/data/watch/*.json"):
        put("watch", os.path.basename(path), read(path))
    for case in ("churn", "cut", "endpoints", "list"):
        steps = data("tests/data/watch/%s-*.json" % case)
        put("watch", case + "-all", b"".join(read(p) for p in steps))

    for path in data("tests/data/state/*", "tests/data/bad/state-*", "tests/data/merge/*.yaml",
                     "tests/data/workflow/*.yaml", "samples/*/expected-state.yaml",
                     "tests/data/golden/*/expected-state.yaml"):
        put("state", os.path.basename(path) + "-" + os.path.basename(os.path.dirname(path)), read(path))

    for path in data("tests/data/policy/*.yaml", "tests/data/policy/*.json", "samples/*/expected-policies*.yaml"):
        if os.path.basename(path) != "inventory.yaml":
            put("policy", os.path.basename(path) + "-" + os.path.basename(os.path.dirname(path)), read(path))

    # docker: [piece size][events answer] SEP [list answer] SEP [inspect answers] ...
    inspects = [answer(read(p)) for p in data("tests/data/docker/inspect/*.json")]
    lists = data("tests/data/docker/containers*.json")
    small = os.path.join(ROOT, "tests/data/docker/events-db.jsonl")
    whole = os.path.join(ROOT, "tests/data/docker/containers.json")
    for ev in data("tests/data/docker/events*.jsonl"):
        for lst in lists:
            if ev != small and lst != whole:
                continue  # each events file once, each list once: the pairs add nothing
            for size in (0, 7):
                parts = [answer(read(ev)), answer(read(lst))] + inspects
                put("docker", "%s-%s-%d" % (os.path.basename(ev), os.path.basename(lst), size),
                    bytes([size]) + SEP.join(parts))
    put("docker", "list-404", b"\0" + SEP.join([answer(b""), answer(b'{"message":"page not found"}', 404)]))
    put("docker", "inspect-500", b"\0" + SEP.join([answer(read(small)), answer(b"[]"),
                                                    answer(b'{"message":"server error"}', 500)]))
    for name, n in sorted(seeds.items()):
        print("%s: %d seeds" % (name, n))


main()
