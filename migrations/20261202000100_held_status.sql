-- A held job (a reply waiting for its author to claim an operator) was a pending job
-- parked at run_at = 4102444800000 (the year 2100). It is a status of its own now, so
-- no query has to know the magic time and a claim never even looks at one.
UPDATE jobs SET status = 'held', run_at = updated_at
 WHERE status = 'pending' AND run_at >= 4102444800000;
