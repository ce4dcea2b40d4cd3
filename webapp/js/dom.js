// Values reach the page through textContent, attributes and CSSOM only, never as markup.

import { isRetrying, progressOf, safeStatus, statusLabel, formatTime } from './format.js';

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function setText(node, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

export function setTime(node, iso) {
  setText(node, formatTime(iso));
  node.title = iso || '';
}

export function setProgress(bar, task) {
  const { percent } = progressOf(task);
  bar.dataset.status = safeStatus(task.status);
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', `${percent}%`);
  // CSSOM, not an inline style attribute: allowed by the Content-Security-Policy.
  bar.firstElementChild.style.width = percent + '%';
}

/** The status of a task, in colour, shape and text; a task waiting to retry says 'retrying'. */
export function setBadge(badge, task) {
  const s = safeStatus(task.status);
  const retrying = isRetrying(task);
  badge.className = 'badge status-' + s + (retrying ? ' retrying' : '');
  badge.dataset.status = s;
  badge.dataset.retrying = String(retrying);
  setText(badge, statusLabel(task));
}
