// Time-series charts with uPlot: a fixed height reserved before the first
// data arrives (no layout jump), lines told apart by dash pattern as well as
// colour (readable in grey), width following the container.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatClock } from './format.js';
import { logSplits } from './shape.js';

/** Okabe–Ito colours (safe for colour blindness), dark to light so they stay distinct in grey. */
export const LINE_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
/** Dash patterns in the same order: solid, long dash, dots, dash-dot, ... */
export const LINE_DASHES: readonly (readonly number[])[] = [
  [],
  [10, 5],
  [2, 4],
  [10, 4, 2, 4],
  [16, 6],
  [6, 3, 2, 3, 2, 3],
  [4, 4],
  [1, 3],
];

export interface LineStyle {
  readonly colour: string;
  readonly dash: readonly number[];
}

export function lineStyle(i: number): LineStyle {
  return { colour: LINE_COLOURS[i % LINE_COLOURS.length]!, dash: LINE_DASHES[i % LINE_DASHES.length]! };
}

/** A small SVG of a line in a series' colour and dash, for legends and tables. */
export function swatch(style: LineStyle): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '34');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('swatch');
  const line = document.createElementNS(ns, 'line');
  line.setAttribute('x1', '1');
  line.setAttribute('x2', '33');
  line.setAttribute('y1', '5');
  line.setAttribute('y2', '5');
  line.setAttribute('stroke', style.colour);
  line.setAttribute('stroke-width', '2.5');
  if (style.dash.length > 0) line.setAttribute('stroke-dasharray', style.dash.join(' '));
  svg.append(line);
  return svg;
}

export interface ChartOptions {
  readonly height: number;
  /** Unit shown on the y axis, e.g. "ms" or "/s". */
  readonly unit: string;
  /** Formats a y value for axis ticks and the legend. */
  readonly format: (v: number) => string;
  /** Logarithmic y scale: keeps sub-millisecond lines readable next to a multi-second spike. */
  readonly log?: boolean;
  readonly label: string;
  /** Said over the chart while no line has a single value. */
  readonly emptyText?: string;
}

export interface ChartLine {
  readonly label: string;
  readonly style: LineStyle;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

export class TimeChart {
  private plot: uPlot | null = null;
  private linesKey = '';
  private readonly observer: ResizeObserver;
  private readonly empty = document.createElement('div');

  constructor(
    readonly container: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    container.classList.add('chart');
    container.style.height = `${opts.height}px`;
    container.setAttribute('role', 'img');
    container.setAttribute('aria-label', opts.label);
    this.empty.className = 'chart-empty';
    this.empty.hidden = true;
    this.empty.textContent = opts.emptyText ?? '';
    container.append(this.empty);
    this.observer = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.opts.height }));
    this.observer.observe(container);
  }

  private width(): number {
    return Math.max(200, Math.floor(this.container.clientWidth));
  }

  /** Draws `data` (x in seconds, then one array per line); the lines' set may change between calls. */
  update(lines: readonly ChartLine[], data: uPlot.AlignedData): void {
    const key = lines.map((l) => `${l.label}|${l.style.colour}`).join(',');
    this.container.dataset.lines = String(lines.length);
    if (this.opts.emptyText !== undefined)
      this.empty.hidden = data.slice(1).some((line) => line.some((v) => v !== null && v !== undefined));
    if (this.plot === null || key !== this.linesKey) {
      this.plot?.destroy();
      this.linesKey = key;
      this.plot = new uPlot(this.options(lines), data, this.container);
      this.container.append(this.empty);
      return;
    }
    this.plot.setData(data);
  }

  private options(lines: readonly ChartLine[]): uPlot.Options {
    const grid = cssVar('--grid', '#ddd');
    const text = cssVar('--muted', '#555');
    const fmt = this.opts.format;
    return {
      width: this.width(),
      height: this.opts.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        x: { time: true },
        y: this.opts.log ? { distr: 3, log: 10 } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: (_u, splits) => splits.map((s) => formatClock(s * 1000)),
        },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: 72,
          ...(this.opts.log
            ? { splits: (_u: uPlot, _i: number, min: number, max: number) => logSplits(min, max) }
            : {}),
          // uPlot hands null for splits it leaves unlabelled (too close together).
          values: (_u, splits) => splits.map((s) => (s === null ? '' : fmt(s))),
        },
      ],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.style.colour,
          width: 2,
          dash: [...l.style.dash],
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
        })),
      ],
    };
  }
}
