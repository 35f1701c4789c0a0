// The page of an organization, a stack or an environment: its overview and its Settings (Integrations → Webhooks).

import { get, path } from '../api.js';
import { currentUser } from '../app.js';
import { badge, code, emptyState, h, hashOf, timeElement } from '../dom.js';
import { link } from '../scopes.js';

const KIND_LABEL = { organization: 'Organization', stack: 'Stack', environment: 'Environment' };

/**
 * The heading every page of a scope shares: breadcrumb, kind, name and the Overview / Settings tabs.
 * trail: extra breadcrumb entries after the scope, as [text, href] (the last one is the current page); title: the page's
 * own heading when it is not the scope's name (a webhook's page).
 */
export function scopeHeader(scope, activeTab, trail = [], title = null) {
  const crumbs = [['Organizations', '#/'], [scope.org, hashOf('orgs', scope.org)]];
  if (scope.kind !== 'organization') {
    crumbs.push([scope.title, link(scope)]);
  }
  crumbs.push(...trail);
  const last = crumbs.length - 1;
  const tab = (name, href) => h('a', { href, text: name, 'aria-current': name === activeTab ? 'page' : null });
  return h('div', { class: 'scope-head' },
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('ol', {}, crumbs.map(([text, href], i) => h('li', {},
        i === last ? h('span', { 'aria-current': 'page', text }) : h('a', { href, text }))))),
    h('p', { class: 'kicker' }, h('span', { class: 'kicker-kind', text: KIND_LABEL[scope.kind] }),
      title ? h('span', { class: 'kicker-name', text: scope.title }) : null),
    h('h1', { class: 'scope-title', text: title ?? scope.title }),
    h('nav', { class: 'tabs', 'aria-label': `${KIND_LABEL[scope.kind]} pages` },
      tab('Overview', link(scope)),
      tab('Settings', link(scope, 'settings'))));
}

export async function renderOverview(page, context, { scope }) {
  page.append(scopeHeader(scope, 'Overview'));
  if (scope.kind === 'organization') {
    await organizationOverview(page, context, scope);
  } else if (scope.kind === 'stack') {
    const stack = await get(path`/api/stacks/${scope.org}/${scope.project}/${scope.name}`, { signal: context.signal });
    const tags = Object.entries(stack.tags ?? {});
    page.append(h('section', { class: 'card' },
      h('h2', { text: 'Stack' }),
      h('dl', { class: 'facts' },
        fact('Organization', stack.orgName), fact('Project', stack.projectName), fact('Stack', stack.stackName),
        fact('Last update', stack.version ? `Version ${stack.version}` : 'No updates recorded yet'),
        fact('Tags', tags.length ? tags.map(([k, v]) => `${k}: ${v}`).join(', ') : 'None')),
      webhooksHint(scope)));
  } else {
    const env = await get(path`/api/esc/environments/${scope.org}/${scope.project}/${scope.name}`, { signal: context.signal });
    page.append(h('section', { class: 'card' },
      h('h2', { text: 'Environment' }),
      h('dl', { class: 'facts' },
        fact('Organization', env.organization ?? scope.org), fact('Project', env.project ?? scope.project),
        fact('Environment', env.name ?? scope.name),
        env.created ? fact('Created', createdTime(env.created)) : null),
      webhooksHint(scope)));
  }
}

function fact(term, value) {
  return [h('dt', { text: term }), h('dd', {}, value)];
}

function webhooksHint(scope) {
  return h('p', { class: 'muted' }, 'Its webhooks are under ', h('a', { href: link(scope, 'settings'), text: 'Settings' }), ' → Integrations → ',
    h('a', { href: link(scope, 'hooks'), text: 'Webhooks', 'aria-label': `Webhooks of ${scope.title}` }), '.');
}

async function organizationOverview(page, context, scope) {
  const { signal } = context;
  const [user, stacks, environments] = await Promise.all([
    currentUser(signal),
    get(path`/api/user/stacks?organization=${scope.org}`, { signal }),
    get(path`/api/esc/environments/${scope.org}`, { signal }),
  ]);
  const role = user.organizations?.find((o) => o.name === scope.org)?.role;
  if (role) {
    page.append(h('p', { class: 'muted role-line' }, 'Your role: ', badge(role === 'admin' ? 'Admin' : 'Member', role === 'admin' ? 'accent' : 'neutral'),
      role === 'admin' ? '' : ' — organization webhooks are for admins; stack and environment webhooks are open to you.'));
  }

  const stackRows = stacks.stacks ?? [];
  page.append(h('section', { class: 'card', 'aria-labelledby': 'stacks-heading' },
    h('h2', { id: 'stacks-heading', text: 'Stacks' }),
    stackRows.length === 0
      ? emptyState('No stacks yet.', 'A stack appears here when ', code('stackhooks run -- pulumi up'), ' reports it, or after ',
        code(`POST /api/stacks/${scope.org}/{project}`), '.')
      : table(['Project', 'Stack', 'Last update', ''], stackRows.map((s) => [
        s.projectName,
        h('a', { href: hashOf('stacks', s.orgName, s.projectName, s.stackName), text: s.stackName }),
        s.version ? `Version ${s.version}` : 'None yet',
        h('a', { href: hashOf('stacks', s.orgName, s.projectName, s.stackName, 'hooks'), text: 'Webhooks', 'aria-label': `Webhooks of stack ${s.projectName}/${s.stackName}` }),
      ]))));

  const envRows = environments.environments ?? [];
  page.append(h('section', { class: 'card', 'aria-labelledby': 'environments-heading' },
    h('h2', { id: 'environments-heading', text: 'Environments' }),
    envRows.length === 0
      ? emptyState('No environments yet.', 'Create one with ', code(`POST /api/esc/environments/${scope.org}`), '.')
      : table(['Project', 'Environment', 'Created', ''], envRows.map((e) => [
        e.project,
        h('a', { href: hashOf('environments', e.organization ?? scope.org, e.project, e.name), text: e.name }),
        e.created ? createdTime(e.created) : '',
        h('a', { href: hashOf('environments', e.organization ?? scope.org, e.project, e.name, 'hooks'), text: 'Webhooks', 'aria-label': `Webhooks of environment ${e.project}/${e.name}` }),
      ]))));
}

function createdTime(created) {
  const ms = Date.parse(created);
  return Number.isNaN(ms) ? created : timeElement(Math.floor(ms / 1000));
}

/** A table that turns into labelled blocks on narrow screens (the labels come from data-label). */
export function table(headings, rows, className = '') {
  return h('table', { class: `table responsive ${className}` },
    h('thead', {}, h('tr', {}, headings.map((text) => h('th', { scope: 'col', text })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell, i) => h('td', { 'data-label': headings[i] || null }, cell))))));
}

export async function renderSettings(page, context, { scope }) {
  page.append(scopeHeader(scope, 'Settings', [['Settings', link(scope, 'settings')]]));
  const hooks = await get(scope.hooksApi, { signal: context.signal }).catch((error) => error);
  const count = Array.isArray(hooks)
    ? (hooks.length === 0 ? 'None yet' : hooks.length === 1 ? '1 webhook' : `${hooks.length} webhooks`)
    : hooks?.status === 403 ? 'Organization admins only' : null;

  page.append(
    h('section', { class: 'card', 'aria-labelledby': 'general-heading' },
      h('h2', { id: 'general-heading', text: 'General' }),
      h('dl', { class: 'facts' },
        fact(KIND_LABEL[scope.kind], scope.title),
        scope.kind === 'organization' ? null : fact('Organization', scope.org))),
    h('section', { class: 'card', 'aria-labelledby': 'integrations-heading' },
      h('h2', { id: 'integrations-heading', text: 'Integrations' }),
      h('div', { class: 'integration' },
        h('div', {},
          h('h3', {}, h('a', { href: link(scope, 'hooks'), text: 'Webhooks' })),
          h('p', { class: 'muted', text: `Send an HTTP POST, a Slack or Microsoft Teams message, or a deployment when something happens in this ${scope.noun}.` })),
        count ? h('span', { class: 'integration-count', text: count }) : null)));
}
