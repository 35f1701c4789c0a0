-- The delivery queue (DESIGN "Queue = tables"). Times are Unix milliseconds.

-- What happened: one row per recorded event, with its raw payload (SPEC §6.1).
CREATE TABLE events (
    id               TEXT PRIMARY KEY,
    org_name         TEXT NOT NULL,
    scope            TEXT NOT NULL,            -- stack | environment
    project_name     TEXT NOT NULL,
    target_name      TEXT NOT NULL,            -- stack or environment name
    event_name       TEXT NOT NULL,            -- the filter name, e.g. update_succeeded
    kind             TEXT NOT NULL,            -- Pulumi-Webhook-Kind
    payload          TEXT NOT NULL,
    idempotency_key  TEXT NULL,
    delivery_count   BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (org_name, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_created ON events (created_at);

-- One row per (event, webhook), or per ping: what to send, its state and its lease. The latest attempt is the
-- delivery_attempts row whose number equals attempts.
CREATE TABLE deliveries (
    id                TEXT PRIMARY KEY,        -- Pulumi-Webhook-Id
    webhook_id        TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id          TEXT NULL REFERENCES events (id) ON DELETE SET NULL,   -- NULL for pings
    event_name        TEXT NOT NULL,
    kind              TEXT NOT NULL,
    payload           TEXT NOT NULL,           -- the exact body sent, rendered for the webhook's format
    status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'skipped')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    max_attempts      BIGINT NOT NULL,
    next_attempt_at   BIGINT NULL,            -- when pending: due time
    lease_owner       TEXT NULL,
    lease_until       BIGINT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
-- Each webhook's own queue, oldest due first: claims take a few from every webhook with room.
CREATE INDEX deliveries_webhook_due ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at);
-- Leased rows are the ones being sent: few, and counted per webhook to hold the per-webhook limit across nodes.
CREATE INDEX deliveries_leased ON deliveries (webhook_id, lease_until) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_created ON deliveries (created_at);

-- Every attempt, as sent and as answered.
CREATE TABLE delivery_attempts (
    delivery_id       TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt           BIGINT NOT NULL,
    started_at        BIGINT NOT NULL,
    duration_ms       BIGINT NOT NULL,
    request_url       TEXT NOT NULL,
    request_headers   TEXT NOT NULL,
    response_code     BIGINT NOT NULL,
    response_headers  TEXT NOT NULL,
    response_body     TEXT NOT NULL,
    error             TEXT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
