// The task views the page holds, one place that accepts a fresh view and tells the table and
// the detail panel. A list answers summaries (no input, no result); a task's own GET, its event
// stream, a submit and a cancel answer full views.

import { TERMINAL } from './format.js';

const views = new Map(); // id -> freshest view, summary or full
const contents = new Map(); // id -> { input, result, final } from a full view
const listeners = [];

/** Calls `listener(view)` with the freshest view of a task whenever the page learns more. */
export function onTask(listener) {
  listeners.push(listener);
}

export function task(id) {
  return views.get(id);
}

/**
 * The input and result of a task, from the last full view read, or undefined before one was.
 * `final` says the result is the last word (the view was in a final state).
 */
export function contentOf(id) {
  return contents.get(id);
}

/** A summary (a list item) leaves input and result out; a full view always has them. */
function isFull(view) {
  return Object.prototype.hasOwnProperty.call(view, 'input');
}

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

export function remember(view) {
  if (!view || typeof view !== 'object' || typeof view.id !== 'string') return;
  const id = view.id;
  let changed = false;
  // The input never changes and a result only comes with a final state, which never changes
  // either: a full view is worth keeping for its content even when its state is not the newest.
  const held = contents.get(id);
  if (isFull(view) && !(held && held.final)) {
    contents.set(id, { input: view.input, result: view.result, final: TERMINAL.has(view.status) });
    changed = true;
  }
  const current = views.get(id);
  if (!current || !isStale(current, view)) {
    views.set(id, view);
    changed = true;
  }
  if (changed) {
    const freshest = views.get(id);
    for (const listener of listeners) listener(freshest);
  }
}

/** Forgets every task but those in `keep` (the ones shown). */
export function forgetExcept(keep) {
  for (const id of views.keys()) {
    if (!keep.has(id)) {
      views.delete(id);
      contents.delete(id);
    }
  }
  for (const id of contents.keys()) {
    if (!keep.has(id)) contents.delete(id);
  }
}
