-- The server's own secret (CSRF tokens and device cookies are HMACs under it), made on
-- first start when PORTAL_SECRET_KEY is unset and shared by every instance.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Sessions end after an idle time as well as at their absolute expiry.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;

-- Emails given up on keep their row for the operator, not their body (a recovery link).
UPDATE outbox SET text_body = '', html_body = '' WHERE failed_at IS NOT NULL;
