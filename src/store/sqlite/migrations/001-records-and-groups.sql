-- Records by (kind, id) and group memberships, each with an optional absolute expiry in ms.
CREATE TABLE records (
  kind        TEXT    NOT NULL,
  id          TEXT    NOT NULL,
  value       TEXT    NOT NULL,
  expires_at  INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (kind, id)
);
CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE group_members (
  grp        TEXT    NOT NULL,
  member     TEXT    NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (grp, member)
);
CREATE INDEX group_members_expiry ON group_members (expires_at) WHERE expires_at IS NOT NULL;
