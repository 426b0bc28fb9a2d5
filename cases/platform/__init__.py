"""Infrastructure: configuration, database, clock, migrations, backup, seed data, start-up checks."""
