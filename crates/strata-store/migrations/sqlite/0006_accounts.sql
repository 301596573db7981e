-- Accounts and the audit trail (SQLite dialect). Keep in step with ../postgres/0006_accounts.sql.

-- Argon2id PHC string; NULL: the user cannot log in (an owner of customers only).
ALTER TABLE users ADD COLUMN password_hash TEXT;

-- Browser sessions: the cookie holds a random token, only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- API tokens for integrations (shown once; SHA-256 stored).
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);

-- Recent failed logins per login and client address (throttling).
CREATE TABLE login_failures (
    login     TEXT NOT NULL,
    address   TEXT NOT NULL,
    failures  INTEGER NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (login, address)
);

-- Every write, import, merge, export, permission change, login and reveal: append-only.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    object   TEXT,
    before   TEXT,
    after    TEXT,
    detail   TEXT,
    address  TEXT
);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_object ON audit_log(object, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
