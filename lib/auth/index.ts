// etcd v2 authentication and authorization: users, roles, key permissions
// and the enabled flag as state-machine data, and the checks a request goes
// through.

export { Authenticator, parseCredentials, type Credentials, type Identity, type RefusalReason } from './access.js';
export { decodeAuthData, describeAuthData, encodeAuthData } from './codec.js';
export {
  AuthError,
  GUEST,
  isAuthOperation,
  ROOT,
  type AuthChange,
  type AuthOperation,
  type KvPermissions,
  type Role,
  type User,
} from './model.js';
export { Passwords, PasswordQueueFull, type PasswordsOptions } from './passwords.js';
export { AuthState, type AuthData, type AuthView } from './state.js';

import type { AuthChange, AuthOperation } from './model.js';
import type { AuthView } from './state.js';

/** What the client API needs from a member for auth: the replicated data to read, and a way to change it through the log. */
export interface AuthService {
  readonly authView: AuthView;
  /** Commits the change; resolves once applied here, rejects with AuthError when refused (or with the server's error). */
  changeAuth(op: AuthOperation): Promise<AuthChange>;
}
