// The detail panel of one task. Its state comes from the task store (the freshest view from
// the list, a stream or a GET); its input and result from a full view, which it reads with
// GET api/tasks/{id} when it opens, and again once the task ends if the result is not in yet.
// Its actions: Cancel (pending or running), Retry (failed or canceled: a new task opens), Copy
// link (the page's address with the task open, see route.js).

import { api, ApiError, showProblem, taskUrl } from './api.js';
import { $, el, setBadge, setProgress, setText, setTime } from './dom.js';
import {
  TERMINAL, durationOf, formatDuration, isRetrying, prettyJson, progressOf, safeStatus, shortId,
} from './format.js';
import { linkTo } from './route.js';
import * as tasks from './tasks.js';

const state = {
  selected: null, // id shown
  gone: false, // the server no longer knows it (404)
  returnFocus: null,
  loadingFinal: null, // id whose final full view is being read
  canCancel: () => false,
  canRetry: () => false,
  onSelect: () => {},
  onRetried: () => {},
  focusTarget: () => null,
};

/**
 * @param {object} options cancels: whether the caller may cancel at all (if not, the Cancel
 *     button is removed from the page); canCancel(task): whether to offer it for this task;
 *     retries, canRetry(task): the same for Retry; onRetried(task): a retry was accepted (the
 *     panel shows the new task); onSelect(id or null): the panel opened, changed, closed or
 *     learned its task's state; focusTarget(id): where the focus goes when the panel closes.
 */
export function init({ canCancel, cancels, canRetry, retries, onRetried, onSelect, focusTarget }) {
  state.canCancel = canCancel;
  state.canRetry = canRetry;
  state.onRetried = onRetried;
  state.onSelect = onSelect;
  state.focusTarget = focusTarget;
  $('d-close').addEventListener('click', close);
  // A read-only caller gets no Cancel or Retry button at all, not a disabled one.
  if (cancels) {
    $('d-cancel').addEventListener('click', cancelSelected);
  } else {
    $('d-cancel').remove();
  }
  if (retries) {
    $('d-retry').addEventListener('click', retrySelected);
  } else {
    $('d-retry').remove();
  }
  $('d-copy').addEventListener('click', copyLink);
  $('d-retry-of').addEventListener('click', () => {
    const original = $('d-retry-of').dataset.id;
    if (original) open(original, true);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.selected) {
      event.preventDefault();
      close();
    }
  });
  tasks.onTask((task) => {
    if (task.id === state.selected) render(task);
  });
}

export function selected() {
  return state.selected;
}

/** True when the selected task is no longer retained by the server. */
export function isGone() {
  return state.gone;
}

/** Reads the full task; a 404 marks the panel's task as gone. */
export async function load(id) {
  try {
    tasks.remember(await api(taskUrl(id)));
  } catch (err) {
    if (state.selected !== id) return;
    if (err instanceof ApiError && err.status === 404) {
      state.gone = true;
      if (!tasks.task(id)) setText($('d-status'), 'not found'); // never seen: nothing to show
      showProblem($('d-message'), err, 'This task is no longer retained');
    }
  }
}

export function open(id, moveFocus) {
  const changed = state.selected !== id;
  state.selected = id;
  if (changed) {
    state.gone = false;
    $('d-message').replaceChildren();
  }
  const panel = $('detail');
  if (panel.hidden) state.returnFocus = document.activeElement;
  panel.hidden = false;
  document.body.classList.add('detail-open');
  const known = tasks.task(id);
  if (known) {
    render(known);
  } else {
    clear(id);
  }
  if (moveFocus) $('detail-heading').focus();
  state.onSelect(id);
  // Lists answer summaries: the input and result come with the task's own full view.
  load(id).then(() => {
    if (state.selected === id) state.onSelect(id);
  });
}

export function close() {
  const id = state.selected;
  state.selected = null;
  state.gone = false;
  $('detail').hidden = true;
  document.body.classList.remove('detail-open');
  state.onSelect(null);
  const target = state.focusTarget(id) || state.returnFocus;
  if (target && document.contains(target)) target.focus();
  state.returnFocus = null;
}

/** The duration of a running task and the countdown of a pending one move every second. */
export function tickClock(now) {
  const task = state.selected && tasks.task(state.selected);
  if (!task) return;
  setText($('d-duration'), formatDuration(durationOf(task, now)));
  setText($('d-progress-msg'), progressOf(task, now).message);
}

function clear(id) {
  const panel = $('detail');
  panel.dataset.id = id;
  delete panel.dataset.status;
  setText($('d-short'), shortId(id));
  setText($('d-id'), id);
  showLink(id);
  setRetryOf(null);
  const badge = $('d-status');
  badge.className = 'badge';
  delete badge.dataset.status;
  setText(badge, 'loading…');
  setText($('d-type'), '');
  setText($('d-owner'), '');
  // Nothing of the task shown before may stay beside this one's id.
  setProgress($('d-progress'), { status: null });
  setText($('d-progress-msg'), '');
  setText($('d-progress-pct'), '');
  for (const fact of ['d-priority', 'd-attempts', 'd-timeout', 'd-duration']) setText($(fact), '');
  for (const fact of ['d-created', 'd-started', 'd-finished', 'd-next', 'd-expires']) {
    setTime($(fact), null);
  }
  for (const button of [$('d-cancel'), $('d-retry')]) {
    if (button) button.hidden = true;
  }
  $('d-error-section').hidden = true;
  $('d-result-section').hidden = true;
  setText($('d-input'), '');
}

function render(task) {
  const panel = $('detail');
  panel.dataset.id = task.id;
  panel.dataset.status = safeStatus(task.status);
  setText($('d-short'), shortId(task.id));
  setText($('d-id'), task.id);
  showLink(task.id);
  panel.dataset.retrying = String(isRetrying(task));
  setBadge($('d-status'), task);
  setText($('d-type'), task.type);
  setText($('d-owner'), task.owner);
  setProgress($('d-progress'), task);
  const { percent, message } = progressOf(task);
  setText($('d-progress-msg'), message);
  setText($('d-progress-pct'), `${percent}%`);
  $('d-raw').href = taskUrl(task.id);

  offer($('d-cancel'), (task.status === 'pending' || task.status === 'running')
    && state.canCancel(task));
  offer($('d-retry'), (task.status === 'failed' || task.status === 'canceled')
    && state.canRetry(task));

  const error = task.error;
  $('d-error-section').hidden = !error;
  // A task waiting to retry shows why its last attempt failed.
  setText($('d-error-heading'),
    isRetrying(task) ? `Last error (attempt ${task.attempts})` : 'Error');
  setText($('d-error-type'), error ? error.type : '');
  setText($('d-error-message'), error ? error.message : '');

  // Input and result come from a full view; a result only from one in a final state, so a
  // panel never shows the result of an earlier read beside a later status.
  const content = tasks.contentOf(task.id);
  const ended = TERMINAL.has(task.status);
  const result = content && content.final ? content.result : undefined;
  const hasResult = ended && result !== null && result !== undefined;
  $('d-result-section').hidden = !hasResult;
  setText($('d-result'), hasResult ? prettyJson(result) : '');
  setText($('d-input'), content ? prettyJson(content.input) : '');
  if (ended && !(content && content.final)) loadFinal(task.id);

  setText($('d-priority'), task.priority);
  setText($('d-attempts'), `${task.attempts ?? 0} of at most ${task.maxAttempts ?? '?'}`);
  setText($('d-timeout'), task.timeoutSeconds ? `${task.timeoutSeconds} s` : '—');
  setTime($('d-created'), task.createdAt);
  setTime($('d-started'), task.startedAt);
  setTime($('d-finished'), task.finishedAt);
  setTime($('d-next'), task.nextAttemptAt);
  setTime($('d-expires'), task.expiresAt);
  setText($('d-duration'), formatDuration(durationOf(task, Date.now())));
  setRetryOf(typeof task.retryOf === 'string' ? task.retryOf : null);
}

/** Shows an action button or hides it (moving the focus off it first). */
function offer(button, shown) {
  if (!button) return;
  if (!shown && button === document.activeElement) $('detail-heading').focus();
  button.hidden = !shown;
}

function showLink(id) {
  const link = $('d-link');
  const href = linkTo(id);
  if (link.href !== href) {
    link.href = href;
    setText(link, href);
  }
}

/** The task this one retries, as a button that opens it. */
function setRetryOf(original) {
  $('d-retry-of-term').hidden = !original;
  $('d-retry-of-cell').hidden = !original;
  const button = $('d-retry-of');
  button.dataset.id = original || '';
  setText(button, original ? shortId(original) : '');
  button.title = original || '';
  button.setAttribute('aria-label',
    original ? `Show task ${shortId(original)}, which this one retries` : '');
}

async function copyLink() {
  const id = state.selected;
  if (!id) return;
  const message = $('d-message');
  const href = linkTo(id);
  try {
    await navigator.clipboard.writeText(href);
    if (state.selected === id) message.replaceChildren(el('p', 'note', 'Link copied.'));
  } catch {
    // No clipboard (an insecure origin, a denied permission): select the link for Ctrl+C.
    if (state.selected !== id) return;
    const range = document.createRange();
    range.selectNodeContents($('d-link'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    message.replaceChildren(el('p', 'note', 'The link is selected below: copy it with Ctrl+C.'));
  }
}

/** A failed or canceled task submitted again: the new task opens, linked to this one. */
async function retrySelected() {
  const id = state.selected;
  if (!id) return;
  const button = $('d-retry');
  const message = $('d-message');
  button.disabled = true;
  message.replaceChildren();
  try {
    const task = await api(taskUrl(id) + '/retry', { method: 'POST' });
    tasks.remember(task);
    if (state.selected === id && task && typeof task.id === 'string') {
      open(task.id, true);
      $('d-message').replaceChildren(
        el('p', 'note', `Submitted again as a new task, a retry of ${shortId(id)}.`));
    }
    state.onRetried(task);
  } catch (err) {
    if (state.selected === id) showProblem(message, err, 'Cannot retry');
    if (err instanceof ApiError && err.status === 409) await load(id);
  } finally {
    button.disabled = false;
  }
}

/** The list or a stream said the task ended; its result comes with one more full read. */
function loadFinal(id) {
  if (state.loadingFinal === id) return;
  state.loadingFinal = id;
  load(id).finally(() => {
    if (state.loadingFinal === id) state.loadingFinal = null;
  });
}

async function cancelSelected() {
  const id = state.selected;
  if (!id) return;
  const button = $('d-cancel');
  const message = $('d-message');
  button.disabled = true;
  message.replaceChildren();
  try {
    tasks.remember(await api(taskUrl(id), { method: 'DELETE' }));
    if (state.selected === id) message.replaceChildren(el('p', 'note', 'Task canceled.'));
  } catch (err) {
    if (state.selected === id) showProblem(message, err, 'Cannot cancel');
    if (err instanceof ApiError && err.status === 409) await load(id);
  } finally {
    button.disabled = false;
  }
}
