// The strip under the header that says whether the numbers are fresh: when
// the view last updated, or why it could not. Always one line high.

import { RequestError } from './api.js';
import { el, setAttr, setText } from './dom.js';
import { formatClock } from './format.js';

export class StatusLine {
  readonly root = el('div.status-line', { role: 'status', 'aria-live': 'polite' });
  private readonly text = el('span');

  constructor() {
    this.root.append(this.text);
  }

  updated(what: string): void {
    setAttr(this.root, 'data-state', 'ok');
    setText(this.text, `${what} updated ${formatClock(Date.now())}`);
  }

  failed(what: string, err: unknown): void {
    setAttr(this.root, 'data-state', 'error');
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof RequestError && err.status === 401) {
      setText(
        this.text,
        `⚠ ${what}: refused (${reason}) at ${formatClock(Date.now())}: sign in as a user who may read it`,
      );
      return;
    }
    setText(this.text, `⚠ ${what}: this member did not answer (${reason}) at ${formatClock(Date.now())}; retrying`);
  }
}
