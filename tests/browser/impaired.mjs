// Impaired networks (issue 16 #1): a headless Chromium page publishes its
// fake camera and microphone (WHIP) and another plays the room (WHEP) through
// edgesfu while tools/impair, on NFQUEUE queues of this (the client's)
// namespace, spoils one direction at a time:
//   uplink:   every UDP packet the clients send to the appliance (the
//             publisher's media; the player's RTCP and checks go that way too)
//   downlink: every UDP packet the appliance sends to the clients (the
//             player's media; the publisher's feedback too)
// Phases run in order, each {name, seconds, up: [impair args], down: [...],
// outage: true}; a werift subscriber beside the player counts every sequence
// number it gets, which gives the exact residual loss (libwebrtc's stats can
// only bound it, see lossOf); an outage phase cuts both directions for its seconds and
// measures how long the player takes to decode again (a keyframe asked for
// with PLI). Prints one JSON object: per phase the player's video and audio
// residual loss (lost after retransmissions, read 1 s after the phase so
// late repairs count; see lossOf), frames decoded per second, NACKs, PLIs
// and freezes (a packet never repaired leaves its frame undecodable: the
// player asks for a keyframe), and the publisher's retransmissions; then a
// per-second timeline. With LK_SECRET (the API secret of devkey) set,
// LiveKit's own SDK runs beside them through the same impaired link
// (tests/livekit/impaired_lk.mjs, room ROOM-lk: @livekit/rtc-node publishing
// a camera and a microphone, and a subscriber decoding them), and each phase
// has its figures under "lk". Exit 0 when it ran, 1 when it could not (the
// caller judges the figures).
//
//   IMPAIR=path/to/impair [LK_SECRET=S] node impaired.mjs BASE ROOM PUB_TOKEN SUB_TOKEN PHASES_JSON COUNTER_TOKEN
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { launchChromium, gotoSettled } from './chromium.mjs';

const [base, room, pubToken, subToken, phasesJson, counterToken] = process.argv.slice(2);
const phases = JSON.parse(phasesJson);
const impairBin = process.env.IMPAIR;
const appliance = new URL(base).hostname;
const sleep = ms => new Promise(r => setTimeout(r, ms));

// One impair process on its own queue, and the iptables rule that feeds it.
const rules = [];
const procs = new Set();
async function startImpair(queue, chain, args) {
  const p = spawn(impairBin, ['--queue', String(queue), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.add(p);
  p.on('exit', () => procs.delete(p));
  let err = '';
  const ready = new Promise((resolve, reject) => {
    p.stderr.on('data', d => {
      err += d;
      if (err.includes(`impair: ready queue=${queue}`)) resolve();
    });
    p.on('exit', code => reject(new Error(`impair exited ${code}: ${err}`)));
  });
  await ready;
  const rule = [chain, '-p', 'udp', chain === 'OUTPUT' ? '-d' : '-s', appliance,
    '-j', 'NFQUEUE', '--queue-num', String(queue), '--queue-bypass'];
  execFileSync('iptables-legacy', ['-I', ...rule]);
  rules.push(rule);
  return { proc: p, rule, stats: () => err.trim().split('\n').filter(l => l.includes('seen=')).pop() };
}
async function stopImpair(im) {
  execFileSync('iptables-legacy', ['-D', ...im.rule]);
  rules.splice(rules.indexOf(im.rule), 1);
  const done = new Promise(r => im.proc.on('close', r));  // after its stderr's last line
  im.proc.kill('SIGTERM');
  await done;
  return im.stats();
}
function removeRulesAndImpairs() {
  for (const r of rules.splice(0)) {
    try { execFileSync('iptables-legacy', ['-D', ...r]); } catch { /* gone already */ }
  }
  for (const p of procs) p.kill('SIGTERM');
}

// A second subscriber that counts exactly: werift over WHEP (NACKs for
// video, as libwebrtc does; edgesfu retransmits the originals to it, since
// it offers no RTX), recording when each sequence number first arrived.
async function weriftCounter(token) {
  const pc = new RTCPeerConnection({ iceServers: [], codecs: {
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] })] } });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  const seen = { audio: new Map(), video: new Map() };  // extended seq -> first arrival (ms)
  pc.onTrack.subscribe(t => {
    const m = seen[t.kind];
    let high = -1;
    t.onReceiveRtp.subscribe(rtp => {
      const seq = rtp.header.sequenceNumber;
      let ext = seq;
      if (high >= 0) {
        const delta = ((seq - (high & 0xffff) + 0x8000) & 0xffff) - 0x8000;
        ext = high + delta;
      }
      if (ext > high) high = ext;
      if (!m.has(ext)) m.set(ext, Date.now());
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  for (let i = 0; i < 50 && pc.iceGatheringState !== 'complete'; ++i) await sleep(100);
  const r = await fetch(`${base}/whep/${room}`, { method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + token }, body: pc.localDescription.sdp });
  const body = await r.text();
  if (r.status !== 201) throw new Error(`werift WHEP: HTTP ${r.status}: ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  const loc = new URL(r.headers.get('Location'), base).toString();
  return { pc, seen, loc };
}
// The rtc-node pair (impaired_lk.mjs) as a child: snap() gives its
// cumulative counters, stop() ends it.
async function startLk(secret) {
  const script = new URL('../livekit/impaired_lk.mjs', import.meta.url).pathname;
  const p = spawn(process.execPath, [script, '--secret', secret, '--url', base.replace(/^http/, 'ws'),
    '--room', `${room}-lk`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let errTail = '';
  p.stderr.on('data', d => { errTail = (errTail + d).slice(-4000); });
  const exited = new Promise(r => p.on('exit', r));
  const waiting = [];
  let ready;
  const readyP = new Promise(r => { ready = r; });
  createInterface({ input: p.stdout }).on('line', l => {
    let j;
    try { j = JSON.parse(l); } catch { return; }
    if (j.ready || j.error) ready(j);
    else if (j.t !== undefined && waiting.length) waiting.shift()(j);
  });
  const first = await Promise.race([readyP, exited.then(c => ({ error: `exited ${c}` })),
    sleep(45000).then(() => ({ error: 'not ready in 45 s' }))]);
  if (!first.ready) throw new Error(`rtc-node: ${first.error}; ${errTail.slice(-1500)}`);
  return {
    snap: () => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('rtc-node: no snap in 5 s')), 5000);
      waiting.push(j => { clearTimeout(t); resolve(j); });
      p.stdin.write('snap\n');
    }),
    stop: async () => { p.stdin.end('stop\n'); await Promise.race([exited, sleep(20000)]); p.kill('SIGKILL'); },
  };
}

// rtc-node's figures between two snaps (late: 1 s after the phase, so that
// late repairs count): frames decoded a second, libwebrtc's packetsLost
// against packets received plus lost, NACKs, freezes, PLIs, keyframes, audio
// loss; and its publisher's frames a second (captured by the script, encoded,
// sent: the subscriber cannot decode more than were sent), keyframes, PLIs.
function lkFigures(a, b, late, secs) {
  const v = (s, k) => (s.video && s.video[k]) || 0, au = (s, k) => (s.audio && s.audio[k]) || 0;
  const p = (s, k) => (s.pub && s.pub[k]) || 0;
  const vExp = v(b, 'received') - v(a, 'received') + v(b, 'lost') - v(a, 'lost');
  const aExp = au(b, 'received') - au(a, 'received') + au(b, 'lost') - au(a, 'lost');
  return {
    fps: (v(b, 'frames') - v(a, 'frames')) / secs,
    video_packets: v(b, 'received') - v(a, 'received'),
    video_loss: vExp > 0 ? (v(late, 'lost') - v(a, 'lost')) / vExp : null,
    nacks: v(b, 'nacks') - v(a, 'nacks'),
    freezes: v(b, 'freezes') - v(a, 'freezes'),
    keyframes: v(b, 'keyframes') - v(a, 'keyframes'),
    plis: v(b, 'plis') - v(a, 'plis'),
    publisher_fps: (p(b, 'frames') - p(a, 'frames')) / secs,
    publisher_captured_fps: (p(b, 'captured') - p(a, 'captured')) / secs,
    publisher_encoded_fps: (p(b, 'encoded') - p(a, 'encoded')) / secs,
    publisher_keyframes: p(b, 'keyframes') - p(a, 'keyframes'),
    publisher_plis: p(b, 'plis') - p(a, 'plis'),
    publisher_kbps: p(b, 'bitrate') / 1000,
    audio_frames: au(b, 'frames') - au(a, 'frames'),
    audio_loss: aExp > 0 ? (au(late, 'lost') - au(a, 'lost')) / aExp : null,
    publisher_rtx: p(b, 'rtx') - p(a, 'rtx'),
    reconnects: (b.reconnects || {}),
  };
}

// Of the packets in the sequence range that arrived between t0 and t1, the
// share that never arrived at all (retransmissions included).
function exactLoss(m, t0, t1) {
  let lo = Infinity, hi = -Infinity;
  for (const [ext, at] of m) {
    if (at < t0 || at > t1) continue;
    if (ext < lo) lo = ext;
    if (ext > hi) hi = ext;
  }
  if (hi < lo) return { loss: null, packets: 0 };
  const gaps = [];
  for (let e = lo; e <= hi; ++e) if (!m.has(e)) gaps.push(e - lo);
  return { loss: gaps.length / (hi - lo + 1), packets: hi - lo + 1, gaps: gaps.slice(0, 20) };
}

// The players' and publisher's counters that matter here.
async function snapshot(player, publisher) {
  const [pl, pu] = await Promise.all([
    player.evaluate(async () => {
      const out = { t: performance.now() };
      (await window.player.getStats()).forEach(s => {
        if (s.type !== 'inbound-rtp') return;
        out[s.kind] = { received: s.packetsReceived || 0, lost: s.packetsLost || 0,
          frames: s.framesDecoded || 0, keyframes: s.keyFramesDecoded || 0, nacks: s.nackCount || 0,
          plis: s.pliCount || 0, rtx: s.retransmittedPacketsReceived || 0,
          freezes: s.freezeCount || 0, concealed: s.concealedSamples || 0,
          samples: s.totalSamplesReceived || 0, width: s.frameWidth || 0 };
      });
      return out;
    }),
    publisher.evaluate(async () => {
      const out = {};
      (await window.publisher.getStats()).forEach(s => {
        if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
        const v = out.video || { nacks: 0, rtx: 0, plis: 0, sent: 0 };
        v.nacks += s.nackCount || 0;
        v.rtx += s.retransmittedPacketsSent || 0;
        v.plis += s.pliCount || 0;
        v.sent += s.packetsSent || 0;
        out.video = v;
      });
      return out;
    }),
  ]);
  return { ...pl, pub: pu.video || { nacks: 0, rtx: 0, plis: 0, sent: 0 } };
}

const d = (a, b, k) => ((a && a[k]) || 0) - ((b && b[k]) || 0);
// Loss over [s0, s1] as a share of the packets expected then, read at
// sLate. libwebrtc leaves the packets it recovered from RTX out of its
// receive statistics (packetsLost counts them lost, RtpVideoStreamReceiver2
// skips recovered() packets), so what stays lost is packetsLost less the
// retransmissions received; `raw` is packetsLost alone (before RTX).
function lossOf(kind, s0, s1, sLate, raw = false) {
  const expected = d(s1[kind], s0[kind], 'received') + d(s1[kind], s0[kind], 'lost');
  const lost = d(sLate[kind], s0[kind], 'lost') - (raw ? 0 : d(sLate[kind], s0[kind], 'rtx'));
  return expected > 0 ? Math.max(0, lost) / expected : null;
}

const chrome = await launchChromium(base);
let ok = false;
let counter = null;
let lk = null;
const timeline = [];
const results = [];
try {
  const pub = await chrome.browser.newPage();
  const player = await chrome.browser.newPage();
  for (const [name, p] of [['publisher', pub], ['player', player]]) {
    p.on('console', m => console.error(`[${name}] ${m.text()}`));
    await gotoSettled(p, base + '/');
  }
  await pub.evaluate(([r, t]) => publish(r, t), [room, pubToken]);
  await player.evaluate(([r, t]) => play(r, t), [room, subToken]);
  counter = await weriftCounter(counterToken);
  if (process.env.LK_SECRET) lk = await startLk(process.env.LK_SECRET);
  // Media flowing before the first phase.
  const t0 = Date.now();
  for (;;) {
    const s = await snapshot(player, pub);
    if (s.video && s.video.frames > 30 && s.audio && s.audio.received > 100) break;
    if (Date.now() - t0 > 30000) throw new Error('no media within 30 s');
    await sleep(250);
  }
  const start = Date.now();
  let phaseName = '';
  // Per-second samples for the plots, in the background of the phases.
  let sampling = true;
  const sampler = (async () => {
    let prev = await snapshot(player, pub);
    while (sampling) {
      await sleep(1000);
      const s = await snapshot(player, pub);
      timeline.push({ t: (Date.now() - start) / 1000, phase: phaseName,
        video_pps: d(s.video, prev.video, 'received'), video_lost: d(s.video, prev.video, 'lost'),
        fps: d(s.video, prev.video, 'frames'), audio_pps: d(s.audio, prev.audio, 'received'),
        audio_lost: d(s.audio, prev.audio, 'lost'), width: (s.video || {}).width || 0 });
      prev = s;
    }
  })();
  for (const ph of phases) {
    phaseName = ph.name;
    const r = { name: ph.name, seconds: ph.seconds };
    if (ph.outage) {
      const up = await startImpair(11, 'OUTPUT', []);
      const down = await startImpair(12, 'INPUT', []);
      await sleep(500);
      up.proc.kill('SIGUSR1');
      down.proc.kill('SIGUSR1');
      await sleep(ph.seconds * 1000);
      const before = await snapshot(player, pub);
      const lkBefore = lk ? await lk.snap() : null;
      up.proc.kill('SIGUSR1');
      down.proc.kill('SIGUSR1');
      const cut = Date.now();
      let back = null, key = null, lkBack = lk ? null : -1;
      while (Date.now() - cut < 10000 && (back === null || key === null || lkBack === null)) {
        const s = await snapshot(player, pub);
        if (back === null && s.video.frames > before.video.frames) back = Date.now() - cut;
        if (key === null && s.video.keyframes > before.video.keyframes) key = Date.now() - cut;
        if (lkBack === null && (await lk.snap()).video.frames > lkBefore.video.frames) lkBack = Date.now() - cut;
        await sleep(20);
      }
      r.recover_ms = back;
      r.keyframe_ms = key;
      if (lk) r.lk = { recover_ms: lkBack };
      r.impair = [await stopImpair(up), await stopImpair(down)];
    } else {
      const im = [];
      if (ph.up) im.push(await startImpair(1, 'OUTPUT', ph.up));
      if (ph.down) im.push(await startImpair(2, 'INPUT', ph.down));
      const s0 = await snapshot(player, pub);
      const l0 = lk ? await lk.snap() : null;
      const w0 = Date.now();
      await sleep(ph.seconds * 1000);
      const s1 = await snapshot(player, pub);
      const l1 = lk ? await lk.snap() : null;
      const w1 = Date.now();
      r.impair = [];
      for (const x of im) r.impair.push(await stopImpair(x));
      await sleep(1000);
      const late = await snapshot(player, pub);
      if (lk) r.lk = lkFigures(l0, l1, await lk.snap(), (l1.t - l0.t) / 1000);
      const secs = (s1.t - s0.t) / 1000;
      r.video_loss = lossOf('video', s0, s1, late);
      r.video_loss_before_rtx = lossOf('video', s0, s1, late, true);
      const wv = exactLoss(counter.seen.video, w0, w1), wa = exactLoss(counter.seen.audio, w0, w1);
      r.werift_video_loss = wv.loss;
      r.werift_video_packets = wv.packets;
      r.werift_video_gaps = wv.gaps;  // offsets in the phase's range of the packets never received
      r.werift_audio_loss = wa.loss;
      r.audio_loss = lossOf('audio', s0, s1, late);
      r.video_packets = d(s1.video, s0.video, 'received');
      r.fps = d(s1.video, s0.video, 'frames') / secs;
      r.player_nacks = d(s1.video, s0.video, 'nacks');
      r.player_plis = d(s1.video, s0.video, 'plis');
      r.player_rtx = d(s1.video, s0.video, 'rtx');
      r.freezes = d(s1.video, s0.video, 'freezes');
      r.publisher_nacks = d(s1.pub, s0.pub, 'nacks');
      r.publisher_rtx = d(s1.pub, s0.pub, 'rtx');
      r.width = s1.video.width;
    }
    results.push(r);
    console.error(`phase ${JSON.stringify(r)}`);
  }
  sampling = false;
  await sampler;
  if (lk) await lk.stop();
  await player.evaluate(() => stop());
  await pub.evaluate(() => stop());
  await fetch(counter.loc, { method: 'DELETE' }).catch(() => {});
  ok = true;
} catch (e) {
  console.error('impaired test:', e.stack || e.message);
} finally {
  removeRulesAndImpairs();
  if (counter) await counter.pc.close().catch(() => {});
  await chrome.close();
}
console.log(JSON.stringify({ phases: results, timeline }));
process.exit(ok ? 0 : 1);
