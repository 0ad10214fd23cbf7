// The first view: how long each follower takes to answer the leader, live,
// and which follower the majority (so every write) waits for.

import type { FollowerLatency, LatencyReport } from '../../../lib/server/dashboard-types.js';
import { fetchLatency } from '../api.js';
import { lineStyle, swatch, TimeChart } from '../chart.js';
import { el, KeyedRows, setAttr, setText } from '../dom.js';
import { formatCount, formatDuration, formatMs, memberLabel } from '../format.js';
import { Poller } from '../poller.js';
import { followerState, latencySeries } from '../shape.js';
import type { StatusLine } from '../status.js';

const WINDOWS = [
  { seconds: 60, label: '1 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 600, label: '10 min' },
] as const;

interface Row {
  readonly tr: HTMLTableRowElement;
  readonly swatchCell: HTMLTableCellElement;
  readonly name: HTMLElement;
  readonly id: HTMLElement;
  readonly state: HTMLTableCellElement;
  readonly cells: Record<'current' | 'average' | 'p99' | 'minimum' | 'maximum' | 'failures', HTMLTableCellElement>;
}

function card(title: string): { root: HTMLElement; value: HTMLElement; detail: HTMLElement } {
  const value = el('div.card-value', {}, '–');
  const detail = el('div.card-detail', {}, '\u00a0');
  return { root: el('div.card', {}, el('div.card-title', {}, title), value, detail), value, detail };
}

export class LatencyView {
  readonly root = el('section.view#view-latency', { 'aria-labelledby': 'tab-latency' });
  private seconds = 300;
  private readonly poller = new Poller(() => this.refresh(), 1000);
  private readonly slowest = card('Slowest of the majority');
  private readonly leader = card('Leader');
  private readonly answering = card('Followers answering');
  private readonly notice = el('div.notice', { 'data-testid': 'latency-notice' });
  private readonly chartBox = el('div');
  private readonly chart: TimeChart;
  private readonly explain = el('div.chart-explain');
  private readonly windowLabel = el('span.window-label');
  private readonly tbody = el('tbody');
  private readonly rows: KeyedRows<
    FollowerLatency & { index: number; names: Record<string, string>; slowest: boolean },
    HTMLTableRowElement
  >;
  private readonly rowParts = new WeakMap<HTMLTableRowElement, Row>();
  private readonly windowButtons: HTMLButtonElement[] = [];

  constructor(
    private readonly status: StatusLine,
    private readonly onReport: (r: LatencyReport) => void,
  ) {
    const toolbar = el(
      'div.toolbar',
      {},
      el(
        'h2',
        {},
        'Latency from the leader to each follower',
        el('span.h-note', {}, ' slowest answer in each second, log scale'),
      ),
    );
    const group = el('div.segmented', { role: 'group', 'aria-label': 'Time window' });
    for (const w of WINDOWS) {
      const b = el(
        'button',
        { type: 'button', 'data-seconds': w.seconds, onclick: () => this.setWindow(w.seconds) },
        w.label,
      );
      this.windowButtons.push(b);
      group.append(b);
    }
    toolbar.append(group);
    this.chart = new TimeChart(this.chartBox, {
      height: 280,
      unit: 'ms',
      format: formatMs,
      log: true,
      label: 'Slowest round trip from the leader to each follower in each second',
    });
    const chartArea = el('div.chart-area', {}, this.chartBox, this.explain);
    const head = el(
      'tr',
      {},
      el('th.col-swatch', { scope: 'col' }, el('span.sr-only', {}, 'Line')),
      el('th.col-name', { scope: 'col' }, 'Follower'),
      el('th.col-state', { scope: 'col' }, 'State'),
      el('th.num', { scope: 'col' }, 'Current'),
      el('th.num', { scope: 'col' }, 'Average'),
      el('th.num', { scope: 'col' }, 'p99'),
      el('th.num', { scope: 'col' }, 'Min'),
      el('th.num', { scope: 'col' }, 'Max'),
      el('th.num', { scope: 'col' }, 'Failures'),
    );
    const table = el(
      'table.data.followers',
      { 'data-testid': 'followers' },
      el('caption', {}, 'Figures over the last ', this.windowLabel, '; current is the last answer.'),
      el('thead', {}, head),
      this.tbody,
    );
    this.rows = new KeyedRows(
      this.tbody,
      (f) => this.makeRow(f),
      (tr, f) => this.updateRow(tr, f),
    );
    this.root.append(
      el('div.cards', {}, this.slowest.root, this.leader.root, this.answering.root),
      this.notice,
      toolbar,
      chartArea,
      el('div.table-wrap', {}, table),
    );
    this.setWindow(this.seconds, false);
  }

  show(): void {
    this.root.hidden = false;
    this.poller.start();
  }

  hide(): void {
    this.root.hidden = true;
    this.poller.stop();
  }

  private setWindow(seconds: number, refresh = true): void {
    this.seconds = seconds;
    for (const b of this.windowButtons) setAttr(b, 'aria-pressed', String(Number(b.dataset.seconds) === seconds));
    setText(this.windowLabel, WINDOWS.find((w) => w.seconds === seconds)!.label);
    if (refresh) this.poller.now();
  }

  private async refresh(): Promise<void> {
    let report: LatencyReport;
    try {
      report = await fetchLatency(this.seconds);
    } catch (err) {
      this.status.failed('Latency', err);
      return;
    }
    this.onReport(report);
    this.render(report);
    this.status.updated('Latency');
  }

  private render(r: LatencyReport): void {
    const view = r.view;
    const names = { ...r.names };
    const leaderName = r.leader ? memberLabel(r.leader.id, names) : 'none';
    setText(this.leader.value, leaderName);
    setText(
      this.leader.detail,
      r.leader === null
        ? 'no leader elected'
        : r.via === 'leader'
          ? 'figures fetched through the leader'
          : r.via === 'self'
            ? 'this member leads'
            : '\u00a0',
    );
    if (view === null) {
      this.showNotice(r.problem ?? 'No latency view available.', 'warn');
      setText(this.slowest.value, '–');
      setText(this.slowest.detail, '\u00a0');
      setText(this.answering.value, '–');
      setText(this.answering.detail, '\u00a0');
      setAttr(this.answering.root, 'data-state', null);
      setAttr(this.slowest.root, 'data-state', null);
      this.explainChart('The leader’s view will appear here as soon as it can be fetched.');
      this.rows.render([], () => '');
      return;
    }
    const followers = view.followers;
    const answering = followers.filter((f) => followerState(f) === 'ok').length;
    setText(this.answering.value, followers.length === 0 ? 'none' : `${answering} of ${followers.length}`);
    setText(
      this.answering.detail,
      followers.length === 0 ? 'one member: no followers' : `a write needs ${view.quorum - 1} of them`,
    );
    setAttr(
      this.answering.root,
      'data-state',
      followers.length === 0
        ? null
        : answering < view.quorum - 1
          ? 'bad'
          : answering < followers.length
            ? 'warn'
            : 'ok',
    );
    if (followers.length === 0) {
      this.showNotice(
        `This cluster has one member, ${leaderName}, and it leads with no followers: there is no replication latency to show. ` +
          'Writes commit as soon as the leader has them on disk. Add members (kvctl member add, or POST /v2/members) to see their latency here.',
        'info',
      );
      setText(this.slowest.value, '–');
      setText(this.slowest.detail, 'no follower to wait for');
      setAttr(this.slowest.root, 'data-state', null);
      this.explainChart('One member: nothing to replicate to, so no latency lines.');
      this.rows.render([], () => '');
      return;
    }
    const slow = followers.find((f) => f.id === view.slowestOfMajority) ?? null;
    setText(
      this.slowest.value,
      slow ? `${memberLabel(slow.id, names)} · ${slow.silent ? 'no answer' : formatMs(slow.recent)}` : '–',
    );
    setText(
      this.slowest.detail,
      `each write waits for the leader and ${view.quorum - 1} of ${followers.length} follower${followers.length === 1 ? '' : 's'}`,
    );
    setAttr(this.slowest.root, 'data-state', slow?.silent ? 'bad' : 'ok');
    const silent = followers.filter((f) => followerState(f) !== 'ok');
    if (silent.length > 0) {
      this.showNotice(
        silent
          .map(
            (f) =>
              `${memberLabel(f.id, names)} ${f.lastAnswerAgoMs === null ? 'has not answered the leader yet' : `has not answered the leader for ${formatDuration(f.lastAnswerAgoMs)}`}`,
          )
          .join('; ') +
          (answering >= view.quorum - 1
            ? '. Writes still commit with the others.'
            : '. Too few followers answer: writes cannot commit.'),
        answering >= view.quorum - 1 ? 'warn' : 'bad',
      );
    } else this.showNotice(`● All ${followers.length} followers answer the leader.`, 'ok');
    this.explainChart(null);
    this.chart.update(
      followers.map((f, i) => ({ label: memberLabel(f.id, names), style: lineStyle(i) })),
      latencySeries(view),
    );
    this.rows.render(
      followers.map((f, index) => ({ ...f, index, names, slowest: f.id === view.slowestOfMajority })),
      (f) => f.id,
    );
  }

  private showNotice(text: string, level: 'ok' | 'info' | 'warn' | 'bad'): void {
    setText(this.notice, text);
    setAttr(this.notice, 'data-level', level);
  }

  private explainChart(text: string | null): void {
    this.explain.hidden = text === null;
    this.chartBox.classList.toggle('veiled', text !== null);
    setText(this.explain, text ?? '');
  }

  private makeRow(f: { id: string }): HTMLTableRowElement {
    const tr = el('tr', { 'data-follower': f.id });
    const swatchCell = el('td.col-swatch');
    const name = el('span.member-name');
    const id = el('span.member-id');
    const state = el('td.col-state');
    const cell = () => el('td.num');
    const cells = { current: cell(), average: cell(), p99: cell(), minimum: cell(), maximum: cell(), failures: cell() };
    cells.current.dataset.field = 'current';
    tr.append(
      swatchCell,
      el('td.col-name', {}, name, id),
      state,
      cells.current,
      cells.average,
      cells.p99,
      cells.minimum,
      cells.maximum,
      cells.failures,
    );
    this.rowParts.set(tr, { tr, swatchCell, name, id, state, cells });
    return tr;
  }

  private updateRow(
    tr: HTMLTableRowElement,
    f: FollowerLatency & { index: number; names: Record<string, string>; slowest: boolean },
  ): void {
    const row = this.rowParts.get(tr)!;
    const style = lineStyle(f.index);
    if (row.swatchCell.dataset.index !== String(f.index)) {
      row.swatchCell.dataset.index = String(f.index);
      row.swatchCell.replaceChildren(swatch(style));
    }
    setText(row.name, memberLabel(f.id, f.names));
    setText(row.id, f.id);
    const state = followerState(f);
    setAttr(tr, 'data-state', state);
    setAttr(tr, 'data-slowest', f.slowest ? 'true' : null);
    setText(
      row.state,
      state === 'ok'
        ? f.slowest
          ? '● answering · majority waits for it'
          : '● answering'
        : state === 'silent'
          ? `▲ no answer for ${formatDuration(f.lastAnswerAgoMs)}`
          : '■ never answered',
    );
    // A follower that does not answer is at least as slow as its silence is long.
    setText(row.cells.current, state === 'silent' ? `> ${formatMs(f.lastAnswerAgoMs)}` : formatMs(f.current));
    setText(row.cells.average, formatMs(f.window.average));
    setText(row.cells.p99, formatMs(f.window.p99));
    setText(row.cells.minimum, formatMs(f.window.minimum));
    setText(row.cells.maximum, formatMs(f.window.maximum));
    setText(row.cells.failures, formatCount(f.window.failures));
  }
}
