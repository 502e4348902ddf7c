# SPDX-License-Identifier: Apache-2.0
# extract-packets.py - writes the tunnel packets of tests/data/capture/decode/, one record per pcap:
# real ones from the captures record.sh wrote beside this file, and the "built" ones (MPLS, PPPoE,
# nesting) made from them. Usage: python3 extract-packets.py; ports change with every recording,
# so the expected files in decode/ (see its TESTLIST) must then be updated by hand.
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "capture"))
from traffic import read_pcap, write_pcap  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "capture", "decode")


def packets(name, extra=()):
    """(tcpdump's reading, record) of each record, in order; a record as read_pcap() gives it."""
    path = os.path.join(HERE, name + ".pcap")
    out = subprocess.run(["tcpdump", "-#", "-n", "-r", path, *extra], capture_output=True,
                         text=True).stdout.splitlines()
    text = []
    for line in out:
        if re.match(r"^\s*\d+\s+\d\d:\d\d:", line):
            text.append(line.split(None, 2)[2])
        else:
            text[-1] += " | " + line.strip()
    recs = read_pcap(path)[2]
    return [(t, r) for t, r in zip(text, recs)]


def find(name, pat, extra=()):
    for i, (t, rec) in enumerate(packets(name, extra)):
        if re.search(pat, t):
            return i, t, rec
    raise SystemExit("%s: nothing matches %s" % (name, pat))


def emit(cname, frame, comment, base):
    """decode/CNAME.pcap: frame on Ethernet, at the time of base, the record it comes from."""
    path = os.path.join(OUT, cname.replace("_", "-") + ".pcap")
    rec = recs[base]
    orig = rec[2] if frame == rec[3] else len(frame)
    write_pcap(path, 1, snaps[base], [(rec[0], rec[1], orig, frame)])
    print("%s: %s" % (os.path.relpath(path), comment[:190]))


SEL = [
    ("tun_vxlan_syn", "vxlan", (), r"IP 10\.244\.1\.10\.\d+ > 10\.244\.2\.20\.8080: Flags \[S\]"),
    ("tun_vxlan_unreach", "vxlan", (), r"udp port 9999 unreachable"),
    ("tun_vxlan6_synack", "vxlan6", (), r"IP6 fd00:244::2:20\.8080 > .*Flags \[S\.\]"),
    ("tun_vxlan8472_udp", "vxlan-8472", ("-T", "vxlan"), r"> 10\.244\.2\.20\.5353"),
    ("tun_geneve_syn", "geneve", (), r"IP 10\.244\.1\.10\.\d+ > 10\.244\.2\.20\.8080: Flags \[S\]"),
    ("tun_geneve_unreach6", "geneve", (), r"unreachable port"),
    ("tun_gre_syn", "gre", (), r"IP 10\.244\.1\.10\.\d+ > 10\.244\.2\.20\.8080: Flags \[S\]"),
    ("tun_gre_syn6", "gre", (), r"IP6 fd00:244::1:10\.\d+ > fd00:244::2:20\.8080: Flags \[S\]"),
    ("tun_gretap_synack", "gretap", (), r"IP 10\.244\.2\.20\.8080 > .*Flags \[S\.\]"),
    ("tun_ipip_syn", "ipip", (), r"IP 10\.244\.1\.10\.\d+ > 10\.244\.2\.20\.8080: Flags \[S\]"),
    ("tun_sit_syn6", "ipip", (), r"IP6 fd00:244::1:10\.\d+ > fd00:244::2:20\.8080: Flags \[S\]"),
]
frames = {}
recs = {}
snaps = {}
for cname, cap, extra, pat in SEL:
    i, text, rec = find(cap, pat, extra)
    linktype, snaps[cname] = read_pcap(os.path.join(HERE, cap + ".pcap"))[:2]
    if linktype != 1:
        raise SystemExit("%s.pcap: link type %d, not Ethernet" % (cap, linktype))
    frames[cname] = rec[3]
    recs[cname] = rec
    emit(cname, rec[3], "%s.pcap #%d: %s" % (cap, i, text), cname)

# Built from those: the inner IPv4 SYN of tun_ipip_syn (after its 14 + 20 outer bytes).
eth = frames["tun_ipip_syn"][:12]
inner_syn = frames["tun_ipip_syn"][34:]


def mpls(labels, payload):
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", label << 12 | bos << 8 | 64)
    return out + payload


emit("built_mpls_syn", eth + b"\x88\x47" + mpls([100, 200], inner_syn),
     "Built: tun_ipip_syn's inner IPv4 SYN under an MPLS label stack (100, 200 bottom)",
     "tun_ipip_syn")
pppoe = struct.pack("!BBHH", 0x11, 0, 0x0007, len(inner_syn) + 2) + b"\x00\x21" + inner_syn
emit("built_pppoe_syn", eth + b"\x88\x64" + pppoe,
     "Built: the same SYN in a PPPoE session (id 7), PPP protocol 0x0021", "tun_ipip_syn")
inner_syn6 = frames["tun_sit_syn6"][34:]
pppoe6 = struct.pack("!BBHH", 0x11, 0, 0x0007, len(inner_syn6) + 2) + b"\x00\x57" + inner_syn6


def ipv4_around(outer_ip, payload, proto):
    """outer_ip's header (20 bytes) with its protocol and total length set for payload."""
    h = bytearray(outer_ip[:20])
    h[9] = proto
    h[2:4] = struct.pack("!H", 20 + len(payload))
    return bytes(h) + payload


emit("built_pppoe_syn6", eth + b"\x88\x64" + pppoe6,
     "Built: tun_sit_syn6's inner IPv6 SYN in a PPPoE session, PPP protocol 0x0057",
     "tun_sit_syn6")
# VXLAN inside IP-in-IP: two encapsulations.
outer_ip = frames["tun_ipip_syn"][14:34]
vx_ip = frames["tun_vxlan_syn"][14:]
emit("built_ipip_vxlan_syn", frames["tun_ipip_syn"][:14] + ipv4_around(outer_ip, vx_ip, 4),
     "Built: tun_vxlan_syn's IPv4 packet inside tun_ipip_syn's outer header (VXLAN in IP-in-IP)",
     "tun_vxlan_syn")
# Four: MPLS, IP-in-IP, IP-in-IP, VXLAN. One more than CAPTURE_TUNNEL_MAX_DEPTH.
deep = ipv4_around(outer_ip, ipv4_around(outer_ip, vx_ip, 4), 4)
emit("built_mpls_ipip2_vxlan", eth + b"\x88\x47" + mpls([300], deep),
     "Built: VXLAN in IP-in-IP in IP-in-IP under one MPLS label: four encapsulations",
     "tun_vxlan_syn")
# Sixteen labels and none at the bottom of the stack: more than the decoder walks.
emit("built_mpls_16", eth + b"\x88\x47" + b"".join(struct.pack("!I", 1000 + i << 12 | 64)
                                                   for i in range(16)) + inner_syn,
     "Built: sixteen MPLS labels, none marked bottom of stack, before the same SYN",
     "tun_ipip_syn")
