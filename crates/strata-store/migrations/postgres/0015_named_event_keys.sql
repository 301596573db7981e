-- Interactions', deals', tickets' and feedback's external ids unique through a named index, as
-- orders' and payments' are since migration 14. Keep in step with
-- ../sqlite/0015_named_event_keys.sql.
ALTER TABLE interactions DROP CONSTRAINT interactions_external_id_key;
CREATE UNIQUE INDEX interactions_external_id ON interactions (external_id);
ALTER TABLE deals DROP CONSTRAINT deals_external_id_key;
CREATE UNIQUE INDEX deals_external_id ON deals (external_id);
ALTER TABLE tickets DROP CONSTRAINT tickets_external_id_key;
CREATE UNIQUE INDEX tickets_external_id ON tickets (external_id);
ALTER TABLE feedback DROP CONSTRAINT feedback_external_id_key;
CREATE UNIQUE INDEX feedback_external_id ON feedback (external_id);
