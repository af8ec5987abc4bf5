import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Activity } from './api.js';

/**
 * The last hour per minute: executions that succeeded and failed (left axis, count) and the
 * mean and largest first-attempt lateness (right axis, ms). Minutes on the x axis are shown in
 * the viewer's zone (uPlot formats epoch seconds with the browser's local time).
 */
export class ActivityChart {
  private plot: uPlot | null = null;

  constructor(private readonly el: HTMLElement) {}

  update(a: Activity): void {
    const data: uPlot.AlignedData = [
      a.minutes.map((m) => new Date(m.minute).getTime() / 1000),
      a.minutes.map((m) => m.succeeded),
      a.minutes.map((m) => m.failed),
      a.minutes.map((m) => m.latenessMeanMs),
      a.minutes.map((m) => m.latenessMaxMs),
    ];
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    const width = Math.max(320, Math.min(this.el.clientWidth || 900, 1200));
    this.plot = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true }, n: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] }, ms: { auto: true, range: (_u, _min, max) => [0, Math.max(10, max ?? 0)] } },
        axes: [
          {},
          { scale: 'n', label: 'executions / min' },
          { scale: 'ms', side: 1, label: 'lateness (ms)', grid: { show: false } },
        ],
        series: [
          { label: 'minute' },
          { label: 'succeeded', scale: 'n', stroke: '#2e7d32', fill: 'rgba(46,125,50,0.15)', width: 2, points: { show: false } },
          { label: 'failed', scale: 'n', stroke: '#c62828', fill: 'rgba(198,40,40,0.15)', width: 2, points: { show: false } },
          { label: 'lateness mean', scale: 'ms', stroke: '#1565c0', width: 1.5, spanGaps: false },
          { label: 'lateness max', scale: 'ms', stroke: '#90caf9', width: 1, dash: [4, 4], spanGaps: false },
        ],
      },
      data,
      this.el,
    );
  }
}
