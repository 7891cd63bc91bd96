"""Start real servers (Rasa, action server, PostgreSQL, Redis) for tests, reports and benchmarks."""
