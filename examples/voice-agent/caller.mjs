// caller.mjs - a participant for the example: joins a room, speaks (a 440 Hz tone) and reports
// once a second what it hears from each agent in the room: the agent's 660 Hz tone and its echo
// of the caller's own 440 Hz.
// Usage: node caller.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room demo]
//        [--identity caller] [--seconds 20]
import {
  AudioFrame, AudioSource, AudioStream, LocalAudioTrack, ParticipantKind, Room, RoomEvent,
  TrackKind, TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'demo', identity: 'caller', seconds: '20' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error(`usage: node caller.mjs --url U --key K --secret S [--room R] [--identity I] [--seconds N] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
const RATE = 48000, FRAME = 480;

// Goertzel power of `f` Hz in the last second heard.
const power = (blocks, f) => {
  const c = 2 * Math.cos((2 * Math.PI * f) / RATE);
  let total = 0;
  for (const x of blocks) {
    let s1 = 0, s2 = 0;
    for (let i = 0; i < x.length; i++) { const s0 = x[i] + c * s1 - s2; s2 = s1; s1 = s0; }
    total += s1 * s1 + s2 * s2 - c * s1 * s2;
  }
  return total;
};

const at = new AccessToken(args.key, args.secret, { identity: args.identity });
at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true });
const room = new Room();
const heard = new Map();  // identity -> last 100 frames
room.on(RoomEvent.ParticipantConnected, (p) => console.log(`caller: ${p.identity} joined` +
  `${p.kind === ParticipantKind.AGENT ? ' (an agent)' : ''}`));
room.on(RoomEvent.TrackSubscribed, (track, _pub, p) => {
  if (track.kind !== TrackKind.KIND_AUDIO) return;
  const blocks = [];
  heard.set(p.identity, blocks);
  const reader = new AudioStream(track, RATE, 1).getReader();
  (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      blocks.push(Float64Array.from(r.value.data));
      if (blocks.length > 100) blocks.shift();
    }
  })().catch(() => {});
});
await room.connect(args.url, await at.toJwt());
console.log(`caller: in room ${args.room} as ${args.identity}`);

const source = new AudioSource(RATE, 1);
await room.localParticipant.publishTrack(LocalAudioTrack.createAudioTrack('mic', source),
  new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
const report = setInterval(() => {
  for (const [who, blocks] of heard) {
    const p440 = power(blocks, 440), p660 = power(blocks, 660), p1000 = power(blocks, 1000);
    const says = (p) => (p > 10 * Math.max(p1000, 1) ? 'yes' : 'no');
    console.log(`caller: from ${who}: 660 Hz (its voice) ${says(p660)}, 440 Hz (my echo) ${says(p440)}`);
  }
}, 1000);
const end = Date.now() + Number(args.seconds) * 1000;
const step = (2 * Math.PI * 440) / RATE;
let phase = 0, sent = 0;
const start = Date.now();
while (Date.now() < end && room.isConnected) {
  const data = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) { data[i] = Math.round(0.3 * 32767 * Math.sin(phase)); phase += step; }
  phase %= 2 * Math.PI;
  await source.captureFrame(new AudioFrame(data, RATE, 1, FRAME));
  sent++;
  const ahead = sent * 10 - (Date.now() - start);
  if (ahead > 100) await new Promise((r) => setTimeout(r, ahead - 100));
}
clearInterval(report);
await room.disconnect();
await dispose();
process.exit(0);
