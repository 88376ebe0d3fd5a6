-- The legacy Flask database as account-api import reads it: one JSON
-- object a line, the enterprises first, then the users. Written for
-- SQLite's sqlite3 (`sqlite3 legacy.db < export.sql > accounts.jsonl`);
-- PostgreSQL's json_build_object and MySQL's JSON_OBJECT take the same
-- pairs. Rename the columns to your models'.
SELECT json_object('type', 'enterprise', 'id', id, 'name', name)
FROM companies
ORDER BY id;

SELECT json_object(
  'type', 'user',
  'user_id', uuid,
  -- Any of +86 137 1234 0001, 8613712340001, 137-1234-0001.
  'phone', mobile,
  'name', username,
  -- As Werkzeug, bcrypt, Django or passlib wrote it, or a bare hex digest.
  'password_hash', password_hash,
  -- A password kept in clear (hashed with Argon2id at import).
  'password', CASE WHEN password_hash IS NULL THEN password END,
  'device_identifier', device_identifier,
  'created_at', strftime('%Y-%m-%dT%H:%M:%SZ', created_at),
  'enterprise_id', company_id,
  'permissions', json(coalesce(permissions, '[]')),
  'application', json(CASE WHEN apply_company_id IS NOT NULL
    THEN json_object('enterprise_id', apply_company_id, 'state', apply_state) END),
  -- The apps' tokens: they become sessions, so nobody is logged out.
  'tokens', json(CASE WHEN token IS NOT NULL THEN json_array(token) ELSE '[]' END)
)
FROM users
ORDER BY id;
