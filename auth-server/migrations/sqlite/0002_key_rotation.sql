-- Key rotation: a key is published in the JWKS from the moment it is created, and signs new
-- tokens only from `signs_from` on (seconds since the epoch); until then the key before it
-- signs. Existing keys sign from the beginning.
ALTER TABLE signing_keys ADD COLUMN signs_from INTEGER NOT NULL DEFAULT 0;
