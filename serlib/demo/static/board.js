// serlib class board: polls /api/board and draws counts, matrices and the pictures
// heard most differently. Shows counts only: no names, no voices.
"use strict";
const $ = (id) => document.getElementById(id);
window.serlibBoard = { data: null, updates: 0 };

function label(name) { return name === "we heard nothing" ? "nothing" : name; }

function matrix(table, data) {
  table.textContent = "";
  if (!data) return;
  const head = table.insertRow();
  const corner = document.createElement("th");
  corner.textContent = "expected \u2193 heard \u2192";
  head.appendChild(corner);
  for (const c of data.labels) {
    const th = document.createElement("th");
    th.textContent = label(c);
    head.appendChild(th);
  }
  data.expected.forEach((expected, r) => {
    const row = table.insertRow();
    row.dataset.expected = expected;
    const th = document.createElement("th");
    th.className = "row";
    th.textContent = expected;
    row.appendChild(th);
    const counts = data.counts[r];
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    counts.forEach((n, c) => {
      const td = row.insertCell();
      td.textContent = String(n);
      td.dataset.count = String(n);
      td.dataset.heard = data.labels[c];
      if (data.labels[c] === expected) td.className = "diagonal";
      const share = n / total;
      td.style.background = `rgba(28, 126, 214, ${(0.85 * share).toFixed(3)})`;
      td.style.color = share > 0.55 ? "#fff" : "#212529";
    });
  });
}

function percent(x) { return x === null || x === undefined ? "" : `${Math.round(100 * x)} %`; }

function draw(b) {
  $("students-in").textContent = b.students_in;
  $("sessions").textContent = b.sessions;
  $("judged").textContent = b.judged;
  $("nothing").textContent = b.nothing_heard;
  matrix($("matrix-plain"), b.confusion);
  $("accuracy-plain").textContent = b.accuracy === null ? "" :
    `matched the picture: ${percent(b.accuracy)} of judged takes`;
  $("adapted-box").hidden = !b.adapted;
  matrix($("matrix-adapted"), b.adapted);
  $("accuracy-adapted").textContent = b.adapted ? `matched: ${percent(b.accuracy_adapted)}` : "";
  const list = $("differently");
  list.textContent = "";
  $("differently-none").hidden = b.differently.length > 0 || !b.judged;
  for (const p of b.differently) {
    const li = document.createElement("li");
    if (p.picture) {
      const img = document.createElement("img");
      img.src = p.picture;
      img.alt = `a picture for ${p.expected}`;
      li.appendChild(img);
    }
    const text = document.createElement("span");
    const heard = p.heard.map(([k, n]) => `${k} ${n}`).join(", ");
    text.textContent = `meant ${p.expected}: heard ${heard}`;
    li.appendChild(text);
    list.appendChild(li);
  }
  $("updated").textContent = new Date().toLocaleTimeString();
}

async function poll() {
  try {
    const r = await fetch("/api/board", { cache: "no-store" });
    if (!r.ok) throw new Error(`the server answered ${r.status}`);
    const b = await r.json();
    window.serlibBoard.data = b;
    window.serlibBoard.updates += 1;
    $("board-problem").hidden = true;
    draw(b);
  } catch (err) {
    $("board-problem").textContent = `The board cannot reach the class server (${err.message}); ` +
      "it tries again every few seconds.";
    $("board-problem").hidden = false;
  }
  setTimeout(poll, 1500);
}

fetch("/api/info").then((r) => r.json()).then((info) => {
  $("board-url").textContent = info.url;
  $("certificate-note").textContent = info.certificate_note;
})
  .catch(() => {});
poll();
