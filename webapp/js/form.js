// The submit form: type list and examples from GET api/types, JSON checked before sending,
// the server's problem shown when it refuses. Only callers who may submit get the form.

import { api, showProblem } from './api.js';
import { $, el, setText } from './dom.js';
import { prettyJson, shortId } from './format.js';
import * as tasks from './tasks.js';

const state = {
  types: [],
  onSubmitted: () => {},
  onOpen: () => {},
};

/**
 * @param {object} options onSubmitted(task): the server accepted a task;
 *     onOpen(id): the note's link to the new task was used.
 */
export function init({ onSubmitted, onOpen }) {
  state.onSubmitted = onSubmitted;
  state.onOpen = onOpen;
  $('submit-form').addEventListener('submit', submitTask);
  $('f-type').addEventListener('change', fillExample);
  $('f-reset').addEventListener('click', fillExample);
}

/** Takes the form off the page: a caller who may not submit gets none, not a disabled one. */
export function remove() {
  $('submit-card').remove();
  $('app').classList.add('single');
}

/** The types could not be loaded (retried by the caller). */
export function typesFailed(err) {
  showProblem($('submit-result'), err, 'Cannot load the task types');
}

export function setTypes(types) {
  state.types = types;
  const select = $('f-type');
  select.replaceChildren();
  for (const t of types) select.append(new Option(t.type, t.type));
  if (types.some((t) => t.type === 'sleep')) select.value = 'sleep';
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
    tasks.remember(task);
    const note = el('p', 'banner ok');
    note.dataset.testid = 'submitted';
    const link = el('button', 'link-button mono', shortId(task.id));
    link.type = 'button';
    link.addEventListener('click', () => state.onOpen(task.id));
    note.append('Submitted task ', link, '.');
    out.replaceChildren(note);
    state.onSubmitted(task);
  } catch (err) {
    showProblem(out, err, 'The task was not accepted');
  } finally {
    button.disabled = false;
  }
}
