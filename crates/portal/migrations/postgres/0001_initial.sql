-- PostgreSQL twin of migrations/sqlite/0001_initial.sql (the SQL is the same on purpose).
-- Secrets are never stored: tokens and session ids only as hex SHA-256, passwords only as
-- Argon2id PHC strings.

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL,
    email_lookup        TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    confirmed_at        BIGINT,
    created_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Recovery and confirmation tokens.
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);

-- Recovery requests are queued so that the HTTP answer does the same work for known and
-- unknown addresses; the worker turns each into a token + email (or nothing).
CREATE TABLE recovery_requests (
    id           TEXT PRIMARY KEY,
    email_lookup TEXT NOT NULL,
    client_ip    TEXT NOT NULL,
    requested_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, failed_at, next_attempt_at);

CREATE TABLE rate_limits (
    bucket       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         INTEGER NOT NULL
);

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    event      TEXT NOT NULL,
    account_id TEXT,
    client_ip  TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
