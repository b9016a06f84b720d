// Helpers shared by the LiveKit test clients in this folder: argument
// parsing, a timestamped log, timeouts and polling.

// `--key value` pairs into a copy of `defaults` (every key must be one of
// them); exits 2 with `usage` on anything else.
export function parseArgs(defaults, usage) {
  const args = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) {
    const k = process.argv[i].replace(/^--/, '');
    if (!(k in args) || process.argv[i + 1] === undefined) {
      console.error(`usage: ${usage} (bad arg ${process.argv[i]})`);
      process.exit(2);
    }
    args[k] = process.argv[i + 1];
  }
  return args;
}

// console.error with "[name +S.SSs]" in front, seconds since the start.
export function makeLog(name) {
  const t0 = Date.now();
  return (...a) => console.error(`[${name} +${((Date.now() - t0) / 1000).toFixed(2)}s]`, ...a);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const errMsg = (e) => (e?.message ?? String(e));

// `p`, or a rejection naming `what` after `ms`.
export function withTimeout(p, ms, what) {
  let t;
  const timer = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

// Polls `pred` every 20 ms until it holds or `ms` passed; returns pred().
export async function until(pred, ms) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(20);
  return pred();
}
