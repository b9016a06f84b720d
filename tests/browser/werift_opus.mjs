// werift (npm) as publisher and subscriber: the publisher sends Opus-sized RTP
// with numbered payloads over WHIP, the subscriber receives over WHEP, and the
// payload bytes are compared end to end (SRTP in, munged and re-encrypted by
// edgesfu's fast path, SRTP out). Exit 0 when >= 90% arrived byte-identical
// and nothing arrived that was not sent.
//
//   node werift_opus.mjs BASE ROOM PUB_TOKEN SUB_TOKEN
import { RTCPeerConnection, MediaStreamTrack, RTCRtpCodecParameters, RtpPacket, RtpHeader } from 'werift';

const [base, room, pubToken, subToken] = process.argv.slice(2);
const opus = () => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });
const N = 300;

async function signal(pc, kind, token) {
  await pc.setLocalDescription(await pc.createOffer());
  for (let i = 0; i < 50 && pc.iceGatheringState !== 'complete'; ++i) await new Promise(r => setTimeout(r, 100));
  const r = await fetch(`${base}/${kind}/${room}`, { method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + token }, body: pc.localDescription.sdp });
  const body = await r.text();
  if (r.status !== 201) throw new Error(`${kind}: HTTP ${r.status}: ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  return new URL(r.headers.get('Location'), base).toString();
}

async function connected(pc) {
  for (let i = 0; i < 100 && pc.connectionState !== 'connected'; ++i) await new Promise(r => setTimeout(r, 100));
  if (pc.connectionState !== 'connected') throw new Error('not connected: ' + pc.connectionState);
}

function payload(i) {
  const b = Buffer.alloc(80);
  b.writeUInt32BE(0xed6e5f00 + i, 0);  // a marker and the packet's number
  for (let j = 4; j < b.length; ++j) b[j] = (i * 7 + j) & 0xff;
  return b;
}

let ok = false;
const pub = new RTCPeerConnection({ iceServers: [], codecs: { audio: [opus()], video: [] } });
const sub = new RTCPeerConnection({ iceServers: [], codecs: { audio: [opus()], video: [] } });
try {
  const track = new MediaStreamTrack({ kind: 'audio' });
  pub.addTransceiver(track, { direction: 'sendonly' });
  const pubLoc = await signal(pub, 'whip', pubToken);
  await connected(pub);
  sub.addTransceiver('audio', { direction: 'recvonly' });
  const got = new Map();
  let foreign = 0;
  sub.onTrack.subscribe(t => t.onReceiveRtp.subscribe(rtp => {
    const p = rtp.payload;
    const i = p.length === 80 ? p.readUInt32BE(0) - 0xed6e5f00 : -1;
    if (i >= 0 && i < N && Buffer.compare(p, payload(i)) === 0) got.set(i, true); else foreign++;
  }));
  const subLoc = await signal(sub, 'whep', subToken);
  await connected(sub);
  await new Promise(r => setTimeout(r, 1000));
  for (let i = 0; i < N; ++i) {
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: i, timestamp: i * 960, ssrc: 1, marker: false });
    track.writeRtp(new RtpPacket(header, payload(i)));
    await new Promise(r => setTimeout(r, 20));
  }
  await new Promise(r => setTimeout(r, 1500));
  console.log(JSON.stringify({ sent: N, received_identical: got.size, foreign }));
  ok = got.size >= N * 0.9 && foreign === 0;
  for (const loc of [subLoc, pubLoc]) await fetch(loc, { method: 'DELETE' }).catch(() => {});
} catch (e) {
  console.error('werift test:', e.message);
} finally {
  await pub.close().catch(() => {});
  await sub.close().catch(() => {});
}
process.exit(ok ? 0 : 1);
