// The chat demo page: the browser's own WebSocket against the Switchboard server's /chat endpoint.
// Text frames carry JSON; a binary frame carries a shared file as
//   header length (uint16, big-endian) | header (UTF-8 JSON) | file bytes
// with { name, type } from us and { from, name, type, at } from the server, which relays every
// file to everyone, us included.

import { $, setStatus } from '/page.js';

const joinView = $('#join-view');
const joinForm = $('#join-form');
const nicknameInput = $('#nickname');
const joinError = $('#join-error');
const chatView = $('#chat-view');
const messages = $('#messages');
const messageForm = $('#message-form');
const messageInput = $('#message');
const fileInput = $('#file');
const chatError = $('#chat-error');
const users = $('#users');
const userCount = $('#user-count');
const leaveButton = $('#leave-button');
const messageTemplate = $('#message-template');

/** Older entries are dropped (and their file URLs released) past this many. */
const MAX_LOG_ENTRIES = 500;

/** The server's limits, sent with the welcome; these are its defaults until then. */
let limits = { maxNicknameLength: 24, maxTextLength: 2000, maxFileBytes: 2 * 1024 * 1024, maxFileNameLength: 200 };
/** @type {WebSocket | undefined} */
let socket;
/** @type {string | undefined} */
let myNick;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function chatSocketUrl() {
  const url = new URL('/chat', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function connect(nick) {
  setStatus('connecting', 'Connecting…');
  const ws = new WebSocket(chatSocketUrl());
  // Files arrive as ArrayBuffers, ready for DataView and Blob.
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('open', () => {
    setStatus('open', 'Connected');
    ws.send(JSON.stringify({ type: 'join', nick }));
  });
  ws.addEventListener('message', (event) => {
    if (typeof event.data === 'string') receiveText(event.data);
    else receiveFile(event.data);
  });
  ws.addEventListener('close', (event) => {
    if (socket === ws) socket = undefined;
    const how = event.wasClean ? 'clean' : 'not clean';
    const reason = event.reason ? `: ${event.reason}` : '';
    if (event.code === 1000 && event.wasClean) setStatus('closed', `Left the chat (close code 1000, ${how})`);
    else setStatus('error', `Disconnected (close code ${event.code}, ${how}${reason})`);
    // The server gives a reason when it turns us away (the chat is full, the nickname took too
    // long); without one, most likely nothing answered.
    const refusal = event.reason ? `Could not join: ${event.reason}.` : 'Could not join. Is the server running?';
    showJoin(myNick === undefined && event.code !== 1000 ? refusal : '');
    myNick = undefined;
  });
  socket = ws;
}

function receiveText(data) {
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return;
  }
  switch (message.type) {
    case 'welcome':
      myNick = message.nick;
      limits = message.limits;
      messageInput.maxLength = limits.maxTextLength;
      showChat();
      addNotice(`You joined as ${message.nick}.`);
      showUsers(message.users);
      break;
    case 'rejected':
      joinError.textContent = message.reason;
      nicknameInput.focus();
      setJoining(false);
      break;
    case 'joined':
      addNotice(`${message.nick} joined.`);
      showUsers(message.users);
      break;
    case 'left':
      addNotice(`${message.nick} left.`);
      showUsers(message.users);
      break;
    case 'message':
      addMessage(message.from, message.at, (body) => {
        body.textContent = message.text;
      });
      break;
  }
}

function receiveFile(buffer) {
  const view = new DataView(buffer);
  if (buffer.byteLength < 2) return;
  const headerLength = view.getUint16(0);
  let header;
  try {
    header = JSON.parse(decoder.decode(new Uint8Array(buffer, 2, headerLength)));
  } catch {
    return;
  }
  const blob = new Blob([new Uint8Array(buffer, 2 + headerLength)], { type: header.type });
  const url = URL.createObjectURL(blob);
  addMessage(header.from, header.at, (body, entry) => {
    entry.dataset.objectUrl = url;
    const link = document.createElement('a');
    link.href = url;
    link.download = header.name;
    link.className = 'file-link';
    link.textContent = `${header.name} (${formatSize(blob.size)})`;
    body.append('Shared a file: ', link);
    if (/^image\/(png|jpeg|gif|webp|avif)$/.test(header.type)) {
      const image = document.createElement('img');
      image.src = url;
      image.alt = `Image shared by ${header.from}: ${header.name}`;
      body.append(image);
    }
  });
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function append(entry) {
  // Keep the view pinned to the newest entry unless the reader scrolled up to read older ones.
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  messages.append(entry);
  while (messages.children.length > MAX_LOG_ENTRIES) {
    const oldest = messages.firstElementChild;
    if (oldest.dataset.objectUrl) URL.revokeObjectURL(oldest.dataset.objectUrl);
    oldest.remove();
  }
  if (atBottom) messages.scrollTop = messages.scrollHeight;
}

function addNotice(text) {
  const entry = document.createElement('li');
  entry.className = 'notice';
  entry.textContent = text;
  append(entry);
}

function addMessage(from, at, fill) {
  const entry = messageTemplate.content.firstElementChild.cloneNode(true);
  if (from === myNick) entry.classList.add('own');
  entry.querySelector('.from').textContent = from;
  const time = entry.querySelector('time');
  const date = new Date(at);
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  fill(entry.querySelector('.body'), entry);
  append(entry);
}

function showUsers(list) {
  users.replaceChildren(
    ...list.map((nick) => {
      const item = document.createElement('li');
      item.textContent = nick === myNick ? `${nick} (you)` : nick;
      if (nick === myNick) item.className = 'you';
      return item;
    }),
  );
  userCount.textContent = String(list.length);
}

function setJoining(joining) {
  joinForm.querySelector('button').disabled = joining;
}

function showChat() {
  joinView.hidden = true;
  chatView.hidden = false;
  joinError.textContent = '';
  chatError.textContent = '';
  messageInput.focus();
}

function showJoin(error) {
  chatView.hidden = true;
  joinView.hidden = false;
  setJoining(false);
  joinError.textContent = error;
  nicknameInput.focus();
}

joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const nick = nicknameInput.value.trim();
  if (nick === '') {
    joinError.textContent = 'Pick a nickname first.';
    nicknameInput.focus();
    return;
  }
  joinError.textContent = '';
  setJoining(true);
  // After a rejected nickname the connection is still open: try the new one on it.
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'join', nick }));
  else connect(nick);
});

function sendMessage() {
  const text = messageInput.value.trim();
  if (text === '' || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: 'message', text }));
  messageInput.value = '';
  messageInput.focus();
}

messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  sendMessage();
});

messageInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendMessage();
  }
});

fileInput.addEventListener('change', async () => {
  const file = fileInput.files[0];
  fileInput.value = '';
  if (!file || !socket || socket.readyState !== WebSocket.OPEN) return;
  if (file.size > limits.maxFileBytes) {
    chatError.textContent = `${file.name} is ${formatSize(file.size)}; files up to ${formatSize(limits.maxFileBytes)} can be shared.`;
    return;
  }
  chatError.textContent = '';
  const header = encoder.encode(
    JSON.stringify({ name: file.name.slice(0, limits.maxFileNameLength), type: file.type }),
  );
  const frame = new Uint8Array(2 + header.length + file.size);
  new DataView(frame.buffer).setUint16(0, header.length);
  frame.set(header, 2);
  frame.set(new Uint8Array(await file.arrayBuffer()), 2 + header.length);
  socket.send(frame);
});

leaveButton.addEventListener('click', () => {
  // 1000: a normal close the person asked for (RFC 6455 §7.4.1).
  socket?.close(1000, 'left the chat');
});
