// The topic tree: GET /api/v1/topics polled every few seconds (a trading floor's topic list changes
// slowly; subscribing to /** just to count would pull every message of the LAN into the browser).
// Leaves open the topic; branches open the pattern "branch/**".

import { api } from './api.js';
import { el } from './dom.js';

const POLL_MILLIS = 2000;

export class TopicTree {
  constructor({ container, filter, countLabel, onPick, onReachability }) {
    Object.assign(this, { container, filter, countLabel, onPick, onReachability });
    this.topics = [];
    this.signature = '';
    this.collapsed = new Set();
    this.current = null;
    filter.addEventListener('input', () => this.render());
  }

  start() {
    const poll = async () => {
      await this.refresh();
      setTimeout(poll, POLL_MILLIS);
    };
    poll();
  }

  async refresh() {
    try {
      const { body } = await api.topics();
      this.onReachability?.(null);
      const signature = JSON.stringify(body.topics);
      if (signature === this.signature) return; // nothing changed: keep the DOM (and the focus) as is
      this.signature = signature;
      this.topics = body.topics;
      this.render();
    } catch (e) {
      this.onReachability?.(e);
    }
  }

  setCurrent(target) {
    this.current = target;
    for (const b of this.container.querySelectorAll('button.name')) {
      b.classList.toggle('current', b.dataset.target === target);
    }
  }

  /** Nested map of segments; each node: {children: Map, info?: topic info, count: sum below}. */
  build(topics) {
    const root = { children: new Map(), count: 0 };
    for (const info of topics) {
      let node = root;
      node.count += info.count;
      for (const segment of info.topic.split('/').slice(1)) {
        if (!node.children.has(segment)) node.children.set(segment, { children: new Map(), count: 0 });
        node = node.children.get(segment);
        node.count += info.count;
      }
      node.info = info;
    }
    return root;
  }

  render() {
    const needle = this.filter.value.trim().toLowerCase();
    const shown = needle ? this.topics.filter((t) => t.topic.toLowerCase().includes(needle)) : this.topics;
    this.countLabel.textContent = needle ? `${shown.length} of ${this.topics.length}` : String(this.topics.length);
    const focused = document.activeElement?.closest?.('#tree') ? document.activeElement.dataset.key : null;
    const root = this.build(shown);
    const list = this.renderChildren(root, '', needle !== '');
    this.container.replaceChildren(list ?? el('p', { class: 'muted' },
      this.topics.length === 0 ? 'No topic has history yet. Post one on the right.' : 'No topic matches the filter.'));
    if (focused) this.container.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  renderChildren(node, path, expandAll) {
    if (node.children.size === 0) return null;
    // Plain nested lists of buttons, reached with Tab: list semantics are read well by every screen
    // reader, where an ARIA tree would promise arrow-key navigation this tree does not have.
    const ul = el('ul');
    for (const [segment, child] of [...node.children.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const full = `${path}/${segment}`;
      ul.append(this.renderNode(segment, full, child, expandAll));
    }
    return ul;
  }

  renderNode(segment, full, node, expandAll) {
    const isBranch = node.children.size > 0;
    const open = expandAll || !this.collapsed.has(full);
    const row = el('div', { class: 'node' });
    if (isBranch) {
      row.append(el('button', {
        class: 'toggle', 'aria-label': `${open ? 'Collapse' : 'Expand'} ${full}`, 'aria-expanded': String(open),
        dataset: { key: `toggle:${full}` },
        onclick: () => { if (open) this.collapsed.add(full); else this.collapsed.delete(full); this.render(); },
      }, open ? '▾' : '▸'));
    } else {
      row.append(el('span', { class: 'toggle', 'aria-hidden': 'true' }, ' '));
    }
    if (node.info) {
      row.append(this.nameButton(segment, full, `${full}: ${node.info.count} messages, last seq ${node.info.lastSeq}`));
      row.append(el('span', { class: 'count', title: 'messages · last seq' }, `${node.info.count} · #${node.info.lastSeq}`));
    }
    if (isBranch) {
      const pattern = `${full}/**`;
      row.append(this.nameButton(node.info ? '/**' : segment, pattern, `watch ${pattern}`));
      if (!node.info) row.append(el('span', { class: 'count', title: 'messages below' }, String(node.count)));
    }
    const li = el('li', { dataset: { path: full } }, row);
    if (isBranch && open) li.append(this.renderChildren(node, full, expandAll));
    return li;
  }

  nameButton(label, target, title) {
    return el('button', {
      class: `name${target === this.current ? ' current' : ''}`, title, dataset: { target, key: `name:${target}` },
      onclick: () => this.onPick(target),
    }, label);
  }
}
