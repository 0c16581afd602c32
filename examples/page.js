// What the demo pages share: the status line in the header and, for the realtime apps, the name
// form they open with and how they ask the server something. Each page loads it as a module: import { $, setStatus } from '/page.js'.

/** The first element `selector` matches. */
export const $ = (selector) => document.querySelector(selector);

const status = $('#status');

/** Shows the connection's state (idle, connecting, open, closed or error: the colour) and a few words. */
export function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

/**
 * Shows that `socket` (the realtime client's) is connected and over which transport: long-polling
 * first when WebSocket is blocked, and again once the connection is upgraded.
 */
export function showConnected(socket, text = 'Connected') {
  const show = () => setStatus('open', `${text} · ${socket.io.engine.transport.name}`);
  show();
  socket.io.engine.once('upgrade', show);
}

/**
 * Emits `event` with an acknowledgement and resolves with the server's reply (`{ ok, … }` in every
 * app), or with `{ ok: false, error }` when none came: how long to wait (and whether to try again)
 * is the socket's `ackTimeout` (and `retries`), so its callback takes an error first.
 */
export function request(socket, event, payload) {
  return new Promise((resolve) => {
    socket.emit(event, payload, (err, reply) =>
      resolve(err ? { ok: false, error: 'no answer from the server' } : reply),
    );
  });
}

/**
 * Runs the name form (#join-form, #name, #join-error) of the app `app`: the name is kept for the
 * tab's next visit, and `connect(name)` is called with a name once the realtime client is there.
 */
export function onJoin(app, connect) {
  const form = $('#join-form');
  const input = $('#name');
  const error = $('#join-error');
  const key = `${app}.name`;
  input.value = sessionStorage.getItem(key) ?? '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name === '') {
      error.textContent = 'Pick a name first.';
      return;
    }
    if (typeof io !== 'function') {
      error.textContent = 'The realtime client did not load (/socket.io/socket.io.js): build it with `npm run build`.';
      return;
    }
    error.textContent = '';
    sessionStorage.setItem(key, name);
    connect(name);
  });
}
