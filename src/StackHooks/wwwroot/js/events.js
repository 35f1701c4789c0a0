// The event catalogue of SPEC §4, as the console offers it: every filter with its kind and group, and which webhook
// scopes may subscribe to it. It mirrors src/StackHooks/Events/EventCatalogue.cs; a browser test checks that the two agree
// and that the server accepts everything offered here.

const ORG = ['organization'];
const ORG_STACK = ['organization', 'stack'];
const ORG_ENV = ['organization', 'environment'];

/** Groups, in the order the form shows them. */
export const GROUPS = [
  { name: 'stacks', title: 'Stacks', all: 'All stack events', scopes: ORG_STACK },
  { name: 'deployments', title: 'Deployments', all: 'All deployment events', scopes: ORG_STACK },
  { name: 'policies', title: 'Policies', all: 'All policy events', scopes: ORG_STACK },
  { name: 'environments', title: 'Environments', all: 'All environment events', scopes: ORG_ENV },
];

const filter = (name, kind, group, scopes, title) => ({ name, kind, group, scopes, title });

/** Every event a webhook can subscribe to (its filter name), in catalogue order. */
export const FILTERS = [
  filter('stack_created', 'stack', 'stacks', ORG, 'Stack created'),
  filter('stack_deleted', 'stack', 'stacks', ORG, 'Stack deleted'),
  filter('preview_succeeded', 'stack_preview', 'stacks', ORG_STACK, 'Preview succeeded'),
  filter('preview_failed', 'stack_preview', 'stacks', ORG_STACK, 'Preview failed'),
  filter('update_succeeded', 'stack_update', 'stacks', ORG_STACK, 'Update succeeded'),
  filter('update_failed', 'stack_update', 'stacks', ORG_STACK, 'Update failed'),
  filter('destroy_succeeded', 'stack_update', 'stacks', ORG_STACK, 'Destroy succeeded'),
  filter('destroy_failed', 'stack_update', 'stacks', ORG_STACK, 'Destroy failed'),
  filter('refresh_succeeded', 'stack_update', 'stacks', ORG_STACK, 'Refresh succeeded'),
  filter('refresh_failed', 'stack_update', 'stacks', ORG_STACK, 'Refresh failed'),
  filter('import_succeeded', 'stack_update', 'stacks', ORG_STACK, 'Import succeeded'),
  filter('import_failed', 'stack_update', 'stacks', ORG_STACK, 'Import failed'),
  filter('deployment_queued', 'deployment', 'deployments', ORG_STACK, 'Deployment queued'),
  filter('deployment_started', 'deployment', 'deployments', ORG_STACK, 'Deployment started'),
  filter('deployment_succeeded', 'deployment', 'deployments', ORG_STACK, 'Deployment succeeded'),
  filter('deployment_failed', 'deployment', 'deployments', ORG_STACK, 'Deployment failed'),
  filter('drift_detected', 'drift_detection', 'deployments', ORG_STACK, 'Drift detected'),
  filter('drift_detection_succeeded', 'drift_detection', 'deployments', ORG_STACK, 'Drift detection succeeded'),
  filter('drift_detection_failed', 'drift_detection', 'deployments', ORG_STACK, 'Drift detection failed'),
  filter('drift_remediation_succeeded', 'drift_remediation', 'deployments', ORG_STACK, 'Drift remediation succeeded'),
  filter('drift_remediation_failed', 'drift_remediation', 'deployments', ORG_STACK, 'Drift remediation failed'),
  filter('policy_violation_mandatory', 'policy_violation', 'policies', ORG_STACK, 'Mandatory policy violation'),
  filter('policy_violation_advisory', 'policy_violation', 'policies', ORG_STACK, 'Advisory policy violation'),
  filter('environment_created', 'environment', 'environments', ORG, 'Environment created'),
  filter('environment_deleted', 'environment', 'environments', ORG, 'Environment deleted'),
  filter('environment_revision_created', 'environment_revision', 'environments', ORG_ENV, 'Revision created'),
  filter('environment_revision_retracted', 'environment_revision', 'environments', ORG_ENV, 'Revision retracted'),
  filter('environment_revision_tag_created', 'environment_revision_tag', 'environments', ORG_ENV, 'Revision tag created'),
  filter('environment_revision_tag_deleted', 'environment_revision_tag', 'environments', ORG_ENV, 'Revision tag deleted'),
  filter('environment_revision_tag_updated', 'environment_revision_tag', 'environments', ORG_ENV, 'Revision tag updated'),
  filter('environment_tag_created', 'environment_tag', 'environments', ORG_ENV, 'Environment tag created'),
  filter('environment_tag_deleted', 'environment_tag', 'environments', ORG_ENV, 'Environment tag deleted'),
  filter('environment_tag_updated', 'environment_tag', 'environments', ORG_ENV, 'Environment tag updated'),
  filter('imported_environment_changed', 'imported_environment_changed', 'environments', ORG_ENV, 'Imported environment changed'),
];

/** The groups a webhook of this scope ("organization", "stack", "environment") may use. */
export function groupsFor(scope) {
  return GROUPS.filter((g) => g.scopes.includes(scope));
}

/** The filters a webhook of this scope may use, in catalogue order. */
export function filtersFor(scope) {
  return FILTERS.filter((f) => f.scopes.includes(scope));
}

export function filterTitle(name) {
  return FILTERS.find((f) => f.name === name)?.title ?? name;
}

export function groupTitle(name) {
  return GROUPS.find((g) => g.name === name)?.title ?? name;
}

/** A delivery's kind as a person reads it: "ping" → "Ping", "stack_update" → "Stack update". */
export function kindTitle(kind) {
  if (!kind) return '';
  const words = kind.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One line saying what a webhook is subscribed to. */
export function subscriptionSummary(hook) {
  const groups = hook.groups ?? [];
  const filters = hook.filters ?? [];
  if (groups.length === 0 && filters.length === 0) {
    return 'All events';
  }
  const parts = [...groups.map((g) => `${groupTitle(g)} (all)`), ...filters.map(filterTitle)];
  return parts.length <= 3 ? parts.join(', ') : `${parts.slice(0, 2).join(', ')} and ${parts.length - 2} more`;
}

/** Destination types: what the API calls "format". Deployment triggers exist on stack and environment webhooks only. */
export const DESTINATIONS = [
  {
    format: 'raw',
    title: 'Webhook',
    help: 'Sends each event as JSON in an HTTP POST to the payload URL.',
    scopes: ['organization', 'stack', 'environment'],
  },
  {
    format: 'slack',
    title: 'Slack',
    help: 'Posts a message to a Slack incoming webhook (a https://hooks.slack.com/… URL).',
    scopes: ['organization', 'stack', 'environment'],
  },
  {
    format: 'ms_teams',
    title: 'Microsoft Teams',
    help: 'Posts an Adaptive Card to a Microsoft Teams workflow webhook URL.',
    scopes: ['organization', 'stack', 'environment'],
  },
  {
    format: 'pulumi_deployments',
    title: 'Deployment',
    help: 'Queues a deployment (pulumi up) of another stack of this organization when an event happens.',
    scopes: ['stack', 'environment'],
  },
];

export function destinationsFor(scope) {
  return DESTINATIONS.filter((d) => d.scopes.includes(scope));
}

export function destinationTitle(format) {
  return DESTINATIONS.find((d) => d.format === format)?.title ?? format;
}
