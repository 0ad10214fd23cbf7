// The far end of the peer round-trip measurement (floor.ts): an h2c server
// on 127.0.0.1 that echoes each stream's data back. Prints its port on
// stdout; exits when its stdin closes, so it cannot outlive the benchmark.

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

const server = http2.createServer();
server.on('stream', (stream) => {
  stream.respond({ ':status': 200 });
  stream.on('data', (chunk: Buffer) => stream.write(chunk));
  stream.on('end', () => stream.end());
  stream.on('error', () => stream.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
