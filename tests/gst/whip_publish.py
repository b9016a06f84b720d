#!/usr/bin/python3
"""A WHIP publisher on GStreamer's webrtcbin, as a stock GStreamer 1.22 sends it.

    whip_publish.py BASE ROOM TOKEN SECONDS
    whip_publish.py --print-offer

Publishes an Opus tone and a VP8 test pattern from ONE webrtcbin
(bundle-policy=max-bundle, no STUN server, no RTP header extensions: the
offer's second m-line has port 0 and a=bundle-only, SSRCs only in a=ssrc) to
`POST BASE/whip/ROOM` with `Authorization: Bearer TOKEN`, non-trickle: the
offer is posted once ICE gathering is complete (or after 3 s). It applies the
201's answer, waits at most 10 s for connection-state 'connected', sends for
SECONDS seconds, prints one JSON line to stdout

    {"connected_ms": F, "outbound": {"audio": {"packets_sent": N,
     "bytes_sent": N, "ssrc": N}, "video": {...}}, "offer_bundle_only": B}

from webrtcbin's get-stats (its "outbound-rtp" structures), DELETEs the
session URL (Location, resolved against the endpoint URL, RFC 9725 §4.3) and
exits 0. Any failure (HTTP status other than 201, no connection, pipeline
error, the hard deadline of SECONDS + 20 s) is one line on stderr and exit 1.

`--print-offer` prints the offer webrtcbin creates (before ICE gathering, so
without candidates) and exits 0; it touches no network.

Debian packages: python3-gst-1.0, gir1.2-gst-plugins-bad-1.0,
gstreamer1.0-plugins-{base,good,bad}, gstreamer1.0-nice. Run it with
/usr/bin/python3.
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC
except (ImportError, ValueError) as e:
    sys.stderr.write(
        "whip_publish: GStreamer Python bindings are missing (%s); install python3-gst-1.0 "
        "gir1.2-gst-plugins-bad-1.0 and run with /usr/bin/python3\n" % e
    )
    sys.exit(1)

PROG = "whip_publish"
GATHER_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 5.0
DEADLINE_EXTRA_S = 20

PIPELINE = (
    "webrtcbin name=webrtc bundle-policy=max-bundle "
    "audiotestsrc is-live=true wave=sine freq=440 "
    "! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111 ! webrtc. "
    "videotestsrc is-live=true pattern=ball "
    "! video/x-raw,width=320,height=240,framerate=30/1 "
    "! vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! webrtc."
)


def log(msg):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.stderr.flush()


def offer_bundle_only(sdp_text):
    """True when every m-line after the first has port 0 and a=bundle-only."""
    sections = []
    for line in sdp_text.splitlines():
        line = line.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            sections.append({"port": parts[1] if len(parts) > 1 else "", "bundle_only": False})
        elif line == "a=bundle-only" and sections:
            sections[-1]["bundle_only"] = True
    if len(sections) < 2:
        return False
    return all(s["port"] == "0" and s["bundle_only"] for s in sections[1:])


def offer_ssrc_kinds(sdp_text):
    """{ssrc: "audio"/"video"} from the a=ssrc lines of each m-line."""
    kinds = {}
    kind = None
    for line in sdp_text.splitlines():
        line = line.strip()
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
        elif line.startswith("a=ssrc:") and kind in ("audio", "video"):
            try:
                kinds[int(line[len("a=ssrc:"):].split(" ", 1)[0])] = kind
            except ValueError:
                pass
    return kinds


def structure_fields(s):
    """A Gst.Structure's fields as a dict of name -> Python value."""
    out = {}
    for i in range(s.n_fields()):
        name = s.nth_field_name(i)
        out[name] = s.get_value(name)
    return out


def http_request(method, url, token=None, body=None):
    """Returns (status, headers, body text); raises OSError-like errors for transport failures."""
    headers = {}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = body.encode("utf-8")
        headers["Content-Type"] = "application/sdp"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        try:
            text = e.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the body of an error is best effort
            text = ""
        return e.code, e.headers, text


class Publisher:
    def __init__(self, print_offer, base=None, room=None, token=None, seconds=0.0):
        self.print_offer = print_offer
        self.token = token
        self.seconds = seconds
        self.endpoint = None
        if not print_offer:
            self.endpoint = base.rstrip("/") + "/whip/" + urllib.parse.quote(room, safe="")
        self.loop = GLib.MainLoop()
        self.exit_code = 1
        self.finished = False
        self.negotiating = False
        self.posted = False
        self.offer_sdp = None
        self.session_url = None
        self.t_answer = None
        self.connected_ms = None
        self.connect_timer = None
        self.pipe = Gst.parse_launch(PIPELINE)
        self.webrtc = self.pipe.get_by_name("webrtc")
        for pad in self.webrtc.sinkpads:
            pad.get_property("transceiver").set_property(
                "direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY
            )
        self.webrtc.connect("on-negotiation-needed", self._on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self._on_notify)
        self.webrtc.connect("notify::ice-connection-state", self._on_notify)
        self.webrtc.connect("notify::connection-state", self._on_notify)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self._on_bus_error)

    # ---- life cycle -------------------------------------------------------

    def run(self):
        if not self.print_offer:
            GLib.timeout_add_seconds(int(self.seconds) + DEADLINE_EXTRA_S, self._on_deadline)
        GLib.timeout_add_seconds(10, self._on_offer_timeout)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, self._on_sigint)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, self._on_sigint)
        if self.pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            log("the pipeline does not start (missing GStreamer plugins?)")
            return 1
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)
        return self.exit_code

    def finish(self, code, msg=None):
        """Ends the run from the main loop; on failure, DELETEs a session already made."""
        if self.finished:
            return
        self.finished = True
        if msg:
            log(msg)
        self.exit_code = code
        if code != 0 and self.session_url is not None:
            url, self.session_url = self.session_url, None
            self._http_async("DELETE", url, None, None, lambda *a: self.loop.quit())
            return
        self.loop.quit()

    def _on_deadline(self):
        # Also when a failure's DELETE is still pending: nothing outlives the deadline.
        log("hard deadline of %d s passed" % (int(self.seconds) + DEADLINE_EXTRA_S))
        sys.stdout.flush()
        os._exit(1)

    def _on_offer_timeout(self):
        if self.offer_sdp is None and not self.finished:
            self.finish(1, "webrtcbin made no offer within 10 s")
        return False

    def _on_sigint(self):
        self.finish(1, "interrupted")
        return False

    def _on_bus_error(self, _bus, message):
        err, dbg = message.parse_error()
        GLib.idle_add(
            self.finish, 1, "pipeline error from %s: %s (%s)" % (message.src.get_name(), err.message, dbg)
        )

    # ---- offer and non-trickle gathering -----------------------------------

    def _on_negotiation_needed(self, _element):
        GLib.idle_add(self._create_offer)

    def _create_offer(self):
        if self.negotiating or self.finished:
            return False
        self.negotiating = True
        promise = Gst.Promise.new_with_change_func(self._on_offer_created)
        self.webrtc.emit("create-offer", None, promise)
        return False

    def _on_offer_created(self, promise):
        if promise.wait() != Gst.PromiseResult.REPLIED or promise.get_reply() is None:
            GLib.idle_add(self.finish, 1, "create-offer failed")
            return
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        if offer is None:
            GLib.idle_add(self.finish, 1, "create-offer failed: %s" % reply.to_string())
            return
        # The reply (and the description in it) belongs to the promise: copy it
        # before this callback returns, or the main loop reads freed memory.
        GLib.idle_add(self._have_offer, offer.copy())

    def _have_offer(self, offer):
        self.offer_sdp = offer.sdp.as_text()
        if self.print_offer:
            sys.stdout.write(self.offer_sdp)
            sys.stdout.flush()
            self.finish(0)
            return False
        promise = Gst.Promise.new_with_change_func(self._on_local_set)
        self.webrtc.emit("set-local-description", offer, promise)
        return False

    def _on_local_set(self, promise):
        reply = promise.get_reply() if promise.wait() == Gst.PromiseResult.REPLIED else None
        if reply is not None and reply.has_field("error"):
            GLib.idle_add(self.finish, 1, "set-local-description failed: %s" % reply.to_string())
            return
        GLib.idle_add(self._start_gather_wait)

    def _start_gather_wait(self):
        GLib.timeout_add(int(GATHER_TIMEOUT_S * 1000), self._post_offer, "timeout")
        self._check_gathered()
        return False

    def _check_gathered(self):
        state = self.webrtc.get_property("ice-gathering-state")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self._post_offer("complete")

    def _post_offer(self, why):
        if self.posted or self.finished:
            return False
        self.posted = True
        if why != "complete":
            log("ICE gathering not complete after %.0f s; posting the candidates gathered so far" % GATHER_TIMEOUT_S)
        local = self.webrtc.get_property("local-description")
        sdp = local.sdp.as_text() if local is not None else self.offer_sdp
        self.offer_sdp = sdp
        self._http_async("POST", self.endpoint, self.token, sdp, self._on_post_done)
        return False

    # ---- HTTP off the main loop -------------------------------------------

    def _http_async(self, method, url, token, body, done):
        def work():
            try:
                result = http_request(method, url, token, body)
                GLib.idle_add(done, result, None)
            except Exception as e:  # noqa: BLE001 - reported as a clear error, not a traceback
                GLib.idle_add(done, None, "%s %s: %s" % (method, url, e))

        threading.Thread(target=work, daemon=True).start()

    def _on_post_done(self, result, error):
        if self.finished:
            return False
        if error is not None:
            self.finish(1, "WHIP POST failed: " + error)
            return False
        status, headers, text = result
        if status != 201:
            self.finish(1, "WHIP POST %s answered %d: %s" % (self.endpoint, status, text.strip()))
            return False
        location = headers.get("Location")
        if not location:
            self.finish(1, "WHIP POST answered 201 with no Location header")
            return False
        self.session_url = urllib.parse.urljoin(self.endpoint, location)
        res, msg = GstSdp.SDPMessage.new_from_text(text)
        if res != GstSdp.SDPResult.OK or msg.medias_len() == 0:
            self.finish(1, "the 201's body is not an SDP answer: %r" % text[:200])
            return False
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        promise = Gst.Promise.new_with_change_func(self._on_remote_set)
        self.webrtc.emit("set-remote-description", answer, promise)
        return False

    def _on_remote_set(self, promise):
        t = time.monotonic()
        reply = promise.get_reply() if promise.wait() == Gst.PromiseResult.REPLIED else None
        if reply is not None and reply.has_field("error"):
            GLib.idle_add(self.finish, 1, "set-remote-description failed: %s" % reply.to_string())
            return
        GLib.idle_add(self._answer_applied, t)

    def _answer_applied(self, t):
        if self.finished:
            return False
        self.t_answer = t
        self.connect_timer = GLib.timeout_add(int(CONNECT_TIMEOUT_S * 1000), self._on_connect_timeout)
        self._check_connected()
        return False

    # ---- connection ---------------------------------------------------------

    def _on_notify(self, _element, pspec):
        GLib.idle_add(self._state_changed, pspec.name)

    def _state_changed(self, name):
        if self.finished:
            return False
        value = self.webrtc.get_property(name)
        log("%s: %s" % (name, value.value_nick))
        if name == "ice-gathering-state":
            if self.offer_sdp is not None and not self.posted:
                self._check_gathered()
        elif name == "connection-state":
            if value == GstWebRTC.WebRTCPeerConnectionState.FAILED:
                self.finish(1, "connection-state failed")
            elif value == GstWebRTC.WebRTCPeerConnectionState.CLOSED and self.connected_ms is not None:
                self.finish(1, "connection-state closed while sending")
            else:
                self._check_connected()
        elif name == "ice-connection-state":
            if value == GstWebRTC.WebRTCICEConnectionState.FAILED:
                self.finish(1, "ice-connection-state failed")
        return False

    def _check_connected(self):
        if self.t_answer is None or self.connected_ms is not None:
            return
        if self.webrtc.get_property("connection-state") != GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            return
        self.connected_ms = max(0.0, (time.monotonic() - self.t_answer) * 1000.0)
        log("connected %.1f ms after the answer was applied" % self.connected_ms)
        if self.connect_timer is not None:
            GLib.source_remove(self.connect_timer)
            self.connect_timer = None
        GLib.timeout_add(int(self.seconds * 1000), self._collect_stats)

    def _on_connect_timeout(self):
        self.connect_timer = None
        if self.connected_ms is None:
            state = self.webrtc.get_property("connection-state").value_nick
            ice = self.webrtc.get_property("ice-connection-state").value_nick
            self.finish(
                1,
                "not connected within %.0f s of the answer (connection-state %s, ice-connection-state %s)"
                % (CONNECT_TIMEOUT_S, state, ice),
            )
        return False

    # ---- statistics and the end ---------------------------------------------

    def _collect_stats(self):
        if self.finished:
            return False
        promise = Gst.Promise.new_with_change_func(self._on_stats)
        self.webrtc.emit("get-stats", None, promise)
        return False

    def _on_stats(self, promise):
        reply = promise.get_reply() if promise.wait() == Gst.PromiseResult.REPLIED else None
        if reply is None:
            GLib.idle_add(self.finish, 1, "get-stats returned nothing")
            return
        try:
            outbound = self._outbound(reply)
        except Exception as e:  # noqa: BLE001 - a stats layout we do not know is a clear error
            GLib.idle_add(self.finish, 1, "cannot read get-stats: %s" % e)
            return
        GLib.idle_add(self._report, outbound)

    def _outbound(self, reply):
        """{kind: {packets_sent, bytes_sent, ssrc}} from the "outbound-rtp" structures.

        GStreamer 1.22 names each stats structure after its type; an
        "outbound-rtp" one has "ssrc" (guint), "packets-sent" and "bytes-sent"
        (guint64), "kind" and "codec-id". With max-bundle, 1.22 gets "kind" and
        "codec-id" wrong: every outbound-rtp says kind "video" and points at the
        last transceiver's codec. So the kind comes from the SSRC: first the
        offer's a=ssrc lines per m-line, then the "codec" structures (each has
        the right "ssrc" and a "mime-type" such as "audio/OPUS"), and only then
        the "kind" field."""
        stats = {}
        for name, value in structure_fields(reply).items():
            if isinstance(value, Gst.Structure):
                stats[name] = (value.get_name(), structure_fields(value))
        kind_of_ssrc = {}
        for sname, f in stats.values():
            if sname == "codec" and "ssrc" in f:
                kind = str(f.get("mime-type", "")).split("/")[0].lower()
                if kind in ("audio", "video"):
                    kind_of_ssrc[int(f["ssrc"])] = kind
        kind_of_ssrc.update(offer_ssrc_kinds(self.offer_sdp or ""))
        outbound = {}
        for sname, f in stats.values():
            if sname != "outbound-rtp" or "ssrc" not in f:
                continue
            ssrc = int(f["ssrc"])
            kind = kind_of_ssrc.get(ssrc, f.get("kind"))
            if kind not in ("audio", "video"):
                continue
            entry = {
                "packets_sent": int(f.get("packets-sent", 0)),
                "bytes_sent": int(f.get("bytes-sent", 0)),
                "ssrc": ssrc,
            }
            prev = outbound.get(kind)
            if prev is None or entry["packets_sent"] > prev["packets_sent"]:
                outbound[kind] = entry
        # A stream that has sent nothing yet has no outbound-rtp: report zeros
        # with the SSRC the offer announced, so both kinds are always there.
        for ssrc, kind in offer_ssrc_kinds(self.offer_sdp or "").items():
            outbound.setdefault(kind, {"packets_sent": 0, "bytes_sent": 0, "ssrc": ssrc})
        return outbound

    def _report(self, outbound):
        if self.finished:
            return False
        line = {
            "connected_ms": round(self.connected_ms, 1),
            "outbound": outbound,
            "offer_bundle_only": offer_bundle_only(self.offer_sdp or ""),
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        url, self.session_url = self.session_url, None
        self._http_async("DELETE", url, None, None, lambda r, e: self._on_delete_done(url, r, e))
        return False

    def _on_delete_done(self, url, result, error):
        if error is not None:
            self.finish(1, "WHIP DELETE failed: " + error)
        elif not 200 <= result[0] < 300:
            self.finish(1, "WHIP DELETE %s answered %d: %s" % (url, result[0], result[2].strip()))
        else:
            self.finish(0)
        return False


def usage():
    sys.stderr.write("usage: whip_publish.py BASE ROOM TOKEN SECONDS\n       whip_publish.py --print-offer\n")
    return 2


def main(argv):
    if len(argv) == 1 and argv[0] == "--print-offer":
        Gst.init(None)
        try:
            pub = Publisher(print_offer=True)
        except GLib.Error as e:
            log("cannot build the pipeline (missing GStreamer plugins?): %s" % e.message)
            return 1
        return pub.run()
    if len(argv) != 4 or argv[0].startswith("-"):
        return usage()
    base, room, token, seconds_arg = argv
    try:
        seconds = float(seconds_arg)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        log("SECONDS must be a non-negative number, not %r" % seconds_arg)
        return 2
    if not base.startswith(("http://", "https://")):
        log("BASE must be an http:// or https:// URL, not %r" % base)
        return 2
    Gst.init(None)
    # A second, thread-based guard: ends the process even if the main loop is stuck.
    guard = threading.Timer(int(seconds) + DEADLINE_EXTRA_S + 3, lambda: (log("hard deadline (guard)"), os._exit(1)))
    guard.daemon = True
    guard.start()
    try:
        pub = Publisher(print_offer=False, base=base, room=room, token=token, seconds=seconds)
    except GLib.Error as e:
        log("cannot build the pipeline (missing GStreamer plugins?): %s" % e.message)
        return 1
    return pub.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
