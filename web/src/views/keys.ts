// The key tree: directories open lazily, a key shows its value, indexes and
// TTL; set and delete ask for confirmation; a live watch lists events on a
// prefix as they happen.

import { currentIndex, deleteKey, getKey, RequestError, setKey, watchOnce, type V2Event, type V2Node } from '../api.js';
import { confirmAction } from '../confirm.js';
import { el, replaceChildren, setAttr, setText } from '../dom.js';
import { formatClock, formatCount, formatDuration, NONE } from '../format.js';
import { CREDENTIALS_CHANGED } from '../credentials.js';
import type { StatusLine } from '../status.js';

/** Events kept in the watch list; older ones drop off the bottom. */
const MAX_EVENTS = 200;
/** Entries of one directory shown in the tree; a huge directory would freeze the page. */
const MAX_CHILDREN = 1000;

interface TreeNode {
  readonly key: string;
  readonly dir: boolean;
  readonly li: HTMLLIElement;
  readonly toggle: HTMLButtonElement;
  readonly children: HTMLUListElement;
  expanded: boolean;
}

function baseName(key: string): string {
  if (key === '/') return '/';
  return key.slice(key.lastIndexOf('/') + 1);
}

function parentOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i <= 0 ? '/' : key.slice(0, i);
}

function normalizeKey(input: string): string {
  const k = '/' + input.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return k;
}

export class KeysView {
  readonly root = el('section.view#view-keys', { 'aria-labelledby': 'tab-keys' });
  private readonly nodes = new Map<string, TreeNode>();
  private readonly tree = el('ul.tree', { role: 'tree', 'data-testid': 'key-tree' });
  private readonly detail = el('div.key-detail', { 'data-testid': 'key-detail' });
  private readonly message = el('div.notice', { 'data-testid': 'keys-message' }, '\u00a0');
  private readonly keyInput = el('input', {
    type: 'text',
    name: 'key',
    placeholder: '/config/feature',
    required: true,
    autocomplete: 'off',
    'data-testid': 'set-key',
  });
  private readonly valueInput = el('textarea', {
    name: 'value',
    rows: 3,
    placeholder: 'value',
    'data-testid': 'set-value',
  });
  private readonly ttlInput = el('input', {
    type: 'number',
    name: 'ttl',
    min: 1,
    step: 1,
    placeholder: 'none',
    'data-testid': 'set-ttl',
  });
  private readonly watchInput = el('input', {
    type: 'text',
    name: 'prefix',
    value: '/',
    autocomplete: 'off',
    'data-testid': 'watch-prefix',
  });
  private readonly watchButton = el('button', { type: 'button', 'data-testid': 'watch-toggle' }, 'Start watching');
  private readonly watchState = el('span.watch-state', { 'data-testid': 'watch-state' }, 'not watching');
  private readonly events = el('ol.events', { 'data-testid': 'watch-events' });
  private watching: AbortController | null = null;
  private selected: string | null = null;
  private loadedOnce = false;

  constructor(private readonly status: StatusLine) {
    window.addEventListener(CREDENTIALS_CHANGED, this.onCredentials);
    const rootNode = this.makeNode('/', true);
    this.tree.append(rootNode.li);
    const refresh = el('button', { type: 'button', onclick: () => void this.reloadExpanded() }, 'Refresh');
    const form = el(
      'form.set-form',
      { 'data-testid': 'set-form' },
      el('h3', {}, 'Set a key'),
      el('label', {}, 'Key', this.keyInput),
      el('label', {}, 'Value', this.valueInput),
      el('label', {}, 'TTL in seconds (optional)', this.ttlInput),
      el('button.primary', { type: 'submit', 'data-testid': 'set-submit' }, 'Set…'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submitSet();
    });
    this.watchButton.addEventListener('click', () => (this.watching ? this.stopWatch() : this.startWatch()));
    this.watchInput.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !this.watching) this.startWatch();
    });
    replaceChildren(this.detail, el('p.muted', {}, 'Choose a key in the tree to see its value, indexes and TTL.'));
    this.root.append(
      el('h2', {}, 'Keys'),
      this.message,
      el(
        'div.keys-layout',
        {},
        el('div.panel.tree-panel', {}, el('div.panel-head', {}, el('h3', {}, 'Tree'), refresh), this.tree),
        el('div.keys-side', {}, el('div.panel', {}, this.detail), el('div.panel', {}, form)),
      ),
      el(
        'div.panel.watch-panel',
        {},
        el('div.panel-head', {}, el('h3', {}, 'Live watch'), this.watchState),
        el('div.watch-controls', {}, el('label', {}, 'Prefix', this.watchInput), this.watchButton),
        this.events,
      ),
    );
  }

  /** Signing in or out changes what the member shows: read it again. */
  private readonly onCredentials = (): void => {
    if (!this.loadedOnce) return;
    const root = this.nodes.get('/');
    if (root) void this.expand(root).then(() => this.reloadExpanded());
  };

  show(): void {
    this.root.hidden = false;
    if (!this.loadedOnce) {
      this.loadedOnce = true;
      void this.expand(this.nodes.get('/')!);
    }
  }

  hide(): void {
    this.root.hidden = true;
  }

  private say(text: string, level: 'info' | 'bad' | 'none'): void {
    setText(this.message, text === '' ? '\u00a0' : text);
    setAttr(this.message, 'data-level', level);
  }

  private makeNode(key: string, dir: boolean): TreeNode {
    const toggle = el(
      'button.tree-toggle',
      { type: 'button', 'aria-label': dir ? `Open ${key}` : `Show ${key}` },
      dir ? '▸' : '·',
    );
    const label = el(
      'button.tree-label',
      { type: 'button', 'data-key': key },
      dir ? `${baseName(key)}${key === '/' ? '' : '/'}` : baseName(key),
    );
    const children = el('ul', { role: 'group' });
    children.hidden = true;
    const li = el('li', { role: 'treeitem', 'data-key': key, 'data-dir': String(dir) }, toggle, label, children);
    if (dir) setAttr(li, 'aria-expanded', 'false');
    const node: TreeNode = { key, dir, li, toggle, children, expanded: false };
    const activate = () => {
      if (dir) void (node.expanded ? this.collapse(node) : this.expand(node));
      void this.select(key);
    };
    toggle.addEventListener('click', () =>
      dir ? void (node.expanded ? this.collapse(node) : this.expand(node)) : void this.select(key),
    );
    label.addEventListener('click', activate);
    this.nodes.set(key, node);
    return node;
  }

  private collapse(node: TreeNode): void {
    node.expanded = false;
    node.children.hidden = true;
    setText(node.toggle, '▸');
    setAttr(node.li, 'aria-expanded', 'false');
  }

  private async expand(node: TreeNode): Promise<void> {
    let ev: V2Event;
    try {
      ev = await getKey(node.key, { sorted: true });
    } catch (err) {
      if (err instanceof RequestError && err.etcd?.errorCode === 100 && node.key !== '/') {
        node.li.remove();
        this.nodes.delete(node.key);
        return;
      }
      this.status.failed('Keys', err);
      return;
    }
    const seen = new Set<string>();
    const items: Node[] = [];
    const all = ev.node.nodes ?? [];
    for (const child of all.slice(0, MAX_CHILDREN)) {
      if (child.key === undefined) continue;
      seen.add(child.key);
      const existing = this.nodes.get(child.key);
      const n =
        existing && existing.dir === Boolean(child.dir) ? existing : this.makeNode(child.key, Boolean(child.dir));
      items.push(n.li);
    }
    for (const [key] of this.nodes) {
      if (key !== node.key && parentOf(key) === node.key && !seen.has(key)) this.forget(key);
    }
    if (items.length === 0)
      items.push(el('li.empty', {}, node.key === '/' ? 'The store is empty: set a key below.' : 'empty directory'));
    if (all.length > MAX_CHILDREN)
      items.push(
        el(
          'li.empty',
          {},
          `… and ${formatCount(all.length - MAX_CHILDREN)} more, not shown (the first ${formatCount(MAX_CHILDREN)} in key order are)`,
        ),
      );
    node.children.replaceChildren(...items);
    node.expanded = true;
    node.children.hidden = false;
    setText(node.toggle, '▾');
    setAttr(node.li, 'aria-expanded', 'true');
    this.status.updated('Keys');
  }

  private forget(key: string): void {
    for (const k of [...this.nodes.keys()]) if (k === key || k.startsWith(key + '/')) this.nodes.delete(k);
  }

  private async reloadExpanded(): Promise<void> {
    for (const node of [...this.nodes.values()]) if (node.expanded && this.nodes.has(node.key)) await this.expand(node);
    if (this.selected !== null) await this.select(this.selected);
  }

  private async select(key: string): Promise<void> {
    this.selected = key;
    for (const n of this.nodes.values()) setAttr(n.li, 'aria-selected', n.key === key ? 'true' : null);
    let ev: V2Event;
    try {
      ev = await getKey(key);
    } catch (err) {
      if (err instanceof RequestError && err.etcd !== null) {
        replaceChildren(this.detail, el('p.muted', {}, `${key}: ${err.message}`));
        return;
      }
      this.status.failed('Keys', err);
      return;
    }
    if (this.selected !== key) return;
    this.showNode(ev.node);
  }

  private showNode(n: V2Node): void {
    const key = n.key ?? '/';
    const rows: [string, string][] = [
      ['Created index', formatCount(n.createdIndex)],
      ['Modified index', formatCount(n.modifiedIndex)],
      ['TTL', n.ttl !== undefined ? `${formatDuration(n.ttl * 1000)} left` : 'none (does not expire)'],
      ['Expires', n.expiration ?? NONE],
    ];
    const del = el(
      'button.danger',
      { type: 'button', 'data-testid': 'delete-key' },
      n.dir ? 'Delete directory…' : 'Delete…',
    );
    del.addEventListener('click', () => void this.confirmDelete(key, Boolean(n.dir), n.nodes?.length ?? 0));
    const edit = el('button', { type: 'button' }, 'Edit in the form');
    edit.addEventListener('click', () => {
      this.keyInput.value = key;
      this.valueInput.value = n.value ?? '';
      this.valueInput.focus();
    });
    replaceChildren(
      this.detail,
      el('h3.key-path', { 'data-testid': 'detail-key' }, key),
      n.dir
        ? el(
            'p.muted',
            {},
            `Directory with ${formatCount(n.nodes?.length ?? 0)} entr${(n.nodes?.length ?? 0) === 1 ? 'y' : 'ies'}.`,
          )
        : el('pre.value', { 'data-testid': 'detail-value' }, n.value ?? ''),
      el('dl.facts', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      key === '/' ? null : el('div.buttons', {}, n.dir ? null : edit, del),
    );
  }

  private async submitSet(): Promise<void> {
    const key = normalizeKey(this.keyInput.value);
    if (key === '/') {
      this.say('Give a key name, such as /config/feature.', 'bad');
      return;
    }
    const value = this.valueInput.value;
    const ttlText = this.ttlInput.value.trim();
    const ttl = ttlText === '' ? null : Number(ttlText);
    if (ttl !== null && (!Number.isInteger(ttl) || ttl < 1)) {
      this.say('The TTL must be a whole number of seconds, 1 or more (or empty for none).', 'bad');
      return;
    }
    const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
    const ok = await confirmAction(
      'Write to the cluster?',
      `Set ${key} to “${shown}”${ttl !== null ? ` for ${ttl} s` : ''}. This replaces any value it has now on every member.`,
      'Set key',
    );
    if (!ok) return;
    try {
      await setKey(key, value, ttl);
    } catch (err) {
      this.say(`Could not set ${key}: ${(err as Error).message}`, 'bad');
      return;
    }
    this.say(`${key} set.`, 'info');
    await this.revealKey(key);
  }

  private async confirmDelete(key: string, dir: boolean, children: number): Promise<void> {
    const detail = dir
      ? `Delete the directory ${key} and everything under it (${formatCount(children)} direct entr${children === 1 ? 'y' : 'ies'}) on every member. This cannot be undone.`
      : `Delete ${key} on every member. This cannot be undone.`;
    if (!(await confirmAction(dir ? 'Delete a directory?' : 'Delete a key?', detail, 'Delete'))) return;
    try {
      await deleteKey(key, dir);
    } catch (err) {
      this.say(`Could not delete ${key}: ${(err as Error).message}`, 'bad');
      return;
    }
    this.say(`${key} deleted.`, 'info');
    this.selected = null;
    replaceChildren(this.detail, el('p.muted', {}, `${key} was deleted.`));
    const parent = this.nodes.get(parentOf(key));
    if (parent?.expanded) await this.expand(parent);
  }

  /** Opens every directory down to a key and selects it. */
  private async revealKey(key: string): Promise<void> {
    const parts = key.split('/').filter((p) => p !== '');
    let dir = '/';
    await this.expand(this.nodes.get('/')!);
    for (const part of parts.slice(0, -1)) {
      dir = dir === '/' ? `/${part}` : `${dir}/${part}`;
      const node = this.nodes.get(dir);
      if (node === undefined) break;
      await this.expand(node);
    }
    await this.select(key);
  }

  private startWatch(): void {
    const prefix = normalizeKey(this.watchInput.value);
    const ctl = new AbortController();
    this.watching = ctl;
    setText(this.watchButton, 'Stop');
    setText(this.watchState, `connecting to ${prefix}…`);
    setAttr(this.watchState, 'data-state', 'wait');
    replaceChildren(this.events);
    void this.watchLoop(prefix, ctl.signal);
  }

  private stopWatch(): void {
    this.watching?.abort();
    this.watching = null;
    setText(this.watchButton, 'Start watching');
    setText(this.watchState, 'not watching');
    setAttr(this.watchState, 'data-state', null);
  }

  private async watchLoop(prefix: string, signal: AbortSignal): Promise<void> {
    let next: number | null = null;
    while (!signal.aborted) {
      try {
        if (next === null) next = (await currentIndex()) + 1;
        setText(this.watchState, `watching ${prefix} (and below) from index ${formatCount(next)}`);
        setAttr(this.watchState, 'data-state', 'live');
        const ev = await watchOnce(prefix, next, signal);
        if (signal.aborted) return;
        this.addEvent(ev);
        next = (ev.node.modifiedIndex ?? next) + 1;
      } catch (err) {
        if (signal.aborted) return;
        // 401: the events since `next` are no longer in the member's history; start again from now.
        if (err instanceof RequestError && err.etcd?.errorCode === 401) {
          this.addNote(`Events were missed (more than the member keeps happened); watching again from now.`);
          next = null;
          continue;
        }
        setText(this.watchState, `watch interrupted (${(err as Error).message}); reconnecting`);
        setAttr(this.watchState, 'data-state', 'wait');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private addEvent(ev: V2Event): void {
    const n = ev.node;
    const li = el(
      'li',
      { 'data-action': ev.action },
      el('span.when', {}, formatClock(Date.now())),
      el('span.action', {}, ev.action),
      el('span.event-key', {}, n.key ?? ''),
      el('span.event-value', {}, n.dir ? '(directory)' : n.value !== undefined ? `= ${n.value}` : ''),
      el('span.index', {}, `index ${formatCount(n.modifiedIndex)}`),
    );
    this.events.prepend(li);
    while (this.events.childElementCount > MAX_EVENTS) this.events.lastElementChild?.remove();
  }

  private addNote(text: string): void {
    this.events.prepend(el('li.note', {}, text));
  }
}
