"""What the migrations compare against the schema: everything but the spatial indexes
(R*Tree shadow tables, GiST and the point layers' bbox B-trees), which spatial_ddl makes."""


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name and (name.startswith("rtree_") or name == "spatial_ref_sys"):
        return False
    if type_ == "index" and name and name.startswith("ix_") and name.endswith(("_geom", "_bbox")):
        return False  # spatial indexes are made by spatial_ddl, not by the schema
    return True
