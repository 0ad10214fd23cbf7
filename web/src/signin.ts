// Signing in, for a cluster with auth enabled: a header item that says who
// the dashboard speaks as, and a dialog asking for a user name and password.
// The dialog opens by itself the first time the member refuses a request.

import { fetchAuthEnabled } from './api.js';
import { AUTH_REQUIRED, CREDENTIALS_CHANGED, current, signIn, signOut } from './credentials.js';
import { el, replaceChildren } from './dom.js';

export class SignIn {
  readonly root = el('span.sign-in', { 'data-testid': 'auth-state' });
  private offered = false;
  private open = false;

  constructor() {
    window.addEventListener(CREDENTIALS_CHANGED, () => this.render(true));
    window.addEventListener(AUTH_REQUIRED, () => {
      this.render(true);
      if (!this.offered && current() === null) {
        this.offered = true;
        this.ask('This cluster has auth enabled and refused a request without credentials.');
      }
    });
    fetchAuthEnabled().then(
      (enabled) => this.render(enabled),
      () => this.render(current() !== null),
    );
  }

  private render(show: boolean): void {
    const c = current();
    if (c !== null) {
      replaceChildren(
        this.root,
        el('span', { 'data-testid': 'signed-in-as' }, `signed in as ${c.user}`),
        ' ',
        el('button.link', { type: 'button', 'data-testid': 'sign-out', onclick: () => signOut() }, 'Sign out'),
      );
    } else if (show) {
      replaceChildren(
        this.root,
        el('button', { type: 'button', 'data-testid': 'sign-in', onclick: () => this.ask('') }, 'Sign in'),
      );
    } else {
      replaceChildren(this.root);
    }
  }

  /** The sign-in dialog; `why` says what led to it. */
  ask(why: string): void {
    if (this.open) return;
    this.open = true;
    const user = el('input', {
      type: 'text',
      name: 'user',
      autocomplete: 'username',
      required: true,
      'data-testid': 'sign-in-user',
    });
    const password = el('input', {
      type: 'password',
      name: 'password',
      autocomplete: 'current-password',
      'data-testid': 'sign-in-password',
    });
    const cancel = el('button', { type: 'button', 'data-testid': 'sign-in-cancel' }, 'Cancel');
    const submit = el('button.primary', { type: 'submit', 'data-testid': 'sign-in-submit' }, 'Sign in');
    const form = el(
      'form.sign-in-form',
      { method: 'dialog' },
      el('h2#sign-in-title', {}, 'Sign in'),
      why === '' ? null : el('p.confirm-detail', {}, why),
      el('label', {}, 'User ', user),
      el('label', {}, 'Password ', password),
      el('p.muted', {}, 'Sent to this member as HTTP basic auth with each request; kept for this tab only.'),
      el('div.dialog-buttons', {}, cancel, submit),
    );
    const dialog = el('dialog.confirm', { 'aria-labelledby': 'sign-in-title', 'data-testid': 'sign-in-dialog' }, form);
    const close = () => {
      this.open = false;
      dialog.close();
      dialog.remove();
    };
    cancel.addEventListener('click', close);
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      close();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (user.value === '') return;
      close();
      signIn({ user: user.value, password: password.value });
    });
    document.body.append(dialog);
    dialog.showModal();
    user.focus();
  }
}
