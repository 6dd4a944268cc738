// serlib class page: consent, then for each picture record in this browser
// (capture.js), send the raw samples to the class server, show its verdict.
"use strict";
const $ = (id) => document.getElementById(id);
// window.serlibClass: what tests and scripts/benchmark_class.py read.
const S = window.serlibClass = { info: null, student: null, held: null, latencies: [], serverMs: [],
  takes: 0, view: "loading", stopping: false, error: null, full: false };
const VIEWS = ["loading", "consent", "problem", "stage", "done"];

function show(view) {
  for (const v of VIEWS) $(v).hidden = v !== view;
  document.body.dataset.view = S.view = view;
}

function problem(text, { retry = true } = {}) {
  S.error = text;
  $("problem-text").textContent = text;
  $("retry").hidden = !retry;
  show("problem");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (S.student) headers["X-Serlib-Student"] = S.student;
  let response;
  try {
    response = await fetch(path, Object.assign({}, opts, { headers, cache: "no-store" }));
  } catch (err) {
    throw new Error(`The class server did not answer (${err.message}). Is the teacher's computer ` +
                    "still serving the page? Reload in a moment.");
  }
  let data = {};
  try { data = await response.json(); } catch (e) {
    data = { error: `The class server answered ${response.status} without a reason.` };
  }
  if (!response.ok) {
    const err = new Error(data.error || `The class server answered ${response.status}.`);
    err.status = response.status;
    err.data = data;
    throw err;
  }
  return data;
}

async function load() {
  try {
    S.info = await api("/api/info");
  } catch (err) {
    return problem(`The class page could not load: ${err.message}`);
  }
  const c = S.info.consent;
  $("consent-what").textContent = c.what;
  $("consent-where").textContent = c.where;
  $("consent-how-long").textContent = c.how_long;
  $("consent-who").textContent = c.who;
  $("consent-verdict").textContent = c.verdict;
  $("share-url").textContent = S.info.url;
  show("consent");
}

function microphoneProblem(err) {
  const name = (err && err.name) || "Error";
  const advice = S.info.advice[name] ||
    "The browser could not record. Reload the page and try again.";
  problem(name === "InsecureContextError" ? advice : `${advice} (browser said: ${name}: ${err.message})`);
  $("problem").dataset.kind = "microphone";
}

async function agree(keep) {
  for (const b of document.querySelectorAll("#consent button")) b.disabled = true;
  try {
    if (S.info.recorder === "browser") {
      try {
        S.held = await serlibOpenMicrophone(S.held);
      } catch (err) {
        return microphoneProblem(err);
      }
    }
    let joined;
    try {
      joined = await api("/api/join", { method: "POST", headers: { "Content-Type": "application/json" },
                                        body: JSON.stringify({ consent: true, keep }) });
    } catch (err) {
      S.full = Boolean(err.data && err.data.full);
      return problem(err.message);
    }
    S.student = joined.student;
    S.keep = keep;
    await run(joined.next);
  } finally {
    for (const b of document.querySelectorAll("#consent button")) b.disabled = false;
  }
}

function progress(elapsed, total) {
  $("bar-fill").style.width = `${Math.min(100, (100 * elapsed) / total).toFixed(1)}%`;
  const left = Math.max(0, total - elapsed);
  $("state-text").textContent = left > 0.05 ? `Recording: ${Math.ceil(left)} s left` : "Listening\u2026";
}

function showPrompt(next) {
  $("picture").src = next.picture;
  $("prompt-text").textContent = next.text;
  $("sentence").textContent = next.calibration ? `\u201c${next.sentence}\u201d` : "";
  $("verdict").textContent = "";
  $("state").dataset.state = "recording";
  progress(0, next.seconds);
}

async function countHere(seconds) {  // server-side recorder: the countdown runs here
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    progress((performance.now() - start) / 1000, seconds);
    await sleep(250);
  }
}

async function run(next) {
  S.stopping = false;
  show("stage");
  while (next && !next.done && !S.stopping) {
    showPrompt(next);
    let body = null;
    let rate = 0;
    let counting = null;
    if (S.info.recorder === "browser") {
      const cap = await serlibCapture(S.held.ctx, S.held.stream, next.seconds,
                                      (t) => progress(t, next.seconds));
      if (cap.ended) {
        leave();
        return problem("The microphone stopped part-way (unplugged, or another app took it). " +
                       "Your earlier takes are saved; press Try again for a new session.");
      }
      body = cap.pcm;
      rate = cap.rate;
      $("state-text").textContent = "Listening\u2026";
    } else {
      counting = countHere(next.seconds);
    }
    const sent = performance.now();
    let answer;
    try {
      answer = await api("/api/take", { method: "POST", body, headers: {
        "Content-Type": "application/octet-stream", "X-Serlib-Picture": String(next.position),
        "X-Serlib-Rate": String(rate) } });
    } catch (err) {
      return problem(err.message);
    }
    if (counting) await counting;
    if (answer.verdict_html !== undefined) {
      $("verdict").innerHTML = answer.verdict_html;  // built and escaped by the server
      if (body) {
        S.latencies.push(performance.now() - sent);
        S.serverMs.push(answer.server_ms);
      }
      S.takes += 1;
      $("state").dataset.state = "judged";
      $("state-text").textContent = answer.take.calibration ? "Noted." : "Judged.";
    }
    if (answer.error) return problem(answer.error);
    next = answer.next;
    if (next && !next.done && !S.stopping) await sleep(1000 * (answer.pause || 0));
  }
  if (next && next.done) finish(next);
}

function finish(next) {
  S.student = null;
  $("summary").textContent = next.summary;
  $("warning").textContent = next.warning || "";
  $("kept").textContent = next.folder_note || "";
  show("done");
}

function leave() {
  if (!S.student) return;
  navigator.sendBeacon("/api/leave", S.student);
  S.student = null;
}

$("agree-keep").addEventListener("click", () => agree(true));
$("agree-verdicts").addEventListener("click", () => agree(false));
$("retry").addEventListener("click", () => { S.student = null; load(); });
$("again").addEventListener("click", () => show("consent"));
$("stop").addEventListener("click", () => {
  S.stopping = true;
  leave();
  finish({ summary: `Stopped after ${S.takes} take${S.takes === 1 ? "" : "s"}; they are saved.`,
           folder_note: "" });
});
window.addEventListener("pagehide", leave);
load();
