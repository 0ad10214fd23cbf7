// The requests of one HTTP/1.1 connection, run one at a time in the order
// they arrived. Node parses pipelined requests as fast as they come and would
// start all their handlers at once, so a GET could overtake the PUT before it
// whose body was still being read; Go's server (so etcd) reads the next
// request only once it has answered the last one.

import type { Socket } from 'node:net';

/** One request's turn: starts it, and calls `done` once its response is over. */
export type Turn = (done: () => void) => void;

export class Http1Pipeline {
  private running = false;
  private readonly waiting: Turn[] = [];
  /** No turn is added or started any more (the connection is closing). */
  private stopped = false;
  /** The last turn was given: later requests are not even read. */
  private sealed = false;
  private readingPaused = false;

  /**
   * `limit` bounds the turns waiting: past it the socket is not read until
   * they drain (Node's parser may still hand over what it already read).
   */
  constructor(
    private readonly socket: Socket,
    private readonly limit: number,
  ) {
    socket.once('close', () => this.stop());
  }

  /** Runs `turn` once every turn added before it is done. */
  add(turn: Turn): void {
    if (this.stopped || this.sealed) return;
    this.enqueue(turn);
    if (this.waiting.length >= this.limit) this.pauseReading();
  }

  /** Runs `turn` after the others, as the connection's last: nothing after it is read or run. */
  addLast(turn: Turn): void {
    if (this.stopped || this.sealed) return;
    this.sealed = true;
    this.pauseReading();
    this.enqueue(turn);
  }

  /** Whether no turn is running. */
  get idle(): boolean {
    return !this.running;
  }

  /** Drops the turns not started yet; the running one ends on its own. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
  }

  private enqueue(turn: Turn): void {
    if (this.running) this.waiting.push(turn);
    else this.run(turn);
  }

  private run(turn: Turn): void {
    this.running = true;
    let over = false;
    turn(() => {
      if (over) return;
      over = true;
      this.running = false;
      const next = this.stopped ? undefined : this.waiting.shift();
      if (this.readingPaused && !this.sealed && this.waiting.length < this.limit) {
        this.readingPaused = false;
        this.socket.resume();
      }
      if (next !== undefined) this.run(next);
    });
  }

  private pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    this.socket.pause();
  }
}
