// The post form: POST /api/v1/topics/{topic}[@LAN] with the body as JSON or text, then the node's
// answer as it came: the envelope (201/200), the spool receipt (202), or the contract error.

import { api, dotSegment } from './api.js';
import { el } from './dom.js';

export function mountPostForm({ form, topic, lan, body, result, onPosted }) {
  const show = (ok, status, json) => {
    result.className = `result ${ok ? 'ok' : 'err'}`;
    result.replaceChildren(el('div', { class: 'status' }, status), el('pre', {}, JSON.stringify(json, null, 2)));
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const lanName = lan.value.trim().replace(/^@/, '');
    const target = topic.value.trim() + (lanName ? `@${lanName}` : '');
    const json = form.elements.format.value === 'json';
    const dot = dotSegment(target);
    if (dot !== undefined) {
      show(false, 'not sent: bad-topic', { error: 'bad-topic', message: `topic '${target}' has a '${dot}' segment` });
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const { status, body: answer } = await api.post(target, body.value,
        json ? 'application/json' : 'text/plain; charset=utf-8');
      const label = { 200: '200 OK (idempotent repeat)', 201: '201 Created', 202: '202 Accepted (spooled)' }[status] ?? String(status);
      show(true, label, answer);
      onPosted?.(answer);
    } catch (e) {
      show(false, e.status ? `${e.status} ${e.code}` : e.code, { error: e.code, message: e.message });
    } finally {
      button.disabled = false;
    }
  });

  body.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}
