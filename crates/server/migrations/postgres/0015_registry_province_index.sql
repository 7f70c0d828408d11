-- The registries' organisations by province (postgres). Keep in step with
-- migrations/sqlite/0015_registry_province_index.sql (the same on both).
--
-- The officer console's dashboard and the progress statistics count each province's active
-- organisations per register; without this index every count read the whole registry (a
-- million rows at national size, 34 times for the national dashboard).
CREATE INDEX registry_organisations_province ON registry_organisations (province, status, registry);
