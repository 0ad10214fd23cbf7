import { readFileSync } from 'node:fs';
import { arch, platform, version as nodeVersion } from 'node:process';
import { envName, IGNORED_ETCD_KEYS, OPTIONS, UNSUPPORTED_ETCD_KEYS, type HelpGroup } from './options.js';

const GROUPS: readonly HelpGroup[] = ['Member', 'Clustering', 'Security', 'Logging'];

/** `kvd --help`: every key with its default, grouped like etcd's help. */
export function helpText(): string {
  const lines = [
    'Usage:',
    '',
    '  kvd [flags]',
    '    Start a kvd member.',
    '',
    '  kvd --version',
    '    Show the version of kvd.',
    '',
    '  kvd -h | --help',
    '    Show this help.',
    '',
    '  kvd --config-file <path>',
    '    Read settings from an etcd-style YAML configuration file (also KVD_CONFIG_FILE).',
    '',
    'Every flag is also a KVD_* environment variable (upper case, - as _: --data-dir is KVD_DATA_DIR)',
    "and a key of the YAML file, under etcd's names. Precedence: flags > KVD_* environment > file > defaults.",
  ];
  for (const group of GROUPS) {
    lines.push('', `${group}:`);
    for (const o of OPTIONS.filter((x) => x.group === group)) {
      const yaml = o.yamlPath.length > 1 ? ` [YAML: ${o.yamlPath.join('.')}]` : '';
      lines.push(`  --${o.flag} '${o.defaultText}'`, `    ${o.help}${yaml} (env ${envName(o.flag)})`);
    }
  }
  lines.push(
    '',
    'Accepted for compatibility with etcd files and command lines, and ignored:',
    wrap(IGNORED_ETCD_KEYS.map((k) => k.flag)),
    '',
    'etcd features kvd does not have (refused unless set to their "off" value):',
    wrap(UNSUPPORTED_ETCD_KEYS.map((k) => (k.off === '' ? k.flag : `${k.flag} (${k.off})`))),
  );
  return lines.join('\n') + '\n';
}

function wrap(words: readonly string[]): string {
  const lines: string[] = [];
  let line = ' ';
  for (const w of words) {
    if (line.length + w.length + 2 > 100) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${w}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** kvd's version from its package.json, found upwards from this module (lib/ or dist/lib/). */
export function kvdVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kvd' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json at this level: keep climbing
    }
    dir = new URL('..', dir);
  }
  return 'unknown';
}

/** `kvd --version`, shaped like etcd's. */
export function versionText(): string {
  return (
    [
      `kvd Version: ${kvdVersion()}`,
      'API: etcd v2',
      `Node Version: ${nodeVersion}`,
      `Node OS/Arch: ${platform}/${arch}`,
    ].join('\n') + '\n'
  );
}
