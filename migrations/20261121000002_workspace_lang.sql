-- The workspace's language, set by an admin with `/herald lang ja|en`. NULL means the
-- deployment's default (HERALD_LANG).
ALTER TABLE workspaces ADD COLUMN lang TEXT;
