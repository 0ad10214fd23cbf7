// Every member: who it is, where it stands in raft and how it is doing;
// writes, reads and WAL fsync latency over the last minutes; leader changes.

import type { ClusterReport, LeaderChange, MemberRow, StatusSample } from '../../../lib/server/dashboard-types.js';
import { fetchCluster } from '../api.js';
import { lineStyle, swatch, TimeChart } from '../chart.js';
import { el, KeyedRows, replaceChildren, setAttr, setText } from '../dom.js';
import { formatClock, formatCount, formatDuration, formatMs, formatRate, NONE } from '../format.js';
import { Poller } from '../poller.js';
import { alignedSeries, clusterSummary, healthOf, meanOver, mergeSamples, newestSecond } from '../shape.js';
import type { StatusLine } from '../status.js';

const KEEP_SECONDS = 600;
const CHART_SECONDS = 300;

interface Member {
  row: MemberRow;
  samples: StatusSample[];
  index: number;
}

const COLUMNS = [
  'Member',
  'Role',
  'Health',
  'Term',
  'Commit',
  'Applied',
  'Reads',
  'Writes',
  'fsync p99',
  'Up',
] as const;
const NUMERIC = new Set<string>(['Term', 'Commit', 'Applied', 'Reads', 'Writes', 'fsync p99', 'Up']);

export class ClusterView {
  readonly root = el('section.view#view-cluster', { 'aria-labelledby': 'tab-cluster' });
  private readonly poller = new Poller(() => this.refresh(), 2000);
  private readonly members = new Map<string, Member>();
  private readonly summary = el('p.summary-line', { 'data-testid': 'cluster-summary' }, '\u00a0');
  private readonly tbody = el('tbody');
  private readonly rows: KeyedRows<Member, HTMLTableRowElement>;
  private readonly writes: TimeChart;
  private readonly reads: TimeChart;
  private readonly fsync: TimeChart;
  private readonly legend = el('div.legend');
  private readonly changes = el('ol.changes', { 'data-testid': 'leader-changes' });
  private readonly memberOrder: string[] = [];

  constructor(
    private readonly status: StatusLine,
    private readonly onReport: (r: ClusterReport) => void,
  ) {
    const head = el('tr', {}, ...COLUMNS.map((c) => el(`th.${NUMERIC.has(c) ? 'num' : 'text'}`, { scope: 'col' }, c)));
    const table = el(
      'table.data.members',
      { 'data-testid': 'members' },
      el('caption', {}, 'Reads and writes per second over the last 10 s; fsync p99 over the last minute.'),
      el('thead', {}, head),
      this.tbody,
    );
    this.rows = new KeyedRows(
      this.tbody,
      (m) => this.makeRow(m),
      (tr, m) => this.updateRow(tr, m),
    );
    const box = (title: string) => {
      const chart = el('div');
      return { root: el('figure.panel', {}, el('figcaption', {}, title), chart), chart };
    };
    const w = box('Writes applied per second');
    const r = box('Reads served per second');
    const f = box('WAL fsync p99 per second');
    this.writes = new TimeChart(w.chart, {
      height: 180,
      unit: '/s',
      format: formatRate,
      label: 'Writes applied per second, per member',
      emptyText: 'No samples yet.',
    });
    this.reads = new TimeChart(r.chart, {
      height: 180,
      unit: '/s',
      format: formatRate,
      label: 'Reads served per second, per member',
      emptyText: 'No samples yet.',
    });
    this.fsync = new TimeChart(f.chart, {
      height: 180,
      unit: 'ms',
      format: formatMs,
      log: true,
      label: 'WAL fsync p99 per second, per member',
      emptyText: 'No fsync in the last 5 minutes: nothing was written.',
    });
    this.root.append(
      el('h2', {}, 'Cluster'),
      this.summary,
      el('div.table-wrap', {}, table),
      this.legend,
      el('div.panels', {}, w.root, r.root, f.root),
      el('h3', {}, 'Leader changes seen by this member'),
      this.changes,
    );
  }

  show(): void {
    this.root.hidden = false;
    this.poller.start();
  }

  hide(): void {
    this.root.hidden = true;
    this.poller.stop();
  }

  private since(): number {
    let since = Infinity;
    for (const m of this.members.values()) since = Math.min(since, newestSecond(m.samples));
    return Number.isFinite(since) ? since : 0;
  }

  private async refresh(): Promise<void> {
    let report: ClusterReport;
    try {
      report = await fetchCluster(this.since());
    } catch (err) {
      this.status.failed('Cluster', err);
      return;
    }
    this.onReport(report);
    this.render(report);
    this.status.updated('Cluster');
  }

  private render(r: ClusterReport): void {
    const nowSeconds = Math.floor(r.now / 1000);
    const ids = new Set(r.members.map((m) => m.id));
    for (const id of [...this.members.keys()]) if (!ids.has(id)) this.members.delete(id);
    for (const row of r.members) {
      if (!this.memberOrder.includes(row.id)) this.memberOrder.push(row.id);
      const held = this.members.get(row.id);
      const incoming = row.status?.samples ?? [];
      this.members.set(row.id, {
        row,
        samples: mergeSamples(held?.samples ?? [], incoming, nowSeconds, KEEP_SECONDS),
        index: this.memberOrder.indexOf(row.id),
      });
    }
    const list = [...this.members.values()].sort((a, b) =>
      (a.row.name || a.row.id).localeCompare(b.row.name || b.row.id),
    );
    setText(this.summary, clusterSummary(r.members));
    setAttr(this.summary, 'data-state', r.members.every((m) => healthOf(m) === 'healthy') ? 'ok' : 'warn');
    this.rows.render(list, (m) => m.row.id);
    const lines = list.map((m) => ({ label: m.row.name || m.row.id, style: lineStyle(m.index) }));
    replaceChildren(this.legend, ...lines.map((l) => el('span.legend-item', {}, swatch(l.style), l.label)));
    this.writes.update(
      lines,
      alignedSeries(list, (s) => s.writesPerSecond, nowSeconds, CHART_SECONDS),
    );
    this.reads.update(
      lines,
      alignedSeries(list, (s) => s.readsPerSecond, nowSeconds, CHART_SECONDS),
    );
    this.fsync.update(
      lines,
      alignedSeries(list, (s) => s.fsyncP99Ms, nowSeconds, CHART_SECONDS),
    );
    const self = r.members.find((m) => m.id === r.servedBy);
    this.renderChanges(self?.status?.leaderChanges ?? [], r);
  }

  private renderChanges(changes: readonly LeaderChange[], r: ClusterReport): void {
    const names: Record<string, string> = {};
    for (const m of r.members) names[m.id] = m.name || m.id;
    const items = [...changes]
      .reverse()
      .slice(0, 20)
      .map((c) =>
        el(
          'li',
          { 'data-state': c.leader === '' ? 'bad' : 'ok' },
          el('span.when', {}, formatClock(c.t * 1000)),
          ' ',
          c.leader === '' ? '▲ no leader' : `● ${names[c.leader] ?? c.leader} leads`,
          el('span.term', {}, ` term ${c.term}`),
        ),
      );
    replaceChildren(this.changes, ...(items.length > 0 ? items : [el('li', {}, 'None since this member started.')]));
  }

  private makeRow(m: Member): HTMLTableRowElement {
    const tr = el('tr', { 'data-member': m.row.id });
    for (const c of COLUMNS) {
      const td = el(`td.${NUMERIC.has(c) ? 'num' : 'text'}`);
      td.dataset.col = c;
      tr.append(td);
    }
    return tr;
  }

  private updateRow(tr: HTMLTableRowElement, m: Member): void {
    const cell = (c: (typeof COLUMNS)[number]) => tr.querySelector<HTMLTableCellElement>(`td[data-col="${c}"]`)!;
    const s = m.row.status;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const health = healthOf(m.row);
    const nameCell = cell('Member');
    if (nameCell.dataset.index !== String(m.index)) {
      nameCell.dataset.index = String(m.index);
      replaceChildren(
        nameCell,
        el('div', {}, swatch(lineStyle(m.index)), el('span.member-name'), el('span.member-id')),
        el('div.member-urls'),
      );
    }
    setText(nameCell.querySelector('.member-name')!, m.row.name || '(not started)');
    setText(nameCell.querySelector('.member-id')!, m.row.id);
    const urls = `peer ${m.row.peerURLs.join(' ')}${m.row.clientURLs.length > 0 ? ` · client ${m.row.clientURLs.join(' ')}` : ''}`;
    setText(nameCell.querySelector('.member-urls')!, urls);
    setAttr(nameCell, 'title', urls);
    setAttr(tr, 'data-health', health);
    setText(
      cell('Role'),
      s ? (s.role === 'leader' ? '★ leader' : s.role === 'candidate' ? '◆ candidate' : 'follower') : NONE,
    );
    setText(
      cell('Health'),
      health === 'healthy'
        ? '● healthy'
        : health === 'unhealthy'
          ? `▲ ${s?.unhealthy ?? ''}`
          : health === 'unreachable'
            ? `■ no answer: ${m.row.problem ?? ''}`
            : '○ added, not started',
    );
    setAttr(cell('Health'), 'title', m.row.problem ?? s?.unhealthy ?? null);
    setText(cell('Term'), formatCount(s?.term));
    setText(cell('Commit'), formatCount(s?.commit));
    setText(cell('Applied'), formatCount(s?.applied));
    setText(cell('Reads'), formatRate(meanOver(m.samples, (x) => x.readsPerSecond, nowSeconds, 10)));
    setText(cell('Writes'), formatRate(meanOver(m.samples, (x) => x.writesPerSecond, nowSeconds, 10)));
    setText(cell('fsync p99'), s ? (s.fsync.count === 0 ? 'none' : formatMs(s.fsync.p99Ms)) : NONE);
    setText(cell('Up'), s ? formatDuration(Date.now() - s.startedAt) : NONE);
  }
}
