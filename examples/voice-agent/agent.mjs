// agent.mjs - an offline voice agent (no cloud service, no model): dispatched
// into a room, it subscribes to every participant's microphone and answers
// with audio of its own, one track "answer": a soft 660 Hz tone with what the
// participants said half a second ago mixed in (an echo). A starting point
// for a real agent: put STT -> LLM -> TTS where the echo is.
import { defineAgent } from '@livekit/agents';
import {
  AudioFrame, AudioSource, AudioStream, LocalAudioTrack, RoomEvent, TrackKind,
  TrackPublishOptions, TrackSource,
} from '@livekit/rtc-node';

const RATE = 48000;
const FRAME = 480;        // 10 ms
const DELAY_FRAMES = 50;  // the echo: 0.5 s
const TONE_HZ = 660;

export default defineAgent({
  entry: async (ctx) => {
    let stopping = false;  // the worker is shutting the job down
    ctx.addShutdownCallback(async () => { stopping = true; });
    await ctx.connect();
    const room = ctx.room;
    console.log(`agent: in room ${room.name} as ${room.localParticipant.identity}`);

    // What was heard, added into the output frame it is due in.
    let outIndex = 0;
    const due = new Map();  // output frame index -> Int32Array of summed samples
    const hear = (frame) => {
      const at = outIndex + DELAY_FRAMES;
      const sum = due.get(at) ?? new Int32Array(FRAME);
      const n = Math.min(FRAME, frame.samplesPerChannel);
      for (let i = 0; i < n; i++) sum[i] += frame.data[i * frame.channels];
      due.set(at, sum);
    };
    room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
      if (track.kind !== TrackKind.KIND_AUDIO) return;
      console.log(`agent: listening to ${participant.identity}`);
      const reader = new AudioStream(track, RATE, 1).getReader();
      (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          hear(r.value);
        }
      })().catch((e) => console.log(`agent: ${participant.identity}'s audio: ${e?.message ?? e}`));
    });

    const source = new AudioSource(RATE, 1);
    const track = LocalAudioTrack.createAudioTrack('answer', source);
    await room.localParticipant.publishTrack(track,
      new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
    console.log('agent: answering');

    const step = (2 * Math.PI * TONE_HZ) / RATE;
    let phase = 0;
    const start = Date.now();
    while (room.isConnected && !stopping) {
      const data = new Int16Array(FRAME);
      const echo = due.get(outIndex);
      due.delete(outIndex);
      for (let i = 0; i < FRAME; i++) {
        const v = 0.1 * 32767 * Math.sin(phase) + (echo ? echo[i] : 0);
        data[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
        phase += step;
      }
      phase %= 2 * Math.PI;
      await source.captureFrame(new AudioFrame(data, RATE, 1, FRAME));
      outIndex++;
      // Real time: at most 100 ms ahead of the clock.
      const ahead = outIndex * 10 - (Date.now() - start);
      if (ahead > 100) await new Promise((r) => setTimeout(r, ahead - 100));
    }
  },
});
