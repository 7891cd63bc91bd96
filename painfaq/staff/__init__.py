"""Tools for support staff: accounts and login sessions, the review inbox, labels and their export."""
