// etcd's DNS bootstrap (--discovery-srv): the initial cluster is read from the
// SRV records _etcd-server-ssl[-name]._tcp.<domain> (https peer URLs) and
// _etcd-server[-name]._tcp.<domain> (http), one member per record; the
// records whose target and port resolve to this member's advertised peer URLs
// are this member.

import dns from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { DiscoveryError } from './errors.js';

export interface SrvOptions {
  readonly domain: string;
  /** etcd's discovery-srv-name: queries _etcd-server-<name>._tcp. */
  readonly serviceName?: string;
  /** DNS servers (ip:port) to ask instead of the system's. */
  readonly resolvers?: readonly string[];
  /** This member's advertised peer URLs. */
  readonly peerURLs: readonly string[];
  readonly logger: Logger;
}

export interface SrvCluster {
  /**
   * Every member, with no names: only this member knows its own, and the
   * first log entries every member writes from this list must be the same.
   */
  readonly members: { readonly name: ''; readonly peerURLs: readonly string[] }[];
  /** Which of them is this member. */
  readonly self: number;
}

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

export async function srvCluster(opts: SrvOptions): Promise<SrvCluster> {
  const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
  if (opts.resolvers !== undefined && opts.resolvers.length > 0) resolver.setServers([...opts.resolvers]);
  const suffix = opts.serviceName ? `-${opts.serviceName}` : '';
  const services = [
    { scheme: 'https', name: `_etcd-server-ssl${suffix}._tcp.${opts.domain}` },
    { scheme: 'http', name: `_etcd-server${suffix}._tcp.${opts.domain}` },
  ];
  const selfAddrs = new Map<string, string>();
  for (const u of opts.peerURLs) {
    const url = new URL(u);
    for (const a of await addresses(resolver, bare(url.hostname))) selfAddrs.set(`${a}|${port(url)}`, u);
  }
  const selfURLs: string[] = [];
  const others: string[] = [];
  const problems: string[] = [];
  for (const service of services) {
    let records: dns.SrvRecord[];
    try {
      records = await resolver.resolveSrv(service.name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      problems.push(
        NO_RECORDS.has(code) ? `${service.name}: no records` : `${service.name}: ${(err as Error).message}`,
      );
      continue;
    }
    for (const r of records) {
      const target = r.name.replace(/\.$/, '');
      const url = `${service.scheme}://${isIP(target) === 6 ? `[${target}]` : target}:${r.port}`;
      const mine = (await addresses(resolver, target))
        .map((a) => selfAddrs.get(`${a}|${r.port}`))
        .find((u) => u !== undefined);
      if (mine !== undefined && !mine.startsWith(`${service.scheme}:`)) {
        throw new DiscoveryError(
          'SRV',
          `discovery-srv: bootstrap at ${url} from DNS for ${service.name} has scheme mismatch with expected peer ${mine}: ` +
            `publish this member under _etcd-server${service.scheme === 'https' ? '' : '-ssl'}${suffix}._tcp instead, or advertise a ${service.scheme} peer URL`,
        );
      }
      opts.logger.info(
        { record: service.name, url, self: mine !== undefined },
        'got bootstrap from DNS for etcd-server',
      );
      (mine !== undefined ? selfURLs : others).push(url);
    }
  }
  if (selfURLs.length === 0 && others.length === 0) {
    throw new DiscoveryError(
      'SRV',
      `discovery-srv: error querying DNS SRV records for ${services.map((s) => s.name).join(' and ')} (${problems.join('; ')}): ` +
        "publish the members' peer ports in those records, or bootstrap with initial-cluster",
    );
  }
  if (selfURLs.length === 0) {
    throw new DiscoveryError(
      'SRV',
      `discovery-srv: cannot find this member in the SRV records of ${opts.domain} (they name ${others.join(', ')}): ` +
        `add a record whose target and port resolve to one of its initial-advertise-peer-urls (${opts.peerURLs.join(', ')})`,
    );
  }
  const members: SrvCluster['members'] = [
    { name: '', peerURLs: selfURLs },
    ...others.map((u) => ({ name: '' as const, peerURLs: [u] })),
  ];
  return { members, self: 0 };
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

function port(url: URL): string {
  return url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
}

/** The host's addresses: its DNS records, else what the system resolves it to (/etc/hosts). */
async function addresses(resolver: dns.promises.Resolver, host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const found: string[] = [];
  for (const lookup of [(h: string) => resolver.resolve4(h), (h: string) => resolver.resolve6(h)]) {
    try {
      found.push(...(await lookup(host)));
    } catch {
      // no records of this family
    }
  }
  if (found.length > 0) return found;
  try {
    return (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}
