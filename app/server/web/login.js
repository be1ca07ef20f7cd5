// The token of Corral's web pages, shared by every page (docs/web.md).
//
// A person types their token once per browser tab; it is kept in sessionStorage (gone when the
// tab closes), sent as an Authorization header to the API, and offered as the WebSocket
// protocols "corral.bearer, TOKEN" to the sockets (a browser cannot set their headers). It never
// goes into a URL, a cookie or a log. A 401 forgets it and asks again.

const KEY = "corral-token";

export class Unauthorized extends Error {}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function forget() {
  sessionStorage.removeItem(KEY);
}

let asking = null;  // while the form is shown: the promise of its token

// Resolves with the token, asking for it first when the tab has none (one form at a time).
export function signIn(reason = "") {
  const known = token();
  if (known) return Promise.resolve(known);
  asking ??= new Promise((resolve) => {
    const form = document.createElement("form");
    form.className = "login";
    const label = document.createElement("label");
    label.textContent = "Corral token ";
    const input = document.createElement("input");
    input.type = "password";
    input.name = "token";
    input.autocomplete = "off";
    input.required = true;
    label.append(input);
    const button = document.createElement("button");
    button.textContent = "Sign in";
    const note = document.createElement("p");
    note.textContent = reason || "Kept in this tab only (corral users token NAME gives one).";
    form.append(label, button, note);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, input.value.trim());
      form.remove();
      asking = null;
      resolve(token());
    });
    document.body.prepend(form);
    input.focus();
  });
  return asking;
}

// GET an API path as JSON; Unauthorized (the token forgotten) on 401.
export async function api(path) {
  const answer = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (answer.status === 401) {
    forget();
    throw new Unauthorized((await answer.json()).error);
  }
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
  return answer.json();
}

// A WebSocket to a path of this server, carrying the token as its protocols.
export function socket(path) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new WebSocket(`${scheme}://${location.host}${path}`, ["corral.bearer", token()]);
}
