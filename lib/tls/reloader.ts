// Certificate rotation without a restart: watch the files (and reload on
// SIGHUP through reload()), validate the new material fully, and hand it to
// the server for setSecureContext(); established sessions keep their keys.
import { unwatchFile, watchFile } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { PeerTransportSecurity, TransportSecurity } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { TlsConfigError } from './errors.js';
import { loadServerTls, type ServerTls, type TlsLoadOptions } from './load.js';
import type { TlsSide } from './material.js';

export interface TlsReloaderOptions extends TlsLoadOptions {
  readonly sec: TransportSecurity | PeerTransportSecurity;
  readonly side: TlsSide;
  readonly dataDir: string;
  readonly logger: Logger;
  /** What the server loaded at start-up. */
  readonly current: ServerTls;
  /** Called with validated new material; servers pass it to `server.setSecureContext()`. */
  readonly onReload: (secureContext: SecureContextOptions, tls: ServerTls) => void;
  /** How often the files are polled; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Quiet time after a change before reloading, so a cert and its key written one after the other load together; default 200 ms. */
  readonly debounceMs?: number;
}

/** What made the reloader look at the files, for the log line. */
export type ReloadTrigger = 'file change' | 'SIGHUP' | 'call';

export type ReloadResult =
  | { readonly status: 'reloaded'; readonly tls: ServerTls }
  | { readonly status: 'unchanged' }
  | { readonly status: 'rejected'; readonly error: TlsConfigError };

export class TlsReloader {
  private current: ServerTls;
  private readonly watched: string[] = [];
  private readonly onChange = () => this.scheduleReload();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: TlsReloaderOptions) {
    this.current = opts.current;
  }

  /** Starts polling the certificate, key and CA files. */
  start(): void {
    if (this.watched.length > 0) return;
    const interval = this.opts.pollIntervalMs ?? 1000;
    for (const file of this.current.files) {
      watchFile(file, { interval, persistent: false }, this.onChange);
      this.watched.push(file);
    }
    // A watcher compares against its first stat, taken asynchronously: a file
    // replaced between start-up loading and that stat would go unnoticed, so
    // check once after the first poll.
    this.scheduleReload(interval);
  }

  /** Re-reads and validates the files now; on success the server gets the new context. */
  reload(trigger: ReloadTrigger = 'call'): ReloadResult {
    const { sec, side, dataDir, logger, hosts } = this.opts;
    let next: ServerTls;
    try {
      next = loadServerTls(sec, side, dataDir, { hosts, logger });
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err;
      logger.error(
        { side, trigger, code: err.code, file: err.file },
        `${err.message}; keeping the current ${side} certificate`,
      );
      return { status: 'rejected', error: err };
    }
    if (sameMaterial(next.secureContext, this.current.secureContext)) return { status: 'unchanged' };
    this.current = next;
    this.opts.onReload(next.secureContext, next);
    logger.info(
      { side, trigger, files: next.files, serial: next.serial, notAfter: next.notAfter.toISOString() },
      `${side} TLS certificate reloaded`,
    );
    return { status: 'reloaded', tls: next };
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // With its listener: another reloader may watch the same file.
    for (const file of this.watched) unwatchFile(file, this.onChange);
    this.watched.length = 0;
  }

  private scheduleReload(delayMs = this.opts.debounceMs ?? 200): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload('file change');
    }, delayMs);
    this.timer.unref();
  }
}

function sameMaterial(a: SecureContextOptions, b: SecureContextOptions): boolean {
  return a.cert === b.cert && a.key === b.key && a.ca === b.ca;
}
