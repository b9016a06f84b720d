// soak_lk.mjs - the LiveKit half of edgesfu's hour-long churn soak (issue 16 #2), with
// @livekit/rtc-node bots (unchanged SDK, from tests/livekit). bench/soak runs it in the client
// namespace while it samples edgesfu's RSS, fds and mbufs.
//   stayers  --stayers participants stay-0.. join at the start and stay to the end. Each publishes a
//            sine (1000 + 150*i Hz), subscribes to everything and every 100 ms sends a reliable data
//            message (topic 'soak', JSON {from, seq}) to the room. Each checks, per other stayer, that
//            every message arrives, in order, once (gaps, messages lost, duplicates, out of order; a
//            publishData() that timed out counts as sent), and counts that stayer's decoded audio
//            frames (AudioStream, 10 ms each); no audible frame (RMS > 300) for more than 2 s while
//            both are connected is an audio stall (5 s of grace after a (re)join; not judged for 1 s
//            after this process's own event loop ran > 1 s late).
//   churners churn-<k> (a fresh identity each time) join at random (Poisson, --rate joins/s on
//            average), at most --max-connected at once (a join waits for a free place, so the rate
//            achieved is at most about max-connected / 6 s), publish a sine, subscribe to everything,
//            send 2 reliable and 2 lossy messages (topic 'churn'), stay 2-10 s and leave: cleanly with
//            room.disconnect(), or - a fraction --abrupt of them - abruptly: rtc-node has no way to
//            drop one room without a leave (disposing its handle keeps the Rust room running), so those
//            run in a process of their own that is SIGKILLed (the kernel closes the WebSocket; no
//            leave, no DTLS or SCTP close). A join (connect + publish) that fails or takes more than
//            10 s is a join failure; the soak goes on. Also counted, not part of ok: leaves whose
//            disconnect() did not return in 8 s (leave_failures: that process then takes no more joins
//            and exits when its other churners are gone, which drops the stuck room), and churners whose
//            track had not reached every stayer when they left (churn_tracks_unseen).
// rtc-node runs only in child processes (this file again, --role ...): one for the stayers, one
// for clean churners (replaced after 150 joins), one per abrupt churner. rtc-node 1.1.0 has aborted
// on its own heap while rooms come and go (see tests/integration/netns_livekit.sh); a crash costs
// the churners of that process (counted as client_crashes) or the stayers (respawned; not ok), and
// this process always writes the summary. The children's stdout (rtc-node's pino logs, at info
// level: NODE_ENV=production unless set) goes to stderr; LK_RUST_LOG=N adds the Rust SDK's own logs
// up to level N (2: info; 3 and 4 are very verbose). Draws of the seeded PRNG happen in a fixed
// order (gap, stay, abrupt per join), so a seed repeats the schedule (not the timing).
// Usage: node bench/soak_lk.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room soak]
//        [--seconds 3600] [--seed 1] [--rate 2] [--max-connected 8] [--stayers 2] [--abrupt 0.2]
//        [--out FILE]
// Result: every 5 s one JSON line appended to --out (default stdout): {t, joins, leaves,
// join_failures, connected, data_received, data_gaps, data_dups, data_out_of_order, audio_stalls,
// join_ms_p50, join_ms_p95 (joins of the last 5 s), ...}; at the end (--seconds, SIGINT or SIGTERM:
// everyone disconnects first) one summary JSON line {"ok":..} as the LAST stdout line.
// ok = join_failures <= 1 % of join attempts, and among stayers no data gap, loss, duplicate or
// reordering, no audio stall, no disconnect or reconnect, no crash.
// Exit 0 when ok, 1 otherwise, 2 on bad arguments.
import { fork } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
// The SDKs are installed (pinned) under tests/livekit.
const require = createRequire(join(dirname(SCRIPT), '../tests/livekit/package.json'));

const JOIN_LIMIT_MS = 10000;       // connect + publish, else a join failure
const STAY_MIN_MS = 2000, STAY_MAX_MS = 10000;
const CHURN_WORKER_JOINS = 150;    // clean churners per process before a fresh one takes over
const REPORT_MS = 5000;
const DATA_EVERY_MS = 100;
const STALL_MS = 2000;
const STALL_GRACE_MS = 3000;       // after a (re)join: first audible frame within 3 + 2 s
const AUDIBLE_RMS = 300;
const MISSING_CAP = 10000;         // remembered missing seqs per pair (to tell reordering from duplicates)

// Log times count from the main process's start, in the workers too.
const T0 = (process.argv[2] === '--role' && Number(process.env.SOAK_LK_T0)) || Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errMsg = (e) => (e?.message ?? String(e));
const secs = () => Number(((Date.now() - T0) / 1000).toFixed(2));
const makeLog = (name) => (...a) => console.error(`[${name} +${((Date.now() - T0) / 1000).toFixed(2)}s]`, ...a);
// `p`, or a rejection naming `what` after `ms` (an Error with .timeout = true).
function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => {
    t = setTimeout(() => rej(Object.assign(new Error(`timeout after ${ms} ms: ${what}`), { timeout: true })), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

const role = process.argv[2] === '--role' ? process.argv[3] : 'main';
if (role === 'churn-worker') await churnWorker();
else if (role === 'stay-worker') await stayWorker();
else if (role === 'main') await main();
else { console.error(`soak_lk: unknown --role ${role}`); process.exit(2); }

// ---------------------------------------------------------------- shared by the workers

// Parent -> child commands arrive as IPC messages; child -> parent events go back the same way.
function send(m) { if (process.connected) process.send(m); }

// Feeds continuous-phase 10 ms sine frames into sess.source until sess.stop (as churn.mjs).
function startPump(rtc, sess, hz, onError) {
  sess.pump = (async () => {
    const sr = 48000, n = 480, amp = 0.3 * 32767, step = (2 * Math.PI * hz) / sr;
    let phase = 0, sent = 0;
    const start = Date.now();
    while (!sess.stop) {
      const data = new Int16Array(n);
      for (let k = 0; k < n; k++) { data[k] = Math.round(amp * Math.sin(phase)); phase += step; }
      phase %= 2 * Math.PI;
      await sess.source.captureFrame(new rtc.AudioFrame(data, sr, 1, n));
      sent++;
      const ahead = sent * 10 - (Date.now() - start); // never more than ~100 ms ahead of real time
      if (ahead > 100) await sleep(ahead - 100);
    }
  })().catch((e) => { if (!sess.stop) onError(e); });
}

// Publishes a sine track on sess.room (connected); sets sess.source/track and starts the pump.
async function publishSine(rtc, sess, hz, ms, onPumpError) {
  sess.source = new rtc.AudioSource(48000, 1);
  sess.track = rtc.LocalAudioTrack.createAudioTrack(`sine-${hz}`, sess.source);
  const opts = new rtc.TrackPublishOptions({ source: rtc.TrackSource.SOURCE_MICROPHONE });
  await withTimeout(sess.room.localParticipant.publishTrack(sess.track, opts), ms, 'publishTrack');
  if (!sess.room.isConnected) throw new Error('room disconnected while publishing');
  startPump(rtc, sess, hz, onPumpError);
}

async function closeMedia(sess) {
  sess.stop = true;
  if (sess.pump) await withTimeout(sess.pump, 1000, 'pump stop').catch(() => {});
  if (sess.track) await withTimeout(sess.track.close(), 1000, 'track close').catch(() => {});
  else if (sess.source) await withTimeout(sess.source.close(), 1000, 'source close').catch(() => {});
  sess.track = sess.source = sess.pump = null;
}

// Loads rtc-node and starts its FFI (so that the first join does not pay for it). LK_RUST_LOG=N:
// the Rust SDK's own log records of level <= N (0 error, 1 warn, 2 info, 3 debug, 4 trace; rtc-node
// receives them as FFI 'logs' events and prints nothing) on stderr, as in tests/livekit/churn.mjs.
async function loadRtc(log) {
  const rtc = require('@livekit/rtc-node');
  const s = new rtc.AudioSource(48000, 1);
  await s.close();
  const maxLevel = Number(process.env.LK_RUST_LOG ?? -1);
  if (maxLevel >= 0 && globalThis._ffiClientInstance) {
    globalThis._ffiClientInstance.on('ffi_event', (ev) => {
      if (ev.message?.case !== 'logs') return;
      for (const r of ev.message.value.records) if (r.level <= maxLevel) log(`rust ${r.level} ${r.target}: ${r.message}`);
    });
  }
  return rtc;
}

// The workers end with the parent: on its 'exit' command, or when the IPC channel closes.
// Signals sent to the whole process group are left to the parent.
function workerSignals() {
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
}

// ---------------------------------------------------------------- churn worker

// Hosts churners: {cmd:'join', k, identity, token, hz, url} -> joined | join_failed, data, left;
// {cmd:'leave', k} -> left; {cmd:'exit'}: everyone disconnects, dispose(), exit 0.
async function churnWorker() {
  const log = makeLog(`soak_lk:churn:${process.pid}`);
  workerSignals();
  process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));
  const early = []; // commands that came while rtc-node was loading
  let onCommand = null;
  process.on('message', (m) => (onCommand ? onCommand(m) : early.push(m)));
  const rtc = await loadRtc(log);
  const sessions = new Map(); // k -> sess
  const enc = new TextEncoder();
  let exiting = false;

  async function sendData(sess) {
    let reliable = 0, lossy = 0, errors = 0;
    for (let i = 0; i < 4 && !sess.leaving; i++) {
      await sleep(250);
      if (sess.leaving || !sess.room.isConnected) break;
      const rel = i % 2 === 0;
      try {
        await withTimeout(sess.room.localParticipant.publishData(enc.encode(JSON.stringify({ from: sess.identity, seq: i })),
          { reliable: rel, topic: 'churn' }), 5000, 'publishData');
        if (rel) reliable++; else lossy++;
      } catch (e) {
        if (!sess.leaving) { errors++; log(`${sess.identity}: publishData: ${errMsg(e)}`); }
      }
    }
    send({ ev: 'data', k: sess.k, reliable, lossy, errors });
  }

  async function joinOne({ k, identity, token, hz, url }) {
    const room = new rtc.Room();
    const sess = { k, identity, room, source: null, track: null, pump: null, stop: false, leaving: false };
    sessions.set(k, sess);
    room.on(rtc.RoomEvent.Disconnected, (reason) => {
      if (sess.leaving || exiting) return;
      sess.leaving = true;
      send({ ev: 'disconnected', k, reason });
      closeMedia(sess).finally(() => { sessions.delete(k); send({ ev: 'left', k, ok: true }); });
    });
    const t0 = Date.now();
    const cp = room.connect(url, token, { autoSubscribe: true, joinRetries: 0 });
    cp.catch(() => {});
    let connectMs = -1;
    try {
      await withTimeout(cp, JOIN_LIMIT_MS, 'connect');
      connectMs = Date.now() - t0;
      if (!sess.leaving) {
        await publishSine(rtc, sess, hz, Math.max(1, JOIN_LIMIT_MS - (Date.now() - t0)),
          (e) => log(`${identity}: captureFrame: ${errMsg(e)}`));
      }
      if (sess.leaving) {
        // Told to leave (or disconnected) while joining: leaveOne() found no room to disconnect yet.
        await closeMedia(sess);
        await withTimeout(room.disconnect(), 8000, 'disconnect').catch((err) => log(`${identity}: ${errMsg(err)}`));
        return;
      }
    } catch (e) {
      const told = sess.leaving; // then leaveOne() or the Disconnected handler reports 'left'
      sess.leaving = true;
      if (!told) send({ ev: 'join_failed', k, error: errMsg(e), ms: Date.now() - t0 });
      await closeMedia(sess);
      // A connect that completes after the timeout leaves at once: no ghost participant.
      await withTimeout(cp.then(() => {}, () => {}).then(() => room.disconnect()), 15000, 'disconnect after failure')
        .catch((err) => log(`${identity}: ${errMsg(err)}`));
      if (!told) {
        sessions.delete(k);
        send({ ev: 'left', k, ok: true });
      }
      return;
    }
    send({ ev: 'joined', k, ms: Date.now() - t0, connect_ms: connectMs });
    sendData(sess).catch((e) => log(`${identity}: data: ${errMsg(e)}`));
  }

  async function leaveOne(k) {
    const sess = sessions.get(k);
    if (!sess || sess.leaving) return;
    sess.leaving = true;
    sess.stop = true;
    if (sess.pump) await withTimeout(sess.pump, 1000, 'pump stop').catch(() => {});
    let ok = true, error;
    try {
      await withTimeout(sess.room.disconnect(), 8000, 'disconnect');
    } catch (e) { ok = false; error = errMsg(e); }
    await closeMedia(sess);
    sessions.delete(k);
    send({ ev: 'left', k, ok, error });
  }

  async function exitWorker(why) {
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 15000);
    if (why) log(`exiting: ${why}`);
    await Promise.all([...sessions.values()].map(async (sess) => {
      sess.leaving = true;
      sess.stop = true;
      await withTimeout(sess.room.disconnect(), 5000, 'disconnect').catch(() => {});
      await closeMedia(sess);
    }));
    await withTimeout(rtc.dispose(), 3000, 'dispose').catch(() => {});
    process.exit(0);
  }

  onCommand = (m) => {
    if (m.cmd === 'join') joinOne(m).catch((e) => log(`join ${m.identity}: ${errMsg(e)}`));
    else if (m.cmd === 'leave') leaveOne(m.k).catch((e) => log(`leave ${m.k}: ${errMsg(e)}`));
    else if (m.cmd === 'exit') exitWorker();
  };
  process.on('disconnect', () => exitWorker('the parent went away'));
  send({ ev: 'ready' });
  for (const m of early.splice(0)) onCommand(m);
}

// ---------------------------------------------------------------- stay worker

// Hosts the stayers: {cmd:'start', url, stayers:[{identity, token, hz}]} -> started, then stats every
// second; {cmd:'stop'}: sending stops, up to 3 s for the last messages, final, everyone disconnects.
async function stayWorker() {
  const log = makeLog(`soak_lk:stay:${process.pid}`);
  workerSignals();
  process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));
  const early = []; // commands that came while rtc-node was loading
  let onCommand = null;
  process.on('message', (m) => (onCommand ? onCommand(m) : early.push(m)));
  const rtc = await loadRtc(log);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const st = {
    data_sent: 0, data_send_errors: 0, data_received: 0, data_gaps: 0, data_dups: 0, data_out_of_order: 0,
    data_bad: 0, audio_stalls: 0, stayer_disconnects: 0, stayer_reconnects: 0, stayer_join_failures: 0,
    churn_data_received: 0, event_loop_lags: 0,
  };
  let url = '';
  let stayers = [];
  let stopRequested = false; // 'stop' came: no more joins, sending ends
  let stopping = false;      // the last messages are in: rooms are being closed
  let sending = false;
  const senders = [];

  // Per ordered pair (receiver R, sender S), kept in R.pairs by S's identity.
  const newPair = () => ({
    expected: 0, missing: new Set(), received: 0, gaps: 0, dups: 0, ooo: 0,
    frames: 0, audible: 0, lastAudible: 0, activeSince: 0, stalled: false, stalls: 0, reader: null,
  });

  function onSeq(R, S, p, seq) {
    st.data_received++;
    p.received++;
    if (seq === p.expected) { p.expected++; return; }
    if (seq > p.expected) {
      p.gaps++; st.data_gaps++;
      log(`GAP ${R.identity} <- ${S}: got seq ${seq}, expected ${p.expected}`);
      for (let s = p.expected; s < seq && p.missing.size < MISSING_CAP; s++) p.missing.add(s);
      p.expected = seq + 1;
    } else if (p.missing.delete(seq)) {
      p.ooo++; st.data_out_of_order++;
      log(`OUT OF ORDER ${R.identity} <- ${S}: seq ${seq} after ${p.expected - 1}`);
    } else {
      p.dups++; st.data_dups++;
      log(`DUPLICATE ${R.identity} <- ${S}: seq ${seq} (expected ${p.expected})`);
    }
  }

  function frameRms(fr) {
    const d = fr.data, n = fr.samplesPerChannel * fr.channels;
    let s = 0;
    for (let i = 0; i < n; i++) s += d[i] * d[i];
    return n ? Math.sqrt(s / n) : 0;
  }

  async function readAudio(R, sid, track) {
    const p = R.pairs.get(sid);
    if (p.reader) p.reader.cancel().catch(() => {});
    const reader = new rtc.AudioStream(track, { sampleRate: 48000, numChannels: 1 }).getReader();
    p.reader = reader;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        p.frames++;
        if (frameRms(r.value) > AUDIBLE_RMS) {
          p.audible++;
          p.lastAudible = Date.now();
          if (p.stalled) { p.stalled = false; log(`audio ${R.identity} <- ${sid} back`); }
        }
      }
    } catch (e) {
      if (!stopping) log(`audio ${R.identity} <- ${sid}: ${errMsg(e)}`);
    } finally {
      if (p.reader === reader) p.reader = null;
    }
  }

  function stopReaders(R) {
    for (const p of R.pairs.values()) if (p.reader) { p.reader.cancel().catch(() => {}); p.reader = null; }
  }

  async function connectStayer(R) {
    const room = new rtc.Room();
    const sess = { room, source: null, track: null, pump: null, stop: false };
    R.sess = sess;
    R.up = false;
    room.on(rtc.RoomEvent.DataReceived, (payload, participant, kind, topic) => {
      if (topic === 'churn') { st.churn_data_received++; return; }
      if (topic !== 'soak') return;
      let m;
      try { m = JSON.parse(dec.decode(payload)); } catch { m = null; }
      const p = m && R.pairs.get(m.from);
      if (!p || participant?.identity !== m.from || !Number.isInteger(m.seq)) {
        st.data_bad++;
        log(`BAD soak message at ${R.identity} from ${participant?.identity}: ${dec.decode(payload).slice(0, 80)}`);
        return;
      }
      onSeq(R, m.from, p, m.seq);
    });
    room.on(rtc.RoomEvent.TrackSubscribed, (track, pub, participant) => {
      if (track.kind !== rtc.TrackKind.KIND_AUDIO) return;
      if (participant.identity.startsWith('churn-')) send({ ev: 'seen', by: R.identity, identity: participant.identity });
      if (!R.pairs.has(participant.identity)) return;
      readAudio(R, participant.identity, track).catch(() => {});
    });
    room.on(rtc.RoomEvent.Reconnecting, () => {
      if (stopRequested) return;
      st.stayer_reconnects++;
      R.up = false;
      log(`STAYER ${R.identity} reconnecting`);
    });
    room.on(rtc.RoomEvent.Reconnected, () => {
      if (stopRequested) return;
      R.connectedAt = Date.now();
      // A new grace period for every pair R is in, however short the reconnect was.
      for (const S of stayers) {
        if (S === R) continue;
        R.pairs.get(S.identity).activeSince = 0;
        S.pairs.get(R.identity).activeSince = 0;
      }
      R.up = true;
      log(`${R.identity} reconnected`);
    });
    room.on(rtc.RoomEvent.Disconnected, (reason) => {
      if (stopping || R.sess !== sess) return;
      st.stayer_disconnects++;
      R.up = false;
      log(`STAYER ${R.identity} disconnected (reason ${reason}); joining again in 2 s`);
      stopReaders(R);
      closeMedia(sess).finally(() => keepJoining(R, 2000));
    });
    await withTimeout(room.connect(url, R.token, { autoSubscribe: true }), 15000, `${R.identity} connect`);
    R.connectedAt = Date.now();
    await publishSine(rtc, sess, R.hz, 10000, (e) => log(`${R.identity}: captureFrame: ${errMsg(e)}`));
    R.up = true;
    log(`${R.identity} connected and publishing ${R.hz} Hz`);
  }

  // One attempt; a failed one leaves nothing behind.
  async function tryJoin(R) {
    try {
      await connectStayer(R);
      return true;
    } catch (e) {
      st.stayer_join_failures++;
      log(`STAYER ${R.identity} join failed: ${errMsg(e)}`);
      const sess = R.sess;
      R.sess = null;
      R.up = false;
      if (sess) {
        await closeMedia(sess);
        await withTimeout(sess.room.disconnect(), 5000, 'disconnect').catch(() => {});
      }
      return false;
    }
  }

  async function keepJoining(R, delayMs) {
    for (;;) {
      await sleep(delayMs);
      if (stopRequested || R.up) return;
      if (await tryJoin(R)) return;
      delayMs = 5000;
    }
  }

  async function sendLoop(S) {
    let next = Date.now();
    while (sending) {
      next += DATA_EVERY_MS;
      if (S.up && S.sess?.room.isConnected) {
        try {
          await withTimeout(S.sess.room.localParticipant.publishData(
            enc.encode(JSON.stringify({ from: S.identity, seq: S.seq })), { reliable: true, topic: 'soak' }),
          5000, 'publishData');
          S.seq++;
          st.data_sent++;
        } catch (e) {
          st.data_send_errors++;
          log(`${S.identity}: publishData seq ${S.seq}: ${errMsg(e)}`);
          // Refused: not sent, the seq is used again. Timed out: it may still go out, so the seq is
          // spent (counted as sent); if it never arrives, that is a gap.
          if (e.timeout) { S.seq++; st.data_sent++; }
        }
      }
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -1000) next = Date.now(); // fell behind: no burst to catch up
    }
  }

  // Runs every 250 ms. When this process itself was starved (the check ran > 1 s late: frames
  // wait in rtc-node's queue, unread), nothing is judged for 1 s: not edgesfu's doing.
  let lastCheck = Date.now(), judgeFrom = 0;
  function checkStalls() {
    if (stopRequested) return;
    const now = Date.now();
    const late = now - lastCheck - 250;
    lastCheck = now;
    if (late > 1000) {
      st.event_loop_lags++;
      log(`event loop ${late} ms late: no stall judged for 1 s`);
      judgeFrom = now + 1000;
    }
    if (now < judgeFrom) return;
    for (const R of stayers) {
      for (const S of stayers) {
        if (S === R) continue;
        const p = R.pairs.get(S.identity);
        if (!(R.up && S.up)) { p.activeSince = 0; p.stalled = false; continue; }
        if (!p.activeSince) p.activeSince = now;
        const last = Math.max(p.lastAudible, p.activeSince + STALL_GRACE_MS);
        if (!p.stalled && now - last > STALL_MS) {
          p.stalled = true; p.stalls++; st.audio_stalls++;
          log(`AUDIO STALL ${R.identity} <- ${S.identity}: nothing audible for ${now - Math.max(p.lastAudible, p.activeSince)} ms`);
        }
      }
    }
  }

  function snapshot(final) {
    const pairs = {};
    let lost = 0;
    for (const R of stayers) {
      for (const [sid, p] of R.pairs) {
        const S = stayers.find((x) => x.identity === sid);
        const tail = final ? Math.max(0, S.seq - p.expected) : 0;
        lost += p.missing.size + tail;
        pairs[`${R.identity}<-${sid}`] = {
          received: p.received, gaps: p.gaps, lost: p.missing.size + tail, dups: p.dups, ooo: p.ooo,
          frames: p.frames, audible: p.audible, stalls: p.stalls,
        };
      }
    }
    return {
      ...st, data_lost: lost, connected: stayers.filter((x) => x.up).length,
      rss_mb: Math.round(process.memoryUsage().rss / 1048576), pairs,
    };
  }

  async function start(m) {
    url = m.url;
    stayers = m.stayers.map((s) => ({ ...s, sess: null, up: false, connectedAt: 0, seq: 0, pairs: new Map() }));
    for (const R of stayers) for (const S of stayers) if (S !== R) R.pairs.set(S.identity, newPair());
    for (const R of stayers) if (!stopRequested && !(await tryJoin(R))) keepJoining(R, 5000);
    // Data starts once everyone hears everyone (or after 15 s): seq 0 is then the first message due.
    const end = Date.now() + 15000;
    const hearsAll = () => stayers.every((R) => R.up && [...R.pairs.values()].every((p) => p.audible > 0));
    while (!stopRequested && !hearsAll() && Date.now() < end) await sleep(100);
    if (stopRequested) return;
    const detail = hearsAll() ? `${stayers.length} stayers hear each other` : 'not every stayer hears every other after 15 s';
    log(detail);
    send({ ev: 'started', ok: hearsAll(), detail });
    sending = true;
    for (const S of stayers) senders.push(sendLoop(S));
    setInterval(checkStalls, 250);
    setInterval(() => send({ ev: 'stats', s: snapshot(false) }), 1000);
  }

  async function stop() {
    if (stopRequested) return;
    stopRequested = true;
    setTimeout(() => process.exit(0), 20000);
    sending = false;
    await withTimeout(Promise.all(senders), 6000, 'senders').catch(() => {});
    // The last messages sent get up to 3 s to arrive.
    const end = Date.now() + 3000;
    const complete = () => stayers.every((R) => !R.up || [...R.pairs].every(([sid, p]) => p.expected >= stayers.find((x) => x.identity === sid).seq));
    while (!complete() && Date.now() < end) await sleep(50);
    stopping = true;
    send({ ev: 'final', s: snapshot(true) });
    await Promise.all(stayers.map(async (R) => {
      stopReaders(R);
      if (!R.sess) return;
      R.sess.stop = true;
      await withTimeout(R.sess.room.disconnect(), 5000, 'disconnect').catch((e) => log(`${R.identity}: ${errMsg(e)}`));
      await closeMedia(R.sess);
    }));
    await withTimeout(rtc.dispose(), 3000, 'dispose').catch(() => {});
    process.exit(0);
  }

  onCommand = (m) => {
    if (m.cmd === 'start') start(m).catch((e) => log(`start: ${errMsg(e)}`));
    else if (m.cmd === 'stop') stop().catch((e) => { log(`stop: ${errMsg(e)}`); process.exit(0); });
  };
  process.on('disconnect', () => { log('the parent went away'); stop().catch(() => process.exit(0)); });
  send({ ev: 'ready' });
  for (const m of early.splice(0)) onCommand(m);
}

// ---------------------------------------------------------------- main (no rtc-node here)

async function main() {
  const args = {
    url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'soak', seconds: '3600', seed: '1', rate: '2',
    'max-connected': '8', stayers: '2', abrupt: '0.2', out: '-',
  };
  const usage = 'usage: node soak_lk.mjs --url U --key K --secret S [--room R] [--seconds N] [--seed N] [--rate R]'
    + ' [--max-connected N] [--stayers N] [--abrupt F] [--out FILE]';
  for (let i = 2; i < process.argv.length; i += 2) {
    const k = process.argv[i].replace(/^--/, '');
    if (!(k in args) || process.argv[i + 1] === undefined) {
      console.error(`${usage} (bad arg ${process.argv[i]})`);
      process.exit(2);
    }
    args[k] = process.argv[i + 1];
  }
  const SECONDS = Number(args.seconds);
  const SEED = Number(args.seed);
  const RATE = Number(args.rate);
  const MAX_CONNECTED = Number(args['max-connected']);
  const NSTAYERS = Number(args.stayers);
  const ABRUPT = Number(args.abrupt);
  if (!args.secret || !(SECONDS > 0) || !Number.isFinite(SEED) || !(RATE > 0) || !Number.isInteger(MAX_CONNECTED)
    || MAX_CONNECTED < 1 || !Number.isInteger(NSTAYERS) || NSTAYERS < 0 || NSTAYERS > 8 || !(ABRUPT >= 0 && ABRUPT <= 1)) {
    console.error('soak_lk: --secret, a positive --seconds, a numeric --seed, a positive --rate, an integer --max-connected >= 1,'
      + ' an integer --stayers 0..8 and --abrupt in [0, 1] are required');
    console.error(usage);
    process.exit(2);
  }
  let outFd = 1;
  if (args.out !== '-') {
    try { outFd = openSync(args.out, 'a'); } catch (e) { console.error(`soak_lk: --out ${args.out}: ${errMsg(e)}`); process.exit(2); }
  }
  const { AccessToken } = require('livekit-server-sdk');
  const log = makeLog('soak_lk');
  process.stdout.on('error', () => {}); // a reader that went away must not kill the soak

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

  async function token(identity, ttl) {
    const at = new AccessToken(args.key, args.secret, { identity, ttl });
    at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true, canPublishData: true });
    return at.toJwt();
  }

  // ---- counters (no per-message or per-join state is kept beyond the churners present)
  const tot = {
    join_attempts: 0, joins: 0, join_failures: 0, leaves: 0, clean_leaves: 0, abrupt_leaves: 0, leave_failures: 0,
    churner_kicked: 0, churn_data_sent: 0, churn_data_errors: 0, client_crashes: 0, lost_to_crash: 0,
    stayer_crashes: 0, max_connected_seen: 0, workers_started: 0, churn_tracks_unseen: 0,
  };
  const hist = new Uint32Array(1301); // join ms in 10 ms buckets, the last one for >= 13 s
  const connectHist = new Uint32Array(1301);
  let joinMax = 0;
  let windowJoinMs = [];
  const failures = []; // details, bounded
  let failuresDropped = 0;
  function noteFailure(who, stage, error) {
    log(`FAILURE ${who} ${stage}: ${error}`);
    if (failures.length < 30) failures.push({ who, stage, error: String(error).slice(0, 200), t: secs() });
    else failuresDropped++;
  }
  function pct(sorted, q) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null; }
  function histPct(h, q) {
    const n = h.reduce((a, b) => a + b, 0);
    if (!n) return null;
    let seen = 0;
    for (let i = 0; i < h.length; i++) { seen += h[i]; if (seen > q * n) return i * 10 + 5; }
    return null;
  }

  // Stayer counters: the stay worker sends cumulative ones; a respawned worker starts from 0.
  const STAY_KEYS = ['data_sent', 'data_send_errors', 'data_received', 'data_gaps', 'data_lost', 'data_dups',
    'data_out_of_order', 'data_bad', 'audio_stalls', 'stayer_disconnects', 'stayer_reconnects', 'stayer_join_failures',
    'churn_data_received', 'event_loop_lags'];
  const stayBase = Object.fromEntries(STAY_KEYS.map((k) => [k, 0]));
  let stayNow = null;      // latest snapshot of the current stay worker
  let stayFinal = false;
  let stayersStarted = null; // {ok, detail}
  const stayTotals = () => Object.fromEntries(STAY_KEYS.map((k) => [k, stayBase[k] + (stayNow?.[k] ?? 0)]));
  let prevPairs = {}, prevReportAt = Date.now();

  // ---- workers
  const workers = new Set();
  const churners = new Map(); // k -> {k, identity, abrupt, stayMs, worker, state, timer}
  let churnW = null, spareDrop = null, stayW = null;
  let workerSeq = 0, startFailuresInARow = 0;
  let stopping = false;

  function spawnWorker(kind) {
    const w = { id: ++workerSeq, kind, churners: new Set(), joins: 0, alive: true, ready: false, exiting: false, killed: false };
    w.readyP = new Promise((res) => { w.resolveReady = res; });
    tot.workers_started++;
    w.proc = fork(SCRIPT, ['--role', kind === 'stay' ? 'stay-worker' : 'churn-worker'], {
      stdio: ['ignore', 2, 2, 'ipc'],
      // rtc-node logs at debug level unless NODE_ENV is production.
      env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production', SOAK_LK_T0: String(T0) },
    });
    w.proc.on('message', (m) => { try { onMessage(w, m); } catch (e) { log(`message ${JSON.stringify(m)}: ${errMsg(e)}`); } });
    w.proc.on('exit', (code, signal) => onExit(w, code, signal));
    w.proc.on('error', (e) => log(`worker ${w.id} (${kind}): ${errMsg(e)}`));
    workers.add(w);
    return w;
  }
  const tell = (w, m) => { if (w.alive && w.proc.connected) w.proc.send(m); };
  function kill(w) { if (w.alive) { w.killed = true; w.proc.kill('SIGKILL'); } }
  function exitWorker(w, cmd = 'exit') {
    if (!w.alive || w.exiting) return;
    w.exiting = true;
    tell(w, { cmd });
    setTimeout(() => { if (w.alive) { log(`worker ${w.id} (${w.kind}) did not exit in 25 s: SIGKILL`); kill(w); } }, 25000);
  }
  function retire(w) {
    w.retiring = true;
    if (w.churners.size === 0) exitWorker(w);
  }
  // A room whose disconnect() hung may still be in the room at edgesfu; it goes when its process
  // exits, so that process takes no more joins.
  function retireAfterHang(w) {
    if (w === churnW) churnW = null;
    if (w.kind === 'churn' && !w.retiring) { log(`worker ${w.id}: a disconnect hung; it takes no more joins`); retire(w); }
  }
  function forget(c) {
    clearTimeout(c.timer);
    churners.delete(c.k);
    c.worker.churners.delete(c.k);
    if (c.worker.kind === 'drop') kill(c.worker); // one churner per drop process
    else if (c.worker.retiring && c.worker.churners.size === 0) exitWorker(c.worker);
  }

  function onMessage(w, m) {
    if (m.ev === 'ready') { w.ready = true; startFailuresInARow = 0; w.resolveReady(true); return; }
    if (w.kind === 'stay') {
      if (m.ev === 'seen') {
        const c = churners.get(Number(m.identity.slice('churn-'.length)));
        if (c) c.seenBy.add(m.by);
      } else if (m.ev === 'stats' && !stayFinal) stayNow = m.s;
      else if (m.ev === 'final') { stayNow = m.s; stayFinal = true; }
      else if (m.ev === 'started') { stayersStarted = { ok: m.ok, detail: m.detail }; if (!m.ok) noteFailure('stayers', 'start', m.detail); }
      return;
    }
    const c = churners.get(m.k);
    if (m.ev === 'data') {
      tot.churn_data_sent += m.reliable + m.lossy;
      tot.churn_data_errors += m.errors;
      return;
    }
    if (!c) return;
    if (m.ev === 'joined') {
      if (c.state !== 'joining') return; // already a failure (timeout): the worker was told to leave
      clearTimeout(c.timer);
      c.state = 'up';
      tot.joins++;
      hist[Math.min(hist.length - 1, Math.floor(m.ms / 10))]++;
      connectHist[Math.min(connectHist.length - 1, Math.floor(m.connect_ms / 10))]++;
      joinMax = Math.max(joinMax, m.ms);
      windowJoinMs.push(m.ms);
      const up = [...churners.values()].filter((x) => x.state === 'up').length;
      tot.max_connected_seen = Math.max(tot.max_connected_seen, up);
      c.timer = setTimeout(() => endChurner(c), c.stayMs);
    } else if (m.ev === 'join_failed') {
      if (c.state === 'joining') joinFailure(c, `${m.error} (after ${m.ms} ms)`);
    } else if (m.ev === 'disconnected') {
      if (c.state === 'joining') { joinFailure(c, `disconnected while joining (reason ${m.reason})`); return; }
      tot.churner_kicked++;
      noteFailure(c.identity, 'unexpected-disconnect', `Disconnected event (reason ${m.reason}) while ${c.state}`);
      if (c.state === 'up') { tot.leaves++; c.state = 'kicked'; clearTimeout(c.timer); }
    } else if (m.ev === 'left') {
      if (c.state === 'leaving' && !m.ok) {
        tot.leave_failures++;
        noteFailure(c.identity, 'leave', m.error);
        retireAfterHang(c.worker);
      }
      forget(c);
    }
  }

  function onExit(w, code, signal) {
    w.alive = false;
    workers.delete(w);
    w.resolveReady(false);
    if (w === churnW) churnW = null;
    if (w === spareDrop) spareDrop = null;
    const expected = w.killed || w.exiting;
    if (!expected) {
      if (!w.ready) startFailuresInARow++;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      if (w.kind === 'stay') {
        tot.stayer_crashes++;
        noteFailure('stay worker', 'crash', how);
        for (const k of STAY_KEYS) stayBase[k] += stayNow?.[k] ?? 0;
        stayNow = null;
        prevPairs = {};
        if (!stopping && Date.now() < T0 + SECONDS * 1000 - 20000) startStayers().catch((e) => noteFailure('stayers', 'respawn', errMsg(e)));
      } else {
        tot.client_crashes++;
        noteFailure(`churn worker ${w.id}`, 'crash', `${how}, ${w.churners.size} churners in it`);
      }
      if (startFailuresInARow >= 5) finish('worker processes keep exiting before they are ready (rtc-node cannot load?)');
    }
    for (const k of w.churners) {
      const c = churners.get(k);
      if (!c) continue;
      if (!expected) {
        if (c.state === 'joining') tot.lost_to_crash++;
        else if (c.state === 'up') tot.leaves++;
      }
      forget(c);
    }
    if (w === stayW) stayW = null;
  }

  function joinFailure(c, error) {
    clearTimeout(c.timer);
    tot.join_failures++;
    noteFailure(c.identity, 'join', error);
    c.state = 'failed';
    if (c.abrupt) { kill(c.worker); return; }
    tell(c.worker, { cmd: 'leave', k: c.k }); // ignored if the worker is already cleaning up
    c.timer = setTimeout(() => { log(`${c.identity}: no 'left' 20 s after a failed join; forgotten`); forget(c); }, 20000);
  }

  function endChurner(c) {
    if (c.state !== 'up') return;
    tot.leaves++;
    // Every stayer should have had the churner's track by now (all stayers present).
    if (c.seenBy.size < NSTAYERS && stayNow?.connected === NSTAYERS) {
      tot.churn_tracks_unseen++;
      log(`${c.identity}: its track reached ${c.seenBy.size} of ${NSTAYERS} stayers in ${(c.stayMs / 1000).toFixed(1)} s`);
    }
    if (c.abrupt) {
      tot.abrupt_leaves++;
      c.state = 'gone';
      kill(c.worker); // forget() when it has exited
      return;
    }
    tot.clean_leaves++;
    c.state = 'leaving';
    tell(c.worker, { cmd: 'leave', k: c.k });
    c.timer = setTimeout(() => {
      tot.leave_failures++;
      noteFailure(c.identity, 'leave', 'no answer from the worker in 20 s');
      retireAfterHang(c.worker);
      forget(c);
    }, 20000);
  }

  function takeWorker(abrupt) {
    if (abrupt) {
      const w = spareDrop?.alive ? spareDrop : spawnWorker('drop');
      spareDrop = stopping ? null : spawnWorker('drop'); // warm for the next abrupt churner
      return w;
    }
    if (churnW && churnW.joins >= CHURN_WORKER_JOINS) { retire(churnW); churnW = null; }
    if (!churnW) churnW = spawnWorker('churn');
    return churnW;
  }

  // Takes its place among the churners at once (the scheduler counts it), then joins.
  async function startChurner(plan) {
    const identity = `churn-${plan.k}`;
    const w = takeWorker(plan.abrupt);
    w.joins++;
    const c = {
      k: plan.k, identity, abrupt: plan.abrupt, stayMs: plan.stayMs, worker: w, state: 'joining', timer: null,
      seenBy: new Set(), // stayers subscribed to its track
    };
    churners.set(c.k, c);
    w.churners.add(c.k);
    const jwt = await token(identity, '10m');
    const ready = await withTimeout(w.readyP, 20000, 'worker start').catch(() => false);
    if (stopping || !ready || !churners.has(c.k)) {
      if (!ready && !stopping) noteFailure(identity, 'worker', `worker ${w.id} not ready in 20 s`);
      if (!ready) kill(w);
      if (churners.has(c.k)) forget(c);
      return;
    }
    tot.join_attempts++;
    // The worker reports a join over 10 s itself; this is for a worker that stopped answering.
    c.timer = setTimeout(() => { if (c.state === 'joining') joinFailure(c, 'no answer from the worker in 12 s'); }, JOIN_LIMIT_MS + 2000);
    tell(w, { cmd: 'join', k: c.k, identity, token: jwt, hz: 200 + 20 * (plan.k % 30), url: args.url });
  }

  async function startStayers() {
    const w = spawnWorker('stay');
    stayW = w;
    if (!(await withTimeout(w.readyP, 30000, 'stay worker start').catch(() => false))) {
      noteFailure('stay worker', 'start', 'not ready in 30 s');
      kill(w);
      return;
    }
    const ttl = Math.ceil(SECONDS) + 900;
    const stayers = [];
    for (let i = 0; i < NSTAYERS; i++) stayers.push({ identity: `stay-${i}`, token: await token(`stay-${i}`, ttl), hz: 1000 + 150 * i });
    tell(w, { cmd: 'start', url: args.url, stayers });
  }

  // ---- output
  function writeLine(obj) {
    const line = JSON.stringify(obj) + '\n';
    if (outFd === 1) { process.stdout.write(line); return; }
    try { writeSync(outFd, line); } catch (e) { log(`--out ${args.out}: ${errMsg(e)}`); }
  }
  function report() {
    const now = Date.now();
    const s = stayTotals();
    const w = windowJoinMs.sort((a, b) => a - b);
    windowJoinMs = [];
    // Audible audio frames per second, the worst stayer pair over the window.
    let fpsMin = null;
    const pairs = stayNow?.pairs ?? {};
    for (const [key, p] of Object.entries(pairs)) {
      const before = prevPairs[key]?.audible ?? 0;
      const fps = (p.audible >= before ? p.audible - before : p.audible) / ((now - prevReportAt) / 1000);
      fpsMin = fpsMin === null ? fps : Math.min(fpsMin, fps);
    }
    prevPairs = pairs;
    prevReportAt = now;
    writeLine({
      t: secs(), joins: tot.joins, leaves: tot.leaves, join_failures: tot.join_failures,
      connected: [...churners.values()].filter((c) => c.state === 'up').length,
      data_sent: s.data_sent, data_received: s.data_received, data_gaps: s.data_gaps, data_lost: s.data_lost,
      data_dups: s.data_dups, data_out_of_order: s.data_out_of_order, audio_stalls: s.audio_stalls,
      audio_fps_min: fpsMin === null || stopping ? null : Math.round(fpsMin),
      join_ms_p50: pct(w, 0.5), join_ms_p95: pct(w, 0.95), joins_5s: w.length,
      abrupt_leaves: tot.abrupt_leaves, churn_tracks_unseen: tot.churn_tracks_unseen, leave_failures: tot.leave_failures,
      client_crashes: tot.client_crashes, stayer_disconnects: s.stayer_disconnects,
      stay_rss_mb: stayNow?.rss_mb ?? null, processes: workers.size,
    });
  }

  let emitted = false;
  function emit(reason) {
    if (emitted) return 1;
    emitted = true;
    const s = stayTotals();
    const problems = [];
    if (tot.join_failures > 0.01 * tot.join_attempts) problems.push(`${tot.join_failures} join failures of ${tot.join_attempts} attempts (> 1 %)`);
    for (const k of ['data_gaps', 'data_lost', 'data_dups', 'data_out_of_order', 'data_bad', 'audio_stalls',
      'stayer_disconnects', 'stayer_reconnects', 'stayer_join_failures']) if (s[k]) problems.push(`${k} ${s[k]}`);
    if (tot.stayer_crashes) problems.push(`stay worker crashed ${tot.stayer_crashes} times`);
    if (NSTAYERS > 0 && !stayersStarted?.ok) problems.push(`stayers: ${stayersStarted?.detail ?? 'never started'}`);
    if (NSTAYERS > 1 && !s.data_received) problems.push('no stayer data received');
    if (NSTAYERS > 0 && !stayFinal) problems.push('no final stayer figures (stay worker did not answer at the end)');
    const ok = problems.length === 0;
    const elapsed = (Date.now() - T0) / 1000;
    const summary = {
      ok, seconds: Number(elapsed.toFixed(1)), joins: tot.joins, join_attempts: tot.join_attempts,
      join_failures: tot.join_failures, leaves: tot.leaves, clean_leaves: tot.clean_leaves,
      abrupt_leaves: tot.abrupt_leaves, leave_failures: tot.leave_failures, churner_kicked: tot.churner_kicked,
      data_sent: s.data_sent, data_received: s.data_received, data_gaps: s.data_gaps, data_lost: s.data_lost,
      data_dups: s.data_dups, data_out_of_order: s.data_out_of_order, data_bad: s.data_bad,
      data_send_errors: s.data_send_errors, audio_stalls: s.audio_stalls, stay_event_loop_lags: s.event_loop_lags,
      stayer_disconnects: s.stayer_disconnects, stayer_reconnects: s.stayer_reconnects,
      stayer_join_failures: s.stayer_join_failures, stayer_crashes: tot.stayer_crashes,
      join_ms: { p50: histPct(hist, 0.5), p95: histPct(hist, 0.95), max: joinMax },
      connect_ms: { p50: histPct(connectHist, 0.5), p95: histPct(connectHist, 0.95) },
      churn_tracks_unseen: tot.churn_tracks_unseen,
      join_rate: Number((tot.joins / Math.max(1, elapsed)).toFixed(2)), max_connected_seen: tot.max_connected_seen,
      churn_data_sent: tot.churn_data_sent, churn_data_errors: tot.churn_data_errors,
      churn_data_received: s.churn_data_received, client_crashes: tot.client_crashes, lost_to_crash: tot.lost_to_crash,
      processes_started: tot.workers_started, pairs: stayNow?.pairs ?? {},
      seed: SEED, rate: RATE, max_connected: MAX_CONNECTED, stayers: NSTAYERS, abrupt: ABRUPT,
      reason: ok ? reason : `${reason}; ${problems.join('; ')}`, failures, failures_not_listed: failuresDropped,
    };
    if (outFd !== 1) closeSync(outFd);
    process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(ok ? 0 : 1));
    setTimeout(() => process.exit(ok ? 0 : 1), 2000);
    return ok ? 0 : 1;
  }

  let reportTimer = null;
  async function finish(reason) {
    if (stopping) return;
    stopping = true;
    log(`finishing: ${reason}`);
    setTimeout(() => { log('cleanup backstop (40 s)'); for (const w of workers) kill(w); emit(`${reason} (cleanup backstop)`); }, 40000);
    for (const c of churners.values()) clearTimeout(c.timer);
    // Everyone disconnects: churners cleanly (their processes exit), stayers after their last messages.
    for (const w of workers) exitWorker(w, w.kind === 'stay' ? 'stop' : 'exit');
    const end = Date.now() + 30000;
    while (workers.size && Date.now() < end) await sleep(100);
    for (const w of workers) { log(`worker ${w.id} (${w.kind}) still there: SIGKILL`); kill(w); }
    clearInterval(reportTimer);
    if (Date.now() - prevReportAt > 1000) report();
    emit(reason);
  }

  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      if (++signals > 1) { for (const w of workers) kill(w); emit(`${sig} again: stopped at once`); return; }
      finish(`${sig}`);
    });
  }
  process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));
  process.on('uncaughtException', (e) => { log(`uncaught exception: ${e?.stack ?? e}`); finish(`uncaught exception: ${errMsg(e)}`); });
  setTimeout(() => { for (const w of workers) kill(w); emit(`hard timeout (${SECONDS + 120} s)`); }, (SECONDS + 120) * 1000);

  // ---- run
  const meanStayS = (STAY_MIN_MS + STAY_MAX_MS) / 2000;
  log(`url=${args.url} room=${args.room} seconds=${SECONDS} seed=${SEED} rate=${RATE} max_connected=${MAX_CONNECTED} `
    + `stayers=${NSTAYERS} abrupt=${ABRUPT}`);
  if (RATE * meanStayS > MAX_CONNECTED) {
    log(`note: --rate ${RATE} with stays of ${meanStayS} s on average needs ~${Math.ceil(RATE * meanStayS)} places; `
      + `with --max-connected ${MAX_CONNECTED} joins wait for a free place (at most ~${(MAX_CONNECTED / meanStayS).toFixed(1)} joins/s)`);
  }
  const churnEnd = T0 + SECONDS * 1000;
  reportTimer = setInterval(report, REPORT_MS);
  if (NSTAYERS > 0) {
    await startStayers();
    const until = Date.now() + 45000;
    while (!stopping && !stayersStarted && Date.now() < until && stayW) await sleep(100);
    if (!stayersStarted && !stopping) noteFailure('stayers', 'start', 'no answer from the stay worker in 45 s');
  }
  if (ABRUPT > 0 && !stopping) spareDrop = spawnWorker('drop');

  // Churn: Poisson arrivals at --rate; a join waits while --max-connected churners are present.
  let next = Date.now();
  for (let k = 0; !stopping; k++) {
    const gapMs = (-Math.log(1 - rnd()) / RATE) * 1000;
    const stayMs = STAY_MIN_MS + rnd() * (STAY_MAX_MS - STAY_MIN_MS);
    const abrupt = rnd() < ABRUPT;
    next += gapMs;
    while (!stopping && Date.now() < Math.min(next, churnEnd)) await sleep(Math.min(250, next - Date.now()));
    if (stopping || Date.now() >= churnEnd) break;
    if (churners.size >= MAX_CONNECTED) {
      while (!stopping && churners.size >= MAX_CONNECTED && Date.now() < churnEnd) await sleep(20);
      if (stopping || Date.now() >= churnEnd) break;
      next = Date.now();
    }
    startChurner({ k, stayMs, abrupt }).catch((e) => noteFailure(`churn-${k}`, 'start', errMsg(e)));
  }
  await finish(`${SECONDS} s over`);
}
