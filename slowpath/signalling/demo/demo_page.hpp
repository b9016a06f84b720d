// The page edgesfu serves at GET /: publish a camera and microphone with WHIP,
// play a room with WHEP, or join a room with livekit-client (LiveKit mode:
// the script edgesfu serves at /lib/livekit-client.umd.js, bundled_js.hpp).
// A person uses the buttons; tests call the same functions (publish, play,
// stats, stop; lkJoin, lkStats, lkLeave) through the page.
#pragma once

namespace edgesfu::sp::signalling {

inline constexpr const char* kDemoPage = R"HTML(<!doctype html>
<html><head><meta charset="utf-8"><title>edgesfu</title>
<style>body{font-family:sans-serif;margin:1em}video{width:320px;background:#222;margin:4px}
input{width:28em}pre{font-size:12px}.tile{display:inline-block;vertical-align:top;margin:4px;
padding:4px;border:3px solid #ddd}.tile.speaking{border-color:#2a2}.tile p{margin:2px;font-size:13px}</style>
<script src="/lib/livekit-client.umd.js"></script></head>
<body>
<h1>edgesfu</h1>
<p>Room <input id="room" value="demo" style="width:8em">
Token <input id="token" placeholder="tools/mint-token --room demo --identity me"></p>
<p><button onclick="publish(room.value, token.value)">Publish camera + microphone (WHIP)</button>
<button onclick="play(room.value, token.value)">Play room (WHEP)</button>
<button onclick="stop()">Stop</button></p>
<div id="media"></div>
<h2>LiveKit mode</h2>
<p id="lkabout"></p>
<p>LiveKit token <input id="lktoken" placeholder="tools/mint-token --room demo --identity me (the room is the token's)">
<button onclick="lkJoin(lktoken.value)">Join with camera + microphone (livekit-client)</button>
<button onclick="lkLeave()">Leave</button></p>
<div id="people"></div>
<pre id="log"></pre>
<script>
const sessions = [];
function log(s) { document.getElementById('log').textContent += s + '\n'; }
async function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise(r => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 3000); });
}
async function exchange(pc, kind, room, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const r = await fetch(`/${kind}/${encodeURIComponent(room)}`, { method: 'POST',
    headers: { 'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token },
    body: pc.localDescription.sdp });
  const body = await r.text();
  if (r.status !== 201) throw new Error(`${kind}: HTTP ${r.status}: ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  sessions.push({ pc, location: r.headers.get('Location') });
  log(`${kind}: ${r.headers.get('Location')}`);
  return r.headers.get('Location');
}
async function publish(room, token) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [stream] });
  window.publisher = pc;
  return exchange(pc, 'whip', room, token);
}
async function play(room, token) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.ontrack = e => {
    const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
    el.autoplay = true; el.muted = false; el.controls = true; el.playsInline = true;
    el.srcObject = new MediaStream([e.track]);
    document.getElementById('media').appendChild(el);
  };
  window.player = pc;
  return exchange(pc, 'whep', room, token);
}
async function stats(pc) {
  const out = { state: pc.connectionState };
  (await pc.getStats()).forEach(s => {
    if (s.type === 'inbound-rtp') out['in_' + s.kind] = { packetsReceived: s.packetsReceived,
      packetsLost: s.packetsLost, framesDecoded: s.framesDecoded, totalAudioEnergy: s.totalAudioEnergy };
    if (s.type === 'outbound-rtp') out['out_' + s.kind] = { packetsSent: s.packetsSent };
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) out.pair = s.id;
  });
  return out;
}
async function stop() {
  for (const s of sessions.splice(0)) {
    await fetch(s.location, { method: 'DELETE' }).catch(() => {});
    s.pc.close();
  }
  log('stopped');
}
// LiveKit mode: livekit-client with its default options, as an app uses it.
// One tile per participant (its identity, its media, a border while it
// speaks); WHIP publishers of the same room are participants too.
const LK = window.LivekitClient;
// ?token=... fills both token fields (tools/demo prints such a link).
const given = new URLSearchParams(location.search).get('token');
if (given) document.getElementById('token').value = document.getElementById('lktoken').value = given;
document.getElementById('lkabout').textContent = LK
  ? `livekit-client ${LK.version} (served by edgesfu) joins ws://${location.host} through edgesfu's LiveKit door.`
  : 'This build of edgesfu serves no livekit-client (it was configured before deploy/install-deps.sh installed it).';
let lkRoom = null;
const tiles = new Map();
function tile(identity) {
  let t = tiles.get(identity);
  if (!t) {
    t = document.createElement('div');
    t.className = 'tile';
    const name = document.createElement('p');
    name.textContent = identity;
    t.appendChild(name);
    document.getElementById('people').appendChild(t);
    tiles.set(identity, t);
  }
  return t;
}
function dropTile(identity) {
  tiles.get(identity)?.remove();
  tiles.delete(identity);
}
async function lkJoin(token, { camera = true, microphone = true } = {}) {
  if (!LK) throw new Error('no livekit-client in this build of edgesfu');
  if (lkRoom) await lkLeave();
  const E = LK.RoomEvent;
  const room = new LK.Room();
  lkRoom = room;
  room.on(E.ParticipantConnected, p => { tile(p.identity); log(`livekit: ${p.identity} joined`); })
    .on(E.ParticipantDisconnected, p => { dropTile(p.identity); log(`livekit: ${p.identity} left`); })
    .on(E.TrackSubscribed, (track, pub, p) => {
      const el = track.attach();
      el.controls = track.kind === 'audio';
      tile(p.identity).appendChild(el);
    })
    .on(E.TrackUnsubscribed, track => track.detach().forEach(el => el.remove()))
    .on(E.LocalTrackPublished, pub => {
      if (pub.track.kind === 'video') tile(room.localParticipant.identity).appendChild(pub.track.attach());
    })
    .on(E.ActiveSpeakersChanged, speakers => {
      const now = new Set(speakers.map(p => p.identity));
      for (const [identity, t] of tiles) t.classList.toggle('speaking', now.has(identity));
    })
    .on(E.Disconnected, reason => log(`livekit: disconnected (${reason})`));
  await room.connect(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`, token);
  tile(room.localParticipant.identity);
  for (const p of room.remoteParticipants.values()) tile(p.identity);
  log(`livekit: joined room ${room.name} as ${room.localParticipant.identity}`);
  if (microphone) await room.localParticipant.setMicrophoneEnabled(true);
  if (camera) await room.localParticipant.setCameraEnabled(true);
  return room.localParticipant.sid;
}
// What this page receives from each remote participant.
async function lkStats() {
  const from = {};
  if (!lkRoom) return from;
  for (const p of lkRoom.remoteParticipants.values()) {
    const e = { energy: 0, audio_packets: 0, frames: 0, width: 0, height: 0 };
    for (const pub of p.trackPublications.values()) {
      const rec = pub.track?.receiver;
      if (!rec) continue;
      (await rec.getStats()).forEach(s => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'audio') {
          e.energy += s.totalAudioEnergy ?? 0;
          e.audio_packets += s.packetsReceived ?? 0;
        } else {
          e.frames += s.framesDecoded ?? 0;
          e.width = Math.max(e.width, s.frameWidth ?? 0);
          e.height = Math.max(e.height, s.frameHeight ?? 0);
        }
      });
    }
    from[p.identity] = e;
  }
  return from;
}
async function lkLeave() {
  if (!lkRoom) return;
  const room = lkRoom;
  lkRoom = null;
  await room.disconnect();
  for (const identity of [...tiles.keys()]) dropTile(identity);
  log('livekit: left');
}
</script></body></html>
)HTML";

}  // namespace edgesfu::sp::signalling
