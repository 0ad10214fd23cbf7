// A few helpers to build and update the page without a framework. Views
// build their elements once and then only change text and attributes, so
// nothing moves while numbers update.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

/** Creates an element: el('td.num', { title: 'x' }, 'text', child). */
export function el<K extends keyof HTMLElementTagNameMap>(
  spec: K | `${K}.${string}` | `${K}#${string}`,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const tag = /^[a-z0-9]+/.exec(spec)![0];
  const node = document.createElement(tag as K);
  for (const [, sign, name] of spec.slice(tag.length).matchAll(/([.#])([^.#]+)/g)) {
    if (sign === '#') node.id = name!;
    else node.classList.add(name!);
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') node.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) node.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** Sets text only when it changed (no needless layout work). */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets or removes an attribute only when it changed. */
export function setAttr(node: Element, name: string, value: string | null): void {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** Replaces a node's children. */
export function replaceChildren(node: Element, ...children: Child[]): void {
  node.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/**
 * Keeps one row per key in a container, in the given order: rows for new keys
 * are made, rows for gone keys removed, existing rows updated in place.
 */
export class KeyedRows<T, R extends Element> {
  private readonly rows = new Map<string, R>();

  constructor(
    private readonly container: Element,
    private readonly make: (item: T) => R,
    private readonly update: (row: R, item: T) => void,
  ) {}

  render(items: readonly T[], keyOf: (item: T) => string): void {
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      let row = this.rows.get(key);
      if (row === undefined) {
        row = this.make(item);
        this.rows.set(key, row);
      }
      this.update(row, item);
      const expectedNext: ChildNode | null = previous === null ? this.container.firstChild : previous.nextSibling;
      if (expectedNext !== row) this.container.insertBefore(row, expectedNext);
      previous = row;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.remove();
        this.rows.delete(key);
      }
    }
  }
}
