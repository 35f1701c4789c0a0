// The webhook form, shared by "Create webhook" and the webhook's own page (which adds Active and the secret controls).

import { h } from '../dom.js';
import { destinationsFor, filtersFor, groupsFor } from '../events.js';

const REMOVE_SECRET = '__remove-secret';

/**
 * Builds the form. hook: the webhook being edited (null when creating); stacks: a promise of the organization's
 * stacks (targets of deployment webhooks); onSubmit(body) sends it and may throw an ApiError, whose message is shown
 * next to the field it names.
 */
export function hookForm({ scope, hook, stacks, submitLabel, cancelHref, onSubmit }) {
  const editing = hook !== null;
  const errors = new Map();
  const formError = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });

  // Destination type (the API's "format").
  const destinations = destinationsFor(scope.kind);
  const format = h('select', { name: 'format' },
    destinations.map((d) => h('option', { value: d.format, text: d.title })));
  format.value = hook?.format ?? 'raw';
  const formatField = field('hook-format', 'Destination type', format, '', 'format');

  // Display name, with Active beside it on an existing webhook.
  const displayName = h('input', { type: 'text', name: 'displayName', autocomplete: 'off', maxlength: '200', value: hook?.displayName ?? '' });
  const nameField = field('hook-displayName', 'Display Name', displayName, 'A name people recognise, shown in the webhook list.', 'displayName');
  let active = null;
  let nameRow = nameField.element;
  if (editing) {
    active = h('input', { type: 'checkbox', id: 'hook-active', name: 'active', checked: hook.active, 'aria-describedby': 'hook-active-help' });
    const activeField = h('div', { class: 'field field-check' },
      h('label', { class: 'check' }, active, h('span', { text: 'Active' })),
      h('p', { class: 'help', id: 'hook-active-help', text: 'Untick to stop deliveries; Ping still works.' }));
    errors.set('active', activeField.appendChild(h('p', { class: 'field-error', hidden: true })));
    nameRow = h('div', { class: 'field-row' }, nameField.element, activeField);
  }

  // Payload URL, or the stack to deploy for a deployment webhook.
  const payloadUrl = h('input', {
    type: 'text', name: 'payloadUrl', inputmode: 'url', autocomplete: 'off', spellcheck: 'false', value: hook?.payloadUrl ?? '',
  });
  const urlField = field('hook-payloadUrl', 'Payload URL', payloadUrl, '', 'payloadUrl');
  const stackList = h('datalist', { id: 'hook-stacks' });
  urlField.element.append(stackList);
  stacks?.then((list) => {
    for (const s of list) stackList.append(h('option', { value: `${s.projectName}/${s.stackName}` }));
  }).catch(() => {});

  // Secret: set a new one, keep the stored one (leave blank), or remove it.
  const secret = h('input', { type: 'password', name: 'secret', autocomplete: 'new-password', spellcheck: 'false', maxlength: '1024' });
  const secretHelp = [
    'If provided, webhook deliveries will contain a ', h('code', { text: 'Pulumi-Webhook-Signature' }),
    ' header: the HMAC-SHA256 hex digest of the request body, keyed with this secret, so the receiver can authenticate messages.',
  ];
  const secretField = field('hook-secret', 'Secret', secret, secretHelp, 'secret');
  let removeSecret = null;
  if (editing && hook.hasSecret) {
    secret.placeholder = 'Leave blank to keep the current secret';
    removeSecret = h('input', { type: 'checkbox', id: 'hook-removeSecret', name: 'removeSecret' });
    removeSecret.addEventListener('change', () => {
      secret.disabled = removeSecret.checked;
      if (removeSecret.checked) secret.value = '';
    });
    secretField.element.insertBefore(
      h('div', { class: 'secret-state' },
        h('span', { class: 'badge badge-accent', text: 'Secret set' }),
        h('label', { class: 'check' }, removeSecret, h('span', { text: 'Remove secret' }))),
      secretField.control);
  } else if (editing) {
    secret.placeholder = 'No secret set';
  } else {
    secret.placeholder = 'Optional';
  }

  // Events: all of them, or a chosen mix of groups and single events.
  const events = eventsFieldset(scope, hook);
  errors.set('filters', events.error);
  errors.set('groups', events.error);

  const submit = h('button', { type: 'submit', class: 'button button-primary', text: submitLabel });
  const status = h('span', { class: 'form-status', role: 'status' });
  const actions = h('div', { class: 'actions' }, submit,
    cancelHref ? h('a', { class: 'button', href: cancelHref, text: 'Cancel' }) : null, status);

  const form = h('form', { class: 'hook-form', novalidate: true },
    formError, formatField.element, nameRow, urlField.element, secretField.element, events.element, actions);

  for (const f of [formatField, nameField, urlField, secretField]) errors.set(f.key, f.error);

  function describeDestination() {
    const type = format.value;
    const deployment = type === 'pulumi_deployments';
    formatField.help.textContent = destinations.find((d) => d.format === type)?.help ?? '';
    urlField.label.textContent = deployment ? 'Stack to deploy' : 'Payload URL';
    payloadUrl.placeholder = deployment ? 'project/stack'
      : type === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/webhooks';
    if (deployment) {
      payloadUrl.setAttribute('list', 'hook-stacks');
      payloadUrl.setAttribute('inputmode', 'text');
    } else {
      payloadUrl.removeAttribute('list');
      payloadUrl.setAttribute('inputmode', 'url');
    }
    urlField.help.textContent = deployment
      ? `The stack of organization ${scope.org} to deploy (pulumi up) when an event happens, as project/stack.`
      : type === 'slack' ? 'The Slack incoming-webhook URL to post messages to.'
        : type === 'ms_teams' ? 'The Microsoft Teams workflow URL to post cards to.'
          : 'URL to be issued POST requests as events occur.';
    // A deployment webhook makes no HTTP request, so it has nothing to sign.
    secretField.element.hidden = deployment;
  }

  function updateSubmit() {
    if (!editing) {
      submit.disabled = displayName.value.trim() === '' || payloadUrl.value.trim() === '';
    }
  }

  format.addEventListener('change', describeDestination);
  displayName.addEventListener('input', updateSubmit);
  payloadUrl.addEventListener('input', updateSubmit);
  describeDestination();
  updateSubmit();

  function clearErrors() {
    formError.hidden = true;
    formError.replaceChildren();
    for (const [key, element] of errors) {
      element.hidden = true;
      element.textContent = '';
      const control = controlFor(key);
      control?.removeAttribute('aria-invalid');
    }
  }

  function controlFor(key) {
    return {
      format, displayName, payloadUrl, secret, active, filters: events.first(), groups: events.first(),
    }[key] ?? null;
  }

  function showError(key, message) {
    const element = errors.get(key);
    if (!element) {
      formError.replaceChildren(h('p', { text: message }));
      formError.hidden = false;
      formError.scrollIntoView({ block: 'nearest' });
      return;
    }
    element.textContent = message;
    element.hidden = false;
    const control = controlFor(key);
    if (control && key !== 'filters' && key !== 'groups') control.setAttribute('aria-invalid', 'true');
    control?.focus();
  }

  function body() {
    const chosen = events.values();
    const deployment = format.value === 'pulumi_deployments';
    const value = {
      displayName: displayName.value,
      payloadUrl: payloadUrl.value.trim(),
      format: format.value,
      filters: chosen.filters,
      groups: chosen.groups,
    };
    if (editing) {
      value.active = active.checked;
      if (removeSecret?.checked) value.secret = REMOVE_SECRET;
      else if (secret.value && !deployment) value.secret = secret.value;
    } else {
      Object.assign(value, scope.body, { name: '', active: true });
      if (secret.value && !deployment) value.secret = secret.value;
    }
    return value;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    clearErrors();
    status.textContent = '';
    const chosen = events.values();
    if (chosen.mode === 'some' && chosen.filters.length === 0 && chosen.groups.length === 0) {
      showError('filters', 'Choose at least one event or group, or select All events.');
      return;
    }
    submit.disabled = true;
    const label = submit.textContent;
    submit.textContent = editing ? 'Saving…' : 'Creating…';
    try {
      await onSubmit(body());
    } catch (error) {
      if (error.name === 'AbortError') return;
      showError(error.field, error.message);
    } finally {
      submit.textContent = label;
      submit.disabled = false;
      updateSubmit();
    }
  });

  return {
    form,
    focusSubmit: () => submit.focus(),
    setStatus: (text) => { status.textContent = text; },
  };
}

/** A labelled field: label, control, help line and an error line the control is described by. */
function field(id, labelText, control, helpContent, key) {
  control.id = id;
  const label = h('label', { for: id, text: labelText });
  const help = h('p', { class: 'help', id: `${id}-help` }, helpContent);
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  control.setAttribute('aria-describedby', `${id}-help ${id}-error`);
  return { key, label, control, help, error, element: h('div', { class: 'field' }, label, control, help, error) };
}

/** "All events" or a mix of groups and single events valid for the scope; a ticked group covers its events. */
function eventsFieldset(scope, hook) {
  const chosenFilters = new Set(hook?.filters ?? []);
  const chosenGroups = new Set(hook?.groups ?? []);
  const some = chosenFilters.size > 0 || chosenGroups.size > 0;

  const allRadio = h('input', { type: 'radio', name: 'events-mode', value: 'all', checked: !some });
  const someRadio = h('input', { type: 'radio', name: 'events-mode', value: 'some', checked: some });
  const error = h('p', { class: 'field-error', id: 'hook-events-error', hidden: true });

  const groupBoxes = [];
  const filterBoxes = [];
  const groups = groupsFor(scope.kind).map((group) => {
    const groupBox = h('input', { type: 'checkbox', name: 'groups', value: group.name, checked: chosenGroups.has(group.name) });
    groupBoxes.push(groupBox);
    const boxes = filtersFor(scope.kind).filter((f) => f.group === group.name).map((f) => {
      const box = h('input', { type: 'checkbox', name: 'filters', value: f.name, checked: chosenFilters.has(f.name) });
      filterBoxes.push(box);
      return h('li', {}, h('label', { class: 'check', title: f.name }, box, h('span', { text: f.title })));
    });
    const children = boxes.map((li) => li.querySelector('input'));
    const sync = () => {
      for (const box of children) {
        if (groupBox.checked) {
          if (!box.disabled) box.dataset.was = box.checked ? '1' : '';
          box.checked = true;
          box.disabled = true;
        } else if (box.disabled) {
          box.disabled = false;
          box.checked = box.dataset.was === '1';
        }
      }
    };
    groupBox.addEventListener('change', sync);
    sync();
    return h('fieldset', { class: 'event-group' },
      h('legend', { text: group.title }),
      h('label', { class: 'check group-check' }, groupBox, h('span', { text: group.all })),
      h('ul', { class: 'event-list' }, boxes));
  });

  const chooser = h('div', { class: 'event-groups', id: 'hook-events-choice' }, groups);
  const update = () => { chooser.hidden = !someRadio.checked; };
  allRadio.addEventListener('change', update);
  someRadio.addEventListener('change', update);
  update();

  const element = h('fieldset', { class: 'field events', 'aria-describedby': 'hook-events-help hook-events-error' },
    h('legend', { text: 'Events' }),
    h('p', { class: 'help', id: 'hook-events-help', text: `Which events of this ${scope.noun} the webhook receives.` }),
    h('div', { class: 'radios' },
      h('label', { class: 'check' }, allRadio, h('span', { text: 'All events' })),
      h('label', { class: 'check' }, someRadio, h('span', { text: 'Selected events' }))),
    chooser,
    error);

  return {
    element,
    error,
    first: () => (someRadio.checked ? groupBoxes[0] ?? filterBoxes[0] : allRadio),
    values() {
      if (!someRadio.checked) return { mode: 'all', filters: [], groups: [] };
      return {
        mode: 'some',
        groups: groupBoxes.filter((b) => b.checked).map((b) => b.value),
        filters: filterBoxes.filter((b) => b.checked && !b.disabled).map((b) => b.value),
      };
    },
  };
}
