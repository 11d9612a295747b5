-- Only the platform's services use the metadata database. The organizations' warehouse logins live in the same
-- PostgreSQL cluster; they may not even connect here (they could read nothing: no table is granted to PUBLIC).
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
