import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { addressGroup, clientAddress } from '../../src/cli/client-address.js';

/** The parts of a request `clientAddress` reads. */
function request(remoteAddress: string | undefined, forwardedFor?: string | string[]): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  test('is the TCP peer, an IPv4-mapped IPv6 address given as IPv4', () => {
    assert.equal(clientAddress(request('127.0.0.1'), false), '127.0.0.1');
    assert.equal(clientAddress(request('::ffff:192.0.2.1'), false), '192.0.2.1');
    assert.equal(clientAddress(request('2001:DB8::1'), false), '2001:db8::1');
    assert.equal(clientAddress(request('::1'), false), '::1');
  });

  test('ignores X-Forwarded-For unless the proxy is trusted', () => {
    assert.equal(clientAddress(request('127.0.0.1', '203.0.113.7'), false), '127.0.0.1');
  });

  test('with a trusted proxy, takes the entry the proxy appended: the last, never what the client wrote before it', () => {
    assert.equal(clientAddress(request('10.0.0.2', '203.0.113.7'), true), '203.0.113.7');
    assert.equal(clientAddress(request('10.0.0.2', '198.51.100.1, 203.0.113.7'), true), '203.0.113.7');
    assert.equal(clientAddress(request('10.0.0.2', ['198.51.100.1', '203.0.113.8']), true), '203.0.113.8');
    assert.equal(clientAddress(request('10.0.0.2', '::ffff:203.0.113.9'), true), '203.0.113.9');
  });

  test('with a trusted proxy, reads an address written with a port', () => {
    assert.equal(clientAddress(request('10.0.0.2', '203.0.113.7:4711'), true), '203.0.113.7');
    assert.equal(clientAddress(request('10.0.0.2', '[2001:db8::7]:4711'), true), '2001:db8::7');
    assert.equal(clientAddress(request('10.0.0.2', '[2001:db8::7]'), true), '2001:db8::7');
  });

  test('with a trusted proxy, falls back to the TCP peer when the last entry is no address', () => {
    for (const header of ['', 'unknown', '203.0.113.7, _hidden', '203.0.113.7:port', '999.1.1.1']) {
      assert.equal(clientAddress(request('10.0.0.2', header), true), '10.0.0.2', header);
    }
    assert.equal(clientAddress(request('10.0.0.2'), true), '10.0.0.2');
  });

  test('groups IPv6 addresses by their /64, leaves IPv4 addresses alone', () => {
    assert.equal(addressGroup('203.0.113.7'), '203.0.113.7');
    assert.equal(addressGroup('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressGroup('::1'), '0:0:0:0::/64');
    assert.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressGroup('64:ff9b:1:2::192.0.2.1'), '64:ff9b:1:2::/64');
    assert.notEqual(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:3::1'));
  });
});
