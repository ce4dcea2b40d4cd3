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

/**
 * A task that failed an attempt and waits for its next one: pending, with an attempt behind it
 * (its error and progress are the failed attempt's, its nextAttemptAt when the next starts).
 */
export function isRetrying(task) {
  return task.status === 'pending' && Number(task.attempts) >= 1;
}

/** What a status badge says: the status, or 'retrying' for a task waiting to retry. */
export function statusLabel(task) {
  return isRetrying(task) ? 'retrying' : String(task.status ?? 'unknown');
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

/** Time left, in whole seconds rounded up: a countdown never says 0 s before it is over. */
export function formatCountdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A run time given in seconds (the figures of api/stats); null is unknown. */
export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 0.001) return '<1 ms';
  return formatDuration(seconds * 1000);
}

/** A ratio in [0, 1] as a percentage with one decimal; null is unknown. */
export function formatRate(rate) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  return `${(rate * 100).toFixed(1)} %`;
}

/** Hours and minutes of a moment, for the minutes of a chart. */
export function formatMinute(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '—';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatAge(ms) {
  return ms !== null && ms < 1000 ? '<1 s' : formatDuration(ms);
}

export function ageOf(task, now) {
  const created = parseTime(task.createdAt);
  return created === null ? null : now - created;
}

export function durationOf(task, now) {
  // A pending task runs nothing: a retrying one's startedAt is its failed attempt's.
  if (task.status === 'pending') return null;
  const started = parseTime(task.startedAt);
  if (started === null) return null;
  const finished = parseTime(task.finishedAt);
  return (finished === null ? (TERMINAL.has(task.status) ? started : now) : finished) - started;
}

/**
 * The bar and message of a task. A pending task's bar is empty: a retrying one's progress is
 * its failed attempt's, not the next one's.
 */
export function progressOf(task, now = Date.now()) {
  if (task.status === 'pending') return { percent: 0, message: pendingMessage(task, now) };
  const p = task.progress;
  let percent = p && Number.isFinite(p.percent) ? p.percent : null;
  if (percent === null) percent = task.status === 'success' ? 100 : 0;
  percent = Math.min(100, Math.max(0, Math.round(percent)));
  const message = p && typeof p.message === 'string' ? p.message : '';
  return { percent, message };
}

/** Why a pending task waits: its next attempt counting down, a delay, or a busy pool. */
function pendingMessage(task, now) {
  const at = parseTime(task.nextAttemptAt);
  if (isRetrying(task)) {
    const next = `attempt ${task.attempts + 1} of ${task.maxAttempts ?? '?'}`;
    return at !== null && at > now
      ? `${next} in ${formatCountdown(at - now)}` : `${next}, waiting for a worker`;
  }
  return at !== null && at > now + 1000
    ? 'scheduled for ' + formatWhen(at) : 'waiting for a worker';
}

export function prettyJson(value) {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}
