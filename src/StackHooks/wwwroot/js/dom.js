// DOM helpers. Everything the console shows is built with createElement and inserted as text: no HTML strings, ever.

/**
 * Creates an element. props: "text" sets textContent, "on<event>" adds a listener, "value"/"checked"/"disabled"/"hidden"
 * set the property, true sets an empty attribute, false/null/undefined are skipped, anything else becomes an attribute.
 * Children: nodes, strings (inserted as text), arrays of those, null/false (skipped).
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'text') {
      element.textContent = String(value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'hidden') {
      element[key] = value;
    } else if (value === true) {
      element.setAttribute(key, '');
    } else {
      element.setAttribute(key, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (nodes, text, arrays, null) to an element. */
export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A counter for element ids that must be unique in the page (label for=, aria-controls=). */
let nextId = 0;
export function uniqueId(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A hash link: path segments are URI-encoded, so names with any character stay one segment. */
export function hashOf(...segments) {
  return '#/' + segments.map((s) => encodeURIComponent(s)).join('/');
}

/** "12 s ago", "5 min ago", "3 h ago", else the local date and time. */
export function relativeTime(unixSeconds) {
  const seconds = Math.round(Date.now() / 1000 - unixSeconds);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return localTime(unixSeconds);
}

export function localTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A <time> element showing the local time, with the ISO instant as its machine-readable value. */
export function timeElement(unixSeconds, relative = false) {
  const instant = new Date(unixSeconds * 1000);
  return h('time', {
    datetime: instant.toISOString(),
    title: localTime(unixSeconds),
    text: relative ? relativeTime(unixSeconds) : localTime(unixSeconds),
  });
}

/** Pretty-prints JSON text; anything that is not JSON is returned as it is. */
export function prettyJson(text) {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A status pill: the word is always shown, the colour only repeats it. */
export function badge(text, tone) {
  return h('span', { class: `badge badge-${tone}`, text });
}

/** A block shown while a page is empty ("No webhooks yet"). */
export function emptyState(title, ...body) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title', text: title }), body.length ? h('p', {}, ...body) : null);
}

/** A message box for errors that are not about one field. */
export function alertBox(message, tone = 'error', ...more) {
  return h('div', { class: `alert alert-${tone}`, role: tone === 'error' ? 'alert' : 'status' }, h('p', { text: message }), ...more);
}

export function code(text) {
  return h('code', { text });
}
