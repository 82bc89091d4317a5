-- The queue's hot reads (is anything due, when is the next job due, the claims) each
-- have a partial index over the rows they ask for: jobs_due (pending), jobs_lease
-- (running). SQLite's planner, which has no statistics, preferred the full
-- (status, updated_at) index for any `status = '…'` term, so every idle worker's check
-- walked every pending job: with a backlog of paced jobs in the future, thousands of
-- rows per check. Retention, its one user, asks only for finished and held jobs, so the
-- index now holds only those rows; a job's status changes no longer rewrite it either.
DROP INDEX jobs_status_updated;
CREATE INDEX jobs_finished_updated ON jobs (status, updated_at) WHERE status IN ('done', 'failed', 'dead');
CREATE INDEX jobs_held_updated ON jobs (updated_at) WHERE status = 'held';
