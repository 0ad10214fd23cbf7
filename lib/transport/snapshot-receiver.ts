// An incoming snapshot (POST /raft/snapshot) goes to a file in the snapshot
// directory as it arrives, never into a buffer the size the sender declares:
// `peer-<from>.<n>.part` while it arrives; fsynced and renamed to
// `peer-<from>-<term>-<index>.received` once every declared byte is in (so a
// partial body is never taken for a whole one); then read back and handed to
// raft, which takes snapshots as buffers, and removed. Memory therefore
// follows the bytes that really arrived, and only once they all have.
// What a crash leaves behind is removed when the transport starts listening.

import fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { MemberId } from '../wire/index.js';
import { decodeMessage, FRAME_HEADER_BYTES, FrameError } from './codec.js';
import type { SnapshotMessage } from './snapshot.js';

/** The header frame carries only metadata (the voters), never this much. */
const MAX_HEADER_FRAME_BYTES = 1 << 20;
/** Bytes queued toward the file before the network stream is paused. */
const WRITE_HIGH_WATER = 1 << 20;
const LEFTOVER = /^peer-[0-9a-zA-Z]+(\.\d+-\d+\.part|-[0-9a-f]{16}-[0-9a-f]{16}\.received)$/;

let fileCounter = 0;

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

/**
 * Makes dir (durably: a snapshot store shares it and relies on its entry
 * surviving a crash) and removes the part and received files a crashed
 * member left in it; returns their paths.
 */
export async function prepareSnapshotDir(dir: string): Promise<string[]> {
  const first = await fs.promises.mkdir(dir, { recursive: true });
  if (first !== undefined) {
    for (let d = dir; ; d = dirname(d)) {
      await fsyncDir(dirname(d));
      if (d === first || dirname(d) === d) break;
    }
  }
  const names = await fs.promises.readdir(dir);
  const doomed = names.filter((n) => LEFTOVER.test(n)).map((n) => join(dir, n));
  await Promise.all(doomed.map((p) => fs.promises.rm(p, { force: true })));
  return doomed;
}

/**
 * One snapshot stream being received. push() each body chunk; when it returns
 * false, pause the network stream until the drain callback runs. Then
 * finish() once the body ended, or abort() when the stream failed.
 */
export class IncomingSnapshot {
  private header: Buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerLen = 0;
  private headerNeed = 0;
  private msg: SnapshotMessage | null = null;
  private file: fs.WriteStream | null = null;
  private fileError: Error | null = null;
  private readonly partPath: string;
  private received = 0;

  constructor(
    private readonly dir: string,
    readonly from: MemberId,
    readonly declaredBytes: number,
    private readonly onDrain: () => void,
  ) {
    this.partPath = join(dir, `peer-${from}.${process.pid}-${++fileCounter}.part`);
  }

  /** The snapshot message of the header frame (its data empty), once the frame is in. */
  get message(): SnapshotMessage | null {
    return this.msg;
  }

  /** Data bytes received so far. */
  get bytes(): number {
    return this.received;
  }

  /**
   * Takes the next chunk of the body. Throws FrameError when the body is
   * malformed or longer than declared, and the file's error when writing
   * failed. Returns false when the caller should wait for the drain callback.
   */
  push(chunk: Buffer): boolean {
    if (this.fileError !== null) throw this.fileError;
    let pos = 0;
    if (this.msg === null) {
      pos = this.readHeader(chunk);
      if (pos < 0) return true;
    }
    const rest = chunk.length - pos;
    if (rest === 0) return true;
    if (this.received + rest > this.declaredBytes) {
      throw new FrameError(`snapshot body exceeds the declared ${this.declaredBytes} bytes`);
    }
    this.received += rest;
    return this.openFile().write(pos === 0 ? chunk : chunk.subarray(pos));
  }

  /**
   * After the body ended: checks it was whole, makes the file durable under
   * its final name, and returns the message with its data read back. The
   * file is gone when this settles, either way.
   */
  async finish(): Promise<SnapshotMessage> {
    const m = this.msg;
    if (m === null) throw new FrameError('snapshot stream ended before its header frame');
    if (this.received !== this.declaredBytes) {
      throw new FrameError(`snapshot body ended after ${this.received} of ${this.declaredBytes} bytes`);
    }
    const final = join(
      this.dir,
      `peer-${this.from}-${hex16(m.snapshot.meta.term)}-${hex16(m.snapshot.meta.index)}.received`,
    );
    try {
      await this.closeFile();
      await fs.promises.rename(this.partPath, final);
      await fsyncDir(this.dir);
      const data = await fs.promises.readFile(final);
      if (data.length !== this.declaredBytes)
        throw new Error(`${final} holds ${data.length} of ${this.declaredBytes} bytes`);
      return { ...m, snapshot: { meta: m.snapshot.meta, data } };
    } finally {
      await Promise.all([fs.promises.rm(this.partPath, { force: true }), fs.promises.rm(final, { force: true })]);
    }
  }

  /** Drops what was received; idempotent, never rejects (a file it cannot remove goes at the next start). */
  async abort(): Promise<void> {
    const file = this.file;
    if (file !== null && !file.closed) {
      await new Promise<void>((resolve) => {
        file.once('close', () => resolve());
        file.destroy();
      });
    }
    await fs.promises.rm(this.partPath, { force: true }).catch(() => undefined);
  }

  private openFile(): fs.WriteStream {
    if (this.file !== null) return this.file;
    const file = fs.createWriteStream(this.partPath, { flags: 'wx', flush: true, highWaterMark: WRITE_HIGH_WATER });
    file.on('error', (err) => {
      this.fileError = err;
      // Whoever paused for a drain must not wait for one that will not come.
      this.onDrain();
    });
    file.on('drain', () => this.onDrain());
    this.file = file;
    return file;
  }

  /** Ends the file: everything written, fsynced (flush: true), closed. */
  private async closeFile(): Promise<void> {
    const file = this.openFile();
    await new Promise<void>((resolve, reject) => {
      if (this.fileError !== null) return reject(this.fileError);
      file.once('error', reject);
      file.once('close', () => (this.fileError !== null ? reject(this.fileError) : resolve()));
      file.end();
    });
  }

  private readHeader(chunk: Buffer): number {
    let pos = 0;
    if (this.headerNeed === 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.headerLen, chunk.length);
      chunk.copy(this.header, this.headerLen, 0, take);
      this.headerLen += take;
      pos = take;
      if (this.headerLen < FRAME_HEADER_BYTES) return -1;
      const payload = this.header.readUInt32BE(0);
      if (payload === 0 || payload > MAX_HEADER_FRAME_BYTES) {
        throw new FrameError(`snapshot header frame of ${payload} bytes`);
      }
      this.headerNeed = FRAME_HEADER_BYTES + payload;
      const grown = Buffer.allocUnsafe(this.headerNeed);
      this.header.copy(grown, 0, 0, this.headerLen);
      this.header = grown;
    }
    const take = Math.min(this.headerNeed - this.headerLen, chunk.length - pos);
    chunk.copy(this.header, this.headerLen, pos, pos + take);
    this.headerLen += take;
    pos += take;
    if (this.headerLen < this.headerNeed) return -1;
    const m = decodeMessage(this.header, FRAME_HEADER_BYTES, this.headerNeed);
    if (m.type !== 'snapshot') throw new FrameError(`snapshot stream carries a ${m.type} message`);
    if (m.snapshot.data.length !== 0) throw new FrameError('snapshot header frame carries data');
    this.msg = m;
    return pos;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
