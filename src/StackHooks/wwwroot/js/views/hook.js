// "Create webhook", and a webhook's own page: its form with Active and Save, its deliveries with Ping, and Delete.

import { ApiError, del, get, patch, path, post } from '../api.js';
import { navigate, setFlash } from '../app.js';
import { alertBox, badge, code, h } from '../dom.js';
import { destinationTitle } from '../events.js';
import { hookApi, link } from '../scopes.js';
import { deliveriesSection } from './deliveries.js';
import { hookForm } from './hookform.js';
import { scopeHeader } from './scope.js';

/** The organization's stacks, the targets a deployment webhook may name (not needed on organization webhooks). */
function stacksOf(scope, signal) {
  if (scope.kind === 'organization') return null;
  return get(path`/api/user/stacks?organization=${scope.org}`, { signal }).then((r) => r.stacks ?? []);
}

export async function renderCreateHook(page, context, { scope }) {
  page.append(scopeHeader(scope, 'Settings',
    [['Settings', link(scope, 'settings')], ['Webhooks', link(scope, 'hooks')], ['Create webhook', link(scope, 'new-webhook')]],
    'Create webhook'));
  const { form } = hookForm({
    scope,
    hook: null,
    stacks: stacksOf(scope, context.signal),
    submitLabel: 'Create webhook',
    cancelHref: link(scope, 'hooks'),
    async onSubmit(body) {
      const created = await post(scope.hooksApi, body, { signal: context.signal });
      setFlash(`Webhook \u201c${created.displayName}\u201d created. Use Ping to send it a test delivery.`);
      navigate(link(scope, 'hooks', created.name));
    },
  });
  page.append(h('section', { class: 'card' },
    h('p', { class: 'lead', text: `Events of this ${scope.noun} will be sent to the destination below as they happen.` }),
    form));
  page.querySelector('#hook-format')?.focus();
}

export async function renderHook(page, context, { scope, hook: name }) {
  let hook;
  try {
    hook = await get(hookApi(scope, name), { signal: context.signal });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
      page.append(scopeHeader(scope, 'Settings', [['Settings', link(scope, 'settings')], ['Webhooks', link(scope, 'hooks')]], 'Webhook'),
        alertBox(error.message), h('p', {}, h('a', { href: link(scope, 'hooks'), text: 'Back to the webhooks' })));
      return;
    }
    throw error;
  }

  const trail = (displayName) => [['Settings', link(scope, 'settings')], ['Webhooks', link(scope, 'hooks')], [displayName, link(scope, 'hooks', name)]];
  let header = scopeHeader(scope, 'Settings', trail(hook.displayName), hook.displayName);
  let facts = hookFacts(hook);
  page.append(header, facts);

  const stacks = stacksOf(scope, context.signal);
  const formCard = h('section', { class: 'card', 'aria-labelledby': 'settings-heading' }, h('h2', { id: 'settings-heading', text: 'Settings' }));
  let current = null;
  const showForm = (value, message) => {
    const built = hookForm({
      scope,
      hook: value,
      stacks,
      submitLabel: 'Save',
      cancelHref: null,
      async onSubmit(body) {
        const saved = await patch(hookApi(scope, name), body, { signal: context.signal });
        const newHeader = scopeHeader(scope, 'Settings', trail(saved.displayName), saved.displayName);
        const newFacts = hookFacts(saved);
        header.replaceWith(newHeader);
        facts.replaceWith(newFacts);
        header = newHeader;
        facts = newFacts;
        document.title = `${saved.displayName} · StackHooks`;
        showForm(saved, saved.active
          ? 'Saved.'
          : 'Saved. The webhook is inactive: no events are delivered until Active is ticked again.');
        current.focusSubmit();
      },
    });
    if (current) current.form.replaceWith(built.form);
    else formCard.append(built.form);
    current = built;
    if (message) built.setStatus(message);
  };
  showForm(hook, null);

  page.append(formCard, deliveriesSection(scope, name, context), deleteSection(scope, hook));
}

/** The line under the title: active state, destination type and the webhook's name in the API. */
function hookFacts(hook) {
  return h('div', { class: 'hook-facts' },
    hook.active ? badge('Active', 'success') : badge('Inactive', 'neutral'),
    badge(destinationTitle(hook.format), 'accent'),
    h('span', { class: 'muted' }, 'Name in the API: ', code(hook.name)));
}

function deleteSection(scope, hook) {
  const confirm = h('button', { type: 'button', class: 'button button-danger', text: 'Delete webhook' });
  const cancel = h('button', { type: 'button', class: 'button', text: 'Cancel' });
  const problem = h('div', { hidden: true });
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-text' },
    h('h2', { id: 'delete-title', text: 'Delete this webhook?' }),
    h('p', { id: 'delete-text' }, `\u201c${hook.displayName}\u201d will stop receiving events, and its delivery history will be deleted. This cannot be undone.`),
    problem,
    h('div', { class: 'actions' }, confirm, cancel));

  cancel.addEventListener('click', () => dialog.close());
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      await del(hookApi(scope, hook.name));
      dialog.close();
      setFlash(`Webhook \u201c${hook.displayName}\u201d deleted.`);
      navigate(link(scope, 'hooks'));
    } catch (error) {
      problem.replaceChildren(alertBox(error.message));
      problem.hidden = false;
    } finally {
      confirm.disabled = false;
    }
  });

  const open = h('button', { type: 'button', class: 'button button-danger-outline', text: 'Delete' });
  open.addEventListener('click', () => {
    problem.hidden = true;
    dialog.showModal();
    cancel.focus();
  });

  return h('section', { class: 'card danger-zone', 'aria-labelledby': 'delete-heading' },
    h('div', { class: 'section-head' },
      h('div', {},
        h('h2', { id: 'delete-heading', text: 'Delete webhook' }),
        h('p', { class: 'muted', text: 'Stops all deliveries and deletes the delivery history.' })),
      open),
    dialog);
}
