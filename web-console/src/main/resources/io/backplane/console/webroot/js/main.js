// Wires the console together. The page needs nothing but the node that served it: same origin for
// REST, ws(s)://same-host/api/v1/ws for live tails.

import { LiveSocket } from './socket.js';
import { TopicView } from './tail.js';
import { TopicTree } from './tree.js';
import { mountPostForm } from './post.js';
import { ClusterPanel } from './cluster.js';
import { Sparkline } from './sparkline.js';

const $ = (id) => document.getElementById(id);

// The connection badge combines the websocket's state with the node's health.
const state = { socket: 'connecting', attempt: 0, health: 'unknown', reason: '' };

function renderState() {
  const badge = $('conn');
  const banner = $('banner');
  let text;
  let kind;
  let message = '';
  if (state.health === 'unreachable' && state.socket !== 'open') {
    kind = 'unreachable';
    text = state.socket === 'connecting' ? 'connecting…' : `reconnecting… (attempt ${state.attempt})`;
    message = 'The node does not answer. Live tails resume where they stopped when it is back.';
  } else if (state.health === 'unavailable') {
    kind = 'unavailable';
    text = 'node unavailable (503)';
    message = `The node answers 503 unavailable${state.reason ? ` (${state.reason})` : ''}: it serves again once it is back in a primary view.`;
  } else if (state.socket === 'open') {
    kind = 'live';
    text = 'live';
  } else if (state.socket === 'reconnecting') {
    kind = 'reconnecting';
    text = `reconnecting… (attempt ${state.attempt})`;
    message = 'Connection to the node lost. Live tails resume where they stopped when it is back.';
  } else {
    kind = 'connecting';
    text = 'connecting…';
  }
  badge.className = `state state-${kind}`;
  badge.textContent = text;
  badge.dataset.state = kind;
  banner.hidden = message === '';
  banner.className = `banner${kind === 'reconnecting' ? ' warn' : ''}`;
  banner.textContent = message;
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`;
const socket = new LiveSocket(wsUrl, (socketState, attempt) => {
  const dropped = state.socket === 'open' && socketState !== 'open';
  state.socket = socketState;
  state.attempt = attempt;
  renderState();
  if (dropped) cluster.poke(); // is the node gone, or only the socket?
});

const tree = new TopicTree({
  container: $('tree'), filter: $('tree-filter'), countLabel: $('topic-count'),
  onPick: (target) => view.watch(target),
});

const view = new TopicView({
  socket, list: $('tail'), box: $('tail-box'), title: $('tail-title'), status: $('tail-status'),
  older: $('older'), pause: $('pause'), empty: $('tail-empty'), spark: new Sparkline($('spark'), $('rate')),
  onWatch: (target) => {
    $('watch-topic').value = target;
    tree.setCurrent(target);
    // The hash makes a view linkable and survives a reload.
    history.replaceState(null, '', `#${encodeURI(target)}`);
  },
});

$('watch-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const target = $('watch-topic').value.trim();
  if (target) view.watch(target);
});

mountPostForm({
  form: $('post-form'), topic: $('post-topic'), lan: $('post-lan'), body: $('post-body'), result: $('post-result'),
  onPosted: () => tree.refresh(),
});

const cluster = new ClusterPanel({
  facts: $('cluster'), members: $('members'), health: $('health'), wan: $('wan'), where: $('where'),
  onHealth: (health, reason) => {
    state.health = health;
    state.reason = reason ?? '';
    renderState();
  },
});
cluster.start();

// Keyboard: '/' jumps to the topic filter, 'p' pauses or resumes the tail, Escape leaves a field.
document.addEventListener('keydown', (event) => {
  const typing = event.target.matches('input, textarea');
  if (event.key === 'Escape' && typing) event.target.blur();
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === '/') {
    event.preventDefault();
    $('tree-filter').focus();
  } else if (event.key === 'p' && !$('pause').disabled) {
    $('pause').click();
  }
});

socket.start();
tree.start();
const initial = decodeURI(location.hash.slice(1));
if (initial.startsWith('/')) view.watch(initial);
renderState();
