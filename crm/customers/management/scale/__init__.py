"""The scale seeder behind `manage.py seed_scale` and `make bench`: `reference` (names, cities, models),
`statements` (the batch SQL), `seeding` (dealers, batches, ANALYZE)."""
