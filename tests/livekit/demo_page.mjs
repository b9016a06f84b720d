// The demo page's LiveKit mode, as a person uses it beside the README's demo:
// edgesfu's own page (GET /) in headless Chromium. Page A publishes its camera
// and microphone with WHIP into --room (what tools/demo does); pages B and C
// join the same room through the page's LiveKit mode (lkJoin: livekit-client
// served by edgesfu at /lib/livekit-client.umd.js, default options,
// microphone and camera; C as a person does, from a ?token= link and the
// page's button). Checks: the served livekit-client is the pinned
// one; B and C each hear and see A (a WHIP publisher is a participant) and
// each other (audio energy at playout, frames decoded growing); B leaves and
// C's page drops its tile. Prints one JSON line; exit 0 when every check held.
//
//   node demo_page.mjs --base http://198.18.0.2:7880 --secret S [--room demo] [--seconds 8]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import { launchChromium, gotoSettled } from '../browser/chromium.mjs';
import { testClip } from '../browser/y4m_clip.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (i % 2 === 0 ? a.concat([[v.replace(/^--/, ''), all[i + 1]]]) : a), []));
const base = args.base ?? 'http://198.18.0.2:7880';
const room = args.room ?? 'demo';
const seconds = Number(args.seconds ?? 8);
const here = dirname(fileURLToPath(import.meta.url));
const pinned = JSON.parse(readFileSync(join(here, 'node_modules/livekit-client/package.json'), 'utf8')).version;
const log = (...m) => console.error('[demo_page]', ...m);
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

async function token(identity) {
  const at = new AccessToken(args.key ?? 'devkey', args.secret, { identity });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

const hard = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, reason: 'hard timeout' }));
  process.exit(1);
}, (2 * seconds + 90) * 1000);

const clipDir = mkdtempSync(join(tmpdir(), 'esfu-clip-'));
const videoFile = join(clipDir, 'camera.y4m');
writeFileSync(videoFile, testClip(640, 480, 40));
const { browser, close } = await launchChromium(base, { videoFile });
const problems = [];
const result = { ok: false };
try {
  const js = await fetch(`${base}/lib/livekit-client.umd.js`);
  if (js.status !== 200) problems.push(`/lib/livekit-client.umd.js: HTTP ${js.status}`);
  if (!String(js.headers.get('content-type')).startsWith('text/javascript')) {
    problems.push(`/lib/livekit-client.umd.js: content-type ${js.headers.get('content-type')}`);
  }
  await js.arrayBuffer();

  const open = async (name, query = '') => {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error' && !m.text().includes('DataChannel')) log(`${name}:`, m.text()); });
    await gotoSettled(page, `${base}/${query}`);
    return page;
  };
  const a = await open('whip');
  await a.evaluate(([r, t]) => publish(r, t), [room, await token('whip-camera')]);
  log('page A publishes with WHIP');
  // B joins through the page's function, C as a person does: the link
  // tools/demo prints (?token=...) and the button.
  const b = await open('page-b');
  result.version = await b.evaluate(() => window.LivekitClient?.version ?? null);
  if (result.version !== pinned) problems.push(`page's livekit-client ${result.version}, pinned ${pinned}`);
  await b.evaluate(t => lkJoin(t), await token('page-b'));
  const c = await open('page-c', `?token=${await token('page-c')}`);
  await c.click('text=Join with camera + microphone (livekit-client)');
  for (let i = 0; i < 100 && !(await c.evaluate(() => lkRoom?.state === 'connected')); ++i) await sleep(100);
  log('pages B and C joined with the page\'s LiveKit mode');
  await sleep(seconds * 1000);

  const first = { b: await b.evaluate(() => lkStats()), c: await c.evaluate(() => lkStats()) };
  await sleep(2000);
  const now = { b: await b.evaluate(() => lkStats()), c: await c.evaluate(() => lkStats()) };
  result.received = now;
  for (const [me, others] of [['b', ['whip-camera', 'page-c']], ['c', ['whip-camera', 'page-b']]]) {
    for (const o of others) {
      const e = now[me][o], e0 = first[me][o];
      const who = `page-${me} <- ${o}`;
      if (!e) { problems.push(`${who}: not a participant`); continue; }
      if (e.audio_packets < 100 || !(e.energy > 0)) problems.push(`${who}: no audio`);
      if (!e0 || e.frames - e0.frames < 4) problems.push(`${who}: ${e.frames - (e0?.frames ?? 0)} frames decoded in 2 s`);
    }
  }
  result.tiles_c = await c.evaluate(() => [...document.querySelectorAll('#people .tile p')].map(p => p.textContent));
  for (const who of ['whip-camera', 'page-b', 'page-c']) {
    if (!result.tiles_c.includes(who)) problems.push(`page-c shows no tile for ${who}`);
  }

  // B leaves: C's page drops B's tile (ParticipantDisconnected).
  await b.evaluate(() => lkLeave());
  let gone = false;
  for (let i = 0; i < 30 && !gone; ++i) {
    await sleep(100);
    gone = !(await c.evaluate(() => [...document.querySelectorAll('#people .tile p')].some(p => p.textContent === 'page-b')));
  }
  if (!gone) problems.push('page-c still shows page-b 3 s after it left');
  await c.evaluate(() => lkLeave());
  await a.evaluate(() => stop());
} catch (e) {
  problems.push(String(e?.message ?? e));
} finally {
  await close();
  rmSync(clipDir, { recursive: true, force: true });
  clearTimeout(hard);
}
result.ok = problems.length === 0;
result.reason = problems.join('; ');
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
