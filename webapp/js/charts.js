// Charts drawn in the page as SVG with DOM APIs: no library, nothing from another origin,
// nothing inline for the Content-Security-Policy to refuse. Geometry is set as attributes (x,
// y, width, height, d), colours come from classes in app.css. Each chart is an
// <svg role="img"> in index.html with its <title> and <desc>; a visually hidden table beside it
// holds the figures (ops.js). The chart is drawn at its own width in pixels, so its text stays
// readable at any size, and drawn again when that width changes.

import { formatMinute, formatSeconds } from './format.js';

const HEIGHT = 160;
const PAD = { left: 46, right: 8, top: 10, bottom: 22 };
const LABEL_EVERY = 15; // minutes between time labels

const FINISHED = [
  { key: 'succeeded', className: 'bar-succeeded' },
  { key: 'failed', className: 'bar-failed' },
  { key: 'canceled', className: 'bar-canceled' },
];

const RUN_TIMES = [
  { key: 'runTimeP95Seconds', className: 'line-p95', label: 'p95' },
  { key: 'runTimeP50Seconds', className: 'line-p50', label: 'p50' },
];

const round = (v) => Math.round(v * 100) / 100;

/**
 * An SVG element. The namespace is the one the HTML parser gave the chart's <svg>, so this
 * file never spells out a namespace address.
 */
function make(svg, tag, attrs = {}, className = null) {
  const node = document.createElementNS(svg.namespaceURI, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (className) node.setAttribute('class', className);
  return node;
}

function tooltip(svg, text) {
  const title = make(svg, 'title');
  title.textContent = text;
  return title;
}

/** A round top for an axis, at least `min`: 1, 2, 4 or 10 times a power of ten. */
export function niceMax(value, min) {
  const v = Math.max(Number.isFinite(value) ? value : 0, min);
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 10]) {
    if (m * power >= v * (1 - 1e-9)) return m * power;
  }
  return 10 * power;
}

/**
 * Empties the chart (its <title> and <desc> stay), sizes it to its box and draws the grid and
 * both axes. Null when the chart has no width yet (hidden): it is drawn once it gets one.
 */
function frame(svg, minutes, max, label) {
  const width = Math.round(svg.getBoundingClientRect().width);
  if (width < PAD.left + PAD.right + 60) return null;
  svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
  for (const child of [...svg.children]) {
    if (child.localName !== 'title' && child.localName !== 'desc') child.remove();
  }
  const plot = {
    x: PAD.left, y: PAD.top, w: width - PAD.left - PAD.right, h: HEIGHT - PAD.top - PAD.bottom,
  };
  plot.slot = plot.w / Math.max(1, minutes.length);
  const axes = make(svg, 'g', {}, 'axes');
  for (const value of [0, max / 2, max]) {
    const y = round(plot.y + plot.h - (value / max) * plot.h);
    axes.append(make(svg, 'line', { x1: plot.x, x2: plot.x + plot.w, y1: y, y2: y },
      value === 0 ? 'baseline' : 'grid'));
    const text = make(svg, 'text', { x: plot.x - 6, y: y + 4, 'text-anchor': 'end' }, 'axis');
    text.textContent = value === 0 ? '0' : label(value);
    axes.append(text);
  }
  const last = minutes.length - 1;
  for (let i = 0; i <= last; i += LABEL_EVERY) {
    // The last label is the current minute's; one closer than half a step to it is left out.
    if (i !== 0 && last - i < LABEL_EVERY / 2) continue;
    axes.append(i === 0
      ? timeLabel(svg, plot, minutes[i].minute, plot.x, 'start')
      : timeLabel(svg, plot, minutes[i].minute, plot.x + (i + 0.5) * plot.slot, 'middle'));
  }
  if (last > 0) axes.append(timeLabel(svg, plot, minutes[last].minute, plot.x + plot.w, 'end'));
  svg.append(axes);
  return plot;
}

function timeLabel(svg, plot, minute, x, anchor) {
  const text = make(svg, 'text',
    { x: round(x), y: plot.y + plot.h + 16, 'text-anchor': anchor }, 'axis');
  text.textContent = formatMinute(minute);
  return text;
}

function empty(svg, plot, message) {
  const text = make(svg, 'text', {
    x: round(plot.x + plot.w / 2), y: round(plot.y + plot.h / 2), 'text-anchor': 'middle',
  }, 'chart-empty');
  text.textContent = message;
  svg.append(text);
}

/** Tasks finished per minute, stacked by final status: succeeded, failed, canceled. */
export function drawFinished(svg, minutes) {
  const totals = minutes.map((m) => FINISHED.reduce((sum, s) => sum + m[s.key], 0));
  const max = niceMax(Math.max(0, ...totals), 2);
  const plot = frame(svg, minutes, max, (v) => String(v));
  if (!plot) return;
  if (!totals.some((t) => t > 0)) {
    empty(svg, plot, 'No task finished in the last hour');
    return;
  }
  const barWidth = round(Math.max(1, plot.slot * 0.72));
  const bars = make(svg, 'g', {}, 'bars');
  minutes.forEach((m, i) => {
    if (!totals[i]) return;
    const group = make(svg, 'g', { 'data-minute': m.minute });
    group.append(tooltip(svg, `${formatMinute(m.minute)}: ${m.succeeded} succeeded, `
      + `${m.failed} failed, ${m.canceled} canceled`));
    const x = round(plot.x + i * plot.slot + (plot.slot - barWidth) / 2);
    let top = plot.y + plot.h;
    for (const s of FINISHED) {
      if (!m[s.key]) continue;
      const height = (m[s.key] / max) * plot.h;
      top -= height;
      group.append(make(svg, 'rect',
        { x, y: round(top), width: barWidth, height: round(height) }, s.className));
    }
    bars.append(group);
  });
  svg.append(bars);
}

/** Run time percentiles of the attempts that ended in each minute: p50 and p95 lines. */
export function drawRunTimes(svg, minutes) {
  const values = minutes.flatMap((m) => RUN_TIMES.map((s) => m[s.key]))
    .filter((v) => Number.isFinite(v));
  const max = niceMax(Math.max(0, ...values), 0.01);
  const plot = frame(svg, minutes, max, formatSeconds);
  if (!plot) return;
  if (values.length === 0) {
    empty(svg, plot, 'No attempt ended in the last hour');
    return;
  }
  const xOf = (i) => round(plot.x + (i + 0.5) * plot.slot);
  const yOf = (v) => round(plot.y + plot.h - (v / max) * plot.h);
  for (const s of RUN_TIMES) {
    // A minute without attempts breaks the line; a dot marks every minute that has a figure.
    let d = '';
    let drawing = false;
    const dots = make(svg, 'g', {}, s.className);
    minutes.forEach((m, i) => {
      const v = m[s.key];
      if (!Number.isFinite(v)) {
        drawing = false;
        return;
      }
      d += `${drawing ? 'L' : 'M'}${xOf(i)} ${yOf(v)} `;
      drawing = true;
      const dot = make(svg, 'circle', { cx: xOf(i), cy: yOf(v), r: 2.5 });
      dot.append(tooltip(svg, `${formatMinute(m.minute)}: ${s.label} ${formatSeconds(v)}`));
      dots.append(dot);
    });
    svg.append(make(svg, 'path', { d: d.trim() }, s.className), dots);
  }
}
