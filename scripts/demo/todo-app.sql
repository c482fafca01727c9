-- A small TODO-chatbot schema with data, for the first README command (scripts/demo.sh).
CREATE SCHEMA chat;
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  display_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE todos (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  title text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  tags text[] NOT NULL DEFAULT '{}',
  details jsonb,
  due date,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX todos_user_open ON todos (user_id) WHERE NOT done;
CREATE TABLE chat.conversations (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE chat.messages (
  id bigserial PRIMARY KEY,
  conversation_id bigint NOT NULL REFERENCES chat.conversations(id),
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  body text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE todos IS 'What users asked the chatbot to remember';

SELECT setseed(0.5);
INSERT INTO users (email, display_name)
SELECT 'user' || g || '@example.test', 'User ' || g FROM generate_series(1, 200) g;
INSERT INTO todos (user_id, title, done, tags, details, due)
SELECT 1 + (g % 200), 'todo #' || g || ' ' || md5(g::text), random() < 0.4,
       (ARRAY['home', 'work', 'errand'])[1 + (g % 3):1 + (g % 3)],
       jsonb_build_object('priority', g % 5, 'source', 'chat'),
       date '2026-12-01' + (g % 60)
FROM generate_series(1, 5000) g;
INSERT INTO chat.conversations (user_id) SELECT 1 + (g % 200) FROM generate_series(1, 800) g;
INSERT INTO chat.messages (conversation_id, role, body)
SELECT 1 + (g % 800), CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END,
       'message ' || g || ': ' || md5(random()::text)
FROM generate_series(1, 12000) g;
ANALYZE;
