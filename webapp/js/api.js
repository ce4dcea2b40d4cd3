// HTTP: one fetch wrapper and one way to show an RFC 9457 problem. Every URL is relative to the
// page, so the page works under any context path.

import { el } from './dom.js';

export class ApiError extends Error {
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

export function taskUrl(id) {
  return 'api/tasks/' + encodeURIComponent(id);
}

export async function api(path, options = {}) {
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
export function showProblem(container, err, lead) {
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
