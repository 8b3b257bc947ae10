-- Unscored trial items, as on the real exam: an instructor marks new items as trial; a form may add up to
-- `trial_items` of them to each attempt at random standalone positions. They are answered and their points
-- stored (for the item analysis) but never count toward the score.
ALTER TABLE items ADD COLUMN trial boolean NOT NULL DEFAULT false;

ALTER TABLE exam_forms ADD COLUMN trial_items integer NOT NULL DEFAULT 0
    CHECK (trial_items BETWEEN 0 AND 5);

-- Fixed at the attempt's start: a later promotion of the item does not change how an attempt was scored.
ALTER TABLE attempt_items ADD COLUMN trial boolean NOT NULL DEFAULT false;
