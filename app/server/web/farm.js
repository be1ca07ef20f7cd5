// The farm view: jobs and renders from the API, kept current by the events socket
// (docs/protocol.md, "Live events"). Read-only.
import { Unauthorized, api, signIn, socket } from "/web/login.js";

const jobs = new Map();
const renders = new Map();
const status = document.getElementById("status");
const who = document.getElementById("who");

function cell(row, text, name) {
  const td = row.insertCell();
  td.textContent = text;
  if (name) td.className = name;
  return td;
}

function progressBar(job) {
  const total = job.tasks_total || 1;
  const bar = document.createElement("div");
  bar.className = "bar";
  for (const [part, count] of [["done", job.tasks_done], ["running", job.tasks_running],
    ["error", job.tasks_error]]) {
    const piece = document.createElement("span");
    piece.className = part;
    piece.style.width = `${(100 * count) / total}%`;
    bar.append(piece);
  }
  return bar;
}

function drawJobs() {
  const body = document.querySelector("#jobs tbody");
  body.replaceChildren();
  for (const job of [...jobs.values()].sort((a, b) => a.order - b.order || a.id - b.id)) {
    const row = body.insertRow();
    row.dataset.job = job.id;
    cell(row, job.id);
    cell(row, job.name, "name");
    cell(row, job.user_name);
    cell(row, job.state, "state");
    cell(row, "", "progress").append(progressBar(job));
    cell(row, `${job.tasks_done}/${job.tasks_total} done, ${job.tasks_running} running,` +
      ` ${job.tasks_error} error`, "tasks");
  }
}

function drawRenders() {
  const body = document.querySelector("#renders tbody");
  body.replaceChildren();
  for (const render of [...renders.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const row = body.insertRow();
    row.dataset.render = render.name;
    cell(row, render.name, "name");
    cell(row, render.state, "state");
    cell(row, render.user_name);
    cell(row, render.pool);
    cell(row, render.tasks.length);
    cell(row, `${render.capacity_used}/${render.capacity}`);
  }
}

function replace(map, list, key = "id") {
  map.clear();
  for (const item of list) map.set(item[key], item);
}

async function load() {
  replace(jobs, await api("/api/v1/jobs"));
  replace(renders, await api("/api/v1/renders"));
  drawJobs();
  drawRenders();
}

async function apply(message) {
  switch (message.type) {
    case "hello":
      return load();
    case "jobs":
      for (const job of message.jobs) jobs.set(job.id, job);
      return drawJobs();
    case "jobs_deleted":
      for (const id of message.ids) jobs.delete(id);
      return drawJobs();
    case "renders":
      for (const render of message.renders) renders.set(render.id, render);
      return drawRenders();
    case "renders_deleted":
      for (const id of message.ids) renders.delete(id);
      return drawRenders();
  }
}

async function connect(reason = "") {
  await signIn(reason);
  let me;
  try {
    me = await api("/api/v1/whoami");
  } catch (error) {
    retry(error);
    return;
  }
  who.textContent = `${me.name} (${me.role})`;
  const events = socket("/api/v1/events");
  events.onopen = () => { status.textContent = "live"; };
  events.onmessage = (event) => {
    apply(JSON.parse(event.data)).catch(() => events.close());
  };
  events.onclose = () => retry();
}

// A 401 asks for the token again; anything else (a closed socket, the server away) waits and
// connects again, whose whoami tells a refused token from the rest.
function retry(error) {
  if (error instanceof Unauthorized) {
    connect(`The server refused the token (${error.message}): type it again.`);
    return;
  }
  status.textContent = "disconnected: connecting again";
  setTimeout(() => connect(), 2000);
}

connect();
