// churn.mjs - participant churn against edgesfu with LiveKit SDK bots.
// Two subscribe-only listeners stay for the whole run; a pool of --bots publishers (churn-0..N-1,
// each a sine at 300 + 40*i Hz) is connected/disconnected at random (seeded PRNG) every 0.5-1.5 s
// for --seconds, with at most --max-connected bots connected at once. Afterwards the connected set is
// left as it is, the room is given up to 10 s to settle, and each listener must (a) see every connected
// bot with a subscribed audio track, (b) hear it (frames > 50, RMS > 300, dominant tone = the bot's
// own frequency) and (c) not see any disconnected bot in remoteParticipants.
// Usage: node churn.mjs --url ws://198.18.0.2:7880 --key devkey --secret S --room churn --seconds 40 --bots 12 --seed 1
//        [--max-connected 8] [--listen-ms 1500] [--bot-subscribe 1]
// Result: one JSON line {"ok":..} as the LAST stdout line (lk-rtc's own pino logs also go to stdout).
// Exit 0 when ok, 1 otherwise, 2 on bad arguments.
import {
  AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent,
  TrackKind, TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';

const args = {
  url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'churn', seconds: '40', bots: '12', seed: '1',
  'max-connected': '8', 'listen-ms': '1500', 'bot-subscribe': '1',
};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error('usage: node churn.mjs --url U --key K --secret S [--room R] [--seconds N] [--bots N] [--seed N]'
      + ` [--max-connected N] [--listen-ms MS] [--bot-subscribe 0|1] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
const SECONDS = Number(args.seconds);
const NBOTS = Number(args.bots);
const SEED = Number(args.seed);
const MAX_CONNECTED = Number(args['max-connected']);
const LISTEN_MS = Number(args['listen-ms']);
const BOT_SUBSCRIBE = args['bot-subscribe'] !== '0';
if (!args.secret || !(SECONDS > 0) || !(NBOTS >= 1) || !Number.isInteger(NBOTS) || !Number.isFinite(SEED)
  || !(MAX_CONNECTED >= 1) || !(LISTEN_MS >= 500)) {
  console.error('churn: --secret, a positive --seconds, an integer --bots >= 1, a numeric --seed, --max-connected >= 1 and --listen-ms >= 500 are required');
  process.exit(2);
}

const CONNECT_TIMEOUT_MS = 15000;
const PUBLISH_TIMEOUT_MS = 10000;
const DISCONNECT_TIMEOUT_MS = 8000;
const DRAIN_TIMEOUT_MS = 30000; // in-flight connects/disconnects after churning stops
const SETTLE_MS = 10000;
const SOFT_TIMEOUT_S = SECONDS + 50; // finish(false) with cleanup
const HARD_TIMEOUT_S = SECONDS + 60; // print the result and exit, no matter what

const T0 = Date.now();
const log = (...a) => console.error(`[churn +${((Date.now() - T0) / 1000).toFixed(2)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

// mulberry32: small seeded PRNG, uniform in [0, 1).
function mulberry32(a) {
  a >>>= 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];

const allRooms = new Set(); // every Room that may still be connected; disconnected at the end
const stats = {
  connect_attempts: 0, connects: 0, disconnects: 0, connect_failures: 0, disconnect_failures: 0,
  unexpected_disconnects: 0, pump_errors: 0, max_concurrent: 0, ops: 0,
};
const failures = []; // details, bounded
function noteFailure(identity, stage, err) {
  const error = err?.message ?? String(err);
  log(`FAILURE ${identity} ${stage}: ${error}`);
  if (failures.length < 30) failures.push({ identity, stage, error, t: Number(((Date.now() - T0) / 1000).toFixed(2)) });
}

const result = {
  ok: false, connects: 0, disconnects: 0, connect_failures: 0, present: [], listeners: [], reason: '',
};
let stopping = false;
let churnDone = false;

function fillResult() {
  Object.assign(result, {
    connects: stats.connects, disconnects: stats.disconnects, connect_failures: stats.connect_failures,
    connect_attempts: stats.connect_attempts, disconnect_failures: stats.disconnect_failures,
    unexpected_disconnects: stats.unexpected_disconnects, pump_errors: stats.pump_errors,
    max_concurrent: stats.max_concurrent, ops: stats.ops, failures,
    seed: SEED, bots: NBOTS, seconds: SECONDS, max_connected: MAX_CONNECTED,
  });
}

let emitted = false;
function emit() {
  if (emitted) return;
  emitted = true;
  fillResult();
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function finish(ok, reason) {
  if (stopping) return;
  stopping = true;
  result.ok = ok; result.reason = reason;
  log(`finishing ok=${ok}: ${reason}`);
  setTimeout(() => { log('cleanup backstop'); emit(); process.exit(ok ? 0 : 1); }, 8000);
  await Promise.all([...allRooms].map((r) => withTimeout(r.disconnect(), 4000, 'disconnect').catch((e) => log('disconnect:', e.message))));
  for (const b of bots) if (b.sess?.track) await withTimeout(b.sess.track.close(), 1000, 'track close').catch(() => {});
  await withTimeout(dispose(), 3000, 'dispose').catch((e) => log('dispose:', e.message));
  emit();
  process.stdout.write('', () => process.exit(ok ? 0 : 1));
}

setTimeout(() => { log('global timeout'); finish(false, `global timeout (${SOFT_TIMEOUT_S} s)`); }, SOFT_TIMEOUT_S * 1000);
setTimeout(() => {
  log('hard global timeout');
  if (!result.reason) result.reason = `hard global timeout (${HARD_TIMEOUT_S} s)`;
  result.ok = false;
  emit();
  process.exit(1);
}, HARD_TIMEOUT_S * 1000);
process.on('unhandledRejection', (e) => finish(false, `unhandled rejection: ${e?.message ?? e}`));
process.on('uncaughtException', (e) => finish(false, `uncaught exception: ${e?.message ?? e}`));

async function token(identity, canPublish) {
  const at = new AccessToken(args.key, args.secret, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room: args.room, canPublish, canSubscribe: true });
  return at.toJwt();
}

// ---------------------------------------------------------------- churning publisher bots

const bots = Array.from({ length: NBOTS }, (_, i) => ({
  i, identity: `churn-${i}`, hz: 300 + 40 * i,
  state: 'down', // down | connecting | up | disconnecting
  sess: null,
}));
const HZ = new Map(bots.map((b) => [b.identity, b.hz]));
const countState = (...s) => bots.filter((b) => s.includes(b.state)).length;

// Feed continuous-phase 10 ms sine frames until sess.stop.
function startPump(bot, sess) {
  sess.pump = (async () => {
    const sr = 48000, n = 480, amp = 0.3 * 32767, step = (2 * Math.PI * bot.hz) / sr;
    let phase = 0, sent = 0;
    const start = Date.now();
    while (!sess.stop && !stopping) {
      const data = new Int16Array(n);
      for (let k = 0; k < n; k++) { data[k] = Math.round(amp * Math.sin(phase)); phase += step; }
      phase %= 2 * Math.PI;
      await sess.source.captureFrame(new AudioFrame(data, sr, 1, n));
      sent++;
      const ahead = sent * 10 - (Date.now() - start); // never run more than ~100 ms ahead of real time
      if (ahead > 100) await sleep(ahead - 100);
    }
  })().catch((e) => {
    if (sess.stop || stopping) return;
    stats.pump_errors++;
    noteFailure(bot.identity, 'captureFrame', e);
  });
}

async function closeSessMedia(sess) {
  sess.stop = true;
  if (sess.pump) await withTimeout(sess.pump, 1000, 'pump stop').catch(() => {});
  if (sess.track) await withTimeout(sess.track.close(), 1000, 'track close').catch(() => {});
  else if (sess.source) await withTimeout(sess.source.close(), 1000, 'source close').catch(() => {});
}

async function connectBot(bot) {
  bot.state = 'connecting';
  stats.connect_attempts++;
  const room = new Room(); // fresh Room for every connect
  const sess = { room, source: null, track: null, pump: null, stop: false, closing: false };
  bot.sess = sess;
  allRooms.add(room);
  room.on(RoomEvent.Disconnected, (reason) => {
    if (sess.closing || stopping || bot.sess !== sess) return;
    stats.unexpected_disconnects++;
    noteFailure(bot.identity, 'unexpected-disconnect', `Disconnected event (reason ${reason}) in state ${bot.state}`);
    allRooms.delete(room);
    if (bot.state === 'up') {
      bot.state = 'down';
      bot.sess = null;
      closeSessMedia(sess).catch(() => {});
    }
    // in 'connecting' the pending connect/publish fails and connectBot cleans up
  });
  room.on(RoomEvent.Reconnecting, () => log(`${bot.identity}: reconnecting`));
  room.on(RoomEvent.Reconnected, () => log(`${bot.identity}: reconnected`));

  log(`${bot.identity}: connecting (${countState('up')} up, ${countState('connecting')} connecting)`);
  const t = Date.now();
  const cp = (async () => room.connect(args.url, await token(bot.identity, true), { autoSubscribe: BOT_SUBSCRIBE, joinRetries: 0 }))();
  try {
    await withTimeout(cp, CONNECT_TIMEOUT_MS, `${bot.identity} connect`);
  } catch (e) {
    stats.connect_failures++;
    noteFailure(bot.identity, 'connect', e);
    sess.closing = true;
    // If the connect completes after our timeout, do not leave a ghost participant behind.
    cp.then(() => room.disconnect()).then(() => allRooms.delete(room), () => {}).catch(() => {});
    if (bot.sess === sess) bot.sess = null;
    bot.state = 'down';
    return;
  }
  stats.connects++;
  log(`${bot.identity}: connected in ${Date.now() - t} ms, sid=${room.localParticipant?.sid}`);

  try {
    sess.source = new AudioSource(48000, 1);
    sess.track = LocalAudioTrack.createAudioTrack(`sine-${bot.hz}`, sess.source);
    const opts = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
    const pub = await withTimeout(room.localParticipant.publishTrack(sess.track, opts), PUBLISH_TIMEOUT_MS, `${bot.identity} publish`);
    if (!room.isConnected) throw new Error('room disconnected while publishing');
    log(`${bot.identity}: published ${bot.hz} Hz track sid=${pub.sid}`);
  } catch (e) {
    stats.connect_failures++;
    noteFailure(bot.identity, 'publish', e);
    sess.closing = true;
    await closeSessMedia(sess);
    await withTimeout(room.disconnect(), DISCONNECT_TIMEOUT_MS, `${bot.identity} disconnect after failed publish`)
      .then(() => allRooms.delete(room), (err) => log(`${bot.identity}: ${err.message}`));
    if (bot.sess === sess) bot.sess = null;
    bot.state = 'down';
    return;
  }
  startPump(bot, sess);
  bot.state = 'up';
  const up = countState('up');
  if (up > stats.max_concurrent) stats.max_concurrent = up;
}

async function disconnectBot(bot) {
  const sess = bot.sess;
  bot.state = 'disconnecting';
  sess.closing = true;
  log(`${bot.identity}: disconnecting`);
  sess.stop = true;
  if (sess.pump) await withTimeout(sess.pump, 1000, 'pump stop').catch(() => {});
  try {
    await withTimeout(sess.room.disconnect(), DISCONNECT_TIMEOUT_MS, `${bot.identity} disconnect`);
    stats.disconnects++;
    allRooms.delete(sess.room);
    log(`${bot.identity}: disconnected`);
  } catch (e) {
    stats.disconnect_failures++;
    noteFailure(bot.identity, 'disconnect', e);
  }
  await closeSessMedia(sess);
  if (bot.sess === sess) bot.sess = null;
  bot.state = 'down';
}

// ---------------------------------------------------------------- listeners

// LK_RUST_LOG=1: print the Rust SDK's own log records (rtc-node captures them and sends them as FFI
// `logs` events that it does not print itself) on stderr, to see what the client made of an answer.
let rustLogHooked = false;
function hookRustLog() {
  if (rustLogHooked || !process.env.LK_RUST_LOG || !globalThis._ffiClientInstance) return;
  rustLogHooked = true;
  globalThis._ffiClientInstance.on('ffi_event', (ev) => {
    if (ev.message?.case !== 'logs') return;
    for (const r of ev.message.value.records) log(`rust ${r.level} ${r.target}: ${r.message}`);
  });
}

async function startListener(identity) {
  const room = new Room();
  allRooms.add(room);
  hookRustLog();
  const L = { identity, room, subscribed: 0, unsubscribed: 0 };
  room.on(RoomEvent.TrackSubscribed, (track, pub, p) => {
    L.subscribed++;
    if (!stopping && !churnDone) return;
    log(`${identity}: TrackSubscribed ${p.identity} kind=${track.kind} sid=${pub.sid}`);
  });
  room.on(RoomEvent.TrackUnsubscribed, () => { L.unsubscribed++; });
  room.on(RoomEvent.TrackSubscriptionFailed, (sid, p, reason) => log(`${identity}: subscription failed ${sid} from ${p?.identity}: ${reason}`));
  room.on(RoomEvent.Reconnecting, () => log(`${identity}: reconnecting`));
  room.on(RoomEvent.Reconnected, () => log(`${identity}: reconnected`));
  room.on(RoomEvent.Disconnected, (reason) => { if (!stopping) finish(false, `${identity} disconnected (reason ${reason})`); });
  log(`${identity}: connecting to ${args.url} room=${args.room}`);
  await withTimeout(room.connect(args.url, await token(identity, false), { autoSubscribe: true, joinRetries: 0 }),
    CONNECT_TIMEOUT_MS, `${identity} connect`);
  log(`${identity}: connected, sid=${room.localParticipant?.sid}`);
  return L;
}

const findParticipant = (room, id) => [...room.remoteParticipants.values()].find((p) => p.identity === id);
function subscribedAudio(room, id) {
  const p = findParticipant(room, id);
  if (!p) return null;
  for (const pub of p.trackPublications.values()) {
    if (pub.kind === TrackKind.KIND_AUDIO && pub.subscribed && pub.track) return pub;
  }
  return null;
}

// Goertzel power of frequency f over x (sample rate sr).
function goertzel(x, n, sr, f) {
  const c = 2 * Math.cos((2 * Math.PI * f) / sr);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const s = x[i] + c * s1 - s2; s2 = s1; s1 = s; }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

// Read ~ms of audio from a remote track; RMS and tone over everything after 20 warm-up frames.
async function listen(track, label, ms) {
  const reader = new AudioStream(track).getReader();
  const buf = new Float32Array(Math.ceil((ms / 1000 + 1) * 48000));
  let frames = 0, sumsq = 0, count = 0, sr = 48000, error;
  const end = Date.now() + ms;
  try {
    while (Date.now() < end) {
      const r = await withTimeout(reader.read(), 2000, `${label}: no audio frame for 2 s`);
      if (r.done) { error = 'stream ended early'; break; }
      const fr = r.value;
      frames++;
      if (frames <= 20) continue; // skip decoder / jitter-buffer warm-up
      sr = fr.sampleRate;
      for (let i = 0; i < fr.samplesPerChannel; i++) {
        const v = fr.data[i * fr.channels];
        sumsq += v * v;
        if (count < buf.length) buf[count] = v;
        count++;
      }
    }
  } catch (e) {
    error = e.message;
  } finally {
    reader.cancel().catch(() => {});
  }
  const n = Math.min(count, buf.length);
  let dominant = 0, best = 0;
  if (n > 0) {
    for (const f of HZ.values()) {
      const p = goertzel(buf, n, sr, f);
      if (p > best) { best = p; dominant = f; }
    }
  }
  const out = { frames, rms: count ? Math.round(Math.sqrt(sumsq / count)) : 0, dominant_hz: dominant };
  if (error) out.error = error;
  log(`${label}: ${JSON.stringify(out)}`);
  return out;
}

// ---------------------------------------------------------------- main

async function main() {
  log(`seed=${SEED} bots=${NBOTS} seconds=${SECONDS} max_connected=${MAX_CONNECTED} bot_subscribe=${BOT_SUBSCRIBE}`);
  const listeners = [await startListener('listener-0'), await startListener('listener-1')];

  // Churn.
  const inflight = new Set();
  const run = (fn, bot) => {
    stats.ops++;
    const p = fn(bot).catch((e) => noteFailure(bot.identity, 'op', e)).finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const churnEnd = Date.now() + SECONDS * 1000;
  let lastStatus = 0;
  while (!stopping) {
    await sleep(500 + rnd() * 1000);
    if (stopping || Date.now() >= churnEnd) break;
    const idle = bots.filter((b) => b.state === 'down' || b.state === 'up');
    if (idle.length === 0) continue;
    let b = pick(idle);
    if (b.state === 'down') {
      if (countState('up', 'connecting') >= MAX_CONNECTED) {
        const ups = bots.filter((x) => x.state === 'up');
        if (ups.length === 0) continue;
        b = pick(ups);
        run(disconnectBot, b);
      } else {
        run(connectBot, b);
      }
    } else {
      run(disconnectBot, b);
    }
    if (Date.now() - lastStatus > 5000) {
      lastStatus = Date.now();
      log(`status: up=${countState('up')} connecting=${countState('connecting')} disconnecting=${countState('disconnecting')} `
        + `connects=${stats.connects} disconnects=${stats.disconnects} connect_failures=${stats.connect_failures} max=${stats.max_concurrent}`);
    }
  }
  if (stopping) return;
  churnDone = true;
  log(`churn over after ${stats.ops} ops; waiting for ${inflight.size} in-flight operations`);
  await withTimeout(Promise.allSettled([...inflight]), DRAIN_TIMEOUT_MS, 'in-flight operations').catch((e) => log(e.message));
  if (stopping) return;

  const problems = [];
  const stuck = bots.filter((b) => b.state === 'connecting' || b.state === 'disconnecting');
  for (const b of stuck) problems.push(`${b.identity} stuck ${b.state}`);
  const present = bots.filter((b) => b.state === 'up').map((b) => b.identity);
  const absent = bots.filter((b) => b.state === 'down').map((b) => b.identity);
  result.present = present;
  log(`present (${present.length}): ${present.join(' ') || '-'}`);

  // Settle: every present bot subscribed at both listeners (and, when bots subscribe, at every other
  // present bot), no absent bot visible anywhere.
  const settleEnd = Date.now() + SETTLE_MS;
  const viewers = () => [...listeners.map((L) => ({ identity: L.identity, room: L.room })),
    ...(BOT_SUBSCRIBE ? bots.filter((b) => b.state === 'up' && b.sess).map((b) => ({ identity: b.identity, room: b.sess.room })) : [])];
  const viewOk = (v) => present.every((id) => id === v.identity || subscribedAudio(v.room, id))
    && absent.every((id) => !findParticipant(v.room, id));
  const settled = () => viewers().every(viewOk);
  while (!stopping && !settled() && Date.now() < settleEnd) await sleep(250);
  if (stopping) return;
  log(settled() ? `settled after ${Date.now() - (settleEnd - SETTLE_MS)} ms` : `not settled after ${SETTLE_MS} ms`);

  // Check presence, then listen to every subscribed present bot at both listeners concurrently.
  const reads = [];
  for (const L of listeners) {
    const entry = { identity: L.identity, heard: {}, missing: [], stale: [] };
    result.listeners.push(entry);
    for (const id of absent) if (findParticipant(L.room, id)) entry.stale.push(id);
    for (const id of present) {
      const pub = subscribedAudio(L.room, id);
      if (!pub) {
        const p = findParticipant(L.room, id);
        entry.missing.push(id);
        problems.push(`${L.identity}: ${id} ${p ? `has no subscribed audio track (${p.trackPublications.size} publications)` : 'not in remoteParticipants'}`);
        continue;
      }
      reads.push(listen(pub.track, `${L.identity}<-${id}`, LISTEN_MS)
        .catch((e) => ({ frames: 0, rms: 0, dominant_hz: 0, error: e?.message ?? String(e) }))
        .then((r) => { entry.heard[id] = r; }));
    }
    if (entry.stale.length) problems.push(`${L.identity}: disconnected bots still in remoteParticipants: ${entry.stale.join(' ')}`);
  }
  // The bots' own view (subscription only; the listeners check what is heard).
  result.bot_views = 0;
  for (const v of viewers().slice(listeners.length)) {
    result.bot_views++;
    const missing = present.filter((id) => id !== v.identity && !subscribedAudio(v.room, id));
    const stale = absent.filter((id) => findParticipant(v.room, id));
    if (missing.length) problems.push(`${v.identity} has no subscribed audio track from ${missing.join(' ')}`);
    if (stale.length) problems.push(`${v.identity} still sees disconnected ${stale.join(' ')}`);
  }
  await Promise.all(reads);
  for (const entry of result.listeners) {
    for (const [id, r] of Object.entries(entry.heard)) {
      const bad = [];
      if (r.frames <= 50) bad.push(`${r.frames} frames`);
      if (r.rms <= 300) bad.push(`rms ${r.rms}`);
      if (r.dominant_hz !== HZ.get(id)) bad.push(`dominant ${r.dominant_hz} Hz, expected ${HZ.get(id)}`);
      if (bad.length) {
        entry.missing.push(id);
        problems.push(`${entry.identity} does not hear ${id}: ${bad.join(', ')}${r.error ? ` (${r.error})` : ''}`);
      }
    }
  }

  if (stats.connect_failures) problems.unshift(`${stats.connect_failures} connect failures`);
  if (stats.disconnect_failures) problems.push(`${stats.disconnect_failures} disconnect failures`);
  if (stats.unexpected_disconnects) problems.push(`${stats.unexpected_disconnects} unexpected bot disconnects`);
  for (const L of listeners) log(`${L.identity}: TrackSubscribed ${L.subscribed}, TrackUnsubscribed ${L.unsubscribed}`);
  await finish(problems.length === 0, problems.length ? problems.join('; ') : `${present.length} present bots heard by both listeners`);
}

main().catch((e) => finish(false, e?.message ?? String(e)));
