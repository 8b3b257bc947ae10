-- The question bank: blueprints, packs, items and their append-only revisions.
CREATE TABLE blueprints (
    id         text PRIMARY KEY,
    content    jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE packs (
    id           uuid PRIMARY KEY,
    pack_key     text NOT NULL UNIQUE,
    title        text NOT NULL,
    version      integer NOT NULL,
    blueprint_id text NOT NULL REFERENCES blueprints (id),
    meta         jsonb NOT NULL,
    -- NULL: shipped with the product.
    owner_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- An entry of a pack: a standalone question or a case study. Its content lives in revisions.
CREATE TABLE items (
    id               uuid PRIMARY KEY,
    pack_id          uuid NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    item_key         text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('question', 'case_study')),
    position         integer NOT NULL,
    current_revision integer NOT NULL,
    -- Removed from the pack by a later version; kept because attempts may reference it.
    retired          boolean NOT NULL DEFAULT false,
    UNIQUE (pack_id, item_key)
);

CREATE TABLE item_revisions (
    id           uuid PRIMARY KEY,
    item_id      uuid NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    revision     integer NOT NULL,
    content      jsonb NOT NULL,
    content_hash text NOT NULL,
    -- Each scored question's domain and objective, in order (a case study has several).
    domains      text[] NOT NULL,
    objectives   text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (item_id, revision)
);

-- Revisions an attempt used are never changed in place: revisions are append-only.
CREATE FUNCTION refuse_revision_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'item revisions are append-only; add a new revision instead';
END $$;
CREATE TRIGGER item_revisions_append_only BEFORE UPDATE ON item_revisions
    FOR EACH ROW EXECUTE FUNCTION refuse_revision_change();
