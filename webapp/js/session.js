// Who is signed in, from GET api/me, and what the page offers them. Shown in the header; when
// there is nobody to show the page to (signed out, no Offload role) a message says so instead.

import { api, ApiError } from './api.js';
import { $, el, setText } from './dom.js';

const RETRY_MS = 5000;
const PAGE_ROLES = ['offload-admin', 'offload-viewer', 'offload-user'];

/**
 * Resolves with the session once /api/me answers: { owner, auth, admin, canSubmit,
 * seesEveryone, showOwners, canCancel(task), cancels, canRetry(task), retries, operator }; or
 * with null after showing why the page has nothing to show (401, 403, no role that reads
 * tasks). Retries while the server is unreachable.
 */
export async function load() {
  for (;;) {
    try {
      const me = await api('api/me');
      const roles = Array.isArray(me && me.roles) ? me.roles.map(String) : [];
      if (!PAGE_ROLES.some((r) => roles.includes(r))) {
        problem('no-role', 'No Offload role',
          `You are signed in as ${me && me.owner}, but with none of Offload's roles ` +
          '(offload-user, offload-viewer, offload-admin).', null);
        return null;
      }
      const session = build(me, roles);
      showWho(session, roles);
      $('session-problem').hidden = true;
      return session;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        problem('signed-out', 'Signed out',
          'Offload needs you to sign in before it shows any task.', err);
        return null;
      }
      if (err instanceof ApiError && err.status === 403) {
        problem('no-role', 'No Offload role',
          'You are signed in, but Offload does not know you as a user, viewer or admin. ' +
          'Ask for one of the roles offload-user, offload-viewer or offload-admin.', err);
        return null;
      }
      problem('unreachable', 'Cannot reach Offload',
        `Trying again every ${RETRY_MS / 1000} s.`, err);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

function build(me, roles) {
  const admin = roles.includes('offload-admin');
  const seesEveryone = me.seesEveryone === true;
  const owner = typeof me.owner === 'string' ? me.owner : '';
  const mayCancel = me.canCancel === true;
  const maySubmit = me.canSubmit === true;
  // Another owner's task is theirs to act on only for an admin (a user who is also a viewer
  // sees it, but may cancel or retry only their own).
  const mayTouch = (task) => admin || !seesEveryone || task.owner === owner;
  return {
    owner,
    auth: typeof me.auth === 'string' ? me.auth : '',
    admin,
    canSubmit: maySubmit,
    seesEveryone,
    // The figures of every owner's tasks (api/stats) are for those who see every owner's.
    operator: seesEveryone,
    // With authentication off every task has the one owner: a column of it says nothing.
    showOwners: seesEveryone && me.auth !== 'none',
    cancels: mayCancel,
    canCancel: (task) => mayCancel && mayTouch(task),
    // Retrying submits a new task: users retry their own, admins anyone's, viewers nothing.
    retries: maySubmit,
    canRetry: (task) => maySubmit && mayTouch(task),
  };
}

/** The signed-in owner and role in the header. */
function showWho(session, roles) {
  const role = roles.includes('offload-admin') ? 'admin'
    : ['offload-user', 'offload-viewer'].filter((r) => roles.includes(r))
      .map((r) => r.slice('offload-'.length)).join(' + ');
  const who = $('who');
  who.dataset.role = role.replace(' + ', '-');
  if (session.auth === 'none') {
    setText($('who-label'), 'Sign-in off:');
    setText($('who-owner'), session.owner);
    setText($('who-role'), role);
    who.title = 'offload.auth=none: every caller is one owner with every right';
  } else {
    setText($('who-label'), 'Signed in as');
    setText($('who-owner'), session.owner);
    setText($('who-role'), role);
    who.title = `Roles: ${roles.join(', ')}`;
  }
  who.hidden = false;
}

function problem(kind, title, text, err) {
  const box = $('session-problem');
  box.dataset.kind = kind;
  const parts = [el('h2', null, title), el('p', null, text)];
  const detail = err instanceof ApiError && err.body && typeof err.body.detail === 'string'
    ? err.body.detail : err && !(err instanceof ApiError) ? err.message : null;
  if (detail) {
    const server = el('p', 'problem-detail', detail);
    server.dataset.testid = 'session-problem-detail';
    parts.push(server);
  }
  if (kind === 'signed-out') {
    // Opening the page again makes the browser ask for credentials (offload.auth=container).
    const again = el('a', 'button', 'Sign in');
    again.href = './';
    // A reload keeps the address's #task=…, so the task opens once signed in.
    again.addEventListener('click', (event) => {
      event.preventDefault();
      location.reload();
    });
    const line = el('p');
    line.append(again);
    parts.push(line);
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}
