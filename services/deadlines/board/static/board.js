// The board, live: countdowns tick every second, and when the server's event stream says the
// officer's subtree changed the rows are updated in place, keyed by dossier — a changed row
// is rewritten, a new one inserted where the board's order puts it, a gone one removed —
// so neither keyboard focus nor the row under the pointer moves. What changed is announced
// politely (aria-live). The counts at the top follow. Without this script the page still
// shows every row; a reload shows the new state.
"use strict";
(function () {
  const table = document.getElementById("board");
  const rows = document.getElementById("rows");
  const announcer = document.getElementById("board-announce");
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
  // A row's content, the ticking countdowns aside: what says whether the server changed it.
  function signature(row) {
    const copy = row.cloneNode(true);
    for (const cell of copy.querySelectorAll("[data-due]")) cell.textContent = "";
    return copy.innerHTML.replace(/\s+/g, " ");
  }
  function key(row) { return row.dataset.dossier || ""; }
  // The row the officer is on: the one holding focus, else the one under the pointer.
  function anchorRow() {
    const focused = document.activeElement && document.activeElement.closest("#rows > tr");
    return focused || rows.querySelector(":scope > tr:hover");
  }
  // Rewrites a changed row cell by cell, leaving the cell that holds focus as it is.
  function update(row, fresh) {
    row.className = fresh.className;
    row.dataset.status = fresh.dataset.status;
    const cells = row.children, freshCells = fresh.children;
    for (let i = 0; i < freshCells.length; i++) {
      if (cells[i] && cells[i].contains(document.activeElement)) continue;
      if (cells[i]) cells[i].replaceWith(freshCells[i].cloneNode(true));
      else row.appendChild(freshCells[i].cloneNode(true));
    }
  }
  function merge(freshRows) {
    const old = new Map([...rows.children].map((row) => [key(row), row]));
    const seen = new Set();
    const news = { overdue: 0, due_soon: 0, changed: 0 };
    let previous = null;
    for (const fresh of freshRows) {
      const id = key(fresh);
      seen.add(id);
      let row = old.get(id);
      if (!row) {
        row = fresh;
        if (fresh.dataset.status in news) news[fresh.dataset.status] += 1;
      } else if (signature(row) !== signature(fresh)) {
        if (fresh.dataset.status === "overdue" && row.dataset.status !== "overdue") news.overdue += 1;
        else news.changed += 1;
        update(row, fresh);
      }
      const wanted = previous ? previous.nextElementSibling : rows.firstElementChild;
      if (wanted !== row) rows.insertBefore(row, wanted);
      previous = row;
    }
    let gone = 0;
    for (const [id, row] of old) {
      if (seen.has(id)) continue;
      if (row.contains(document.activeElement)) continue;
      row.remove();
      if (id) gone += 1;
    }
    return { ...news, gone };
  }
  function announce(news) {
    if (!announcer) return;
    const a = announcer.dataset;
    const parts = [[news.overdue, a.newOverdue], [news.due_soon, a.newDueSoon], [news.gone, a.leftBoard], [news.changed, a.changed]]
      .filter(([n]) => n > 0).map(([n, text]) => text.replace("{n}", n));
    if (parts.length) announcer.textContent = parts.join("; ") + ".";
  }
  async function reload() {
    const response = await fetch(w.rows, { cache: "no-store" });
    if (response.status === 401) { location.href = "/board/login"; return; }
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = `<table><tbody>${await response.text()}</tbody></table>`;
    const freshRows = [...template.content.querySelectorAll("tbody > tr")];
    const anchor = anchorRow();
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    const news = merge(freshRows);
    if (anchor && anchor.isConnected) window.scrollBy(0, anchor.getBoundingClientRect().top - before);
    tick();
    announce(news);
    // The counts at the top follow the rows: the server sends them beside the fragment.
    const counts = JSON.parse(response.headers.get("X-Board-Counts") || "{}");
    for (const [name, value] of Object.entries(counts)) {
      const cell = document.querySelector(`#count-${name} .count`);
      if (cell) cell.textContent = value;
    }
    document.body.dataset.updates = (+document.body.dataset.updates || 0) + 1;
  }
  new EventSource("/board/events").addEventListener("changed", reload);
  setInterval(tick, 1000);
})();
