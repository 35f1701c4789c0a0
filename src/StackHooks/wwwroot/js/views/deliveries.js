// The Deliveries section of a webhook's page: Ping, the deliveries (newest first, polled while the page is open), and
// each delivery's Request and Response tabs, retry information, attempts and Redeliver.

import { get, post } from '../api.js';
import { emptyState, h, localTime, prettyJson, timeElement, uniqueId } from '../dom.js';
import { filterTitle, kindTitle } from '../events.js';
import { hookApi } from '../scopes.js';
import { statusBadge } from './hooks.js';

const POLL_MS = 4000;

export function deliveriesSection(scope, hookName, context) {
  const api = (...more) => hookApi(scope, hookName, ...more);
  const items = new Map();
  const list = h('ul', { class: 'deliveries', 'aria-label': 'Deliveries' });
  const empty = emptyState('No deliveries yet — use Ping to send a test.', 'Deliveries appear here as events are sent to this webhook.');
  const status = h('p', { class: 'form-status', role: 'status' });
  const refreshProblem = h('p', { class: 'field-error', hidden: true });
  const ping = h('button', { type: 'button', class: 'button button-primary', text: 'Ping' });

  ping.addEventListener('click', async () => {
    ping.disabled = true;
    status.textContent = 'Sending a ping…';
    try {
      const delivery = await post(api('ping'), undefined, { signal: context.signal });
      const item = upsert(delivery, true);
      expand(item, 'request');
      status.textContent = `Ping sent: ${outcomeText(delivery)}.`;
    } catch (error) {
      if (error.name !== 'AbortError') status.textContent = `Ping failed: ${error.message}`;
    } finally {
      ping.disabled = false;
    }
  });

  /** Adds a delivery to the list, or updates the one with its id. Newest first; existing rows never move. */
  function upsert(delivery, atTop = false) {
    let item = items.get(delivery.id);
    if (item) {
      const changed = signature(item.delivery) !== signature(delivery);
      item.delivery = delivery;
      if (changed) {
        item.renderSummary();
        if (item.expanded) item.renderDetail();
      }
      return item;
    }
    item = deliveryItem(delivery, api);
    items.set(delivery.id, item);
    if (atTop) list.prepend(item.element);
    else list.append(item.element);
    showList();
    return item;
  }

  function showList() {
    empty.hidden = items.size > 0;
    list.hidden = items.size === 0;
  }

  function expand(item, tab) {
    item.setExpanded(true, tab);
  }

  /** Merges a fresh page of deliveries (newest first) into what is shown. */
  function merge(deliveries) {
    const seen = new Set(deliveries.map((d) => d.id));
    for (const [id, item] of items) {
      if (!seen.has(id)) {
        item.element.remove();
        items.delete(id);
      }
    }
    // New ones go before the first delivery already shown that is older than them.
    let next = null;
    for (let i = deliveries.length - 1; i >= 0; i--) {
      const delivery = deliveries[i];
      if (items.has(delivery.id)) {
        upsert(delivery);
      } else {
        const item = deliveryItem(delivery, api);
        items.set(delivery.id, item);
        list.insertBefore(item.element, next);
      }
      next = items.get(delivery.id).element;
    }
    showList();
  }

  let timer = null;
  let loading = false;
  async function refresh() {
    if (loading || document.hidden) return;
    loading = true;
    try {
      merge(await get(`${api('deliveries')}?limit=50`, { signal: context.signal }));
      refreshProblem.hidden = true;
    } catch (error) {
      if (error.name === 'AbortError') return;
      refreshProblem.textContent = `Could not refresh the deliveries: ${error.message}`;
      refreshProblem.hidden = false;
    } finally {
      loading = false;
    }
  }
  refresh();
  timer = setInterval(refresh, POLL_MS);
  context.onCleanup(() => clearInterval(timer));

  showList();
  return h('section', { class: 'card', 'aria-labelledby': 'deliveries-heading' },
    h('div', { class: 'section-head' },
      h('div', {},
        h('h2', { id: 'deliveries-heading', text: 'Deliveries' }),
        h('p', { class: 'muted', text: 'Every request sent to this webhook, newest first. New deliveries appear here on their own.' })),
      ping),
    status, refreshProblem, empty, list);
}

function signature(d) {
  return `${d.status}|${d.attempts}|${d.timestamp}|${d.responseCode}|${d.nextAttemptAt}|${d.error}`;
}

function outcomeText(d) {
  const word = d.status === 'succeeded' ? 'succeeded' : d.status === 'failed' ? 'failed' : 'pending';
  return d.responseCode ? `${word} (${d.responseCode})` : `${word}${d.error ? ` — ${d.error}` : ''}`;
}

function deliveryItem(initial, api) {
  const detailId = uniqueId('delivery');
  const summary = h('button', { type: 'button', class: 'delivery-summary', 'aria-expanded': 'false', 'aria-controls': detailId });
  const detail = h('div', { class: 'delivery-detail', id: detailId, hidden: true });
  const element = h('li', { class: 'delivery' }, summary, detail);

  const item = {
    delivery: initial,
    element,
    expanded: false,
    tab: 'request',
    historyFor: null,
    renderSummary() {
      const d = item.delivery;
      summary.replaceChildren(
        h('span', { class: 'chevron', 'aria-hidden': 'true' }),
        statusBadge(d.status),
        h('span', { class: 'delivery-kind', text: d.kind === 'ping' ? 'Ping' : `${kindTitle(d.kind)}${d.event && d.event !== d.kind ? ` · ${filterTitle(d.event)}` : ''}` }),
        h('span', { class: 'delivery-id mono', text: d.id }),
        h('span', { class: 'delivery-code mono', text: d.responseCode ? String(d.responseCode) : '—', title: 'Response code' }),
        h('span', { class: 'delivery-time' }, timeElement(d.timestamp)));
    },
    renderDetail() {
      detail.replaceChildren(...deliveryDetail(item, api));
    },
    setExpanded(open, tab) {
      item.expanded = open;
      if (tab) item.tab = tab;
      summary.setAttribute('aria-expanded', String(open));
      detail.hidden = !open;
      element.classList.toggle('open', open);
      if (open) item.renderDetail();
    },
  };
  summary.addEventListener('click', () => item.setExpanded(!item.expanded));
  item.renderSummary();
  return item;
}

function deliveryDetail(item, api) {
  const d = item.delivery;

  // Retry information and Redeliver.
  const redeliver = h('button', { type: 'button', class: 'button', text: 'Redeliver' });
  const redeliverStatus = h('span', { class: 'form-status', role: 'status' });
  redeliver.addEventListener('click', async () => {
    redeliver.disabled = true;
    redeliverStatus.textContent = 'Sending again…';
    try {
      const result = await post(api('deliveries', d.id, 'redeliver'));
      item.delivery = result;
      item.renderSummary();
      item.renderDetail();
      item.element.querySelector('.delivery-detail .form-status').textContent = `Redelivered: ${outcomeText(result)}.`;
    } catch (error) {
      redeliverStatus.textContent = `Redelivery failed: ${error.message}`;
      redeliver.disabled = false;
    }
  });

  const retry = h('div', { class: 'retry' },
    h('dl', { class: 'facts facts-inline' },
      fact('Status', d.status === 'succeeded' ? 'Succeeded' : d.status === 'failed' ? 'Failed' : 'Pending'),
      fact('Attempts', String(d.attempts)),
      fact('Duration', `${d.duration} ms`),
      d.event && d.event !== 'ping' ? fact('Event', d.event) : null,
      d.nextAttemptAt ? fact('Next attempt', nextAttemptText(d.nextAttemptAt)) : null,
      d.error ? fact('Error', d.error) : null),
    h('div', { class: 'actions' }, redeliver, redeliverStatus));

  // Request and Response tabs.
  const tabs = [
    { key: 'request', label: 'Request', panel: () => requestPanel(d) },
    { key: 'response', label: `Response (${d.responseCode || 'none'})`, panel: () => responsePanel(d) },
  ];
  const panelId = uniqueId('delivery-panel');
  const buttons = tabs.map((t) => h('button', {
    type: 'button', role: 'tab', class: 'tab', id: `${panelId}-${t.key}`, 'aria-controls': panelId,
    'aria-selected': String(item.tab === t.key), tabindex: item.tab === t.key ? '0' : '-1', text: t.label,
  }));
  const panel = h('div', { role: 'tabpanel', class: 'tab-panel', id: panelId, tabindex: '0' });
  const select = (index, focus) => {
    item.tab = tabs[index].key;
    buttons.forEach((b, i) => {
      b.setAttribute('aria-selected', String(i === index));
      b.tabIndex = i === index ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', buttons[index].id);
    panel.replaceChildren(...tabs[index].panel());
    if (focus) buttons[index].focus();
  };
  buttons.forEach((button, index) => {
    button.addEventListener('click', () => select(index, false));
    button.addEventListener('keydown', (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: tabs.length - 1 - index };
      if (event.key in moves) {
        event.preventDefault();
        select((index + moves[event.key] + tabs.length) % tabs.length, true);
      }
    });
  });
  select(Math.max(0, tabs.findIndex((t) => t.key === item.tab)), false);

  // Every attempt, from GET …/deliveries/{id}, loaded when opened and again when the delivery changes.
  const history = h('div', { class: 'attempts' });
  const wanted = signature(d);
  if (item.historyFor?.signature === wanted) {
    history.append(attemptsTable(item.historyFor.attempts));
  } else {
    get(api('deliveries', d.id)).then((full) => {
      item.historyFor = { signature: wanted, attempts: full.attemptHistory ?? [] };
      history.replaceChildren(attemptsTable(item.historyFor.attempts));
    }).catch(() => {});
  }

  return [retry, h('div', { class: 'tablist', role: 'tablist', 'aria-label': 'Delivery details' }, buttons), panel, history];
}

/** "12:03:04 (in 25 s)": when a pending delivery is tried again. */
function nextAttemptText(iso) {
  const at = Date.parse(iso);
  const seconds = Math.round((at - Date.now()) / 1000);
  const when = seconds <= 0 ? 'due now' : seconds < 120 ? `in ${seconds} s` : seconds < 7200 ? `in ${Math.round(seconds / 60)} min` : `in ${Math.round(seconds / 3600)} h`;
  return `${localTime(at / 1000)} (${when})`;
}

function fact(term, value) {
  return h('div', {}, h('dt', { text: term }), h('dd', { text: value }));
}

function requestPanel(d) {
  return [
    h('p', { class: 'request-line mono' }, h('strong', { text: 'POST ' }), d.requestUrl),
    h('h4', { text: 'Headers' }),
    h('pre', { class: 'code-block', text: d.requestHeaders || '(not sent yet)' }),
    h('h4', { text: 'Payload' }),
    h('pre', { class: 'code-block', text: prettyJson(d.payload) }),
  ];
}

function responsePanel(d) {
  if (!d.responseCode) {
    return [h('p', { class: 'muted', text: d.error ? `No response: ${d.error}` : 'No response yet.' })];
  }
  return [
    h('h4', { text: 'Headers' }),
    h('pre', { class: 'code-block', text: d.responseHeaders || '(none)' }),
    h('h4', { text: 'Body' }),
    h('pre', { class: 'code-block', text: d.responseBody ? prettyJson(d.responseBody) : '(empty)' }),
  ];
}

function attemptsTable(attempts) {
  if (attempts.length === 0) return h('p', { class: 'muted', text: 'No attempt yet.' });
  return h('details', { class: 'attempt-history' },
    h('summary', { text: `Attempt history (${attempts.length})` }),
    h('table', { class: 'table compact' },
      h('thead', {}, h('tr', {}, ['#', 'Time', 'Response', 'Duration', 'Error'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, attempts.map((a) => h('tr', {},
        h('td', { text: String(a.attempt) }),
        h('td', {}, timeElement(a.timestamp)),
        h('td', { class: 'mono', text: a.responseCode ? String(a.responseCode) : '—' }),
        h('td', { text: `${a.duration} ms` }),
        h('td', { text: a.error ?? '' }))))));
}
