// worker.mjs - runs agent.mjs as a LiveKit agent worker (@livekit/agents 1.9.0) against
// edgesfu or any LiveKit server: it registers on <url>/agent, and the server dispatches it into
// rooms; each job runs agent.mjs in a process of its own.
// Usage: node worker.mjs --url ws://198.18.0.2:7880 --key devkey --secret S [--agent-name NAME]
//   --agent-name ''  (the default) gets LiveKit's automatic dispatch: every new room
//   --agent-name X   only rooms that ask for X (token roomConfig, CreateRoom, CreateDispatch)
import { fileURLToPath } from 'node:url';
import { AgentServer, ServerOptions, initializeLogger } from '@livekit/agents';

const args = { url: 'ws://198.18.0.2:7880', key: 'devkey', secret: '', 'agent-name': '' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || process.argv[i + 1] === undefined) {
    console.error(`usage: node worker.mjs --url U --key K --secret S [--agent-name N] (bad arg ${process.argv[i]})`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
if (!args.secret) { console.error('worker: --secret is required'); process.exit(2); }

initializeLogger({ pretty: false, level: 'info' });
const server = new AgentServer(new ServerOptions({
  agent: fileURLToPath(new URL('./agent.mjs', import.meta.url)),
  wsURL: args.url,
  apiKey: args.key,
  apiSecret: args.secret,
  agentName: args['agent-name'],
  port: 0,                  // its health endpoint on any free port
  loadFunc: async () => 0,  // never report itself full (a demo worker)
}));
const stop = async () => {
  await server.close().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await server.run();
