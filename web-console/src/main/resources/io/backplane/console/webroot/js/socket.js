// One websocket to the node (CONTRACT.md §5), shared by every live tail, that reconnects by itself.
// On every (re)connection each registered subscription is sent again with the replay its owner asks
// for at that moment (for a topic: fromSeq = last seen + 1), which is what makes a tail resume with no
// gap and no duplicate across a node restart.

/** Reconnection delays: quick at first (a restarting node is back in seconds), capped so a long outage
 *  costs one attempt every few seconds. */
const RECONNECT_DELAYS_MILLIS = [200, 500, 1000, 2000, 3000];

export class LiveSocket {
  /** @param onState called with 'connecting' | 'open' | 'reconnecting' and the attempt number */
  constructor(url, onState) {
    this.url = url;
    this.onState = onState;
    this.ws = null;
    this.attempt = 0;
    this.everOpened = false;
    this.nextId = 1;
    this.subs = new Set();        // registered subscriptions, each re-sent on reconnect
    this.byWireId = new Map();    // the id used on the current socket -> subscription
    this.timer = null;
  }

  start() {
    this.connect();
  }

  /**
   * Registers a subscription. handlers: replay() -> replay object or undefined (asked at each
   * (re)subscribe), onMessage(envelope, replayed), onError(code, message).
   * Returns {close()} which unsubscribes.
   */
  subscribe(topic, handlers) {
    const sub = { topic, ...handlers, wireId: null };
    this.subs.add(sub);
    this.sendSubscribe(sub);
    return { close: () => this.unsubscribe(sub) };
  }

  unsubscribe(sub) {
    this.subs.delete(sub);
    if (sub.wireId) {
      this.byWireId.delete(sub.wireId);
      this.send({ op: 'unsubscribe', id: sub.wireId });
      sub.wireId = null;
    }
  }

  sendSubscribe(sub) {
    if (!this.isOpen()) return; // sent on open
    // A fresh wire id per (re)subscribe: frames still in flight for an older one are then ignored.
    sub.wireId = `s${this.nextId++}`;
    this.byWireId.set(sub.wireId, sub);
    const frame = { op: 'subscribe', id: sub.wireId, topic: sub.topic };
    const replay = sub.replay?.();
    if (replay) frame.replay = replay;
    this.send(frame);
  }

  isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (this.isOpen()) this.ws.send(JSON.stringify(frame));
  }

  connect() {
    this.timer = null;
    this.onState(this.everOpened ? 'reconnecting' : 'connecting', this.attempt);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.everOpened = true;
      this.byWireId.clear();
      this.onState('open', 0);
      for (const sub of this.subs) this.sendSubscribe(sub);
    });
    ws.addEventListener('message', (event) => {
      if (this.ws === ws) this.onFrame(event.data);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const sub of this.subs) sub.wireId = null;
      this.byWireId.clear();
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const delay = RECONNECT_DELAYS_MILLIS[Math.min(this.attempt, RECONNECT_DELAYS_MILLIS.length - 1)];
    this.attempt += 1;
    this.onState(this.everOpened ? 'reconnecting' : 'connecting', this.attempt);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // the node only sends JSON; a broken frame is dropped rather than crash the tail
    }
    switch (frame.type) {
      case 'message': {
        const sub = this.byWireId.get(frame.sub);
        sub?.onMessage(frame.message, frame.replay === true);
        break;
      }
      case 'error': {
        const sub = frame.id ? this.byWireId.get(frame.id) : null;
        if (sub) {
          // A refused subscription stays refused: drop it so a reconnect does not ask again.
          this.subs.delete(sub);
          this.byWireId.delete(frame.id);
          sub.wireId = null;
          sub.onError?.(frame.error, frame.message);
        }
        // Without an id (e.g. slow-consumer) the node closes the socket; the reconnect resumes.
        break;
      }
      default:
        break; // subscribed, unsubscribed, replay-complete: nothing to do for a tail
    }
  }
}
