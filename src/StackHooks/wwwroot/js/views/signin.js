// Sign in by pasting an access token. The token is checked with GET /api/user and kept in sessionStorage.

import { ApiError, get } from '../api.js';
import { code, h } from '../dom.js';
import { signIn } from '../app.js';

export async function renderSignIn(page) {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const error = h('p', { class: 'field-error', id: 'token-error', hidden: true });
  const button = h('button', { type: 'submit', class: 'button button-primary', text: 'Sign in' });

  const form = h('form', { class: 'signin-form', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'token', text: 'Access token' }),
      input,
      h('p', { class: 'help', id: 'token-help', text: 'Kept in this browser tab only, and sent only to this server.' }),
      error),
    h('div', { class: 'actions' }, button));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      showError('Paste an access token to sign in.');
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const user = await get('/api/user', { token });
      signIn(token, user);
    } catch (failure) {
      showError(failure instanceof ApiError && failure.status === 401
        ? 'This access token is not valid on this server. Check that you copied all of it.'
        : failure.message);
    } finally {
      button.disabled = false;
      button.textContent = 'Sign in';
    }
  });

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'token-help token-error');
    input.focus();
  }

  page.append(h('section', { class: 'signin card' },
    h('h1', { text: 'Sign in to StackHooks' }),
    h('p', { class: 'lead', text: 'Manage the webhooks of your organizations, stacks and environments.' }),
    form,
    h('details', { class: 'hint' },
      h('summary', { text: 'Where do I get an access token?' }),
      h('p', {}, 'The first start of the server prints the site administrator\u2019s token and writes it to ', code('data/admin-token'),
        '. A signed-in user can make more with ', code('POST /api/user/tokens'), '; a site administrator makes them for others with ',
        code('POST /api/users/{login}/tokens'), '.'))));
  input.focus();
}
