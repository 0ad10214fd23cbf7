import type { Logger } from 'pino';
import type { Metrics } from '../metrics/index.js';
import type { ConnectionOptions, PeerCertificate, SecureContextOptions } from 'node:tls';

export interface InitialMember {
  readonly name: string;
  readonly peerURLs: readonly string[];
}

/** Everything a member needs, already validated by lib/config. */
export interface MemberOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly initialCluster: readonly InitialMember[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly advertisePeerURLs: readonly string[];
  readonly advertiseClientURLs: readonly string[];
  readonly listenPeerURLs: readonly string[];
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotCount: number;
  readonly maxSnapshots: number;
  readonly maxWals: number;
  readonly segmentSize: number;
  /** How long a client waits for its write or quorum read before etcd's "request timed out". */
  readonly requestTimeoutMs: number;
  readonly peerServerTls?: (SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean }) | null;
  readonly peerClientTls?: ConnectionOptions | null;
  readonly verifyPeer?: (cert: PeerCertificate) => string | null;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called when a committed change removed this member from the cluster. */
  readonly onRemoved?: () => void;
  /** Called once the member stopped itself on a broken invariant (logged at fatal): the process should exit non-zero. */
  readonly onFatal?: (err: Error) => void;
}
