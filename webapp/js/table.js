// The task table: one list request per refresh, filters, cursor paging, and rows that follow
// the views in the task store. The list answers summaries: rows need nothing more.

import { api, ApiError } from './api.js';
import { $, el, setText, setBadge, setProgress } from './dom.js';
import {
  ageOf, durationOf, formatAge, formatDuration, formatTime, isRetrying, progressOf, safeStatus,
  shortId,
} from './format.js';
import * as tasks from './tasks.js';

/** The visible page of the list is refreshed once per interval (see live.js). */
export const POLL_MS = 2000;

const state = {
  filter: { status: '', type: '', limit: 20 },
  cursors: [null], // cursor of each page visited; the last one is the current page
  next: null,
  items: [], // ids on the current page, newest first
  rows: new Map(), // id -> row elements
  selected: null,
  showOwner: false,
  seq: 0,
  ok: null, // null before the first answer, then whether the last refresh worked
  onOpen: () => {},
  onListed: () => {},
  onStatus: () => {},
};

/**
 * Wires the filters and the pager.
 * @param {object} options showOwner: an Owner column (for callers who see everyone's tasks);
 *     onOpen(id, moveFocus): a row asks for its detail; onListed(): a refresh answered;
 *     onStatus(): the list started or stopped working.
 */
export function init({ showOwner, onOpen, onListed, onStatus }) {
  state.showOwner = Boolean(showOwner);
  state.onOpen = onOpen;
  state.onListed = onListed;
  state.onStatus = onStatus;
  if (state.showOwner) {
    const owner = el('th', null, 'Owner');
    owner.scope = 'col';
    owner.dataset.testid = 'owner-heading';
    $('col-type').after(owner);
  }
  $('filter-status').addEventListener('change', changeFilter);
  $('filter-type').addEventListener('change', changeFilter);
  $('page-size').addEventListener('change', changeFilter);
  $('page-older').addEventListener('click', () => {
    if (!state.next) return;
    state.cursors.push(state.next);
    state.next = null;
    updatePager();
    refresh();
  });
  $('page-newer').addEventListener('click', () => {
    if (state.cursors.length <= 1) return;
    state.cursors.pop();
    updatePager();
    refresh();
  });
  tasks.onTask((task) => {
    const row = state.rows.get(task.id);
    if (row) updateRow(row, task);
  });
  updatePager();
}

/** Ids on the visible page, newest first. */
export function visibleIds() {
  return state.items;
}

export function hasRow(id) {
  return state.rows.has(id);
}

/** Null before the list first answered, then whether its last refresh worked. */
export function listOk() {
  return state.ok;
}

/** The row's id button, to give the focus back to. */
export function rowButton(id) {
  const row = id && state.rows.get(id);
  return row ? row.open : null;
}

/** Marks the row of the task in the detail panel (null: none). */
export function select(id) {
  state.selected = id;
  for (const [rowId, row] of state.rows) row.tr.classList.toggle('selected', rowId === id);
}

/** Fills the type filter with the known types. */
export function setTypes(types) {
  const filter = $('filter-type');
  filter.replaceChildren(new Option('all', ''));
  for (const t of types) filter.append(new Option(t.type, t.type));
  filter.value = state.filter.type;
}

/** Ages and durations move every second without asking the server. */
export function tickClocks(now) {
  for (const [id, row] of state.rows) {
    const task = tasks.task(id);
    if (task) updateClocks(row, task, now);
  }
}

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

  let owner = null;
  if (state.showOwner) {
    owner = el('td', 'cell-owner');
    owner.dataset.label = 'Owner';
    owner.dataset.testid = 'task-owner';
  }

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

  tr.append(...[idCell, type, owner, statusCell, progressCell, attempts, age, duration]
    .filter(Boolean));
  tr.addEventListener('click', (event) => {
    // The id button handles keyboard activation; a click anywhere else on the row helps mice.
    if (event.target.closest('button, a')) return;
    state.onOpen(id, false);
  });
  open.addEventListener('click', () => state.onOpen(id, true));
  return { tr, open, type, owner, badge, bar, message, attempts, age, duration };
}

function updateRow(row, task) {
  row.tr.dataset.status = safeStatus(task.status);
  row.tr.dataset.retrying = String(isRetrying(task));
  setText(row.type, task.type);
  if (row.owner) setText(row.owner, task.owner);
  setBadge(row.badge, task);
  setProgress(row.bar, task);
  setText(row.attempts, `${task.attempts ?? 0} / ${task.maxAttempts ?? '?'}`);
  updateClocks(row, task, Date.now());
}

/** What moves with time alone: age, duration, and a pending task's countdown. */
function updateClocks(row, task, now) {
  setText(row.age, formatAge(ageOf(task, now)));
  row.age.title = task.createdAt ? 'created ' + formatTime(task.createdAt) : '';
  setText(row.duration, formatDuration(durationOf(task, now)));
  const { message } = progressOf(task, now);
  setText(row.message, message);
  row.message.title = message;
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
    updateRow(row, tasks.task(id));
    const at = tbody.children[index];
    // Only move rows that are out of place, so a focused row keeps its focus.
    if (at !== row.tr) tbody.insertBefore(row.tr, at || null);
  });
  state.items = ids;
  $('empty').hidden = ids.length > 0;
  // Forget views that are neither shown nor selected.
  if (state.selected) keep.add(state.selected);
  tasks.forgetExcept(keep);
}

function updatePager() {
  const page = state.cursors.length;
  $('page-label').textContent = `Page ${page}`;
  $('page-newer').disabled = page <= 1;
  $('page-older').disabled = !state.next;
}

function changeFilter() {
  state.filter.status = $('filter-status').value;
  state.filter.type = $('filter-type').value;
  state.filter.limit = Number($('page-size').value) || 20;
  state.cursors = [null];
  state.next = null;
  updatePager();
  refresh();
}

/** Fetches the visible page (summaries) once; a newer refresh wins over an older one. */
export async function refresh() {
  const seq = ++state.seq;
  const params = new URLSearchParams();
  if (state.filter.status) params.set('status', state.filter.status);
  if (state.filter.type) params.set('type', state.filter.type);
  params.set('limit', String(state.filter.limit));
  const cursor = state.cursors[state.cursors.length - 1];
  if (cursor) params.set('after', cursor);
  try {
    const body = await api('api/tasks?' + params.toString());
    if (seq !== state.seq) return; // a newer refresh (filter or page change) started
    const items = body && Array.isArray(body.items) ? body.items : [];
    state.next = body && typeof body.next === 'string' ? body.next : null;
    for (const task of items) tasks.remember(task);
    renderRows(items.filter((t) => t && typeof t.id === 'string').map((t) => t.id));
    updatePager();
    setListError(null);
    state.onListed();
  } catch (err) {
    if (seq !== state.seq) return;
    if (err instanceof ApiError && err.status === 400 && cursor) {
      // The cursor is no longer valid (its task expired): start again from the newest.
      state.cursors = [null];
      state.next = null;
      updatePager();
      return refresh();
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
    state.ok = true;
    state.onStatus();
    return;
  }
  state.ok = false;
  box.hidden = false;
  const text = err instanceof ApiError ? err.message : 'the server cannot be reached';
  box.replaceChildren(el('strong', null, 'Cannot load tasks. '),
    el('span', null, `${text}. Retrying every ${POLL_MS / 1000} s.`));
  state.onStatus();
}
