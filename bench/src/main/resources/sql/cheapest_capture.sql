-- SPDX-License-Identifier: Apache-2.0
-- The cheapest possible capture inside the writing transaction (issue 22's baseline): a row
-- trigger doing a bare INSERT of (model, id) into a table with only a primary key. Used by the
-- harness (scenario 1) and by bench/capture-instructions.sh.
CREATE TABLE cheapest_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, model text NOT NULL, record_id bigint NOT NULL);
CREATE FUNCTION cheapest_capture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO cheapest_event (model, record_id) VALUES ('res.partner', OLD.id);
    ELSE
        INSERT INTO cheapest_event (model, record_id) VALUES ('res.partner', NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER cheapest_capture AFTER INSERT OR UPDATE OR DELETE ON res_partner
    FOR EACH ROW EXECUTE FUNCTION cheapest_capture();
