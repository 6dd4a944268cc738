// serlib: the browser's side of a recording, shared by the notebook widget
// (serlib/demo/browser.py puts this text in front of its module) and the class page
// (serlib/demo/classroom.py serves it as /static/capture.js). Plain function
// declarations only: valid both as a classic script and inside an ES module.

// Open the microphone: resolves { stream, ctx } (reusing `held` while its stream is live),
// or rejects with an Error whose name says why (InsecureContextError for http pages,
// the browser's NotAllowedError / NotFoundError / NotReadableError otherwise).
async function serlibOpenMicrophone(held) {
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const err = new Error("browsers allow the microphone only on https:// pages or on localhost");
    err.name = "InsecureContextError";
    throw err;
  }
  let stream = held && held.stream;
  let ctx = held && held.ctx;
  if (!stream || !stream.active) {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  }
  if (!ctx) ctx = new AudioContext();
  if (ctx.state !== "running") await ctx.resume();
  return { stream, ctx };
}

// Capture `seconds` of raw samples from `stream`: resolves { pcm (Float32Array), rate,
// ended (the microphone stopped part-way) }. `onProgress(elapsedSeconds)` runs about four
// times a second.
async function serlibCapture(ctx, stream, seconds, onProgress) {
  const rate = ctx.sampleRate;
  const want = Math.max(1, Math.round(seconds * rate));
  const source = ctx.createMediaStreamSource(stream);
  const proc = ctx.createScriptProcessor(4096, 1, 1);
  const track = stream.getAudioTracks()[0];
  const chunks = [];
  let got = 0;
  let reported = 0;
  let ended = false;
  await new Promise((resolve) => {
    const finish = () => {
      proc.onaudioprocess = null;
      try { source.disconnect(); proc.disconnect(); } catch (e) { /* already gone */ }
      resolve();
    };
    if (track) track.addEventListener("ended", () => { ended = true; finish(); }, { once: true });
    proc.onaudioprocess = (ev) => {
      if (got >= want) return;
      const data = ev.inputBuffer.getChannelData(0);
      const take = Math.min(data.length, want - got);
      chunks.push(data.slice(0, take));
      got += take;
      if (onProgress && (got - reported >= rate / 4 || got >= want)) {
        reported = got;
        onProgress(got / rate);
      }
      if (got >= want) finish();
    };
    source.connect(proc);
    proc.connect(ctx.destination);  // a ScriptProcessor only runs when connected
  });
  const pcm = new Float32Array(got);
  let offset = 0;
  for (const c of chunks) { pcm.set(c, offset); offset += c.length; }
  return { pcm, rate, ended };
}
