// Core of the rxlab workbench: a tiny DOM helper, the token store and the
// GraphQL client every page uses. No framework: pages build DOM with h().

export const TOKEN_KEY = 'rxlab.token';

// h builds an element: h('div', {class: 'x', onclick: fn}, child, ...).
// Children may be strings, numbers, nodes, arrays or null.
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and puts the children in.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function readToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function writeToken(token) {
  try {
    if (token) window.localStorage.setItem(TOKEN_KEY, token);
    else window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives for this page only
  }
}

// takeFragmentToken signs in from a #token=… fragment and removes it from the
// address bar (and from history), keeping any other fragment parameters.
export function takeFragmentToken() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get('token');
  if (!token) return '';
  params.delete('token');
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
  window.history.replaceState(null, '', url);
  writeToken(token);
  return token;
}

// fragmentParam reads a parameter from the URL fragment (#criteria=…).
export function fragmentParam(name) {
  return new URLSearchParams(window.location.hash.slice(1)).get(name);
}

// APIError is a GraphQL error answer: code is extensions.code (FORBIDDEN,
// BAD_USER_INPUT, PRIVACY_BUDGET_EXHAUSTED…).
export class APIError extends Error {
  constructor(err) {
    super(err.message || 'request failed');
    this.code = (err.extensions && err.extensions.code) || 'ERROR';
    this.extensions = err.extensions || {};
    this.path = err.path;
  }
}

// gql posts one GraphQL request with the bearer token; it resolves to data
// and rejects with the first error as an APIError.
export async function gql(query, variables) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const token = readToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }), credentials: 'omit' });
  } catch (e) {
    throw new APIError({ message: `network error: ${e.message}`, extensions: { code: 'NETWORK' } });
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new APIError({ message: `HTTP ${res.status}`, extensions: { code: 'HTTP_' + res.status } });
  }
  if (body.errors && body.errors.length) throw new APIError(body.errors[0]);
  return body.data;
}

// errorBox shows an API error; FORBIDDEN and UNAUTHENTICATED say so plainly.
export function errorBox(err) {
  const code = err && err.code;
  let title = 'Error';
  if (code === 'FORBIDDEN') title = 'Forbidden: your role may not use this';
  else if (code === 'UNAUTHENTICATED') title = 'Not signed in: paste a token above';
  else if (code === 'PRIVACY_BUDGET_EXHAUSTED') title = 'Privacy budget exhausted';
  return h('div', { class: 'rx-error', role: 'alert', 'data-code': code || 'ERROR' },
    h('strong', null, title), ' ', h('code', null, code || ''), h('div', null, err ? err.message : ''));
}

// debounce calls fn once wait ms after the last call.
export function debounce(fn, wait) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), wait);
  };
}

// field makes a labelled input; onInput gets the new value.
export function field(label, attrs, onInput) {
  const id = `f-${Math.random().toString(36).slice(2, 9)}`;
  const input = h('input', { id, ...attrs });
  if (onInput) input.addEventListener('input', () => onInput(input.type === 'checkbox' ? input.checked : input.value));
  return h('label', { class: 'rx-field', for: id }, h('span', null, label), input);
}

// select makes a labelled select of [value, text] options.
export function select(label, options, value, onChange) {
  const id = `s-${Math.random().toString(36).slice(2, 9)}`;
  const el = h('select', { id }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  el.value = value;
  if (onChange) el.addEventListener('change', () => onChange(el.value));
  return h('label', { class: 'rx-field', for: id }, h('span', null, label), el);
}

export function button(text, onclick, attrs) {
  return h('button', { type: 'button', onclick, ...attrs }, text);
}

export function section(title, ...children) {
  return h('section', { class: 'rx-card', 'aria-label': title }, h('h2', null, title), ...children);
}

export function table(cols, rows, attrs) {
  return h('table', { class: 'rx-table', ...attrs },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))));
}

export function fmt(x, digits = 2) {
  if (x === null || x === undefined) return '–';
  if (typeof x !== 'number') return String(x);
  return Number.isInteger(x) ? x.toLocaleString('en') : x.toFixed(digits);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// pollJob polls a job until it ends, calling onTick(job) each time.
export async function pollJob(id, onTick, signal) {
  for (;;) {
    const { job } = await gql('query($id:ID!){job(id:$id){id kind state progress message error}}', { id });
    onTick(job);
    if (!job || ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.state)) return job;
    if (signal && signal.aborted) return job;
    await sleep(700);
  }
}
