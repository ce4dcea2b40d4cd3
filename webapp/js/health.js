// Health gauges from GET api/health. A caller without an Offload role gets the status only;
// the other gauges then stay at '–'.

import { api, ApiError } from './api.js';
import { $, setText } from './dom.js';

const KNOWN = { up: 'up', shutting_down: 'shutting down', store_unavailable: 'store unavailable' };

/** A gauge bar; a full queue is a warning, busy workers are just work being done. */
function setMeter(fill, value, max, warn = true) {
  const ratio = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  fill.style.width = Math.round(ratio * 100) + '%';
  fill.dataset.level = !warn ? 'low' : ratio >= 0.9 ? 'high' : ratio >= 0.6 ? 'mid' : 'low';
}

function render(h) {
  const pill = $('health-status');
  const status = h && typeof h.status === 'string' ? h.status : 'unknown';
  pill.dataset.state = KNOWN[status] ? status : 'unknown';
  setText(pill, KNOWN[status] || status);
  // Without an Offload role the server tells the status only: show no empty gauges then.
  $('gauges').classList.toggle('status-only', !(h && h.workers));
  const workers = (h && h.workers) || {};
  const queue = (h && h.queue) || {};
  setText($('workers-text'), `${workers.busy ?? '–'} / ${workers.total ?? '–'}`);
  setMeter($('workers-fill'), Number(workers.busy) || 0, Number(workers.total) || 0, false);
  setText($('queue-text'), `${queue.depth ?? '–'} / ${queue.capacity ?? '–'}`);
  setMeter($('queue-fill'), Number(queue.depth) || 0, Number(queue.capacity) || 0);
  $('queue-text').title = Number.isFinite(queue.bytes) && Number.isFinite(queue.bytesMax)
    ? `${queue.bytes} of at most ${queue.bytesMax} bytes of input queued` : '';
  setText($('running-text'), h && h.running !== undefined ? h.running : '–');
  setText($('retained-text'), h && h.retained !== undefined ? h.retained : '–');
  setText($('store-text'), h && h.store ? h.store : '–');
}

export async function refresh() {
  try {
    render(await api('api/health'));
  } catch (err) {
    if (err instanceof ApiError && err.body && typeof err.body.status === 'string') {
      render(err.body); // 503 while shutting down still describes the server
    } else {
      const pill = $('health-status');
      pill.dataset.state = 'down';
      setText(pill, 'unreachable');
    }
  }
}
