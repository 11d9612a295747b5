-- Who asked for a job: a job on a user's private connection runs as that user may (the connection is the user's),
-- and a worker resolves the connection by the job's organization and user.
ALTER TABLE jobs ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE SET NULL;
