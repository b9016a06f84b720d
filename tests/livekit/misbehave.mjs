// misbehave.mjs - a participant on @livekit/rtc-node that misbehaves, for the
// isolation tests (issue 16 #4, tests/integration/netns_isolation.sh).
//   --mode flood   publishes data as fast as rtc-node takes it (reliable and
//                  lossy, 1 KiB, up to 64 in flight) for --seconds
//   --mode reneg   publishes a microphone track and unpublishes it again in
//                  a loop (every change a renegotiation and a room update to
//                  everyone) for --seconds
//   --mode sink    joins, subscribes to everything, says "joined" on stdout
//                  and waits: the harness stops the process (SIGSTOP), so it
//                  reads nothing (its data channel fills) and answers no
//                  consent check; data reaches it from a --mode feeder
//   --mode feeder  sends a reliable 1 KiB message to the room every 5 ms
// Prints one JSON line when done (sink: never; the harness ends it).
// Usage: node misbehave.mjs --url U --key K --secret S --room R --mode M [--seconds N] [--identity I]
import {
  AudioSource, LocalAudioTrack, Room, TrackPublishOptions, TrackSource, dispose,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { errMsg, makeLog, parseArgs, sleep, withTimeout } from './lib.mjs';

const args = parseArgs({ url: '', key: 'devkey', secret: '', room: 'iso', mode: '', seconds: '20', identity: '' },
  'node misbehave.mjs --url U --key K --secret S --room R --mode flood|reneg|sink|feeder [--seconds N]');
const identity = args.identity || `misbehaving-${args.mode}`;
const log = makeLog(identity);
const seconds = Number(args.seconds);
if (!args.url || !args.secret || !['flood', 'reneg', 'sink', 'feeder'].includes(args.mode) || !(seconds > 0)) {
  console.error('misbehave: --url, --secret, a --mode of flood, reneg, sink or feeder and --seconds > 0');
  process.exit(2);
}
process.on('unhandledRejection', (e) => log(`unhandled rejection (ignored): ${errMsg(e)}`));

const at = new AccessToken(args.key, args.secret, { identity });
at.addGrant({ roomJoin: true, room: args.room, canPublish: true, canSubscribe: true, canPublishData: true });
const room = new Room();
await withTimeout(room.connect(args.url, await at.toJwt(), { autoSubscribe: args.mode === 'sink' }),
  10000, 'connect');
log(`connected as ${room.localParticipant.sid}`);
const end = Date.now() + seconds * 1000;
const result = { mode: args.mode };

if (args.mode === 'sink') {
  process.stdout.write('joined\n');
  await new Promise(() => {});
} else if (args.mode === 'flood') {
  const payload = new Uint8Array(1024).fill(7);
  let sent = 0, failed = 0;
  const inflight = new Set();
  while (Date.now() < end) {
    const p = room.localParticipant.publishData(payload, { reliable: sent % 2 === 0, topic: 'flood' })
      .then(() => { sent++; }, () => { failed++; })
      .finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 64) await Promise.race(inflight);
  }
  await Promise.allSettled(inflight);
  Object.assign(result, { sent, failed });
} else if (args.mode === 'feeder') {
  const payload = new Uint8Array(1024).fill(9);
  let sent = 0, failed = 0;
  while (Date.now() < end) {
    await room.localParticipant.publishData(payload, { reliable: true, topic: 'feed' })
      .then(() => { sent++; }, () => { failed++; });
    await sleep(5);
  }
  Object.assign(result, { sent, failed });
} else {  // reneg
  const source = new AudioSource(48000, 1);
  let cycles = 0, failed = 0;
  while (Date.now() < end) {
    try {
      const track = LocalAudioTrack.createAudioTrack('mic', source);
      const opts = new TrackPublishOptions();
      opts.source = TrackSource.SOURCE_MICROPHONE;
      const pub = await withTimeout(room.localParticipant.publishTrack(track, opts), 5000, 'publish');
      await sleep(150);
      await withTimeout(room.localParticipant.unpublishTrack(pub.sid), 5000, 'unpublish');
      await sleep(150);
      cycles++;
    } catch (e) {
      failed++;
      log(`cycle failed: ${errMsg(e)}`);
    }
  }
  Object.assign(result, { cycles, failed });
}
await withTimeout(room.disconnect(), 5000, 'disconnect').catch(() => {});
await withTimeout(dispose(), 3000, 'dispose').catch(() => {});
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
