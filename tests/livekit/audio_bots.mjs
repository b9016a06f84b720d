// audio_bots.mjs - LiveKit SDK bots against edgesfu: "speaker" (440 Hz) and "late" (660 Hz)
// publish sine tones; "listener" subscribes to both and checks it hears the right tone.
// Usage: node audio_bots.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room bots] [--seconds 6]
// Result: one JSON line {"ok":..} as the LAST stdout line (lk-rtc's own pino logs also go to stdout).
import {
  AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent,
  TrackKind, TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'bots', seconds: '6' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error(`usage: node audio_bots.mjs --url U --key K --secret S [--room R] [--seconds N] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
const SECONDS = Number(args.seconds);
if (!args.secret || !(SECONDS > 0)) { console.error('audio_bots: --secret and a positive --seconds are required'); process.exit(2); }

const T0 = Date.now();
const log = (...a) => console.error(`[audio_bots +${((Date.now() - T0) / 1000).toFixed(2)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

const rooms = [];
const result = { ok: false, speaker: null, late: null, active_speakers: [], reason: '' };
let stopping = false;

async function finish(ok, reason) {
  if (stopping) return;
  stopping = true;
  result.ok = ok; result.reason = reason;
  setTimeout(() => { emit(); process.exit(ok ? 0 : 1); }, 10000); // backstop if cleanup hangs
  for (const r of rooms) await withTimeout(r.disconnect(), 3000, 'disconnect').catch((e) => log('disconnect:', e.message));
  await withTimeout(dispose(), 3000, 'dispose').catch((e) => log('dispose:', e.message));
  emit();
  process.stdout.write('', () => process.exit(ok ? 0 : 1));
}
let emitted = false;
function emit() { if (!emitted) { emitted = true; process.stdout.write(JSON.stringify(result) + '\n'); } }

setTimeout(() => { log('global timeout'); finish(false, `global timeout (${SECONDS + 40} s)`); }, (SECONDS + 40) * 1000);
process.on('unhandledRejection', (e) => finish(false, `unhandled rejection: ${e?.message ?? e}`));
process.on('uncaughtException', (e) => finish(false, `uncaught exception: ${e?.message ?? e}`));

async function token(identity) {
  const at = new AccessToken(args.key, args.secret, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

async function connect(identity) {
  const room = new Room();
  rooms.push(room);
  log(`${identity}: connecting to ${args.url} room=${args.room}`);
  await withTimeout(room.connect(args.url, await token(identity)), 15000, `${identity} connect`);
  log(`${identity}: connected, participant sid=${room.localParticipant?.sid}`);
  return room;
}

// Publisher bot: publish a sine track and keep feeding 10 ms frames (continuous phase) until stop.
async function toneBot(identity, hz) {
  const room = await connect(identity);
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('sine', source);
  const opts = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
  const pub = await withTimeout(room.localParticipant.publishTrack(track, opts), 15000, `${identity} publish`);
  log(`${identity}: published ${hz} Hz track sid=${pub.sid}`);
  (async () => {
    const sr = 48000, n = 480, amp = 0.3 * 32767, step = (2 * Math.PI * hz) / sr;
    let phase = 0, sent = 0;
    const start = Date.now();
    while (!stopping) {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) { data[i] = Math.round(amp * Math.sin(phase)); phase += step; }
      phase %= 2 * Math.PI;
      await source.captureFrame(new AudioFrame(data, sr, 1, n));
      sent++;
      const ahead = sent * 10 - (Date.now() - start); // never run more than ~100 ms ahead of real time
      if (ahead > 100) await sleep(ahead - 100);
    }
  })().catch((e) => { if (!stopping) finish(false, `${identity} captureFrame failed: ${e.message}`); });
  return room;
}

// Goertzel power of frequency f over block x (sample rate sr).
function goertzel(x, sr, f) {
  const c = 2 * Math.cos((2 * Math.PI * f) / sr);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < x.length; i++) { const s = x[i] + c * s1 - s2; s2 = s1; s1 = s; }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}
const PROBES = [200, 300, 440, 550, 660, 800, 1000, 1500, 2000];

// Read `seconds` of audio from a remote track; onReceiving() fires after 50 frames.
async function listen(track, label, onReceiving = () => {}) {
  const reader = new AudioStream(track).getReader();
  const power = new Map(PROBES.map((f) => [f, 0]));
  const block = new Float64Array(4800); // 100 ms blocks at 48 kHz -> 10 Hz resolution
  let frames = 0, sumsq = 0, count = 0, fill = 0, sr = 48000;
  const end = Date.now() + SECONDS * 1000;
  try {
    while (Date.now() < end) {
      const r = await withTimeout(reader.read(), 3000, `${label}: no audio frame for 3 s`);
      if (r.done) { log(`${label}: stream ended early`); break; }
      const fr = r.value;
      frames++;
      if (frames === 1) log(`${label}: first frame sr=${fr.sampleRate} ch=${fr.channels} spc=${fr.samplesPerChannel}`);
      if (frames === 50) onReceiving();
      if (frames <= 20) continue; // skip decoder / jitter-buffer warm-up
      sr = fr.sampleRate;
      for (let i = 0; i < fr.samplesPerChannel; i++) {
        const v = fr.data[i * fr.channels];
        sumsq += v * v; count++;
        block[fill++] = v;
        if (fill === block.length) {
          for (const f of PROBES) power.set(f, power.get(f) + goertzel(block, sr, f));
          fill = 0;
        }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  onReceiving();
  let dominant = 0, best = -1;
  for (const [f, p] of power) if (p > best) { best = p; dominant = f; }
  const rms = count ? Math.round(Math.sqrt(sumsq / count)) : 0;
  const out = { frames, rms, dominant_hz: best > 0 ? dominant : 0 };
  log(`${label}: done ${JSON.stringify(out)}`);
  return out;
}

async function main() {
  await toneBot('speaker', 440);

  const listener = new Room();
  const subs = new Map(); // identity -> { track, pub, participant }
  const waiters = new Map();
  listener.on(RoomEvent.TrackSubscribed, (track, pub, participant) => {
    log(`listener: TrackSubscribed from ${participant.identity} kind=${track.kind} track sid=${pub.sid}`);
    if (track.kind !== TrackKind.KIND_AUDIO || subs.has(participant.identity)) return;
    subs.set(participant.identity, { track, pub, participant });
    waiters.get(participant.identity)?.();
  });
  listener.on(RoomEvent.TrackSubscriptionFailed, (sid, p, reason) => log(`listener: subscription failed ${sid} from ${p?.identity}: ${reason}`));
  listener.on(RoomEvent.Disconnected, (reason) => { if (!stopping) finish(false, `listener disconnected (reason ${reason})`); });
  // Active speakers as the server reports them (SpeakersChanged): the bots'
  // sines are loud and continuous, so each must be named while it plays.
  const spoke = new Set();
  listener.on(RoomEvent.ActiveSpeakersChanged, (speakers) => {
    for (const p of speakers) spoke.add(p.identity);
    log(`listener: active speakers [${speakers.map((p) => `${p.identity}:${p.audioLevel?.toFixed?.(2)}`).join(' ')}]`);
  });
  // Connection quality as the server scores it: on this clean loopback the
  // speaker must be rated EXCELLENT (2) at least once.
  const quality = {};
  listener.on(RoomEvent.ConnectionQualityChanged, (q, p) => {
    (quality[p.identity] ??= []).push(q);
    log(`listener: connection quality of ${p.identity}: ${q}`);
  });
  const waitSub = (id) => withTimeout(new Promise((res) => {
    if (subs.has(id)) return res(subs.get(id));
    waiters.set(id, () => res(subs.get(id)));
  }), 15000, `listener TrackSubscribed (audio) from "${id}"`);

  rooms.push(listener);
  log('listener: connecting');
  await withTimeout(listener.connect(args.url, await token('listener')), 15000, 'listener connect');
  log(`listener: connected, participant sid=${listener.localParticipant?.sid}`);

  const spk = await waitSub('speaker');
  let receiving;
  const gotAudio = new Promise((r) => { receiving = r; });
  const speakerRead = listen(spk.track, 'speaker', receiving);
  speakerRead.catch(() => {});
  await withTimeout(Promise.race([gotAudio, speakerRead]), 10000, 'listener receiving 50 frames from speaker');
  log('listener: receiving speaker audio, starting late bot');

  await toneBot('late', 660);
  const lt = await waitSub('late');
  const [s, l] = await Promise.all([speakerRead, listen(lt.track, 'late')]);
  result.speaker = s; result.late = l;

  const problems = [];
  for (const id of ['speaker', 'late']) {
    const p = [...listener.remoteParticipants.values()].find((x) => x.identity === id);
    if (!p) { problems.push(`${id} missing from remoteParticipants`); continue; }
    if (!p.sid?.startsWith('PA_')) problems.push(`${id} sid "${p.sid}" not PA_`);
    const pubs = [...p.trackPublications.values()];
    if (pubs.length === 0) problems.push(`${id} has no track publications`);
    for (const pub of pubs) if (!pub.sid?.startsWith('TR_')) problems.push(`${id} track sid "${pub.sid}" not TR_`);
  }
  result.active_speakers = [...spoke];
  result.quality = quality;
  if (!(quality.speaker ?? []).includes(2)) problems.push(`speaker never rated EXCELLENT (${JSON.stringify(quality.speaker ?? [])})`);
  for (const id of ['speaker', 'late']) if (!spoke.has(id)) problems.push(`${id} was never an active speaker`);
  for (const [id, r, hz] of [['speaker', s, 440], ['late', l, 660]]) {
    if (r.frames < 100) problems.push(`${id}: only ${r.frames} frames`);
    if (r.rms <= 500) problems.push(`${id}: rms ${r.rms} <= 500`);
    if (r.dominant_hz !== hz) problems.push(`${id}: dominant ${r.dominant_hz} Hz, expected ${hz}`);
  }
  await finish(problems.length === 0, problems.join('; '));
}

main().catch((e) => finish(false, e?.message ?? String(e)));
