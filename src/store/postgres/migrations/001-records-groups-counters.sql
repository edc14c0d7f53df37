-- Records by (kind, id), group memberships and fixed-window counters; every time is ms since the epoch.
-- Runs with search_path set to the deployment's schema (see schema.ts): names here are never qualified.
CREATE TABLE records (
  kind        text   NOT NULL,
  id          text   NOT NULL,
  value       text   NOT NULL,
  expires_at  bigint,
  consumed_at bigint,
  PRIMARY KEY (kind, id)
);
CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE group_members (
  grp        text   NOT NULL,
  member     text   NOT NULL,
  expires_at bigint,
  PRIMARY KEY (grp, member)
);
CREATE INDEX group_members_expiry ON group_members (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE counters (
  name     text   NOT NULL PRIMARY KEY,
  count    bigint NOT NULL,
  reset_at bigint NOT NULL
);
CREATE INDEX counters_reset ON counters (reset_at);
