-- Accounts (SPEC §7). Times are Unix milliseconds. (PostgreSQL: every integer is BIGINT, as SQLite returns them.)
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    github_login  TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    avatar_url    TEXT NOT NULL,
    site_admin    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE organizations (
    name        TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

CREATE TABLE memberships (
    org_name  TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    PRIMARY KEY (org_name, user_id)
);

-- Only the SHA-256 of a token is kept; the value is shown once at creation.
CREATE TABLE access_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    description   TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_user ON access_tokens (user_id);

-- Registry of stacks and environments (SPEC §4.1).
CREATE TABLE stacks (
    org_name      TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    project_name  TEXT NOT NULL,
    stack_name    TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (org_name, project_name, stack_name)
);

CREATE TABLE environments (
    org_name      TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    project_name  TEXT NOT NULL,
    env_name      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (org_name, project_name, env_name)
);

-- Webhooks of all three scopes. project_name/target_name are '' where the scope has none, so the
-- uniqueness of a name within its scope is one plain constraint.
CREATE TABLE webhooks (
    id                TEXT PRIMARY KEY,
    org_name          TEXT NOT NULL REFERENCES organizations (name) ON DELETE CASCADE,
    scope             TEXT NOT NULL CHECK (scope IN ('organization', 'stack', 'environment')),
    project_name      TEXT NOT NULL DEFAULT '',
    target_name       TEXT NOT NULL DEFAULT '',
    name              TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    payload_url       TEXT NOT NULL,
    active            BOOLEAN NOT NULL,
    format            TEXT NOT NULL,
    filters           TEXT NOT NULL DEFAULT '[]',
    groups            TEXT NOT NULL DEFAULT '[]',
    secret_encrypted  TEXT NULL,
    secret_sha256     TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (org_name, scope, project_name, target_name, name)
);
