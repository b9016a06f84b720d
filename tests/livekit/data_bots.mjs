// data_bots.mjs - LiveKit data through edgesfu with @livekit/rtc-node bots (unchanged SDK):
//   publish_data   A's reliable packet with a topic reaches B and C (sender identity and topic kept);
//                  a lossy packet to B only reaches B, not C
//   welcome        A greets each newcomer the moment it is announced (reliable, to it only):
//                  the newcomer's channel is not open yet then, and the greeting still arrives
//   text_streams   sendText B -> A, streamText A -> C (chunks), a 100 kB byte stream B -> C byte-exact
//   rpc            performRpc B -> A and A -> C (both directions, payload echoed, an error relayed)
//   bulk           10,000 reliable messages A -> B (varying sizes up to 4 kB): all arrive, in order,
//                  byte-exact
//   no_publish     D without canPublishData: its packets reach nobody (the server drops them)
//   slow_receiver  E stops reading (its process is stopped): A streams to the room for a while;
//                  B's latency stays bounded, E is dropped for (counted by edgesfu), and gets data
//                  again once it reads
// Usage: node data_bots.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room data]
// Result: one JSON line {"ok":..,"cases":{name:{ok,detail}}} as the LAST stdout line. Exit 0 if
// every case passed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Room, RoomEvent, RpcError, dispose } from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'data', role: 'main', identity: '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error(`usage: node data_bots.mjs --url U --key K --secret S [--room R] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
if (!args.secret) { console.error('data_bots: --secret is required'); process.exit(2); }

const T0 = Date.now();
const log = (...a) => console.error(`[data_bots${args.role === 'main' ? '' : ':' + args.role} +${((Date.now() - T0) / 1000).toFixed(2)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}
const errMsg = (e) => (e?.message ?? String(e));
const enc = new TextEncoder();
const dec = new TextDecoder();

async function token(identity, canPublishData = true) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true, canPublishData });
  return at.toJwt();
}

async function join(identity, canPublishData = true) {
  const room = new Room();
  const got = [];  // every data packet: {from, topic, kind, payload, at}
  room.on(RoomEvent.DataReceived, (payload, participant, kind, topic) => {
    got.push({ from: participant?.identity, topic, kind, payload: new Uint8Array(payload), at: Date.now() });
  });
  await withTimeout(room.connect(args.url, await token(identity, canPublishData), { autoSubscribe: false }),
    10000, `${identity} connect`);
  log(`${identity} connected as ${room.localParticipant.sid}`);
  return { room, got, identity, joinedAt: Date.now() };
}

// A child process that joins as `identity` and reads what comes (the slow receiver).
if (args.role === 'sink') {
  const me = await join(args.identity);
  me.room.on(RoomEvent.Disconnected, () => process.exit(0));
  process.stdout.write('joined\n');
  setInterval(() => process.stdout.write(`got ${me.got.length}\n`), 250);
  process.on('SIGTERM', async () => {
    await withTimeout(me.room.disconnect(), 3000, 'disconnect').catch(() => {});
    process.exit(0);
  });
  await new Promise(() => {});
}

const CASES = ['publish_data', 'welcome', 'text_streams', 'rpc', 'bulk', 'no_publish', 'slow_receiver'];
const cases = {};
function setCase(name, ok, detail) {
  if (name in cases) return;
  cases[name] = { ok: !!ok, detail: String(detail) };
  log(`CASE ${name}: ${ok ? 'PASS' : 'FAIL'} - ${detail}`);
}
const bots = [];
let sink = null;
async function finish(reason) {
  if (reason) log(`finishing: ${reason}`);
  for (const c of CASES) if (!(c in cases)) setCase(c, false, `not run${reason ? ` (${reason})` : ''}`);
  const ok = CASES.every((c) => cases[c].ok);
  setTimeout(() => process.exit(ok ? 0 : 1), 10000);
  if (sink) { try { process.kill(sink.pid, 'SIGCONT'); sink.kill('SIGTERM'); } catch {} }
  for (const b of bots) await withTimeout(b.room.disconnect(), 3000, 'disconnect').catch(() => {});
  await withTimeout(dispose(), 3000, 'dispose').catch(() => {});
  process.stdout.write(JSON.stringify({ ok, cases }) + '\n', () => process.exit(ok ? 0 : 1));
}
setTimeout(() => finish('global timeout (240 s)'), 240000);
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));

// Waits until `pred()` holds (polling), or `ms` passed; returns pred().
async function until(pred, ms) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(20);
  return pred();
}

async function run(name, fn) {
  try {
    await fn();
  } catch (e) {
    setCase(name, false, `error: ${errMsg(e)}`);
  }
}

const A = await join('bot-a');
const B = await join('bot-b');
const C = await join('bot-c');
bots.push(A, B, C);
// Each sees the others before data flows.
await until(() => [A, B, C].every((x) => x.room.remoteParticipants.size >= 2), 5000);

await run('publish_data', async () => {
  const before = { b: B.got.length, c: C.got.length };
  await A.room.localParticipant.publishData(enc.encode('hello everyone'), { reliable: true, topic: 'chat' });
  const both = await until(() => B.got.length > before.b && C.got.length > before.c, 5000);
  const pb = B.got[before.b], pc = C.got[before.c];
  if (!both) return setCase('publish_data', false, `reliable: B got ${B.got.length - before.b}, C ${C.got.length - before.c}`);
  for (const p of [pb, pc]) {
    if (p.from !== 'bot-a' || p.topic !== 'chat' || dec.decode(p.payload) !== 'hello everyone') {
      return setCase('publish_data', false, `reliable packet arrived as ${JSON.stringify({ from: p.from, topic: p.topic, text: dec.decode(p.payload) })}`);
    }
  }
  const mark = { b: B.got.length, c: C.got.length };
  await A.room.localParticipant.publishData(enc.encode('only b'), { reliable: false, destination_identities: ['bot-b'], topic: 'direct' });
  const bGot = await until(() => B.got.length > mark.b, 5000);
  await sleep(1000);
  const cGot = C.got.length - mark.c;
  const lb = B.got[mark.b];
  setCase('publish_data', bGot && cGot === 0 && lb.topic === 'direct' && dec.decode(lb.payload) === 'only b',
    `reliable to all with topic: ok; lossy to bot-b: B ${bGot ? 'got it' : 'got nothing'}, C got ${cGot}`);
});

await run('welcome', async () => {
  // What an app does when someone joins: greet them at once. edgesfu announces the newcomer
  // before its DTLS and data channels are up; the greeting waits for its channel.
  const greet = (p) => {
    A.room.localParticipant.publishData(enc.encode(`welcome ${p.identity}`),
      { reliable: true, topic: 'welcome', destination_identities: [p.identity] }).catch((e) => log(`welcome: ${errMsg(e)}`));
  };
  A.room.on(RoomEvent.ParticipantConnected, greet);
  const markB = B.got.length;
  const F = await join('bot-f');
  bots.push(F);
  const got = await until(() => F.got.some((p) => p.topic === 'welcome'), 5000);
  A.room.off(RoomEvent.ParticipantConnected, greet);
  const w = F.got.find((p) => p.topic === 'welcome');
  const others = B.got.slice(markB).filter((p) => p.topic === 'welcome').length;
  setCase('welcome', got && w.from === 'bot-a' && dec.decode(w.payload) === 'welcome bot-f' && others === 0,
    `bot-f ${got ? `got ${JSON.stringify(dec.decode(w.payload))} ${w.at - F.joinedAt} ms after connect resolved` : 'got no greeting'}; ` +
    `B got ${others} greetings`);
});

await run('text_streams', async () => {
  const texts = [];  // {to, from, topic, text}
  const bytes = [];  // {to, from, data}
  A.room.registerTextStreamHandler('notes', async (reader, from) => {
    texts.push({ to: 'bot-a', from: from.identity, text: await reader.readAll() });
  });
  C.room.registerTextStreamHandler('transcript', async (reader, from) => {
    texts.push({ to: 'bot-c', from: from.identity, text: await reader.readAll() });
  });
  C.room.registerByteStreamHandler('file', async (reader, from) => {
    const parts = await reader.readAll();
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    bytes.push({ from: from.identity, data: all });
  });
  await B.room.localParticipant.sendText('a note for a', { topic: 'notes', destinationIdentities: ['bot-a'] });
  const w = await A.room.localParticipant.streamText({ topic: 'transcript', destinationIdentities: ['bot-c'] });
  const words = Array.from({ length: 50 }, (_, i) => `word${i} `);
  for (const word of words) await w.write(word);
  await w.close();
  const blob = new Uint8Array(100 * 1000);
  for (let i = 0; i < blob.length; ++i) blob[i] = (i * 31 + 7) & 0xff;
  const bw = await B.room.localParticipant.streamBytes({ topic: 'file', name: 'blob.bin', destinationIdentities: ['bot-c'], totalSize: blob.length });
  for (let at = 0; at < blob.length; at += 10000) await bw.write(blob.subarray(at, at + 10000));
  await bw.close();
  await until(() => texts.length >= 2 && bytes.length >= 1, 10000);
  const note = texts.find((t) => t.to === 'bot-a'), tr = texts.find((t) => t.to === 'bot-c');
  const file = bytes[0];
  const fileOk = file && file.from === 'bot-b' && file.data.length === blob.length && file.data.every((v, i) => v === blob[i]);
  setCase('text_streams', note?.text === 'a note for a' && note?.from === 'bot-b' &&
    tr?.text === words.join('') && tr?.from === 'bot-a' && fileOk,
    `sendText: ${JSON.stringify(note?.text)}; streamText: ${tr?.text?.length ?? 0} of ${words.join('').length} chars; ` +
    `byte stream: ${file ? file.data.length : 0} of ${blob.length} bytes${fileOk ? ', byte-exact' : ''}`);
});

await run('rpc', async () => {
  A.room.localParticipant.registerRpcMethod('echo', async (d) => `a:${d.callerIdentity}:${d.payload}`);
  C.room.localParticipant.registerRpcMethod('echo', async (d) => `c:${d.callerIdentity}:${d.payload}`);
  C.room.localParticipant.registerRpcMethod('fail', async () => { throw new RpcError(2001, 'nope', 'details'); });
  const big = 'x'.repeat(12000);
  const r1 = await withTimeout(B.room.localParticipant.performRpc({ destinationIdentity: 'bot-a', method: 'echo', payload: 'ping' }), 15000, 'rpc B->A');
  const r2 = await withTimeout(A.room.localParticipant.performRpc({ destinationIdentity: 'bot-c', method: 'echo', payload: big }), 15000, 'rpc A->C');
  let err = null;
  try {
    await withTimeout(B.room.localParticipant.performRpc({ destinationIdentity: 'bot-c', method: 'fail', payload: '' }), 15000, 'rpc B->C fail');
  } catch (e) { err = e; }
  setCase('rpc', r1 === 'a:bot-b:ping' && r2 === `c:bot-a:${big}` && err?.code === 2001 && err?.message === 'nope',
    `B->A: ${JSON.stringify(r1)}; A->C: ${r2.length} chars${r2 === `c:bot-a:${big}` ? ' echoed' : ' WRONG'}; ` +
    `B->C error: ${err ? `${err.code} ${err.message}` : 'none'}`);
});

await run('bulk', async () => {
  const N = 10000;
  const start = B.got.length;
  // Message i: "bulk <i> " then (i * 37) % 4000 bytes of a pattern of i.
  const make = (i) => {
    const head = enc.encode(`bulk ${i} `);
    const m = new Uint8Array(head.length + ((i * 37) % 4000));
    m.set(head);
    for (let j = head.length; j < m.length; ++j) m[j] = (i + j) & 0xff;
    return m;
  };
  const t0 = Date.now();
  for (let i = 0; i < N; ++i) await A.room.localParticipant.publishData(make(i), { reliable: true, topic: 'bulk', destination_identities: ['bot-b'] });
  const sent = Date.now() - t0;
  await until(() => B.got.length - start >= N, 60000);
  const got = B.got.slice(start).filter((p) => p.topic === 'bulk');
  let bad = -1;
  for (let i = 0; i < Math.min(got.length, N); ++i) {
    const want = make(i), have = got[i].payload;
    if (have.length !== want.length || !have.every((v, j) => v === want[j])) { bad = i; break; }
  }
  const secs = (Date.now() - t0) / 1000;
  const bytes = got.reduce((n, p) => n + p.payload.length, 0);
  setCase('bulk', got.length === N && bad < 0,
    `${got.length} of ${N} arrived${bad >= 0 ? `, message ${bad} differs` : ', in order and byte-exact'} ` +
    `(${(bytes / 1e6).toFixed(1)} MB; sent in ${sent} ms, all received in ${secs.toFixed(1)} s)`);
});

await run('no_publish', async () => {
  const D = await join('bot-d', false);
  bots.push(D);
  await until(() => A.room.remoteParticipants.has('bot-d') || [...A.room.remoteParticipants.values()].some((p) => p.identity === 'bot-d'), 5000);
  const mark = { a: A.got.length, b: B.got.length };
  let threw = null;
  try {
    await withTimeout(D.room.localParticipant.publishData(enc.encode('from d'), { reliable: true, topic: 'd' }), 5000, 'publish');
    await withTimeout(D.room.localParticipant.publishData(enc.encode('from d lossy'), { reliable: false, topic: 'd' }), 5000, 'publish');
  } catch (e) { threw = errMsg(e); }
  await sleep(1500);
  const leaked = A.got.slice(mark.a).concat(B.got.slice(mark.b)).filter((p) => p.from === 'bot-d').length;
  setCase('no_publish', leaked === 0, `packets of bot-d received by others: ${leaked}${threw ? ` (publish: ${threw})` : ''}`);
});

await run('slow_receiver', async () => {
  // E: its own process, so that stopping it stops its SCTP stack.
  const script = fileURLToPath(import.meta.url);
  sink = spawn(process.execPath, [script, '--url', args.url, '--key', args.key, '--secret', args.secret,
    '--room', args.room, '--role', 'sink', '--identity', 'bot-e'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sinkGot = 0, joined = false;
  sink.stdout.on('data', (b) => {
    for (const line of String(b).split('\n')) {
      if (line === 'joined') joined = true;
      const m = /^got (\d+)/.exec(line);
      if (m) sinkGot = Number(m[1]);
    }
  });
  if (!(await until(() => joined, 15000))) return setCase('slow_receiver', false, 'bot-e did not join');
  // Its connect resolving does not mean edgesfu has its flow yet (that
  // waits for the nominating check): stopped before, it would hold nothing.
  // One message that reaches it shows the whole path up.
  await A.room.localParticipant.publishData(enc.encode('ready'), { reliable: true, topic: 'ready' });
  if (!(await until(() => sinkGot >= 1, 10000))) {
    return setCase('slow_receiver', false, 'bot-e got nothing before it was stopped');
  }
  process.kill(sink.pid, 'SIGSTOP');
  log('bot-e stopped');
  // A sends to the room 200 messages/s of 4 kB for 6 s: what bot-e cannot
  // take fills its send buffer at edgesfu; B must keep getting them on time.
  const payload = new Uint8Array(4000);
  const lat = [];
  const mark = B.got.length;
  const sent = new Map();
  const t0 = Date.now();
  let i = 0;
  while (Date.now() - t0 < 6000) {
    const id = `slow ${i++}`;
    payload.set(enc.encode(id.padEnd(16)));
    sent.set(id, Date.now());
    await A.room.localParticipant.publishData(payload, { reliable: true, topic: 'slow' });
    await sleep(5);
  }
  await until(() => B.got.slice(mark).filter((p) => p.topic === 'slow').length >= i, 10000);
  for (const p of B.got.slice(mark)) {
    if (p.topic !== 'slow') continue;
    const id = dec.decode(p.payload.subarray(0, 16)).trim();
    if (sent.has(id)) lat.push(p.at - sent.get(id));
  }
  lat.sort((x, y) => x - y);
  const p50 = lat[Math.floor(lat.length / 2)] ?? -1, p99 = lat[Math.floor(lat.length * 0.99)] ?? -1;
  process.kill(sink.pid, 'SIGCONT');
  log('bot-e continues');
  // Once it reads again, new data reaches it.
  const before = sinkGot;
  await sleep(3000);
  await A.room.localParticipant.publishData(enc.encode('after'), { reliable: true, topic: 'after' });
  const resumed = await until(() => sinkGot > before, 10000);
  setCase('slow_receiver', lat.length === i && p99 >= 0 && p99 < 1000 && resumed,
    `B got ${lat.length} of ${i} while bot-e was stopped, latency p50 ${p50} ms p99 ${p99} ms; ` +
    `bot-e ${resumed ? 'receives again' : 'got nothing after it continued'}`);
});

await finish();
