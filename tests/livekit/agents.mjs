// agents.mjs - LiveKit agent workers (@livekit/agents 1.9.0 running examples/voice-agent, whose
// agent answers with a 660 Hz tone plus a 0.5 s echo of what it hears) dispatched by edgesfu into
// rooms of @livekit/rtc-node 1.1.0 participants. Two workers: "auto" (agent name "", LiveKit's
// automatic dispatch) and "named" (agent name "helper": only rooms that ask for it). Cases:
//   registered   both workers registered on /agent
//   automatic    caller-1 joins a new room and publishes 440 Hz: an agent joins as kind AGENT
//                (identity agent-AJ_..., attribute lk.agent_name ""), and caller-1 hears it: 660 Hz
//                (its tone) and 440 Hz (caller-1's own voice, echoed) in what the agent sends
//   token        caller-2's token asks for "helper" (roomConfig.agents): only helper joins
//   room_closes  caller-2 leaves: with only the agent in it, the room closes after its departure
//                timeout (edgesfu runs with room.departure_timeout 2) and is gone from ListRooms
//   dispatch     CreateDispatch("helper") into a room where caller-3 is with the automatic agent:
//                helper joins too; ListDispatch shows both dispatches; DeleteDispatch: helper leaves
//   worker_dies  the "auto" worker is killed (SIGKILL) while its agent is in caller-1's room: the
//                agent goes, caller-1 stays, and a newcomer (listener) joins and hears caller-1
// Usage: node agents.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room agents]
// Result: one JSON line {"ok":..,"cases":{name:{ok,detail}}} as the LAST stdout line.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  AudioFrame, AudioSource, AudioStream, LocalAudioTrack, ParticipantKind, Room, RoomEvent,
  TrackKind, TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import {
  AccessToken, AgentDispatchClient, RoomAgentDispatch, RoomConfiguration, RoomServiceClient,
} from 'livekit-server-sdk';
import { errMsg, makeLog, parseArgs, sleep, until, withTimeout } from './lib.mjs';

const args = parseArgs({ url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'agents' },
  'node agents.mjs --url U --key K --secret S [--room R]');
if (!args.secret) { console.error('agents: --secret is required'); process.exit(2); }
const log = makeLog('agents');
const rooms = new RoomServiceClient(args.url.replace(/^ws/, 'http'), args.key, args.secret);
const dispatch = new AgentDispatchClient(args.url.replace(/^ws/, 'http'), args.key, args.secret);
const exampleDir = fileURLToPath(new URL('../../examples/voice-agent/', import.meta.url));

const CASES = ['refused', 'registered', 'automatic', 'token', 'room_closes', 'dispatch', 'worker_dies'];
const cases = {};
function setCase(name, ok, detail) {
  if (name in cases) return;
  cases[name] = { ok: !!ok, detail: String(detail) };
  log(`CASE ${name}: ${ok ? 'PASS' : 'FAIL'} - ${detail}`);
}
const bots = [];
const workers = [];
let stopping = false;
async function finish(reason) {
  if (reason) log(`finishing: ${reason}`);
  stopping = true;
  for (const c of CASES) if (!(c in cases)) setCase(c, false, `not run${reason ? ` (${reason})` : ''}`);
  const ok = CASES.every((c) => cases[c].ok);
  setTimeout(() => process.exit(ok ? 0 : 1), 15000);
  for (const b of bots) await withTimeout(b.room.disconnect(), 3000, 'disconnect').catch(() => {});
  await withTimeout(dispose(), 3000, 'dispose').catch(() => {});
  for (const w of workers) await w.stop();
  process.stdout.write(JSON.stringify({ ok, cases }) + '\n', () => process.exit(ok ? 0 : 1));
}
setTimeout(() => finish('global timeout (200 s)'), 200000);
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));

async function run(name, fn) {
  try {
    await fn();
  } catch (e) {
    setCase(name, false, `error: ${errMsg(e)}`);
  }
}

// A worker process running the example; its output is logged with its name.
function startWorker(name, agentName) {
  const child = spawn(process.execPath, ['worker.mjs', '--url', args.url, '--key', args.key,
    '--secret', args.secret, '--agent-name', agentName], { cwd: exampleDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const w = { name, child, registered: false, exited: false, lines: [] };
  const onData = (d) => {
    for (const line of d.toString().split('\n')) {
      if (!line.trim()) continue;
      w.lines.push(line);
      if (line.includes('registered worker')) w.registered = true;
      if (/error|warn|registered|agent:/i.test(line)) log(`[${name}] ${line.slice(0, 300)}`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, sig) => { w.exited = true; log(`[${name}] exited ${code ?? sig}`); });
  w.stop = async () => {
    if (w.exited) return;
    child.kill('SIGTERM');  // it ends its jobs (their agents leave), then exits
    if (!(await until(() => w.exited, 15000))) {
      log(`[${name}] still running 15 s after SIGTERM: killed`);
      child.kill('SIGKILL');
    }
  };
  workers.push(w);
  return w;
}

async function join(identity, room, roomConfig) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  if (roomConfig) at.roomConfig = roomConfig;
  const r = new Room();
  const bot = { room: r, identity, heard: new Map(), disconnected: null };
  r.on(RoomEvent.Disconnected, (reason) => { bot.disconnected = reason; });
  r.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
    if (track.kind === TrackKind.KIND_AUDIO) bot.heard.set(participant.identity, listen(track));
  });
  await withTimeout(r.connect(args.url, await at.toJwt()), 15000, `${identity} connect`);
  log(`${identity} connected to ${room} as ${r.localParticipant.sid}`);
  bots.push(bot);
  return bot;
}

// Publishes a `hz` tone until the end.
async function publishTone(bot, hz) {
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('mic', source);
  await withTimeout(bot.room.localParticipant.publishTrack(track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE })), 15000, 'publish');
  (async () => {
    const sr = 48000, n = 480, step = (2 * Math.PI * hz) / sr;
    let phase = 0, sent = 0;
    const start = Date.now();
    while (!stopping) {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) { data[i] = Math.round(0.3 * 32767 * Math.sin(phase)); phase += step; }
      phase %= 2 * Math.PI;
      await source.captureFrame(new AudioFrame(data, sr, 1, n));
      sent++;
      const ahead = sent * 10 - (Date.now() - start);
      if (ahead > 100) await sleep(ahead - 100);
    }
  })().catch((e) => log(`captureFrame: ${errMsg(e)}`));
}

// Goertzel power of `f` in x.
function goertzel(x, sr, f) {
  const w = (2 * Math.PI * f) / sr, c = 2 * Math.cos(w);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < x.length; i++) { const s0 = x[i] + c * s1 - s2; s2 = s1; s1 = s0; }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}
const PROBES = [300, 440, 550, 660, 770, 1000];
// What a remote audio track sounds like over the last ~0.5 s: power per probe frequency.
function listen(track) {
  const m = { frames: 0, last: [] };
  const reader = new AudioStream(track, 48000, 1).getReader();
  (async () => {
    while (!stopping) {
      const r = await reader.read();
      if (r.done) break;
      m.frames++;
      m.last.push(Float64Array.from(r.value.data));
      if (m.last.length > 50) m.last.shift();
    }
  })().catch(() => {});
  // Over the ~0.5 s as one Hann-windowed signal. Summed over 10 ms blocks, whose bins are
  // 100 Hz wide, a loud 440 Hz (the echo) leaked into the 300 Hz probe enough to hide the
  // agent's 660 Hz tone (CI run of 2 December: 440 at 2.8e14, 300 at 1.3e13, 660 at 3.3e13);
  // 0.5 s makes the bins 2 Hz wide, and the window keeps a loud tone's sidelobes off the
  // probes 100 Hz away.
  m.power = () => {
    const all = new Float64Array(m.last.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const block of m.last) { all.set(block, at); at += block.length; }
    for (let i = 0; i < all.length; i++) all[i] *= 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / Math.max(1, all.length - 1));
    return new Map(PROBES.map((f) => [f, goertzel(all, 48000, f)]));
  };
  // Both `a` and `b` Hz stand out: each over 10x the loudest other probe.
  m.has = (...want) => {
    const p = m.power();
    const others = Math.max(...PROBES.filter((f) => !want.includes(f)).map((f) => p.get(f)));
    return want.every((f) => p.get(f) > 10 * Math.max(others, 1));
  };
  return m;
}

// The status of a WebSocket upgrade request to /agent with `token` (101 when it upgrades).
function upgradeStatus(token) {
  return new Promise((resolve, reject) => {
    const u = new URL(args.url.replace(/^ws/, 'http') + '/agent');
    const headers = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, headers });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const agentsIn = (bot) => [...bot.room.remoteParticipants.values()].filter((p) => p.kind === ParticipantKind.AGENT);
const describeAgents = (bot) => agentsIn(bot).map((p) => `${p.identity}[${p.attributes['lk.agent_name'] ?? '?'}]`).join(', ');

const auto = startWorker('auto', '');
const named = startWorker('named', 'helper');
let caller1;
try {
  await run('refused', async () => {
    const none = await upgradeStatus('');
    const joinOnly = new AccessToken(args.key, args.secret, { identity: 'x' });
    joinOnly.addGrant({ roomJoin: true, room: 'r' });
    const noGrant = await upgradeStatus(await joinOnly.toJwt());
    const agentTok = new AccessToken(args.key, args.secret, {});
    agentTok.addGrant({ agent: true });
    const granted = await upgradeStatus(await agentTok.toJwt());
    setCase('refused', none === 401 && noGrant === 401 && granted === 101,
      `no token: ${none}, roomJoin only: ${noGrant}, video.agent: ${granted}`);
  });

  await run('registered', async () => {
    const ok = await until(() => auto.registered && named.registered, 20000);
    setCase('registered', ok, `auto ${auto.registered}, named ${named.registered}`);
  });

  await run('automatic', async () => {
    caller1 = await join('caller-1', `${args.room}-auto`);
    await publishTone(caller1, 440);
    const joined = await until(() => agentsIn(caller1).length === 1, 20000);
    const agent = agentsIn(caller1)[0];
    const heard = await until(() => agent && caller1.heard.get(agent.identity)?.has(440, 660), 20000);
    const m = agent ? caller1.heard.get(agent.identity) : undefined;
    const p = m ? [...m.power()].map(([f, v]) => `${f}:${v.toExponential(1)}`).join(' ') : 'nothing';
    setCase('automatic', joined && heard && /^agent-AJ_/.test(agent.identity) &&
      (agent.attributes['lk.agent_name'] ?? '') === '',
    `agents: ${describeAgents(caller1)}; ${m?.frames ?? 0} frames from it, power ${p}`);
  });

  await run('token', async () => {
    const cfg = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: 'helper', metadata: 'from the token' })] });
    const caller2 = await join('caller-2', `${args.room}-token`, cfg);
    const joined = await until(() => agentsIn(caller2).length >= 1, 20000);
    await sleep(1500);  // no second (automatic) agent follows
    const list = agentsIn(caller2);
    setCase('token', joined && list.length === 1 && list[0].attributes['lk.agent_name'] === 'helper',
      `agents: ${describeAgents(caller2)}`);
    await run('room_closes', async () => {
      const name = `${args.room}-token`;
      const listed = async () => (await rooms.listRooms([name])).length;
      const before = await listed();
      await caller2.room.disconnect();
      bots.splice(bots.indexOf(caller2), 1);
      const t0 = Date.now();
      let gone = false;
      for (let i = 0; i < 50 && !gone; i++) { await sleep(200); gone = (await listed()) === 0; }
      setCase('room_closes', before === 1 && gone,
        `listed before ${before}; gone ${gone ? `${Date.now() - t0} ms` : 'not'} after caller-2 left with only the agent in it`);
    });
  });

  await run('dispatch', async () => {
    const room = `${args.room}-api`;
    const caller3 = await join('caller-3', room);
    const autoJoined = await until(() => agentsIn(caller3).length === 1, 20000);
    const d = await dispatch.createDispatch(room, 'helper', { metadata: 'from the backend' });
    const bothJoined = await until(() => agentsIn(caller3).length === 2, 20000);
    const listed = await dispatch.listDispatch(room);
    const names = listed.map((x) => `'${x.agentName}'`).sort().join(' ');
    await dispatch.deleteDispatch(d.id, room);
    const helperLeft = await until(() => agentsIn(caller3).length === 1 &&
      agentsIn(caller3)[0].attributes['lk.agent_name'] === '', 15000);
    setCase('dispatch', autoJoined && bothJoined && names === "'' 'helper'" && /^AD_/.test(d.id) && helperLeft,
      `automatic agent ${autoJoined}; after CreateDispatch ${d.id}: ${bothJoined ? 'both' : describeAgents(caller3)}; ` +
      `ListDispatch: ${names}; after DeleteDispatch only the automatic agent: ${helperLeft}`);
  });

  await run('worker_dies', async () => {
    if (!caller1) throw new Error('no caller-1');
    const before = agentsIn(caller1).length;
    auto.child.kill('SIGKILL');
    const agentGone = await until(() => agentsIn(caller1).length === 0, 30000);
    await sleep(500);
    const stayed = caller1.disconnected === null && caller1.room.isConnected;
    const listener = await join('listener', `${args.room}-auto`);
    const heard = await until(() => listener.heard.get('caller-1')?.has(440), 15000);
    setCase('worker_dies', before === 1 && agentGone && stayed && heard,
      `agent before: ${before}, gone after the kill: ${agentGone}, caller-1 still connected: ${stayed}, ` +
      `the newcomer hears caller-1: ${heard}`);
  });
} catch (e) {
  log(`error: ${errMsg(e)}`);
}
await finish();
