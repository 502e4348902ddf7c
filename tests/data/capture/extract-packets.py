# SPDX-License-Identifier: Apache-2.0
# extract-packets.py - writes the packets of decode/ (see its TESTLIST), one record per pcap: the
# frames make-captures.sh recorded, then those built from them (IPv6 extension headers Linux did
# not send, nine VLAN tags, and the raw IP packets under the link types Linux cannot capture on).
# Usage: python3 extract-packets.py [OUTDIR]   make-captures.sh's OUTDIR (default /tmp/fltest)
#        python3 extract-packets.py --built    only the built ones, from the recorded ones in decode/
# Ports and ids change with every capture: the expected files in decode/ must then be updated by
# hand. The tunnel packets come from tests/data/golden/tunnels/extract-packets.py.
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from traffic import read_pcap, write_pcap  # noqa: E402

DECODE = os.path.join(HERE, "decode")
CUT = 128  # longer frames are kept to their first 128 bytes, as with tcpdump -s 128
PATS = {"icmp4_echo_req": "ICMP echo request, id .*length 64", "icmp4_echo_rep": "ICMP echo reply, id .*length 64", "icmp6_echo_req": "ICMP6, echo request", "tcp4_syn": "IP .*8080: Flags \\[S\\]", "tcp4_synack": "IP .*Flags \\[S\\.\\]", "tcp6_syn": "IP6 .*8080: Flags \\[S\\]", "udp4_req": "IP .*> 10.99.0.1.5353", "udp6_rep": "IP6 fd99::1.5353", "tcp4_rst": "Flags \\[R\\.\\]", "icmp4_unreach": "udp port 9 unreachable", "icmp6_unreach": "destination unreachable", "ip4_frag_first": "echo request, id .*length 1480", "ip4_frag_later": "10.99.0.2 > 10.99.0.1: ip-proto-1", "ip6_frag_first": "frag \\(0\\|1448\\) ICMP6, echo request", "ip6_frag_later": "fd99::2 > fd99::1: frag \\(1448", "udp6_hbh_dst": "HBH DSTOPT", "sctp4_init": "IP .*\\[INIT\\]", "sctp6_init": "IP6 .*\\[INIT\\]", "icmp6_param": "parameter problem", "ip6_nonext": "no next header", "sctp4_init_ack": "\\[INIT ACK\\]", "tcp4_syn_ecn": "Flags \\[SEW\\]", "mld_hbh": "HBH ICMP6, multicast listener", "icmp6_rs": "router solicitation", "arp": "ARP, Request", "stp": "STP"}
sel = [
 ('eth','eth',5,'icmp4_echo_req'),('eth','eth',6,'icmp4_echo_rep'),('eth','eth',7,'icmp6_echo_req'),
 ('eth','eth',9,'tcp4_syn'),('eth','eth',10,'tcp4_synack'),('eth','eth',19,'tcp6_syn'),
 ('eth','eth',29,'udp4_req'),('eth','eth',32,'udp6_rep'),('eth','eth',34,'tcp4_rst'),
 ('eth','eth',36,'icmp4_unreach'),('eth','eth',38,'icmp6_unreach'),('eth','eth',39,'tcp4_syn_rr'),
 ('eth','eth',49,'ip4_frag_first'),('eth','eth',50,'ip4_frag_later'),('eth','eth',55,'ip6_frag_first'),
 ('eth','eth',56,'ip6_frag_later'),('eth','eth',61,'udp6_hbh_dst'),('eth','eth',63,'sctp4_init'),
 ('eth','eth',65,'sctp6_init'),('eth','eth',66,'icmp6_param'),('eth','eth',67,'ip6_nonext'),
 ('eth','eth',68,'sctp4_init_ack'),('eth','eth',70,'tcp4_syn_ecn'),('eth','eth',1,'mld_hbh'),
 ('eth','eth',0,'icmp6_rs'),('session','eth',5,'arp'),('stp','eth',0,'stp'),
 ('sll','sll',None,'tcp4_syn'),('sll','sll',None,'udp6_rep'),
 ('sll2','sll2',None,'icmp4_echo_req'),('sll2','sll2',None,'tcp6_syn'),
 ('vlan','vlan',0,'8021q'),('vlan','vlan',1,'8021ad_8021q'),('vlan','vlan',2,'9100_8021q'),
 ('vlan-sll','vlan_sll',0,'8021q'),('vlan-sll','vlan_sll',1,'qinq_mangled'),('vlan-sll','vlan_sll',2,'9100_8021q'),
 ('vlan-sll2','vlan_sll2',0,'8021q_stripped'),('vlan-sll2','vlan_sll2',2,'9100_8021q'),
 ('raw','raw',0,'icmp4_echo_req'),('raw','raw',1,'icmp6_echo_req'),('raw','raw',2,'tcp4_syn_ecn'),
]


def pcap_name(cname):
    return os.path.join(DECODE, cname.replace("_", "-") + ".pcap")


def write_one(cname, linktype, snap, rec, comment):
    """decode/CNAME.pcap: the one record rec (as read_pcap() gives it)."""
    write_pcap(pcap_name(cname), linktype, snap, [rec])
    print("decode/%s: %s" % (os.path.basename(pcap_name(cname)), comment))


def read_one(cname):
    """(linktype, snaplen, record) of decode/CNAME.pcap, which holds one record."""
    linktype, snap, recs = read_pcap(pcap_name(cname))
    if len(recs) != 1:
        raise SystemExit("%s: %d records, not one" % (pcap_name(cname), len(recs)))
    return linktype, snap, recs[0]


def recorded(d):
    def summaries(f):
        out = subprocess.run(['tcpdump', '-n', '-r', d + f + '.pcap'], capture_output=True,
                             text=True).stdout.splitlines()
        return [l for l in out if not l.startswith('\t')]

    def find(f, pat, nth=0):
        hits = [i for i, l in enumerate(summaries(f)) if re.search(pat, l)]
        return hits[nth]

    eth_keys = {}
    for f, pfx, idx, name in sel:
        lt, snap, recs = read_pcap(d + f + '.pcap')
        if f in ('eth', 'session', 'stp') and PATS.get(name):
            idx = find(f, PATS[name])
        elif name == 'tcp4_syn_rr':
            idx = next(i for i, r in enumerate(recs) if len(r[3]) == 114 and r[3][87] & 0x12 == 0x02)
        if idx is None:
            # same packet as in eth.pcap: find by matching IP bytes of the eth packet of the same name
            e = eth_keys[name]
            ip = e[14:]
            hl = {113: 16, 276: 20}[lt]
            idx = next(i for i, r in enumerate(recs) if r[3][hl:] == ip)
        sec, frac, orig, fr = recs[idx]
        if f == 'eth':
            eth_keys[name] = fr
        cut = ''
        if len(fr) > CUT:
            cut = ' (first %d of %d bytes, as with -s %d)' % (CUT, len(fr), CUT)
            fr, snap = fr[:CUT], CUT
        write_one(pfx + '_' + name, lt, snap, (sec, frac, orig, fr),
                  '%s.pcap #%d%s: %s' % (f, idx, cut, summaries(f)[idx][16:100].strip()))


def built():
    def ip6_built(cname, ext, proto, l4, comment):
        """decode/eth-udp6-rep.pcap's IPv6 header, then ext (first header proto), then l4."""
        lt, snap, (sec, frac, orig, u) = read_one('eth_udp6_rep')
        p = bytearray(u[:54] + ext + l4)
        p[20] = proto
        p[18:20] = (len(ext) + len(l4)).to_bytes(2, 'big')
        write_one(cname, lt, snap, (sec, frac, len(p), bytes(p)), comment)

    l4 = read_one('eth_udp6_rep')[2][3][54:]
    # AH (RFC 4302): next header UDP, length 4 (= 6 words), reserved, SPI, sequence, 12-byte ICV.
    ah = bytes([17, 4, 0, 0]) + bytes.fromhex('00001000') + bytes.fromhex('00000001') + bytes(12)
    ip6_built('built_udp6_ah', ah, 51, l4,
              'Built from eth_udp6_rep: an AH header (RFC 4302, 24 bytes) inserted before UDP.')
    # Routing header type 4 (segment routing), one segment: 8 + 16 bytes, hdr ext len 2.
    rh = bytes([17, 2, 4, 0, 0, 0, 0, 0]) + bytes.fromhex('fd990000000000000000000000000002')
    ip6_built('built_udp6_rthdr', rh, 43, l4,
              'Built from eth_udp6_rep: a routing header (type 4, one segment) before UDP.')
    # Mobility header (RFC 6275): binding refresh request, payload proto 59, 8 bytes.
    ip6_built('built_ip6_mobility', bytes([59, 0, 0, 0, 0, 0, 0, 0]), 135, b'',
              'Built from eth_udp6_rep: the IPv6 header carrying a mobility binding refresh request.')
    # 17 destination options headers (PadN 6 each) before UDP: more than the walk allows.
    do = b''.join(bytes([60 if i < 16 else 17, 0, 1, 4, 0, 0, 0, 0]) for i in range(17))
    ip6_built('built_udp6_17dstopts', do, 60, l4,
              'Built from eth_udp6_rep: 17 destination options headers before UDP.')
    lt, snap, (sec, frac, orig, t) = read_one('eth_tcp4_syn')
    p = t[:12] + bytes.fromhex('8100000a') * 9 + t[12:]
    write_one('built_tcp4_9tags', lt, snap, (sec, frac, len(p), p),
              'Built from eth_tcp4_syn: nine stacked 802.1Q tags.')
    # Linux cannot capture on DLT_NULL, DLT_LOOP, DLT_IPV4 or DLT_IPV6 (nor with 14, BSD/OS's and
    # OpenBSD's number for raw IP): the real raw IP packets under their link header, if any.
    variants = [
        # (file, linktype, link header, the raw_* packet)
        ('bsdos_icmp4_echo_req', 14, b'', 'icmp4_echo_req'),
        ('ipv4_icmp4_echo_req', 228, b'', 'icmp4_echo_req'),
        ('ipv4_icmp6_echo_req', 228, b'', 'icmp6_echo_req'),
        ('ipv6_icmp6_echo_req', 229, b'', 'icmp6_echo_req'),
        ('ipv6_tcp4_syn_ecn', 229, b'', 'tcp4_syn_ecn'),
        # DLT_NULL: the address family in the capturing host's order; DLT_LOOP: big endian
        ('null_af2_le_tcp4_syn_ecn', 0, bytes([2, 0, 0, 0]), 'tcp4_syn_ecn'),
        ('null_af10_be_icmp6_echo_req', 0, bytes([0, 0, 0, 10]), 'icmp6_echo_req'),
        ('null_af30_le_icmp6_echo_req', 0, bytes([30, 0, 0, 0]), 'icmp6_echo_req'),
        ('null_af24_le_icmp6_echo_req', 0, bytes([24, 0, 0, 0]), 'icmp6_echo_req'),
        ('null_af28_be_icmp6_echo_req', 0, bytes([0, 0, 0, 28]), 'icmp6_echo_req'),
        ('null_af7_le_icmp4_echo_req', 0, bytes([7, 0, 0, 0]), 'icmp4_echo_req'),
        ('null_af2_le_icmp6_echo_req', 0, bytes([2, 0, 0, 0]), 'icmp6_echo_req'),
        ('loop_af2_be_icmp4_echo_req', 108, bytes([0, 0, 0, 2]), 'icmp4_echo_req'),
        ('loop_af24_be_icmp6_echo_req', 108, bytes([0, 0, 0, 24]), 'icmp6_echo_req'),
        ('loop_af2_le_icmp4_echo_req', 108, bytes([2, 0, 0, 0]), 'icmp4_echo_req'),
    ]
    for cname, linktype, hdr, raw in variants:
        _, snap, (sec, frac, orig, ip) = read_one('raw_' + raw)
        write_one(cname, linktype, snap, (sec, frac, len(hdr) + orig, hdr + ip),
                  'raw_%s under link type %d' % (raw, linktype))
    # DLT_USER0 (147), which no decoder knows: a whole Ethernet frame under it.
    _, snap, rec = read_one('eth_tcp4_syn')
    write_one('user0_tcp4_syn', 147, snap, rec, 'eth_tcp4_syn under link type 147 (DLT_USER0)')


if __name__ == '__main__':
    if sys.argv[1:] != ['--built']:
        recorded((sys.argv[1] if len(sys.argv) > 1 else '/tmp/fltest') + '/')
    built()
