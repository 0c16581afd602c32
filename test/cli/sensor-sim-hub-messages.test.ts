import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runSimulation, type SimulationPlan } from '../../src/cli/sensor-sim/run-simulation.js';
import type { WebSocket } from '../../src/ws/index.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { startServer as startWebSocketServer } from '../helpers/ws-peers.js';

/** Runs the simulation in-process against `url` with one device `sim-1` and one relay. */
function simulate(url: string, signal: AbortSignal, duration?: number) {
  let out = '';
  let err = '';
  const plan: SimulationPlan = {
    url: new URL(url),
    devices: 1,
    relays: 1,
    namePrefix: 'sim',
    interval: 60_000,
    duration,
  };
  const done = runSimulation(plan, {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    signal,
  });
  return { done, out: () => out, err: () => err };
}

describe('sensor-sim, what the hub sends', () => {
  test('odd messages are reported and ignored, relay commands obeyed, and the device keeps running', async () => {
    await withServer(startWebSocketServer, async (hub) => {
      const received: string[] = [];
      const connected = waitFor<[WebSocket]>(hub.wss, 'connection');
      const controller = new AbortController();
      const sim = simulate(hub.url, controller.signal);
      try {
        const [device] = await connected;
        device.on('message', (data) => received.push(data.toString()));
        // The device listens from the moment it announces its relays.
        await until(() => received.length > 0, 5000, 'the relay announcement');
        for (const message of [
          Buffer.from([1, 2]),
          'not json',
          '["$error","readings come at most every 100 ms"]',
          '["$error",{"why":"too fast"}]',
          '["$other",1]',
          '["relays/other-1/0/set",true]',
          '["relays/sim-1/5/set",true]',
          '["relays/sim-1/0/set","on"]',
          '["relays/sim-1/0/set",true]',
          '["relays/sim-1/0/set",false]',
        ]) {
          device.send(message);
        }
        await until(
          () => received.filter((text) => text.startsWith('["relays/sim-1/0"')).length === 3,
          5000,
          () => JSON.stringify(received),
        );
        assert.deepEqual(sim.err().split('\n'), [
          'sim-1: ignored a message from the hub: a binary message',
          'sim-1: ignored a message from the hub: a message must be JSON: ["topic", payload]',
          'sim-1: the hub refused a message: readings come at most every 100 ms',
          'sim-1: the hub refused a message: {"why":"too fast"}',
          'sim-1: ignored a message from the hub: topics starting with $ are reserved',
          'sim-1: not a relay command for sim-1: relays/other-1/0/set',
          'sim-1: sim-1 has no relay 5',
          'sim-1: relay state must be true or false: relays/sim-1/0/set',
          '',
        ]);
        assert.match(
          sim.out(),
          /sim-1: relay 0 on \(command from the hub\)\nsim-1: relay 0 off \(command from the hub\)\n/,
        );
        // The announcement, then the two switches; nothing for the commands that were ignored.
        assert.deepEqual(
          received.filter((text) => text.startsWith('["relays/')),
          ['["relays/sim-1/0",false]', '["relays/sim-1/0",true]', '["relays/sim-1/0",false]'],
        );
      } finally {
        controller.abort();
      }
      assert.equal(await withTimeout(sim.done, 'the simulation to stop'), 0);
      assert.match(sim.out(), /Stopped after 1 reading and 2 relay commands\.\n$/);
    });
  });

  test('a hub closing without a reason ends the run with exit 1 and the code', async () => {
    await withServer(startWebSocketServer, async (hub) => {
      hub.wss.on('connection', (device) => device.close(4000));
      const sim = simulate(hub.url, new AbortController().signal);
      assert.equal(await withTimeout(sim.done, 'the simulation to end'), 1);
      assert.equal(sim.err(), 'switchboard sensor-sim: sim-1: the hub closed the connection (4000)\n');
    });
  });

  test('a signal already aborted when the devices are connected stops the run at once', async () => {
    await withServer(startWebSocketServer, async (hub) => {
      const controller = new AbortController();
      hub.wss.on('connection', () => controller.abort());
      const sim = simulate(hub.url, controller.signal, 60_000);
      assert.equal(await withTimeout(sim.done, 'the simulation to stop'), 0);
      assert.match(sim.out(), /for 1 min\.\n/);
      assert.match(sim.out(), /Stopped after 1 reading and 0 relay commands\.\n$/);
    });
  });
});
