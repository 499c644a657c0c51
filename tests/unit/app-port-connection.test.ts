/** The MessagePort transport between the host page and its simulation worker (app/net). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortConnection, bridgeToPort } from '../../app/net/port-connection';

const tick = () => new Promise((r) => setTimeout(r, 20));

test('frames (text and binary) and channel hints cross a port pair; close propagates', async () => {
  const ch = new MessageChannel();
  const a = new PortConnection(ch.port1, 'a', 'local');
  const b = new PortConnection(ch.port2, 'b', 'local');
  const got: unknown[] = [];
  b.onMessage((f) => got.push(f));
  a.send('{"type":"ping","t":1}');
  a.send(new Uint8Array([1, 2, 3]), 'unreliable');
  await tick();
  assert.equal(got[0], '{"type":"ping","t":1}');
  assert.deepEqual(Array.from(got[1] as Uint8Array), [1, 2, 3]);
  let reason = '';
  b.onClose((r) => (reason = r));
  a.close(1000, 'bye');
  await tick();
  assert.equal(reason, 'bye');
  b.send('after close'); // no throw, goes nowhere
});

test('frames sent before a listener is registered are delivered, not lost', async () => {
  const ch = new MessageChannel();
  const a = new PortConnection(ch.port1, 'a', 'local');
  const b = new PortConnection(ch.port2, 'b', 'local');
  a.send('early');
  await tick();
  const got: unknown[] = [];
  b.onMessage((f) => got.push(f));
  assert.deepEqual(got, ['early']);
  a.close();
  await tick();
});

test('bridgeToPort carries a connection (with channel hints) into a port and back', async () => {
  // The "peer" side is itself a port pair, standing in for the PeerJS connection.
  const peerCh = new MessageChannel();
  const remote = new PortConnection(peerCh.port1, 'remote', 'webrtc');
  const onHost = new PortConnection(peerCh.port2, 'peer', 'webrtc');
  const workerCh = new MessageChannel();
  bridgeToPort(onHost, workerCh.port1);
  const inWorker = new PortConnection(workerCh.port2, 'w', 'webrtc');
  const atWorker: unknown[] = [];
  const atRemote: unknown[] = [];
  inWorker.onMessage((f) => atWorker.push(f));
  remote.onMessage((f) => atRemote.push(f));
  remote.send('hello');
  inWorker.send(new Uint8Array([9]), 'unreliable');
  await tick();
  assert.deepEqual(atWorker, ['hello']);
  assert.deepEqual(Array.from(atRemote[0] as Uint8Array), [9]);
  let closed = '';
  inWorker.onClose((r) => (closed = r));
  remote.close(1000, 'gone');
  await tick();
  await tick();
  assert.equal(closed, 'gone');
});
