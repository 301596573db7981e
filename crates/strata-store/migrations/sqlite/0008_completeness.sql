-- Data completeness as a column the customer list can filter and sort on (SQLite dialect).
-- Keep in step with ../postgres/0008_completeness.sql and strata_core::completeness::FIELDS.
--
-- `has_contact` is kept by the triggers below whatever writes contacts (imports, merges,
-- undo); `completeness` is the percentage of expected fields filled (a person is not expected
-- to have a credit code or an industry), rounded half up.
ALTER TABLE customers ADD COLUMN has_contact INTEGER NOT NULL DEFAULT 0;
UPDATE customers SET has_contact = 1 WHERE id IN (SELECT customer_id FROM contacts);

CREATE TRIGGER contacts_added AFTER INSERT ON contacts BEGIN
    UPDATE customers SET has_contact = 1 WHERE id = NEW.customer_id AND has_contact = 0;
END;
CREATE TRIGGER contacts_removed AFTER DELETE ON contacts BEGIN
    UPDATE customers SET has_contact = EXISTS (SELECT 1 FROM contacts WHERE customer_id = OLD.customer_id) WHERE id = OLD.customer_id;
END;
CREATE TRIGGER contacts_moved AFTER UPDATE OF customer_id ON contacts WHEN NEW.customer_id IS NOT OLD.customer_id BEGIN
    UPDATE customers SET has_contact = 1 WHERE id = NEW.customer_id AND has_contact = 0;
    UPDATE customers SET has_contact = EXISTS (SELECT 1 FROM contacts WHERE customer_id = OLD.customer_id) WHERE id = OLD.customer_id;
END;

ALTER TABLE customers ADD COLUMN completeness INTEGER GENERATED ALWAYS AS (
    (200 * (
        CASE WHEN kind = 'company' THEN (COALESCE(credit_code, '') <> '') + (COALESCE(industry, '') <> '') ELSE 0 END
        + (COALESCE(province, '') <> '') + (COALESCE(city, '') <> '') + (owner_id IS NOT NULL)
        + (COALESCE(phone, '') <> '' OR COALESCE(email, '') <> '') + (COALESCE(source_channel, '') <> '') + (has_contact <> 0)
    ) + CASE WHEN kind = 'company' THEN 8 ELSE 6 END) / (2 * CASE WHEN kind = 'company' THEN 8 ELSE 6 END)
) VIRTUAL;
CREATE INDEX customers_completeness ON customers(completeness, id);
