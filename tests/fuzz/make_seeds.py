#!/usr/bin/python3
"""Writes the seed corpora in seeds/<target>/ (committed; rerun after changing
this script). Each seed is a well-formed example the fuzzer mutates from.
Seeds are written over, never deleted: other seeds (captured ones, e.g.
lk_signal, loadgen, punt, srtp_unprotect) stay."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(pt=111, seq=1, ts=960, ssrc=0x11223344, csrcs=(), ext=None, payload=b"\xaa" * 40,
        padding=0, marker=False):
    b0 = 0x80 | (0x20 if padding else 0) | (0x10 if ext else 0) | len(csrcs)
    out = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    for c in csrcs:
        out += struct.pack("!I", c)
    if ext:
        profile, data = ext
        data += b"\0" * (-len(data) % 4)
        out += struct.pack("!HH", profile, len(data) // 4) + data
    out += payload
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


def rtcp(pt, count, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("!BBH", 0x80 | count, pt, (len(body) + 4) // 4 - 1) + body


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    one = (0xBEDE, bytes([0x10, ord("0"), 0x30, 0x85, 0x22, 1, 2, 3, 0x51, 0, 7]))
    two = (0x1000, bytes([1, 1, ord("0"), 0, 3, 1, 0x85]))
    rtps = {
        "opus": rtp(),
        "vp8_marker": rtp(pt=96, payload=b"\x90\x80" + b"\x55" * 1100, marker=True),
        "csrc": rtp(csrcs=(1, 2, 3)),
        "ext_one_byte": rtp(ext=one),
        "ext_two_byte": rtp(ext=two),
        "padding": rtp(padding=4),
        "all": rtp(csrcs=(9,), ext=one, padding=8),
    }
    for k, v in rtps.items():
        write("rtp", k, v)
        write("demux", "rtp_" + k, v)
    # srtp_unprotect: mode byte (profile, RTP/RTCP, raw/round trip), flip byte, packet.
    for prof in range(3):
        for name, pkt in (("opus", rtps["opus"]), ("all", rtps["all"])):
            write("srtp_unprotect", "rt_rtp_%s_%d" % (name, prof), bytes([prof | 8, 77]) + pkt)
            write("srtp_unprotect", "raw_rtp_%s_%d" % (name, prof), bytes([prof, 0]) + pkt + bytes(16))
    write("rtp_ext", "one_byte", b"\x01" + one[1])
    write("rtp_ext", "two_byte", b"\x00" + two[1])
    write("rtp_ext", "one_byte_id15", b"\x01" + bytes([0x10, 1, 0xf0, 0x22]))

    rb = struct.pack("!IBBHIIII", 0x55, 10, 0, 3, 70000, 40, 0x12345678, 65536)
    sr = rtcp(200, 1, struct.pack("!IIIIII", 0x1111, 0xe0000000, 0x80000000, 960, 10, 1000) + rb)
    rr = rtcp(201, 1, struct.pack("!I", 0x2222) + rb)
    sdes = rtcp(202, 1, struct.pack("!I", 0x1111) + bytes([1, 4]) + b"abcd" + b"\0\0")
    pli = rtcp(206, 1, struct.pack("!II", 1, 0x55))
    fir = rtcp(206, 4, struct.pack("!IIIB3x", 1, 0, 0x55, 7))
    nack = rtcp(205, 1, struct.pack("!IIHH", 1, 0x55, 100, 0x8001))
    remb = rtcp(206, 15, struct.pack("!II", 1, 0) + b"REMB" + bytes([1, 0x0b, 0xd0, 0x90]) +
                struct.pack("!I", 0x55))
    twcc = rtcp(205, 15, struct.pack("!IIHHBBBB", 1, 0x55, 256, 5, 0, 0, 1, 3) + b"\x20\x05")
    bye = rtcp(203, 1, struct.pack("!I", 0x55))
    rtcps = {"sr": sr, "rr": rr, "sr_sdes": sr + sdes, "rr_pli": rr + pli, "fir": fir,
             "nack": nack, "remb": remb, "twcc": twcc, "bye": bye, "rr_nack_remb": rr + nack + remb}
    for k, v in rtcps.items():
        write("rtcp", k, v)
        write("srtp_unprotect", "rt_rtcp_" + k, bytes([4 | 8 | 2, 5]) + v)
        write("demux", "rtcp_" + k, v)
    write("demux", "stun", struct.pack("!HHI12s", 1, 0, 0x2112A442, b"\x01" * 12))
    write("demux", "dtls", bytes([22, 0xfe, 0xfd]) + b"\0" * 10)
    write("demux", "turn_channel", bytes([0x40, 0, 0, 4, 1, 2, 3, 4]))

    eth4 = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    ip4 = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 12, 0, 0x4000, 64, 17, 0,
                      bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    write("net", "udp4", eth4 + ip4 + struct.pack("!HHHH", 40000, 50000, 20, 0) + rtp(payload=b""))
    eth6 = bytes.fromhex("020000000002020000000001") + b"\x86\xdd"
    ip6 = struct.pack("!IHBB16s16s", 0x60000000, 8 + 12, 17, 64, b"\x20\x01" + b"\0" * 13 + b"\x01",
                      b"\x20\x01" + b"\0" * 13 + b"\x02")
    write("net", "udp6", eth6 + ip6 + struct.pack("!HHHH", 40000, 50000, 20, 0) + rtp(payload=b""))
    write("net", "arp", bytes.fromhex("ffffffffffff020000000001") + b"\x08\x06" + b"\0" * 28)

    write("sdp", "minimal", b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
          b"a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n"
          b"a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"
          b"a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\n"
          b"a=rtcp-fb:111 transport-cc\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
          b"a=ssrc:1 cname:x\r\n")
    write("sdp", "video", b"v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\na=mid:1\na=rtpmap:96 VP8/90000\n"
          b"a=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\na=ssrc-group:FID 5 6\na=ssrc:5 cname:y\n"
          b"a=candidate:1 1 udp 1 198.18.0.1 9 typ host\na=end-of-candidates\n")

    import base64, hashlib, hmac, json as js
    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=")
    signing = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(js.dumps(
        {"iss": "k", "sub": "alice", "exp": 1900000000, "video": {"room": "r", "roomJoin": True}}).encode())
    sig = b64(hmac.new(b"fuzz-secret-0123456789-0123456789", signing, hashlib.sha256).digest())
    write("token", "valid", signing + b"." + sig)
    write("token", "none", b64(b'{"alg":"none"}') + b"." + b64(b'{"iss":"k"}') + b".")

    # RFC 5769 §2.1: a Binding Request with every ICE attribute.
    write("stun", "rfc5769_request", bytes.fromhex(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
        "002400046e0001ff80290008932ff9b151263b360006000965767" "46a3a683676592020200008"
        "00149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf"))

    # DCEP records (stream, PPID selector, length, bytes): livekit-client's
    # two channels opened, a message on each, one closed.
    def dcep_open(ordered, rexmit, label):
        return struct.pack("!BBHIHH", 3, (0 if ordered else 0x80) | (1 if rexmit is not None else 0),
                           0, rexmit or 0, len(label), 0) + label
    def rec(stream, sel, body):
        return struct.pack("!HBB", stream, sel, len(body)) + body
    write("dcep", "open_reliable", dcep_open(True, None, b"_reliable"))
    write("dcep", "livekit_channels", rec(0, 0, dcep_open(True, None, b"_reliable"))
          + rec(2, 0, dcep_open(False, 0, b"_lossy")) + rec(0, 2, b"\x0a\x02hi")
          + rec(2, 1, b"text") + rec(0, 5, b"") + rec(2, 0, b"\x02"))

    # LiveKit data packets (flags byte, then a DataPacket): a livekit-client
    # user packet with a topic and a destination, a Rust one with a sequence.
    def pb(field, wire, body):
        key = bytes([(field << 3) | wire])
        return key + (bytes([len(body)]) + body if wire == 2 else body)
    user = pb(2, 2, b"hi") + pb(4, 2, b"chat") + pb(6, 2, b"bob")
    write("lk_data", "js_user", b"\x01" + pb(2, 2, user))
    write("lk_data", "rust_rpc", b"\x01" + pb(5, 2, b"bob") + bytes([0x80, 0x01, 7])
          + pb(10, 2, pb(1, 2, b"id") + pb(2, 2, b"echo")))

    cfg_dir = os.path.join(HERE, "..", "..", "config")
    for name in ("dev.yaml", os.path.join("examples", "baremetal.yaml")):
        with open(os.path.join(cfg_dir, name), "rb") as f:
            write("config", os.path.basename(name), f.read())
    write("config", "flow", b"dataplane: {wire: {vdev: net_null0}, exception: {iface: t0}}\n")


if __name__ == "__main__":
    main()
