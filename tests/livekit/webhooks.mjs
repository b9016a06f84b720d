// webhooks.mjs - an app's webhook receivers (livekit-server-sdk 2.19.2's WebhookReceiver) fed by
// edgesfu while @livekit/rtc-node 1.1.0 bots live a room's life. Three receivers on this host:
//   up     --up-port: answers 200 at once; every request must pass WebhookReceiver.receive()
//          (the JWT signed with the webhook key, its sha256 claim = the body's hash) and carry
//          Content-Type application/webhook+json
//   late   --late-port: nothing listens until --late-after ms after the start, then as `up`
//   stuck  --stuck-port: accepts every request and never answers
// Cases:
//   life        room "<room>" made by CreateRoom (departure timeout 1 s); bot-a joins and
//               publishes a tone, bot-b joins, bot-b leaves, bot-a leaves; `up` receives
//               room_started, participant_joined a, track_published (A's sid), participant_joined b,
//               participant_left b, track_unpublished, participant_left a, room_finished, in that
//               order, each with the room's name and sid, unique ids
//   deleted     room "<room>-del": bot-c joins; DeleteRoom: participant_left c (after its
//               participant_joined), then room_finished
//   verified    every request `up` and `late` got was verified; a forged one is refused by
//               WebhookReceiver (the check can fail)
//   late        `late` was down when the first events happened and got them all later, in the same
//               order as `up` (edgesfu retried)
//   stuck       while `stuck` held edgesfu's first POST unanswered, every bot connected and `up`
//               saw the whole life; `stuck` saw the same event id tried again (each POST has a
//               deadline, then it is retried)
// Usage: node webhooks.mjs --url ws://198.18.0.2:7880 --key devkey --secret S --bind 198.18.0.1
//        --up-port 7101 --late-port 7102 --stuck-port 7103 [--late-after 4000] [--room hooks]
// Result: one JSON line {"ok":..,"cases":{name:{ok,detail}}} as the LAST stdout line.
import http from 'node:http';
import {
  AudioFrame, AudioSource, LocalAudioTrack, Room, TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient, WebhookReceiver } from 'livekit-server-sdk';
import { errMsg, makeLog, parseArgs, sleep, until, withTimeout } from './lib.mjs';

const args = parseArgs({
  url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', bind: '198.18.0.1', 'up-port': '7101',
  'late-port': '7102', 'stuck-port': '7103', 'late-after': '4000', room: 'hooks',
}, 'node webhooks.mjs --url U --key K --secret S --bind ADDR --up-port P --late-port P --stuck-port P');
if (!args.secret) { console.error('webhooks: --secret is required'); process.exit(2); }
const log = makeLog('webhooks');
const svc = new RoomServiceClient(args.url.replace(/^ws/, 'http'), args.key, args.secret);
const receiver = new WebhookReceiver(args.key, args.secret);

const CASES = ['life', 'deleted', 'verified', 'late', 'stuck'];
const cases = {};
function setCase(name, ok, detail) {
  if (name in cases) return;
  cases[name] = { ok: !!ok, detail: String(detail) };
  log(`CASE ${name}: ${ok ? 'PASS' : 'FAIL'} - ${detail}`);
}
const servers = [];
const stuckRequests = [];
let stopping = false;
async function finish(reason) {
  if (reason) log(`finishing: ${reason}`);
  stopping = true;
  for (const c of CASES) if (!(c in cases)) setCase(c, false, `not run${reason ? ` (${reason})` : ''}`);
  const ok = CASES.every((c) => cases[c].ok);
  setTimeout(() => process.exit(ok ? 0 : 1), 10000);
  for (const b of bots) await withTimeout(b.room.disconnect(), 3000, 'disconnect').catch(() => {});
  await withTimeout(dispose(), 3000, 'dispose').catch(() => {});
  for (const r of stuckRequests) r.socket.destroy();
  for (const s of servers) s.close();
  process.stdout.write(JSON.stringify({ ok, cases }) + '\n', () => process.exit(ok ? 0 : 1));
}
setTimeout(() => finish('global timeout (120 s)'), 120000);
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));

// A receiver: verifies each request and keeps its events in arrival order.
function makeReceiver(name) {
  return { name, events: [], bad: [], requests: 0 };
}
function listen(port, handler) {
  return new Promise((resolve, reject) => {
    const s = http.createServer(handler);
    s.on('error', reject);
    s.listen(Number(port), args.bind, () => { servers.push(s); resolve(s); });
  });
}
function verifying(rx) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      rx.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        if (req.headers['content-type'] !== 'application/webhook+json') {
          throw new Error(`content-type ${req.headers['content-type']}`);
        }
        const ev = await receiver.receive(body, req.headers.authorization);
        rx.events.push(ev);
        log(`${rx.name}: ${ev.event} ${ev.room?.name ?? ''} ${ev.participant?.identity ?? ''} ${ev.track?.sid ?? ''} (${ev.id})`);
      } catch (e) {
        rx.bad.push(errMsg(e));
        log(`${rx.name}: REFUSED ${errMsg(e)}`);
      }
      res.writeHead(200).end();
    });
  };
}

const bots = [];
async function join(identity, room) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  const r = new Room();
  const t0 = Date.now();
  await withTimeout(r.connect(args.url, await at.toJwt()), 15000, `${identity} connect`);
  const bot = { room: r, identity, connectMs: Date.now() - t0 };
  bots.push(bot);
  log(`${identity} connected to ${room} as ${r.localParticipant.sid} in ${bot.connectMs} ms`);
  return bot;
}
async function leave(bot) {
  await withTimeout(bot.room.disconnect(), 5000, `${bot.identity} disconnect`);
  bots.splice(bots.indexOf(bot), 1);
}

async function publishTone(bot) {
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('tone', source);
  const pub = await withTimeout(bot.room.localParticipant.publishTrack(track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE })), 15000, 'publish');
  (async () => {
    const sr = 48000, n = 480, step = (2 * Math.PI * 440) / sr;
    let phase = 0, sent = 0;
    const start = Date.now();
    while (!stopping && bots.includes(bot)) {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) { data[i] = Math.round(0.3 * 32767 * Math.sin(phase)); phase += step; }
      phase %= 2 * Math.PI;
      await source.captureFrame(new AudioFrame(data, sr, 1, n));
      sent++;
      const ahead = sent * 10 - (Date.now() - start);
      if (ahead > 100) await sleep(ahead - 100);
    }
  })().catch((e) => log(`captureFrame: ${errMsg(e)}`));
  return pub.sid;
}

// "event subject" strings of a receiver's events for one room.
function story(rx, room) {
  return rx.events.filter((e) => e.room?.name === room).map((e) => {
    if (e.event.startsWith('track_')) return `${e.event} ${e.participant?.identity}/${e.track?.sid}`;
    if (e.event.startsWith('participant_')) return `${e.event} ${e.participant?.identity}`;
    return e.event;
  });
}
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const up = makeReceiver('up');
const late = makeReceiver('late');
const t0 = Date.now();
try {
  await listen(args['up-port'], verifying(up));
  await listen(args['stuck-port'], (req) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let id = '?';
      try { id = JSON.parse(Buffer.concat(chunks).toString('utf8')).id; } catch { /* counted below */ }
      stuckRequests.push({ socket: req.socket, id, at: Date.now() - t0 });
      log(`stuck: holding a request for ${id} (${stuckRequests.length} so far)`);
    });
  });
  setTimeout(() => {
    listen(args['late-port'], verifying(late)).then(() => log('late: listening now'),
      (e) => log(`late: ${errMsg(e)}`));
  }, Number(args['late-after']));

  // life
  const room = args.room;
  const made = await svc.createRoom({ name: room, departureTimeout: 1 });
  const a = await join('bot-a', room);
  const stuckWhileJoining = stuckRequests.length;
  const trackSid = await publishTone(a);
  // edgesfu tells track_published once the track is in the dataplane (its
  // first packets), which may come after a join that follows at once: wait
  // for it, so that the order below is the room's and not a race.
  await until(() => story(up, room).some((e) => e.startsWith('track_published')), 5000);
  const b = await join('bot-b', room);
  await sleep(1500);
  await leave(b);
  await sleep(500);
  await leave(a);
  const want = ['room_started', 'participant_joined bot-a', `track_published bot-a/${trackSid}`,
    'participant_joined bot-b', 'participant_left bot-b', `track_unpublished bot-a/${trackSid}`,
    'participant_left bot-a', 'room_finished'];
  await until(() => story(up, room).length >= want.length, 15000);
  const got = story(up, room);
  const lifeEvents = up.events.filter((e) => e.room?.name === room);
  const ids = new Set(lifeEvents.map((e) => e.id));
  const sids = new Set(lifeEvents.map((e) => e.room?.sid));
  const joinedA = lifeEvents.find((e) => e.event === 'participant_joined' && e.participant?.identity === 'bot-a');
  const published = lifeEvents.find((e) => e.event === 'track_published');
  const problems = [];
  if (!same(got, want)) problems.push(`got [${got.join(', ')}]`);
  if (ids.size !== lifeEvents.length || [...ids].some((i) => !/^EV_/.test(i))) problems.push('ids not unique EV_');
  if (sids.size !== 1 || !sids.has(made.sid)) problems.push(`room sids ${[...sids]} vs ${made.sid}`);
  if (joinedA && joinedA.participant.state !== 2 /* ACTIVE */) problems.push(`joined state ${joinedA.participant.state}`);
  if (published && published.track.type !== 0 /* AUDIO */) problems.push(`track type ${published.track.type}`);
  if (lifeEvents.some((e) => !(Number(e.createdAt) > 1.7e9))) problems.push('createdAt missing');
  setCase('life', problems.length === 0, problems.length ? problems.join('; ') : `${got.length} events in order`);

  // stuck: connects did not wait for it; it was still holding POSTs; it saw a retry.
  const ids0 = stuckRequests.map((r) => r.id);
  const retried = ids0.some((id, i) => ids0.indexOf(id) !== i);
  await until(() => { const s = stuckRequests.map((r) => r.id); return s.some((id, i) => s.indexOf(id) !== i); }, 10000);
  const idsNow = stuckRequests.map((r) => r.id);
  const retriedNow = idsNow.some((id, i) => idsNow.indexOf(id) !== i);
  const stuckLife = new Set(idsNow).size;
  setCase('stuck', stuckWhileJoining >= 1 && retriedNow && stuckLife < want.length && same(got, want),
    `held ${stuckWhileJoining} request(s) while bot-a connected (${a.connectMs} ms), ` +
    `${idsNow.length} requests for ${stuckLife} event(s) (a retry seen: ${retriedNow || retried}); ` +
    '`up` got the whole life meanwhile');

  // deleted
  const del = `${room}-del`;
  const c = await join('bot-c', del);
  await until(() => story(up, del).includes('participant_joined bot-c'), 10000);
  await svc.deleteRoom(del);
  await until(() => story(up, del).includes('room_finished'), 10000);
  bots.splice(bots.indexOf(c), 1);
  const delStory = story(up, del);
  const wantDel = ['room_started', 'participant_joined bot-c', 'participant_left bot-c', 'room_finished'];
  setCase('deleted', same(delStory, wantDel), `[${delStory.join(', ')}]`);

  // late: the same story for both rooms, in the same order as `up`.
  await until(() => story(late, room).length >= want.length && story(late, del).length >= wantDel.length, 30000);
  const idsOf = (rx) => [room, del].map((n) => rx.events.filter((e) => e.room?.name === n).map((e) => e.id).join(' ')).join(' | ');
  const lateIds = idsOf(late);
  const upIds = idsOf(up);
  const lateFirst = late.events.length ? (late.events[0].createdAt) : 0n;
  setCase('late', same(story(late, room), want) && same(story(late, del), wantDel) && lateIds === upIds,
    `${late.events.length} events, per room the same ids in the same order as up: ${lateIds === upIds}; the first ` +
    `was made ${late.events.length ? Math.round(Date.now() / 1000 - Number(lateFirst)) : '?'} s ago`);

  // verified: nothing refused; a forged request is refused.
  let forged = 'accepted';
  try {
    const body = JSON.stringify({ event: 'room_started', id: 'EV_forged' });
    const tok = new AccessToken(args.key, 'not-the-secret-but-thirty-two-chars!', {});
    await receiver.receive(body, await tok.toJwt());
  } catch (e) {
    forged = `refused (${errMsg(e)})`;
  }
  setCase('verified', up.bad.length === 0 && late.bad.length === 0 && up.events.length > 0 && forged !== 'accepted',
    `up ${up.events.length} verified, late ${late.events.length} verified, refused ${up.bad.length + late.bad.length}` +
    `${up.bad.length + late.bad.length ? ` (${[...up.bad, ...late.bad][0]})` : ''}; forged: ${forged}`);
} catch (e) {
  log(`error: ${errMsg(e)}`);
}
await finish();
