#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Generates data/portolan-payloads, Portolan's UDP payload database in Nmap's nmap-payloads format.

Every payload below is built from named protocol fields by the encoders in this file, following the
specification cited in its comment. Nmap's nmap-payloads is never read here.

What belongs in the file: requests that a service answers, that change no state on it, and that are small.
That rules out, for example, DHCP (a DISCOVER makes a server set an address aside) and anything that needs a
secret to be well formed.

Usage:
  gen_payloads.py [--output FILE]   write the database (default: stdout)
  gen_payloads.py --check FILE      exit 1 unless FILE equals what would be written
"""

import argparse
import struct
import sys

# ---------------------------------------------------------------------------------------------------------
# Encoders
# ---------------------------------------------------------------------------------------------------------


def u8(v):
    return struct.pack("!B", v)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


# DNS (RFC 1035 section 4.1).

DNS_TYPE = {"A": 1, "NS": 2, "PTR": 12, "TXT": 16}
DNS_CLASS = {"IN": 1, "CH": 3}


def dns_name(name):
    """A domain name as labels; "." is the root."""
    out = b""
    for label in [part for part in name.split(".") if part]:
        raw = label.encode("ascii")
        assert 0 < len(raw) < 64, label
        out += u8(len(raw)) + raw
    return out + b"\x00"


def dns_query(ident, questions, recursion_desired=False):
    """A standard query (QR=0, OPCODE=0) with the given (name, type, class) questions."""
    flags = 0x0100 if recursion_desired else 0x0000
    header = u16(ident) + u16(flags) + u16(len(questions)) + u16(0) + u16(0) + u16(0)
    body = b"".join(dns_name(n) + u16(DNS_TYPE[t]) + u16(DNS_CLASS[c]) for n, t, c in questions)
    return header + body


# NetBIOS name service (RFC 1002 sections 4.1 and 4.2.17).


def netbios_encoded_name(raw):
    """First-level encoding (RFC 1001 section 14.1) of a 16-byte name: each byte as two nibbles + 'A'."""
    assert len(raw) == 16
    encoded = b"".join(bytes([0x41 + (b >> 4), 0x41 + (b & 0x0F)]) for b in raw)
    return u8(len(encoded)) + encoded + b"\x00"


def netbios_node_status_request(ident):
    header = u16(ident) + u16(0x0000) + u16(1) + u16(0) + u16(0) + u16(0)
    NBSTAT, IN = 0x0021, 0x0001
    # The wildcard name is '*' padded with NULs (RFC 1002 4.2.17), not with spaces like other names.
    return header + netbios_encoded_name(b"*" + b"\x00" * 15) + u16(NBSTAT) + u16(IN)


# NTP (RFC 5905 section 7.3).


def ntp_client_request(version, transmit_timestamp):
    leap, mode = 0, 3  # no warning; client
    first = (leap << 6) | (version << 3) | mode
    stratum, poll, precision = 0, 0, 0
    zero32 = u32(0)
    zero64 = zero32 + zero32
    return (u8(first) + u8(stratum) + u8(poll) + u8(precision)
            + zero32            # root delay
            + zero32            # root dispersion
            + zero32            # reference ID
            + zero64            # reference timestamp
            + zero64            # origin timestamp
            + zero64            # receive timestamp
            + transmit_timestamp)


# BER (ITU-T X.690), the subset SNMP uses.


def ber_length(n):
    if n < 0x80:
        return u8(n)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return u8(0x80 | len(body)) + body


def tlv(tag, content):
    return u8(tag) + ber_length(len(content)) + content


def ber_int(v):
    length = max(1, (v.bit_length() + 8) // 8)  # room for the sign bit
    return tlv(0x02, v.to_bytes(length, "big", signed=True))


def ber_octets(b):
    return tlv(0x04, b)


def ber_null():
    return tlv(0x05, b"")


def ber_oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = u8(40 * arcs[0] + arcs[1])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def ber_seq(*parts):
    return tlv(0x30, b"".join(parts))


# SNMP (RFC 3416 PDUs; RFC 1901 community messages; RFC 3412/3414 version 3).

SNMP_GET_REQUEST = 0xA0


def snmp_pdu(tag, request_id, oids):
    varbinds = ber_seq(*[ber_seq(ber_oid(o), ber_null()) for o in oids])
    return tlv(tag, ber_int(request_id) + ber_int(0) + ber_int(0) + varbinds)


def snmp_community_get(version, community, request_id, oids):
    """version: 0 for SNMPv1, 1 for SNMPv2c."""
    return ber_seq(ber_int(version), ber_octets(community), snmp_pdu(SNMP_GET_REQUEST, request_id, oids))


def snmpv3_discovery(msg_id, request_id):
    """RFC 3414 section 4: noAuthNoPriv, empty user and engine ID, empty varbind list."""
    reportable = 0x04
    usm = 3
    header = ber_seq(ber_int(msg_id), ber_int(65507), ber_octets(u8(reportable)), ber_int(usm))
    usm_params = ber_seq(ber_octets(b""),  # msgAuthoritativeEngineID
                         ber_int(0),        # msgAuthoritativeEngineBoots
                         ber_int(0),        # msgAuthoritativeEngineTime
                         ber_octets(b""),   # msgUserName
                         ber_octets(b""),   # msgAuthenticationParameters
                         ber_octets(b""))   # msgPrivacyParameters
    scoped_pdu = ber_seq(ber_octets(b""), ber_octets(b""), snmp_pdu(SNMP_GET_REQUEST, request_id, []))
    return ber_seq(ber_int(3), header, ber_octets(usm_params), scoped_pdu)


# ONC RPC (RFC 5531 section 9), call of procedure 0 (NULL) with AUTH_NONE.


def rpc_null_call(xid, program, version):
    CALL, RPC_VERSION, AUTH_NONE = 0, 2, 0
    opaque_auth_none = u32(AUTH_NONE) + u32(0)
    return (u32(xid) + u32(CALL) + u32(RPC_VERSION) + u32(program) + u32(version) + u32(0)
            + opaque_auth_none + opaque_auth_none)


# TFTP (RFC 1350 section 5).


def tftp_read_request(filename, mode):
    RRQ = 1
    return u16(RRQ) + filename.encode("ascii") + b"\x00" + mode.encode("ascii") + b"\x00"


# ISAKMP / IKEv1 (RFC 2408 sections 3.1, 3.4-3.6; attribute values from RFC 2409 appendix A).

IKE_ATTR = {"encryption": 1, "hash": 2, "auth": 3, "group": 4, "life_type": 11, "life_duration": 12,
            "key_length": 14}


def ike_transform(number, attributes, last):
    KEY_IKE = 1
    attrs = b"".join(u16(0x8000 | IKE_ATTR[name]) + u16(value) for name, value in attributes)
    body = u8(number) + u8(KEY_IKE) + u16(0) + attrs
    next_payload = 0 if last else 3  # 3: another transform follows
    return u8(next_payload) + u8(0) + u16(4 + len(body)) + body


def ike_main_mode_sa(initiator_cookie, transforms):
    PROTO_ISAKMP = 1
    ts = b"".join(ike_transform(i + 1, attrs, i == len(transforms) - 1) for i, attrs in enumerate(transforms))
    proposal_body = u8(1) + u8(PROTO_ISAKMP) + u8(0) + u8(len(transforms)) + ts
    proposal = u8(0) + u8(0) + u16(4 + len(proposal_body)) + proposal_body
    DOI_IPSEC, SIT_IDENTITY_ONLY = 1, 1
    sa_body = u32(DOI_IPSEC) + u32(SIT_IDENTITY_ONLY) + proposal
    sa = u8(0) + u8(0) + u16(4 + len(sa_body)) + sa_body
    NEXT_SA, VERSION_1_0, MAIN_MODE = 1, 0x10, 2
    assert len(initiator_cookie) == 8
    header_without_length = (initiator_cookie + b"\x00" * 8 + u8(NEXT_SA) + u8(VERSION_1_0) + u8(MAIN_MODE)
                             + u8(0) + u32(0))
    return header_without_length + u32(28 + len(sa)) + sa


# L2TP version 2 (RFC 2661 sections 3.1, 4.1, 4.4.1-4.4.3, 6.1).


def l2tp_avp(attribute, value, mandatory=True):
    flags_len = (0x8000 if mandatory else 0) | (6 + len(value))
    return u16(flags_len) + u16(0) + u16(attribute) + value


def l2tp_sccrq(host_name, assigned_tunnel_id):
    avps = (l2tp_avp(0, u16(1))                       # Message Type: SCCRQ
            + l2tp_avp(2, u8(1) + u8(0))              # Protocol Version 1.0
            + l2tp_avp(3, u32(0x00000003))            # Framing Capabilities: sync and async
            + l2tp_avp(7, host_name.encode("ascii"))  # Host Name
            + l2tp_avp(9, u16(assigned_tunnel_id)))   # Assigned Tunnel ID
    flags = 0xC802  # T (control), L (length present), S (sequence present), version 2
    length = 12 + len(avps)
    return u16(flags) + u16(length) + u16(0) + u16(0) + u16(0) + u16(0) + avps


# RADIUS (RFC 2865 sections 3 and 5).


def radius_attr(attr_type, value):
    return u8(attr_type) + u8(2 + len(value)) + value


def radius_access_request(ident, authenticator, user, password_field, nas_identifier):
    ACCESS_REQUEST = 1
    assert len(authenticator) == 16 and len(password_field) == 16
    attrs = (radius_attr(1, user.encode("ascii"))             # User-Name
             + radius_attr(2, password_field)                  # User-Password (16 bytes, RFC 2865 5.2)
             + radius_attr(32, nas_identifier.encode("ascii")))  # NAS-Identifier
    return u8(ACCESS_REQUEST) + u8(ident) + u16(20 + len(attrs)) + authenticator + attrs


# CoAP (RFC 7252 sections 3 and 3.1).


def coap_option(delta, value):
    assert delta < 13 and len(value) < 13
    return u8((delta << 4) | len(value)) + value


def coap_get(message_id, token, path):
    version, confirmable, get = 1, 0, 0x01
    first = (version << 6) | (confirmable << 4) | len(token)
    URI_PATH = 11
    opts, previous = b"", 0
    for segment in path:
        opts += coap_option(URI_PATH - previous, segment.encode("ascii"))
        previous = URI_PATH
    return u8(first) + u8(get) + u16(message_id) + token + opts


# STUN (RFC 8489 sections 5 and 6).


def stun_binding_request(transaction_id):
    BINDING_REQUEST, MAGIC_COOKIE = 0x0001, 0x2112A442
    assert len(transaction_id) == 12
    return u16(BINDING_REQUEST) + u16(0) + u32(MAGIC_COOKIE) + transaction_id


# RIP (RFC 2453 section 3.9.1): a request for the whole table.


def rip_whole_table_request():
    REQUEST, VERSION_2, INFINITY = 1, 2, 16
    rte = u16(0) + u16(0) + u32(0) + u32(0) + u32(0) + u32(INFINITY)
    return u8(REQUEST) + u8(VERSION_2) + u16(0) + rte


# RMCP / ASF presence ping (DMTF DSP0136, ASF 2.0, sections 3.2.2 and 3.2.4.1).


def asf_presence_ping(tag):
    RMCP_VERSION_1_0, NO_ACK_SEQUENCE, CLASS_ASF = 0x06, 0xFF, 0x06
    ASF_IANA, PRESENCE_PING = 4542, 0x80
    return (u8(RMCP_VERSION_1_0) + u8(0) + u8(NO_ACK_SEQUENCE) + u8(CLASS_ASF)
            + u32(ASF_IANA) + u8(PRESENCE_PING) + u8(tag) + u8(0) + u8(0))


# SLPv2 (RFC 2608 sections 8 and 8.1).


def slp_string(s):
    raw = s.encode("ascii")
    return u16(len(raw)) + raw


def slp_service_request(xid, service_type, scopes):
    body = slp_string("") + slp_string(service_type) + slp_string(scopes) + slp_string("") + slp_string("")
    lang = "en"
    VERSION, SRVRQST = 2, 1
    header_len = 14 + len(lang)
    length = header_len + len(body)
    return (u8(VERSION) + u8(SRVRQST) + length.to_bytes(3, "big") + u16(0) + (0).to_bytes(3, "big")
            + u16(xid) + slp_string(lang) + body)


# Memcached UDP framing (memcached's doc/protocol.txt, "UDP protocol").


def memcached_udp(request_id, command):
    return u16(request_id) + u16(0) + u16(1) + u16(0) + command


# OpenVPN control channel (OpenVPN's wire protocol, ssl_pkt.h / "OpenVPN Protocol" document):
# P_CONTROL_HARD_RESET_CLIENT_V2 without tls-auth.


def openvpn_hard_reset_client_v2(session_id):
    P_CONTROL_HARD_RESET_CLIENT_V2, KEY_ID = 7, 0
    assert len(session_id) == 8
    return u8((P_CONTROL_HARD_RESET_CLIENT_V2 << 3) | KEY_ID) + session_id + u8(0) + u32(0)


def crlf_lines(*lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


# ---------------------------------------------------------------------------------------------------------
# The payloads, in the order they are written. Each: (ports, comment lines, bytes, source port or None).
# ---------------------------------------------------------------------------------------------------------

# Opaque identifiers are fixed so that the file is reproducible; they spell "PO"/"PORTOLAN" where a
# field is free, so a capture shows who sent the probe.
ID16 = 0x504F
TAG8 = b"PORTOLAN"

ONE_LINE = b"portolan\r\n"

PAYLOADS = [
    ([7], ["Echo (RFC 862): any datagram is sent back; a short line."], ONE_LINE, None),
    ([13], ["Daytime (RFC 867): any datagram is answered with the date."], ONE_LINE, None),
    ([17], ["Quote of the Day (RFC 865): any datagram is answered with a quote."], ONE_LINE, None),
    ([19], ["Character Generator (RFC 864): any datagram is answered with a line of characters."],
     ONE_LINE, None),
    ([37], ["Time (RFC 868): any datagram is answered with the time as 32 bits."], ONE_LINE, None),
    ([53], ["DNS (RFC 1035): standard query, recursion not desired, for the root's NS records (. IN NS).",
            "Every DNS server answers a query, if only with REFUSED."],
     dns_query(ID16, [(".", "NS", "IN")]), None),
    ([53], ["DNS (RFC 1035): standard query for version.bind CH TXT, the server software's version",
            "(a convention of BIND, also answered by dnsmasq, Unbound, Knot and others)."],
     dns_query(ID16 + 1, [("version.bind", "TXT", "CH")]), None),
    ([69], ["TFTP (RFC 1350): read request (RRQ) for a file that should not exist, mode octet; a server",
            "answers with an ERROR (file not found) or the file's first block. Nothing is written."],
     tftp_read_request("portolan-probe.txt", "octet"), None),
    ([111], ["ONC RPC (RFC 5531) call of procedure 0 (NULL) of the portmapper (program 100000,",
             "version 2, RFC 1833), AUTH_NONE. The NULL procedure does nothing and returns nothing."],
     rpc_null_call(0x504F5254, 100000, 2), None),
    ([123], ["NTP (RFC 5905): version 4 client-mode request (mode 3), all fields zero except the",
             "transmit timestamp, which the server copies into its reply's origin timestamp."],
     ntp_client_request(4, TAG8), None),
    ([137], ["NetBIOS name service (RFC 1002 4.2.17): NODE STATUS REQUEST (NBSTAT) for the name '*';",
             "a node answers with its name table."],
     netbios_node_status_request(ID16), None),
    ([161], ["SNMPv3 (RFC 3414 section 4): engine ID discovery. GetRequest with noAuthNoPriv, reportable,",
             "empty user and engine ID and no variables; an agent that speaks v3 answers with a Report",
             "(usmStatsUnknownEngineIDs) whatever its communities and users."],
     snmpv3_discovery(ID16, ID16), None),
    ([161], ["SNMPv2c (RFC 1901, RFC 3416): GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0) with",
             "community \"public\"."],
     snmp_community_get(1, b"public", ID16 + 1, ["1.3.6.1.2.1.1.1.0"]), None),
    ([427], ["SLPv2 (RFC 2608 8.1): Service Request for service:service-agent in scope DEFAULT; a service",
             "agent answers with an SAAdvert."],
     slp_service_request(ID16, "service:service-agent", "DEFAULT"), None),
    ([500], ["IKEv1 / ISAKMP (RFC 2408, RFC 2409): Main Mode first message, a Security Association",
             "payload offering AES-128, 3DES and AES-256 with SHA-1 or SHA2-256, pre-shared key, MODP",
             "groups 2 and 14. A responder answers with its choice or a NO-PROPOSAL-CHOSEN notification."],
     ike_main_mode_sa(TAG8, [
         [("encryption", 7), ("key_length", 128), ("hash", 2), ("auth", 1), ("group", 2),
          ("life_type", 1), ("life_duration", 28800)],
         [("encryption", 5), ("hash", 2), ("auth", 1), ("group", 2),
          ("life_type", 1), ("life_duration", 28800)],
         [("encryption", 7), ("key_length", 256), ("hash", 4), ("auth", 1), ("group", 14),
          ("life_type", 1), ("life_duration", 28800)],
     ]), 500),
    ([520], ["RIP version 2 (RFC 2453 3.9.1): request for the whole routing table (one entry, address",
             "family 0, metric 16)."],
     rip_whole_table_request(), None),
    ([623], ["RMCP / ASF (DMTF DSP0136): Presence Ping; IPMI baseboard controllers answer with a",
             "Presence Pong."],
     asf_presence_ping(0x50), None),
    ([1194], ["OpenVPN: P_CONTROL_HARD_RESET_CLIENT_V2 (session start) without tls-auth; a server",
              "without tls-auth answers with P_CONTROL_HARD_RESET_SERVER_V2."],
     openvpn_hard_reset_client_v2(TAG8), None),
    ([1701], ["L2TPv2 (RFC 2661 6.1): Start-Control-Connection-Request with its mandatory AVPs (message",
              "type, protocol version 1.0, framing capabilities, host name, assigned tunnel ID)."],
     l2tp_sccrq("portolan", 0x504F), None),
    ([1645, 1812], ["RADIUS (RFC 2865): Access-Request with User-Name, a User-Password field of 16 bytes",
                    "and NAS-Identifier. Without the shared secret the password cannot be valid: a",
                    "server that knows the client answers Access-Reject; one that does not stays silent."],
     radius_access_request(0x50, TAG8 * 2, "portolan", b"\x00" * 16, "portolan"), None),
    ([1900], ["SSDP (UPnP Device Architecture 1.1, 1.3.2): M-SEARCH for upnp:rootdevice, which every",
              "UPnP root device answers."],
     crlf_lines("M-SEARCH * HTTP/1.1", "HOST: 239.255.255.250:1900", 'MAN: "ssdp:discover"', "MX: 1",
                "ST: upnp:rootdevice"), None),
    ([2049], ["ONC RPC (RFC 5531) NULL call to NFS (program 100003) version 3 (RFC 1813), AUTH_NONE."],
     rpc_null_call(0x504F5255, 100003, 3), None),
    ([3478], ["STUN (RFC 8489): Binding Request without attributes; a server answers with the mapped",
              "address."],
     stun_binding_request(TAG8 + b"STUN"), None),
    ([3702], ["WS-Discovery (OASIS WS-Discovery, 2005/04 namespace as used by Windows and ONVIF",
              "devices): SOAP-over-UDP Probe without types or scopes, which any target service matches."],
     ('<?xml version="1.0" encoding="utf-8"?>'
      '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
      ' xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
      ' xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery">'
      '<soap:Header>'
      '<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>'
      '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>'
      '<wsa:MessageID>urn:uuid:504f5254-4f4c-4100-8000-000000000001</wsa:MessageID>'
      '</soap:Header>'
      '<soap:Body><wsd:Probe/></soap:Body>'
      '</soap:Envelope>').encode("ascii"), None),
    ([4500], ["IKEv1 behind NAT traversal (RFC 3948 2.2): the port-500 request after a four-byte",
              "non-ESP marker of zeros."],
     b"\x00\x00\x00\x00" + ike_main_mode_sa(TAG8, [
         [("encryption", 7), ("key_length", 128), ("hash", 2), ("auth", 1), ("group", 2),
          ("life_type", 1), ("life_duration", 28800)],
     ]), 4500),
    ([5060], ["SIP (RFC 3261 11): OPTIONS request with the mandatory headers; rport (RFC 3581) makes the",
              "server answer to the probe's source port."],
     crlf_lines("OPTIONS sip:ping@portolan.invalid SIP/2.0",
                "Via: SIP/2.0/UDP portolan.invalid;branch=z9hG4bK-504f52544f4c;rport",
                "Max-Forwards: 70",
                "To: <sip:ping@portolan.invalid>",
                "From: <sip:portolan@portolan.invalid>;tag=504f5254",
                "Call-ID: 504f52544f4c414e@portolan.invalid",
                "CSeq: 1 OPTIONS",
                "Contact: <sip:portolan@portolan.invalid>",
                "Accept: application/sdp",
                "Content-Length: 0"), None),
    ([5351], ["NAT-PMP (RFC 6886 3.2): external address request (version 0, opcode 0). PCP servers",
              "(RFC 6887) answer it with UNSUPP_VERSION."],
     u8(0) + u8(0), None),
    ([5353], ["Multicast DNS (RFC 6762 6.7, legacy unicast) query for DNS-SD service type enumeration",
              "(RFC 6763 9): _services._dns-sd._udp.local PTR."],
     dns_query(0, [("_services._dns-sd._udp.local", "PTR", "IN")]), None),
    ([5683], ["CoAP (RFC 7252; RFC 6690): confirmable GET /.well-known/core with a four-byte token."],
     coap_get(ID16, b"PORT", [".well-known", "core"]), None),
    ([11211], ["Memcached over UDP (memcached protocol.txt): one-datagram frame carrying \"version\",",
               "whose answer is short (unlike \"stats\")."],
     memcached_udp(ID16, b"version\r\n"), None),
    ([27015], ["Source engine game servers (Valve's Server Queries, A2S_INFO); newer servers answer with",
               "a challenge, which is an answer."],
     b"\xff\xff\xff\xffTSource Engine Query\x00", None),
    ([27960], ["Quake III Arena family servers (id Tech 3 out-of-band packet): getstatus."],
     b"\xff\xff\xff\xffgetstatus\n", None),
]

# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------

HEADER = """\
# Portolan UDP payloads, in the format of Nmap's nmap-payloads.
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Generated by data/tools/gen_payloads.py from named protocol fields; do not edit by hand (see
# data/PROVENANCE.md). Each payload is a request that the service answers, changes nothing on it, and
# is written from the specification named in its comment.
#
# Format: udp <ports> "<string>" ["<string>" ...] [source <port>]. The strings are concatenated;
# escapes are \\\\ \\" \\r \\n and \\xHH (two hex digits). A port may have several payloads.
"""

# Bytes written as themselves; every other byte is escaped.
PRINTABLE = set(range(0x20, 0x7F)) - {ord('"'), ord("\\")}
HEX_DIGITS = set(b"0123456789abcdefABCDEF")
MAX_LINE_BYTES = 16  # bytes per quoted string of a binary payload


def escape(data):
    out = []
    after_hex = False
    for b in data:
        if b in PRINTABLE and not (after_hex and b in HEX_DIGITS):
            out.append(chr(b))
            after_hex = False
        elif b == 0x0D:
            out.append("\\r")
            after_hex = False
        elif b == 0x0A:
            out.append("\\n")
            after_hex = False
        elif b in (ord('"'), ord("\\")):
            out.append("\\" + chr(b))
            after_hex = False
        else:
            out.append("\\x%02x" % b)
            after_hex = True
    return "".join(out)


def is_text(data):
    return all(b in PRINTABLE or b in (0x0D, 0x0A, 0x22) for b in data)


def chunks(data):
    """Text is split after each line end and every 72 bytes; binary every MAX_LINE_BYTES bytes."""
    if not is_text(data):
        return [data[i:i + MAX_LINE_BYTES] for i in range(0, len(data), MAX_LINE_BYTES)] or [b""]
    out, current = [], b""
    for b in data:
        current += bytes([b])
        if b == 0x0A or len(current) >= 72:
            out.append(current)
            current = b""
    if current or not out:
        out.append(current)
    return out


def render(payloads):
    lines = [HEADER]
    for ports, comment, data, source in payloads:
        lines.append("")
        lines.extend("# " + c for c in comment)
        lines.append("udp " + ",".join(str(p) for p in ports))
        lines.extend('  "%s"' % escape(c) for c in chunks(data))
        if source is not None:
            lines.append("  source %d" % source)
    text = "\n".join(lines) + "\n"
    assert all(len(line) < 1024 for line in text.split("\n")), "Nmap ignores lines of 1024 characters or more"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", help="write here instead of stdout")
    parser.add_argument("--check", metavar="FILE", help="exit 1 unless FILE is up to date")
    args = parser.parse_args()
    text = render(PAYLOADS)
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            if f.read() != text:
                print("%s is out of date: run %s --output %s" % (args.check, sys.argv[0], args.check),
                      file=sys.stderr)
                return 1
        return 0
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
