// The operator's panel, for viewers and admins (users get no api/stats, and no panel): what this
// instance has done, from GET api/stats, read again every STATS_MS by the live loop and at
// once after an operator's action. Two charts of the last hour (finished per minute by final
// status; run time p50 and p95 per minute), each with a summary in its <desc> and the figures
// in a visually hidden table, and a table per task type.

import { api, showProblem } from './api.js';
import { drawFinished, drawRunTimes } from './charts.js';
import { $, el, setText } from './dom.js';
import { formatMinute, formatRate, formatSeconds, formatTime } from './format.js';

export const STATS_MS = 10000;

const COUNTS = ['submitted', 'running', 'succeeded', 'failed', 'canceled', 'retried'];

const HIDDEN_KEY = 'offload.operations.hidden';

const state = { on: false, due: 0, seq: 0, minutes: [] };

export function init() {
  state.on = true;
  $('ops').hidden = false;
  // Shown unless this browser hid it last time; the hour's totals stay in its heading line.
  let hidden = false;
  try {
    hidden = localStorage.getItem(HIDDEN_KEY) === 'true';
  } catch {
    // no storage (a privacy setting): shown every time
  }
  showBody(!hidden);
  $('ops-toggle').addEventListener('click', () => {
    const show = $('ops-body').hidden;
    showBody(show);
    try {
      localStorage.setItem(HIDDEN_KEY, String(!show));
    } catch {
      // not remembered
    }
  });
  // Drawn at their own width: again whenever it changes (a window resized, the panel opened).
  const observer = new ResizeObserver(() => draw());
  observer.observe($('chart-finished'));
  observer.observe($('chart-runtime'));
}

function showBody(show) {
  $('ops-body').hidden = !show;
  $('ops').classList.toggle('folded', !show);
  const toggle = $('ops-toggle');
  toggle.setAttribute('aria-expanded', String(show));
  setText(toggle, show ? 'Hide' : 'Show');
  toggle.setAttribute('aria-label',
    show ? 'Hide the charts and figures' : 'Show the charts and figures');
}

/** Takes the panel off the page: a caller without api/stats gets none. */
export function remove() {
  $('ops').remove();
}

/** Reads the figures when they are due; `now` reads them at once (an action changed them). */
export async function refresh(now = false) {
  if (!state.on || (!now && Date.now() < state.due)) return;
  state.due = Date.now() + STATS_MS;
  const seq = ++state.seq;
  try {
    const stats = await api('api/stats');
    if (seq !== state.seq) return;
    render(stats || {});
    $('ops-error').replaceChildren();
  } catch (err) {
    if (seq !== state.seq) return;
    showProblem($('ops-error'), err, 'Cannot load the figures');
  }
}

const count = (v) => (Number.isFinite(v) ? v : 0);
const figure = (v) => (Number.isFinite(v) ? v : null);

function render(stats) {
  const updated = formatTime(new Date().toISOString()).slice(11);
  setText($('ops-since'), stats.since
    ? `This instance since ${formatTime(stats.since)} · updated ${updated}` : '');
  state.minutes = (Array.isArray(stats.minutes) ? stats.minutes : [])
    .filter((m) => m && typeof m.minute === 'string')
    .map((m) => ({
      minute: m.minute,
      succeeded: count(m.succeeded),
      failed: count(m.failed),
      canceled: count(m.canceled),
      runTimeP50Seconds: figure(m.runTimeP50Seconds),
      runTimeP95Seconds: figure(m.runTimeP95Seconds),
    }));
  draw();
  describeFinished(state.minutes);
  describeRunTimes(state.minutes);
  renderTypes(Array.isArray(stats.types) ? stats.types.filter((t) => t && t.type) : []);
}

function draw() {
  if (!state.on) return;
  drawFinished($('chart-finished'), state.minutes);
  drawRunTimes($('chart-runtime'), state.minutes);
}

function cell(tag, text, testid, value) {
  const node = el(tag, tag === 'td' ? 'num' : null, text);
  if (testid) node.dataset.testid = testid;
  if (value !== undefined) node.dataset.value = value === null ? '' : String(value);
  return node;
}

function minuteHeader(minute) {
  const th = el('th', null, formatMinute(minute));
  th.scope = 'row';
  return th;
}

function describeFinished(minutes) {
  const sum = (key) => minutes.reduce((total, m) => total + m[key], 0);
  const totals = { succeeded: sum('succeeded'), failed: sum('failed'), canceled: sum('canceled') };
  for (const [key, n] of Object.entries(totals)) setText($('total-' + key), n);
  setText($('ops-glance'), `last hour: ${totals.succeeded} succeeded · ${totals.failed} failed · `
    + `${totals.canceled} canceled`);
  let busiest = null;
  for (const m of minutes) {
    const n = m.succeeded + m.failed + m.canceled;
    if (n > 0 && (!busiest || n >= busiest.n)) busiest = { minute: m.minute, n };
  }
  setText($('chart-finished-desc'), busiest
    ? `Over the last hour ${totals.succeeded} tasks succeeded, ${totals.failed} failed and `
      + `${totals.canceled} were canceled; the busiest minute was ${formatMinute(busiest.minute)} `
      + `with ${busiest.n}. The table after the chart lists every minute with a task.`
    : 'No task finished in the last hour.');
  const rows = minutes.filter((m) => m.succeeded + m.failed + m.canceled > 0).map((m) => {
    const tr = el('tr');
    tr.dataset.minute = m.minute;
    tr.append(minuteHeader(m.minute), cell('td', m.succeeded, 'minute-succeeded'),
      cell('td', m.failed, 'minute-failed'), cell('td', m.canceled, 'minute-canceled'));
    return tr;
  });
  $('chart-finished-rows').replaceChildren(...rows);
}

function describeRunTimes(minutes) {
  const timed = minutes.filter((m) => m.runTimeP50Seconds !== null);
  if (timed.length === 0) {
    setText($('chart-runtime-desc'), 'No attempt ended in the last hour.');
  } else {
    const p50s = timed.map((m) => m.runTimeP50Seconds);
    const p95 = Math.max(...timed.map((m) => m.runTimeP95Seconds ?? m.runTimeP50Seconds));
    setText($('chart-runtime-desc'), `Over the last hour, in the ${timed.length} minutes with `
      + `attempts, the median run time per minute was between ${formatSeconds(Math.min(...p50s))} `
      + `and ${formatSeconds(Math.max(...p50s))}, the 95th percentile at most `
      + `${formatSeconds(p95)}. The table after the chart lists every such minute.`);
  }
  const rows = timed.map((m) => {
    const tr = el('tr');
    tr.dataset.minute = m.minute;
    tr.append(minuteHeader(m.minute),
      cell('td', formatSeconds(m.runTimeP50Seconds), 'minute-p50', m.runTimeP50Seconds),
      cell('td', formatSeconds(m.runTimeP95Seconds), 'minute-p95', m.runTimeP95Seconds));
    return tr;
  });
  $('chart-runtime-rows').replaceChildren(...rows);
}

function renderTypes(types) {
  const rows = types.map((t) => {
    const tr = el('tr');
    tr.dataset.type = String(t.type);
    const name = el('th', 'mono', t.type);
    name.scope = 'row';
    tr.append(name);
    for (const key of COUNTS) tr.append(cell('td', count(t[key]), 'type-' + key));
    tr.append(cell('td', formatRate(figure(t.successRate)), 'type-successRate',
      figure(t.successRate)));
    tr.append(cell('td', formatSeconds(figure(t.runTimeP50Seconds)), 'type-p50',
      figure(t.runTimeP50Seconds)));
    tr.append(cell('td', formatSeconds(figure(t.runTimeP95Seconds)), 'type-p95',
      figure(t.runTimeP95Seconds)));
    return tr;
  });
  $('type-rows').replaceChildren(...rows);
  $('type-empty').hidden = rows.length > 0;
}
