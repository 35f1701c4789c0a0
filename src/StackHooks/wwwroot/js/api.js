// The console's only way to the server: the public REST API, with the user's token in the Authorization header.
// The token lives in sessionStorage (this tab only) and is never put in a URL or written to the console.

const TOKEN_KEY = 'stackhooks.token';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An error answer of the API ({"code", "message"}), or 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  /** The request field the message names (Field 'payloadUrl' …, Field 'filters[2]' …), or null. */
  get field() {
    const match = /\b[Ff]ield '([A-Za-z]+)/.exec(this.message);
    return match ? match[1] : null;
  }
}

let unauthorizedHandler = () => {};

/** Called with the error when the server rejects the token (401): the session is over. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** Encodes path segments: names are inserted as one segment each, whatever characters they hold. */
export function path(strings, ...values) {
  return strings.reduce((result, part, i) => result + part + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}

/**
 * Calls the API. Returns the parsed JSON body (null for 204); throws ApiError for any error status.
 * options.token: use this token instead of the session's (signing in); options.signal: abort.
 */
export async function api(method, url, body, options = {}) {
  const token = options.token ?? session.token;
  const headers = { Accept: 'application/json' };
  if (token) {
    headers.Authorization = `token ${token}`;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }

  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      signal: options.signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') {
      throw error;
    }
    throw new ApiError(0, 'The server could not be reached. Check that StackHooks is running, then try again.');
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!response.ok) {
    const message = typeof data?.message === 'string' && data.message
      ? data.message
      : `The request failed with status ${response.status}.`;
    const error = new ApiError(response.status, message);
    if (response.status === 401 && !options.token) {
      unauthorizedHandler(error);
    }
    throw error;
  }
  return data;
}

export const get = (url, options) => api('GET', url, undefined, options);
export const post = (url, body, options) => api('POST', url, body, options);
export const patch = (url, body, options) => api('PATCH', url, body, options);
export const del = (url, options) => api('DELETE', url, undefined, options);
