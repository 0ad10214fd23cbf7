// Every listener on a peer connection runs on an event from the network. A
// throw out of one would reach Node's event loop and kill the member, so the
// transport registers them through contained(): a throw is logged as the bug
// it is and costs only the connection it came from.

import type pino from 'pino';

export function contained<A extends unknown[]>(
  log: pino.Logger,
  what: string,
  drop: () => void,
  listener: (...args: A) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      listener(...args);
    } catch (err) {
      log.error({ err, event: what }, 'peer connection event handler failed; dropping the connection');
      try {
        drop();
      } catch (dropErr) {
        log.error({ err: dropErr, event: what }, 'cannot drop the peer connection');
      }
    }
  };
}
