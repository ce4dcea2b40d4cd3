// An admin's "Cancel all pending…": the server first counts the pending tasks of the chosen
// type (and owner) with a dry run, the page asks "Cancel N pending tasks?", and only a
// confirmation cancels them. Changing the type or owner meanwhile takes the question back.

import { api, showProblem } from './api.js';
import { $, el, setText } from './dom.js';

const state = { asked: null, onDone: () => {} };

/** @param {object} options onDone(): tasks were canceled (the list and figures changed). */
export function init({ onDone }) {
  state.onDone = onDone;
  $('bulk-form').hidden = false;
  $('bulk-form').addEventListener('submit', ask);
  $('bulk-yes').addEventListener('click', confirm);
  $('bulk-keep').addEventListener('click', keep);
  $('bulk-type').addEventListener('change', withdraw);
  $('bulk-owner').addEventListener('input', withdraw);
  $('bulk-confirm').addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation(); // Escape here keeps the tasks; it does not close the task panel
    keep();
  });
}

/** Takes the form off the page: only admins cancel in bulk. */
export function remove() {
  $('bulk-form').remove();
}

export function setTypes(types) {
  const select = $('bulk-type');
  const chosen = select.value;
  select.replaceChildren(...types.map((t) => new Option(t.type, t.type)));
  if (types.some((t) => t.type === chosen)) select.value = chosen;
}

function filter() {
  const body = { type: $('bulk-type').value };
  const owner = $('bulk-owner').value.trim();
  if (owner) body.owner = owner;
  return body;
}

function scope(body) {
  return `${body.type} tasks${body.owner ? ` of ${body.owner}` : ' of every owner'}`;
}

function post(body) {
  return api('api/tasks/cancel', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function say(text, testid, className = 'note') {
  const note = el('p', className, text);
  note.dataset.testid = testid;
  $('bulk-result').replaceChildren(note);
  return note;
}

async function ask(event) {
  event.preventDefault();
  const body = filter();
  if (!body.type) return;
  withdraw();
  $('bulk-result').replaceChildren();
  const button = $('bulk-ask');
  button.disabled = true;
  try {
    const counted = await post({ ...body, dryRun: true });
    const n = Number(counted && counted.matched) || 0;
    if (n === 0) {
      say(`No pending ${scope(body)}: nothing to cancel.`, 'bulk-none');
      return;
    }
    state.asked = { body, n };
    const confirmBox = $('bulk-confirm');
    confirmBox.dataset.count = String(n);
    setText($('bulk-question'), `Cancel ${n} pending task${n === 1 ? '' : 's'}?`);
    setText($('bulk-scope'), `All pending ${scope(body)}: they will never run.`);
    setText($('bulk-yes'), `Yes, cancel ${n}`);
    confirmBox.hidden = false;
    $('bulk-keep').focus(); // the safe choice first
  } catch (err) {
    showProblem($('bulk-result'), err, 'Cannot count the pending tasks');
  } finally {
    button.disabled = false;
  }
}

async function confirm() {
  const asked = state.asked;
  if (!asked) return;
  withdraw();
  $('bulk-ask').focus();
  try {
    const done = await post(asked.body);
    const canceled = Number(done && done.canceled) || 0;
    const note = say(`Canceled ${canceled} pending task${canceled === 1 ? '' : 's'}.`,
      'bulk-done', 'banner ok');
    note.dataset.canceled = String(canceled);
    if (canceled !== asked.n) {
      // The server cancels what is pending when it is told to, not the tasks counted before.
      note.append(` ${asked.n} were pending when you were asked; tasks started or arrived since.`);
    }
    state.onDone();
  } catch (err) {
    showProblem($('bulk-result'), err, 'Cannot cancel the pending tasks');
  }
}

function keep() {
  if (!state.asked) return;
  withdraw();
  say('Nothing was canceled.', 'bulk-kept');
  $('bulk-ask').focus();
}

/** Takes the question back (answered, or its type or owner changed). */
function withdraw() {
  state.asked = null;
  const confirmBox = $('bulk-confirm');
  if (confirmBox.contains(document.activeElement)) $('bulk-ask').focus();
  confirmBox.hidden = true;
}
