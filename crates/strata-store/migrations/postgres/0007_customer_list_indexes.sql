-- Indexes for the customer list's common filters and sorts (PostgreSQL dialect). Keep in step with
-- ../sqlite/0007_customer_list_indexes.sql.
CREATE INDEX customers_name ON customers(name, id);
CREATE INDEX customers_province_name ON customers(province, name, id);
CREATE INDEX customers_industry_name ON customers(industry, name, id);
CREATE INDEX customers_team ON customers(team_id, id);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX customers_updated ON customers(updated_at, id);
