-- Deployments queued by pulumi_deployments webhooks and run by external runners (SPEC §6.4).
CREATE TABLE deployments (
    id                   TEXT PRIMARY KEY,
    org_name             TEXT NOT NULL,
    project_name         TEXT NOT NULL,
    stack_name           TEXT NOT NULL,
    operation            TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    version              BIGINT NOT NULL,          -- per-stack count
    caused_by            TEXT NOT NULL DEFAULT '[]', -- JSON array of deployment ids, oldest first
    chain_stacks         TEXT NOT NULL DEFAULT '[]', -- JSON array of "project/stack" the causal chain went through
    message              TEXT NOT NULL DEFAULT '',
    trigger_delivery_id  TEXT NULL UNIQUE,          -- the webhook delivery that queued it (makes a re-run of that delivery idempotent)
    claimed_at           BIGINT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX deployments_queue ON deployments (org_name, status, created_at);
CREATE INDEX deployments_stack ON deployments (org_name, project_name, stack_name, created_at);

-- The deployment an event belongs to, when it was caused by one: how the loop guard follows a chain.
ALTER TABLE events ADD COLUMN deployment_id TEXT NULL;
