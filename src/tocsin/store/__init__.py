"""SQLAlchemy adapters: tables, migrations, the incident repository and the unit of work."""
