// room_rules.mjs - LiveKit SDK bots checking edgesfu's room rules: metadata/name/attribute updates
// (allowed and refused), track mute/unmute, canPublish:false, canSubscribe:false, duplicate identity
// and participant leave. One "observer" bot watches everything; each case is run in sequence in one room.
// Usage: node room_rules.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room rules]
// Result: one JSON line {"ok":..,"cases":{name:{ok,detail}}} as the LAST stdout line (lk-rtc's own pino
// logs also go to stdout). Exit 0 if every case passed, else 1.
import {
  AudioFrame, AudioSource, DisconnectReason, LocalAudioTrack, Room, RoomEvent,
  TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import * as ffiBindings from '@livekit/rtc-ffi-bindings';
import { AccessToken } from 'livekit-server-sdk';

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'rules' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error(`usage: node room_rules.mjs --url U --key K --secret S [--room R] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
if (!args.secret) { console.error('room_rules: --secret is required'); process.exit(2); }

const GLOBAL_TIMEOUT_MS = 120000;
const CONNECT_MS = 10000;   // room.connect
const OP_MS = 5000;         // setMetadata / setName / setAttributes / mute requests
const EVENT_MS = 8000;      // observer waiting for an event that must come

const T0 = Date.now();
const log = (...a) => console.error(`[room_rules +${((Date.now() - T0) / 1000).toFixed(2)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}
const errMsg = (e) => (e?.message ?? String(e));

// ---------------------------------------------------------------- result / shutdown
const CASES = ['metadata', 'metadata_refused', 'mute', 'no_can_publish', 'no_can_subscribe', 'duplicate_identity', 'participant_leaves'];
const cases = {};
const rooms = [];
let stopping = false;
let emitted = false;

function setCase(name, ok, detail) {
  if (emitted || name in cases) return;
  cases[name] = { ok: !!ok, detail: String(detail) };
  log(`CASE ${name}: ${ok ? 'PASS' : 'FAIL'} - ${detail}`);
}
function allOk() { return CASES.every((c) => cases[c]?.ok === true); }
function emit() {
  if (emitted) return;
  emitted = true;
  const out = {};
  for (const c of CASES) out[c] = cases[c] ?? { ok: false, detail: 'not run' };
  process.stdout.write(JSON.stringify({ ok: allOk(), cases: out }) + '\n');
}

async function finish(reason) {
  if (stopping) return;
  stopping = true;
  if (reason) log(`finishing: ${reason}`);
  for (const c of CASES) if (!(c in cases)) setCase(c, false, `not run${reason ? ` (${reason})` : ''}`);
  const code = allOk() ? 0 : 1;
  setTimeout(() => { emit(); process.exit(code); }, 12000); // backstop if cleanup hangs
  for (const r of rooms) {
    if (r.isConnected) await withTimeout(r.disconnect(), 3000, 'disconnect').catch((e) => log('disconnect:', errMsg(e)));
  }
  await withTimeout(dispose(), 3000, 'dispose').catch((e) => log('dispose:', errMsg(e)));
  emit();
  process.stdout.write('', () => process.exit(code));
}

setTimeout(() => { log('global timeout'); finish(`global timeout ${GLOBAL_TIMEOUT_MS / 1000} s`); }, GLOBAL_TIMEOUT_MS);
// A late rejection of a promise we already gave up on (timed-out SDK call) must not kill the run.
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));
process.on('uncaughtException', (e) => { log(`uncaught exception: ${e?.stack ?? e}`); finish(`uncaught exception: ${errMsg(e)}`); });

// ---------------------------------------------------------------- helpers
async function token(identity, grants = {}) {
  const at = new AccessToken(args.key, args.secret, { identity, name: identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true, ...grants });
  return at.toJwt();
}

async function connect(identity, grants = {}) {
  const room = new Room();
  rooms.push(room);
  log(`${identity}: connecting (${JSON.stringify(grants)})`);
  await withTimeout(room.connect(args.url, await token(identity, grants)), CONNECT_MS, `${identity} connect`);
  log(`${identity}: connected, participant sid=${room.localParticipant?.sid}`);
  return room;
}

async function leave(room, label) {
  if (!room || !room.isConnected) return;
  await withTimeout(room.disconnect(), 5000, `${label} disconnect`).catch((e) => log(`${label} disconnect: ${errMsg(e)}`));
}

const reasonName = (r) => (DisconnectReason?.[r] !== undefined ? `${DisconnectReason[r]}(${r})` : String(r));

// Publish a 10 ms-framed sine tone and keep feeding it until the room is gone or we stop.
async function publishTone(room, identity, hz, publishMs = 15000) {
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('sine', source);
  const opts = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
  const pub = await withTimeout(room.localParticipant.publishTrack(track, opts), publishMs, `${identity} publishTrack`);
  log(`${identity}: published ${hz} Hz track sid=${pub.sid}`);
  const ctl = { stop: false };
  (async () => {
    const sr = 48000, n = 480, amp = 0.3 * 32767, step = (2 * Math.PI * hz) / sr;
    let phase = 0, sent = 0;
    const start = Date.now();
    while (!stopping && !ctl.stop && room.isConnected) {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) { data[i] = Math.round(amp * Math.sin(phase)); phase += step; }
      phase %= 2 * Math.PI;
      await source.captureFrame(new AudioFrame(data, sr, 1, n));
      sent++;
      const ahead = sent * 10 - (Date.now() - start);
      if (ahead > 100) await sleep(ahead - 100);
    }
  })().catch((e) => { if (!stopping && !ctl.stop) log(`${identity}: captureFrame stopped: ${errMsg(e)}`); });
  return { room, identity, track, pub, ctl };
}

// rtc-node 1.1.0 has no public mute API on tracks or publications; the FFI server handles
// LocalTrackMuteRequest (the Rust SDK then sends MuteTrackRequest over signalling). Use a public
// mute()/unmute() if a future rtc-node adds one.
function setLocalMute(track, mute) {
  if (mute && typeof track.mute === 'function') return Promise.resolve(track.mute());
  if (!mute && typeof track.unmute === 'function') return Promise.resolve(track.unmute());
  const ffi = globalThis._ffiClientInstance;
  if (!ffi) throw new Error('FfiClient instance (globalThis._ffiClientInstance) not found');
  const Req = ffiBindings.LocalTrackMuteRequest ?? ffiBindings.default?.LocalTrackMuteRequest;
  if (!Req) throw new Error('LocalTrackMuteRequest not exported by @livekit/rtc-ffi-bindings');
  const res = ffi.request({ message: { case: 'localTrackMute', value: new Req({ trackHandle: track.ffi_handle.handle, mute }) } });
  return Promise.resolve(res);
}

// ---------------------------------------------------------------- observer event log
// Every observer event goes into `events`; waitEvent(pred, ms, since) looks at the log from index
// `since` and at future events, resolving with the event or null on timeout (never rejects).
const events = [];
const waiters = new Set();
function record(type, identity, data = {}) {
  const ev = { type, identity, ...data, t: Date.now() - T0 };
  events.push(ev);
  for (const w of [...waiters]) if (w.pred(ev)) { waiters.delete(w); w.resolve(ev); }
}
const mark = () => events.length;
function waitEvent(pred, ms, since = 0) {
  for (let i = since; i < events.length; i++) if (pred(events[i])) return Promise.resolve(events[i]);
  return new Promise((resolve) => {
    const w = { pred, resolve };
    waiters.add(w);
    setTimeout(() => { if (waiters.delete(w)) resolve(null); }, ms);
  });
}
async function pollUntil(cond, ms, step = 100) {
  const end = Date.now() + ms;
  for (;;) {
    let v;
    try { v = cond(); } catch { v = false; }
    if (v) return true;
    if (Date.now() >= end) return false;
    await sleep(step);
  }
}

let observer;
const remote = (identity) => observer.remoteParticipants.get(identity)
  ?? [...observer.remoteParticipants.values()].find((p) => p.identity === identity);

async function startObserver() {
  const room = new Room();
  rooms.push(room);
  room.on(RoomEvent.ParticipantConnected, (p) => { log(`observer: ParticipantConnected ${p.identity} sid=${p.sid}`); record('connected', p.identity, { sid: p.sid }); });
  room.on(RoomEvent.ParticipantDisconnected, (p) => { log(`observer: ParticipantDisconnected ${p.identity} sid=${p.sid}`); record('disconnected', p.identity, { sid: p.sid }); });
  room.on(RoomEvent.ParticipantMetadataChanged, (md, p) => { log(`observer: MetadataChanged ${p.identity} -> ${JSON.stringify(md)}`); record('metadata', p.identity, { value: md }); });
  room.on(RoomEvent.ParticipantNameChanged, (name, p) => { log(`observer: NameChanged ${p.identity} -> ${JSON.stringify(name)}`); record('name', p.identity, { value: name }); });
  room.on(RoomEvent.ParticipantAttributesChanged, (changed, p) => { log(`observer: AttributesChanged ${p.identity} -> ${JSON.stringify(changed)}`); record('attributes', p.identity, { value: changed }); });
  room.on(RoomEvent.TrackPublished, (pub, p) => { log(`observer: TrackPublished ${p?.identity} ${pub.sid}`); record('published', p?.identity, { sid: pub.sid }); });
  room.on(RoomEvent.TrackSubscribed, (track, pub, p) => { log(`observer: TrackSubscribed ${p.identity} ${pub.sid}`); record('subscribed', p.identity, { sid: pub.sid }); });
  room.on(RoomEvent.TrackMuted, (pub, p) => { log(`observer: TrackMuted ${p?.identity} ${pub.sid}`); record('muted', p?.identity, { sid: pub.sid }); });
  room.on(RoomEvent.TrackUnmuted, (pub, p) => { log(`observer: TrackUnmuted ${p?.identity} ${pub.sid}`); record('unmuted', p?.identity, { sid: pub.sid }); });
  room.on(RoomEvent.Disconnected, (reason) => { log(`observer: Disconnected reason=${reasonName(reason)}`); record('observer_disconnected', 'observer', { reason }); });
  log('observer: connecting');
  await withTimeout(room.connect(args.url, await token('observer')), CONNECT_MS, 'observer connect');
  log(`observer: connected, participant sid=${room.localParticipant?.sid}`);
  observer = room;
}

// Wait until the observer knows `identity` (already present or a ParticipantConnected arrives).
async function observerSees(identity, since, ms = EVENT_MS) {
  if (remote(identity)) return true;
  const ev = await waitEvent((e) => e.type === 'connected' && e.identity === identity, ms, since);
  return !!ev || !!remote(identity);
}

// ---------------------------------------------------------------- cases
async function caseMetadata() {
  const since = mark();
  const room = await connect('meta', { canUpdateOwnMetadata: true });
  const lp = room.localParticipant;
  const seen = await observerSees('meta', since);
  const problems = [];
  if (!seen) problems.push('observer never saw "meta" join');
  // One change at a time, each seen by the observer before the next: the
  // SDK's request for one field carries its local view of the others, which
  // catches up only when the server's update for the previous change arrives.
  const ops = [
    ['setMetadata', () => lp.updateMetadata('m1'),
      (e) => e.type === 'metadata' && e.identity === 'meta' && e.value === 'm1'],
    ['setName', () => lp.updateName('Meta Name'),
      (e) => e.type === 'name' && e.identity === 'meta' && e.value === 'Meta Name'],
    ['setAttributes', () => lp.setAttributes({ k: 'v' }),
      (e) => e.type === 'attributes' && e.identity === 'meta' && e.value?.k === 'v'],
  ];
  const seenEv = [];
  for (const [name, fn, want] of ops) {
    // What is checked is the server's part: the observer sees the change.
    // The SDK's own promise sometimes outlives OP_MS under load; that alone
    // is logged, not failed.
    let callError = '';
    try { await withTimeout(fn(), OP_MS, `meta ${name}`); log(`meta: ${name} resolved`); }
    catch (e) { callError = `${name}: ${errMsg(e)}`; log(`meta: ${callError}`); }
    const ev = await waitEvent(want, EVENT_MS, since);
    if (!ev && callError) problems.push(callError);
    seenEv.push(ev);
    await new Promise((r) => setTimeout(r, 300));  // the publisher's own update, too
  }
  const [md, nm, at] = seenEv;
  if (!md) problems.push('no ParticipantMetadataChanged "m1"');
  if (!nm) problems.push('no ParticipantNameChanged "Meta Name"');
  if (!at) problems.push('no ParticipantAttributesChanged {k:"v"}');
  const rp = remote('meta');
  if (!rp) problems.push('"meta" not in observer.remoteParticipants');
  else {
    if (rp.metadata !== 'm1') problems.push(`remote metadata=${JSON.stringify(rp.metadata)}`);
    if (rp.name !== 'Meta Name') problems.push(`remote name=${JSON.stringify(rp.name)}`);
    if (rp.attributes?.k !== 'v') problems.push(`remote attributes=${JSON.stringify(rp.attributes)}`);
  }
  await leave(room, 'meta');
  setCase('metadata', problems.length === 0, problems.length ? problems.join('; ') : 'observer saw metadata m1, name "Meta Name", attributes {k:v}');
}

async function caseMetadataRefused() {
  const since = mark();
  const room = await connect('nometa', { canUpdateOwnMetadata: false });
  const seen = await observerSees('nometa', since);
  let call;
  try { await withTimeout(room.localParticipant.updateMetadata('x'), 3000, 'nometa setMetadata'); call = 'resolved'; }
  catch (e) { call = `rejected/timed out (${errMsg(e)})`; }
  log(`nometa: setMetadata('x') ${call}`);
  const ev = await waitEvent((e) => e.type === 'metadata' && e.identity === 'nometa' && e.value === 'x', 3000, since);
  const rp = remote('nometa');
  const leaked = !!ev || rp?.metadata === 'x';
  await leave(room, 'nometa');
  const detail = `setMetadata ${call}; observer ${leaked ? 'SAW' : 'did not see'} metadata "x"${seen ? '' : ' (observer never saw nometa join)'}`;
  setCase('metadata_refused', !leaked && seen, detail);
}

let muter = null; // kept publishing for the canSubscribe:false case
async function caseMute() {
  const since = mark();
  const room = await connect('muter');
  const p = await publishTone(room, 'muter', 440);
  muter = p;
  const problems = [];
  // The observer must know the publication before TrackMuted can be attributed to it.
  const known = () => !!remote('muter')?.trackPublications.has(p.pub.sid);
  if (!known()) await waitEvent((e) => e.type === 'published' && e.identity === 'muter' && e.sid === p.pub.sid, EVENT_MS, since);
  if (!known()) problems.push('observer never saw TrackPublished from muter');

  const m1 = mark();
  try { const r = await withTimeout(setLocalMute(p.track, true), OP_MS, 'mute'); log(`muter: mute request -> ${JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : v))}`); }
  catch (e) { problems.push(`mute call: ${errMsg(e)}`); }
  const muted = await waitEvent((e) => e.type === 'muted' && e.identity === 'muter' && e.sid === p.pub.sid, EVENT_MS, m1);
  if (!muted) problems.push('no TrackMuted on observer');
  else if (remote('muter')?.trackPublications.get(p.pub.sid)?.muted !== true) problems.push('remote publication.muted not true after TrackMuted');

  const m2 = mark();
  try { await withTimeout(setLocalMute(p.track, false), OP_MS, 'unmute'); log('muter: unmute requested'); }
  catch (e) { problems.push(`unmute call: ${errMsg(e)}`); }
  const unmuted = await waitEvent((e) => e.type === 'unmuted' && e.identity === 'muter' && e.sid === p.pub.sid, EVENT_MS, m2);
  if (!unmuted) problems.push('no TrackUnmuted on observer');
  setCase('mute', problems.length === 0, problems.length ? problems.join('; ') : `observer saw TrackMuted and TrackUnmuted for ${p.pub.sid}`);
}

async function caseNoCanPublish() {
  const since = mark();
  const room = await connect('nopub', { canPublish: false });
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('sine', source);
  const opts = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
  // Feed a few frames so the track is live (captureFrame errors are irrelevant here).
  (async () => {
    for (let i = 0; i < 300 && !stopping && room.isConnected; i++) {
      await source.captureFrame(new AudioFrame(new Int16Array(480).fill(1000), 48000, 1, 480));
    }
  })().catch(() => {});
  let outcome, rejected = false;
  const t = Date.now();
  try {
    const pub = await withTimeout(room.localParticipant.publishTrack(track, opts), 15000, 'nopub publishTrack');
    outcome = `publishTrack RESOLVED (sid=${pub?.sid})`;
  } catch (e) {
    const timedOut = /^timeout after/.test(errMsg(e));
    rejected = !timedOut;
    outcome = timedOut ? 'publishTrack neither resolved nor rejected within 15 s' : `publishTrack rejected after ${Date.now() - t} ms: ${errMsg(e)}`;
  }
  log(`nopub: ${outcome}`);
  const sub = await waitEvent((e) => (e.type === 'subscribed' || e.type === 'published') && e.identity === 'nopub', 2000, since);
  await leave(room, 'nopub');
  const problems = [];
  if (!rejected) problems.push(outcome);
  if (sub) problems.push(`observer got Track${sub.type === 'subscribed' ? 'Subscribed' : 'Published'} from nopub (${sub.sid})`);
  setCase('no_can_publish', problems.length === 0, problems.length ? problems.join('; ') : `${outcome}; observer saw no track from nopub`);
}

async function caseNoCanSubscribe() {
  let pubr = muter;
  if (!pubr || !pubr.room.isConnected) {
    const r = await connect('talker');
    pubr = await publishTone(r, 'talker', 660);
  }
  const room = new Room();
  rooms.push(room);
  const subs = [];
  room.on(RoomEvent.TrackSubscribed, (track, pub, p) => { log(`nosub: TrackSubscribed ${p.identity} ${pub.sid}`); subs.push(`${p.identity}/${pub.sid}`); });
  log('nosub: connecting (canSubscribe:false)');
  await withTimeout(room.connect(args.url, await token('nosub', { canSubscribe: false })), CONNECT_MS, 'nosub connect');
  log(`nosub: connected, participant sid=${room.localParticipant?.sid}`);
  const hasPub = () => room.remoteParticipants.has(pubr.identity)
    || [...room.remoteParticipants.values()].some((p) => p.identity === pubr.identity);
  const sawPublisher = await pollUntil(hasPub, 5000);
  await sleep(5000); // TrackSubscribed must not arrive within 5 s
  const rp = room.remoteParticipants.get(pubr.identity);
  const nPubs = rp ? rp.trackPublications.size : 0;
  await leave(room, 'nosub');
  const problems = [];
  if (subs.length) problems.push(`got TrackSubscribed: ${subs.join(', ')}`);
  if (!sawPublisher) problems.push(`publisher "${pubr.identity}" not in remoteParticipants`);
  setCase('no_can_subscribe', problems.length === 0,
    problems.length ? problems.join('; ') : `no TrackSubscribed in 5 s; sees "${pubr.identity}" with ${nPubs} publication(s)`);
}

async function caseDuplicateIdentity() {
  const since = mark();
  const first = await connect('dup');
  const firstSid = first.localParticipant?.sid;
  let firstReason = null;
  const firstGone = new Promise((res) => first.on(RoomEvent.Disconnected, (reason) => { firstReason = reason; log(`dup#1: Disconnected reason=${reasonName(reason)}`); res(true); }));
  const seen1 = await observerSees('dup', since);
  if (!seen1) log('observer did not see dup#1 join');

  const second = await connect('dup');
  const secondSid = second.localParticipant?.sid;
  let secondDropped = null;
  second.on(RoomEvent.Disconnected, (reason) => { secondDropped = reason; log(`dup#2: Disconnected reason=${reasonName(reason)}`); });
  const problems = [];
  const gone = await Promise.race([firstGone, sleep(10000).then(() => false)]);
  if (!gone) problems.push('first "dup" not disconnected within 10 s');
  // The observer must end up with exactly one "dup": the second connection.
  const dupList = () => [...observer.remoteParticipants.values()].filter((p) => p.identity === 'dup');
  const settled = await pollUntil(() => dupList().length === 1 && (!secondSid || dupList()[0].sid === secondSid), 5000);
  await sleep(1000);
  const list = dupList();
  if (!settled || list.length !== 1) problems.push(`observer has ${list.length} "dup" (sids ${list.map((p) => p.sid).join(',') || '-'}; want ${secondSid})`);
  else if (secondSid && list[0].sid !== secondSid) problems.push(`observer's "dup" sid ${list[0].sid} is not the second connection's ${secondSid}`);
  if (secondDropped !== null || !second.isConnected) problems.push(`second "dup" disconnected (reason ${reasonName(secondDropped)})`);
  const detail = `first sid=${firstSid} reason=${firstReason === null ? '-' : reasonName(firstReason)}; second sid=${secondSid} connected=${second.isConnected}`;
  setCase('duplicate_identity', problems.length === 0, problems.length ? `${problems.join('; ')} [${detail}]` : detail);
}

async function caseParticipantLeaves() {
  const since = mark();
  const room = await connect('leaver');
  const sid = room.localParticipant?.sid;
  const seen = await observerSees('leaver', since);
  const m = mark();
  await leave(room, 'leaver');
  const ev = await waitEvent((e) => e.type === 'disconnected' && e.identity === 'leaver', 10000, m);
  const still = !!remote('leaver');
  const problems = [];
  if (!seen) problems.push('observer never saw "leaver" join');
  if (!ev) problems.push('no ParticipantDisconnected for "leaver" within 10 s');
  if (still) problems.push('"leaver" still in observer.remoteParticipants');
  setCase('participant_leaves', problems.length === 0, problems.length ? problems.join('; ') : `observer got ParticipantDisconnected for leaver (sid ${sid})`);
}

// ---------------------------------------------------------------- main
async function main() {
  try {
    await startObserver();
  } catch (e) {
    return finish(`observer could not connect: ${errMsg(e)}`);
  }
  const run = [
    ['metadata', caseMetadata],
    ['metadata_refused', caseMetadataRefused],
    ['mute', caseMute],
    ['no_can_publish', caseNoCanPublish],
    ['no_can_subscribe', caseNoCanSubscribe],
    ['duplicate_identity', caseDuplicateIdentity],
    ['participant_leaves', caseParticipantLeaves],
  ];
  for (const [name, fn] of run) {
    if (stopping) return;
    if (!observer.isConnected) { setCase(name, false, 'observer disconnected'); continue; }
    log(`--- case ${name}`);
    try { await fn(); } catch (e) { setCase(name, false, `error: ${errMsg(e)}`); }
  }
  if (muter) muter.ctl.stop = true;
  await finish('');
}

main().catch((e) => finish(`main: ${errMsg(e)}`));
