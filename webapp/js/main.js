// Offload status page: the wiring. Plain ES modules, no build step, nothing from another origin,
// every URL relative to the page (it works under any context path).
//
//   session.js  who is signed in (api/me): the header, or why there is nothing to show
//   table.js    the task list: summaries, filters, paging, an Owner column for viewers/admins
//   detail.js   one task in full: input, result, error, Cancel and Retry where the caller may,
//               its link; route.js keeps the open task in the address (#task=<id>)
//   search.js   find a task by id or idempotency key
//   form.js     the submit form, for callers who may submit
//   ops.js      the operator's panel (viewers, admins): charts.js draws its SVG charts;
//               bulk.js an admin's "Cancel all pending…"
//   live.js     the refresh loop and which tasks stream; streams.js the event streams
//   health.js   the gauges; tasks.js the views the page holds; api.js HTTP and problems;
//   dom.js, format.js  the small helpers (values reach the page as text, never as HTML)

import { api } from './api.js';
import * as bulk from './bulk.js';
import { $ } from './dom.js';
import * as detail from './detail.js';
import * as form from './form.js';
import * as health from './health.js';
import * as live from './live.js';
import * as ops from './ops.js';
import * as route from './route.js';
import * as search from './search.js';
import * as session from './session.js';
import * as streams from './streams.js';
import * as table from './table.js';

const RETRY_TYPES_MS = 5000;
const narrow = window.matchMedia('(max-width: 720px)');

async function loadTypes(withForm, withBulk) {
  let types;
  try {
    const body = await api('api/types');
    types = Array.isArray(body) ? body.filter((t) => t && typeof t.type === 'string') : [];
  } catch (err) {
    if (withForm) form.typesFailed(err);
    setTimeout(() => loadTypes(withForm, withBulk), RETRY_TYPES_MS);
    return;
  }
  table.setTypes(types);
  if (withForm) form.setTypes(types);
  if (withBulk) bulk.setTypes(types);
}

/** The address names a task (a link, Back, Forward): show it, or close the panel. */
function followAddress(id, moveFocus) {
  if (id && id !== detail.selected()) {
    detail.open(id, moveFocus);
  } else if (!id && detail.selected()) {
    detail.close();
  }
}

async function start() {
  health.refresh();
  const me = await session.load();
  if (!me) return; // session.js says why

  table.init({
    showOwner: me.showOwners,
    onOpen: (id, moveFocus) => detail.open(id, moveFocus),
    onListed: live.syncStreams,
    onStatus: live.updateLiveMode,
  });
  detail.init({
    canCancel: me.canCancel,
    cancels: me.cancels,
    canRetry: me.canRetry,
    retries: me.retries,
    onRetried: () => {
      table.refresh();
      ops.refresh(true);
    },
    onSelect: (id) => {
      route.follow(id);
      table.select(id);
      live.syncStreams();
    },
    focusTarget: table.rowButton,
  });
  search.init({ onOpen: (id) => detail.open(id, true) });
  const withBulk = me.operator && me.admin;
  if (me.operator) {
    ops.init();
    if (withBulk) {
      bulk.init({
        onDone: () => {
          table.refresh();
          ops.refresh(true);
          health.refresh();
        },
      });
    } else {
      bulk.remove();
    }
  } else {
    ops.remove(); // users get no api/stats: no panel at all
  }
  if (me.canSubmit) {
    form.init({
      onOpen: (id) => detail.open(id, true),
      onSubmitted: (task) => {
        // On a phone the panel covers the form: take the focus there. Elsewhere stay on it.
        detail.open(task.id, narrow.matches);
        table.refresh();
        health.refresh();
        ops.refresh(true);
      },
    });
  } else {
    form.remove();
  }
  streams.onStreamsChange(live.updateLiveMode);
  document.addEventListener('visibilitychange', live.visibilityChanged);
  setInterval(live.everySecond, 1000);

  $('app').hidden = false;
  live.updateLiveMode();
  loadTypes(me.canSubmit, withBulk);
  route.onChange((id) => followAddress(id, false));
  followAddress(route.taskInUrl(), true); // opened with #task=<id>: that task, once signed in
  live.tick();
}

start();
