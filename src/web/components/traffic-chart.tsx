import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../format.js';

/** Series colours in release order: the stable first, then the canary; readable on white and for most colour blindness. */
const COLOURS = ['#1f77b4', '#d95f02', '#7570b3', '#1b9e77', '#e7298a'];

interface Props {
  title: string;
  unit: string;
  releases: readonly string[];
  x: readonly number[];
  columns: readonly (readonly (number | null)[])[];
}

/** One live uPlot chart, one line per release. Rebuilt when the releases change, else just given new data. */
export function TrafficChart({ title, unit, releases, x, columns }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const key = releases.join('\u0000');

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: Math.max(240, element.clientWidth),
      height: 180,
      legend: { show: true },
      scales: {
        // At least the last minute, so that the first points do not stretch over an auto-ranged axis of years.
        x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
        y: { range: (_u, min, max) => [0, Math.max(max, min, 1) * 1.1] },
      },
      axes: [{}, { size: 64, values: (_u, ticks) => ticks.map((t) => formatNumber(t, unit)) }],
      series: [
        {},
        ...releases.map((release, i) => ({
          label: release,
          stroke: COLOURS[i % COLOURS.length] ?? '#333',
          width: 2,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatNumber(v, unit),
        })),
      ],
    };
    const plot = new uPlot(options, [[]], element);
    chart.current = plot;
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(240, element.clientWidth), height: 180 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [key, unit]);

  useEffect(() => {
    chart.current?.setData([[...x], ...columns.map((c) => [...c])] as uPlot.AlignedData);
  }, [x, columns, key]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
