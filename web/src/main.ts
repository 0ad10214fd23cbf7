// The dashboard page: a header naming the member that serves it, three views
// behind tabs (latency first), and a status line saying how fresh they are.

import './style.css';
import type { ClusterReport, LatencyReport } from '../../lib/server/dashboard-types.js';
import { fetchLatency } from './api.js';
import { el, setAttr, setText } from './dom.js';
import { memberLabel } from './format.js';
import { SignIn } from './signin.js';
import { StatusLine } from './status.js';
import { ClusterView } from './views/cluster.js';
import { KeysView } from './views/keys.js';
import { LatencyView } from './views/latency.js';

type ViewId = 'latency' | 'cluster' | 'keys';

interface View {
  readonly root: HTMLElement;
  show(): void;
  hide(): void;
}

const TABS: readonly { id: ViewId; label: string }[] = [
  { id: 'latency', label: 'Leader latency' },
  { id: 'cluster', label: 'Cluster' },
  { id: 'keys', label: 'Keys' },
];

function start(): void {
  const status = new StatusLine();
  const servedBy = el('span.served-by', { 'data-testid': 'served-by' }, '\u00a0');
  const showServedBy = (self: string, role: string) => {
    setText(servedBy, `served by ${self}, ${role}`);
    document.title = `kvd · ${self}`;
  };
  const onLatency = (r: LatencyReport) => {
    const role =
      r.via === 'self'
        ? 'the leader'
        : r.leader
          ? `a follower of ${memberLabel(r.leader.id, r.names)}`
          : 'without a leader';
    showServedBy(memberLabel(r.servedBy, r.names), role);
  };
  const onCluster = (r: ClusterReport) => {
    const self = r.members.find((m) => m.id === r.servedBy);
    const leader = r.members.find((m) => m.id === self?.status?.leader);
    const role =
      self?.status?.role === 'leader'
        ? 'the leader'
        : leader
          ? `a follower of ${leader.name || leader.id}`
          : 'without a leader';
    showServedBy(self?.name || r.servedBy, role);
  };
  const views: Record<ViewId, View> = {
    latency: new LatencyView(status, onLatency),
    cluster: new ClusterView(status, onCluster),
    keys: new KeysView(status),
  };
  const nav = el('nav.tabs', { 'aria-label': 'Views' });
  const tabs = new Map<ViewId, HTMLAnchorElement>();
  for (const t of TABS) {
    const a = el('a', { href: `#${t.id}`, id: `tab-${t.id}`, 'data-view': t.id }, t.label);
    tabs.set(t.id, a);
    nav.append(a);
  }
  const main = el('main');
  for (const v of Object.values(views)) {
    v.root.hidden = true;
    main.append(v.root);
  }
  const signIn = new SignIn();
  document.body.append(el('header.top', {}, el('h1', {}, 'kvd'), servedBy, signIn.root, nav), status.root, main);
  let current: ViewId | null = null;
  const route = () => {
    const wanted = (location.hash.replace(/^#/, '') || 'latency') as ViewId;
    const id: ViewId = wanted in views ? wanted : 'latency';
    if (id === current) return;
    if (current !== null) views[current].hide();
    current = id;
    for (const [tid, a] of tabs) setAttr(a, 'aria-current', tid === id ? 'page' : null);
    views[id].show();
  };
  window.addEventListener('hashchange', route);
  route();
  // The keys view fetches no member status: name the member once for its header.
  if (current === 'keys') fetchLatency(1).then(onLatency, () => {});
}

start();
