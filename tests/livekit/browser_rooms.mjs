// livekit-client 2.23.0 (unchanged, default Room options) in headless
// Chromium pages against edgesfu's /rtc/v1: edgesfu's own page in its LiveKit
// mode (the livekit-client edgesfu serves). Each page joins one room, turns
// its microphone on (Chromium's fake device: a beep) and, with --camera 1, its
// camera (the fake device's pattern; livekit-client's defaults: 720p,
// simulcast in three layers). Each page must hear every other (inbound audio
// with energy) and, with the camera, see every other: frames decoded growing,
// at least --min-width x --min-height. Then the last page leaves: the others
// get ParticipantDisconnected and keep each other's media; it joins again and
// everyone gets everyone back. Prints one JSON line (publishers' layers and
// what each page received); exit 0 when every check held.
//
// The camera is Chromium's fake device playing a moving test picture of
// --camera-size (default 640x480, what two CPUs can encode in three pages at
// once; 1280x720 gives livekit-client's full 720p layers).
//
//   node browser_rooms.mjs --base http://198.18.0.2:7880 --secret S [--pages 3] [--seconds 6]
//     [--camera 1] [--camera-size 640x480] [--min-width 640] [--min-height 480]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessToken } from 'livekit-server-sdk';
import { launchChromium, gotoSettled } from '../browser/chromium.mjs';
import { testClip } from '../browser/y4m_clip.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (i % 2 === 0 ? a.concat([[v.replace(/^--/, ''), all[i + 1]]]) : a), []));
const base = args.base ?? 'http://198.18.0.2:7880';
const pages = Number(args.pages ?? 2);
const seconds = Number(args.seconds ?? 6);
const room = args.room ?? 'browsers';
const camera = args.camera === '1';
const minWidth = Number(args['min-width'] ?? 640);
const minHeight = Number(args['min-height'] ?? 480);
const log = (...m) => console.error('[browser_rooms]', ...m);
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

async function token(identity) {
  const at = new AccessToken(args.key ?? 'devkey', args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

const hard = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, reason: 'hard timeout' }));
  process.exit(1);
}, (3 * seconds + 120) * 1000);

// Joins (or joins again) in `page` as user-i, publishing microphone (and
// camera), with the page's LiveKit mode (edgesfu's page at /: a default Room,
// every subscribed track played, as an app would: Chromium counts audio
// energy at playout and decodes video only for a sink).
async function joinRoom(page, i) {
  const t = await token(`user-${i}`);
  const t0 = Date.now();
  await page.evaluate(async ({ t, camera }) => {
    window.lkLeft = [];
    await lkJoin(t, { camera });
    lkRoom.on(LivekitClient.RoomEvent.ParticipantDisconnected, (p) => window.lkLeft.push(p.identity));
  }, { t, camera });
  log(`page ${i} connected and publishing in ${Date.now() - t0} ms`);
}

// What a page receives from each remote participant, and what it sends.
function sample(page) {
  return page.evaluate(async () => {
    const r = lkRoom;
    const from = await lkStats();
    const layers = [];
    for (const pub of r.localParticipant.trackPublications.values()) {
      const snd = pub.track?.sender;
      if (!snd || pub.kind !== 'video') continue;
      for (const s of (await snd.getStats()).values()) {
        if (s.type === 'outbound-rtp') {
          layers.push({ rid: s.rid, w: s.frameWidth ?? 0, h: s.frameHeight ?? 0, fps: s.framesPerSecond ?? 0,
            active: s.active, limit: s.qualityLimitationReason, kbps: Math.round((s.targetBitrate ?? 0) / 1000) });
        }
      }
    }
    return { from, layers, left: window.lkLeft };
  });
}

// Every page in `present` hears (and sees) every other: two samples 2 s apart,
// in one of up to three such windows (a publisher's bandwidth estimate and
// its encoder on two loaded CPUs may take a few more seconds to reach the
// top layer).
async function check(tabs, present, phase, problems) {
  for (let attempt = 1; ; ++attempt) {
    const found = [];
    const out = await checkOnce(tabs, present, phase, found);
    if (found.length === 0 || attempt === 3) {
      problems.push(...found);
      return out;
    }
    log(`${phase}: window ${attempt} not yet: ${found.join('; ')}`);
  }
}

async function checkOnce(tabs, present, phase, problems) {
  const first = {};
  for (const i of present) first[i] = await sample(tabs[i]);
  await sleep(2000);
  const out = {};
  for (const i of present) {
    const now = await sample(tabs[i]);
    out[`user-${i}`] = now;
    for (const j of present) {
      if (j === i) continue;
      const e = now.from[`user-${j}`], e0 = first[i].from[`user-${j}`];
      const who = `${phase}: user-${i} <- user-${j}`;
      if (!e) { problems.push(`${who}: not a participant`); continue; }
      if (e.audio_packets < 100 || !(e.energy > 0)) problems.push(`${who}: no audio`);
      if (!camera) continue;
      // Growing: Chromium's encoders run at 5-8 fps when three pages share two
      // CPUs, so at least 4 frames (2 fps) in 2 s, not a full frame rate.
      if (!e0 || e.frames - e0.frames < 4) problems.push(`${who}: ${e.frames - (e0?.frames ?? 0)} frames decoded in 2 s`);
      if (e.width < minWidth || e.height < minHeight) problems.push(`${who}: ${e.width}x${e.height}`);
    }
    log(`${phase}: page ${i}`, JSON.stringify(now));
  }
  return out;
}

const [camW, camH] = (args['camera-size'] ?? '640x480').split('x').map(Number);
const clipDir = mkdtempSync(join(tmpdir(), 'esfu-clip-'));
const videoFile = join(clipDir, 'camera.y4m');
writeFileSync(videoFile, testClip(camW, camH, 40));
const { browser, close } = await launchChromium(base, { videoFile });
let result = { ok: false, reason: '' };
try {
  const tabs = [];
  for (let i = 0; i < pages; ++i) {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error') log(`page ${i}:`, m.text()); });
    await gotoSettled(page, `${base}/`);
    await joinRoom(page, i);
    tabs.push(page);
  }
  const all = [...Array(pages).keys()];
  const problems = [];
  await sleep(seconds * 1000);
  result.together = await check(tabs, all, 'together', problems);

  // The last page leaves; the others are told and keep their media.
  const last = pages - 1;
  await tabs[last].evaluate(() => lkLeave());
  await sleep(1500);
  const rest = all.slice(0, last);
  for (const i of rest) {
    const left = await tabs[i].evaluate(() => window.lkLeft);
    if (!left.includes(`user-${last}`)) problems.push(`user-${i} got no ParticipantDisconnected for user-${last}`);
  }
  if (rest.length > 1) result.after_leave = await check(tabs, rest, 'after leave', problems);

  // It joins again: everyone has everyone back.
  await joinRoom(tabs[last], last);
  await sleep(seconds * 1000);
  result.rejoined = await check(tabs, all, 'rejoined', problems);
  result.ok = problems.length === 0;
  result.reason = problems.join('; ');
  for (const page of tabs) await page.evaluate(() => lkLeave()).catch(() => {});
} catch (e) {
  result = { ok: false, reason: String(e?.message ?? e) };
} finally {
  await close();
  rmSync(clipDir, { recursive: true, force: true });
  clearTimeout(hard);
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
