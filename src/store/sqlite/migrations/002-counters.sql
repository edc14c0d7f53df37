-- Fixed-window counters (rate limits), each with the absolute time its window ends.
CREATE TABLE counters (
  name     TEXT    NOT NULL PRIMARY KEY,
  count    INTEGER NOT NULL,
  reset_at INTEGER NOT NULL
);
CREATE INDEX counters_reset ON counters (reset_at);
