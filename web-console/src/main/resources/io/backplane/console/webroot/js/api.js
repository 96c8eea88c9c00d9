// REST calls of CONTRACT.md §4. Every call resolves to {status, body} or rejects with an ApiError that
// carries the contract's error code, so callers can show "400 bad-topic: …" exactly as the node said.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;   // 0 when the node could not be reached at all
    this.code = code;
  }
}

/** The request path for a topic: each segment percent-encoded, so '@', spaces etc. reach the node. */
export function topicPath(topic) {
  const bare = topic.startsWith('/') ? topic.slice(1) : topic;
  return '/api/v1/topics/' + bare.split('/').map(encodeURIComponent).join('/');
}

/**
 * A URL cannot carry '.' or '..' path segments: the browser folds them away before sending (so
 * '/A/../B' would silently become '/B'). Such a topic is refused here, with the contract's wording,
 * instead of being posted somewhere else.
 */
export function dotSegment(topic) {
  const bare = topic.split('@')[0];
  return bare.split('/').find((s) => s === '.' || s === '..');
}

export async function request(method, path, { body, contentType, timeoutMillis = 10000 } = {}) {
  const headers = contentType ? { 'Content-Type': contentType } : {};
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: 'no-store',
                                    signal: AbortSignal.timeout(timeoutMillis) });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `the node did not answer (${e.name})`);
  }
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(response.status, 'bad-response', `the node answered ${response.status} with non-JSON`);
  }
  if (!response.ok && !(response.status === 503 && path === '/health')) {
    throw new ApiError(response.status, json.error ?? 'error', json.message ?? `HTTP ${response.status}`);
  }
  return { status: response.status, body: json };
}

export const api = {
  topics: () => request('GET', '/api/v1/topics'),
  messagesFrom: (topic, fromSeq, limit) =>
    request('GET', `${topicPath(topic)}/messages?fromSeq=${fromSeq}&limit=${limit}`),
  post: (topic, body, contentType) => request('POST', topicPath(topic), { body, contentType }),
  cluster: () => request('GET', '/api/v1/cluster'),
  wanLinks: () => request('GET', '/api/v1/wan/links'),
  health: () => request('GET', '/health'),
};
