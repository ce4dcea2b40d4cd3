// Values reach the page through textContent, attributes and CSSOM only, never as markup.

import { progressOf, safeStatus, formatTime } from './format.js';

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

export function setBadge(badge, status) {
  const s = safeStatus(status);
  badge.className = 'badge status-' + s;
  badge.dataset.status = s;
  setText(badge, status ?? 'unknown');
}
