// LiveKit figures with the Rust-based SDK (@livekit/rtc-node 1.1.0, from
// tests/livekit) against edgesfu, for bench/livekit:
//   joins: N sequential room.connect() of fresh participants (WebSocket,
//          JoinResponse, ICE, DTLS: until the SDK says connected), ms;
//   fanout: for each size S, S-1 subscribers in one room, then one publisher
//          publishes a microphone track: from publishTrack() to each
//          subscriber's first decoded audio frame, ms.
// Prints one JSON line (the last line of stdout).
//
//   node livekit_media.mjs --url ws://198.18.0.2:7880 --secret S [--joins 50] [--sizes 10,50]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The SDKs are installed (pinned) under tests/livekit.
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../tests/livekit/package.json'));
const { AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent, TrackPublishOptions,
  TrackSource, dispose } = require('@livekit/rtc-node');
const { AccessToken } = require('livekit-server-sdk');

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', joins: '50', sizes: '10,50' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const log = (...m) => console.error('[livekit_media]', ...m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function token(room, identity) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  return at.toJwt();
}
function stats(v) {
  const s = [...v].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return { n: s.length, p50: s[Math.floor((s.length - 1) / 2)], p95: s[Math.min(s.length - 1, Math.floor(0.95 * s.length))],
    min: s[0], max: s[s.length - 1] };
}

const result = { joins: null, fanout: {} };
try {
  const joinMs = [];
  for (let i = 0; i < Number(args.joins); ++i) {
    const room = new Room();
    const t = await token('bench-join', `join-${i}`);
    const t0 = performance.now();
    await room.connect(args.url, t, { autoSubscribe: false });
    joinMs.push(performance.now() - t0);
    await room.disconnect();
  }
  result.joins = stats(joinMs);
  log('joins', JSON.stringify(result.joins));

  for (const size of args.sizes.split(',').map(Number)) {
    const name = `bench-fanout-${size}`;
    const subs = [];
    for (let i = 0; i < size - 1; ++i) {
      const room = new Room();
      const s = { room, first: null };
      room.on(RoomEvent.TrackSubscribed, (track) => {
        (async () => {
          for await (const _ of new AudioStream(track)) { s.first = performance.now(); break; }
        })().catch(() => {});
      });
      await room.connect(args.url, await token(name, `sub-${i}`), { autoSubscribe: true });
      subs.push(s);
    }
    const pub = new Room();
    await pub.connect(args.url, await token(name, 'publisher'), { autoSubscribe: false });
    const source = new AudioSource(48000, 1);
    const track = LocalAudioTrack.createAudioTrack('mic', source);
    const samples = new Int16Array(480);
    for (let k = 0; k < samples.length; ++k) samples[k] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * k) / 48000));
    let pumping = true;
    const pump = (async () => {
      while (pumping) await source.captureFrame(new AudioFrame(samples, 48000, 1, 480));
    })();
    const t0 = performance.now();
    await pub.localParticipant.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
    const deadline = Date.now() + 30000;
    while (subs.some((s) => s.first === null) && Date.now() < deadline) await sleep(20);
    pumping = false;
    await pump.catch(() => {});
    const got = subs.filter((s) => s.first !== null).map((s) => s.first - t0);
    result.fanout[size] = { ...stats(got), missing: subs.length - got.length };
    log(`fanout ${size}`, JSON.stringify(result.fanout[size]));
    await pub.disconnect();
    for (const s of subs) await s.room.disconnect();
    await source.close?.();
  }
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e?.message ?? e);
}
await dispose().catch(() => {});
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
