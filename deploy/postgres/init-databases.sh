#!/usr/bin/env bash
# One database per component on the one PostgreSQL server, each owned by the component's own
# login role, which is the only role (besides superusers) allowed to connect to it: a component
# cannot open another's database. The postgres image runs this once, when it initialises an
# empty volume (/docker-entrypoint-initdb.d); it is safe to run again (e.g. to set new
# passwords): `docker compose exec postgres /docker-entrypoint-initdb.d/init-databases.sh`.
#
# Reads <COMPONENT>_DB (the name of both the role and the database) and <COMPONENT>_DB_PASSWORD
# for MONOLITH, USERS_SERVICE, PAYMENTS_SERVICE and FACADE; connects as POSTGRES_USER to
# POSTGRES_DB (PGHOST/PGPORT as psql reads them). Passwords reach SQL only as psql variables
# (:'password'), so quotes or backslashes in them are data, never SQL.
set -e

create_component_database() {
  local component=$1
  local name_var="${component}_DB" password_var="${component}_DB_PASSWORD"
  local name=${!name_var} password=${!password_var}
  if [ -z "$name" ] || [ -z "$password" ]; then
    echo "init-databases: set ${name_var} and ${password_var}" >&2
    return 1
  fi
  psql --no-psqlrc -v ON_ERROR_STOP=1 --quiet \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v name="$name" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I', :'name')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
-- Also on a re-run: the password given now is the one that works.
ALTER ROLE :"name" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
-- CREATE DATABASE cannot run inside a transaction (nor a DO block): \gexec runs it alone.
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
ALTER DATABASE :"name" OWNER TO :"name";
-- Every role may connect to a new database by default (PUBLIC); only its owner may here.
REVOKE CONNECT ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "init-databases: database \"$name\" owned by role \"$name\", closed to other roles"
}

for component in MONOLITH USERS_SERVICE PAYMENTS_SERVICE FACADE; do
  create_component_database "$component"
done
