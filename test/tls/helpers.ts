import type { AddressInfo } from 'node:net';
import { connect, createServer, type ConnectionOptions, type TlsOptions, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import type { PeerTransportSecurity } from '../../lib/config/index.js';
import type { Logger } from '../../lib/log/index.js';

export function security(over: Partial<PeerTransportSecurity> = {}): PeerTransportSecurity {
  return {
    certFile: undefined,
    keyFile: undefined,
    clientCertAuth: false,
    trustedCaFile: undefined,
    autoTls: false,
    allowedCn: undefined,
    allowedHostname: undefined,
    ...over,
  };
}

export interface CapturedLog {
  readonly logger: Logger;
  readonly entries: () => { level: number; msg: string; [k: string]: unknown }[];
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, entries: () => lines.map((l) => JSON.parse(l)) };
}

/**
 * Starts a TLS server on 127.0.0.1:0 that answers "ok" to every connection it
 * accepts (after `accept` agrees), runs `body` with its port, then closes it.
 */
export async function withTlsServer<T>(
  options: TlsOptions,
  body: (port: number, server: ReturnType<typeof createServer>) => Promise<T>,
  accept: (socket: TLSSocket) => boolean = () => true,
): Promise<T> {
  const server = createServer(options, (socket) => {
    socket.on('error', () => socket.destroy());
    if (accept(socket)) socket.end('ok');
    else socket.destroy();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await body((server.address() as AddressInfo).port, server);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export type DialResult = { outcome: 'accepted'; peerFingerprint: string } | { outcome: 'refused'; code: string };

/** Connects, and reports whether the server answered or the connection failed. */
export function dial(port: number, options: ConnectionOptions): Promise<DialResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    let fingerprint = '';
    socket.on('secureConnect', () => {
      fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
    });
    socket.on('data', () => {
      resolve({ outcome: 'accepted', peerFingerprint: fingerprint });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ outcome: 'refused', code: err.code ?? err.message }));
    socket.on('close', () => resolve({ outcome: 'refused', code: 'closed' }));
  });
}
