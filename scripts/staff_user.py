"""Create a staff user for the review inbox, or set a new password: `make staff-user STAFF=alice`.

The password is read without echo (or from STAFF_PASSWORD, for scripts) and stored as an argon2id hash in
the tracker store's database (PAINFAQ_ENDPOINTS / PAINFAQ_DB_URL, as the other staff tools).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from painfaq import settings
from painfaq.staff import accounts
from painfaq.stores import db


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("username")
    parser.add_argument("--db-url", help="SQLAlchemy database URL (default: the tracker store's)")
    args = parser.parse_args(argv)
    password = settings.STAFF_PASSWORD.text() or getpass.getpass(f"Password for {args.username}: ")
    if not settings.STAFF_PASSWORD.is_set() and getpass.getpass("Again: ") != password:
        print("staff-user: the passwords differ", file=sys.stderr)
        return 2
    try:
        name = accounts.create_user(db.get_engine(args.db_url), args.username, password)
    except accounts.AccountError as error:
        print(f"staff-user: {error}", file=sys.stderr)
        return 2
    print(f"staff user {name!r} can log in at http://localhost:8080/staff/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
