// The Jukebox demo page: one shared track for every listener, on the realtime server's /jukebox
// namespace, with the global `io` the server serves at /socket.io/socket.io.js.
//
// The server owns the music: it advances tracks on its own timer and pushes the whole state
// ('state') and a notification ('notice') on every change, plus the position now and then
// ('tick'). The page only draws: its progress bar runs on the page's clock from the last
// position the server sent, and snaps back to the server's on the next one.

import { $, onJoin, request, setStatus, showConnected } from '/page.js';

const joinView = $('#join-view');
const joinError = $('#join-error');
const jukeboxView = $('#jukebox-view');
const trackTitle = $('#track-title');
const trackArtist = $('#track-artist');
const trackRequested = $('#track-requested');
const progress = $('#progress');
const elapsed = $('#elapsed');
const durationLabel = $('#duration');
const likeButton = $('#like-button');
const likes = $('#likes');
const skipButton = $('#skip-button');
const skipVotes = $('#skip-votes');
const actionError = $('#action-error');
const notices = $('#notices');
const queue = $('#queue');
const queueCount = $('#queue-count');
const queueEmpty = $('#queue-empty');
const catalogList = $('#catalog');
const listeners = $('#listeners');
const listenerCount = $('#listener-count');

/** Notifications shown at most; older ones leave the page. */
const MAX_NOTICES = 50;

let socket;
let myName;
/** The last state the server sent. */
let state;
/** Where the track was, by the server, and when (by this page's clock) we heard it. */
let sync = { trackId: undefined, position: 0, heardAt: 0 };
/** Ids of the notifications shown: one that arrives twice (after a reconnection) shows once. */
const shownNotices = new Set();

function connect(name) {
  setStatus('connecting', 'Connecting…');
  myName = name;
  socket = io('/jukebox', { auth: { name }, ackTimeout: 5000 });
  socket.on('connect', () => {
    showConnected(socket, 'Listening');
    joinView.hidden = true;
    jukeboxView.hidden = false;
  });
  socket.on('connect_error', (error) => {
    if (socket.active) {
      setStatus('error', `Reconnecting… (${error.message})`);
      return;
    }
    setStatus('error', 'Not connected');
    socket = undefined;
    jukeboxView.hidden = true;
    joinView.hidden = false;
    joinError.textContent = `Could not connect: ${error.message}`;
  });
  socket.on('disconnect', () => setStatus('error', 'Reconnecting…'));
  // What a listener who arrives gets: the catalog, the state, the latest notifications.
  socket.on('welcome', ({ catalog, state: current, notices: recent }) => {
    renderCatalog(catalog);
    for (const notice of recent) addNotice(notice);
    render(current);
  });
  socket.on('state', render);
  socket.on('notice', addNotice);
  socket.on('tick', ({ trackId, position }) => {
    if (trackId === sync.trackId) sync = { trackId, position, heardAt: performance.now() };
  });
}

function render(next) {
  state = next;
  const { nowPlaying } = next;
  sync = { trackId: nowPlaying.track.id, position: nowPlaying.position, heardAt: performance.now() };
  trackTitle.textContent = nowPlaying.track.title;
  trackArtist.textContent = nowPlaying.track.artist;
  trackRequested.textContent = nowPlaying.requestedBy === null ? '' : `· requested by ${nowPlaying.requestedBy}`;
  progress.max = nowPlaying.duration;
  durationLabel.textContent = clock(nowPlaying.duration);
  likes.textContent = String(nowPlaying.likedBy.length);
  const liked = nowPlaying.likedBy.includes(myName);
  likeButton.disabled = liked;
  likeButton.setAttribute('aria-pressed', String(liked));
  skipVotes.textContent = `${nowPlaying.skipVotes.length}/${nowPlaying.skipNeeded}`;
  skipButton.disabled = nowPlaying.skipVotes.includes(myName);

  queueCount.textContent = String(next.queue.length);
  queueEmpty.hidden = next.queue.length > 0;
  queue.replaceChildren(
    ...next.queue.map(({ track, requestedBy }) => {
      const item = document.createElement('li');
      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = track.title;
      const who = document.createElement('span');
      who.className = 'muted';
      who.textContent = ` · ${requestedBy}`;
      item.append(title, who);
      return item;
    }),
  );

  listenerCount.textContent = String(next.listeners.length);
  listeners.replaceChildren(
    ...next.listeners.map((name) => {
      const item = document.createElement('li');
      item.textContent = name === myName ? `${name} (you)` : name;
      if (name === myName) item.className = 'you';
      return item;
    }),
  );
  for (const button of catalogList.querySelectorAll('button')) {
    const id = button.dataset.trackId;
    button.disabled = id === nowPlaying.track.id || next.queue.some((queued) => queued.track.id === id);
  }
}

function renderCatalog(catalog) {
  catalogList.replaceChildren(
    ...catalog.map((track) => {
      const item = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = `${track.title} — ${track.artist} (${clock(track.duration)})`;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.dataset.trackId = track.id;
      button.textContent = 'Request';
      button.setAttribute('aria-label', `Request ${track.title}`);
      button.addEventListener('click', () => act('request', { trackId: track.id }));
      item.append(label, button);
      return item;
    }),
  );
}

function addNotice(notice) {
  if (shownNotices.has(notice.id)) return;
  shownNotices.add(notice.id);
  const item = document.createElement('li');
  item.dataset.id = notice.id;
  const time = document.createElement('time');
  const date = new Date(notice.at);
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const text = document.createElement('span');
  text.textContent = notice.text;
  item.append(time, ' ', text);
  // Newest first.
  notices.prepend(item);
  while (notices.children.length > MAX_NOTICES) {
    shownNotices.delete(notices.lastElementChild.dataset.id);
    notices.lastElementChild.remove();
  }
}

/** Sends a like, a skip vote or a request; the outcome shows as the server's next state and notice. */
function act(event, payload) {
  if (socket === undefined) return;
  actionError.textContent = '';
  void request(socket, event, payload).then((reply) => {
    if (!reply.ok) actionError.textContent = reply.error;
  });
}

function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

// The bar moves on the page's clock between the server's updates.
function animate() {
  if (state !== undefined) {
    const position = Math.min(state.nowPlaying.duration, sync.position + (performance.now() - sync.heardAt));
    progress.value = position;
    elapsed.textContent = clock(position);
  }
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);

likeButton.addEventListener('click', () => act('like', { trackId: state?.nowPlaying.track.id }));
skipButton.addEventListener('click', () => act('skip', { trackId: state?.nowPlaying.track.id }));

onJoin('jukebox', connect);
