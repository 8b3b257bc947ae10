-- One counter that moves forward, in the same transaction, with every change that can alter what a form draws
-- from: a pack's status, an item's current revision, retirement or trial flag, a new revision, a form's packs or
-- settings, a blueprint. Instances keep each form's pool in memory with the counter it was read at, and read
-- this one row before every start: a pool read at an older counter is read again (exam::service::PoolCache),
-- so a newly published revision reaches the next start on every instance.
CREATE TABLE bank_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 0
);
INSERT INTO bank_version DEFAULT VALUES;

-- Once per transaction, however many statements it runs (an import inserts item by item): the transaction-local
-- setting remembers that this transaction has moved the counter. The row stays locked until commit, and readers
-- see the new value only once the change is committed.
CREATE FUNCTION bump_bank_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('ai102.bank_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        UPDATE bank_version SET version = version + 1;
        PERFORM set_config('ai102.bank_version_bumped', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER packs_bump_bank_version AFTER INSERT OR UPDATE OR DELETE ON packs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_bank_version();
CREATE TRIGGER items_bump_bank_version AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION bump_bank_version();
CREATE TRIGGER item_revisions_bump_bank_version AFTER INSERT OR DELETE ON item_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_bank_version();
CREATE TRIGGER form_packs_bump_bank_version AFTER INSERT OR UPDATE OR DELETE ON form_packs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_bank_version();
CREATE TRIGGER exam_forms_bump_bank_version AFTER INSERT OR UPDATE OR DELETE ON exam_forms
    FOR EACH STATEMENT EXECUTE FUNCTION bump_bank_version();
CREATE TRIGGER blueprints_bump_bank_version AFTER INSERT OR UPDATE OR DELETE ON blueprints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_bank_version();
