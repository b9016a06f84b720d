// livekit-client 2.23.0 (unchanged, default Room options) in headless
// Chromium pages against edgesfu's /rtc/v1: each page joins one room, turns
// its microphone on (Chromium's fake device: a beep), and must hear every
// other page (inbound audio with energy). Prints one JSON line; exit 0 when
// every page heard every other.
//
//   node browser_rooms.mjs --base http://198.18.0.2:7880 --secret S [--pages 2] [--seconds 6]
import { readFileSync } from 'node:fs';
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
const here = dirname(fileURLToPath(import.meta.url));
const umd = readFileSync(join(here, 'node_modules/livekit-client/dist/livekit-client.umd.js'), 'utf8');
const log = (...m) => console.error('[browser_rooms]', ...m);

async function token(identity) {
  const at = new AccessToken(args.key ?? 'devkey', args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

const hard = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, reason: 'hard timeout' }));
  process.exit(1);
}, (seconds + 60) * 1000);

const { browser, close } = await launchChromium(base);
let result = { ok: false, reason: '' };
try {
  const tabs = [];
  for (let i = 0; i < pages; ++i) {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error') log(`page ${i}:`, m.text()); });
    await gotoSettled(page, `${base}/`);
    await page.addScriptTag({ content: umd });
    const t = await token(`user-${i}`);
    const t0 = Date.now();
    await page.evaluate(async ({ url, t }) => {
      const r = new LivekitClient.Room();
      window.lkRoom = r;
      // Played, as an app would: Chromium counts audio energy at playout.
      r.on(LivekitClient.RoomEvent.TrackSubscribed, (track) => {
        document.body.appendChild(track.attach());
      });
      await r.connect(url, t);
      await r.localParticipant.setMicrophoneEnabled(true);
    }, { url: base.replace(/^http/, 'ws'), t });
    log(`page ${i} connected and publishing in ${Date.now() - t0} ms`);
    tabs.push(page);
  }
  await new Promise(r => setTimeout(r, seconds * 1000));
  const heard = [];
  for (const [i, page] of tabs.entries()) {
    heard.push(await page.evaluate(async () => {
      const r = window.lkRoom;
      const out = {};
      for (const p of r.remoteParticipants.values()) {
        let energy = 0, packets = 0;
        for (const pub of p.trackPublications.values()) {
          const rec = pub.track?.receiver;
          if (!rec) continue;
          for (const s of (await rec.getStats()).values()) {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') {
              energy += s.totalAudioEnergy ?? 0;
              packets += s.packetsReceived ?? 0;
            }
          }
        }
        out[p.identity] = { sid: p.sid, energy, packets };
      }
      return out;
    }));
    log(`page ${i} hears`, JSON.stringify(heard[i]));
  }
  const missing = [];
  heard.forEach((h, i) => {
    for (let j = 0; j < pages; ++j) {
      if (j === i) continue;
      const e = h[`user-${j}`];
      if (!e || e.packets < 100 || !(e.energy > 0)) missing.push(`user-${i} does not hear user-${j}`);
    }
  });
  result = { ok: missing.length === 0, heard, reason: missing.join('; ') };
  for (const page of tabs) await page.evaluate(() => window.lkRoom.disconnect()).catch(() => {});
} catch (e) {
  result = { ok: false, reason: String(e?.message ?? e) };
} finally {
  await close();
  clearTimeout(hard);
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
