-- Site-wide settings an admin chooses, one row. `explanations_required`: whether an instructor's pack needs an
-- explanation and a reference on every item before it is published (true), or only gets a warning for the items
-- without them (false, the default). The shipped banks always need both (packs::ExplanationPolicy).
CREATE TABLE site_settings (
    id                    boolean PRIMARY KEY DEFAULT true CHECK (id),
    explanations_required boolean NOT NULL DEFAULT false,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
INSERT INTO site_settings DEFAULT VALUES;
