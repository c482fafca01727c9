-- A database exercising what a logical backup must carry. Needs the role todo_owner to exist.
CREATE SCHEMA app AUTHORIZATION todo_owner;
CREATE SCHEMA audit;
CREATE SCHEMA "Mixed Case";

CREATE TYPE app.priority AS ENUM ('low', 'normal', 'high');

CREATE TABLE app.users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  profile jsonb,
  avatar bytea,
  tags text[],
  created_at timestamptz NOT NULL DEFAULT '2026-01-01 00:00:00+00'
);
CREATE INDEX users_profile_gin ON app.users USING gin (profile);

CREATE TABLE app.todos (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
  title text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  priority app.priority NOT NULL DEFAULT 'normal',
  due date,
  meta jsonb,
  scores double precision[],
  attachment oid
);
CREATE INDEX todos_user_done ON app.todos (user_id, done);
COMMENT ON TABLE app.todos IS 'one row per TODO item';
COMMENT ON COLUMN app.todos.attachment IS 'a large object';

CREATE TABLE app.metrics (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE app.metrics_2026h1 PARTITION OF app.metrics FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE app.metrics_2026h2 PARTITION OF app.metrics FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');

CREATE TABLE audit.events (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name text NOT NULL,
  row_id bigint,
  op text NOT NULL
);

CREATE FUNCTION audit.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit.events (table_name, row_id, op) VALUES (TG_TABLE_NAME, NEW.id, TG_OP);
  RETURN NEW;
END
$$;
CREATE TRIGGER todos_audit AFTER INSERT OR UPDATE ON app.todos
  FOR EACH ROW EXECUTE FUNCTION audit.log_change();

CREATE VIEW app.open_todos AS
  SELECT t.id, u.email, t.title FROM app.todos t JOIN app.users u ON u.id = t.user_id WHERE NOT t.done;

CREATE SEQUENCE app.invoice_no START 1000;
SELECT nextval('app.invoice_no') FROM generate_series(1, 5);

CREATE TABLE "Mixed Case"."Odd ""Name""" (k text PRIMARY KEY, v numeric(20, 5));

INSERT INTO app.users (email, profile, avatar, tags)
  SELECT 'user' || i || '@example.com',
         jsonb_build_object('name', 'User ' || i, 'n', i, 'nested', jsonb_build_object('a', ARRAY[i, i + 1])),
         decode(md5(i::text), 'hex') || '\x00ff'::bytea,
         ARRAY['t' || i, 'x,y', NULL]
  FROM generate_series(1, 200) i;

INSERT INTO app.todos (user_id, title, done, priority, due, meta, scores)
  SELECT 1 + (i % 200),
         'todo ' || i || E' with \t tab, ''quote'' and ünïcode',
         i % 3 = 0,
         (ARRAY['low', 'normal', 'high'])[1 + i % 3]::app.priority,
         date '2026-01-01' + i,
         CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('i', i, 'f', i / 7.0) END,
         ARRAY[i * 0.5, -i]
  FROM generate_series(1, 1000) i;

UPDATE app.todos SET attachment = lo_from_bytea(0, convert_to(repeat('attachment ' || id, 100), 'UTF8'))
  WHERE id <= 10;
DO $$ BEGIN
  EXECUTE format('ALTER LARGE OBJECT %s OWNER TO todo_owner', (SELECT attachment FROM app.todos WHERE id = 1));
END $$;

INSERT INTO app.metrics SELECT date '2026-01-01' + i, i FROM generate_series(0, 364) i;
INSERT INTO "Mixed Case"."Odd ""Name""" SELECT 'k' || i, i / 3.0 FROM generate_series(1, 50) i;
DELETE FROM audit.events WHERE id % 10 = 0;

ALTER TABLE app.users OWNER TO todo_owner;
ALTER TABLE app.todos OWNER TO todo_owner;
ALTER VIEW app.open_todos OWNER TO todo_owner;
ALTER FUNCTION audit.log_change() OWNER TO todo_owner;
