// data_pages.mjs - LiveKit data between a browser and an agent-like bot through edgesfu:
// a headless Chromium page (edgesfu's page in its LiveKit mode: livekit-client 2.23.0, default
// options, no media) and an @livekit/rtc-node 1.1.0 bot in one room.
//   publish_data  page -> bot reliable with a topic; bot -> page lossy addressed to the page
//   rpc           page performRpc -> bot, bot performRpc -> page (methods registered each side)
//   streams       page sendText -> bot; bot streamText -> page (chunks); page byte stream -> bot
//   page_to_page  a second page gets the first page's packet (browser to browser)
// Usage: node data_pages.mjs --base http://198.18.0.2:7880 --key devkey --secret S [--room data-pages]
// Prints one JSON line {"ok":..,"cases":{..}} last; exit 0 when every case passed.
import { Room, RoomEvent, dispose } from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { launchChromium, gotoSettled } from '../browser/chromium.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (i % 2 === 0 ? a.concat([[v.replace(/^--/, ''), all[i + 1]]]) : a), []));
const base = args.base ?? 'http://198.18.0.2:7880';
const roomName = args.room ?? 'data-pages';
const T0 = Date.now();
const log = (...m) => console.error(`[data_pages +${((Date.now() - T0) / 1000).toFixed(2)}s]`, ...m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder(), dec = new TextDecoder();
const errMsg = (e) => (e?.message ?? String(e));
function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}
async function until(pred, ms) {
  const end = Date.now() + ms;
  while (!(await pred()) && Date.now() < end) await sleep(50);
  return pred();
}
async function token(identity) {
  const at = new AccessToken(args.key ?? 'devkey', args.secret, { identity });
  at.addGrant({ roomJoin: true, room: roomName, canPublish: true, canSubscribe: true, canPublishData: true });
  return at.toJwt();
}

const CASES = ['publish_data', 'rpc', 'streams', 'page_to_page'];
const cases = {};
function setCase(name, ok, detail) {
  if (name in cases) return;
  cases[name] = { ok: !!ok, detail: String(detail) };
  log(`CASE ${name}: ${ok ? 'PASS' : 'FAIL'} - ${detail}`);
}
const hard = setTimeout(() => { console.log(JSON.stringify({ ok: false, cases, reason: 'hard timeout' })); process.exit(1); }, 150000);

// In a page: what it received, and its handlers (RPC method, text streams).
const pageSetup = () => {
  const E = LivekitClient.RoomEvent;
  window.got = [];
  window.texts = [];
  lkRoom.on(E.DataReceived, (payload, participant, kind, topic) => {
    window.got.push({ from: participant?.identity, kind, topic, text: new TextDecoder().decode(payload) });
  });
  lkRoom.registerRpcMethod('greet', async (d) => `page greets ${d.callerIdentity}: ${d.payload}`);
  lkRoom.registerTextStreamHandler('to-page', async (reader, from) => {
    window.texts.push({ from: from.identity, text: await reader.readAll() });
  });
};

const { browser, close } = await launchChromium(base);
const bot = new Room();
const botGot = [], botTexts = [], botBytes = [];
try {
  bot.on(RoomEvent.DataReceived, (payload, participant, kind, topic) => {
    botGot.push({ from: participant?.identity, topic, text: dec.decode(payload) });
  });
  await withTimeout(bot.connect(args.url ?? base.replace(/^http/, 'ws'), await token('agent-bot'), { autoSubscribe: false }), 10000, 'bot connect');
  bot.localParticipant.registerRpcMethod('answer', async (d) => `bot answers ${d.callerIdentity}: ${d.payload.toUpperCase()}`);
  bot.registerTextStreamHandler('to-bot', async (reader, from) => { botTexts.push({ from: from.identity, text: await reader.readAll() }); });
  bot.registerByteStreamHandler('upload', async (reader, from) => {
    const parts = await reader.readAll();
    botBytes.push({ from: from.identity, length: parts.reduce((n, p) => n + p.length, 0), parts });
  });

  const pages = [];
  for (const name of ['page-1', 'page-2']) {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') log(`${name}:`, m.text()); });
    await gotoSettled(page, `${base}/`);
    await page.evaluate((t) => lkJoin(t, { camera: false, microphone: false }), await token(name));
    await page.evaluate(pageSetup);
    pages.push(page);
  }
  const [p1, p2] = pages;
  log('pages joined');
  await until(() => bot.remoteParticipants.size >= 2, 5000);

  // Data channels open in the background after the join: wait for the first
  // packet to make it through (livekit-client waits for its channel itself).
  try {
    await p1.evaluate(() => lkRoom.localParticipant.publishData(new TextEncoder().encode('hi bot'), { reliable: true, topic: 'chat' }));
    const fromPage = await until(() => botGot.some((p) => p.topic === 'chat' && p.from === 'page-1' && p.text === 'hi bot'), 10000);
    await bot.localParticipant.publishData(enc.encode('hi page'), { reliable: false, topic: 'direct', destination_identities: ['page-1'] });
    const toPage = await until(async () => (await p1.evaluate(() => window.got)).some((p) => p.from === 'agent-bot' && p.topic === 'direct' && p.text === 'hi page'), 10000);
    await sleep(500);
    const p2Leak = (await p2.evaluate(() => window.got)).filter((p) => p.topic === 'direct').length;
    setCase('publish_data', fromPage && toPage && p2Leak === 0,
      `page->bot reliable: ${fromPage}; bot->page lossy to page-1: ${toPage}; page-2 got it: ${p2Leak}`);
  } catch (e) { setCase('publish_data', false, errMsg(e)); }

  try {
    const r1 = await withTimeout(p1.evaluate(() => lkRoom.localParticipant.performRpc({ destinationIdentity: 'agent-bot', method: 'answer', payload: 'question' })), 15000, 'page rpc');
    const r2 = await withTimeout(bot.localParticipant.performRpc({ destinationIdentity: 'page-1', method: 'greet', payload: 'hello' }), 15000, 'bot rpc');
    setCase('rpc', r1 === 'bot answers page-1: QUESTION' && r2 === 'page greets agent-bot: hello', `page->bot: ${JSON.stringify(r1)}; bot->page: ${JSON.stringify(r2)}`);
  } catch (e) { setCase('rpc', false, errMsg(e)); }

  try {
    await p1.evaluate(() => lkRoom.localParticipant.sendText('typed by a person', { topic: 'to-bot' }));
    const w = await bot.localParticipant.streamText({ topic: 'to-page', destinationIdentities: ['page-1'] });
    const words = Array.from({ length: 30 }, (_, i) => `token${i} `);
    for (const x of words) await w.write(x);
    await w.close();
    await p1.evaluate(async () => {
      const data = new Uint8Array(50000);
      for (let i = 0; i < data.length; ++i) data[i] = i & 0xff;
      const wr = await lkRoom.localParticipant.streamBytes({ topic: 'upload', name: 'up.bin', totalSize: data.length });
      await wr.write(data);
      await wr.close();
    });
    const ok = await until(async () => botTexts.length >= 1 && botBytes.length >= 1 &&
      (await p1.evaluate(() => window.texts.length)) >= 1, 10000);
    const pageText = (await p1.evaluate(() => window.texts))[0];
    const up = botBytes[0];
    const flat = up ? Uint8Array.from(up.parts.flatMap((p) => [...p])) : new Uint8Array();
    const bytesOk = up && up.length === 50000 && flat.every((v, i) => v === (i & 0xff));
    setCase('streams', ok && botTexts[0].text === 'typed by a person' && pageText?.text === words.join('') && bytesOk,
      `page sendText -> bot: ${JSON.stringify(botTexts[0]?.text)}; bot streamText -> page: ${pageText?.text?.length ?? 0} chars; ` +
      `page byte stream -> bot: ${up?.length ?? 0} bytes${bytesOk ? ' byte-exact' : ''}`);
  } catch (e) { setCase('streams', false, errMsg(e)); }

  try {
    await p2.evaluate(() => lkRoom.localParticipant.publishData(new TextEncoder().encode('page to page'), { reliable: true, topic: 'p2p', destinationIdentities: ['page-1'] }));
    const ok = await until(async () => (await p1.evaluate(() => window.got)).some((p) => p.from === 'page-2' && p.topic === 'p2p' && p.text === 'page to page'), 10000);
    setCase('page_to_page', ok, ok ? 'page-1 got page-2\'s packet' : 'page-1 got nothing from page-2');
  } catch (e) { setCase('page_to_page', false, errMsg(e)); }

  for (const p of pages) await p.evaluate(() => lkLeave()).catch(() => {});
} catch (e) {
  log('error:', errMsg(e));
} finally {
  await withTimeout(bot.disconnect(), 3000, 'disconnect').catch(() => {});
  await withTimeout(dispose(), 3000, 'dispose').catch(() => {});
  await close();
  clearTimeout(hard);
}
for (const c of CASES) if (!(c in cases)) setCase(c, false, 'not run');
const ok = CASES.every((c) => cases[c].ok);
console.log(JSON.stringify({ ok, cases }));
process.exit(ok ? 0 : 1);
