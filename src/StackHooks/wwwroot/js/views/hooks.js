// Settings → Integrations → Webhooks: the webhooks of one scope, with the outcome of each one's latest delivery.

import { ApiError, get } from '../api.js';
import { alertBox, badge, emptyState, h, timeElement } from '../dom.js';
import { destinationTitle, subscriptionSummary } from '../events.js';
import { hookApi, link } from '../scopes.js';
import { scopeHeader, table } from './scope.js';

export async function renderHookList(page, context, { scope }) {
  page.append(scopeHeader(scope, 'Settings', [['Settings', link(scope, 'settings')], ['Webhooks', link(scope, 'hooks')]]));

  let hooks;
  try {
    hooks = await get(scope.hooksApi, { signal: context.signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      page.append(forbidden(scope));
      return;
    }
    throw error;
  }

  const head = h('div', { class: 'section-head' },
    h('div', {},
      h('h2', { text: 'Webhooks' }),
      h('p', { class: 'muted', text: `Webhooks send an HTTP POST to a URL when events happen in this ${scope.noun}.` })),
    h('a', { class: 'button button-primary', href: link(scope, 'new-webhook'), text: 'Create webhook' }));
  const section = h('section', { class: 'card', 'aria-labelledby': 'webhooks-heading' }, head);
  head.querySelector('h2').id = 'webhooks-heading';
  page.append(section);

  if (hooks.length === 0) {
    section.append(emptyState('No webhooks yet.', 'Select Create webhook to send this ' + scope.noun + '\u2019s events to a URL, Slack, Microsoft Teams or a deployment.'));
    return;
  }

  const latestCells = new Map();
  section.append(table(['Webhook', 'Destination', 'Events', 'State', 'Latest delivery'], hooks.map((hook) => {
    const latest = h('span', { class: 'muted', text: 'Loading…' });
    latestCells.set(hook.name, latest);
    return [
      h('div', { class: 'hook-name' },
        h('a', { href: link(scope, 'hooks', hook.name), text: hook.displayName }),
        h('span', { class: 'muted mono', text: hook.name })),
      h('div', { class: 'destination' },
        h('span', { text: destinationTitle(hook.format) }),
        h('span', { class: 'muted mono truncate', text: hook.payloadUrl, title: hook.payloadUrl })),
      subscriptionSummary(hook),
      hook.active ? badge('Active', 'success') : badge('Inactive', 'neutral'),
      latest,
    ];
  }), 'hooks-table'));

  await Promise.all(hooks.map(async (hook) => {
    const cell = latestCells.get(hook.name);
    try {
      const [delivery] = await get(`${hookApi(scope, hook.name, 'deliveries')}?limit=1`, { signal: context.signal });
      cell.replaceWith(delivery ? deliveryOutcome(delivery) : h('span', { class: 'muted', text: 'No deliveries yet' }));
    } catch (error) {
      if (error.name === 'AbortError') return;
      cell.textContent = 'Unavailable';
    }
  }));
}

/** "Succeeded · 200 · 2 min ago": the outcome of one delivery, in words first and colour second. */
export function deliveryOutcome(delivery) {
  return h('span', { class: 'outcome' },
    statusBadge(delivery.status),
    h('span', { class: 'mono', text: delivery.responseCode ? String(delivery.responseCode) : delivery.status === 'pending' ? 'retrying' : 'no response' }),
    timeElement(delivery.timestamp, true));
}

export function statusBadge(status) {
  switch (status) {
    case 'succeeded': return badge('Succeeded', 'success');
    case 'failed': return badge('Failed', 'danger');
    default: return badge('Pending', 'warning');
  }
}

function forbidden(scope) {
  return alertBox('Organization webhooks are for organization admins.', 'warning',
    h('p', {}, `You are a member of ${scope.org} but not one of its admins, so the server does not show you its organization webhooks. `
      + 'Ask an admin of the organization to make you an admin, or manage the webhooks of a stack or environment instead: every member may. '),
    h('p', {}, h('a', { href: link(scope), text: `See the stacks and environments of ${scope.org}` })));
}
