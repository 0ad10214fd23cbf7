// Fixtures for the security process tests: kvd processes with TLS URLs and
// inspectable logs, curl, and TLS/HTTP/2 clients that present a certificate.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import { eventually, httpRequest, kvdBin, START_UP_MS } from '../support/procs.js';
import type { IssuedCert } from '../tls/pki.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

const running = new Set<Kvd>();
const scratchDirs: string[] = [];

/** A new empty directory, removed by cleanUp(). */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-security-'));
  scratchDirs.push(dir);
  return dir;
}

/** For the file's after hook: kills every kvd process the file started that still runs, removes its scratch directories. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...running].map((m) => m.kill()));
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A kvd process; its log (JSON lines on stderr) is kept for assertions. */
export class Kvd {
  private proc: ChildProcess | null = null;
  stderr = '';
  exitCode: number | null = null;

  constructor(
    readonly name: string,
    private readonly args: readonly string[],
    private readonly cwd?: string,
  ) {}

  /** Starts the process; cleanUp() ends it at the latest. */
  start(): this {
    this.stderr = '';
    this.exitCode = null;
    const p = spawn(process.execPath, [kvdBin, ...this.args], { cwd: this.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.setEncoding('utf8');
    p.stderr!.on('data', (c: string) => {
      if (this.stderr.length < 4 << 20) this.stderr += c;
    });
    p.on('exit', (code, signal) => {
      this.exitCode = code ?? (signal !== null ? 128 : null);
      if (this.proc === p) this.proc = null;
    });
    this.proc = p;
    running.add(this);
    p.on('exit', () => running.delete(this));
    return this;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (p === null) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill(sig);
    });
  }

  /** The exit code once the process ended by itself (bounded wait). */
  async exited(ms = 15_000): Promise<number> {
    await eventually(async () => this.exitCode !== null, ms, `${this.name} to exit`);
    return this.exitCode!;
  }

  /** Log lines so far (a non-JSON line, like the fatal message, is skipped). */
  logs(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // A line still being written.
      }
    }
    return out;
  }

  logsWith(msg: string): LogLine[] {
    return this.logs().filter((l) => l.msg === msg);
  }

  /** Waits for a log line matching pred after the first `since` lines (bounded) and returns it. */
  waitForLog(what: string, pred: (l: LogLine) => boolean, since = 0, ms = 15_000): Promise<LogLine> {
    return eventually(
      async () => {
        if (this.exitCode !== null)
          throw new Error(`${this.name} exited with ${this.exitCode}:\n${this.stderr.slice(-3000)}`);
        return this.logs().slice(since).find(pred);
      },
      ms,
      `${this.name}: ${what}`,
    );
  }
}

/** TLS options presenting cert (when given) and trusting caFile. */
export function clientTls(caFile: string, cert?: IssuedCert): tls.ConnectionOptions {
  return {
    ca: readFileSync(caFile, 'utf8'),
    ...(cert !== undefined
      ? { cert: readFileSync(cert.certFile, 'utf8'), key: readFileSync(cert.keyFile, 'utf8') }
      : {}),
  };
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** GET over HTTPS/1.1 with a fresh connection. */
export function httpsGet(url: string, options: tls.ConnectionOptions, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...options, agent: false, timeout: timeoutMs } as https.RequestOptions, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls an https url (or an http one without options) until it answers 200 (bounded), failing early if the process exits. */
export async function waitHttpsReady(
  m: Kvd,
  url: string,
  options: tls.ConnectionOptions | null,
  ms = START_UP_MS,
): Promise<void> {
  await eventually(
    async () => {
      if (m.exitCode !== null) throw new Error(`${m.name} exited with ${m.exitCode}:\n${m.stderr.slice(-3000)}`);
      try {
        const reply =
          options === null ? await httpRequest('GET', url, undefined, 1000) : await httpsGet(url, options, 1000);
        return reply.status === 200;
      } catch {
        return false;
      }
    },
    ms,
    `${m.name} serving ${url}`,
  );
}

/** One request on an HTTP/2 session. */
export function h2Request(
  session: http2.ClientHttp2Session,
  path: string,
  method = 'GET',
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http2.OutgoingHttpHeaders = { ':path': path, ':method': method };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve({ status, body: text }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** The serial number of the certificate a server presents to a new connection. */
export function servedSerial(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], ...options }, () => {
      const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
      socket.destroy();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

export interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs curl with a bounded time; a non-zero exit is a result, not an error. */
export function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** curl's options presenting cert and trusting caFile. */
export function curlTls(caFile: string, cert?: IssuedCert): string[] {
  return ['--cacert', caFile, ...(cert !== undefined ? ['--cert', cert.certFile, '--key', cert.keyFile] : [])];
}

/** Puts from's certificate and key in place of to's files (the key first: a reloader debounces the pair). */
export function installCert(from: IssuedCert, to: IssuedCert): void {
  copyFileSync(from.keyFile, to.keyFile);
  copyFileSync(from.certFile, to.certFile);
}

/** Serial number of a certificate file, as Node prints it. */
export function serialOf(cert: IssuedCert): string {
  return new X509Certificate(readFileSync(cert.certFile)).serialNumber;
}

export interface MemberFlags {
  readonly name: string;
  readonly dataDir: string;
  /** The first is also advertised. */
  readonly listenClientUrls: readonly [string, ...string[]];
  readonly peerUrl: string;
  /** Default: this member alone. */
  readonly initialCluster?: string;
  readonly state?: 'new' | 'existing';
  readonly extra?: readonly string[];
}

/** Command-line flags of one member with fast elections. */
export function memberFlags(f: MemberFlags): string[] {
  return [
    '--name',
    f.name,
    '--data-dir',
    f.dataDir,
    '--listen-client-urls',
    f.listenClientUrls.join(','),
    '--advertise-client-urls',
    f.listenClientUrls[0],
    '--listen-peer-urls',
    f.peerUrl,
    '--initial-advertise-peer-urls',
    f.peerUrl,
    '--initial-cluster',
    f.initialCluster ?? `${f.name}=${f.peerUrl}`,
    '--initial-cluster-state',
    f.state ?? 'new',
    '--initial-cluster-token',
    'kvd-security-test',
    '--heartbeat-interval',
    '50',
    '--election-timeout',
    '500',
    ...(f.extra ?? []),
  ];
}
