#include "slowpath/session/participant_media.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

namespace edgesfu::sp::session {

namespace {

using sdp::Direction;

bool sends(Direction d) { return d == Direction::kSendOnly || d == Direction::kSendRecv; }
bool receives(Direction d) { return d == Direction::kRecvOnly || d == Direction::kSendRecv; }

Direction direction_of(bool we_receive, bool we_send) {
  if (we_receive && we_send) return Direction::kSendRecv;
  if (we_receive) return Direction::kRecvOnly;
  if (we_send) return Direction::kSendOnly;
  return Direction::kInactive;
}

const SourceTrack* find_source(const std::vector<SourceTrack>& wanted, const std::string& sid) {
  for (const SourceTrack& s : wanted) {
    if (s.sid == sid) return &s;
  }
  return nullptr;
}

// The same publication, as far as the dataplane is concerned.
bool same_track(const sdp::PublishedTrack& a, const sdp::PublishedTrack& b) {
  return a.ssrc == b.ssrc && a.rtx_ssrc == b.rtx_ssrc && a.rids == b.rids &&
         a.codec.pt == b.codec.pt && a.codec.name == b.codec.name && a.extmaps == b.extmaps &&
         a.twcc_ext == b.twcc_ext && a.mid_ext == b.mid_ext && a.rid_ext == b.rid_ext &&
         a.rrid_ext == b.rrid_ext && a.audio_level_ext == b.audio_level_ext;
}

// The msid and SSRC lines of a track we send (RFC 8830, RFC 5576).
void describe_sending(sdp::Media& m, const Subscription& s, const SourceTrack* src) {
  const std::string stream = src != nullptr && !src->stream.empty() ? src->stream : "edgesfu";
  const std::string msid = stream + " " + s.source;
  m.msid = msid;
  if (s.track.rtx_ssrc != 0)
    m.ssrc_groups.push_back(sdp::SsrcGroup{"FID", {s.track.ssrc, s.track.rtx_ssrc}});
  m.ssrc_attrs.emplace_back(s.track.ssrc, "cname:" + stream);
  m.ssrc_attrs.emplace_back(s.track.ssrc, "msid:" + msid);
  if (s.track.rtx_ssrc != 0) {
    m.ssrc_attrs.emplace_back(s.track.rtx_ssrc, "cname:" + stream);
    m.ssrc_attrs.emplace_back(s.track.rtx_ssrc, "msid:" + msid);
  }
}

// What makes two codecs the same inside one BUNDLE: name, clock rate,
// channels, and for H264 the profile and packetization mode; RTX by what it
// repairs.
std::string codec_key(const std::string& name, uint32_t clock_rate, uint8_t channels,
                      const std::string& fmtp) {
  std::string k;
  for (char ch : name) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  k += "/" + std::to_string(clock_rate) + "/" + std::to_string(channels);
  if (k.rfind("h264/", 0) == 0 || k.rfind("rtx/", 0) == 0) k += "/" + fmtp;
  return k;
}
std::string codec_key(const sdp::Codec& c) {
  return codec_key(c.name, c.clock_rate, c.channels, c.fmtp);
}

void add_extmap(sdp::Media& m, uint8_t id, const std::string& uri) {
  for (const sdp::Extmap& e : m.extmaps) {
    if (e.id == id) return;
  }
  m.extmaps.push_back(sdp::Extmap{id, "", uri});
}

// What we send on an m-line, written into it: the codec (once, even on a
// sendrecv m-line that also carries the participant's own), its RTX, the
// source's extensions under this connection's IDs, msid and SSRCs.
void write_sending(sdp::Media& m, const Subscription& s, const SourceTrack* src,
                   const sdp::NegotiatedCodec& codec) {
  if (m.codec(codec.pt) == nullptr) {
    sdp::add_codec(m, codec, s.track.rtx_ssrc != 0 ? s.track.rtx_pt : -1);
  }
  if (src != nullptr) {
    for (const auto& [pid, sid] : s.track.ext_map) {
      for (const auto& [id, uri] : src->desc.extmaps) {
        if (id == pid) add_extmap(m, sid, uri);
      }
    }
  }
  describe_sending(m, s, src);
}

// A subscription of `src` on the offered m-line `m`, answering: the
// subscriber's payload type for the source's codec, its RTX, its IDs for the
// extensions the source carries. Empty when `m` takes no codec of the source.
std::optional<Subscription> subscribe_answering(const sdp::Media& m, const SourceTrack& src,
                                                const std::function<uint32_t()>& ssrcs) {
  const sdp::Codec* c = sdp::codec_for(m, src.desc);
  if (c == nullptr) return std::nullopt;
  Subscription s;
  s.mid = m.mid;
  s.source = src.sid;
  s.track.ssrc = ssrcs();
  const int rtx = src.desc.kind == "video" ? sdp::rtx_for(m, c->pt) : -1;
  if (rtx >= 0) {
    s.track.rtx_ssrc = ssrcs();
    s.track.rtx_pt = static_cast<uint8_t>(rtx);
  }
  s.track.pt_map.emplace_back(src.desc.codec.pt, c->pt);
  for (const auto& [pid, uri] : src.desc.extmaps) {
    if (!sdp::relayed_to_subscribers(uri)) continue;
    for (const sdp::Extmap& e : m.extmaps) {
      if (e.uri == uri) s.track.ext_map.emplace_back(pid, e.id);
    }
  }
  return s;
}

}  // namespace

std::vector<Publication> ParticipantMedia::publications() const {
  std::vector<Publication> out;
  for (const MLine& ml : mlines_) {
    if (ml.published) out.push_back({ml.mid, *ml.published});
  }
  return out;
}

std::vector<Subscription> ParticipantMedia::subscriptions() const {
  std::vector<Subscription> out;
  for (const MLine& ml : mlines_) {
    if (ml.sending) out.push_back(*ml.sending);
  }
  return out;
}

void ParticipantMedia::Numbering::learn(const sdp::Session& s) {
  for (const sdp::Media& m : s.media) {
    for (const sdp::Extmap& e : m.extmaps) {
      // The peer's numbering wins: a URI that held this ID before lets it go.
      for (auto it = ext_ids.begin(); it != ext_ids.end();) {
        it = it->second == e.id && it->first != e.uri ? ext_ids.erase(it) : std::next(it);
      }
      ext_ids[e.uri] = e.id;
    }
    for (const sdp::Codec& c : m.codecs) {
      const std::string key = codec_key(c);
      for (auto it = pts.begin(); it != pts.end();) {
        it = it->second == c.pt && it->first != key ? pts.erase(it) : std::next(it);
      }
      pts[key] = c.pt;
    }
  }
}

uint8_t ParticipantMedia::Numbering::ext_id(const std::string& uri) {
  auto it = ext_ids.find(uri);
  if (it != ext_ids.end()) return it->second;
  // RFC 8285 §4.2: one-byte IDs are 1-14.
  for (uint8_t id = 1; id <= 14; ++id) {
    const bool taken = std::any_of(ext_ids.begin(), ext_ids.end(),
                                   [&](const auto& kv) { return kv.second == id; });
    if (!taken) {
      ext_ids[uri] = id;
      return id;
    }
  }
  return 0;  // all taken: the extension is not offered
}

int ParticipantMedia::Numbering::pt(const std::string& key, int wish) {
  auto it = pts.find(key);
  if (it != pts.end()) return it->second;
  auto taken = [&](int pt) {
    return std::any_of(pts.begin(), pts.end(), [&](const auto& kv) { return kv.second == pt; });
  };
  int pt = wish >= 0 && !taken(wish) ? wish : -1;
  // RFC 3551 §6: dynamic payload types are 96-127.
  for (int p = 96; pt < 0 && p <= 127; ++p) {
    if (!taken(p)) pt = p;
  }
  if (pt >= 0) pts[key] = static_cast<uint8_t>(pt);
  return pt;
}

std::string ParticipantMedia::new_mid(const std::vector<MLine>& in_use) {
  // Not a mid of this negotiation nor of the last one (a recycled m-line must
  // not take back the mid it had, RFC 8843 §7.5).
  auto taken = [](const std::vector<MLine>& v, const std::string& mid) {
    return std::any_of(v.begin(), v.end(), [&](const MLine& m) { return m.mid == mid; });
  };
  for (;;) {
    std::string mid = std::to_string(next_mid_++);
    if (!taken(in_use, mid) && !taken(mlines_, mid)) return mid;
  }
}

Result<sdp::Session> ParticipantMedia::answer_offer(const sdp::Session& offer,
                                                    const sdp::LocalTransport& local,
                                                    const std::vector<SourceTrack>& wanted,
                                                    Changes& changes) {
  changes = Changes{};
  if (auto s = sdp::check_transport(offer); !s) return s.error();
  if (offer.media.size() < mlines_.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the offer has " + std::to_string(offer.media.size()) +
                          " m-lines, fewer than the " + std::to_string(mlines_.size()) +
                          " negotiated (m-lines are never removed, RFC 8829 §5.2.2)");
  }
  // One transport per participant (max-bundle): the m-lines in use form one
  // BUNDLE group (RFC 8843) with one set of ICE credentials and one DTLS
  // fingerprint. An m-line outside the group is rejected.
  auto bundled = [&](const sdp::Media& m) {
    return sdp::in_use(offer, m) &&
           (offer.bundle.empty() ||
            std::find(offer.bundle.begin(), offer.bundle.end(), m.mid) != offer.bundle.end());
  };
  const sdp::Media* first = nullptr;
  std::size_t in_use = 0;
  for (const sdp::Media& m : offer.media) {
    if (!sdp::in_use(offer, m)) continue;
    ++in_use;
    if (!bundled(m)) continue;
    if (first == nullptr) {
      first = &m;
      continue;
    }
    auto fp = [&](const sdp::Media& x) -> const std::string& {
      return x.fingerprint.empty() ? offer.fingerprint : x.fingerprint;
    };
    if (sdp::ice_ufrag(offer, m) != sdp::ice_ufrag(offer, *first) ||
        sdp::ice_pwd(offer, m) != sdp::ice_pwd(offer, *first) || fp(m) != fp(*first)) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "mid " + m.mid +
              ": other ICE credentials or DTLS fingerprint than the rest of the BUNDLE "
              "group (one transport per participant)");
    }
  }
  if (offer.bundle.empty() && in_use > 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the offer has " + std::to_string(in_use) +
                          " m-lines in use but no BUNDLE group (one transport per participant)");
  }
  std::vector<MLine> next = mlines_;
  next.resize(offer.media.size());
  std::set<std::string> mids;
  std::set<uint32_t> ssrcs;

  // 1. Each m-line's identity, what the participant publishes on it, and
  //    whether what we send on it can stay.
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::Media& m = offer.media[i];
    MLine& ml = next[i];
    const std::string at = "m-line " + std::to_string(i) + " (" + m.kind + ", mid " + m.mid + "): ";
    if (i < mlines_.size() && ml.mid != m.mid && !ml.rejected) {
      return make_error(ErrorCode::kInvalidArgument,
                        at + "its mid was '" + ml.mid +
                            "'; only a rejected m-line may take a new mid (RFC 8843 §7.5)");
    }
    if (i < mlines_.size() && ml.mid == m.mid && ml.kind != m.kind && !ml.rejected) {
      return make_error(ErrorCode::kInvalidArgument, at + "its kind was " + ml.kind);
    }
    if (!m.mid.empty() && !mids.insert(m.mid).second) {
      return make_error(ErrorCode::kInvalidArgument, at + "the mid is used twice");
    }
    if (i < mlines_.size() && ml.mid != m.mid) {  // a recycled m-line is new
      ml.carried.clear();
      ml.quiet = false;
    }
    ml.mid = m.mid;
    ml.kind = m.kind;
    const bool usable = bundled(m) && (m.kind == "audio" || m.kind == "video");
    // What the participant sends on it (RFC 3264 §6.1: its sendonly/sendrecv).
    std::optional<sdp::PublishedTrack> pub;
    if (usable && sends(m.direction)) {
      auto t = sdp::published_track(m, i);
      if (t && ((t->ssrc != 0 && !ssrcs.insert(t->ssrc).second) ||
                (t->rtx_ssrc != 0 && !ssrcs.insert(t->rtx_ssrc).second))) {
        return make_error(ErrorCode::kInvalidArgument, at + "SSRC " + std::to_string(t->ssrc) +
                                                           " is sent on another m-line too");
      }
      if (t) {
        pub = std::move(t).value();
      } else if (t.error().code == ErrorCode::kUnsupported) {
        changes.refused.push_back(t.error().message);
      } else {
        return t.error();
      }
    }
    if (ml.published && (!pub || !same_track(*ml.published, *pub))) {
      changes.unpublished.push_back({ml.mid, *ml.published});
      ml.published.reset();
    }
    if (pub && !ml.published) {
      ml.published = *pub;
      changes.published.push_back({ml.mid, *pub});
    }
    // What we send on it stays if the participant still receives there, the
    // room still wants it sent, and the codec still has the same number.
    if (ml.sending) {
      const SourceTrack* src = find_source(wanted, ml.sending->source);
      const sdp::Codec* c = usable && receives(m.direction) && src != nullptr
                                ? sdp::codec_for(m, src->desc)
                                : nullptr;
      // Its RTX must still be what the offer pairs with the codec.
      const bool rtx_same = c == nullptr || ml.sending->track.rtx_ssrc == 0 ||
                            sdp::rtx_for(m, c->pt) == ml.sending->track.rtx_pt;
      if (c == nullptr || ml.sending->track.pt_map.empty() ||
          ml.sending->track.pt_map[0].second != c->pt || ml.mid != ml.sending->mid || !rtx_same) {
        changes.unsubscribed.push_back(*ml.sending);
        ml.sending.reset();
      }
    }
  }

  // 2. Wanted tracks not yet sent go to receiving m-lines without one, in order.
  std::set<std::string> assigned;
  for (const MLine& ml : next) {
    if (ml.sending) assigned.insert(ml.sending->source);
  }
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::Media& m = offer.media[i];
    MLine& ml = next[i];
    if (ml.sending || !bundled(m) || !receives(m.direction)) continue;
    for (const SourceTrack& src : wanted) {
      if (assigned.count(src.sid) != 0 || src.desc.kind != m.kind) continue;
      if (!ml.carried.empty() && ml.carried != src.sid && !ml.quiet) continue;
      if (auto s = subscribe_answering(m, src, ssrcs_)) {
        ml.sending = *s;
        ml.carried = src.sid;
        assigned.insert(src.sid);
        changes.subscribed.push_back(*s);
        break;
      }
    }
  }

  // 3. The answer.
  sdp::Session ans = sdp::answer_session();
  std::optional<sdp::DataSection> data;
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::Media& m = offer.media[i];
    MLine& ml = next[i];
    // One data section per connection: the first one offered (a later offer
    // keeps it on its mid).
    const bool data_mid = data_ ? data_->mid == m.mid : !data;
    if (data_max_message_ != 0 && bundled(m) && sdp::is_data_channel(m) && data_mid) {
      auto d = sdp::data_section(m);
      if (!d) return d.error();
      data = std::move(d).value();
      ans.media.push_back(sdp::data_media(m, local, data_max_message_, "passive"));
      ml.rejected = false;
      ans.bundle.push_back(m.mid);
      continue;
    }
    if (!bundled(m) || (m.kind != "audio" && m.kind != "video")) {
      ans.media.push_back(sdp::rejected(m));
      ml.rejected = true;
      continue;
    }
    sdp::Media am = sdp::answer_media(m, local);
    for (const sdp::Extmap& e : m.extmaps) {
      if (sdp::answered_extension(e.uri, m.kind)) add_extmap(am, e.id, e.uri);
    }
    if (ml.published) {
      sdp::add_codec(am, ml.published->codec, ml.published->codec.rtx_pt);
      sdp::answer_publication(am, *ml.published);
    }
    if (ml.sending) {
      // The codec as the subscriber offered it.
      const sdp::Codec* c = m.codec(ml.sending->track.pt_map.front().second);
      write_sending(am, *ml.sending, find_source(wanted, ml.sending->source),
                    sdp::negotiated(m, *c));
    }
    if (!ml.published && !ml.sending) {
      // Nothing flows (yet): inactive with a codec it offered, so that the
      // m-line stays in the BUNDLE and can be used by a later offer.
      const sdp::Codec* c = sdp::pick(m);
      if (c == nullptr) {
        ans.media.push_back(sdp::rejected(m));
        ml.rejected = true;
        continue;
      }
      sdp::add_codec(am, sdp::negotiated(m, *c), -1);
    }
    am.direction = direction_of(ml.published.has_value(), ml.sending.has_value());
    ml.quiet = !ml.sending.has_value();
    ml.rejected = false;
    ans.bundle.push_back(m.mid);
    ans.media.push_back(std::move(am));
  }

  // Commit. Our own offer, if one was waiting, yields to the remote one.
  if (pending_) {
    pending_.reset();
    changes.rolled_back = true;
  }
  numbering_.learn(offer);
  mlines_ = std::move(next);
  changes.data_opened = !data_ && data;
  changes.data_closed = data_ && !data;
  data_ = std::move(data);
  return ans;
}

sdp::Media ParticipantMedia::offer_media(const MLine& ml, const sdp::LocalTransport& local,
                                         const std::vector<SourceTrack>& wanted,
                                         Numbering& numbering) const {
  sdp::Media shape;
  shape.kind = ml.kind;
  shape.proto = "UDP/TLS/RTP/SAVPF";
  shape.mid = ml.mid;
  if (ml.kind == "application") {
    shape.proto = "UDP/DTLS/SCTP";
    shape.fmts = {"webrtc-datachannel"};
    if (ml.rejected || !data_ || data_->mid != ml.mid) return sdp::rejected(shape);
    return sdp::data_media(shape, local, data_max_message_, "actpass");
  }
  if (ml.rejected) return sdp::rejected(shape);
  shape.rtcp_rsize = true;
  // Our transport attributes as in an answer, but actpass: an offer says
  // actpass (RFC 8842 §5.2).
  sdp::Media om = sdp::answer_media(shape, local);
  om.setup = "actpass";
  if (ml.published) {
    sdp::add_codec(om, ml.published->codec, ml.published->codec.rtx_pt);
    sdp::answer_publication(om, *ml.published);
  }
  if (ml.sending) {
    // The publisher's codec under this connection's payload type.
    const SourceTrack* src = find_source(wanted, ml.sending->source);
    if (src != nullptr) {
      sdp::NegotiatedCodec c = src->desc.codec;
      c.pt = ml.sending->track.pt_map.front().second;
      write_sending(om, *ml.sending, src, c);
    }
  }
  if (om.codecs.empty()) {
    // An inactive m-line still lists a codec of its kind.
    sdp::NegotiatedCodec c;
    if (ml.kind == "audio") {
      c = {111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {"transport-cc"}, -1};
    } else {
      c = {96, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir"}, -1};
    }
    const int pt = numbering.pt(codec_key(c.name, c.clock_rate, c.channels, c.fmtp), c.pt);
    if (pt >= 0) {
      c.pt = static_cast<uint8_t>(pt);
      sdp::add_codec(om, c, -1);
    }
  }
  om.direction = direction_of(ml.published.has_value(), ml.sending.has_value());
  return om;
}

Result<sdp::Session> ParticipantMedia::create_offer(const sdp::LocalTransport& local,
                                                    const std::vector<SourceTrack>& wanted,
                                                    Changes& changes) {
  changes = Changes{};
  if (pending_) {
    return make_error(ErrorCode::kConflict, "an offer is already waiting for its answer");
  }
  std::vector<MLine> next = mlines_;
  Numbering numbering = numbering_;
  // What is no longer wanted stops at once.
  std::set<std::string> assigned;
  for (MLine& ml : next) {
    if (ml.sending && find_source(wanted, ml.sending->source) == nullptr) {
      changes.unsubscribed.push_back(*ml.sending);
      ml.sending.reset();
    }
    if (ml.sending) assigned.insert(ml.sending->source);
  }
  for (const SourceTrack& src : wanted) {
    if (assigned.count(src.sid) != 0) continue;
    if (src.desc.kind != "audio" && src.desc.kind != "video") continue;
    const sdp::NegotiatedCodec& sc = src.desc.codec;
    const int pt = numbering.pt(codec_key(sc.name, sc.clock_rate, sc.channels, sc.fmtp), sc.pt);
    if (pt < 0) {
      changes.refused.push_back(src.sid + ": no payload type left on this connection");
      continue;
    }
    // An idle m-line of the kind (a direction change), a rejected one
    // (recycled with a new mid, RFC 8829 §5.2.2), or a new one.
    std::size_t at = next.size();
    for (std::size_t i = 0; i < next.size() && at == next.size(); ++i) {
      if (!next[i].rejected && next[i].kind == src.desc.kind && !next[i].sending &&
          !next[i].published)
        at = i;
    }
    for (std::size_t i = 0; i < next.size() && at == next.size(); ++i) {
      if (next[i].rejected) {
        next[i] = MLine{};
        next[i].mid = new_mid(next);
        at = i;
      }
    }
    if (at == next.size()) {
      MLine fresh;
      fresh.mid = new_mid(next);
      next.push_back(std::move(fresh));
    }
    MLine& ml = next[at];
    ml.kind = src.desc.kind;
    ml.rejected = false;
    Subscription s;
    s.mid = ml.mid;
    s.source = src.sid;
    s.track.ssrc = ssrcs_();
    // The codec's payload type on this connection: the one it already has
    // here, else the publisher's if free, else a free dynamic one; RTX
    // toward the subscriber when the source has it.
    s.track.pt_map.emplace_back(sc.pt, static_cast<uint8_t>(pt));
    if (src.desc.kind == "video" && sc.rtx_pt >= 0) {
      const int rtx =
          numbering.pt(codec_key("rtx", sc.clock_rate, 0, "apt=" + std::to_string(pt)), sc.rtx_pt);
      if (rtx >= 0) {
        s.track.rtx_ssrc = ssrcs_();
        s.track.rtx_pt = static_cast<uint8_t>(rtx);
      }
    }
    for (const auto& [pid, uri] : src.desc.extmaps) {
      if (!sdp::relayed_to_subscribers(uri)) continue;
      if (const uint8_t id = numbering.ext_id(uri); id != 0) s.track.ext_map.emplace_back(pid, id);
    }
    ml.sending = std::move(s);
    assigned.insert(src.sid);
  }

  sdp::Session offer = sdp::answer_session();
  for (const MLine& ml : next) {
    offer.media.push_back(offer_media(ml, local, wanted, numbering));
    if (!ml.rejected) offer.bundle.push_back(ml.mid);
  }
  // Removals took effect now; additions wait for the answer.
  for (MLine& ml : mlines_) {
    if (ml.sending && find_source(wanted, ml.sending->source) == nullptr) ml.sending.reset();
  }
  pending_ = std::move(next);
  pending_numbering_ = std::move(numbering);
  return offer;
}

Status ParticipantMedia::apply_answer(const sdp::Session& answer, Changes& changes) {
  changes = Changes{};
  if (!pending_)
    return make_error(ErrorCode::kConflict, "no offer of ours is waiting for an answer");
  std::vector<MLine>& next = *pending_;
  if (answer.media.size() != next.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the answer has " + std::to_string(answer.media.size()) +
                          " m-lines, the offer " + std::to_string(next.size()));
  }
  for (std::size_t i = 0; i < next.size(); ++i) {
    const sdp::Media& am = answer.media[i];
    const MLine& ml = next[i];
    if (!ml.rejected && am.mid != ml.mid) {
      return make_error(ErrorCode::kInvalidArgument, "answer m-line " + std::to_string(i) +
                                                         " has mid '" + am.mid + "', the offer '" +
                                                         ml.mid + "'");
    }
    // RFC 8842 §5.3: we stay the DTLS server of the one association.
    if (sdp::in_use(answer, am) && am.setup == "passive") {
      return make_error(ErrorCode::kUnsupported,
                        "the answer makes us the DTLS client (a=setup:passive)");
    }
  }
  for (std::size_t i = 0; i < next.size(); ++i) {
    const sdp::Media& am = answer.media[i];
    MLine& ml = next[i];
    const bool accepted = sdp::in_use(answer, am);
    const bool was_sending = ml.sending && i < mlines_.size() && mlines_[i].sending &&
                             mlines_[i].sending->source == ml.sending->source;
    // What flowed before and stops now (the m-line rejected, or the answerer
    // no longer receives or sends there) is reported, so that the session
    // lets go of its downtrack or track.
    if (ml.published && (!accepted || !sends(am.direction))) {
      changes.unpublished.push_back({ml.mid, *ml.published});
      ml.published.reset();
    }
    if (was_sending && (!accepted || !receives(am.direction))) {
      changes.unsubscribed.push_back(*ml.sending);
      ml.sending.reset();
      continue;
    }
    if (!accepted) {
      ml.sending.reset();
      ml.rejected = true;
      if (data_ && data_->mid == ml.mid) {
        data_.reset();
        changes.data_closed = true;
      }
      continue;
    }
    if (!ml.sending || was_sending) continue;
    // A new subscription: the answerer must receive it (RFC 3264 §6.1), with
    // the codec we offered; RTX and extensions as far as it kept them.
    const uint8_t pt = ml.sending->track.pt_map.front().second;
    if (!receives(am.direction) || am.codec(pt) == nullptr) {
      ml.sending.reset();
      continue;
    }
    Subscription& s = *ml.sending;
    if (s.track.rtx_ssrc != 0 && am.codec(s.track.rtx_pt) == nullptr) s.track.rtx_ssrc = 0;
    std::vector<std::pair<uint8_t, uint8_t>> kept;
    for (const auto& m : s.track.ext_map) {
      const uint8_t id = m.second;  // (clang 14 cannot capture a structured binding)
      const bool in_answer = std::any_of(am.extmaps.begin(), am.extmaps.end(),
                                         [&](const sdp::Extmap& e) { return e.id == id; });
      if (in_answer) kept.push_back(m);
    }
    s.track.ext_map = std::move(kept);
    changes.subscribed.push_back(s);
  }
  mlines_ = std::move(next);
  pending_.reset();
  numbering_ = std::move(pending_numbering_);
  numbering_.learn(answer);
  return ok_status();
}

}  // namespace edgesfu::sp::session
