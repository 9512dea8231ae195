-- Odoo webhook sidecar, step: route conditions (subscriber domains written as Odoo domains).
--
-- A subscriber may carry a domain such as [('state', '=', 'sale'), ('amount_total', '>', 1000)],
-- over the captured fields of its one model. It is checked and compiled here, once, when the
-- subscriber is saved (a trigger on webhook_subscriber), whether by the CLI, psql or the addon:
-- so every way of saving refuses the same domains with the same words.
--
-- The domain is compiled into a PostgreSQL jsonpath predicate, evaluated by the router against
-- each event's captured values (jsonb_path_match, implemented in C: no interpreter per event).
-- No text of a domain ever reaches SQL: field names must be plain identifiers of captured
-- fields, and every value is re-serialised as a jsonpath literal with its quotes and
-- backslashes escaped, so a value can only ever be compared with, never run.
--
-- Supported, as Odoo's domain editor writes them for stored scalar fields: =, !=, <, >, <=, >=,
-- in, not in, like, not like, ilike, not ilike, =like, =ilike, set / not set (= False,
-- != False), and the prefix operators & | !. Consecutive terms are joined by &, as in Odoo.
-- Every refusal is raised as invalid_parameter_value (22023), never feature_not_supported
-- (0A000), which connection pools such as HikariCP take for a broken connection.
--
-- Repeatable migration: Flyway applies it after the versioned files (V*__), and again whenever
-- its checksum changes; sql/install.sql applies it with psql. It holds the one current
-- definition of each function below. CREATE OR REPLACE cannot change a function's arguments or
-- result type: when a signature changes, add DROP FUNCTION IF EXISTS name(old argument types)
-- to this file, or the old function stays beside the new one.

-- Bodies are checked when called, not here, so the R files do not depend on their order.
SET LOCAL check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- Tokens of a domain: Python literals and punctuation.
-- ---------------------------------------------------------------------------------------------

-- Splits a domain into tokens: (kind, text) with kind one of punct ([ ] ( ) ,), string (its
-- value, unescaped), number, name (True, False, None). Raises on anything else.
CREATE OR REPLACE FUNCTION webhook_domain_tokens(p_domain text)
RETURNS TABLE (kind text, value text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    i     integer := 1;
    n     integer := length(p_domain);
    c     text;
    quote text;
    buf   text;
    j     integer;
BEGIN
    WHILE i <= n LOOP
        c := substr(p_domain, i, 1);
        IF c ~ '\s' THEN
            i := i + 1;
        ELSIF c IN ('[', ']', '(', ')', ',') THEN
            kind := 'punct'; value := c; RETURN NEXT;
            i := i + 1;
        ELSIF c IN ('''', '"') THEN
            quote := c; buf := ''; i := i + 1;
            LOOP
                IF i > n THEN
                    RAISE EXCEPTION 'The domain has a text value that is never closed (a missing %).', quote
                        USING ERRCODE = 'invalid_parameter_value';
                END IF;
                c := substr(p_domain, i, 1);
                IF c = quote THEN
                    i := i + 1;
                    EXIT;
                ELSIF c = E'\\' THEN
                    c := substr(p_domain, i + 1, 1);
                    buf := buf || CASE c WHEN 'n' THEN E'\n' WHEN 't' THEN E'\t' WHEN 'r' THEN E'\r'
                                         WHEN '' THEN E'\\' ELSE c END;
                    i := i + 2;
                ELSE
                    buf := buf || c;
                    i := i + 1;
                END IF;
            END LOOP;
            kind := 'string'; value := buf; RETURN NEXT;
        ELSIF c ~ '[-0-9.]' THEN
            j := i;
            WHILE j <= n AND substr(p_domain, j, 1) ~ '[-+0-9.eE]' LOOP
                j := j + 1;
            END LOOP;
            buf := substr(p_domain, i, j - i);
            IF buf !~ '^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$' THEN
                RAISE EXCEPTION 'The domain has "%", which is not a number.', buf
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            kind := 'number'; value := buf; RETURN NEXT;
            i := j;
        ELSIF c ~ '[A-Za-z_]' THEN
            j := i;
            WHILE j <= n AND substr(p_domain, j, 1) ~ '[A-Za-z0-9_.]' LOOP
                j := j + 1;
            END LOOP;
            buf := substr(p_domain, i, j - i);
            IF buf NOT IN ('True', 'False', 'None') THEN
                RAISE EXCEPTION 'The domain uses "%", which is not supported: only fixed values (text, numbers, True, False, None) can be compared, not names or expressions such as context_today().',
                    buf USING ERRCODE = 'invalid_parameter_value';
            END IF;
            kind := 'name'; value := buf; RETURN NEXT;
            i := j;
        ELSE
            RAISE EXCEPTION 'The domain has an unexpected character "%" at position %.', c, i
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Compiling to jsonpath.
-- ---------------------------------------------------------------------------------------------

-- A jsonpath string literal holding exactly p_text: quotes, backslashes and control characters
-- escaped, so the text stays data.
CREATE OR REPLACE FUNCTION webhook_jsonpath_string(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT '"' || coalesce(string_agg(
               CASE WHEN ch = '"' THEN E'\\"'
                    WHEN ch = E'\\' THEN E'\\\\'
                    WHEN ascii(ch) < 32 THEN '\u' || lpad(to_hex(ascii(ch)), 4, '0')
                    ELSE ch END, '' ORDER BY n), '') || '"'
      FROM regexp_split_to_table(p_text, '') WITH ORDINALITY AS t(ch, n)
$$;

-- A domain value token as a jsonpath literal. Odoo writes datetimes as '2026-01-01 10:00:00';
-- captured timestamps are ISO 8601 ('2026-01-01T10:00:00'), so the space becomes a T and the
-- texts compare in time order.
CREATE OR REPLACE FUNCTION webhook_domain_literal(p_kind text, p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_kind
        WHEN 'number' THEN p_value
        WHEN 'name' THEN CASE p_value WHEN 'True' THEN 'true' WHEN 'False' THEN 'false' ELSE 'null' END
        ELSE webhook_jsonpath_string(
                 CASE WHEN p_value ~ '^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$'
                      THEN replace(p_value, ' ', 'T') ELSE p_value END)
    END
$$;

-- A regular expression matching p_text literally (every metacharacter escaped).
CREATE OR REPLACE FUNCTION webhook_regex_literal(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT regexp_replace(p_text, '([.^$|?*+()\[\]{}\\-])', E'\\\\\\1', 'g')
$$;

-- The jsonpath of one leaf (field, operator, value tokens). p_values holds the value's tokens:
-- one for a scalar, several for a list (in, not in).
CREATE OR REPLACE FUNCTION webhook_domain_leaf(p_field text, p_operator text, p_kinds text[],
                                               p_values text[], p_is_list boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    f        text := '$.' || webhook_jsonpath_string(p_field);
    -- "Not set" in Odoo: no value, or False. By type first: comparing a text with false would be
    -- "unknown" in jsonpath, and "not unknown" is unknown, so != False would never match.
    unset    text := format('(%1$s.type() == "null" || (%1$s.type() == "boolean" && %1$s == false))',
                            '$.' || webhook_jsonpath_string(p_field));
    v        text;
    pattern  text;
    parts    text[] := '{}';
BEGIN
    IF p_operator IN ('in', 'not in') THEN
        IF NOT p_is_list THEN
            RAISE EXCEPTION 'The domain compares % with "%", which needs a list of values, e.g. (''%'', ''%'', [''a'', ''b'']).',
                p_field, p_operator, p_field, p_operator USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR k IN 1 .. coalesce(cardinality(p_values), 0) LOOP
            parts := parts || CASE WHEN p_kinds[k] = 'name' AND p_values[k] IN ('False', 'None') THEN unset
                                   ELSE format('%s == %s', f, webhook_domain_literal(p_kinds[k], p_values[k])) END;
        END LOOP;
        v := CASE WHEN cardinality(parts) = 0 THEN 'false' ELSE '(' || array_to_string(parts, ' || ') || ')' END;
        RETURN CASE p_operator WHEN 'in' THEN v ELSE '!' || v END;
    END IF;
    IF p_is_list THEN
        RAISE EXCEPTION 'The domain compares % with "%" and a list; only in and not in take a list.',
            p_field, p_operator USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Set / not set.
    IF p_kinds[1] = 'name' AND p_values[1] IN ('False', 'None') AND p_operator IN ('=', '!=') THEN
        RETURN CASE p_operator WHEN '=' THEN unset ELSE '!' || unset END;
    END IF;
    v := webhook_domain_literal(p_kinds[1], p_values[1]);
    CASE p_operator
        WHEN '=', '==' THEN RETURN format('%s == %s', f, v);
        WHEN '!=', '<>' THEN RETURN format('!(%s == %s)', f, v);
        WHEN '<', '>', '<=', '>=' THEN RETURN format('%s %s %s', f, p_operator, v);
        WHEN 'like', 'ilike', 'not like', 'not ilike', '=like', '=ilike' THEN
            IF p_kinds[1] <> 'string' THEN
                RAISE EXCEPTION 'The domain compares % with "%" and %, but that operator takes a text.',
                    p_field, p_operator, p_values[1] USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF p_operator LIKE '=%' THEN
                -- =like / =ilike: the value is a pattern of its own (% any text, _ one character).
                pattern := '^' || replace(replace(webhook_regex_literal(p_values[1]), '%', '.*'), '_', '.') || '$';
            ELSE
                pattern := webhook_regex_literal(p_values[1]);
            END IF;
            v := format('%s like_regex %s%s', f, webhook_jsonpath_string(pattern),
                        CASE WHEN p_operator LIKE '%ilike' THEN ' flag "i"' ELSE '' END);
            -- Odoo's not like / not ilike also match records where the field is not set.
            RETURN CASE WHEN p_operator LIKE 'not %' THEN format('(!(%s) || %s == null)', v, f) ELSE v END;
        ELSE
            RAISE EXCEPTION 'The domain uses the operator "%", which is not supported here. Supported: =, !=, <, >, <=, >=, in, not in, like, not like, ilike, not ilike, =like, =ilike, and &, |, !.',
                p_operator USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

-- Compiles an Odoo domain over the captured fields p_fields into a jsonpath predicate, or
-- raises an error that names the part that cannot be used. NULL or '[]' gives NULL (no
-- condition).
CREATE OR REPLACE FUNCTION webhook_compile_domain(p_domain text, p_fields text[])
RETURNS jsonpath
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t_kind  text[];
    t_value text[];
    pos     integer := 2;  -- after the opening bracket
    exprs   text[] := '{}';
    result  text;
BEGIN
    IF p_domain IS NULL OR btrim(p_domain) IN ('', '[]') THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(t.kind), array_agg(t.value) INTO t_kind, t_value FROM webhook_domain_tokens(p_domain) t;
    IF t_value[1] IS DISTINCT FROM '[' OR t_kind[1] <> 'punct' OR t_value[cardinality(t_value)] <> ']' THEN
        RAISE EXCEPTION 'A domain is a list in square brackets, e.g. [(''state'', ''='', ''sale'')].'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE pos < cardinality(t_value) LOOP
        SELECT t.p_pos, t.expr INTO pos, result FROM webhook_domain_term(t_kind, t_value, pos, p_fields) t;
        exprs := exprs || result;
        IF pos < cardinality(t_value) THEN
            IF t_value[pos] <> ',' OR t_kind[pos] <> 'punct' THEN
                RAISE EXCEPTION 'The domain''s terms must be separated by commas (near "%").', t_value[pos]
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            pos := pos + 1;
        END IF;
    END LOOP;
    IF cardinality(exprs) = 0 THEN
        RETURN NULL;
    END IF;
    result := array_to_string(exprs, ' && ');
    RETURN result::jsonpath;
END
$$;

-- The fields of p_fields that the domain names, sorted: those without which it does not
-- compile. (Compiling once per field, when a subscriber is saved, keeps the compiler free of
-- bookkeeping; reading names back from the compiled path could mistake a quoted value for one.)
CREATE OR REPLACE FUNCTION webhook_domain_fields(p_domain text, p_fields text[])
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_field  text;
    v_needed text[] := '{}';
BEGIN
    IF webhook_compile_domain(p_domain, p_fields) IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH v_field IN ARRAY ARRAY(SELECT DISTINCT f FROM unnest(p_fields) f ORDER BY f) LOOP
        BEGIN
            PERFORM webhook_compile_domain(p_domain, array_remove(p_fields, v_field));
        EXCEPTION WHEN invalid_parameter_value THEN
            v_needed := v_needed || v_field;
        END;
    END LOOP;
    RETURN v_needed;
END
$$;

-- One term of the domain at token position p_pos (advanced past it): a prefix operator with its
-- operands, or a leaf. Prefix operators apply to the terms that follow, as in Odoo.
CREATE OR REPLACE FUNCTION webhook_domain_term(p_kind text[], p_value text[], INOUT p_pos integer,
                                               p_fields text[], OUT expr text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    op      text;
    left_e  text;
    right_e text;
    field   text;
    operator text;
    kinds   text[] := '{}';
    vals    text[] := '{}';
    is_list boolean := false;
    closing text;
BEGIN
    IF p_pos >= cardinality(p_value) THEN
        RAISE EXCEPTION 'The domain ends where a term was expected (after an operator & | !).'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_kind[p_pos] = 'string' AND p_value[p_pos] IN ('&', '|', '!') THEN
        op := p_value[p_pos];
        p_pos := p_pos + 1;
        IF p_value[p_pos] = ',' AND p_kind[p_pos] = 'punct' THEN
            p_pos := p_pos + 1;
        END IF;
        SELECT t.p_pos, t.expr INTO p_pos, left_e FROM webhook_domain_term(p_kind, p_value, p_pos, p_fields) t;
        IF op = '!' THEN
            expr := '!(' || left_e || ')';
            RETURN;
        END IF;
        IF p_value[p_pos] = ',' AND p_kind[p_pos] = 'punct' THEN
            p_pos := p_pos + 1;
        END IF;
        SELECT t.p_pos, t.expr INTO p_pos, right_e FROM webhook_domain_term(p_kind, p_value, p_pos, p_fields) t;
        expr := '(' || left_e || CASE op WHEN '&' THEN ' && ' ELSE ' || ' END || right_e || ')';
        RETURN;
    END IF;
    IF p_kind[p_pos] = 'string' THEN
        RAISE EXCEPTION 'The domain has "%" where a condition or one of & | ! was expected.', p_value[p_pos]
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_kind[p_pos] <> 'punct' OR p_value[p_pos] NOT IN ('(', '[') THEN
        RAISE EXCEPTION 'The domain has "%" where a condition such as (''state'', ''='', ''sale'') was expected.',
            p_value[p_pos] USING ERRCODE = 'invalid_parameter_value';
    END IF;
    closing := CASE p_value[p_pos] WHEN '(' THEN ')' ELSE ']' END;
    -- (field, operator, value)
    IF p_kind[p_pos + 1] IS DISTINCT FROM 'string' OR p_value[p_pos + 2] IS DISTINCT FROM ','
       OR p_kind[p_pos + 3] IS DISTINCT FROM 'string' OR p_value[p_pos + 4] IS DISTINCT FROM ',' THEN
        RAISE EXCEPTION 'A condition of the domain is (field, operator, value), e.g. (''state'', ''='', ''sale'').'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    field := p_value[p_pos + 1];
    operator := lower(p_value[p_pos + 3]);
    IF field !~ '^[a-z_][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'The domain names "%", which is not a field of this model (only stored fields of the model itself, not paths such as partner_id.name).',
            field USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF field <> ALL (coalesce(p_fields, '{}')) THEN
        RAISE EXCEPTION 'The domain uses the field "%", which is not captured. Capture it first (track MODEL --capture %), or change the domain. Captured: %.',
            field, field, coalesce(nullif(array_to_string(p_fields, ', '), ''), 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    p_pos := p_pos + 5;
    IF p_kind[p_pos] = 'punct' AND p_value[p_pos] IN ('[', '(') THEN
        is_list := true;
        p_pos := p_pos + 1;
        WHILE NOT (p_kind[p_pos] = 'punct' AND p_value[p_pos] IN (']', ')')) LOOP
            IF p_kind[p_pos] = 'punct' OR p_pos >= cardinality(p_value) THEN
                RAISE EXCEPTION 'The list of values for % is malformed (near "%").', field, p_value[p_pos]
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            kinds := kinds || p_kind[p_pos];
            vals := vals || p_value[p_pos];
            p_pos := p_pos + 1;
            IF p_value[p_pos] = ',' AND p_kind[p_pos] = 'punct' THEN
                p_pos := p_pos + 1;
            END IF;
        END LOOP;
        p_pos := p_pos + 1;
    ELSIF p_kind[p_pos] IN ('string', 'number', 'name') THEN
        kinds := ARRAY[p_kind[p_pos]];
        vals := ARRAY[p_value[p_pos]];
        p_pos := p_pos + 1;
    ELSE
        RAISE EXCEPTION 'The condition on % has no value.', field USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_value[p_pos] IS DISTINCT FROM closing OR p_kind[p_pos] <> 'punct' THEN
        RAISE EXCEPTION 'The condition on % must end after its value (a condition has three parts).', field
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    p_pos := p_pos + 1;
    expr := webhook_domain_leaf(field, operator, kinds, vals, is_list);
END
$$;
