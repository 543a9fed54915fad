"""The store: schema, engines, migrations, the access rule and the queries."""
