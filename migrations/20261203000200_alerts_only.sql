-- Alerts-only rules (`"replies": "off"`): each thread parent records whether what people
-- say in its thread may reach the platform (0 = forward, the default, 1 = off), and
-- whether the first person who replied there was already told it will not.
ALTER TABLE thread_parents ADD COLUMN replies_off BIGINT NOT NULL DEFAULT 0;
ALTER TABLE thread_parents ADD COLUMN replies_off_told BIGINT NOT NULL DEFAULT 0;
