// The board, live: countdowns tick every second and the rows reload when the server's
// event stream says the officer's subtree changed, and the counts at the top with them. Without this script the page still
// shows every row; a reload shows the new state.
"use strict";
(function () {
  const table = document.getElementById("board");
  const rows = document.getElementById("rows");
  if (!table || !rows) return;
  const w = table.dataset;
  function words(seconds) {
    const m = Math.floor(Math.abs(seconds) / 60), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    const text = d ? `${d} ${w.days} ${h} ${w.hours}` : `${h} ${w.hours} ${m % 60} ${w.minutes}`;
    return `${seconds < 0 ? w.overdue : w.left} ${text}`;
  }
  function tick() {
    const now = Date.now() / 1000;
    for (const cell of rows.querySelectorAll("[data-due]")) cell.textContent = words(cell.dataset.due - now);
  }
  async function reload() {
    const response = await fetch(w.rows, { cache: "no-store" });
    if (response.status === 401) { location.href = "/board/login"; return; }
    if (!response.ok) return;
    rows.innerHTML = await response.text();
    // The counts at the top follow the rows: the server sends them beside the fragment.
    const counts = JSON.parse(response.headers.get("X-Board-Counts") || "{}");
    for (const [key, value] of Object.entries(counts)) {
      const cell = document.querySelector(`#count-${key} .count`);
      if (cell) cell.textContent = value;
    }
    document.body.dataset.updates = (+document.body.dataset.updates || 0) + 1;
  }
  new EventSource("/board/events").addEventListener("changed", reload);
  setInterval(tick, 1000);
})();
