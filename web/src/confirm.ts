// A modal confirmation before anything is written: says exactly what will
// change, and focuses Cancel so that Enter alone never writes.

import { el } from './dom.js';

export function confirmAction(title: string, detail: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = el('button', { type: 'button', 'data-testid': 'confirm-cancel' }, 'Cancel');
    const ok = el('button.danger', { type: 'button', 'data-testid': 'confirm-ok' }, action);
    const dialog = el(
      'dialog.confirm',
      { 'aria-labelledby': 'confirm-title' },
      el('h2#confirm-title', {}, title),
      el('p.confirm-detail', {}, detail),
      el('div.dialog-buttons', {}, cancel, ok),
    );
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => finish(false));
    ok.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
