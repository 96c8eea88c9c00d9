// The cluster and WAN panels and the node's health, polled: /api/v1/cluster and /health every two
// seconds, /api/v1/wan/links every five (spool depths move slowly and the call is cheap either way).

import { api } from './api.js';
import { el, age } from './dom.js';

const CLUSTER_POLL_MILLIS = 2000;
const WAN_POLL_MILLIS = 5000;

/** The contract leaves lastAcked's form open: an ISO time reads as an age, anything else as it is. */
function lastAcked(value) {
  if (value === undefined || value === null) return '—';
  return (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) && age(value)) || String(value);
}

export class ClusterPanel {
  constructor({ facts, members, health, wan, where, onHealth }) {
    Object.assign(this, { facts, members, health, wan, where, onHealth });
  }

  /** Refreshes health and view now, e.g. when the websocket drops, instead of at the next poll. */
  poke() {
    this.refreshCluster();
  }

  start() {
    const loop = (fn, millis) => {
      const run = async () => {
        await fn();
        setTimeout(run, millis);
      };
      run();
    };
    loop(() => this.refreshCluster(), CLUSTER_POLL_MILLIS);
    loop(() => this.refreshWan(), WAN_POLL_MILLIS);
  }

  async refreshCluster() {
    const [cluster, health] = await Promise.allSettled([api.cluster(), api.health()]);
    if (health.status === 'fulfilled') {
      const up = health.value.status === 200;
      this.health.textContent = up ? 'UP' : 'DOWN 503';
      this.health.className = `pill ${up ? 'up' : 'down'}`;
      this.onHealth(up ? 'up' : 'unavailable', health.value.body.reason);
    } else {
      this.health.textContent = 'unreachable';
      this.health.className = 'pill down';
      this.onHealth('unreachable', health.reason.message);
    }
    if (cluster.status === 'fulfilled') this.renderCluster(cluster.value.body);
  }

  renderCluster(c) {
    this.where.textContent = `${c.lan} · ${c.node}`;
    const fact = (k, v) => [el('dt', {}, k), el('dd', {}, v)];
    this.facts.replaceChildren(...fact('LAN', c.lan), ...fact('view', `#${c.view.id}`),
      ...fact('you are on', c.node), ...fact('coordinator', c.view.coordinator),
      ...fact('members', String(c.view.members.length)));
    this.members.replaceChildren(...c.view.members.map((m) => el('li', { dataset: { member: m } }, m,
      m === c.view.coordinator ? el('span', { class: 'tag' }, 'coordinator') : null,
      m === c.node ? el('span', { class: 'tag you' }, 'you') : null)));
  }

  async refreshWan() {
    try {
      const { body } = await api.wanLinks();
      this.renderWan(body.links);
    } catch (e) {
      this.wan.replaceChildren(el('p', { class: 'muted' }, `WAN links unknown: ${e.message}`));
    }
  }

  renderWan(links) {
    if (links.length === 0) {
      this.wan.replaceChildren(el('p', { class: 'muted', id: 'wan-empty' },
        'No WAN links: this LAN is not bridged to any other (no --wan-peer configured, or the WAN spooler is not running here).'));
      return;
    }
    const head = el('tr', {}, ...['LAN', 'state', 'spooled', 'last acked'].map((h) => el('th', { scope: 'col' }, h)));
    const rows = links.map((l) => el('tr', { dataset: { lan: l.lan } },
      el('td', {}, l.lan), el('td', {}, l.state), el('td', {}, String(l.spooled)),
      el('td', { title: String(l.lastAcked ?? '') }, lastAcked(l.lastAcked))));
    this.wan.replaceChildren(el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
  }
}
