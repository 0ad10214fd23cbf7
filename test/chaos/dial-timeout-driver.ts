// Runs inside a private network namespace (see namespace.ts): member A dials
// B while an iptables rule silently drops B's handshake, long enough for two
// of A's dials to time out; then the rule goes, and the kernel's SYN
// retransmissions of given-up dials could get through. Prints one JSON line:
// how many dials timed out and what B received from A.

import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { A, B, connected, FAST, heartbeat, startNode, waitFor, type LogLine } from '../transport/helpers.js';

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });

sh('ip', 'link', 'set', 'lo', 'up');
const b = await startNode(B, [A, B]);
const port = new URL(b.url).port;
const dropHandshake = ['INPUT', '-p', 'tcp', '--dport', port, '--syn', '-j', 'DROP'];
sh('iptables', '-A', ...dropHandshake);

const lines: LogLine[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
const a = await startNode(A, [A, B], { logger, tuning: { ...FAST, dialTimeoutMs: 300 } });
a.transport.addPeer(B, [b.url]);
const timedOut = () => lines.filter((l) => l.msg === 'peer dial timed out').length;
// A dial given up must end its socket, or the link would wait for the kernel's SYN retries before redialling.
await waitFor('a second dial timing out', () => timedOut() >= 2, 500, 10);
sh('iptables', '-D', ...dropHandshake);

await waitFor('A connected to B after the handshake got through', connected(a, B), 1500, 10);
a.transport.send([heartbeat(A, B, 7)]);
await waitFor("B received A's heartbeat", () => b.received.length > 0, 500, 10);
// The timed-out dial's own SYN is retransmitted about a second after it was sent: outlive it.
await sleep(1500);
await Promise.all([a.transport.close(), b.transport.close()]);
process.stdout.write(`${JSON.stringify({ dialTimeouts: timedOut(), delivered: b.received.map((m) => m.type) })}\n`);
