-- SPDX-License-Identifier: Apache-2.0
-- The benchmark's Odoo 18-like res_partner: 28 columns, 6 indexes (the primary key included),
-- and bench_fill_res_partner(n), which fills it with n rows shaped like Odoo's (contacts of
-- companies, addresses, e-mails). Used by the harness (Schema.java) and by
-- bench/capture-instructions.sh.
CREATE TABLE res_partner (
    id serial PRIMARY KEY,
    name varchar, complete_name varchar, company_id integer, parent_id integer,
    user_id integer, create_uid integer, write_uid integer,
    create_date timestamp, write_date timestamp,
    ref varchar, lang varchar, tz varchar, vat varchar, website varchar, comment text,
    active boolean DEFAULT true, is_company boolean DEFAULT false, type varchar,
    street varchar, zip varchar, city varchar, state_id integer, country_id integer,
    email varchar, phone varchar, mobile varchar, commercial_partner_id integer);
CREATE INDEX res_partner_complete_name_index ON res_partner (complete_name);
CREATE INDEX res_partner_parent_id_index ON res_partner (parent_id);
CREATE INDEX res_partner_company_id_index ON res_partner (company_id);
CREATE INDEX res_partner_ref_index ON res_partner (ref);
CREATE INDEX res_partner_commercial_partner_id_index ON res_partner (commercial_partner_id);

CREATE FUNCTION bench_fill_res_partner(p_rows integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO res_partner (name, complete_name, company_id, parent_id, user_id, create_uid,
                             write_uid, create_date, write_date, ref, lang, tz, vat, website,
                             comment, is_company, type, street, zip, city, state_id, country_id,
                             email, phone, mobile, commercial_partner_id)
    SELECT 'Partner ' || g, 'Company ' || (g / 10) || ', Partner ' || g, 1,
           CASE WHEN g % 10 = 0 THEN NULL ELSE g - g % 10 END, 2, 2, 2, now(), now(),
           'REF' || g, 'en_US', 'Europe/Brussels', 'BE0' || (400000000 + g),
           'https://example.com/' || g, '<p>Customer since ' || (2000 + g % 25) || '</p>',
           g % 10 = 0, 'contact', g || ' Main Street', lpad((g % 9999)::text, 4, '0'),
           'City ' || (g % 500), g % 50, 21, 'partner' || g || '@example.com',
           '+32 2 ' || g, '+32 470 ' || g, g - g % 10
      FROM generate_series(1, p_rows) g
$$;
