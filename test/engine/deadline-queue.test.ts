/**
 * DeadlineQueue: one timer for many entries that wait the same delay (the engine's heartbeats).
 * Assertions bound times from below and check order, so a slow machine cannot fail them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineQueue, type DeadlineEntry } from '../../src/engine/deadline-queue.js';
import { sleep, until } from '../helpers/wait.js';

class Entry implements DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined;
  deadlineNext: DeadlineEntry | undefined;
  deadlineAt = 0;
  deadlineQueue: DeadlineQueue<DeadlineEntry> | undefined;
  addedAt = 0;
  constructor(readonly name: string) {}
}

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

function join(queue: DeadlineQueue<Entry>, entry: Entry): void {
  entry.addedAt = performance.now();
  queue.add(entry);
}

describe('DeadlineQueue', () => {
  it('calls each entry once, no sooner than its delay, in the order they joined', async () => {
    const due: { name: string; waited: number }[] = [];
    const queue = new DeadlineQueue<Entry>(30, (entry) =>
      due.push({ name: entry.name, waited: performance.now() - entry.addedAt }),
    );
    join(queue, new Entry('a'));
    await sleep(10);
    join(queue, new Entry('b'));
    await sleep(10);
    join(queue, new Entry('c'));
    await until(() => due.length === 3, 3000, 'three deadlines');
    assert.deepEqual(
      due.map((entry) => entry.name),
      ['a', 'b', 'c'],
    );
    // Whole milliseconds: an entry may come due up to 1 ms before its delay in fractional time.
    for (const { waited } of due) assert.ok(waited >= 29, `waited ${waited} ms`);
    await sleep(50);
    assert.equal(due.length, 3, 'each only once');
  });

  it('adding again restarts the wait; removing cancels it; an empty queue holds no timer', async () => {
    const due: { name: string; waited: number }[] = [];
    const queue = new DeadlineQueue<Entry>(40, (entry) =>
      due.push({ name: entry.name, waited: performance.now() - entry.addedAt }),
    );
    const before = timers();
    const restarted = new Entry('restarted');
    const removed = new Entry('removed');
    join(queue, restarted);
    join(queue, removed);
    assert.equal(timers(), before + 1, 'one timer for the whole queue');
    await sleep(25);
    join(queue, restarted);
    queue.remove(removed);
    assert.equal(queue.has(removed), false);
    await until(() => due.length === 1, 3000, 'the restarted deadline');
    assert.equal(due[0]!.name, 'restarted');
    assert.ok(due[0]!.waited >= 39, `counted from the restart: waited ${due[0]!.waited} ms`);
    assert.equal(queue.has(restarted), false, 'a due entry has left the queue');
    assert.equal(timers(), before, 'no timer once the queue is empty');
    await sleep(60);
    assert.equal(due.length, 1, 'the removed entry never came due');
  });

  it('moves an entry between queues: joining one leaves the other', async () => {
    const events: string[] = [];
    const pong = new DeadlineQueue<Entry>(200, (entry) => events.push(`${entry.name} pong overdue`));
    const ping = new DeadlineQueue<Entry>(60, (entry) => {
      events.push(`${entry.name} ping`);
      pong.add(entry);
    });
    const answered = new Entry('answered');
    const silent = new Entry('silent');
    ping.add(answered);
    ping.add(silent);
    await until(() => pong.has(answered) && pong.has(silent), 3000, 'both pinged');
    ping.add(answered); // its pong came back: it waits for the next ping
    assert.equal(pong.has(answered), false);
    assert.equal(ping.has(answered), true);
    await until(() => events.includes('silent pong overdue'), 3000, "the silent entry's deadline");
    // The answered entry was pinged again at least 60 ms after the silent one: not overdue yet.
    assert.equal(events.includes('answered pong overdue'), false);
    assert.equal(events.filter((event) => event === 'answered ping').length, 2);
    ping.remove(answered);
    pong.remove(answered);
  });
});
