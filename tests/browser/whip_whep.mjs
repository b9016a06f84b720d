// Two headless Chromium pages (Debian's chromium, driven by playwright-core):
// A publishes its fake camera and microphone to BASE/whip/ROOM, B plays
// BASE/whep/ROOM. Waits until B has received > 200 audio packets with audio
// energy and decoded > 50 video frames, prints both pages' stats as JSON, then
// DELETEs both sessions. Exit 0 on success, 1 on failure or timeout.
// With SECONDS = 0 it runs until killed (SIGINT/SIGTERM) and prints the
// player's receive rates and loss every second (the demo). With PUB_TOKEN
// "-" there is no publisher page: B plays what another client publishes.
//
//   node whip_whep.mjs BASE ROOM PUB_TOKEN SUB_TOKEN [SECONDS]
import { launchChromium, gotoSettled } from './chromium.mjs';

const [base, room, pubToken, subToken, secs = '40'] = process.argv.slice(2);
const chrome = await launchChromium(base);
const browser = chrome.browser;
let ok = false;
try {
  const a = await browser.newPage();
  const b = await browser.newPage();
  for (const [name, p] of [['publisher', a], ['player', b]]) {
    p.on('console', m => console.error(`[${name}] ${m.text()}`));
    await gotoSettled(p, base + '/');
  }
  const publishing = pubToken !== '-';
  if (publishing) await a.evaluate(([r, t]) => publish(r, t), [room, pubToken]);
  await b.evaluate(([r, t]) => play(r, t), [room, subToken]);
  if (Number(secs) === 0) {
    let stopping = false;
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopping = true; });
    let prev = { a: 0, v: 0 };
    while (!stopping) {
      const s = await b.evaluate(() => stats(window.player));
      const au = s.in_audio || {}, vi = s.in_video || {};
      console.log(`player: audio ${(au.packetsReceived || 0) - prev.a} pkt/s (lost ${au.packetsLost || 0}), ` +
                  `video ${(vi.packetsReceived || 0) - prev.v} pkt/s, ${vi.framesDecoded || 0} frames decoded, ${s.state}`);
      prev = { a: au.packetsReceived || 0, v: vi.packetsReceived || 0 };
      await new Promise(r => setTimeout(r, 1000));
    }
    ok = true;
  }
  const deadline = Date.now() + Number(secs) * 1000;
  let last = {};
  while (!ok && Date.now() < deadline) {
    last = { player: await b.evaluate(() => stats(window.player)),
             publisher: publishing ? await a.evaluate(() => stats(window.publisher)) : null };
    const au = last.player.in_audio || {}, vi = last.player.in_video || {};
    if (au.packetsReceived > 200 && au.totalAudioEnergy > 0 && vi.framesDecoded > 50) { ok = true; break; }
    await new Promise(r => setTimeout(r, 500));
  }
  console.log(JSON.stringify(last));
  await b.evaluate(() => stop());
  if (publishing) await a.evaluate(() => stop());
} catch (e) {
  console.error('browser test:', e.message);
} finally {
  await chrome.close();
}
process.exit(ok ? 0 : 1);
