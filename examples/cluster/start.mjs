// Three `switchboard serve --redis` nodes and a round-robin proxy in front of them, on this
// machine, started by one command and stopped by Ctrl+C. See README.md in this folder.
//
//   npm run cluster                         # in a clone: builds, then runs this
//   node examples/cluster/start.mjs         # PORT=8080, NODE_PORTS=8081,8082,8083 and
//                                           # REDIS_URL=redis://127.0.0.1:6379 unless set
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRoundRobinProxy } from './round-robin-proxy.mjs';

const port = Number(process.env.PORT ?? 8080);
const nodePorts = (process.env.NODE_PORTS ?? '8081,8082,8083').split(',').map(Number);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const command = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

/**
 * Starts one node; resolves once it listens, rejects if it exits first (Redis unreachable, port
 * taken: its own message says why). Its output is shown with its name in front.
 */
function startNode(name, nodePort) {
  const args = ['serve', '--port', String(nodePort), '--host', '127.0.0.1', '--redis', redisUrl, '--trust-proxy'];
  // A process group of its own: Ctrl+C reaches this script alone, which then stops each node once.
  const child = spawn(process.execPath, [command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const listening = new Promise((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8').on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) {
          console.log(`[${name}] ${line}`);
          if (line.startsWith('Switchboard listening on')) resolve();
        }
      });
    }
    exited.then((how) => reject(new Error(`${name} stopped (${how}) before it listened`)));
  });
  return { name, child, exited, listening };
}

const nodes = nodePorts.map((nodePort, i) => startNode(`node ${i + 1}`, nodePort));
// Should this script end some other way, no node outlives it.
process.once('exit', () => {
  for (const { child } of nodes) if (child.exitCode === null) child.kill('SIGKILL');
});

let proxy;
async function stop(exitCode) {
  await proxy?.close();
  for (const { child } of nodes) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(nodes.map((node) => node.exited));
  process.exit(exitCode);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  await Promise.all(nodes.map((node) => node.listening));
  proxy = await startRoundRobinProxy(port, nodePorts);
} catch (error) {
  console.error(`cluster: ${error.message}`);
  await stop(1);
}
console.log(
  `\nCluster ready: open http://127.0.0.1:${port}/\n` +
    `  each request goes to the next of the nodes on ports ${nodePorts.join(', ')}, which share ${redisUrl}\n` +
    'Press Ctrl+C to stop them all.',
);
