// What keeps the page live without a request storm (README, "The status page"):
//   - ONE list request per POLL_MS for the visible page, whatever the number of rows, never
//     while the previous refresh is still in flight, nothing while the tab is hidden;
//   - event streams for the task in the detail panel, then the running, then the pending tasks
//     on the page, at most SSE_CAP;
//   - one GET per interval for a detail task that is live but neither on the visible page nor
//     streaming (SSE unavailable, or its stream reconnecting);
//   - the operator's figures (api/stats) every ops.STATS_MS, for viewers and admins.

import { $, setText } from './dom.js';
import { TERMINAL } from './format.js';
import * as detail from './detail.js';
import * as health from './health.js';
import * as ops from './ops.js';
import * as streams from './streams.js';
import * as table from './table.js';
import * as tasks from './tasks.js';

const { POLL_MS } = table;

const loop = { ticking: false, timer: null };

export async function tick() {
  if (loop.ticking) return;
  clearTimeout(loop.timer);
  loop.timer = null;
  if (document.hidden) return; // resumed by visibilitychange
  loop.ticking = true;
  try {
    await table.refresh();
    await pollSelected();
    await health.refresh();
    await ops.refresh();
  } finally {
    loop.ticking = false;
    if (!document.hidden) loop.timer = setTimeout(tick, POLL_MS);
  }
}

/** The tab was hidden (streams closed, loop paused) or shown again. */
export function visibilityChanged() {
  if (document.hidden) {
    clearTimeout(loop.timer);
    syncStreams();
  } else {
    tick();
  }
}

async function pollSelected() {
  const id = detail.selected();
  if (!id || detail.isGone() || table.hasRow(id) || streams.isLive(id)) return;
  const task = tasks.task(id);
  if (task && TERMINAL.has(task.status)) return;
  await detail.load(id);
}

function wantedStreams() {
  const wanted = [];
  const id = detail.selected();
  const selected = id && tasks.task(id);
  if (selected && !TERMINAL.has(selected.status) && !detail.isGone()) wanted.push(id);
  for (const status of ['running', 'pending']) {
    for (const itemId of table.visibleIds()) {
      if (wanted.length >= streams.SSE_CAP) return wanted;
      const task = tasks.task(itemId);
      if (task && task.status === status && !wanted.includes(itemId)) wanted.push(itemId);
    }
  }
  return wanted;
}

export function syncStreams() {
  streams.sync(document.hidden ? [] : wantedStreams());
}

/** Every second: the clocks move, and SSE is tried again after a pause. */
export function everySecond() {
  const now = Date.now();
  table.tickClocks(now);
  detail.tickClock(now);
  if (streams.retryDue()) syncStreams();
}

export function updateLiveMode() {
  const node = $('live-mode');
  const ok = table.listOk();
  const open = streams.count();
  let mode;
  let text;
  if (ok === false) {
    mode = 'offline';
    text = 'Offline · retrying';
  } else if (ok === null) {
    mode = 'connecting';
    text = 'connecting…';
  } else if (!streams.available()) {
    mode = 'polling';
    text = `Polling every ${POLL_MS / 1000} s (SSE unavailable)`;
  } else {
    mode = 'live';
    text = open > 0 ? `Live · ${open} stream${open === 1 ? '' : 's'}` : 'Live';
  }
  node.dataset.mode = mode;
  node.dataset.streams = String(open);
  setText(node, text);
  node.title = `The list refreshes every ${POLL_MS / 1000} s; up to ${streams.SSE_CAP} tasks ` +
    'also stream their progress as Server-Sent Events.';
}
