// webhook_receiver.mjs - an app backend's webhook endpoint: every POST is verified with
// livekit-server-sdk's WebhookReceiver (the JWT signed with the webhook key, its sha256 claim =
// the body's hash) and the room's life is logged, one line per event.
// Usage: node webhook_receiver.mjs --key devkey --secret S [--bind 198.18.0.1] [--port 7101]
// edgesfu's config: webhook: {api_key: devkey, urls: ['http://198.18.0.1:7101/hook']}
import http from 'node:http';
import { WebhookReceiver } from 'livekit-server-sdk';

const args = { key: 'devkey', secret: '', bind: '198.18.0.1', port: '7101' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error(`usage: node webhook_receiver.mjs --key K --secret S [--bind A] [--port P] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
const receiver = new WebhookReceiver(args.key, args.secret);

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const ev = await receiver.receive(Buffer.concat(chunks).toString('utf8'), req.headers.authorization);
      const who = ev.participant ? ` ${ev.participant.identity}` : '';
      const what = ev.track ? ` ${ev.track.sid} (${ev.track.mimeType || ev.track.type})` : '';
      console.log(`${new Date().toISOString()} ${ev.room?.name ?? '-'}: ${ev.event}${who}${what}`);
      res.writeHead(200).end();
    } catch (e) {
      console.log(`${new Date().toISOString()} refused: ${e?.message ?? e}`);
      res.writeHead(401).end();
    }
  });
}).listen(Number(args.port), args.bind, () => console.log(`webhooks: listening on ${args.bind}:${args.port}`));
