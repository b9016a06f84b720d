// The page edgesfu serves at GET /: publish a camera and microphone with WHIP,
// play a room with WHEP. A person uses the buttons; tests call the same
// functions (publish, play, stats, stop) through the page.
#pragma once

namespace edgesfu::sp::signalling {

inline constexpr const char* kDemoPage = R"HTML(<!doctype html>
<html><head><meta charset="utf-8"><title>edgesfu</title>
<style>body{font-family:sans-serif;margin:1em}video{width:320px;background:#222;margin:4px}
input{width:28em}pre{font-size:12px}</style></head>
<body>
<h1>edgesfu</h1>
<p>Room <input id="room" value="demo" style="width:8em">
Token <input id="token" placeholder="tools/mint-token --room demo --identity me"></p>
<p><button onclick="publish(room.value, token.value)">Publish camera + microphone (WHIP)</button>
<button onclick="play(room.value, token.value)">Play room (WHEP)</button>
<button onclick="stop()">Stop</button></p>
<div id="media"></div>
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
</script></body></html>
)HTML";

}  // namespace edgesfu::sp::signalling
