// /metrics on a real member: etcd's metric names, moving when traffic flows.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, httpRequest, startCluster } from '../support/procs.js';

function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  assert.ok(line, `metric ${name}${labels} missing`);
  return Number(line.split(' ').at(-1));
}

test('metrics carry etcd names and move when writes and reads flow', async (t) => {
  const [m] = await startCluster(t, 1);
  const before = (await httpRequest('GET', `${m!.clientURL}/metrics`)).body;
  assert.equal(sample(before, 'etcd_server_has_leader'), 1);
  assert.equal(sample(before, 'etcd_server_is_leader'), 1);
  assert.ok(sample(before, 'etcd_server_leader_changes_seen_total') >= 1);
  for (let i = 0; i < 20; i++) await httpRequest('PUT', `${m!.clientURL}/v2/keys/m${i}`, 'value=x');
  await httpRequest('GET', `${m!.clientURL}/v2/keys/missing`);
  const r = await httpRequest('GET', `${m!.clientURL}/metrics`);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const after = r.body;
  assert.ok(
    sample(after, 'etcd_server_proposals_applied_total') >= sample(before, 'etcd_server_proposals_applied_total') + 20,
  );
  assert.ok(
    sample(after, 'etcd_server_proposals_committed_total') >= sample(after, 'etcd_server_proposals_applied_total'),
  );
  assert.ok(
    sample(after, 'etcd_disk_wal_fsync_duration_seconds_count') >
      sample(before, 'etcd_disk_wal_fsync_duration_seconds_count'),
  );
  assert.ok(sample(after, 'etcd_http_received_total', '{method="PUT"}') >= 20);
  assert.equal(sample(after, 'etcd_http_failed_total', '{method="GET",code="404"}'), 1);
  assert.equal(sample(after, 'kvd_store_nodes'), 20);
  assert.ok(sample(after, 'kvd_store_index') >= 20);
  assert.ok(sample(after, 'process_resident_memory_bytes') > 0);
  assert.match(after, /^etcd_debugging_store_watchers /m);
  assert.match(after, /^# TYPE etcd_network_peer_round_trip_time_seconds histogram/m);
});

test('peer metrics move in a cluster', async (t) => {
  const members = await startCluster(t, 3);
  for (let i = 0; i < 10; i++) await httpRequest('PUT', `${members[0]!.clientURL}/v2/keys/p${i}`, 'value=x');
  // Round trips are sampled by periodic pings, so the first one is counted a while after start-up.
  const text = await eventually(
    async () => {
      const body = (await httpRequest('GET', `${members[0]!.clientURL}/metrics`)).body;
      return /^etcd_network_peer_round_trip_time_seconds_count\{To="[0-9a-f]+"\} [1-9]/m.test(body) ? body : null;
    },
    10_000,
    'a peer round trip to be counted',
  );
  assert.match(text, /^etcd_network_peer_sent_bytes_total\{To="[0-9a-f]+"\} [1-9]/m);
  assert.match(text, /^etcd_network_peer_received_bytes_total\{From="[0-9a-f]+"\} [1-9]/m);
  assert.match(text, /^etcd_network_peer_round_trip_time_seconds_count\{To="[0-9a-f]+"\} [1-9]/m);
});
