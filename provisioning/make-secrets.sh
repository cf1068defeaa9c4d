#!/bin/sh
# Creates the Docker secrets of docker-compose.yml under ./secrets with random values,
# keeping any that exist. The folder is private to you (0700); the files are 0644 because
# Compose bind-mounts them into containers whose services run as other users (mysql,
# nobody, grafana), which must be able to read them.
# pagerduty_routing_key and smtp_password are placeholders: replace them with the real ones.
set -eu
cd "$(dirname "$0")"
umask 022
mkdir -p secrets
chmod 700 secrets
random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
put() {
  if [ ! -s "secrets/$1" ]; then
    printf '%s\n' "$2" > "secrets/$1"
    echo "created secrets/$1"
  fi
  chmod 644 "secrets/$1"
}
put mysql_password "$(random)"
put mysql_root_password "$(random)"
put mysqld_exporter_password "$(random)"
put s3_access_key pipewarden
put s3_secret_key "$(random)"
put pipewarden_token "$(random)"
put grafana_admin_password "$(random)"
put pagerduty_routing_key "replace-with-your-pagerduty-events-v2-routing-key"
put smtp_password "replace-with-your-smtp-password"
