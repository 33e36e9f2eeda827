-- Whether the resident lets staff of the community where they declared their home read their
-- profile when filling in a form for them (on a visit or a call). Off unless they turn it on,
-- whatever their sharing level between apps.
ALTER TABLE resident_consents ADD COLUMN assisted INTEGER NOT NULL DEFAULT 0;
