// The task in the detail panel lives in the page's URL as #task=<id>: every task has a link of
// its own, a reload keeps it open, and each task opened (or the panel closed) is one entry of
// the browser's history, so Back and Forward step through them.

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The task the URL names, or null. */
export function taskInUrl() {
  const match = /^#task=([^&]*)$/.exec(location.hash);
  return match && UUID.test(match[1]) ? match[1].toLowerCase() : null;
}

/** The address of this page with the task open. */
export function linkTo(id) {
  const url = new URL(location.href);
  url.hash = 'task=' + id;
  return url.href;
}

/** The panel now shows `id` (null: it closed): one new history entry when the URL differs. */
export function follow(id) {
  if (taskInUrl() === id) return;
  const url = new URL(location.href);
  url.hash = id ? 'task=' + id : '';
  history.pushState(null, '', url.href);
}

/** Calls `listener(id or null)` when Back, Forward or an edited address changes the task. */
export function onChange(listener) {
  const changed = () => listener(taskInUrl());
  window.addEventListener('popstate', changed);
  window.addEventListener('hashchange', changed);
}
