// Small DOM and formatting helpers. Everything the console shows from the node goes through
// textContent, never innerHTML, so a payload can never inject markup.

/** el('li', {class: 'x', dataset: {seq: 1}}, child, 'text') */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Longest payload text shown in one row; a trading-floor tail must stay scrollable. */
const PAYLOAD_CHARS_MAX = 4000;

/** The payload as a person wants to read it: JSON indented, text as is, base64 labelled. */
export function payloadText(envelope) {
  if (!('payload' in envelope)) return '';
  const p = envelope.payload;
  let text;
  if (envelope.encoding === 'base64') text = `base64: ${p}`;
  else if (typeof p === 'string' && !isJson(envelope.contentType)) text = p;
  else text = JSON.stringify(p, null, 2);
  return text.length > PAYLOAD_CHARS_MAX
    ? `${text.slice(0, PAYLOAD_CHARS_MAX)}\n… (${text.length - PAYLOAD_CHARS_MAX} more characters)`
    : text;
}

function isJson(contentType) {
  return typeof contentType === 'string' && /(^application\/json|\+json)(\s*;|$)/i.test(contentType);
}

/** "11:04:42.123" in local time: operators read the wall clock of the room they are in. */
export function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "4 s ago", "3 min ago" */
export function age(iso, nowMillis = Date.now()) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((nowMillis - t) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
