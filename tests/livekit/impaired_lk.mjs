// impaired_lk.mjs - LiveKit's own SDK (@livekit/rtc-node) in the impaired-network test, beside
// Chromium: tests/browser/impaired.mjs runs it as a child process. lk-pub publishes a camera track
// (a moving I420 pattern, --width x --height at --fps) and a microphone track (a 440 Hz sine, 48 kHz
// mono, 10 ms frames in real time); lk-sub, in this process too, decodes both (VideoStream,
// AudioStream). Other participants' tracks (Chromium, WHIP) stay out of every figure.
// Logs go to stderr; stdout has JSON lines:
//   {"ready":true}  both rooms in, lk-sub has had 30 video and 100 audio frames (else an error at 40 s)
// then one for each line on stdin:
//   snap            {t, video: {frames, received, lost, nacks, decoded, freezes, keyframes,
//                   plis, width}, audio: {frames,
//                   received, lost, concealed}, pub: {captured, video_sent, rtx, nacks, frames, encoded, keyframes, plis,
//                   bitrate}, reconnects: {pub, sub},
//                   connected: {pub, sub}}, cumulative; all but frames from the SDK's WebRTC stats
//                   (null when missing, stats_error when a room gave none; a full reconnect restarts them)
//   stop, or EOF    both rooms leave, {"stopped":true}, exit 0
// A fatal error: {"error": "..."}, exit 1.
// Usage: node impaired_lk.mjs --secret S [--url ws://198.18.0.2:7880] [--key devkey] [--room impaired]
//        [--width 320] [--height 180] [--fps 15]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  AudioFrame, AudioSource, AudioStream, ConnectionState, LocalAudioTrack, LocalVideoTrack, Room, RoomEvent,
  TrackKind, TrackPublishOptions, TrackSource, VideoBufferType, VideoFrame, VideoSource, VideoStream, dispose,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { errMsg, makeLog, parseArgs, sleep, until, withTimeout } from './lib.mjs';

const args = parseArgs({ url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'impaired',
  width: '320', height: '180', fps: '15' },
'node impaired_lk.mjs --secret S [--url U] [--key K] [--room R] [--width W] [--height H] [--fps F]');
const log = makeLog('impaired_lk');
const W = Number(args.width), H = Number(args.height), FPS = Number(args.fps);
if (!args.secret || !(W >= 16 && H >= 16 && FPS > 0)) {
  console.error('impaired_lk: --secret, a --width and --height of 16 or more and a --fps above 0');
  process.exit(2);
}

// rtc-node logs (pino) to stdout, which is the protocol here: its logger writes to stderr instead.
try {
  const require = createRequire(import.meta.url);
  const rtcDir = dirname(require.resolve('@livekit/rtc-node'));
  const pino = require(require.resolve('pino', { paths: [rtcDir] }));
  require(join(rtcDir, 'log.cjs')).log[pino.symbols.streamSym] = process.stderr;
} catch (e) { log(`rtc-node's log stays on stdout: ${errMsg(e)}`); }

const say = (obj, cb) => process.stdout.write(JSON.stringify(obj) + '\n', cb);
const pub = new Room(), sub = new Room();
const count = { video: 0, audio: 0, captured: 0 }, reconnects = { pub: 0, sub: 0 };
const lkPubSids = new Set();  // lk-pub's tracks: the inbound-rtp trackIdentifiers that count
const readers = [];
let stopping = false, videoTimer = null;

async function token(identity, canPublish) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room: args.room, canPublish, canSubscribe: !canPublish, canPublishData: false });
  return at.toJwt();
}

for (const [name, room] of [['pub', pub], ['sub', sub]]) {
  room.on(RoomEvent.Reconnecting, () => { reconnects[name]++; log(`lk-${name} reconnecting`); });
  room.on(RoomEvent.Reconnected, () => log(`lk-${name} reconnected`));
  room.on(RoomEvent.Disconnected, (reason) => { if (!stopping) log(`lk-${name} DISCONNECTED (reason ${reason})`); });
}

// Reads `stream` to its end, counting frames in count[kind].
async function consume(kind, stream) {
  const reader = stream.getReader();
  readers.push(reader);
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) count[kind]++;
  } catch (e) { if (!stopping) log(`${kind} stream: ${errMsg(e)}`); }
}

sub.on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
  if (participant.identity !== 'lk-pub') return;  // Chromium's and WHIP's tracks are not ours
  const video = track.kind === TrackKind.KIND_VIDEO;
  lkPubSids.add(publication.sid);
  log(`lk-sub subscribed to lk-pub's ${video ? 'video' : 'audio'} ${publication.sid}`);
  if (video) consume('video', new VideoStream(track));
  else consume('audio', new AudioStream(track, { sampleRate: 48000, numChannels: 1 }));
});

// A texture scrolling 2 px a frame with a bright square bouncing over it, a
// band of fresh noise at the bottom (the encoder always has bits to send) and
// a slowly turning tint. I420: the Y plane, then U and V.
const CW = (W + 1) >> 1, CH = (H + 1) >> 1, NOISE_FROM = H - (H >> 3), SQ = H >> 2;
const bounce = (pos, span) => Math.abs((pos % (2 * span)) - span);  // 0..span..0
let seed = 1;
function makeFrame(n) {
  const buf = new Uint8Array(W * H + 2 * CW * CH);  // its own ArrayBuffer: rtc-node hands over .buffer
  for (let y = 0, i = 0; y < H; y++) {
    for (let x = 0; x < W; x++, i++) {
      if (y < NOISE_FROM) buf[i] = 16 + ((((x + 2 * n) ^ y) & 63) * 3);
      else { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; buf[i] = seed >>> 24; }
    }
  }
  const sx = bounce(5 * n, W - SQ), sy = bounce(3 * n, NOISE_FROM - SQ);
  for (let y = sy; y < sy + SQ; y++) buf.fill(235, y * W + sx, y * W + sx + SQ);
  buf.fill(128 + Math.round(60 * Math.sin(n / 40)), W * H, W * H + CW * CH);
  buf.fill(128 + Math.round(60 * Math.cos(n / 40)), W * H + CW * CH);
  return new VideoFrame(buf, W, H, VideoBufferType.I420);
}

// Frame n is due at t0 + n / fps and stamped with that time on the wall clock
// (in µs, the clock rtc-node uses for a timestamp of 0). A late timer catches
// up with at most MAX_BURST frames at once and skips the rest.
const MAX_BURST = 3;
function startVideo(source) {
  const period = 1000 / FPS, t0 = performance.now(), epochUs = Date.now() * 1000;
  let n = 0;
  const tick = () => {
    if (stopping) return;
    let due = Math.floor((performance.now() - t0) / period) + 1 - n;
    if (due > MAX_BURST) { n += due - MAX_BURST; due = MAX_BURST; }
    for (; due > 0; due--, n++) {
      source.captureFrame(makeFrame(n), BigInt(Math.round(epochUs + n * period * 1000)));
      ++count.captured;
    }
    videoTimer = setTimeout(tick, Math.max(0, t0 + n * period - performance.now()));
  };
  tick();
}

// 10 ms frames of a continuous 440 Hz sine, at most ~100 ms ahead of real time (as bench/soak_lk.mjs).
async function pumpAudio(source) {
  const sr = 48000, n = 480, amp = 0.3 * 32767, step = (2 * Math.PI * 440) / sr, start = Date.now();
  let phase = 0, sent = 0;
  while (!stopping) {
    const data = new Int16Array(n);
    for (let k = 0; k < n; k++) { data[k] = Math.round(amp * Math.sin(phase)); phase += step; }
    phase %= 2 * Math.PI;
    await source.captureFrame(new AudioFrame(data, sr, 1, n));
    const ahead = ++sent * 10 - (Date.now() - start);
    if (ahead > 100) await sleep(ahead - 100);
  }
}

async function start() {
  await withTimeout(sub.connect(args.url, await token('lk-sub', false), { autoSubscribe: true }), 15000, 'lk-sub connect');
  await withTimeout(pub.connect(args.url, await token('lk-pub', true), { autoSubscribe: false }), 15000, 'lk-pub connect');
  const vsource = new VideoSource(W, H), asource = new AudioSource(48000, 1);
  const publish = (track, opts, what) => withTimeout(pub.localParticipant.publishTrack(track, new TrackPublishOptions(opts)),
    10000, `publish ${what}`);
  await publish(LocalVideoTrack.createVideoTrack('lk-camera', vsource),
    { source: TrackSource.SOURCE_CAMERA, simulcast: false }, 'video');
  await publish(LocalAudioTrack.createAudioTrack('lk-mic', asource), { source: TrackSource.SOURCE_MICROPHONE }, 'audio');
  startVideo(vsource);
  pumpAudio(asource).catch((e) => { if (!stopping) finish(1, { error: `audio captureFrame: ${errMsg(e)}` }); });
  log(`both rooms in; lk-pub sends ${W}x${H} at ${FPS} fps and a 440 Hz sine`);
  await until(() => stopping || (count.video >= 30 && count.audio >= 100), 40000);
  const s = await snap();
  if (stopping) return;
  if (s.video.received === null) log(`WARNING: no inbound-rtp of lk-sub is one of ${[...lkPubSids]}: no RTP figures`);
  say({ ready: true });
  log(`ready: ${JSON.stringify(s)}`);
}

// Per field, pick(entry) summed over the entries (width and bitrate: the largest); null when no entry has it.
function fields(entries, picks) {
  const out = {};
  for (const [k, pick] of Object.entries(picks)) {
    const vals = entries.map(pick).filter((v) => v !== undefined && v !== null).map(Number);
    out[k] = !vals.length ? null : (k === 'width' || k === 'bitrate') ? Math.max(...vals) : vals.reduce((a, b) => a + b);
  }
  return out;
}
// The values of one case of RtcStats (@livekit/rtc-ffi-bindings proto/stats_pb), of one kind.
const entries = (list, c, kind) => (list ?? []).filter((s) => s.stats.case === c && s.stats.value.stream?.kind === kind)
  .map((s) => s.stats.value);

async function snap() {
  const [subRes, pubRes] = await Promise.allSettled([withTimeout(sub.getRtcStats(), 3000, 'lk-sub stats'),
    withTimeout(pub.getRtcStats(), 3000, 'lk-pub stats')]);
  // lk-pub's streams by track id; when the SDK names them otherwise, every
  // inbound stream of the kind (its room has no other publisher).
  const inbound = (kind) => {
    // /rtc/v1 is one PeerConnection: the SDK may file what it receives under
    // publisherStats, so both lists are searched.
    const all = entries([...(subRes.value?.subscriberStats ?? []), ...(subRes.value?.publisherStats ?? [])],
      'inboundRtp', kind);
    const mine = all.filter((v) => lkPubSids.has(v.inbound?.trackIdentifier));
    return mine.length ? mine : all;
  };
  const out = {
    t: Date.now(),
    video: { frames: count.video, ...fields(inbound('video'), { received: (v) => v.received?.packetsReceived,
      lost: (v) => v.received?.packetsLost, nacks: (v) => v.inbound?.nackCount, decoded: (v) => v.inbound?.framesDecoded,
      freezes: (v) => v.inbound?.freezeCount,
      keyframes: (v) => v.inbound?.keyFramesDecoded, plis: (v) => v.inbound?.pliCount,
      width: (v) => v.inbound?.frameWidth }) },
    audio: { frames: count.audio, ...fields(inbound('audio'), { received: (v) => v.received?.packetsReceived,
      lost: (v) => v.received?.packetsLost, concealed: (v) => v.inbound?.concealedSamples }) },
    pub: { captured: count.captured, ...fields(entries(pubRes.value?.publisherStats, 'outboundRtp', 'video'), { video_sent: (v) => v.sent?.packetsSent,
      rtx: (v) => v.outbound?.retransmittedPacketsSent, nacks: (v) => v.outbound?.nackCount,
      frames: (v) => v.outbound?.framesSent, encoded: (v) => v.outbound?.framesEncoded, keyframes: (v) => v.outbound?.keyFramesEncoded,
      plis: (v) => v.outbound?.pliCount, bitrate: (v) => v.outbound?.targetBitrate }) },
    reconnects: { ...reconnects },
    connected: { pub: pub.connectionState === ConnectionState.CONN_CONNECTED,
      sub: sub.connectionState === ConnectionState.CONN_CONNECTED },
  };
  const errs = [subRes, pubRes].filter((r) => r.status === 'rejected').map((r) => errMsg(r.reason));
  if (errs.length) out.stats_error = errs.join('; ');
  return out;
}

// Both rooms leave (5 s each: rtc-node's disconnect can hang), then `last` on stdout and exit `code`.
let finishing = null;
function finish(code, last) {
  if (finishing) return finishing;
  if (last.error) log(`FATAL: ${last.error}`);
  stopping = true;
  clearTimeout(videoTimer);
  setTimeout(() => say(last, () => process.exit(code)), 15000);
  finishing = (async () => {
    for (const r of readers) r.cancel().catch(() => {});
    await Promise.all([[pub, 'lk-pub'], [sub, 'lk-sub']].map(([room, name]) =>
      withTimeout(room.disconnect(), 5000, `${name} disconnect`).catch((e) => log(errMsg(e)))));
    await withTimeout(dispose(), 3000, 'dispose').catch((e) => log(errMsg(e)));
    say(last, () => process.exit(code));
  })();
  return finishing;
}

process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));
process.on('uncaughtException', (e) => finish(1, { error: `uncaught exception: ${e?.stack ?? e}` }));

let queue = Promise.resolve();  // one command after the other
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = line.trim();
  queue = queue.then(async () => {
    if (cmd === 'snap') say(await snap());
    else if (cmd === 'stop') await finish(0, { stopped: true });
    else if (cmd) log(`unknown command ignored: ${cmd}`);
  }).catch((e) => finish(1, { error: `${cmd}: ${errMsg(e)}` }));
});
rl.on('close', () => { queue = queue.then(() => finish(0, { stopped: true })); });

log(`url=${args.url} room=${args.room} ${W}x${H} at ${FPS} fps`);
withTimeout(start(), 40000, 'ready (both rooms in, 30 video and 100 audio frames at lk-sub)')
  .catch((e) => finish(1, { error: `${errMsg(e)} (video frames ${count.video}, audio frames ${count.audio})` }));
