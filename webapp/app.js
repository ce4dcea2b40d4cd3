// Offload status page. Plain ES module, no build step, nothing from another origin.
//
// Safety rule: every value that comes from the server reaches the page through textContent,
// attribute setters or CSSOM, never through innerHTML. All URLs are relative to the page, so
// the page works under any context path.
//
// Live updates (see README, "The status page"):
//   - the visible page of the task list is refreshed with ONE request every POLL_MS, whatever
//     the number of rows, and never while the previous refresh is still in flight;
//   - Server-Sent Events stream the task in the detail panel and a few running/pending tasks in
//     view, at most SSE_CAP streams, so that a browser's six HTTP/1.1 connections per host are
//     never all held by streams;
//   - when a stream fails before it opens, SSE is treated as unavailable for SSE_RETRY_MS and
//     the page lives on the list refresh (plus one GET per interval for a detail task that is
//     not on the visible page).

const POLL_MS = 2000;
const RETRY_TYPES_MS = 5000;
const SSE_CAP = 4;
const SSE_RETRY_MS = 30000;
const TERMINAL = new Set(['success', 'failed', 'canceled']);
const STATUSES = new Set(['pending', 'running', 'success', 'failed', 'canceled']);

const $ = (id) => document.getElementById(id);
const narrow = window.matchMedia('(max-width: 720px)');

const state = {
  types: [],
  filter: { status: '', type: '', limit: 20 },
  cursors: [null], // cursor of each page visited; the last one is the current page
  next: null,
  items: [], // ids on the current page, newest first
  tasks: new Map(), // id -> latest task view
  rows: new Map(), // id -> row elements
  selected: null, // id shown in the detail panel
  selectedGone: false,
  returnFocus: null,
  streams: new Map(), // id -> { es, opened }
  sseDownUntil: 0,
  listSeq: 0,
  listOk: null,
  ticking: false,
  tickTimer: null,
};

// ---------------------------------------------------------------------------------------------
// Small helpers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function shortId(id) {
  return String(id).slice(0, 8);
}

function taskUrl(id) {
  return 'api/tasks/' + encodeURIComponent(id);
}

function safeStatus(status) {
  return STATUSES.has(status) ? status : 'unknown';
}

function pad(n) {
  return String(n).padStart(2, '0');
}

function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function formatTime(iso) {
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

function formatDuration(ms) {
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

function formatAge(ms) {
  return ms !== null && ms < 1000 ? '<1 s' : formatDuration(ms);
}

function ageOf(task, now) {
  const created = parseTime(task.createdAt);
  return created === null ? null : now - created;
}

function durationOf(task, now) {
  const started = parseTime(task.startedAt);
  if (started === null) return null;
  const finished = parseTime(task.finishedAt);
  return (finished === null ? (TERMINAL.has(task.status) ? started : now) : finished) - started;
}

function progressOf(task) {
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

function prettyJson(value) {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function setText(node, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

function setProgress(bar, task) {
  const { percent } = progressOf(task);
  bar.dataset.status = safeStatus(task.status);
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', `${percent}%`);
  // CSSOM, not an inline style attribute: allowed by the Content-Security-Policy.
  bar.firstElementChild.style.width = percent + '%';
}

function setBadge(badge, status) {
  const s = safeStatus(status);
  badge.className = 'badge status-' + s;
  badge.dataset.status = s;
  setText(badge, status ?? 'unknown');
}

// ---------------------------------------------------------------------------------------------
// HTTP

class ApiError extends Error {
  constructor(status, body, text) {
    super(describeProblem(status, body, text));
    this.status = status;
    this.body = body;
  }
}

function describeProblem(status, body, text) {
  if (body && typeof body === 'object' && (body.title || body.detail)) {
    return [body.title, body.detail].filter(Boolean).join(': ');
  }
  return `HTTP ${status}${text ? ': ' + text.slice(0, 200) : ''}`;
}

async function api(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers, cache: 'no-store' });
  const text = await response.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, body, text);
  return body;
}

/** Shows an error, with the server's problem detail when there is one, as text. */
function showProblem(container, err, lead) {
  const box = el('div', 'banner error');
  box.dataset.testid = 'problem';
  if (err instanceof ApiError && err.body && typeof err.body === 'object') {
    const p = err.body;
    const title = el('strong', 'problem-title', p.title || lead || 'Request failed');
    title.dataset.testid = 'problem-title';
    box.append(title, el('span', 'problem-status', ` (${p.status || err.status})`));
    if (p.detail) {
      const detail = el('p', 'problem-detail', p.detail);
      detail.dataset.testid = 'problem-detail';
      box.append(detail);
    }
    const detailText = typeof p.detail === 'string' ? p.detail : '';
    if (Array.isArray(p.knownTypes) && !p.knownTypes.every((t) => detailText.includes(String(t)))) {
      box.append(el('p', 'problem-extra', 'Known types: ' + p.knownTypes.map(String).join(', ')));
    }
  } else if (err instanceof ApiError) {
    box.append(el('strong', 'problem-title', lead || 'Request failed'), el('p', null, err.message));
  } else {
    box.append(el('strong', 'problem-title', lead || 'Cannot reach the server'),
      el('p', null, err && err.message ? err.message : String(err)));
  }
  container.replaceChildren(box);
}

// ---------------------------------------------------------------------------------------------
// Task views: one place that accepts a fresh view and updates every part of the page

/** True when `next` is older than what we already hold (a list answer overtaken by SSE). */
function isStale(held, next) {
  if (TERMINAL.has(held.status) && !TERMINAL.has(next.status)) return true;
  if ((held.attempts ?? 0) > (next.attempts ?? 0)) return true;
  if (held.status === next.status && held.attempts === next.attempts) {
    const a = held.progress && Number.isFinite(held.progress.percent) ? held.progress.percent : -1;
    const b = next.progress && Number.isFinite(next.progress.percent) ? next.progress.percent : -1;
    if (a > b) return true;
  }
  return false;
}

function remember(task) {
  if (!task || typeof task !== 'object' || typeof task.id !== 'string') return;
  const held = state.tasks.get(task.id);
  if (held && isStale(held, task)) return;
  state.tasks.set(task.id, task);
  const row = state.rows.get(task.id);
  if (row) updateRow(row, task);
  if (state.selected === task.id) renderDetail(task);
  if (TERMINAL.has(task.status)) closeStream(task.id);
}

// ---------------------------------------------------------------------------------------------
// The table

function createRow(id) {
  const tr = el('tr', 'task-row');
  tr.dataset.id = id;
  tr.dataset.testid = 'task-row';

  const idCell = el('td', 'cell-id');
  idCell.dataset.label = 'ID';
  const open = el('button', 'link-button mono', shortId(id));
  open.type = 'button';
  open.dataset.testid = 'task-open';
  open.setAttribute('aria-label', `Show details of task ${shortId(id)}`);
  open.title = id;
  idCell.append(open);

  const type = el('td', 'cell-type');
  type.dataset.label = 'Type';
  type.dataset.testid = 'task-type';

  const statusCell = el('td', 'cell-status');
  statusCell.dataset.label = 'Status';
  const badge = el('span', 'badge');
  badge.dataset.testid = 'task-status';
  statusCell.append(badge);

  const progressCell = el('td', 'cell-progress');
  progressCell.dataset.label = 'Progress';
  const bar = el('div', 'progress');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.setAttribute('aria-label', `Progress of task ${shortId(id)}`);
  bar.dataset.testid = 'task-progress';
  bar.append(el('div', 'progress-fill'));
  const message = el('span', 'progress-msg');
  message.dataset.testid = 'task-progress-message';
  progressCell.append(bar, message);

  const attempts = el('td', 'cell-attempts num');
  attempts.dataset.label = 'Attempts';
  attempts.dataset.testid = 'task-attempts';
  const age = el('td', 'cell-age num');
  age.dataset.label = 'Age';
  age.dataset.testid = 'task-age';
  const duration = el('td', 'cell-duration num');
  duration.dataset.label = 'Duration';
  duration.dataset.testid = 'task-duration';

  tr.append(idCell, type, statusCell, progressCell, attempts, age, duration);
  tr.addEventListener('click', (event) => {
    // The id button handles keyboard activation; a click anywhere else on the row helps mice.
    if (event.target.closest('button, a')) return;
    openDetail(id, false);
  });
  open.addEventListener('click', () => openDetail(id, true));
  return { tr, open, type, badge, bar, message, attempts, age, duration };
}

function updateRow(row, task) {
  row.tr.dataset.status = safeStatus(task.status);
  setText(row.type, task.type);
  setBadge(row.badge, task.status);
  setProgress(row.bar, task);
  const { message } = progressOf(task);
  setText(row.message, message);
  row.message.title = message;
  setText(row.attempts, `${task.attempts ?? 0} / ${task.maxAttempts ?? '?'}`);
  updateClocks(row, task, Date.now());
}

function updateClocks(row, task, now) {
  setText(row.age, formatAge(ageOf(task, now)));
  row.age.title = task.createdAt ? 'created ' + formatTime(task.createdAt) : '';
  setText(row.duration, formatDuration(durationOf(task, now)));
}

function renderRows(ids) {
  const tbody = $('task-rows');
  const keep = new Set(ids);
  for (const [id, row] of state.rows) {
    if (!keep.has(id)) {
      row.tr.remove();
      state.rows.delete(id);
    }
  }
  ids.forEach((id, index) => {
    let row = state.rows.get(id);
    if (!row) {
      row = createRow(id);
      state.rows.set(id, row);
    }
    row.tr.classList.toggle('selected', id === state.selected);
    updateRow(row, state.tasks.get(id));
    const at = tbody.children[index];
    // Only move rows that are out of place, so a focused row keeps its focus.
    if (at !== row.tr) tbody.insertBefore(row.tr, at || null);
  });
  state.items = ids;
  $('empty').hidden = ids.length > 0;
  // Forget views that are neither shown nor selected.
  for (const id of state.tasks.keys()) {
    if (!keep.has(id) && id !== state.selected) state.tasks.delete(id);
  }
}

function updatePager() {
  const page = state.cursors.length;
  $('page-label').textContent = `Page ${page}`;
  $('page-newer').disabled = page <= 1;
  $('page-older').disabled = !state.next;
}

async function refreshList() {
  const seq = ++state.listSeq;
  const params = new URLSearchParams();
  if (state.filter.status) params.set('status', state.filter.status);
  if (state.filter.type) params.set('type', state.filter.type);
  params.set('limit', String(state.filter.limit));
  const cursor = state.cursors[state.cursors.length - 1];
  if (cursor) params.set('after', cursor);
  try {
    const body = await api('api/tasks?' + params.toString());
    if (seq !== state.listSeq) return; // a newer refresh (filter or page change) started
    const items = body && Array.isArray(body.items) ? body.items : [];
    state.next = body && typeof body.next === 'string' ? body.next : null;
    for (const task of items) remember(task);
    renderRows(items.filter((t) => t && typeof t.id === 'string').map((t) => t.id));
    updatePager();
    setListError(null);
    syncStreams();
  } catch (err) {
    if (seq !== state.listSeq) return;
    if (err instanceof ApiError && err.status === 400 && cursor) {
      // The cursor is no longer valid (its task expired): start again from the newest.
      state.cursors = [null];
      state.next = null;
      updatePager();
      return refreshList();
    }
    setListError(err);
  }
}

function setListError(err) {
  const box = $('list-error');
  if (!err) {
    if (!box.hidden) {
      box.hidden = true;
      box.replaceChildren();
    }
    state.listOk = true;
    updateLiveMode();
    return;
  }
  state.listOk = false;
  box.hidden = false;
  const text = err instanceof ApiError ? err.message : 'the server cannot be reached';
  box.replaceChildren(el('strong', null, 'Cannot load tasks. '),
    el('span', null, `${text}. Retrying every ${POLL_MS / 1000} s.`));
  updateLiveMode();
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events, capped, with polling as the fallback

function sseAvailable() {
  return typeof EventSource === 'function' && Date.now() >= state.sseDownUntil;
}

function wantedStreams() {
  const wanted = [];
  const selected = state.selected && state.tasks.get(state.selected);
  if (selected && !TERMINAL.has(selected.status) && !state.selectedGone) wanted.push(selected.id);
  for (const status of ['running', 'pending']) {
    for (const id of state.items) {
      if (wanted.length >= SSE_CAP) return wanted;
      const task = state.tasks.get(id);
      if (task && task.status === status && !wanted.includes(id)) wanted.push(id);
    }
  }
  return wanted;
}

function syncStreams() {
  const wanted = document.hidden ? [] : wantedStreams();
  for (const id of [...state.streams.keys()]) {
    if (!wanted.includes(id)) closeStream(id);
  }
  if (sseAvailable()) {
    for (const id of wanted) {
      if (!state.streams.has(id)) openStream(id);
    }
  }
  updateLiveMode();
}

function openStream(id) {
  let es;
  try {
    es = new EventSource(taskUrl(id) + '/events');
  } catch {
    sseFailed();
    return;
  }
  const entry = { es, opened: false };
  state.streams.set(id, entry);
  const onEvent = (event) => {
    let task;
    try {
      task = JSON.parse(event.data);
    } catch {
      return;
    }
    remember(task);
  };
  es.addEventListener('open', () => {
    entry.opened = true;
  });
  es.addEventListener('status', onEvent);
  es.addEventListener('progress', onEvent);
  es.addEventListener('message', onEvent);
  es.addEventListener('error', () => {
    // The browser would reconnect on its own; we decide instead. A stream that never opened
    // means SSE does not get through (blocked, proxy, server refused): poll for a while.
    // A stream that dropped after opening is simply reopened by the next list refresh.
    const wasOpened = entry.opened;
    closeStream(id);
    if (!wasOpened) sseFailed();
  });
}

function closeStream(id) {
  const entry = state.streams.get(id);
  if (!entry) return;
  entry.es.close();
  state.streams.delete(id);
}

function sseFailed() {
  state.sseDownUntil = Date.now() + SSE_RETRY_MS;
  for (const id of [...state.streams.keys()]) closeStream(id);
  updateLiveMode();
}

function updateLiveMode() {
  const node = $('live-mode');
  let mode;
  let text;
  if (state.listOk === false) {
    mode = 'offline';
    text = 'Offline · retrying';
  } else if (state.listOk === null) {
    mode = 'connecting';
    text = 'connecting…';
  } else if (!sseAvailable()) {
    mode = 'polling';
    text = `Polling every ${POLL_MS / 1000} s (SSE unavailable)`;
  } else {
    mode = 'live';
    text = state.streams.size > 0
      ? `Live · ${state.streams.size} stream${state.streams.size === 1 ? '' : 's'}`
      : 'Live';
  }
  node.dataset.mode = mode;
  node.dataset.streams = String(state.streams.size);
  setText(node, text);
  node.title = `The list refreshes every ${POLL_MS / 1000} s; up to ${SSE_CAP} tasks ` +
    'also stream their progress as Server-Sent Events.';
}

// ---------------------------------------------------------------------------------------------
// The refresh loop: one list request per interval, never overlapping

async function tick() {
  if (state.ticking) return;
  clearTimeout(state.tickTimer);
  state.tickTimer = null;
  if (document.hidden) return; // resumed by visibilitychange
  state.ticking = true;
  try {
    await refreshList();
    await pollSelected();
    await refreshHealth();
  } finally {
    state.ticking = false;
    if (!document.hidden) state.tickTimer = setTimeout(tick, POLL_MS);
  }
}

/** The detail task, when it is live but neither on the visible page nor streaming. */
async function pollSelected() {
  const id = state.selected;
  if (!id || state.selectedGone || state.rows.has(id) || state.streams.has(id)) return;
  const task = state.tasks.get(id);
  if (task && TERMINAL.has(task.status)) return;
  await loadTask(id);
}

async function loadTask(id) {
  try {
    remember(await api(taskUrl(id)));
  } catch (err) {
    if (state.selected !== id) return;
    if (err instanceof ApiError && err.status === 404) {
      state.selectedGone = true;
      closeStream(id);
      showProblem($('d-message'), err, 'This task is no longer retained');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Health gauges

/** A gauge bar; a full queue is a warning, busy workers are just work being done. */
function setMeter(fill, value, max, warn = true) {
  const ratio = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  fill.style.width = Math.round(ratio * 100) + '%';
  fill.dataset.level = !warn ? 'low' : ratio >= 0.9 ? 'high' : ratio >= 0.6 ? 'mid' : 'low';
}

function renderHealth(h) {
  const pill = $('health-status');
  const known = { up: 'up', shutting_down: 'shutting down', store_unavailable: 'store unavailable' };
  const status = h && typeof h.status === 'string' ? h.status : 'unknown';
  pill.dataset.state = known[status] ? status : 'unknown';
  setText(pill, known[status] || status);
  const workers = (h && h.workers) || {};
  const queue = (h && h.queue) || {};
  setText($('workers-text'), `${workers.busy ?? '–'} / ${workers.total ?? '–'}`);
  setMeter($('workers-fill'), Number(workers.busy) || 0, Number(workers.total) || 0, false);
  setText($('queue-text'), `${queue.depth ?? '–'} / ${queue.capacity ?? '–'}`);
  setMeter($('queue-fill'), Number(queue.depth) || 0, Number(queue.capacity) || 0);
  setText($('running-text'), h && h.running !== undefined ? h.running : '–');
  setText($('retained-text'), h && h.retained !== undefined ? h.retained : '–');
  setText($('store-text'), h && h.store ? h.store : '–');
}

async function refreshHealth() {
  try {
    renderHealth(await api('api/health'));
  } catch (err) {
    if (err instanceof ApiError && err.body && err.body.workers) {
      renderHealth(err.body); // 503 while shutting down still describes the server
    } else {
      const pill = $('health-status');
      pill.dataset.state = 'down';
      setText(pill, 'unreachable');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Detail panel

function openDetail(id, moveFocus) {
  const changed = state.selected !== id;
  state.selected = id;
  if (changed) {
    state.selectedGone = false;
    $('d-message').replaceChildren();
  }
  for (const [rowId, row] of state.rows) row.tr.classList.toggle('selected', rowId === id);
  const panel = $('detail');
  if (panel.hidden) state.returnFocus = document.activeElement;
  panel.hidden = false;
  document.body.classList.add('detail-open');
  const known = state.tasks.get(id);
  if (known) {
    renderDetail(known);
  } else {
    clearDetail(id);
  }
  if (moveFocus) $('detail-heading').focus();
  loadTask(id).then(syncStreams);
  syncStreams();
}

function closeDetail() {
  const id = state.selected;
  state.selected = null;
  state.selectedGone = false;
  $('detail').hidden = true;
  document.body.classList.remove('detail-open');
  for (const row of state.rows.values()) row.tr.classList.remove('selected');
  syncStreams();
  const row = id && state.rows.get(id);
  const target = row ? row.open : state.returnFocus;
  if (target && document.contains(target)) target.focus();
  state.returnFocus = null;
}

function clearDetail(id) {
  setText($('d-short'), shortId(id));
  setText($('d-id'), id);
  const badge = $('d-status');
  badge.className = 'badge';
  delete badge.dataset.status;
  setText(badge, 'loading…');
  setText($('d-type'), '');
  $('d-cancel').hidden = true;
  $('d-error-section').hidden = true;
  $('d-result-section').hidden = true;
  setText($('d-input'), '');
}

function renderDetail(task) {
  const panel = $('detail');
  panel.dataset.id = task.id;
  panel.dataset.status = safeStatus(task.status);
  setText($('d-short'), shortId(task.id));
  setText($('d-id'), task.id);
  setBadge($('d-status'), task.status);
  setText($('d-type'), task.type);
  setProgress($('d-progress'), task);
  const { percent, message } = progressOf(task);
  setText($('d-progress-msg'), message);
  setText($('d-progress-pct'), `${percent}%`);
  $('d-raw').href = taskUrl(task.id);

  const cancellable = task.status === 'pending' || task.status === 'running';
  const cancel = $('d-cancel');
  if (!cancellable && cancel === document.activeElement) $('detail-heading').focus();
  cancel.hidden = !cancellable;

  const error = task.error;
  $('d-error-section').hidden = !error;
  setText($('d-error-type'), error ? error.type : '');
  setText($('d-error-message'), error ? error.message : '');

  const hasResult = task.status === 'success' || (task.result !== null && task.result !== undefined);
  $('d-result-section').hidden = !hasResult;
  setText($('d-result'), hasResult ? prettyJson(task.result) : '');
  setText($('d-input'), prettyJson(task.input));

  setText($('d-priority'), task.priority);
  setText($('d-attempts'), `${task.attempts ?? 0} of at most ${task.maxAttempts ?? '?'}`);
  setText($('d-timeout'), task.timeoutSeconds ? `${task.timeoutSeconds} s` : '—');
  setTime($('d-created'), task.createdAt);
  setTime($('d-started'), task.startedAt);
  setTime($('d-finished'), task.finishedAt);
  setTime($('d-next'), task.nextAttemptAt);
  setTime($('d-expires'), task.expiresAt);
  setText($('d-duration'), formatDuration(durationOf(task, Date.now())));
}

function setTime(node, iso) {
  setText(node, formatTime(iso));
  node.title = iso || '';
}

async function cancelSelected() {
  const id = state.selected;
  if (!id) return;
  const button = $('d-cancel');
  const message = $('d-message');
  button.disabled = true;
  message.replaceChildren();
  try {
    const task = await api(taskUrl(id), { method: 'DELETE' });
    remember(task);
    if (state.selected === id) message.replaceChildren(el('p', 'note', 'Task canceled.'));
  } catch (err) {
    if (state.selected === id) showProblem(message, err, 'Cannot cancel');
    if (err instanceof ApiError && err.status === 409) await loadTask(id);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Submit form

async function loadTypes() {
  try {
    const body = await api('api/types');
    state.types = Array.isArray(body) ? body.filter((t) => t && typeof t.type === 'string') : [];
  } catch (err) {
    showProblem($('submit-result'), err, 'Cannot load the task types');
    setTimeout(loadTypes, RETRY_TYPES_MS);
    return;
  }
  const select = $('f-type');
  const filter = $('filter-type');
  select.replaceChildren();
  filter.replaceChildren(new Option('all', ''));
  for (const t of state.types) {
    select.append(new Option(t.type, t.type));
    filter.append(new Option(t.type, t.type));
  }
  filter.value = state.filter.type;
  if (state.types.some((t) => t.type === 'sleep')) select.value = 'sleep';
  $('submit-result').replaceChildren();
  fillExample();
}

function fillExample() {
  const type = state.types.find((t) => t.type === $('f-type').value);
  setText($('f-type-desc'), type && type.description ? type.description : '');
  const input = $('f-input');
  input.value = type ? prettyJson(type.example ?? {}) : '{}';
  input.removeAttribute('aria-invalid');
}

function readNumber(body, field, inputId) {
  const raw = $(inputId).value.trim();
  if (raw === '') return;
  body[field] = Number(raw);
}

async function submitTask(event) {
  event.preventDefault();
  const out = $('submit-result');
  const inputField = $('f-input');
  out.replaceChildren();
  let input;
  try {
    input = JSON.parse(inputField.value);
  } catch (err) {
    inputField.setAttribute('aria-invalid', 'true');
    const box = el('div', 'banner error');
    box.dataset.testid = 'problem';
    box.append(el('strong', 'problem-title', 'The input is not valid JSON'),
      el('p', 'problem-detail', err.message));
    out.replaceChildren(box);
    inputField.focus();
    return;
  }
  inputField.removeAttribute('aria-invalid');
  const body = { type: $('f-type').value, input, priority: $('f-priority').value };
  readNumber(body, 'timeoutSeconds', 'f-timeout');
  readNumber(body, 'maxAttempts', 'f-attempts');
  readNumber(body, 'delaySeconds', 'f-delay');

  const button = $('f-submit');
  button.disabled = true;
  try {
    const task = await api('api/tasks', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    remember(task);
    const note = el('p', 'banner ok');
    note.dataset.testid = 'submitted';
    const link = el('button', 'link-button mono', shortId(task.id));
    link.type = 'button';
    link.addEventListener('click', () => openDetail(task.id, true));
    note.append('Submitted task ', link, '.');
    out.replaceChildren(note);
    // On a phone the panel covers the form: take the focus there. Elsewhere stay on the form.
    openDetail(task.id, narrow.matches);
    refreshList();
    refreshHealth();
  } catch (err) {
    showProblem(out, err, 'The task was not accepted');
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function changeFilter() {
  state.filter.status = $('filter-status').value;
  state.filter.type = $('filter-type').value;
  state.filter.limit = Number($('page-size').value) || 20;
  state.cursors = [null];
  state.next = null;
  updatePager();
  refreshList();
}

function init() {
  $('submit-form').addEventListener('submit', submitTask);
  $('f-type').addEventListener('change', fillExample);
  $('f-reset').addEventListener('click', fillExample);
  $('filter-status').addEventListener('change', changeFilter);
  $('filter-type').addEventListener('change', changeFilter);
  $('page-size').addEventListener('change', changeFilter);
  $('page-older').addEventListener('click', () => {
    if (!state.next) return;
    state.cursors.push(state.next);
    state.next = null;
    updatePager();
    refreshList();
  });
  $('page-newer').addEventListener('click', () => {
    if (state.cursors.length <= 1) return;
    state.cursors.pop();
    updatePager();
    refreshList();
  });
  $('d-close').addEventListener('click', closeDetail);
  $('d-cancel').addEventListener('click', cancelSelected);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.selected) {
      event.preventDefault();
      closeDetail();
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearTimeout(state.tickTimer);
      syncStreams(); // closes them all while hidden
    } else {
      tick();
    }
  });
  // Ages and durations move every second without asking the server.
  setInterval(() => {
    const now = Date.now();
    for (const [id, row] of state.rows) {
      const task = state.tasks.get(id);
      if (task) updateClocks(row, task, now);
    }
    const selected = state.selected && state.tasks.get(state.selected);
    if (selected) setText($('d-duration'), formatDuration(durationOf(selected, now)));
    if (state.sseDownUntil && sseAvailable()) {
      state.sseDownUntil = 0;
      syncStreams(); // try SSE again after a pause
    }
  }, 1000);

  updatePager();
  updateLiveMode();
  loadTypes();
  tick();
}

init();
