import { CONFIG_FILE_FLAG, envName, IGNORED_ETCD_KEYS, OPTIONS, UNSUPPORTED_ETCD_KEYS } from './options.js';
import type { RawValues } from './source.js';
import type { ConfigNotice } from './types.js';

const FLAG_BY_ENV: ReadonlyMap<string, string> = new Map(
  [...OPTIONS, ...IGNORED_ETCD_KEYS, ...UNSUPPORTED_ETCD_KEYS, { flag: CONFIG_FILE_FLAG }].map((o) => [
    envName(o.flag),
    o.flag,
  ]),
);

export interface Environment {
  readonly values: RawValues;
  readonly notices: readonly ConfigNotice[];
}

/**
 * `KVD_<FLAG>` variables. An empty variable counts as unset (the shell idiom
 * `KVD_X= kvd`). Unknown `KVD_*` names are only warned about, as etcd does for
 * `ETCD_*`: the environment is shared with everything else in the process.
 */
export function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  const values: RawValues = new Map();
  const notices: ConfigNotice[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith('KVD_') || text === undefined || text === '') continue;
    const flag = FLAG_BY_ENV.get(variable);
    if (flag === undefined) {
      notices.push({
        level: 'warn',
        key: variable,
        message: `unrecognized environment variable ${variable}=${JSON.stringify(text)}: kvd ignores it`,
      });
      continue;
    }
    values.set(flag, { text, source: { kind: 'env', variable } });
  }
  return { values, notices };
}
