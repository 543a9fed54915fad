"""Alembic environment: run on the connection the store hands over (no ini file needed)."""

from alembic import context

from lagesbild.store.migrations.env_filter import include_object
from lagesbild.store.schema import metadata

connection = context.config.attributes["connection"]


context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=False,
)
with context.begin_transaction():
    context.run_migrations()
