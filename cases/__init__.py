"""Shared domain of both apps: models, database, and the operations on cases.

Operations take the SQLAlchemy session and their collaborators by keyword,
flush but never commit (the caller's unit of work commits once), and raise the
small domain errors in `cases.errors`.
"""
