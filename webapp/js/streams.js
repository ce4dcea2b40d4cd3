// Server-Sent Events: at most SSE_CAP streams, so a browser's six HTTP/1.1 connections per host
// are never all held by streams; closed as soon as their task reaches a final state.
//
// A stream the server ends without a final state (offload.sse.max.seconds, a restart) is
// reopened by EventSource itself, with Last-Event-ID; the server answers the current state
// first. It keeps its place among the SSE_CAP while it reconnects, and views it delivers go
// through the task store, which ignores anything older than what the page already shows.
//
// A stream that fails before it ever opened means SSE does not get through (blocked, a proxy,
// the server refused): SSE is treated as unavailable for SSE_RETRY_MS and the page polls.

import { taskUrl } from './api.js';
import { TERMINAL } from './format.js';
import * as tasks from './tasks.js';

export const SSE_CAP = 4;
const SSE_RETRY_MS = 30000;

const streams = new Map(); // id -> { es, opened, everOpened }
let downUntil = 0;
let onChange = () => {};

/** Calls `listener()` when streams open, close, reconnect or SSE is given up. */
export function onStreamsChange(listener) {
  onChange = listener;
}

tasks.onTask((task) => {
  if (TERMINAL.has(task.status) && close(task.id)) onChange();
});

export function available() {
  return typeof EventSource === 'function' && Date.now() >= downUntil;
}

/** How many streams the page holds, reconnecting ones included. */
export function count() {
  return streams.size;
}

/** True while the task's stream is connected (not while it opens or reconnects). */
export function isLive(id) {
  const entry = streams.get(id);
  return Boolean(entry) && entry.es.readyState === EventSource.OPEN;
}

/** True once when a pause of SSE_RETRY_MS has passed: time to try streams again. */
export function retryDue() {
  if (downUntil && available()) {
    downUntil = 0;
    return true;
  }
  return false;
}

/** Streams the first SSE_CAP of `wanted` and closes every other stream. */
export function sync(wanted) {
  const ids = wanted.slice(0, SSE_CAP);
  for (const id of [...streams.keys()]) {
    if (!ids.includes(id)) close(id);
  }
  if (available()) {
    for (const id of ids) {
      if (!streams.has(id)) open(id);
    }
  }
  onChange();
}

function open(id) {
  let es;
  try {
    es = new EventSource(taskUrl(id) + '/events');
  } catch {
    failed();
    return;
  }
  const entry = { es, opened: false, everOpened: false };
  streams.set(id, entry);
  const onEvent = (event) => {
    let task;
    try {
      task = JSON.parse(event.data);
    } catch {
      return;
    }
    tasks.remember(task);
    // The server ends the stream after a final state; close it before EventSource reconnects,
    // even when the store already held that state from another source.
    if (task && TERMINAL.has(task.status) && close(id)) onChange();
  };
  es.addEventListener('open', () => {
    entry.opened = true;
    entry.everOpened = true;
    onChange();
  });
  es.addEventListener('status', onEvent);
  es.addEventListener('progress', onEvent);
  es.addEventListener('message', onEvent);
  es.addEventListener('error', () => {
    if (streams.get(id) !== entry) return;
    if (entry.opened && es.readyState === EventSource.CONNECTING) {
      // Ended without a final state: EventSource reconnects by itself.
      entry.opened = false;
      onChange();
      return;
    }
    // Closed for good (an error status such as 404 or 429), or a reconnect that failed: let
    // the next list refresh decide whether to open it again. One that never opened: poll.
    close(id);
    if (!entry.everOpened) failed();
    onChange();
  });
}

/** Closes the task's stream; false when there was none. */
function close(id) {
  const entry = streams.get(id);
  if (!entry) return false;
  entry.es.close();
  streams.delete(id);
  return true;
}

function failed() {
  downUntil = Date.now() + SSE_RETRY_MS;
  for (const id of [...streams.keys()]) close(id);
  onChange();
}
