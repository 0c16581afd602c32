import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EVENT_BURST } from '../../../src/cli/apps/app-events.js';
import { checkRoomName, RoomDirectory } from '../../../src/cli/apps/rooms/room-directory.js';
import type { RoomsOptions } from '../../../src/cli/apps/rooms/rooms-app.js';
import { startDemoServer, type DemoServer } from '../../../src/cli/demo-server.js';
import { sleep, until, waitFor } from '../../helpers/wait.js';
import { rawRequest, refusedUpgrade } from '../../helpers/raw-http.js';
import { withServer } from '../../helpers/with-server.js';
import { closeAll, connectApp, type AppClient } from './app-clients.js';

function withRooms(options: RoomsOptions, body: (server: DemoServer) => Promise<void>): Promise<void> {
  return withServer(() => startDemoServer({ port: 0, apps: { rooms: options } }), body);
}

/** Runs `body` with clients connected to `/rooms` as each of `names`, and closes them after. */
async function withPeople(server: DemoServer, names: string[], body: (clients: AppClient[]) => Promise<void>) {
  const clients: AppClient[] = [];
  try {
    for (const name of names) clients.push(await connectApp(server, '/rooms', name));
    await body(clients);
  } finally {
    closeAll(clients);
  }
}

let ids = 0;
/** A fresh message id. */
function messageId(): string {
  return `test-message-${++ids}`;
}

describe('Rooms app: room directory', () => {
  test('room names: letters, digits, spaces and _ . -, at most 32 characters', () => {
    assert.deepEqual(checkRoomName('  Café   Lounge '), { ok: true, name: 'Café Lounge' });
    assert.deepEqual(checkRoomName('x'.repeat(32)), { ok: true, name: 'x'.repeat(32) });
    for (const bad of ['', '   ', 'x'.repeat(33), '-dash-first', 'a/b', 'tab\u202e', 42, null]) {
      assert.equal(checkRoomName(bad).ok, false, String(bad));
    }
  });

  test('presence counts connections per name; a created room goes with its last member, a permanent one stays', () => {
    const rooms = new RoomDirectory({ permanentRooms: ['lobby'], maxRooms: 2, historyLength: 2 });
    assert.deepEqual(rooms.enter('lobby', 'Ada'), { ok: true, arrived: true, created: false });
    assert.deepEqual(rooms.enter('lobby', 'Ada'), { ok: true, arrived: false, created: false });
    assert.deepEqual(rooms.exit('lobby', 'Ada'), { departed: false, removed: false });
    assert.deepEqual(rooms.exit('lobby', 'Ada'), { departed: true, removed: false });
    assert.deepEqual(rooms.enter('side', 'Bob'), { ok: true, arrived: true, created: true });
    assert.equal(rooms.enter('third', 'Bob').ok, false);
    assert.deepEqual(rooms.exit('side', 'Bob'), { departed: true, removed: true });
    assert.deepEqual(
      rooms.list().map((room) => room.name),
      ['lobby'],
    );
    assert.deepEqual(rooms.exit('nowhere', 'Bob'), { departed: false, removed: false });
  });

  test('history keeps the last entries only', () => {
    const rooms = new RoomDirectory({ permanentRooms: ['lobby'], maxRooms: 1, historyLength: 2 });
    for (const text of ['one', 'two', 'three']) rooms.notice('lobby', text, 0);
    assert.deepEqual(
      rooms.history('lobby').map((item) => item.text),
      ['two', 'three'],
    );
    assert.equal(rooms.find('lobby', '~1'), undefined);
    assert.equal(rooms.find('lobby', '~3')?.text, 'three');
  });
});

describe('Rooms app over the realtime server', () => {
  test('a name is required to connect, checked like a chat nickname', async () => {
    await withRooms({}, async (server) => {
      for (const bad of [undefined, '', '   ', 'x'.repeat(25), 'bidi\u202e', 7]) {
        await assert.rejects(connectApp(server, '/rooms', bad), (error: Error) => /nickname/.test(error.message));
      }
      const client = await connectApp(server, '/rooms', '  Ada  ');
      await client.until('rooms', (rooms: unknown) => Array.isArray(rooms));
      assert.deepEqual(client.events('rooms')[0], [
        { name: 'general', members: 0 },
        { name: 'random', members: 0 },
      ]);
      closeAll([client]);
    });
  });

  test('joining: validated, presence and notices for the others, the list of rooms for everyone', async () => {
    await withRooms({}, async (server) => {
      await withPeople(server, ['Ada', 'Bob', 'Carol'], async ([ada, bob, carol]) => {
        for (const payload of [undefined, 'general', { room: '' }, { room: '../etc' }, { room: 'x'.repeat(40) }]) {
          assert.equal((await ada!.ask('join', payload)).ok, false, JSON.stringify(payload));
        }
        const joined = await ada!.ask('join', { room: 'general' });
        assert.deepEqual(joined.members, ['Ada']);
        assert.deepEqual(
          (joined.history as { text: string }[]).map((item) => item.text),
          ['Ada joined'],
        );
        await bob!.ask('join', { room: 'general' });
        await ada!.until('notice', (notice: { text: string }) => notice.text === 'Bob joined');
        await ada!.until('presence', (presence: { members: string[] }) => presence.members.join() === 'Ada,Bob');
        // Carol is in no room: she hears of rooms, not of what happens in them.
        await carol!.until('rooms', (rooms: { name: string; members: number }[]) => rooms[0]!.members === 2);
        assert.deepEqual(carol!.events('notice'), []);

        // Joining another room leaves the first.
        await bob!.ask('join', { room: 'random' });
        await ada!.until('notice', (notice: { text: string }) => notice.text === 'Bob left');
        // Leaving, then disconnecting.
        await carol!.ask('join', { room: 'general' });
        assert.deepEqual(await carol!.ask('leave'), { ok: true });
        await ada!.until('notice', (notice: { text: string }) => notice.text === 'Carol left');
        await carol!.ask('join', { room: 'general' });
        carol!.socket.close();
        const carolLeft = () =>
          ada!.events<{ text: string }>('notice').filter((notice) => notice.text === 'Carol left');
        await until(() => carolLeft().length === 2, 5000, 'Carol to leave again');
        assert.deepEqual(ada!.events<{ members: string[] }>('presence').at(-1)?.members, ['Ada']);
      });
    });
  });

  test('two connections with one name are one member: one arrival, one departure', async () => {
    await withRooms({}, async (server) => {
      await withPeople(server, ['Ada', 'Bob', 'Bob'], async ([ada, bob1, bob2]) => {
        await ada!.ask('join', { room: 'general' });
        await bob1!.ask('join', { room: 'general' });
        const joined = await bob2!.ask('join', { room: 'general' });
        assert.deepEqual(joined.members, ['Ada', 'Bob']);
        bob1!.socket.close();
        await sleep(100);
        bob2!.socket.close();
        await ada!.until('notice', (notice: { text: string }) => notice.text === 'Bob left');
        const texts = ada!.events<{ text: string }>('notice').map((notice) => notice.text);
        assert.deepEqual(texts, ['Ada joined', 'Bob joined', 'Bob left']);
      });
    });
  });

  test('messages: validated, sent to the room only, acknowledged once kept; a retry is kept once', async () => {
    await withRooms({ maxTextLength: 10 }, async (server) => {
      await withPeople(server, ['Ada', 'Bob', 'Carol'], async ([ada, bob, carol]) => {
        assert.deepEqual(await ada!.ask('message', { id: messageId(), text: 'hi' }), {
          ok: false,
          error: 'join a room first',
        });
        await ada!.ask('join', { room: 'general' });
        await bob!.ask('join', { room: 'general' });
        await carol!.ask('join', { room: 'random' });
        for (const payload of [
          undefined,
          'hi',
          { text: 'hi' },
          { id: 'short', text: 'hi' },
          { id: 'has spaces in it', text: 'hi' },
          { id: messageId(), text: '   ' },
          { id: messageId(), text: 'x'.repeat(11) },
          { id: messageId(), text: 42 },
        ]) {
          assert.equal((await ada!.ask('message', payload)).ok, false, JSON.stringify(payload));
        }
        const id = messageId();
        const sent = await ada!.ask('message', { id, text: ' hello\r\n ' });
        assert.equal(sent.ok, true);
        const got = await bob!.until('message', (message: { id: string }) => message.id === id);
        assert.deepEqual(got, { id, room: 'general', kind: 'message', from: 'Ada', text: 'hello', at: sent.at });
        await ada!.until('message', (message: { id: string }) => message.id === id);

        // The same message again (its acknowledgement was lost): answered alike, not sent twice.
        assert.deepEqual(await ada!.ask('message', { id, text: 'hello' }), { ok: true, id, at: sent.at });
        // Someone else cannot reuse the id.
        assert.deepEqual(await bob!.ask('message', { id, text: 'hello' }), { ok: false, error: 'that id is taken' });
        const marker = messageId();
        await bob!.ask('message', { id: marker, text: 'after' });
        await ada!.until('message', (message: { id: string }) => message.id === marker);
        assert.equal(ada!.events<{ id: string }>('message').filter((message) => message.id === id).length, 1);
        assert.deepEqual(carol!.events('message'), []);
      });
    });
  });

  test('history: a newcomer gets the last messages and notices, up to historyLength', async () => {
    await withRooms({ historyLength: 3 }, async (server) => {
      await withPeople(server, ['Ada', 'Bob'], async ([ada, bob]) => {
        await ada!.ask('join', { room: 'general' });
        for (const text of ['one', 'two', 'three', 'four']) await ada!.ask('message', { id: messageId(), text });
        // Bob's own arrival is the newest entry by the time he is answered.
        const joined = await bob!.ask('join', { room: 'general' });
        assert.deepEqual(
          (joined.history as { text: string }[]).map((item) => item.text),
          ['three', 'four', 'Bob joined'],
        );
        // Asking again for the room one is in answers the same, without a second arrival.
        const again = await bob!.ask('join', { room: 'general' });
        assert.equal((again.history as unknown[]).length, 3);
        assert.equal(
          ada!.events<{ text: string }>('notice').filter((notice) => notice.text === 'Bob joined').length,
          1,
        );
      });
    });
  });

  test('typing goes to the others in the room only', async () => {
    await withRooms({}, async (server) => {
      await withPeople(server, ['Ada', 'Bob', 'Carol'], async ([ada, bob, carol]) => {
        assert.equal((await ada!.ask('typing', { typing: true })).ok, false);
        await ada!.ask('join', { room: 'general' });
        await bob!.ask('join', { room: 'general' });
        await carol!.ask('join', { room: 'random' });
        for (const payload of [undefined, true, { typing: 'yes' }]) {
          assert.equal((await ada!.ask('typing', payload)).ok, false, JSON.stringify(payload));
        }
        assert.deepEqual(await ada!.ask('typing', { typing: true }), { ok: true });
        await bob!.until('typing', (typing: { name: string }) => typing.name === 'Ada');
        assert.deepEqual(bob!.events('typing'), [{ room: 'general', name: 'Ada', typing: true }]);
        await ada!.ask('typing', { typing: false });
        await bob!.until('typing', (typing: { typing: boolean }) => !typing.typing);
        assert.deepEqual(ada!.events('typing'), []);
        assert.deepEqual(carol!.events('typing'), []);
      });
    });
  });

  test('rooms are bounded: past maxRooms joining a new one is refused', async () => {
    await withRooms({ rooms: ['lobby'], maxRooms: 2 }, async (server) => {
      await withPeople(server, ['Ada', 'Bob'], async ([ada, bob]) => {
        assert.equal((await ada!.ask('join', { room: 'side' })).ok, true);
        assert.deepEqual(await bob!.ask('join', { room: 'third' }), {
          ok: false,
          error: 'there are already 2 rooms: join one of them',
        });
        await ada!.ask('leave');
        assert.equal((await bob!.ask('join', { room: 'third' })).ok, true);
      });
    });
  });

  test('unknown events and events past the rate are refused; the connection stays', async () => {
    await withRooms({}, async (server) => {
      await withPeople(server, ['Ada'], async ([ada]) => {
        assert.deepEqual(await ada!.ask('shout', {}), { ok: false, error: 'unknown event "shout"' });
        const replies = await Promise.all(
          Array.from({ length: EVENT_BURST + 10 }, () => ada!.ask('typing', { typing: true })),
        );
        const refused = replies.filter((reply) => reply.error === 'too many events: slow down');
        assert.ok(refused.length >= 5, `refused ${refused.length}`);
        assert.equal(ada!.socket.connected, true);
      });
    });
  });

  test('a client that loses its connection comes back in its room with what it missed (connection state recovery)', async () => {
    await withRooms({}, async (server) => {
      const ada = await connectApp(server, '/rooms', 'Ada', { reconnection: true, reconnectionDelay: 50 });
      const bob = await connectApp(server, '/rooms', 'Bob');
      try {
        await ada.ask('join', { room: 'general' });
        await bob.ask('join', { room: 'general' });
        // The transport dies without a goodbye, as in a network drop.
        ada.socket.io.engine.close();
        await bob.until('notice', (notice: { text: string }) => notice.text === 'Ada left');
        const missed = messageId();
        await bob.ask('message', { id: missed, text: 'while you were away' });
        await waitFor(ada.socket, 'connect');
        assert.equal(ada.socket.recovered, true);
        await ada.until('message', (message: { id: string }) => message.id === missed);
        await bob.until('notice', (notice: { text: string }) => notice.text === 'Ada joined');
        await bob.until('presence', (presence: { members: string[] }) => presence.members.join() === 'Ada,Bob');
        // Still in the room: no join needed to talk.
        assert.equal((await ada.ask('message', { id: messageId(), text: 'back' })).ok, true);
      } finally {
        closeAll([ada, bob]);
      }
    });
  });

  test('options are checked: an unknown one is refused by name', async () => {
    await assert.rejects(
      startDemoServer({ port: 0, apps: { rooms: { maxRoom: 3 } as RoomsOptions } }),
      /maxRoom: unknown rooms option/,
    );
    await assert.rejects(startDemoServer({ port: 0, apps: { rooms: { rooms: ['a/b'] } } }), /rooms: "a\/b"/);
    await assert.rejects(startDemoServer({ port: 0, apps: { rooms: { historyLength: -1 } } }), /historyLength/);
  });
});

describe('the realtime server of the demo server', () => {
  const handshake = '/socket.io/?EIO=4&transport=polling';

  test('opens sessions for pages of its own origin and for programs; refuses other sites and other host names', async () => {
    await withRooms({}, async (server) => {
      const own = new URL(server.url).host;
      assert.equal((await rawRequest(server.url, handshake)).status, 200);
      assert.equal((await rawRequest(server.url, handshake, { headers: { Origin: `http://${own}` } })).status, 200);
      const foreign = await rawRequest(server.url, handshake, { headers: { Origin: 'https://evil.example' } });
      assert.equal(foreign.status, 403);
      assert.match(foreign.body.toString(), /Origin not allowed/);
      const rebound = await rawRequest(server.url, handshake, {
        headers: { Host: `evil.example:${server.address.port}` },
      });
      assert.equal(rebound.status, 403);
      assert.match(rebound.body.toString(), /Host not allowed/);
      // A WebSocket handshake goes through the same check.
      const upgrade = await refusedUpgrade(server.url, '/socket.io/?EIO=4&transport=websocket', {
        Origin: 'https://evil.example',
      });
      assert.equal(upgrade.status, 403);
    });
  });

  test("every upgrade gets one answer: the engine's error under its path, 404 elsewhere", async () => {
    await withRooms({}, async (server) => {
      assert.equal((await refusedUpgrade(server.url, '/socket.io/elsewhere')).status, 400);
      assert.equal((await refusedUpgrade(server.url, '/socket.io/?EIO=4&transport=carrier-pigeon')).status, 400);
      assert.equal((await refusedUpgrade(server.url, '/rooms')).status, 404);
    });
  });

  test("shutting down closes the apps' sockets, and the server resolves", async () => {
    const server = await startDemoServer({ port: 0 });
    const ada = await connectApp(server, '/rooms', 'Ada');
    const listener = await connectApp(server, '/jukebox', 'Bob');
    const disconnected = Promise.all([waitFor(ada.socket, 'disconnect'), waitFor(listener.socket, 'disconnect')]);
    await server.close();
    const reasons = (await disconnected).map(([reason]) => reason);
    // As the official server's close(): the transport closes without a DISCONNECT packet, so pages
    // try to reconnect and find the server again when it restarts.
    assert.deepEqual(reasons, ['transport close', 'transport close']);
  });
});
