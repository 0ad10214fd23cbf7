import type { LogLevel } from '../log/index.js';

/** A validated http(s) URL with an explicit port, no path, query or credentials. */
export interface KvdUrl {
  /** Normalized form: `scheme://host:port` (IPv6 hosts in brackets), no trailing slash. */
  readonly href: string;
  readonly scheme: 'http' | 'https';
  /** Host name or IP address, without brackets; what `listen()` takes. */
  readonly host: string;
  readonly port: number;
}

export interface ClusterMember {
  readonly name: string;
  /** Normalized URLs (`KvdUrl.href`), in the order given. */
  readonly peerURLs: readonly string[];
}

/** etcd's `client-transport-security`. File paths are as given (relative to the working directory). */
export interface TransportSecurity {
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly clientCertAuth: boolean;
  readonly trustedCaFile: string | undefined;
  readonly autoTls: boolean;
}

/** etcd's `peer-transport-security`, with the peer-only certificate identity checks. */
export interface PeerTransportSecurity extends TransportSecurity {
  /** A peer's client certificate must carry this subject common name. */
  readonly allowedCn: string | undefined;
  /** A peer's client certificate must be valid for this host name (or IP). */
  readonly allowedHostname: string | undefined;
}

export type ClusterState = 'new' | 'existing';

/** What a member refused by a full discovery cluster is asked to do (kvd exits either way). */
export type DiscoveryFallback = 'exit' | 'proxy';

/** How a new member learns the initial cluster when initial-cluster does not list it. */
export type ClusterBootstrap =
  | { readonly kind: 'static' }
  /** etcd's v2 discovery protocol against the discovery URL (the token is its path). */
  | {
      readonly kind: 'discovery';
      readonly url: string;
      readonly fallback: DiscoveryFallback;
      readonly proxy: string | undefined;
    }
  /** DNS SRV records of a domain: _etcd-server-ssl[-name]._tcp and _etcd-server[-name]._tcp. */
  | {
      readonly kind: 'srv';
      readonly domain: string;
      readonly serviceName: string | undefined;
      readonly resolvers: readonly string[];
    };

/**
 * Something worth logging about how the configuration was read (an ignored etcd
 * key, an unused setting). The logger only exists once the configuration does,
 * so the caller logs these after creating it.
 */
export interface ConfigNotice {
  readonly level: 'debug' | 'warn';
  readonly key: string;
  readonly message: string;
}

export interface KvdConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly KvdUrl[];
  readonly advertiseClientUrls: readonly KvdUrl[];
  readonly listenPeerUrls: readonly KvdUrl[];
  readonly initialAdvertisePeerUrls: readonly KvdUrl[];
  readonly initialCluster: readonly ClusterMember[];
  readonly initialClusterState: ClusterState;
  readonly initialClusterToken: string;
  /** Where a member without a data dir gets its initial cluster from. */
  readonly bootstrap: ClusterBootstrap;
  /** Start from the data dir as a new one-member cluster (etcd's force-new-cluster). */
  readonly forceNewCluster: boolean;
  readonly snapshotCount: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** 0 keeps every snapshot. */
  readonly maxSnapshots: number;
  /** 0 keeps every segment. */
  readonly maxWals: number;
  /** Bytes after which a log segment rolls. */
  readonly segmentSize: number;
  /** Watches and atIndex reads that may wait for the log at once. */
  readonly historyScans: number;
  /** Replays of the log for old watches run on a worker thread. */
  readonly historyReplayThread: boolean;
  /** Seconds between the leader's replica hash checks; 0: none. */
  readonly hashCheckInterval: number;
  /** Serve the built-in dashboard at /dashboard/ on the client URLs. */
  readonly dashboard: boolean;
  readonly logLevel: LogLevel;
  readonly clientTransportSecurity: TransportSecurity;
  readonly peerTransportSecurity: PeerTransportSecurity;
  /** The YAML file read, if any. */
  readonly configFile: string | undefined;
  readonly notices: readonly ConfigNotice[];
}
