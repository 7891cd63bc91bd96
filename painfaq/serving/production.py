"""Production profile helpers: the environment endpoints.production.yml reads, and a pre-flight check.

`python -m painfaq.serving.production check` (run by scripts/run_production.sh before any server starts):
every variable is set, PostgreSQL and Redis answer with the given credentials, and Rasa's `events`
table exists (created here once, so N Rasa workers starting together do not race to create it; the
race costs a worker a 5 s retry in Rasa's SQL tracker store).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Mapping, Optional

# Variables endpoints.production.yml references, with the defaults scripts/run_production.sh uses.
DEFAULTS: Dict[str, str] = {
    "ACTION_SERVER_URL": "http://localhost:5055/webhook",
    "DB_HOST": "localhost",
    "DB_PORT": "5432",
    "DB_USER": "rasa",
    "DB_PASSWORD": "",
    "DB_NAME": "rasa",
    "REDIS_HOST": "localhost",
    "REDIS_PORT": "6379",
    "REDIS_DB": "1",
    "REDIS_PASSWORD": "",
}


def redis_url(env: Mapping[str, str]) -> str:
    """The profile's Redis (REDIS_* variables) as a URL: the shared rate limits count there."""
    from urllib.parse import quote

    password = env.get("REDIS_PASSWORD") or ""
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{env['REDIS_HOST']}:{env['REDIS_PORT']}/{env['REDIS_DB']}"


def missing_variables(env: Mapping[str, str]) -> List[str]:
    return [name for name in DEFAULTS if name not in env]


def check_postgres(env: Mapping[str, str], create_tables: bool = True) -> None:
    """Connect with the profile's credentials; create Rasa's tracker table if it does not exist."""
    import psycopg2

    try:
        psycopg2.connect(
            host=env["DB_HOST"],
            port=int(env["DB_PORT"]),
            user=env["DB_USER"],
            password=env["DB_PASSWORD"] or None,
            dbname=env["DB_NAME"],
            connect_timeout=5,
        ).close()
    except psycopg2.Error as error:
        raise SystemExit(
            f"PostgreSQL: cannot connect to {env['DB_USER']}@{env['DB_HOST']}:{env['DB_PORT']}/{env['DB_NAME']}: "
            f"{str(error).strip()}\n(create the user and database first; see docs/production.md)"
        ) from None
    if create_tables:
        import sqlalchemy as sa
        from rasa.core.tracker_store import SQLTrackerStore

        url = SQLTrackerStore.get_db_url(
            "postgresql",
            env["DB_HOST"],
            int(env["DB_PORT"]),
            env["DB_NAME"],
            env["DB_USER"],
            env["DB_PASSWORD"] or None,
        )
        engine = sa.create_engine(url)
        try:
            SQLTrackerStore.Base.metadata.create_all(engine)
        finally:
            engine.dispose()


def check_redis(env: Mapping[str, str]) -> None:
    import redis

    client = redis.Redis(
        host=env["REDIS_HOST"],
        port=int(env["REDIS_PORT"]),
        db=int(env["REDIS_DB"]),
        password=env["REDIS_PASSWORD"] or None,
        socket_timeout=5,
        socket_connect_timeout=5,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise SystemExit(
            f"Redis: cannot reach {env['REDIS_HOST']}:{env['REDIS_PORT']} db {env['REDIS_DB']}: {error}"
        ) from None
    finally:
        client.close()


def check(env: Optional[Mapping[str, str]] = None) -> None:
    # process environment: the endpoints file's ${DB_*} and ${REDIS_*}, which Rasa reads (not settings).
    env = dict(os.environ if env is None else env)
    missing = missing_variables(env)
    if missing:
        raise SystemExit(f"production profile: set {', '.join(missing)} (see docs/production.md)")
    check_redis(env)
    check_postgres(env)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "defaults"])
    args = parser.parse_args(argv)
    if args.command == "defaults":
        for name, value in DEFAULTS.items():
            print(f"{name}={value}")
        return
    check()
    print("production profile: PostgreSQL and Redis reachable, tracker table ready")


if __name__ == "__main__":
    main(sys.argv[1:])
