// One process serving a fixed GET answer, for tools/bench/get-ceiling.ts:
// what a single Node process can serve at most under the local GET load,
// without any of kvd's work. The answer has the headers and body size of
// kvd's answer to a GET of a preloaded key.
//
//   node dist/tools/bench/get-ceiling-server.js <raw|http> <port>
//
// raw:  node:net, answers each request head (up to its blank line) with one
//       pre-built response buffer: no HTTP parser, no header objects.
// http: node:http with writeHead(status, flat header array) and end(body),
//       as kvd's Http1Exchange answers.

import http from 'node:http';
import net from 'node:net';

const body =
  '{"action":"get","node":{"key":"/bench/read/123","value":"' +
  'x'.repeat(256) +
  '","modifiedIndex":1234,"createdIndex":1234}}\n';

const headers = [
  'Access-Control-Allow-Headers',
  'accept, content-type, authorization',
  'Access-Control-Allow-Methods',
  'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin',
  '*',
  'Content-Type',
  'application/json',
  'X-Etcd-Cluster-Id',
  'cdf818194e3a8c32',
  'X-Etcd-Index',
  '2004',
  'X-Raft-Index',
  '2010',
  'X-Raft-Term',
  '2',
  'Date',
  new Date().toUTCString(),
  'Content-Length',
  String(Buffer.byteLength(body)),
];

function rawResponse(): Buffer {
  let head = 'HTTP/1.1 200 OK\r\n';
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return Buffer.from(head + '\r\n' + body, 'latin1');
}

const [mode, portText] = process.argv.slice(2);
const port = Number(portText);
if ((mode !== 'raw' && mode !== 'http') || !Number.isInteger(port)) {
  console.error('usage: get-ceiling-server <raw|http> <port>');
  process.exit(2);
}

let server: net.Server;
if (mode === 'raw') {
  const response = rawResponse();
  const END = Buffer.from('\r\n\r\n');
  server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let answers = 0;
      let at: number;
      while ((at = pending.indexOf(END)) >= 0) {
        answers++;
        pending = pending.subarray(at + END.length);
      }
      for (let i = 0; i < answers; i++) socket.write(response);
    });
    socket.on('error', () => socket.destroy());
  });
} else {
  server = http.createServer({ keepAliveTimeout: 0 }, (_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
}
server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
// A normal exit, so that --cpu-prof writes its profile.
process.on('SIGTERM', () => process.exit(0));
