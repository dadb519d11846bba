package com.pactcrm.connector.installation;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/** Health states an admin sees per installation: tokens, billing, channels, webhooks. */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface InstallationHealthRepository extends GenericRepository<InstallationHealth, Long> {

    @Query("""
            INSERT INTO installation_health (installation_id, component, state, detail)
            VALUES (:installationId, :component, :state, :detail)
            ON DUPLICATE KEY UPDATE state = VALUES(state), detail = VALUES(detail)""")
    void record(long installationId, String component, String state, @Nullable String detail);

    @Query("SELECT * FROM installation_health WHERE installation_id = :installationId ORDER BY component")
    List<InstallationHealth> findByInstallationId(long installationId);

    @Query("SELECT COUNT(*) FROM installation_health WHERE state NOT IN ('OK', 'ENABLED')")
    long countUnhealthy();

    /** Grouped by component kind, so a channel id ({@code PACT_CHANNEL:<auth id>}) never becomes a metric label. */
    @Query("""
            SELECT SUBSTRING_INDEX(component, ':', 1) AS component, state, COUNT(DISTINCT installation_id) AS installations
            FROM installation_health WHERE state NOT IN ('OK', 'ENABLED')
            GROUP BY SUBSTRING_INDEX(component, ':', 1), state""")
    List<UnhealthyComponents> unhealthyByComponent();
}
