-- People an owner allowed to change Herald's settings besides the workspace's admins and
-- owners (`/herald admins add|remove @user`).
CREATE TABLE herald_admins (
    team_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
