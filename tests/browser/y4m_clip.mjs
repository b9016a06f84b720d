// A Y4M clip (4:2:0, 20 fps) for Chromium's fake camera
// (--use-file-for-fake-video-capture): a gradient with a bright square moving
// across it, so an encoder has motion to code and a decoder frames to count.
export function testClip(w, h, frames) {
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
