-- A stand-in for a typical Flask application's database (Flask-SQLAlchemy
-- models `Company` and `User`), so that the migration guide
-- (src/import/README.md) runs as written. The hashes are as Werkzeug's
-- generate_password_hash wrote them at its defaults (passwords "default
-- cost" and "default scrypt"), and as an old app that "did not encrypt on
-- the front end" stored them: the unsalted MD5 of "123456".
CREATE TABLE companies (
  id INTEGER PRIMARY KEY,
  name VARCHAR(80) NOT NULL
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  uuid CHAR(32) NOT NULL UNIQUE,
  mobile VARCHAR(20) NOT NULL UNIQUE,
  username VARCHAR(64) NOT NULL,
  password_hash VARCHAR(256),
  password VARCHAR(64),
  device_identifier VARCHAR(128),
  company_id INTEGER REFERENCES companies (id),
  permissions TEXT,
  apply_company_id INTEGER REFERENCES companies (id),
  apply_state INTEGER,
  token CHAR(32),
  created_at DATETIME NOT NULL
);
INSERT INTO companies (id, name) VALUES (7, 'apple'), (8, 'banana');
INSERT INTO users VALUES
  (1, 'f223fa5c92e846349031b0eb06868478', '13712340001', '于连林',
   'pbkdf2:sha256:1000000$sAtBW7lcglQqdds6$b1b72787e253cc12598cc35ceb5405eafc0664db19fae95d1c1dad595e04358c',
   NULL, '5A1F0C1E-4C3B-4B8E-9D0B-2B7E3C1D9F00', 7, '["read", "write"]', 7, 1,
   '9ea13c9003d53e4e17b0b9aaf1e634b0', '2019-05-01 08:00:00'),
  (2, '0b6f2d1c8e3a4f5b9c7d6e5f4a3b2c1d', '+86 137 1234 0002', '李雷',
   'scrypt:32768:8:1$DkwkBP6BonKabSYt$d125da072fb69acc02bd7c912a04311bcd44ed6240f01a0f146ec3bd35fdf1855bbf410e680ab0322ff35623aafa49a45f5277958e8f1b5df3165732b991c1b4',
   NULL, NULL, NULL, NULL, 8, 0, NULL, '2020-02-29 23:59:59'),
  (3, '9a8b7c6d5e4f40312a2b3c4d5e6f7a8b', '137-1234-0003', '韩梅梅',
   'e10adc3949ba59abbe56e057f20f883e', NULL, 'android-3', NULL, NULL, NULL, NULL,
   'c0ffee00c0ffee00c0ffee00c0ffee00', '2021-07-15 12:30:00'),
  (4, '1f2e3d4c5b6a47988796a5b4c3d2e1f0', '8613712340004', 'Lily',
   NULL, 'lily2015', NULL, 8, NULL, 7, -1, NULL, '2015-03-01 09:00:00');
