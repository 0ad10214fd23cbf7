// Who the dashboard speaks as when the cluster has auth enabled: a user name
// and password kept for this browser tab only (sessionStorage, never
// localStorage), sent as HTTP basic auth with every request to the member.

const KEY = 'kvd.credentials';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** Told when the member refused a request for want of credentials (a 401). */
export const AUTH_REQUIRED = 'kvd-auth-required';
/** Told when the user signed in or out. */
export const CREDENTIALS_CHANGED = 'kvd-credentials-changed';

export function current(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return null;
    const c = JSON.parse(raw) as Partial<Credentials>;
    return typeof c.user === 'string' && typeof c.password === 'string' ? { user: c.user, password: c.password } : null;
  } catch {
    return null;
  }
}

export function signIn(c: Credentials): void {
  sessionStorage.setItem(KEY, JSON.stringify(c));
  window.dispatchEvent(new Event(CREDENTIALS_CHANGED));
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event(CREDENTIALS_CHANGED));
}

/** The Authorization header value for the signed-in user, or null. UTF-8, as curl and Go clients send it. */
export function authorization(): string | null {
  const c = current();
  if (c === null) return null;
  const bytes = new TextEncoder().encode(`${c.user}:${c.password}`);
  let latin1 = '';
  for (const b of bytes) latin1 += String.fromCharCode(b);
  return `Basic ${btoa(latin1)}`;
}

export function authRequired(): void {
  window.dispatchEvent(new Event(AUTH_REQUIRED));
}
