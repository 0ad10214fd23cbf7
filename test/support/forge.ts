// What an attacker (or a buggy member) on the peer network can do: read the
// member list from a peer port and send raft messages, encoded with kvd's own
// codec, on a message stream claiming to come from any member.

import http2 from 'node:http2';
import type { Message } from '../../lib/raft/types.js';
import { encodeFrame } from '../../lib/transport/codec.js';
import { HEADER_CLUSTER, HEADER_FROM, HEADER_TO, PATH_MEMBERS, PATH_STREAM } from '../../lib/transport/protocol.js';

export interface PeerView {
  readonly clusterId: string;
  readonly members: readonly { readonly id: string; readonly name: string; readonly peerURLs: readonly string[] }[];
}

/** GET /members on a peer port, as anyone may. */
export async function peerMembers(peerURL: string): Promise<PeerView> {
  const session = http2.connect(peerURL);
  session.on('error', () => {});
  try {
    return await new Promise<PeerView>((resolve, reject) => {
      const req = session.request({ ':method': 'GET', ':path': PATH_MEMBERS });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        try {
          resolve(JSON.parse(body) as PeerView);
        } catch (err) {
          reject(err);
        }
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.close());
      req.end();
    });
  } finally {
    session.destroy();
  }
}

/**
 * Opens a message stream to `to` claiming to be `from`, writes the messages
 * as frames, and ends it. Resolves with the answer status once the member has
 * closed the stream: by then it has decoded and delivered every frame.
 */
export async function sendForged(
  peerURL: string,
  clusterId: string,
  from: string,
  to: string,
  msgs: readonly Message[],
): Promise<number> {
  const session = http2.connect(peerURL);
  session.on('error', () => {});
  try {
    return await new Promise<number>((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': PATH_STREAM,
        [HEADER_CLUSTER]: clusterId,
        [HEADER_FROM]: from,
        [HEADER_TO]: to,
      });
      let status = 0;
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('error', reject);
      stream.on('close', () => resolve(status));
      stream.resume();
      stream.setTimeout(5000, () => stream.close());
      stream.end(Buffer.concat(msgs.map(encodeFrame)));
    });
  } finally {
    session.destroy();
  }
}

/**
 * sendForged in the name of a member whose own stream to `to` is down (it
 * was just stopped): the receiver refuses a second live stream in one
 * member's name (409) until it has seen the real one close, so retry until then.
 */
export async function sendForgedAs(
  peerURL: string,
  clusterId: string,
  from: string,
  to: string,
  msgs: readonly Message[],
): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    status = await sendForged(peerURL, clusterId, from, to, msgs);
    if (status !== 409) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return status;
}
