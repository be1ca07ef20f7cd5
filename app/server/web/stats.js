// The statistics page (/stats): asks GET /api/v1/stats/... for a time range and draws the
// answers with plotly (served by the server from the installed plotly package). The token is
// the shared login module's (docs/web.md).
import { Unauthorized, api, forget, signIn } from "/web/login.js";

const API = "/api/v1/stats/";
const $ = (id) => document.getElementById(id);
const tables = {};  // table id -> {columns, rows, sort: [column, direction]}
let draws = 0;  // how many times the page has drawn (document.body.dataset.draws)

function status(text) {
  $("status").textContent = text;
}

function get(what, query) {
  return api(API + what + "?" + new URLSearchParams(query));
}

// -- the range --------------------------------------------------------------------------------

function localInput(seconds) {
  const date = new Date(seconds * 1000);
  date.setMinutes(date.getMinutes() - date.getTimezoneOffset());
  return date.toISOString().slice(0, 16);
}

function setRange(hours) {
  const now = Math.ceil(Date.now() / 60000) * 60;
  $("to").value = localInput(now);
  $("from").value = localInput(now - hours * 3600);
}

function range() {
  return {
    from: new Date($("from").value).getTime() / 1000,
    to: new Date($("to").value).getTime() / 1000,
  };
}

// -- drawing ----------------------------------------------------------------------------------

const LAYOUT = { margin: { t: 40, r: 20, b: 50, l: 60 }, legend: { orientation: "h" } };

function seconds(t) {
  return new Date(t * 1000);
}

function byGroup(rows, value, step) {
  const groups = new Map();
  for (const row of rows) {
    if (!groups.has(row.key)) groups.set(row.key, { x: [], y: [] });
    groups.get(row.key).x.push(seconds(row.time + step / 2));  // a bar in its bucket's middle
    groups.get(row.key).y.push(row[value]);
  }
  return [...groups].map(([key, points]) => ({ type: "bar", name: key || "(none)", ...points }));
}

function chart(id, title, traces, extra) {
  const layout = { ...LAYOUT, title: { text: title }, barmode: "stack", ...extra };
  return Plotly.react($(id), traces, layout, { displaylogo: false, responsive: true });
}

async function draw() {
  const { from, to } = range();
  const by = $("by").value;
  if (!(from < to)) return status("choose a start before the end");
  status("loading…");
  const query = { from, to };
  const [time, breakdown, slowest, use] = await Promise.all([
    get("over-time", { ...query, by }),
    get("breakdown", { ...query, by }),
    get("slowest", { ...query, limit: 100 }),
    get("utilisation", query),
  ]);
  const bucket = ` (per ${time.step >= 3600 ? time.step / 3600 + " h" : time.step / 60 + " min"})`;
  await chart("chart-hours", "Render hours by " + by + bucket, byGroup(time.rows, "render_hours", time.step));
  await chart("chart-runs", "Runs ended by " + by + bucket, byGroup(time.rows, "runs", time.step));
  const x = use.rows.map((row) => seconds(row.time + use.step / 2));
  await chart(
    "chart-utilisation",
    `Capacity: busy and free (of ${use.capacity})`,
    ["busy", "free"].map((name) => ({ type: "bar", name, x, y: use.rows.map((row) => row[name]) })),
    { bargap: 0 },
  );
  await chart(
    "chart-errors",
    "Error rate by " + by,
    [{ type: "bar", x: breakdown.rows.map((r) => r.key || "(none)"), y: breakdown.rows.map((r) => r.error_rate * 100) }],
    { yaxis: { title: { text: "% of runs" }, rangemode: "tozero" } },
  );
  for (const node of document.querySelectorAll(".by-name")) node.textContent = by;
  fill("breakdown", breakdown.rows);
  fill("slowest", slowest.rows.map((row) => ({ ...row, time_done: seconds(row.time_done).toLocaleString() })));
  status(`${time.rows.reduce((sum, row) => sum + row.runs, 0)} runs ended in this range`);
  document.body.dataset.draws = ++draws;
}

// -- tables: sortable, exported as CSV ---------------------------------------------------------

function fill(id, rows) {
  const columns = rows.length ? Object.keys(rows[0]) : (tables[id] || {}).columns || [];
  tables[id] = { columns, rows, sort: (tables[id] || {}).sort || null };
  render(id);
}

function render(id) {
  const { columns, rows, sort } = tables[id];
  const sorted = [...rows];
  if (sort) {
    const [column, direction] = sort;
    sorted.sort((a, b) => {
      const [p, q] = [a[column], b[column]];
      const order = typeof p === "number" && typeof q === "number" ? p - q : String(p ?? "").localeCompare(String(q ?? ""));
      return order * direction;
    });
  }
  const table = $(id);
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const cell = document.createElement("th");
    cell.textContent = column;
    if (sort && sort[0] === column) cell.className = sort[1] > 0 ? "up" : "down";
    cell.addEventListener("click", () => {
      tables[id].sort = [column, sort && sort[0] === column ? -sort[1] : 1];
      render(id);
    });
    head.appendChild(cell);
  }
  const body = table.createTBody();
  for (const row of sorted) {
    const line = body.insertRow();
    for (const column of columns) line.insertCell().textContent = shown(row[column]);
  }
}

function shown(value) {
  if (typeof value === "number" && !Number.isInteger(value)) return String(Math.round(value * 1000) / 1000);
  return String(value ?? "");
}

function csvCell(value) {
  const text = String(value ?? "");
  return /[",\n]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
}

function exportCsv(id) {
  const table = $(id);
  const lines = [...table.rows].map((row) => [...row.cells].map((cell) => csvCell(cell.textContent)).join(","));
  const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `corral-${id}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

// -- wiring -----------------------------------------------------------------------------------

async function show(reason = "") {
  await signIn(reason);
  try {
    await draw();
  } catch (error) {
    if (error instanceof Unauthorized) {
      status("");
      return show(`The server refused the token (${error.message}): type it again.`);
    }
    status("error: " + error.message);
  }
}

$("forget").addEventListener("click", () => {
  forget();
  show("Token forgotten.");
});
$("range").addEventListener("submit", (event) => {
  event.preventDefault();
  show();
});
$("by").addEventListener("change", () => show());
for (const button of document.querySelectorAll("[data-hours]")) {
  button.addEventListener("click", () => {
    setRange(Number(button.dataset.hours));
    show();
  });
}
for (const button of document.querySelectorAll(".csv")) {
  button.addEventListener("click", () => exportCsv(button.dataset.table));
}
setRange(168);
show();
