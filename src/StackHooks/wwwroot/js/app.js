// The console's entry point: the hash router, the page frame (header, sign-out) and the shared state of the tab.

import { ApiError, get, onUnauthorized, session } from './api.js';
import { alertBox, h } from './dom.js';
import { environmentScope, organizationScope, stackScope } from './scopes.js';
import { renderSignIn } from './views/signin.js';
import { renderHome } from './views/home.js';
import { renderOverview, renderSettings } from './views/scope.js';
import { renderHookList } from './views/hooks.js';
import { renderCreateHook, renderHook } from './views/hook.js';

const main = document.getElementById('main');
const sessionBox = document.getElementById('session');
const who = document.getElementById('who');

let current = null;
let flash = null;
let returnTo = null;
let user = null;

/** A message for the next page to show once ("Webhook deleted.", "Signed out."). */
export function setFlash(message, tone = 'success') {
  flash = { message, tone };
}

function takeFlash() {
  const message = flash;
  flash = null;
  return message ? alertBox(message.message, message.tone) : null;
}

export function navigate(hash) {
  if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

/** The signed-in user (GET /api/user), loaded once per sign-in. */
export async function currentUser(signal) {
  if (!user) {
    user = await get('/api/user', { signal });
    showSession();
  }
  return user;
}

export function signIn(token, who) {
  session.signIn(token);
  user = who;
  showSession();
  const target = returnTo && returnTo !== '#/signin' ? returnTo : '#/';
  returnTo = null;
  navigate(target);
}

function signOut(message) {
  session.signOut();
  user = null;
  showSession();
  setFlash(message, 'info');
  navigate('#/signin');
}

function showSession() {
  sessionBox.hidden = !session.token;
  who.textContent = user ? `Signed in as ${user.githubLogin}` : '';
}

document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out. The access token was removed from this tab.'));

onUnauthorized(() => {
  returnTo = location.hash;
  signOut('Your session has ended: the server no longer accepts this access token. Sign in again.');
});

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '').replace(/\/$/, '');
  if (raw === '') return [];
  try {
    return raw.split('/').map((segment) => decodeURIComponent(segment));
  } catch {
    return null;
  }
}

/** Finds the page for a path: [view, parameters]. */
function resolve(parts) {
  if (parts === null) return [renderNotFound];
  if (parts.length === 0) return [renderHome];
  if (parts.length === 1 && parts[0] === 'signin') return [renderSignIn, { public: true }];

  let scope;
  let rest;
  if (parts[0] === 'orgs' && parts.length >= 2) {
    scope = organizationScope(parts[1]);
    rest = parts.slice(2);
  } else if (parts[0] === 'stacks' && parts.length >= 4) {
    scope = stackScope(parts[1], parts[2], parts[3]);
    rest = parts.slice(4);
  } else if (parts[0] === 'environments' && parts.length >= 4) {
    scope = environmentScope(parts[1], parts[2], parts[3]);
    rest = parts.slice(4);
  } else {
    return [renderNotFound];
  }

  if (rest.length === 0) return [renderOverview, { scope }];
  if (rest.length === 1 && rest[0] === 'settings') return [renderSettings, { scope }];
  if (rest.length === 1 && rest[0] === 'hooks') return [renderHookList, { scope }];
  if (rest.length === 1 && rest[0] === 'new-webhook') return [renderCreateHook, { scope }];
  if (rest.length === 2 && rest[0] === 'hooks') return [renderHook, { scope, hook: rest[1] }];
  return [renderNotFound];
}

async function route() {
  if (current) {
    current.controller.abort();
    for (const cleanup of current.cleanups) cleanup();
  }
  const controller = new AbortController();
  const context = { signal: controller.signal, cleanups: [], onCleanup(fn) { this.cleanups.push(fn); } };
  current = { controller, cleanups: context.cleanups };

  const [view, params = {}] = resolve(parseHash());
  if (!session.token && !params.public) {
    returnTo = location.hash;
    location.replace('#/signin');
    return;
  }
  if (session.token && view === renderSignIn) {
    location.replace('#/');
    return;
  }
  showSession();

  // Each page renders into its own element: a page left while it still loads writes only to a detached element.
  const page = h('div', { class: 'page' });
  const message = takeFlash();
  if (message) page.append(message);
  main.replaceChildren(page);
  window.scrollTo(0, 0);

  try {
    await view(page, context, params);
  } catch (error) {
    if (error.name === 'AbortError' || controller.signal.aborted) return;
    page.append(errorPage(error));
  }
  if (controller.signal.aborted) return;
  const heading = page.querySelector('h1');
  document.title = heading ? `${heading.textContent} · StackHooks` : 'StackHooks';
  if (heading && document.activeElement === document.body) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function errorPage(error) {
  const status = error instanceof ApiError ? error.status : 0;
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong';
  return h('div', {}, h('h1', { text: title }), alertBox(error.message || String(error)), h('p', {}, h('a', { href: '#/', text: 'Back to your organizations' })));
}

async function renderNotFound(page) {
  page.append(h('h1', { text: 'Page not found' }), h('p', {}, 'There is no console page at this address. ', h('a', { href: '#/', text: 'Go to your organizations' }), '.'));
}

window.addEventListener('hashchange', route);
route();
