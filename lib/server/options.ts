import type { Logger } from 'pino';
import type { Metrics } from '../metrics/index.js';
import type { ConnectionOptions, PeerCertificate, SecureContextOptions } from 'node:tls';
import type { RetryPolicy } from '../discovery/index.js';
import type { Runtime } from '../runtime/index.js';

export interface InitialMember {
  readonly name: string;
  readonly peerURLs: readonly string[];
}

/** Where a member without a data dir gets its initial cluster from. */
export type InitialClusterSource =
  /** initialCluster as given. */
  | { readonly kind: 'static' }
  /** etcd's v2 discovery protocol; the URL is also the cluster token, as in etcd. */
  | {
      readonly kind: 'discovery';
      readonly url: string;
      readonly proxy?: string;
      readonly fallback: 'exit' | 'proxy';
      /** For an https:// discovery URL: trusted CA and client certificate. */
      readonly tls?: ConnectionOptions | null;
      readonly retry?: RetryPolicy;
    }
  /** DNS SRV records of a domain. */
  | {
      readonly kind: 'srv';
      readonly domain: string;
      readonly serviceName?: string;
      readonly resolvers: readonly string[];
    };

/** Everything a member needs, already validated by lib/config. */
export interface MemberOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly initialCluster: readonly InitialMember[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  /** Default: static (initialCluster). Ignored when the data dir already holds a member. */
  readonly initialClusterSource?: InitialClusterSource;
  /** etcd's force-new-cluster: start from the data dir as a new one-member cluster. */
  readonly forceNewCluster?: boolean;
  /** Minimum time between two progress log lines of a long log replay (default 5000 ms). */
  readonly progressIntervalMs?: number;
  readonly advertisePeerURLs: readonly string[];
  readonly advertiseClientURLs: readonly string[];
  readonly listenPeerURLs: readonly string[];
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotCount: number;
  readonly maxSnapshots: number;
  readonly maxWals: number;
  readonly segmentSize: number;
  /** Watches and atIndex reads that may wait for the log at once (default 256). */
  readonly historyScans?: number;
  /** Replays of the log for old watches run on a worker thread (default false: on the event loop). */
  readonly historyReplayThread?: boolean;
  /** Between the leader's replica hash checks (default 0: none). */
  readonly hashCheckIntervalMs?: number;
  /** How long a client waits for its write or quorum read before etcd's "request timed out". */
  readonly requestTimeoutMs: number;
  readonly peerServerTls?: (SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean }) | null;
  readonly peerClientTls?: ConnectionOptions | null;
  readonly verifyPeer?: (cert: PeerCertificate) => string | null;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Clock, randomness and scheduling (default: the real ones; tests and the simulation pass virtual ones). */
  readonly runtime?: Runtime;
  /** Called when a committed change removed this member from the cluster. */
  readonly onRemoved?: () => void;
  /** Called once the member stopped itself on a broken invariant (logged at fatal): the process should exit non-zero. */
  readonly onFatal?: (err: Error) => void;
}
