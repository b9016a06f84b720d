// room_service.mjs - an app's backend (livekit-server-sdk 2.19.2's RoomServiceClient) against
// edgesfu, with real participants (@livekit/rtc-node 1.1.0 bots) in the room. Cases:
//   refused      a wrong secret, a token without the method's grant, an unknown participant,
//                Forward/Move: each refused with LiveKit's Twirp code
//   rooms        createRoom (settings kept; a second create returns the same room), listRooms
//                (all, by name)
//   participants listParticipants / getParticipant: the bots, with A's published track
//   metadata     updateRoomMetadata reaches B (RoomMetadataChanged); updateParticipant's name,
//                metadata and attributes for B reach A
//   subscriptions updateSubscriptions(B, A's track, false) silences it at B; true brings it back
//   mute         mutePublishedTrack(A's track) mutes it for B (TrackMuted)
//   send_data    sendData to bot-b only, reliable with a topic: B gets it (no sender), C does not
//   unpublish    updateParticipant(A, permission without canPublish): B sees A's track go
//   remove       removeParticipant(C): C is disconnected with PARTICIPANT_REMOVED, the others see
//                it leave
//   delete       deleteRoom: A and B are disconnected with ROOM_DELETED; the room is gone
// Usage: node room_service.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--room svc]
// Result: one JSON line {"ok":..,"cases":{name:{ok,detail}}} as the LAST stdout line.
import {
  AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent,
  TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import { AccessToken, DataPacket_Kind, RoomServiceClient } from 'livekit-server-sdk';
import { errMsg, makeLog, parseArgs, sleep, until, withTimeout } from './lib.mjs';

const args = parseArgs({ url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', room: 'svc' },
  'node room_service.mjs --url U --key K --secret S [--room R]');
if (!args.secret) { console.error('room_service: --secret is required'); process.exit(2); }
const log = makeLog('room_service');
const http = args.url.replace(/^ws/, 'http');
const svc = new RoomServiceClient(http, args.key, args.secret);
const PARTICIPANT_REMOVED = 4, ROOM_DELETED = 5;

const CASES = ['refused', 'rooms', 'participants', 'metadata', 'subscriptions', 'mute', 'send_data',
  'unpublish', 'remove', 'delete'];
const cases = {};
function setCase(name, ok, detail) {
  if (name in cases) return;
  cases[name] = { ok: !!ok, detail: String(detail) };
  log(`CASE ${name}: ${ok ? 'PASS' : 'FAIL'} - ${detail}`);
}
const bots = [];
let stopping = false;
async function finish(reason) {
  if (reason) log(`finishing: ${reason}`);
  stopping = true;
  for (const c of CASES) if (!(c in cases)) setCase(c, false, `not run${reason ? ` (${reason})` : ''}`);
  const ok = CASES.every((c) => cases[c].ok);
  setTimeout(() => process.exit(ok ? 0 : 1), 10000);
  for (const b of bots) await withTimeout(b.room.disconnect(), 3000, 'disconnect').catch(() => {});
  await withTimeout(dispose(), 3000, 'dispose').catch(() => {});
  process.stdout.write(JSON.stringify({ ok, cases }) + '\n', () => process.exit(ok ? 0 : 1));
}
setTimeout(() => finish('global timeout (150 s)'), 150000);
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));

async function run(name, fn) {
  try {
    await fn();
  } catch (e) {
    setCase(name, false, `error: ${errMsg(e)}`);
  }
}

// A Twirp call that must fail: its status and code.
async function refusedWith(p) {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    return `${e.status} ${e.code}`;
  }
}

async function join(identity) {
  const at = new AccessToken(args.key, args.secret, { identity });
  at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true, canPublishData: true });
  const room = new Room();
  const bot = { room, identity, got: [], disconnected: null, events: [] };
  room.on(RoomEvent.DataReceived, (payload, participant, kind, topic) => {
    bot.got.push({ from: participant?.identity, topic, text: new TextDecoder().decode(payload) });
  });
  room.on(RoomEvent.Disconnected, (reason) => { bot.disconnected = reason; });
  for (const ev of [RoomEvent.RoomMetadataChanged, RoomEvent.ParticipantMetadataChanged,
    RoomEvent.ParticipantNameChanged, RoomEvent.ParticipantAttributesChanged, RoomEvent.TrackMuted,
    RoomEvent.TrackUnpublished, RoomEvent.ParticipantDisconnected]) {
    room.on(ev, (...a) => bot.events.push({ ev, a }));
  }
  await withTimeout(room.connect(args.url, await at.toJwt()), 15000, `${identity} connect`);
  log(`${identity} connected as ${room.localParticipant.sid}`);
  bots.push(bot);
  return bot;
}

// A publishes a 440 Hz tone until the end.
async function publishTone(bot) {
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('tone', source);
  const pub = await withTimeout(bot.room.localParticipant.publishTrack(track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE })), 15000, 'publish');
  (async () => {
    const sr = 48000, n = 480, step = (2 * Math.PI * 440) / sr;
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
  return pub.sid;
}

// B's level of what it hears from a remote audio track: RMS over the last 10 ms frames.
function meter(track) {
  const m = { frames: 0, recent: [] };
  const reader = new AudioStream(track).getReader();
  (async () => {
    while (!stopping) {
      const r = await reader.read();
      if (r.done) break;
      const fr = r.value;
      let sum = 0;
      for (let i = 0; i < fr.samplesPerChannel; i++) { const v = fr.data[i * fr.channels]; sum += v * v; }
      m.frames++;
      m.recent.push(Math.sqrt(sum / Math.max(1, fr.samplesPerChannel)));
      if (m.recent.length > 50) m.recent.shift();
    }
  })().catch(() => {});
  m.level = () => Math.round(m.recent.reduce((a, b) => a + b, 0) / Math.max(1, m.recent.length));
  return m;
}

// 1. Refusals, before anyone is in the room.
await run('refused', async () => {
  const wrong = new RoomServiceClient(http, args.key, 'not-the-secret');
  const badSecret = await refusedWith(wrong.listRooms());
  // A token with roomList only, used for CreateRoom (the SDK always mints the right one).
  const at = new AccessToken(args.key, args.secret, {});
  at.addGrant({ roomList: true });
  const res = await fetch(`${http}/twirp/livekit.RoomService/CreateRoom`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await at.toJwt()}` },
    body: JSON.stringify({ name: 'nope' }),
  });
  const noGrant = `${res.status} ${(await res.json()).code} ${res.headers.get('content-type')}`;
  const unknown = await refusedWith(svc.getParticipant(args.room, 'nobody'));
  const forward = await refusedWith(svc.forwardParticipant(args.room, 'x', 'elsewhere'));
  const ok = badSecret === '401 unauthenticated' && noGrant === '401 unauthenticated application/json' &&
    unknown === '404 not_found' && forward === '501 unimplemented';
  setCase('refused', ok, `wrong secret: ${badSecret}; no roomCreate grant: ${noGrant}; unknown participant: ${unknown}; ForwardParticipant: ${forward}`);
});

// 2. Rooms.
await run('rooms', async () => {
  const r = await svc.createRoom({ name: args.room, emptyTimeout: 60, departureTimeout: 5, maxParticipants: 10, metadata: 'from the backend' });
  const again = await svc.createRoom({ name: args.room, metadata: 'ignored' });
  const all = await svc.listRooms();
  const named = await svc.listRooms([args.room, 'absent']);
  const ok = r.name === args.room && r.sid.startsWith('RM_') && r.metadata === 'from the backend' &&
    r.emptyTimeout === 60 && r.departureTimeout === 5 && r.maxParticipants === 10 && Number(r.creationTime) > 1.6e9 &&
    again.sid === r.sid && again.metadata === 'from the backend' &&
    all.some((x) => x.name === args.room) && named.length === 1 && named[0].sid === r.sid;
  setCase('rooms', ok, `created ${r.sid} (emptyTimeout ${r.emptyTimeout}, departureTimeout ${r.departureTimeout}, max ${r.maxParticipants}, metadata "${r.metadata}"); ` +
    `again ${again.sid}; listRooms ${all.length} room(s), by name ${named.length}`);
});

const A = await join('bot-a');
const B = await join('bot-b');
const C = await join('bot-c');
const trackSid = await publishTone(A);
log(`bot-a publishes ${trackSid}`);
let bMeter = null;
B.room.on(RoomEvent.TrackSubscribed, (track, pub) => { if (pub.sid === trackSid) bMeter = meter(track); });
for (const [, p] of B.room.remoteParticipants) {
  for (const [, pub] of p.trackPublications) if (pub.sid === trackSid && pub.track && !bMeter) bMeter = meter(pub.track);
}
await until(() => bMeter && bMeter.level() > 2000, 15000);
log(`bot-b hears bot-a at RMS ${bMeter?.level()}`);

await run('participants', async () => {
  const list = await svc.listParticipants(args.room);
  const a = await svc.getParticipant(args.room, 'bot-a');
  const ids = list.map((p) => p.identity).sort().join(',');
  const ok = ids === 'bot-a,bot-b,bot-c' && a.sid === A.room.localParticipant.sid &&
    a.tracks.some((t) => t.sid === trackSid);
  setCase('participants', ok, `listParticipants: ${ids}; getParticipant(bot-a): ${a.sid} with tracks ${a.tracks.map((t) => t.sid).join(',')}`);
});

await run('metadata', async () => {
  const r = await svc.updateRoomMetadata(args.room, 'new room metadata');
  const roomSeen = await until(() => B.room.metadata === 'new room metadata', 5000);
  const p = await svc.updateParticipant(args.room, 'bot-b', { metadata: 'md-b', name: 'Bee', attributes: { role: 'listener' } });
  const pb = () => A.room.remoteParticipants.get('bot-b');
  const partSeen = await until(() => pb()?.metadata === 'md-b' && pb()?.name === 'Bee' && pb()?.attributes?.role === 'listener', 5000);
  setCase('metadata', r.metadata === 'new room metadata' && roomSeen && p.metadata === 'md-b' && partSeen,
    `room metadata at B: "${B.room.metadata}"; B as A sees it: name "${pb()?.name}", metadata "${pb()?.metadata}", attributes ${JSON.stringify(pb()?.attributes)}`);
});

await run('subscriptions', async () => {
  await svc.updateSubscriptions(args.room, 'bot-b', [trackSid], false);
  await sleep(1500);
  const off = bMeter.level();
  await svc.updateSubscriptions(args.room, 'bot-b', [trackSid], true);
  const back = await until(() => bMeter.level() > 2000, 5000);
  setCase('subscriptions', off < 300 && back, `B's level of bot-a: ${off} RMS unsubscribed, ${bMeter.level()} RMS subscribed again`);
});

await run('mute', async () => {
  const t = await svc.mutePublishedTrack(args.room, 'bot-a', trackSid, true);
  const seen = await until(() => B.events.some((e) => e.ev === RoomEvent.TrackMuted && e.a[0]?.sid === trackSid), 5000);
  const unmute = await refusedWith(svc.mutePublishedTrack(args.room, 'bot-a', trackSid, false));
  setCase('mute', t?.muted === true && seen && unmute === '412 failed_precondition',
    `answer muted=${t?.muted}; B saw TrackMuted: ${seen}; remote unmute: ${unmute}`);
});

await run('send_data', async () => {
  const mark = { b: B.got.length, c: C.got.length };
  await svc.sendData(args.room, new TextEncoder().encode('from the backend'), DataPacket_Kind.RELIABLE,
    { destinationIdentities: ['bot-b'], topic: 'svc' });
  const got = await until(() => B.got.length > mark.b, 5000);
  await sleep(500);
  const p = B.got[mark.b];
  setCase('send_data', got && p.text === 'from the backend' && p.topic === 'svc' && !p.from && C.got.length === mark.c,
    `B got ${JSON.stringify(p)}; C got ${C.got.length - mark.c}`);
});

await run('unpublish', async () => {
  const p = await svc.updateParticipant(args.room, 'bot-a', { permission: { canSubscribe: true, canPublishData: true } });
  const gone = await until(() => B.events.some((e) => e.ev === RoomEvent.TrackUnpublished && e.a[0]?.sid === trackSid), 5000);
  setCase('unpublish', p.permission && !p.permission.canPublish && p.tracks.length === 0 && gone,
    `canPublish now ${p.permission?.canPublish}; tracks ${p.tracks.length}; B saw TrackUnpublished: ${gone}`);
});

await run('remove', async () => {
  await svc.removeParticipant(args.room, 'bot-c');
  const out = await until(() => C.disconnected !== null, 5000);
  const seen = await until(() => !A.room.remoteParticipants.has('bot-c'), 5000);
  const again = await refusedWith(svc.removeParticipant(args.room, 'bot-c'));
  setCase('remove', out && C.disconnected === PARTICIPANT_REMOVED && seen && again === '404 not_found',
    `C disconnected with reason ${C.disconnected}; A sees it gone: ${seen}; removing it again: ${again}`);
});

await run('delete', async () => {
  await svc.deleteRoom(args.room);
  const out = await until(() => A.disconnected !== null && B.disconnected !== null, 5000);
  const left = (await svc.listRooms([args.room])).length;
  setCase('delete', out && A.disconnected === ROOM_DELETED && B.disconnected === ROOM_DELETED && left === 0,
    `A disconnected with ${A.disconnected}, B with ${B.disconnected}; rooms named ${args.room} left: ${left}`);
});

await finish();
