// LiveKit data figures with the Rust-based SDK (@livekit/rtc-node 1.1.0, from
// tests/livekit) against edgesfu, for bench/livekit_data. For each receiver
// count R (--receivers, e.g. 1,10), one sender and R receivers in a room:
//   throughput: the sender publishes --messages reliable packets of each
//               --sizes bytes as fast as the SDK takes them, but never more
//               than --window-bytes (512,000) ahead of the slowest receiver
//               (what a sender that waits for its receivers gets: within
//               edgesfu's send buffer toward each, so none is dropped); from
//               the first publish to the last packet at the last receiver:
//               messages/s and MB/s in (from the sender) and out (to all
//               receivers);
//   latency:    100 packets/s of 200 bytes for 5 s; publish -> receive at
//               each receiver (one process, one clock), p50/p99 ms;
//   CPU:        edgesfu's slow-path thread (esfu-slowpath, /proc) during the
//               throughput phase, µs per message received and per message sent.
// Prints one JSON line (the last line of stdout).
//
//   node livekit_data.mjs --url ws://198.18.0.2:7880 --secret S --esfu-pid PID
//        [--receivers 1,10] [--messages 5000] [--sizes 1000,15000] [--window-bytes 512000]
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../tests/livekit/package.json'));
const { Room, RoomEvent, dispose } = require('@livekit/rtc-node');
const { AccessToken } = require('livekit-server-sdk');

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', 'esfu-pid': '', receivers: '1,10',
  messages: '5000', sizes: '1000,15000', 'window-bytes': '512000' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const log = (...m) => console.error('[livekit_data]', ...m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const N = Number(args.messages);

async function token(room, identity) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  return at.toJwt();
}
function pct(v, p) {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null;
}
// CPU seconds of edgesfu's slow-path thread so far.
function slowpathCpu() {
  const pid = args['esfu-pid'];
  if (!pid) return null;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== 'esfu-slowpath') continue;
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;  // utime, stime (clock ticks of 1/100 s)
    } catch { /* the thread went */ }
  }
  return null;
}
async function until(pred, ms) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(10);
  return pred();
}

const result = { ok: false, runs: [] };
const rooms = [];
try {
  for (const R of args.receivers.split(',').map(Number)) {
    const name = `bench-data-${R}`;
    const sender = new Room();
    await sender.connect(args.url, await token(name, 'sender'), { autoSubscribe: false });
    rooms.push(sender);
    const recv = [];
    for (let i = 0; i < R; ++i) {
      const room = new Room();
      const r = { room, count: 0, bytes: 0, lat: [] };
      room.on(RoomEvent.DataReceived, (payload, participant, kind, topic) => {
        if (topic === 'lat') {
          r.lat.push(performance.now() - new DataView(payload.buffer, payload.byteOffset).getFloat64(0));
          return;
        }
        r.count += 1;
        r.bytes += payload.length;
      });
      await room.connect(args.url, await token(name, `receiver-${i}`), { autoSubscribe: false });
      rooms.push(room);
      recv.push(r);
    }
    await until(() => sender.remoteParticipants.size >= R, 10000);
    // Warm-up: the data channels are open end to end once one packet made it.
    await sender.localParticipant.publishData(new Uint8Array(10), { reliable: true, topic: 'warm' });
    await until(() => recv.every((r) => r.count >= 1), 15000);
    for (const r of recv) { r.count = 0; r.bytes = 0; }

    for (const size of args.sizes.split(',').map(Number)) {
      const msg = new Uint8Array(size).fill(7);
      for (const r of recv) { r.count = 0; r.bytes = 0; }
      const cpu0 = slowpathCpu();
      const t0 = performance.now();
      const window = Math.max(4, Math.floor(Number(args['window-bytes']) / size));
      for (let i = 0; i < N; ++i) {
        if (recv.some((r) => r.count < i - window)) {
          await until(() => recv.every((r) => r.count >= i - window), 30000);
        }
        await sender.localParticipant.publishData(msg, { reliable: true, topic: 'bulk' });
      }
      const all = await until(() => recv.every((r) => r.count >= N), 120000);
      const secs = (performance.now() - t0) / 1000;
      const cpu = slowpathCpu() !== null && cpu0 !== null ? slowpathCpu() - cpu0 : null;
      const got = recv.reduce((n, r) => n + r.count, 0);
      const run = {
        receivers: R, size, messages: N, window_messages: window, complete: all, seconds: Number(secs.toFixed(3)),
        msgs_per_s_in: Math.round(N / secs), mb_per_s_in: Number((N * size / secs / 1e6).toFixed(2)),
        msgs_per_s_out: Math.round(got / secs), mb_per_s_out: Number((got * size / secs / 1e6).toFixed(2)),
        slowpath_cpu_s: cpu, us_per_msg_in: cpu !== null ? Number((cpu * 1e6 / N).toFixed(1)) : null,
        us_per_msg_out: cpu !== null && got ? Number((cpu * 1e6 / got).toFixed(1)) : null,
      };
      log(JSON.stringify(run));
      result.runs.push(run);
    }

    // Latency at a moderate rate.
    const lat = new Uint8Array(200);
    const t1 = Date.now();
    while (Date.now() - t1 < 5000) {
      new DataView(lat.buffer).setFloat64(0, performance.now());
      await sender.localParticipant.publishData(lat, { reliable: true, topic: 'lat' });
      await sleep(10);
    }
    await sleep(500);
    const all = recv.flatMap((r) => r.lat);
    const run = { receivers: R, latency_ms: { n: all.length, p50: Number(pct(all, 0.5)?.toFixed(2)), p99: Number(pct(all, 0.99)?.toFixed(2)) } };
    log(JSON.stringify(run));
    result.runs.push(run);
    for (const r of [sender, ...recv.map((x) => x.room)]) await r.disconnect();
  }
  result.ok = result.runs.every((r) => r.complete !== false);
} catch (e) {
  result.error = String(e?.message ?? e);
} finally {
  await dispose().catch(() => {});
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
