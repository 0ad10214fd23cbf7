// What every kvctl command shares: its streams, the global flags, the client
// built from them (etcdctl's mustNewClient), and etcdctl's way of failing.

import {
  Client,
  ClusterError,
  EndpointParseError,
  NoEndpointsError,
  TlsFileError,
  deadlineExceeded,
  isConnectionError,
} from '../index.js';
import type { Flags } from './flags.js';

/** Where kvctl reads and writes; main() takes these so tests can run it in-process. */
export interface CtlIO {
  readonly stdout: { write(chunk: string | Uint8Array): unknown };
  readonly stderr: { write(chunk: string | Uint8Array): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Read when set/mk/update get no value argument; absent reads as empty. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Aborting it is Ctrl+C: watch, exec-watch and cluster-health --forever end with status 0. */
  readonly signal?: AbortSignal;
}

/** etcdctl's exit statuses (ctlv2/command/error.go). */
export const ExitCode = {
  Success: 0,
  BadArgs: 1,
  BadConnection: 2,
  BadAuth: 3,
  ServerError: 4,
  ClusterNotHealthy: 5,
} as const;

/** Ends the command with a status after its output was written (etcdctl's os.Exit). */
export class Exit extends Error {
  override readonly name = 'Exit';

  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const defaultEndpoints = 'http://127.0.0.1:2379,http://127.0.0.1:4001';

/** A typed password longer than this is cut (a bound on what a prompt reads). */
const MAX_PASSWORD_CHARS = 4096;

export class Ctx {
  private readonly clients: Client[] = [];

  constructor(
    readonly io: CtlIO,
    readonly global: Flags,
  ) {}

  out(s: string): void {
    this.io.stdout.write(s);
  }

  err(s: string): void {
    this.io.stderr.write(s);
  }

  /** The --output format. */
  format(): string {
    return this.global.string('output');
  }

  /** etcdctl's handleError: "Error:  <err>", a cluster error's detail, then exit. */
  fail(code: number, err: Error | string): never {
    const message = typeof err === 'string' ? err : err.message;
    this.err(`Error:  ${message}\n`);
    if (err instanceof ClusterError) this.err(err.detail() + '\n');
    throw new Exit(code);
  }

  /** --endpoints, KVCTL_ENDPOINTS, ETCDCTL_ENDPOINTS, --endpoint, ETCDCTL_ENDPOINT, --peers, ETCDCTL_PEERS, then etcdctl's default. */
  endpoints(): string[] {
    const env = this.io.env;
    const candidates = [
      this.global.string('endpoints'),
      env['KVCTL_ENDPOINTS'],
      env['ETCDCTL_ENDPOINTS'],
      this.global.string('endpoint'),
      env['ETCDCTL_ENDPOINT'],
      this.global.string('peers'),
      env['ETCDCTL_PEERS'],
    ];
    const chosen = candidates.find((c) => c !== undefined && c !== '') ?? defaultEndpoints;
    return chosen.split(',');
  }

  private tlsFile(flag: string, envName: string): string | undefined {
    const v = this.global.string(flag) || this.io.env[`KVCTL_${envName}`] || this.io.env[`ETCDCTL_${envName}`];
    return v === '' ? undefined : v;
  }

  /**
   * speakeasy.Ask as etcdctl uses it: the prompt on stdout, one line read from
   * stdin (without echo on a terminal), then a newline. End of input gives
   * what was read so far.
   */
  async askPassword(prompt: string): Promise<string> {
    this.out(prompt);
    const stdin = this.io.stdin as
      (NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void }) | undefined;
    let line = '';
    if (stdin) {
      const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
      if (raw) stdin.setRawMode?.(true);
      try {
        read: for await (const c of stdin) {
          for (const ch of typeof c === 'string' ? c : (c as Buffer).toString('utf8')) {
            if (ch === '\n' || ch === '\r' || ch === '\u0004') break read;
            // Ctrl+C on a raw terminal: give up as an interrupted read would.
            if (ch === '\u0003') throw new Exit(ExitCode.BadArgs);
            if (line.length < MAX_PASSWORD_CHARS) line += ch;
          }
        }
      } finally {
        if (raw) stdin.setRawMode?.(false);
        if (stdin === process.stdin) stdin.pause();
      }
    }
    this.out('\n');
    return line;
  }

  /** etcdctl's getUsernamePassword for --username: "user:password", or "user" and a prompt. */
  private async credentials(): Promise<{ username: string; password: string } | undefined> {
    const flag = this.global.string('username');
    if (flag === '') return undefined;
    const colon = flag.indexOf(':');
    if (colon >= 0) return { username: flag.slice(0, colon), password: flag.slice(colon + 1) };
    return { username: flag, password: await this.askPassword('Password: ') };
  }

  /** etcdctl's mustNewClient (sync: true) and mustNewClientNoSync (sync: false). */
  async client(opts: { sync: boolean }): Promise<Client> {
    const totalMs = this.global.duration('total-timeout');
    const debug = this.global.bool('debug');
    const credentials = await this.credentials();
    let client: Client;
    try {
      const caFile = this.tlsFile('ca-file', 'CA_FILE');
      const certFile = this.tlsFile('cert-file', 'CERT_FILE');
      const keyFile = this.tlsFile('key-file', 'KEY_FILE');
      client = new Client({
        endpoints: this.endpoints(),
        tls: { ...(caFile && { caFile }), ...(certFile && { certFile }), ...(keyFile && { keyFile }) },
        headerTimeoutMs: this.global.duration('timeout'),
        dialTimeoutMs: totalMs > 0 && totalMs < 30_000 ? totalMs : 30_000,
        ...(debug && { onRequest: (line: string) => this.err(`cURL Command: ${line}\n`) }),
        ...(credentials && { credentials }),
      });
    } catch (e) {
      if (e instanceof TlsFileError || e instanceof EndpointParseError) {
        this.err(e.message + '\n');
        throw new Exit(ExitCode.BadArgs);
      }
      throw e;
    }
    this.clients.push(client);
    if (opts.sync && !this.global.bool('no-sync')) {
      if (debug) this.err(`start to sync cluster using endpoints(${client.endpoints().join(',')})\n`);
      const deadline = this.deadline();
      try {
        await client.sync({ signal: deadline.signal });
      } catch (e) {
        if (e instanceof NoEndpointsError) {
          this.err('etcd cluster has no published client endpoints.\n');
          this.err(
            `Try '--no-sync' if you want to access non-published client endpoints(${client.endpoints().join(',')}).\n`,
          );
          this.fail(ExitCode.ServerError, e);
        }
        // Other failures (a header timeout, a server without /v2/members) leave the given endpoints in use, as in etcdctl.
        if (isConnectionError(e)) this.fail(ExitCode.BadConnection, e as Error);
      } finally {
        deadline.done();
      }
      if (debug) this.err(`got endpoints(${client.endpoints().join(',')}) after sync\n`);
    }
    if (debug) this.err(`Cluster-Endpoints: ${client.endpoints().join(', ')}\n`);
    return client;
  }

  /** etcdctl's contextWithTotalTimeout, also ended by the io signal. */
  deadline(): { signal: AbortSignal; done(): void } {
    const ctl = new AbortController();
    const ms = this.global.duration('total-timeout');
    const timer = setTimeout(() => ctl.abort(deadlineExceeded()), Math.max(0, ms));
    const onAbort = (): void => ctl.abort(this.io.signal?.reason);
    this.io.signal?.addEventListener('abort', onAbort, { once: true });
    return {
      signal: ctl.signal,
      done: () => {
        clearTimeout(timer);
        this.io.signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  /** etcdctl's argOrStdin: the argument, else all of stdin; null when both are empty. */
  async argOrStdin(args: readonly string[], i: number): Promise<string | null> {
    const arg = args[i];
    if (arg !== undefined) return arg;
    const stdin = this.io.stdin;
    if (!stdin) return null;
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    const s = Buffer.concat(chunks).toString('utf8');
    return s === '' ? null : s;
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
