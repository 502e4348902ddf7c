# SPDX-License-Identifier: Apache-2.0
# extract-arrays.py - prints the C arrays of test-capture.c from the captures of make-captures.sh.
# Usage: python3 extract-arrays.py [OUTDIR]; ports and ids change with every capture, so the
# expectations in test-capture.c must be updated by hand after a re-capture.
import struct, subprocess, sys, re
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
from traffic import read_pcap
D = (sys.argv[1] if len(sys.argv) > 1 else '/tmp/fltest') + '/'
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
def summary(f, i):
    out = subprocess.run(['tcpdump','-n','-r',D+f+'.pcap'],capture_output=True,text=True).stdout.splitlines()
    out = [l for l in out if not l.startswith('\t')]
    return out[i][16:100]
def find(f, pat, nth=0):
    out = subprocess.run(['tcpdump','-n','-r',D+f+'.pcap'],capture_output=True,text=True).stdout.splitlines()
    out = [l for l in out if not l.startswith('\t')]
    hits = [i for i,l in enumerate(out) if re.search(pat, l)]
    return hits[nth]
eth_keys = {}
for f, pfx, idx, name in sel:
    lt, snap, recs = read_pcap(D+f+'.pcap')
    if f in ('eth','session','stp') and PATS.get(name):
        idx = find(f, PATS[name])
    elif name == 'tcp4_syn_rr':
        idx = next(i for i,r in enumerate(recs) if len(r[3]) == 114 and r[3][87] & 0x12 == 0x02)
    if idx is None:
        # same packet as in eth.pcap: find by matching IP bytes of the eth packet of the same name
        e = eth_keys[name]
        ip = e[14:]
        hl = {113:16, 276:20}[lt]
        idx = next(i for i,r in enumerate(recs) if r[3][hl:] == ip)
    fr = recs[idx][3]
    if f == 'eth': eth_keys[name] = fr
    cut = ''
    if len(fr) > 128:
        cut = ' (first 128 of %d bytes, as with -s 128)' % len(fr)
        fr = fr[:128]
    print('/* %s.pcap #%d%s: %s */' % (f, idx, cut, summary(f, idx).strip()))
    print('static const uint8_t %s_%s[] = {' % (pfx, name))
    for o in range(0, len(fr), 12):
        print('\t' + ' '.join('0x%02x,' % b for b in fr[o:o+12]))
    print('};')

def arr(name, fr, comment):
    print('/* %s */' % comment)
    print('static const uint8_t %s[] = {' % name)
    for o in range(0, len(fr), 12):
        print('\t' + ' '.join('0x%02x,' % b for b in fr[o:o+12]))
    print('};')
u = bytearray(eth_keys['udp6_rep'])
ip, l4 = u[:54], u[54:]
# AH (RFC 4302): next header UDP, length 4 (= 6 words), reserved, SPI, sequence, 12-byte ICV.
ah = bytes([17, 4, 0, 0]) + bytes.fromhex('00001000') + bytes.fromhex('00000001') + bytes(12)
p = bytearray(ip + ah + l4); p[20] = 51; p[18:20] = (len(ah) + len(l4)).to_bytes(2, 'big')
arr('built_udp6_ah', p, 'Built from eth_udp6_rep: an AH header (RFC 4302, 24 bytes) inserted before UDP.')
# Routing header type 4 (segment routing), one segment: 8 + 16 bytes, hdr ext len 2.
rh = bytes([17, 2, 4, 0, 0, 0, 0, 0]) + bytes.fromhex('fd990000000000000000000000000002')
p = bytearray(ip + rh + l4); p[20] = 43; p[18:20] = (len(rh) + len(l4)).to_bytes(2, 'big')
arr('built_udp6_rthdr', p, 'Built from eth_udp6_rep: a routing header (type 4, one segment) before UDP.')
# Mobility header (RFC 6275): binding refresh request, payload proto 59, 8 bytes.
mh = bytes([59, 0, 0, 0, 0, 0, 0, 0])
p = bytearray(ip + mh); p[20] = 135; p[18:20] = len(mh).to_bytes(2, 'big')
arr('built_ip6_mobility', p, 'Built from eth_udp6_rep: the IPv6 header carrying a mobility binding refresh request.')
# 17 destination options headers (PadN 6 each) before UDP: more than the walk allows.
do = b''.join(bytes([60 if i < 16 else 17, 0, 1, 4, 0, 0, 0, 0]) for i in range(17))
p = bytearray(ip + do + l4); p[20] = 60; p[18:20] = (len(do) + len(l4)).to_bytes(2, 'big')
arr('built_udp6_17dstopts', p, 'Built from eth_udp6_rep: 17 destination options headers before UDP.')
t = eth_keys['tcp4_syn']
p = t[:12] + bytes.fromhex('8100000a') * 9 + t[12:]
arr('built_tcp4_9tags', p, 'Built from eth_tcp4_syn: nine stacked 802.1Q tags.')
