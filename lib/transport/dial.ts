// Outgoing HTTP/2 sessions whose socket we open ourselves. Destroying a
// session whose TCP connect is still in flight does not end that connect:
// Node keeps the socket until the kernel's SYN retries resolve (seconds to
// minutes on a partitioned network) and then emits 'connect' on the dead
// session. Holding the socket lets a caller end both at once.

import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';

export interface Dialed {
  readonly session: http2.ClientHttp2Session;
  readonly socket: net.Socket;
}

/**
 * Opens a session to url (http: h2c, https: h2 over TLS). Throws on a URL it
 * cannot dial; everything after that arrives as events on session or socket.
 */
export function dialSession(
  url: string,
  options: http2.ClientSessionOptions,
  clientTls: tls.ConnectionOptions | null,
): Dialed {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:')
    throw new Error(`only http: and https: peer URLs can be dialled, not ${u.protocol}`);
  const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);
  const socket = secure
    ? tls.connect({
        host,
        port,
        // SNI carries host names only (RFC 6066); an IP address is checked against the certificate all the same.
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        minVersion: 'TLSv1.2',
        ...(clientTls ?? {}),
        ALPNProtocols: ['h2'],
      })
    : net.connect({ host, port });
  // Raft messages are small writes answered by small writes: Nagle's algorithm
  // would hold one back until the peer's delayed ACK (as Go never does).
  socket.setNoDelay(true);
  let session: http2.ClientHttp2Session;
  try {
    session = http2.connect(url, { ...options, createConnection: () => socket });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return { session, socket };
}

/** Ends a dialled session and its socket now, whatever state the connect is in. */
export function hangUp(d: Dialed): void {
  d.socket.destroy();
  d.session.destroy();
}
