-- The language each account's emails are written in (a code such as `de`); none for
-- accounts made before languages existed, which get PORTAL_DEFAULT_LANGUAGE.
ALTER TABLE accounts ADD COLUMN language TEXT;
