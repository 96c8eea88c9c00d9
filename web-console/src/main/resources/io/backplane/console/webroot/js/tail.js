// The topic view: a live tail of one topic or pattern, oldest first, with history paging backwards
// for a single topic. Per topic it remembers the last seq shown; every message goes through
// accept(), which drops duplicates and fills any gap from REST history before showing what follows,
// so the list of a topic is always consecutive seqs — across pauses, reconnects and node restarts.

import { api } from './api.js';
import { el, payloadText, clock } from './dom.js';

const INITIAL_LAST = 50;           // history shown when a single topic is opened
const INITIAL_LAST_PATTERN = 10;   // per matching topic when a pattern is opened
const PAGE = 50;                   // "Load older" page size
const FILL_MAX = 1000;             // largest gap filled from history; beyond it a marker says so
const ROWS_MAX = 2000;             // rows kept in the DOM; the oldest go first (and can be paged back)
const FLUSH_MILLIS = 50;           // new rows reach the DOM in batches, at most 20 times a second

export function isPattern(topic) {
  return topic.split('@')[0].split('/').some((s) => s === '*' || s === '**');
}

export class TopicView {
  constructor({ socket, list, box, title, status, older, pause, empty, spark, onWatch }) {
    Object.assign(this, { socket, list, box, title, status, olderButton: older, pauseButton: pause, empty, spark, onWatch });
    this.target = null;
    this.sub = null;
    this.topics = new Map(); // topic -> {last, filling, queue}
    this.paused = false;
    this.resumed = false;    // true once the subscription has been sent more than once
    this.generation = 0;     // bumps on every watch(), so late history answers for an old target are ignored
    this.pending = [];       // rows not yet in the DOM (at most ROWS_MAX), flushed by a timer
    this.flushTimer = null;
    older.addEventListener('click', () => this.loadOlder());
    pause.addEventListener('click', () => this.togglePause());
  }

  watch(target) {
    this.stop();
    this.generation += 1;
    this.target = target;
    this.pattern = isPattern(target);
    this.topics.clear();
    this.pending = [];
    this.list.replaceChildren();
    this.spark.reset();
    this.resumed = false;
    this.paused = false;
    this.title.textContent = target;
    this.empty.textContent = 'Waiting for messages…';
    this.empty.hidden = false;
    this.olderButton.hidden = true;
    this.pauseButton.disabled = false;
    this.renderPause();
    this.subscribe();
    this.onWatch?.(target);
  }

  subscribe() {
    let sends = 0;
    this.sub = this.socket.subscribe(this.target, {
      replay: () => this.replayFor(sends++),
      onMessage: (envelope, replayed) => this.accept(envelope, replayed),
      onError: (code, message) => this.showStatus(`${code}: ${message}`, true),
    });
  }

  /** What to ask the node for on the n-th (re)subscription of the current target. */
  replayFor(n) {
    this.resumed = n > 0 || this.topics.size > 0;
    if (!this.pattern) {
      const st = this.topics.get(this.target);
      return st ? { fromSeq: st.last + 1 } : { last: INITIAL_LAST };
    }
    // A pattern has one seq per topic, so no single fromSeq fits; the newest message of each topic is
    // enough for accept() to see how far behind this view is and fill the gap from history.
    return this.resumed ? { last: 1 } : { last: INITIAL_LAST_PATTERN };
  }

  stop() {
    this.sub?.close();
    this.sub = null;
  }

  togglePause() {
    if (!this.target) return;
    this.paused = !this.paused;
    // Pausing unsubscribes rather than buffering: the node keeps the history, and resuming
    // resubscribes from the last seq shown, exactly like a reconnect.
    if (this.paused) this.stop(); else this.subscribe();
    this.renderPause();
  }

  renderPause() {
    this.pauseButton.textContent = this.paused ? 'Resume' : 'Pause';
    this.pauseButton.setAttribute('aria-pressed', String(this.paused));
    this.showStatus(this.paused ? 'paused' : (this.pattern ? 'pattern' : ''));
  }

  showStatus(text, bad = false) {
    this.status.textContent = text;
    this.status.style.color = bad ? 'var(--bad)' : '';
  }

  accept(envelope, replayed) {
    let st = this.topics.get(envelope.topic);
    if (!st) {
      // A topic first seen after a resubscription was created while this view was away: its whole
      // history belongs to the tail. Otherwise the first message seen starts the topic's run.
      const fromSeq = this.resumed && this.pattern ? 1 : envelope.seq;
      st = { last: fromSeq - 1, filling: false, queue: [] };
      this.topics.set(envelope.topic, st);
    }
    if (st.filling) {
      st.queue.push([envelope, replayed]);
      return;
    }
    if (envelope.seq <= st.last) return; // already shown (the overlap of a resume)
    if (envelope.seq > st.last + 1) {
      st.queue.push([envelope, replayed]);
      this.fill(envelope.topic, st, envelope.seq - 1);
      return;
    }
    st.last = envelope.seq;
    if (!replayed) this.spark.count();
    this.append(envelope, replayed);
  }

  async fill(topic, st, toSeq) {
    st.filling = true;
    const generation = this.generation;
    let from = st.last + 1;
    if (toSeq - from + 1 > FILL_MAX) {
      this.appendMarker(`${toSeq - FILL_MAX - from + 1} messages of ${topic} not shown (seq ${from}–${toSeq - FILL_MAX})`);
      from = toSeq - FILL_MAX + 1;
    }
    let why = 'no longer in the history (retention)';
    try {
      while (from <= toSeq) {
        const { body } = await api.messagesFrom(topic, from, Math.min(PAGE * 20, toSeq - from + 1));
        if (generation !== this.generation) return;
        if (body.messages.length === 0) break;
        for (const m of body.messages) {
          if (m.seq > st.last && m.seq <= toSeq) {
            st.last = m.seq;
            this.append(m, true);
          }
        }
        from = body.nextSeq;
      }
    } catch (e) {
      if (generation !== this.generation) return;
      why = `could not be loaded: ${e.message}`;
    }
    if (st.last < toSeq) {
      // Said in the list rather than skipped silently: the tail must never look gapless when it is not.
      this.appendMarker(`seq ${st.last + 1}–${toSeq} of ${topic} ${why}`);
      st.last = toSeq;
    }
    st.filling = false;
    const queued = st.queue;
    st.queue = [];
    for (const [m, r] of queued) this.accept(m, r);
  }

  row(envelope, replayed) {
    return el('li', { class: `msg ${replayed ? 'replayed' : 'live'}`, dataset: { topic: envelope.topic, seq: envelope.seq } },
      el('div', { class: 'meta' },
        el('span', { class: 'seq' }, `#${envelope.seq}`),
        this.pattern ? el('span', { class: 'topic' }, envelope.topic) : null,
        el('time', { datetime: envelope.timestamp, title: envelope.timestamp }, clock(envelope.timestamp)),
        el('span', { class: 'ctype' }, envelope.contentType ?? ''),
        el('span', { class: 'id', title: 'message id' }, envelope.id)),
      el('pre', { class: 'payload' }, payloadText(envelope)));
  }

  append(envelope, replayed) {
    this.enqueue(this.row(envelope, replayed));
  }

  appendMarker(text) {
    this.enqueue(el('li', { class: 'marker' }, text));
  }

  /**
   * Rows are batched rather than inserted one by one: at hundreds of messages a second, measuring
   * the scroll position and inserting per message would force a layout each time. A timer, not
   * requestAnimationFrame, flushes them, so a hidden tab still keeps its list (and memory) bounded.
   */
  enqueue(row) {
    this.pending.push(row);
    if (this.pending.length > ROWS_MAX) this.pending.splice(0, this.pending.length - ROWS_MAX);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MILLIS);
  }

  flush() {
    this.flushTimer = null;
    if (this.pending.length === 0) return;
    const atBottom = this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < 40;
    this.list.append(...this.pending);
    this.pending = [];
    for (let excess = this.list.childElementCount - ROWS_MAX; excess > 0; excess--) this.list.firstElementChild.remove();
    this.afterChange();
    if (atBottom) this.box.scrollTop = this.box.scrollHeight;
  }

  afterChange() {
    this.empty.hidden = this.list.childElementCount > 0;
    const oldest = this.oldestSeq();
    this.olderButton.hidden = this.pattern || oldest === null || oldest <= 1;
  }

  oldestSeq() {
    const first = this.list.querySelector('li.msg');
    return first ? Number(first.dataset.seq) : null;
  }

  /** Prepends the page of history just before the oldest message shown (single topics only). */
  async loadOlder() {
    this.flush();
    const oldest = this.oldestSeq();
    if (this.pattern || oldest === null || oldest <= 1) return;
    const generation = this.generation;
    const from = Math.max(1, oldest - PAGE);
    this.olderButton.disabled = true;
    try {
      const { body } = await api.messagesFrom(this.target, from, oldest - from);
      if (generation !== this.generation) return;
      const before = this.box.scrollHeight;
      const rows = body.messages.filter((m) => m.seq < oldest).map((m) => this.row(m, true));
      this.list.prepend(...rows);
      this.box.scrollTop += this.box.scrollHeight - before; // keep the rows in view where they were
      if (rows.length === 0) this.list.prepend(el('li', { class: 'marker' }, 'older messages were removed by retention'));
      this.afterChange();
      if (rows.length === 0) this.olderButton.hidden = true;
    } catch (e) {
      this.showStatus(`history: ${e.code} ${e.message}`, true);
    } finally {
      this.olderButton.disabled = false;
    }
  }
}
