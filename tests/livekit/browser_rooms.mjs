// livekit-client 2.23.0 (unchanged, default Room options) in headless
// Chromium pages against edgesfu's /rtc/v1. Each page joins one room, turns
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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import { launchChromium, gotoSettled } from '../browser/chromium.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (i % 2 === 0 ? a.concat([[v.replace(/^--/, ''), all[i + 1]]]) : a), []));
const base = args.base ?? 'http://198.18.0.2:7880';
const pages = Number(args.pages ?? 2);
const seconds = Number(args.seconds ?? 6);
const room = args.room ?? 'browsers';
const camera = args.camera === '1';
const minWidth = Number(args['min-width'] ?? 640);
const minHeight = Number(args['min-height'] ?? 480);
const here = dirname(fileURLToPath(import.meta.url));
const umd = readFileSync(join(here, 'node_modules/livekit-client/dist/livekit-client.umd.js'), 'utf8');
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

// Joins (or joins again) in `page` as user-i, publishing microphone (and camera).
async function joinRoom(page, i) {
  const t = await token(`user-${i}`);
  const t0 = Date.now();
  await page.evaluate(async ({ url, t, camera }) => {
    const r = new LivekitClient.Room();
    window.lkRoom = r;
    window.lkLeft = [];
    // Played, as an app would: Chromium counts audio energy at playout and
    // decodes video only for a sink.
    r.on(LivekitClient.RoomEvent.TrackSubscribed, (track) => {
      const el = track.attach();
      el.muted = track.kind === 'video';
      document.body.appendChild(el);
    });
    r.on(LivekitClient.RoomEvent.ParticipantDisconnected, (p) => window.lkLeft.push(p.identity));
    await r.connect(url, t);
    await r.localParticipant.setMicrophoneEnabled(true);
    if (camera) await r.localParticipant.setCameraEnabled(true);
  }, { url: base.replace(/^http/, 'ws'), t, camera });
  log(`page ${i} connected and publishing in ${Date.now() - t0} ms`);
}

// What a page receives from each remote participant, and what it sends.
function sample(page) {
  return page.evaluate(async () => {
    const r = window.lkRoom;
    const from = {};
    for (const p of r.remoteParticipants.values()) {
      const e = { energy: 0, audio_packets: 0, frames: 0, width: 0, height: 0 };
      for (const pub of p.trackPublications.values()) {
        const rec = pub.track?.receiver;
        if (!rec) continue;
        for (const s of (await rec.getStats()).values()) {
          if (s.type !== 'inbound-rtp') continue;
          if (s.kind === 'audio') {
            e.energy += s.totalAudioEnergy ?? 0;
            e.audio_packets += s.packetsReceived ?? 0;
          } else {
            e.frames += s.framesDecoded ?? 0;
            e.width = Math.max(e.width, s.frameWidth ?? 0);
            e.height = Math.max(e.height, s.frameHeight ?? 0);
          }
        }
      }
      from[p.identity] = e;
    }
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

// Every page in `present` hears (and sees) every other: two samples 2 s apart.
async function check(tabs, present, phase, problems) {
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

// A Y4M clip (4:2:0) of a gradient with a bright square moving across it.
function testClip(w, h, frames) {
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F20:1 Ip A1:1 C420jpeg\n`);
  const parts = [header];
  for (let f = 0; f < frames; ++f) {
    const y = Buffer.alloc(w * h), u = Buffer.alloc((w / 2) * (h / 2), 128), v = Buffer.alloc((w / 2) * (h / 2), 128);
    const bx = Math.floor((f / frames) * (w - 64)), by = Math.floor(h / 2 - 32);
    for (let r = 0; r < h; ++r) {
      for (let c = 0; c < w; ++c) {
        const inBox = c >= bx && c < bx + 64 && r >= by && r < by + 64;
        y[r * w + c] = inBox ? 235 : (c + r + 4 * f) & 0xff;
      }
    }
    for (let i = 0; i < u.length; ++i) u[i] = (i + 8 * f) & 0xff;
    parts.push(Buffer.from('FRAME\n'), y, u, v);
  }
  return Buffer.concat(parts);
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
    await page.addScriptTag({ content: umd });
    await joinRoom(page, i);
    tabs.push(page);
  }
  const all = [...Array(pages).keys()];
  const problems = [];
  await sleep(seconds * 1000);
  result.together = await check(tabs, all, 'together', problems);

  // The last page leaves; the others are told and keep their media.
  const last = pages - 1;
  await tabs[last].evaluate(() => window.lkRoom.disconnect());
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
  for (const page of tabs) await page.evaluate(() => window.lkRoom.disconnect()).catch(() => {});
} catch (e) {
  result = { ok: false, reason: String(e?.message ?? e) };
} finally {
  await close();
  rmSync(clipDir, { recursive: true, force: true });
  clearTimeout(hard);
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
