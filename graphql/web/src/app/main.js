// rxlab workbench: one page app served at /, /cohorts, /dosing, /molecules,
// /jobs and /admin. A token bar signs in; #token=… in the URL signs in too and
// is removed from the address bar at once.
import { h, replace, gql, readToken, writeToken, takeFragmentToken, errorBox } from './core.js';
import { cohortsPage } from './cohorts.js';
import { dosingPage } from './dosing.js';
import { moleculesPage } from './molecules.js';
import { jobsPage } from './jobs.js';
import { adminPage } from './admin.js';
import './app.css';

// PAGES: path → title, the permission that opens it, and its drawer.
const PAGES = [
  { path: '/cohorts', title: 'Cohorts', perm: 'cohorts:count', draw: cohortsPage, about: 'criteria, counts, attrition, trials' },
  { path: '/dosing', title: 'Dosing', perm: 'dosing:read', draw: dosingPage, about: 'simulate regimens, train and evaluate policies' },
  { path: '/molecules', title: 'Molecules', perm: 'molecules:read', draw: moleculesPage, about: 'SMILES, depictions, similarity, predictions' },
  { path: '/jobs', title: 'Jobs', perm: 'jobs:read', draw: jobsPage, about: 'long-running work' },
  { path: '/admin', title: 'Admin', perm: 'tokens:manage', draw: adminPage, about: 'tokens and audit log' },
];

takeFragmentToken();
let me = null;
const nav = h('nav', { class: 'rx-links', 'aria-label': 'Workbench pages' });
const who = h('span', { class: 'rx-state', role: 'status' });
const main = h('main', { id: 'main', class: 'rx-main' });
const toastBox = h('div', { class: 'rx-toast', role: 'status', 'aria-live': 'polite' });
const ctx = {
  toast(msg) {
    toastBox.textContent = msg;
    setTimeout(() => (toastBox.textContent = ''), 4000);
  },
};

function tokenBar() {
  const input = h('input', { id: 'rx-token-input', type: 'password', autocomplete: 'off', spellcheck: 'false', value: readToken(),
    placeholder: 'paste the token from DATA/admin.token' });
  const save = (e) => {
    e.preventDefault();
    writeToken(input.value.trim());
    signIn();
  };
  return h('form', { class: 'rx-token', onsubmit: save, 'aria-label': 'sign in' },
    h('label', { for: 'rx-token-input' }, 'Bearer token'), input,
    h('button', { type: 'button', onclick: () => (input.type = input.type === 'password' ? 'text' : 'password') }, 'Show'),
    h('button', { type: 'submit' }, 'Save'),
    h('button', { type: 'button', onclick: () => { input.value = ''; writeToken(''); signIn(); } }, 'Clear'),
    who);
}

function drawNav() {
  const here = window.location.pathname;
  replace(nav, PAGES.map((p) => {
    const allowed = !me || me.permissions.includes(p.perm);
    return h('a', { href: p.path, 'aria-current': here === p.path ? 'page' : null, class: allowed ? null : 'rx-planned',
      title: allowed ? p.about : `${p.about} (your role may not use this page)` }, p.title);
  }), h('a', { href: '/graphiql' }, 'GraphiQL'), h('a', { href: '/schema.graphql' }, 'schema.graphql'));
}

async function signIn() {
  me = null;
  if (!readToken()) {
    who.textContent = 'no token';
    who.className = 'rx-state';
  } else {
    try {
      me = (await gql('{ me { role tokenId permissions } }')).me;
      who.textContent = `signed in as ${me.role}`;
      who.className = 'rx-state rx-ok';
    } catch (e) {
      who.textContent = e.code === 'UNAUTHENTICATED' ? 'token not valid' : e.message;
      who.className = 'rx-state rx-warn';
    }
  }
  route();
}

function home(root) {
  replace(root, h('h1', null, 'rxlab workbench'),
    h('ul', { class: 'rx-home' }, PAGES.map((p) => {
      const allowed = !me || me.permissions.includes(p.perm);
      return h('li', null, h('a', { href: p.path }, p.title), ` — ${p.about}`, allowed ? '' : h('em', null, ' (not for your role)'));
    })),
    me ? null : h('p', null, 'Paste a token above, or open a link with #token=… to sign in.'));
}

function route() {
  drawNav();
  const page = PAGES.find((p) => p.path === window.location.pathname);
  document.title = `rxlab · ${page ? page.title : 'workbench'}`;
  if (!page) return home(main);
  if (!readToken()) return replace(main, h('h1', null, page.title), errorBox({ code: 'UNAUTHENTICATED', message: 'This page needs a token.' }));
  if (me && !me.permissions.includes(page.perm)) {
    return replace(main, h('h1', null, page.title), errorBox({ code: 'FORBIDDEN', message: `role ${me.role} lacks ${page.perm}` }));
  }
  page.draw(main, ctx);
}

// The schema link fetches /schema.graphql with the token (the route needs one,
// like introspection) and shows it here, with a download link.
async function showSchema() {
  window.history.pushState(null, '', '/schema.graphql');
  replace(main, h('h1', null, 'schema.graphql'), h('p', { class: 'rx-muted' }, 'Loading…'));
  const headers = readToken() ? { Authorization: `Bearer ${readToken()}` } : {};
  const res = await fetch('/schema.graphql', { headers, credentials: 'omit' });
  const text = await res.text();
  if (!res.ok) {
    let err = { code: `HTTP_${res.status}`, message: text };
    try { err = JSON.parse(text).errors[0]; err.code = err.extensions.code; } catch { /* keep the raw text */ }
    return replace(main, h('h1', null, 'schema.graphql'), errorBox(err));
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  replace(main, h('h1', null, 'schema.graphql'), h('a', { href: url, download: 'schema.graphql' }, 'Download'),
    h('pre', { class: 'rx-sdl', 'data-testid': 'sdl' }, text));
}

document.addEventListener('click', (e) => {
  const s = e.target.closest && e.target.closest('a[href="/schema.graphql"]');
  if (s && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    showSchema();
    return;
  }
  const a = e.target.closest && e.target.closest('a[href^="/"]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || !PAGES.concat([{ path: '/' }]).some((p) => p.path === a.getAttribute('href'))) return;
  e.preventDefault();
  window.history.pushState(null, '', a.getAttribute('href'));
  route();
});
window.addEventListener('popstate', route);

replace(document.getElementById('root'),
  h('a', { class: 'rx-skip', href: '#main' }, 'Skip to content'),
  h('header', { class: 'rx-header' }, h('a', { class: 'rx-brand', href: '/' }, 'rxlab'), nav),
  tokenBar(), main, toastBox);
signIn();
