// Where a webhook is attached: an organization, a stack or an environment. One object per page says how to reach
// the scope's webhooks through the API and how to link to its pages in the console.

import { path } from './api.js';
import { hashOf } from './dom.js';

export function organizationScope(org) {
  return {
    kind: 'organization',
    noun: 'organization',
    org,
    title: org,
    segments: ['orgs', org],
    hooksApi: path`/api/orgs/${org}/hooks`,
    body: { organizationName: org },
  };
}

export function stackScope(org, project, stack) {
  return {
    kind: 'stack',
    noun: 'stack',
    org,
    project,
    name: stack,
    title: `${project}/${stack}`,
    segments: ['stacks', org, project, stack],
    hooksApi: path`/api/stacks/${org}/${project}/${stack}/hooks`,
    body: { organizationName: org, projectName: project, stackName: stack },
  };
}

export function environmentScope(org, project, env) {
  return {
    kind: 'environment',
    noun: 'environment',
    org,
    project,
    name: env,
    title: `${project}/${env}`,
    segments: ['environments', org, project, env],
    hooksApi: path`/api/esc/environments/${org}/${project}/${env}/hooks`,
    body: { organizationName: org, projectName: project, envName: env },
  };
}

/** A console link under the scope: link(scope) is its page, link(scope, 'hooks', name) a webhook's. */
export function link(scope, ...more) {
  return hashOf(...scope.segments, ...more);
}

/** The API path of one webhook, or of something under it. */
export function hookApi(scope, hookName, ...more) {
  return [scope.hooksApi, ...[hookName, ...more].map((s) => encodeURIComponent(s))].join('/');
}
