-- Data completeness as a column the customer list can filter and sort on (PostgreSQL dialect).
-- Keep in step with ../sqlite/0008_completeness.sql and strata_core::completeness::FIELDS.
--
-- `has_contact` is kept by the trigger below whatever writes contacts (imports, merges, undo);
-- `completeness` is the percentage of expected fields filled (a person is not expected to have
-- a credit code or an industry), rounded half up.
ALTER TABLE customers ADD COLUMN has_contact BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE customers c SET has_contact = TRUE WHERE EXISTS (SELECT 1 FROM contacts k WHERE k.customer_id = c.id);

CREATE FUNCTION contacts_keep_has_contact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.customer_id IS DISTINCT FROM OLD.customer_id) THEN
        UPDATE customers SET has_contact = TRUE WHERE id = NEW.customer_id AND NOT has_contact;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.customer_id IS DISTINCT FROM OLD.customer_id) THEN
        UPDATE customers SET has_contact = EXISTS (SELECT 1 FROM contacts WHERE customer_id = OLD.customer_id) WHERE id = OLD.customer_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contacts_keep_has_contact AFTER INSERT OR DELETE OR UPDATE OF customer_id ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_keep_has_contact();

ALTER TABLE customers ADD COLUMN completeness SMALLINT GENERATED ALWAYS AS (
    (200 * (
        CASE WHEN kind = 'company' THEN (COALESCE(credit_code, '') <> '')::int + (COALESCE(industry, '') <> '')::int ELSE 0 END
        + (COALESCE(province, '') <> '')::int + (COALESCE(city, '') <> '')::int + (owner_id IS NOT NULL)::int
        + (COALESCE(phone, '') <> '' OR COALESCE(email, '') <> '')::int + (COALESCE(source_channel, '') <> '')::int + has_contact::int
    ) + CASE WHEN kind = 'company' THEN 8 ELSE 6 END) / (2 * CASE WHEN kind = 'company' THEN 8 ELSE 6 END)
) STORED;
CREATE INDEX customers_completeness ON customers(completeness, id);
