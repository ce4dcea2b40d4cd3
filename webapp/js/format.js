// Pure helpers: what a task view means and how its values read. No DOM, no network.

export const TERMINAL = new Set(['success', 'failed', 'canceled']);
const STATUSES = new Set(['pending', 'running', 'success', 'failed', 'canceled']);

export function shortId(id) {
  return String(id).slice(0, 8);
}

/** A status the stylesheet knows, for classes and data attributes; anything else is 'unknown'. */
export function safeStatus(status) {
  return STATUSES.has(status) ? status : 'unknown';
}

function pad(n) {
  return String(n).padStart(2, '0');
}

export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

export function formatTime(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A moment soon: the time of day when it is today, else the full date and time. */
function formatWhen(ms) {
  const d = new Date(ms);
  const full = formatTime(d.toISOString());
  return d.toDateString() === new Date().toDateString() ? full.slice(11) : full;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  ms = Math.max(0, ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(Math.floor(s % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatAge(ms) {
  return ms !== null && ms < 1000 ? '<1 s' : formatDuration(ms);
}

export function ageOf(task, now) {
  const created = parseTime(task.createdAt);
  return created === null ? null : now - created;
}

export function durationOf(task, now) {
  const started = parseTime(task.startedAt);
  if (started === null) return null;
  const finished = parseTime(task.finishedAt);
  return (finished === null ? (TERMINAL.has(task.status) ? started : now) : finished) - started;
}

export function progressOf(task) {
  const p = task.progress;
  let percent = p && Number.isFinite(p.percent) ? p.percent : null;
  if (percent === null) percent = task.status === 'success' ? 100 : 0;
  percent = Math.min(100, Math.max(0, Math.round(percent)));
  let message = p && typeof p.message === 'string' ? p.message : '';
  if (!message && task.status === 'pending') {
    const at = parseTime(task.nextAttemptAt);
    if (at !== null && at > Date.now() + 1000) {
      message = (task.attempts > 0 ? 'retry at ' : 'scheduled for ') + formatWhen(at);
    } else {
      message = 'waiting for a worker';
    }
  }
  return { percent, message };
}

export function prettyJson(value) {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}
