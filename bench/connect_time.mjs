// Connect time of a WHIP publisher: how long a headless Chromium (Debian's
// chromium, driven by playwright-core) takes from applying edgesfu's answer to
// RTCPeerConnection.connectionState 'connected' (ICE and DTLS done), N times
// one after the other, each a fresh RTCPeerConnection publishing the fake
// camera and microphone to BASE/whip/ROOM, then DELETEd.
//
//   node bench/connect_time.mjs BASE ROOM TOKEN_FILE [N=50]
//
// TOKEN_FILE: one WHIP publish JWT per line; connect i uses line i (cycling
// when the file has fewer lines than N, so a single line is reused).
// Progress: one line per connect on stderr. Result: one JSON object on stdout,
//   {"n","ok","failed","connect_ms":{min,p50,p95,max,mean},"ice_ms":{...},
//    "samples":[{i, ok, connect_ms, ice_ms, ...}]}
// connect_ms / ice_ms are measured from setRemoteDescription(answer) resolving
// to connectionState / iceConnectionState 'connected'; percentiles are
// nearest-rank over the successful connects. A sample also holds the
// offer/gathering and POST times, when ICE started checking, when the DTLS
// transport went 'connecting'/'connected', and the selected candidate pair's
// STUN request/response counts (where the time goes). Event times are
// relative to t0 and can be negative: the browser starts ICE checks on its
// network thread as soon as the answer's candidates are applied, before the
// setRemoteDescription promise resolves in the page.
// Exit 0 if every connect succeeded, else 1.
//
// Run it where BASE is reachable (the dev topology's <P>-wire namespace);
// bench/connect does all of it.
import { readFileSync } from 'node:fs';

// Chromium as the browser tests launch it (playwright-core lives there).
import { launchChromium, gotoSettled } from '../tests/browser/chromium.mjs';

const [base, room, tokenFile, nArg = '50'] = process.argv.slice(2);
const n = Number(nArg);
if (!base || !room || !tokenFile || !Number.isInteger(n) || n < 1) {
  console.error('usage: node bench/connect_time.mjs BASE ROOM TOKEN_FILE [N=50]');
  process.exit(2);
}
const tokens = readFileSync(tokenFile, 'utf8').split('\n').map(s => s.trim()).filter(Boolean);
if (tokens.length === 0) {
  console.error(`connect_time: no tokens in ${tokenFile}`);
  process.exit(2);
}

const CONNECT_TIMEOUT_MS = 10000;
const GATHER_TIMEOUT_MS = 2000;
const PAUSE_MS = 100;

// Runs inside the page: one publish, timed; always DELETEs and closes.
async function connectOnce({ base, room, token, connectTimeoutMs, gatherTimeoutMs }) {
  const r3 = x => Math.round(x * 1000) / 1000;
  const out = { ok: false };
  const tStart = performance.now();
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  let location = null;
  // Event times (performance.now()); made relative to t0 at the end.
  const ev = {};
  let onConnected, onFailed;
  const connected = new Promise((res, rej) => { onConnected = res; onFailed = rej; });
  connected.catch(() => {});  // a failure after the timeout won; not an unhandled rejection
  pc.oniceconnectionstatechange = () => {
    const s = pc.iceConnectionState;
    if (!(('ice_' + s) in ev)) ev['ice_' + s] = performance.now();
  };
  pc.onconnectionstatechange = () => {
    const s = pc.connectionState;
    if (!(('pc_' + s) in ev)) ev['pc_' + s] = performance.now();
    if (s === 'connected') onConnected();
    if (s === 'failed' || s === 'closed') onFailed(new Error(`connectionState ${s}`));
  };
  try {
    const stream = window.__benchStream;
    for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise(res => {
        const timer = setTimeout(res, gatherTimeoutMs);
        pc.onicegatheringstatechange = () => {
          if (pc.iceGatheringState === 'complete') { clearTimeout(timer); res(); }
        };
      });
    }
    out.gathering = pc.iceGatheringState;
    const tPost = performance.now();
    out.offer_ms = r3(tPost - tStart);
    let resp, answer;
    try {
      resp = await fetch(new URL(`/whip/${encodeURIComponent(room)}`, base), {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token },
        body: pc.localDescription.sdp,
        signal: AbortSignal.timeout(connectTimeoutMs),
      });
      answer = await resp.text();
    } catch (e) {
      throw new Error(`WHIP POST: ${e && e.name === 'TimeoutError'
        ? `no answer within ${connectTimeoutMs} ms` : String(e && e.message || e)}`);
    }
    const tAnswer = performance.now();
    out.post_ms = r3(tAnswer - tPost);
    out.status = resp.status;
    if (resp.headers.get('Location')) location = new URL(resp.headers.get('Location'), base).href;
    if (resp.status !== 201) throw new Error(`WHIP POST: HTTP ${resp.status}: ${answer.slice(0, 200)}`);
    // The DTLS transport exists once the remote description is applied.
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const t0 = performance.now();
    out.srd_ms = r3(t0 - tAnswer);
    const dtls = pc.getSenders().map(s => s.transport).find(Boolean);
    if (dtls) {
      ev['dtls_' + dtls.state] = t0;
      dtls.onstatechange = () => {
        if (!(('dtls_' + dtls.state) in ev)) ev['dtls_' + dtls.state] = performance.now();
      };
    }
    let timer;
    try {
      await Promise.race([connected, new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`not connected within ${connectTimeoutMs} ms ` +
          `(ice ${pc.iceConnectionState}, pc ${pc.connectionState}, dtls ${dtls ? dtls.state : '?'})`)),
        connectTimeoutMs);
      })]);
    } finally {
      clearTimeout(timer);
    }
    const t1 = ev.pc_connected;
    out.ok = true;
    out.connect_ms = r3(t1 - t0);
    if (ev.ice_connected !== undefined) out.ice_ms = r3(ev.ice_connected - t0);
    // The selected pair's STUN counts: retransmitted checks show up here.
    const stats = await pc.getStats();
    stats.forEach(s => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const p = stats.get(s.selectedCandidatePairId);
        if (p) out.pair = { requestsSent: p.requestsSent, responsesReceived: p.responsesReceived,
          requestsReceived: p.requestsReceived, rtt_ms: p.currentRoundTripTime !== undefined
            ? r3(p.currentRoundTripTime * 1000) : undefined };
        out.dtls_cipher = s.dtlsCipher;
        out.srtp_cipher = s.srtpCipher;
      }
    });
    // After getStats: the DTLS transport's statechange can be dispatched after
    // the connectionstatechange.
    out.events = Object.fromEntries(Object.entries(ev).map(([k, v]) => [k, r3(v - t0)]));
  } catch (e) {
    out.error = String(e && e.message || e);
    if (Object.keys(ev).length) out.events_abs = Object.fromEntries(
      Object.entries(ev).map(([k, v]) => [k, r3(v - tStart)]));
  } finally {
    pc.oniceconnectionstatechange = pc.onconnectionstatechange = null;
    if (location) {
      try {
        const d = await fetch(location, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
        out.delete_status = d.status;
      } catch (e) {
        out.delete_status = String(e && e.message || e);
      }
    }
    pc.close();
  }
  return out;
}

function summary(values) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = p => s[Math.max(1, Math.ceil(p / 100 * s.length)) - 1];
  const r3 = x => Math.round(x * 1000) / 1000;
  return { min: s[0], p50: rank(50), p95: rank(95), max: s[s.length - 1],
    mean: r3(s.reduce((a, b) => a + b, 0) / s.length) };
}

const samples = [];
let fatal = null;
let chrome;
try {
  chrome = await launchChromium(base);
  const page = await chrome.browser.newPage();
  page.on('console', m => console.error(`[page] ${m.text()}`));
  await gotoSettled(page, base + '/');
  await page.evaluate(async () => {
    window.__benchStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  });
  for (let i = 0; i < n; ++i) {
    const token = tokens[i % tokens.length];
    let r;
    try {
      r = await page.evaluate(connectOnce, { base, room, token,
        connectTimeoutMs: CONNECT_TIMEOUT_MS, gatherTimeoutMs: GATHER_TIMEOUT_MS });
    } catch (e) {
      r = { ok: false, error: `page.evaluate: ${e.message}` };
    }
    samples.push({ i, ...r });
    const ev = r.events ? Object.entries(r.events).map(([k, v]) => `${k}@${v}`).join(' ') : '';
    console.error(r.ok
      ? `connect ${i + 1}/${n}: ${r.connect_ms.toFixed(1)} ms (ice ${r.ice_ms?.toFixed(1)} ms; ` +
        `offer ${r.offer_ms.toFixed(1)} ms, POST ${r.post_ms.toFixed(1)} ms) ${ev}`
      : `connect ${i + 1}/${n}: FAILED: ${r.error}`);
    await new Promise(res => setTimeout(res, PAUSE_MS));
  }
} catch (e) {
  fatal = String(e && e.message || e);
  console.error('connect_time:', fatal);
} finally {
  if (chrome) await chrome.close();
}

const good = samples.filter(s => s.ok);
const result = {
  n,
  ok: good.length,
  failed: n - good.length,
  connect_ms: summary(good.map(s => s.connect_ms)),
  ice_ms: summary(good.filter(s => s.ice_ms !== undefined).map(s => s.ice_ms)),
  samples,
};
if (fatal) result.error = fatal;
console.log(JSON.stringify(result));
process.exit(result.ok === n ? 0 : 1);
