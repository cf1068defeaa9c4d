# Sourced (not executed) by the mysql image's entrypoint on the first start, with an empty
# data directory only: creates the monitoring user mysqld_exporter connects as, with the
# password from the mysqld_exporter_password Docker secret. Read-only rights, and few
# connections, so that monitoring can never crowd out the loader.
# docker_process_sql is the entrypoint's helper: it runs SQL as root over the socket.
exporter_password="$(cat /run/secrets/mysqld_exporter_password)"
# Double any single quote so the password stays one SQL string literal.
exporter_password="$(printf '%s' "$exporter_password" | sed "s/'/''/g")"
docker_process_sql <<SQL
CREATE USER IF NOT EXISTS 'exporter'@'%' IDENTIFIED BY '${exporter_password}' WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'exporter'@'%';
SQL
unset exporter_password
