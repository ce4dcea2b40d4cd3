// One search box for a task: a UUID opens that task; anything else is an idempotency key,
// looked up with GET api/tasks?idempotencyKey= (a user's own tasks; a viewer's or admin's of
// every owner, so one key may find several tasks: the page lists them to choose from).

import { api, ApiError, showProblem, taskUrl } from './api.js';
import { $, el } from './dom.js';
import { shortId, statusLabel } from './format.js';
import { UUID } from './route.js';
import * as tasks from './tasks.js';

const state = { seq: 0, onOpen: () => {} };

/** @param {object} options onOpen(id): a task was found (or chosen among several). */
export function init({ onOpen }) {
  state.onOpen = onOpen;
  $('search-form').addEventListener('submit', search);
  $('search-input').addEventListener('input', () => {
    if (!$('search-input').value.trim()) $('search-result').replaceChildren();
  });
}

function say(text, testid) {
  const note = el('p', 'note', text);
  note.dataset.testid = testid;
  $('search-result').replaceChildren(note);
}

async function search(event) {
  event.preventDefault();
  const query = $('search-input').value.trim();
  const out = $('search-result');
  out.replaceChildren();
  if (!query) return;
  const seq = ++state.seq;
  try {
    if (UUID.test(query)) {
      const id = query.toLowerCase();
      const task = await api(taskUrl(id));
      if (seq !== state.seq) return;
      tasks.remember(task);
      state.onOpen(id);
      return;
    }
    const params = new URLSearchParams({ idempotencyKey: query, limit: '20' });
    const body = await api('api/tasks?' + params.toString());
    if (seq !== state.seq) return;
    const found = (body && Array.isArray(body.items) ? body.items : [])
      .filter((t) => t && typeof t.id === 'string');
    found.forEach(tasks.remember);
    if (found.length === 1) {
      state.onOpen(found[0].id);
    } else if (found.length === 0) {
      say(`No task has the idempotency key “${query}”.`, 'search-none');
    } else {
      listMatches(query, found);
    }
  } catch (err) {
    if (seq !== state.seq) return;
    if (err instanceof ApiError && err.status === 404) {
      say(`No task ${shortId(query)}: unknown, expired, or not yours to see.`, 'search-none');
    } else {
      showProblem(out, err, 'The search failed');
    }
  }
}

/** Several owners used the key: one button per task, with its owner. */
function listMatches(query, found) {
  const list = el('ul', 'matches');
  list.dataset.testid = 'search-matches';
  for (const task of found) {
    const button = el('button', 'link-button mono', shortId(task.id));
    button.type = 'button';
    button.title = task.id;
    button.dataset.id = task.id;
    button.addEventListener('click', () => state.onOpen(task.id));
    const item = el('li');
    item.append(button, ` ${task.type} · ${task.owner} · ${statusLabel(task)}`);
    list.append(item);
  }
  const lead = el('p', 'note', `${found.length} tasks have the idempotency key “${query}”:`);
  $('search-result').replaceChildren(lead, list);
}
