package com.pactcrm.connector.database;

import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import jakarta.inject.Singleton;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Migrates the schema the moment the data source exists, before any bean can use it, for the
 * embedded server and for an external MySQL alike. Flyway's own lock table serialises replicas
 * that start at the same time.
 */
@Singleton
class FlywayDataSourceMigrator implements BeanCreatedEventListener<DataSource> {

    private static final Logger LOG = LoggerFactory.getLogger(FlywayDataSourceMigrator.class);

    @Override
    public DataSource onCreated(BeanCreatedEvent<DataSource> event) {
        DataSource dataSource = event.getBean();
        // Micronaut Data may already have wrapped the pool in its contextual proxy, whose connections
        // need beans that depend on this very data source: migrate through the raw pool.
        Flyway flyway = Flyway.configure()
                .dataSource(DelegatingDataSource.unwrapDataSource(dataSource))
                .locations("classpath:db/migration")
                .load();
        MigrateResult result = flyway.migrate();
        LOG.info("event=schema_migrated applied={} version={}", result.migrationsExecuted,
                flyway.info().current() == null ? "none" : flyway.info().current().getVersion());
        return dataSource;
    }
}
