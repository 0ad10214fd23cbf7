import { parseCommandLine } from './flags.js';

export { loadConfig } from './load.js';
export { ConfigError, type ConfigErrorCode } from './errors.js';
export { helpText, kvdVersion, versionText } from './help.js';
export type {
  ClusterBootstrap,
  ClusterMember,
  ClusterState,
  ConfigNotice,
  DiscoveryFallback,
  KvdConfig,
  KvdUrl,
  PeerTransportSecurity,
  TransportSecurity,
} from './types.js';

/**
 * What the command line asks for: help and version win over starting (and over
 * other flags' values), but an unknown flag is still refused with ConfigError.
 */
export function commandLineAction(argv: readonly string[]): 'help' | 'version' | 'start' {
  const { help, version } = parseCommandLine(argv);
  return help ? 'help' : version ? 'version' : 'start';
}
