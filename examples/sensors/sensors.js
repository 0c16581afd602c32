// The sensor hub dashboard: subscribes to MQTT-style topic patterns on the realtime server's
// /sensors namespace (with the global `io` the server serves at /socket.io/socket.io.js), draws
// each device's readings as they arrive and switches its relays.
//
// What the page sends is acknowledged with { ok: true, … } or { ok: false, error }:
//   subscribe(pattern)          → { ok, retained: [{ topic, payload }] }, the current values
//   unsubscribe(pattern)        → { ok }
//   publish({ topic, payload }) → { ok, delivered }, relay commands only: relays/<device>/<n>/set
// and every message a pattern matches arrives as message(topic, payload).

import { $, request, setStatus, showConnected } from '/page.js';

const subscribeForm = $('#subscribe-form');
const patternInput = $('#pattern');
const subscribeError = $('#subscribe-error');
const patternList = $('#patterns');
const deviceList = $('#device-list');
const noDevices = $('#no-devices');
const log = $('#log');
const deviceTemplate = $('#device-template');
const readingTemplate = $('#reading-template');

/** Readings each chart keeps. */
const HISTORY = 60;
/** Messages the log keeps. */
const MAX_LOG_ENTRIES = 50;
/** Device cards the page shows at most. */
const MAX_DEVICES = 64;
/** How long to wait for the hub to answer (ms). */
const ANSWER_TIMEOUT = 5000;
const UNITS = { temperature: '°C', humidity: '%' };

/** The patterns this page wants; subscribed again after every reconnection. */
const patterns = new Set(['sensors/#', 'relays/#']);
/** Device name → { card, readings: Map(quantity → { values, figure }), relays: Map(relay → button) }. */
const devices = new Map();

const socket = io('/sensors', { ackTimeout: ANSWER_TIMEOUT });

$('#device-url').textContent = `ws://sensor:hub-demo@${location.host}/devices`;

socket.on('connect', () => {
  showConnected(socket);
  // The hub keeps no subscriptions across connections: ask again, and get the current values.
  for (const pattern of patterns) void subscribe(pattern);
});
socket.on('disconnect', () => setStatus('error', 'Reconnecting…'));
socket.on('message', (topic, payload) => {
  addToLog(topic, payload);
  show(topic, payload, false);
});

async function subscribe(pattern) {
  const reply = await request(socket, 'subscribe', pattern);
  if (!reply.ok) {
    subscribeError.textContent = `${pattern}: ${reply.error}`;
    return false;
  }
  patterns.add(pattern);
  renderPatterns();
  for (const { topic, payload } of reply.retained) show(topic, payload, true);
  return true;
}

subscribeForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const pattern = patternInput.value.trim();
  subscribeError.textContent = '';
  if (await subscribe(pattern)) patternInput.value = '';
});

function renderPatterns() {
  patternList.replaceChildren(
    ...[...patterns].map((pattern) => {
      const item = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = pattern;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary';
      remove.textContent = '✕';
      remove.setAttribute('aria-label', `Unsubscribe ${pattern}`);
      remove.addEventListener('click', async () => {
        const reply = await request(socket, 'unsubscribe', pattern);
        if (!reply.ok) subscribeError.textContent = `${pattern}: ${reply.error}`;
        patterns.delete(pattern);
        renderPatterns();
      });
      item.append(code, remove);
      return item;
    }),
  );
}

function addToLog(topic, payload) {
  const item = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'topic';
  name.textContent = topic;
  item.append(name, ` ${JSON.stringify(payload)}`);
  log.prepend(item);
  while (log.childElementCount > MAX_LOG_ENTRIES) log.lastElementChild.remove();
}

/** Shows what a message says about a device: a reading (sensors/<device>/<quantity>) or a relay state (relays/<device>/<n>). */
function show(topic, payload, retained) {
  const [kind, name, item, extra] = topic.split('/');
  if (extra !== undefined || item === undefined || name === '') return;
  if (kind === 'sensors' && typeof payload === 'number') showReading(deviceCard(name), item, payload, retained);
  if (kind === 'relays' && typeof payload === 'boolean') showRelay(deviceCard(name), name, item, payload);
}

function deviceCard(name) {
  let device = devices.get(name);
  if (device !== undefined || devices.size >= MAX_DEVICES) return device;
  const card = deviceTemplate.content.firstElementChild.cloneNode(true);
  const heading = card.querySelector('.device-name');
  heading.textContent = name;
  heading.id = `device-${devices.size}`;
  card.setAttribute('aria-labelledby', heading.id);
  card.querySelector('.relays').setAttribute('aria-label', `Relays of ${name}`);
  device = { card, readings: new Map(), relays: new Map() };
  devices.set(name, device);
  // Cards in name order, so that they stay put as messages come in.
  const next = [...devices.keys()].sort().find((other) => other > name);
  deviceList.insertBefore(card, next === undefined ? null : devices.get(next).card);
  noDevices.hidden = true;
  return device;
}

function showReading(device, quantity, value, retained) {
  if (device === undefined) return;
  let reading = device.readings.get(quantity);
  if (reading === undefined) {
    const figure = readingTemplate.content.firstElementChild.cloneNode(true);
    figure.querySelector('.quantity').textContent = quantity;
    figure.dataset.quantity = quantity;
    reading = { values: [], figure };
    device.readings.set(quantity, reading);
    device.card.querySelector('.readings').append(figure);
  }
  // A retained value shown again after a reconnection is the last point already drawn.
  if (retained && reading.values.length > 0) return;
  reading.values.push(value);
  if (reading.values.length > HISTORY) reading.values.shift();
  drawChart(reading, quantity);
}

function drawChart({ values, figure }, quantity) {
  const unit = UNITS[quantity] ?? '';
  const last = values[values.length - 1];
  figure.querySelector('.value').textContent = `${last}${unit === '' ? '' : ` ${unit}`}`;
  const low = Math.min(...values);
  const high = Math.max(...values);
  // Some room above and below, and a flat line in the middle while every value is the same.
  const span = high - low || 1;
  // Across the whole width however many readings there are; one reading is a flat line.
  const drawn = values.length === 1 ? [values[0], values[0]] : values;
  const points = drawn.map((value, index) => {
    const x = (index / (drawn.length - 1)) * 240;
    const y = 55 - ((value - low) / span) * 50;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const chart = figure.querySelector('.chart');
  chart.querySelector('.line').setAttribute('points', points.join(' '));
  chart.dataset.points = String(values.length);
  chart.setAttribute('aria-label', `${quantity}: ${values.length} readings from ${low} to ${high}${unit}`);
}

function showRelay(device, name, relay, on) {
  if (device === undefined) return;
  let button = device.relays.get(relay);
  if (button === undefined) {
    button = document.createElement('button');
    button.type = 'button';
    button.className = 'relay';
    button.setAttribute('role', 'switch');
    button.textContent = `Relay ${relay}`;
    button.addEventListener('click', () => flip(device, name, relay, button));
    device.relays.set(relay, button);
    const relays = device.card.querySelector('.relays');
    relays.append(...[...device.relays.keys()].sort().map((key) => device.relays.get(key)));
  }
  button.setAttribute('aria-checked', String(on));
  button.removeAttribute('aria-busy');
}

/** Asks the device to switch; the switch moves when the device reports its new state. */
async function flip(device, name, relay, button) {
  if (button.getAttribute('aria-busy') === 'true') return;
  button.setAttribute('aria-busy', 'true');
  const wanted = button.getAttribute('aria-checked') !== 'true';
  const reply = await request(socket, 'publish', { topic: `relays/${name}/${relay}/set`, payload: wanted });
  if (!reply.ok || !reply.delivered) {
    button.removeAttribute('aria-busy');
    button.title = reply.ok ? `${name} is not connected` : reply.error;
    return;
  }
  // The device answers with its state; without relays/# subscribed that answer never comes here.
  setTimeout(() => button.removeAttribute('aria-busy'), ANSWER_TIMEOUT);
}
