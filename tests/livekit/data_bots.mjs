// data_bots.mjs - LiveKit data through edgesfu with @livekit/rtc-node bots (unchanged SDK):
//   publish_data   A's reliable packet with a topic reaches B and C (sender identity and topic kept);
//                  a lossy packet to B only reaches B, not C
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
import { Room, RoomEvent, dispose } from '@livekit/rtc-node';
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
  return { room, got, identity };
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

const CASES = ['publish_data', 'text_streams', 'rpc', 'bulk', 'no_publish', 'slow_receiver'];
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

await finish();
