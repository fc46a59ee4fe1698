-- Users, their roles, and the API keys (sessions and tokens) that authenticate them.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    username text NOT NULL,
    email text NOT NULL,
    -- A PHC-formatted argon2id hash; never the password itself.
    hashed_password text NOT NULL,
    -- Site-wide roles beyond the implicit "member".
    roles text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    deleted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz
);

CREATE UNIQUE INDEX users_username_key ON users (lower(username)) WHERE NOT deleted;
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE NOT deleted;

-- An API key is "<id>-<secret>"; only a SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    hashed_secret bytea NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('session', 'token')),
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);
CREATE UNIQUE INDEX api_keys_token_name_key ON api_keys (user_id, name) WHERE kind = 'token';
