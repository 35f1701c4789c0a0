// The organizations the signed-in user belongs to.

import { currentUser } from '../app.js';
import { badge, code, emptyState, h, hashOf } from '../dom.js';

export async function renderHome(page, context) {
  const user = await currentUser(context.signal);
  const organizations = [...(user.organizations ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  page.append(
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { text: 'Organizations' }), h('p', { class: 'lead', text: 'Pick an organization, then one of its stacks or environments, to manage their webhooks.' }))));

  if (organizations.length === 0) {
    page.append(emptyState('You are not a member of any organization yet.',
      'A site administrator creates organizations with ', code('POST /api/orgs'), ' and adds members with ',
      code('PUT /api/orgs/{org}/members/{login}'), '.'));
    return;
  }

  page.append(h('ul', { class: 'cards', 'aria-label': 'Organizations' },
    organizations.map((org) => h('li', { class: 'card org-card' },
      h('div', { class: 'org-card-head' },
        h('h2', {}, h('a', { href: hashOf('orgs', org.name), text: org.name })),
        badge(org.role === 'admin' ? 'Admin' : 'Member', org.role === 'admin' ? 'accent' : 'neutral')),
      h('p', { class: 'muted', text: org.role === 'admin'
        ? 'You manage its organization, stack and environment webhooks.'
        : 'You manage its stack and environment webhooks.' }),
      h('p', { class: 'card-links' },
        h('a', { href: hashOf('orgs', org.name), text: 'Stacks and environments', 'aria-label': `Stacks and environments of ${org.name}` }),
        h('a', { href: hashOf('orgs', org.name, 'settings'), text: 'Settings', 'aria-label': `Settings of ${org.name}` }))))));
}
