// Debian's headless Chromium as the browser tests and benchmarks run it
// (playwright-core, installed here by deploy/install-deps.sh): fake camera and
// microphone, no background networking (this machine's network is closed),
// the appliance's plain-HTTP origin treated as secure (getUserMedia needs it).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Returns { browser, close }: a persistent context on a fresh profile, and
// the function that closes it and removes the profile. `videoFile`: a Y4M file
// the fake camera plays (its size is the camera's), instead of its pattern.
export async function launchChromium(base, { videoFile } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'esfu-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      `--unsafely-treat-insecure-origin-as-secure=${base}`,
      ...(videoFile ? [`--use-file-for-fake-video-capture=${videoFile}`] : [])],
  }).catch(e => {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  });
  const close = async () => {
    await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}

// page.goto, retried: a namespace's interfaces settle (IPv6 DAD) a second or
// two after they come up, and Chromium reports that as ERR_NETWORK_CHANGED.
export async function gotoSettled(page, url) {
  for (let attempt = 1; ; ++attempt) {
    try {
      await page.goto(url);
      return;
    } catch (e) {
      if (attempt >= 10 || !String(e.message).includes('ERR_NETWORK_CHANGED')) throw e;
      await new Promise(r => setTimeout(r, 500));
    }
  }
}
