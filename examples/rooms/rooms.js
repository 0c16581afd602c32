// The Rooms demo page: a chat in rooms on the realtime server's /rooms namespace, with the global
// `io` the server serves at /socket.io/socket.io.js.
//
// Every event we send is acknowledged by the server with { ok: true, … } or { ok: false, error }.
// Messages carry an id we make, so that a message sent again (its acknowledgement was lost in a
// network drop) is kept once by the server and shown once here.

import { $, onJoin, request, setStatus, showConnected } from '/page.js';

const joinView = $('#join-view');
const nameInput = $('#name');
const joinError = $('#join-error');
const roomsView = $('#rooms-view');
const roomList = $('#rooms');
const createForm = $('#create-form');
const newRoomInput = $('#new-room');
const roomTitle = $('#room-title');
const leaveButton = $('#leave-button');
const lobby = $('#lobby');
const messages = $('#messages');
const typingLine = $('#typing');
const messageForm = $('#message-form');
const messageInput = $('#message');
const roomError = $('#room-error');
const members = $('#members');
const memberCount = $('#member-count');
const messageTemplate = $('#message-template');

/** How long a "typing" signal lasts unless renewed, here and for the others (ms). */
const TYPING_TTL = 4000;
/** Older entries leave the page past this many. */
const MAX_LOG_ENTRIES = 300;

let socket;
let myName;
/** The room we are in, or undefined in the lobby. */
let currentRoom;
/** Ids of what the log shows: the same message arriving twice (a replay, a history) shows once. */
const shown = new Map();
/** Who is typing in our room, with the timer that forgets them. */
const typists = new Map();
let typingSince = 0;
let typingStop;

/** A random id for a message: 24 hex digits (crypto.getRandomValues works on plain http too). */
function newId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function connect(name) {
  setStatus('connecting', 'Connecting…');
  myName = name;
  // `retries` makes every emit wait for its acknowledgement and go again (up to 10 times, 5 s
  // apart) when none comes: a message typed during a network drop is delivered once it is back.
  socket = io('/rooms', { auth: { name }, ackTimeout: 5000, retries: 10 });
  socket.on('connect', () => {
    showConnected(socket);
    showRooms();
    // A recovered session is still in its room and got what it missed; a new one asks again.
    if (!socket.recovered && currentRoom !== undefined) enterRoom(currentRoom);
  });
  socket.on('connect_error', (error) => {
    if (socket.active) {
      setStatus('error', `Reconnecting… (${error.message})`);
      return;
    }
    // The server refused us (the name, say): it will not retry on its own.
    setStatus('error', 'Not connected');
    showJoin(`Could not connect: ${error.message}`);
  });
  socket.on('disconnect', (reason) => {
    setStatus('error', socket.active ? 'Reconnecting…' : `Disconnected (${reason})`);
  });
  socket.on('rooms', renderRooms);
  socket.on('presence', ({ room, members: names }) => {
    if (room === currentRoom) renderMembers(names);
  });
  socket.on('message', (item) => {
    if (item.room === currentRoom) addEntry(item);
  });
  socket.on('notice', (item) => {
    if (item.room === currentRoom) addEntry(item);
  });
  socket.on('typing', ({ room, name, typing }) => {
    if (room === currentRoom) setTypist(name, typing);
  });
}

function showJoin(error) {
  socket?.disconnect();
  socket = undefined;
  currentRoom = undefined;
  roomsView.hidden = true;
  joinView.hidden = false;
  joinError.textContent = error;
  nameInput.focus();
}

function showRooms() {
  joinView.hidden = true;
  roomsView.hidden = false;
}

function renderRooms(rooms) {
  roomList.replaceChildren(
    ...rooms.map(({ name, members: count }) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'room';
      button.dataset.room = name;
      if (name === currentRoom) button.setAttribute('aria-current', 'true');
      const label = document.createElement('span');
      label.textContent = name;
      const badge = document.createElement('span');
      badge.className = 'count';
      badge.textContent = String(count);
      badge.title = `${count} here`;
      button.append(label, badge);
      button.addEventListener('click', () => enterRoom(name));
      const item = document.createElement('li');
      item.append(button);
      return item;
    }),
  );
}

function renderMembers(names) {
  memberCount.textContent = String(names.length);
  members.replaceChildren(
    ...names.map((name) => {
      const item = document.createElement('li');
      item.textContent = name === myName ? `${name} (you)` : name;
      if (name === myName) item.className = 'you';
      return item;
    }),
  );
  // Someone who left stops typing.
  for (const name of typists.keys()) if (!names.includes(name)) setTypist(name, false);
}

async function enterRoom(room) {
  roomError.textContent = '';
  const reply = await request(socket, 'join', { room });
  if (!reply.ok) {
    roomError.textContent = reply.error;
    return;
  }
  if (reply.room !== currentRoom) {
    currentRoom = reply.room;
    shown.clear();
    messages.replaceChildren();
    for (const name of [...typists.keys()]) setTypist(name, false);
  }
  roomTitle.textContent = `# ${reply.room}`;
  lobby.hidden = true;
  leaveButton.hidden = false;
  messageForm.hidden = false;
  for (const button of roomList.querySelectorAll('.room')) {
    button.toggleAttribute('aria-current', button.dataset.room === currentRoom);
  }
  for (const item of reply.history) addEntry(item);
  renderMembers(reply.members);
  messageInput.focus();
}

async function leaveRoom() {
  await request(socket, 'leave', {});
  currentRoom = undefined;
  shown.clear();
  messages.replaceChildren();
  typingLine.textContent = '';
  typists.clear();
  roomTitle.textContent = 'No room yet';
  lobby.hidden = false;
  leaveButton.hidden = true;
  messageForm.hidden = true;
  renderMembers([]);
}

/** Shows a message or notice, once per id; our own pending message is filled in when its copy arrives. */
function addEntry(item) {
  const existing = shown.get(item.id);
  if (existing !== undefined) {
    existing.querySelector('time')?.replaceWith(timeOf(item.at));
    return existing;
  }
  let entry;
  if (item.kind === 'notice') {
    entry = document.createElement('li');
    entry.className = 'notice';
    entry.textContent = item.text;
  } else {
    entry = messageTemplate.content.firstElementChild.cloneNode(true);
    entry.querySelector('.from').textContent = item.from;
    entry.querySelector('.body').textContent = item.text;
    entry.querySelector('time').replaceWith(timeOf(item.at));
    if (item.from === myName) entry.classList.add('own');
  }
  entry.dataset.id = item.id;
  shown.set(item.id, entry);
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  messages.append(entry);
  while (messages.children.length > MAX_LOG_ENTRIES) {
    shown.delete(messages.firstElementChild.dataset.id);
    messages.firstElementChild.remove();
  }
  if (atBottom) messages.scrollTop = messages.scrollHeight;
  if (item.kind === 'message') setTypist(item.from, false);
  return entry;
}

function timeOf(at) {
  const time = document.createElement('time');
  if (at !== undefined) {
    const date = new Date(at);
    time.dateTime = date.toISOString();
    time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  return time;
}

function setTick(entry, state, title) {
  const tick = entry.querySelector('.tick');
  tick.dataset.state = state;
  tick.textContent = state === 'sent' ? '✓' : state === 'failed' ? '✗' : '…';
  tick.title = title;
}

async function send(text) {
  const id = newId();
  // Shown at once, marked as waiting; ✓ once the server acknowledges that it kept it.
  const entry = addEntry({ id, room: currentRoom, kind: 'message', from: myName, text });
  setTick(entry, 'pending', 'Sending…');
  stopTyping();
  const reply = await request(socket, 'message', { id, text });
  if (reply.ok) {
    setTick(entry, 'sent', 'Delivered to the server');
    if (!entry.querySelector('time').textContent) entry.querySelector('time').replaceWith(timeOf(reply.at));
  } else {
    setTick(entry, 'failed', `Not sent: ${reply.error}`);
    roomError.textContent = `Not sent: ${reply.error}`;
  }
}

function setTypist(name, typing) {
  clearTimeout(typists.get(name));
  if (typing)
    typists.set(
      name,
      setTimeout(() => setTypist(name, false), TYPING_TTL),
    );
  else typists.delete(name);
  const names = [...typists.keys()];
  typingLine.textContent =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

// Typing signals are volatile: sent only while connected, never queued or retried. They are
// renewed while typing goes on, and lapse on their own if the "stopped" signal is lost.
function typing() {
  if (socket?.connected !== true || currentRoom === undefined) return;
  if (Date.now() - typingSince > TYPING_TTL / 2) {
    typingSince = Date.now();
    socket.volatile.emit('typing', { typing: true });
  }
  clearTimeout(typingStop);
  typingStop = setTimeout(stopTyping, TYPING_TTL / 2);
}

function stopTyping() {
  clearTimeout(typingStop);
  if (typingSince === 0) return;
  typingSince = 0;
  socket?.volatile.emit('typing', { typing: false });
}

onJoin('rooms', connect);

createForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = newRoomInput.value.trim();
  if (room === '') return;
  newRoomInput.value = '';
  enterRoom(room);
});

leaveButton.addEventListener('click', leaveRoom);

messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = messageInput.value.trim();
  if (text === '') return;
  messageInput.value = '';
  send(text);
});

messageInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    messageForm.requestSubmit();
  }
});
messageInput.addEventListener('input', typing);
